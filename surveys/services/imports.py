"""Imports of answers collected elsewhere: a CSV like an export's responses.csv becomes a
closed wave, so that heatmaps, trends and effects work on historical data.

All rows or none: the whole file is checked first and every bad row is reported by row and
column (:class:`ImportRejectedError`); only a file without problems is stored. The wave, its
teams and its responses are then added in one transaction that :func:`surveys.services.waves.close`
completes, the same close as a live wave's (aggregates, suppression, storage order), so a
failure there stores nothing either.

An imported wave has no invitations, so the team sizes that the finite-population correction
and the exports need come from the file's team-size column when one is named; they are kept
on ``wave_team.team_size`` (:func:`surveys.services.results.team_sizes`). Without the column
they are unknown and the intervals are the wider, uncorrected ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

import trust
from surveys import instruments
from surveys.db import db
from surveys.models import Response, Team, Wave, random_id, utcnow, wave_team
from surveys.services import organisation, waves
from surveys.services.roster_file import RowError, undecodable_cell

ANSWER = re.compile(r"[+-]?[0-9]+(\.0*)?")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
MAX_NAME = 200  # Wave.name


class ImportRejectedError(ValueError):
    """Nothing was imported; ``errors`` names every bad row and column and why."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = sorted(errors, key=lambda e: e.row)


@dataclass(frozen=True)
class Checked:
    """A file without problems: each row's team and answers, and the team sizes given."""

    rows: list[tuple[int, dict[str, int]]]  # (team id, {item key: answer})
    sizes: dict[int, int]  # team id -> size, for the teams whose size the file gives


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        found = undecodable_cell(data, "utf-8-sig", error.start)
        row, column = found.record, found.column
        message = _l(
            "the file is not UTF-8 (first on row %(row)s); save it as “CSV UTF-8”", row=row
        )
        raise ImportRejectedError([RowError(row, column, message)]) from None


def _records(text: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        message = _l("this is not valid CSV (%(detail)s)", detail=str(error))
        raise ImportRejectedError([RowError(0, "", message)]) from None


def _header_errors(header, team_column, team_size_column, instrument) -> list[RowError]:
    errors = []
    seen = set()
    for name in header:
        if name in seen and name:
            errors.append(
                RowError(1, name, _l("the column “%(column)s” appears twice", column=name))
            )
        seen.add(name)
    needed = [team_column, *([team_size_column] if team_size_column else []), *instrument.item_keys]
    for name in needed:
        if name not in seen:
            errors.append(
                RowError(1, name, _l("the header row has no “%(column)s” column", column=name))
            )
    return errors


def _teams_by_name() -> dict[str, Team]:
    return {t.name: t for t in db.session.scalars(db.select(Team))}


def _department_ids() -> set[int]:
    return set(db.session.scalars(db.select(Team.parent_id).where(Team.parent_id.is_not(None))))


def check(
    data: bytes,
    instrument: trust.Instrument,
    team_column: str,
    team_size_column: str | None = None,
) -> Checked:
    """Read and check the whole file; :class:`ImportRejectedError` lists every problem."""
    records = _records(_decode(data))
    if not records or not any(cell.strip() for cell in records[0]):
        raise ImportRejectedError([RowError(1, "", _l("the file has no header row"))])
    header = [cell.strip() for cell in records[0]]
    errors = _header_errors(header, team_column, team_size_column, instrument)
    if errors:
        raise ImportRejectedError(errors)
    at = {name: i for i, name in enumerate(header)}
    teams, departments = _teams_by_name(), _department_ids()
    ranges = {
        item.key: (scale.response_scale.min, scale.response_scale.max)
        for scale in instrument.scales
        for item in scale.items
    }
    continuous = {
        item.key
        for scale in instrument.scales
        if scale.response_scale.continuous
        for item in scale.items
    }
    rows: list[tuple[int, dict[str, int | float]]] = []
    sizes: dict[int, tuple[int | None, int]] = {}  # team id -> (size, first row)
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line, as spreadsheets leave at the end
        if len(record) != len(header):
            errors.append(
                RowError(
                    number,
                    "",
                    _l(
                        "the row has %(cells)s cells but the header has %(columns)s columns",
                        cells=len(record),
                        columns=len(header),
                    ),
                )
            )
            continue
        name = record[at[team_column]].strip()
        team = _team(teams, name)
        if not name:
            errors.append(RowError(number, team_column, _l("the team is empty")))
        elif team is None:
            errors.append(
                RowError(number, team_column, _l("unknown team “%(team)s”", team=_shown(name)))
            )
        elif team.id in departments:
            errors.append(
                RowError(
                    number,
                    team_column,
                    _l("“%(team)s” is a department; name one of its teams", team=_shown(name)),
                )
            )
        answers = {}
        for key, (low, high) in ranges.items():
            cell = record[at[key]].strip()
            if not cell:
                continue
            value = _answer(cell, key in continuous)
            if value is None or not low <= value <= high:
                errors.append(
                    RowError(
                        number,
                        key,
                        _l(
                            "“%(value)s” is not an answer from %(low)s to %(high)s",
                            value=_shown(cell),
                            low=low,
                            high=high,
                        ),
                    )
                )
                continue
            answers[key] = value
        if all(not record[at[k]].strip() for k in ranges):
            errors.append(RowError(number, "", _l("the row has no answer")))
        if team_size_column and team is not None:
            errors += _size_error(
                number, record[at[team_size_column]], team, sizes, team_size_column
            )
        if team is not None:
            rows.append((team.id, answers))
    if not rows and not errors:
        errors.append(RowError(2, "", _l("the file has no rows after the header")))
    errors += _sizes_below_rows(rows, sizes, team_size_column)
    if errors:
        raise ImportRejectedError(errors)
    return Checked(rows, {t: size for t, (size, _row) in sizes.items() if size is not None})


def _size_error(number, cell, team, sizes, column) -> list[RowError]:
    cell = cell.strip()
    size = int(cell) if cell.isascii() and cell.isdigit() and int(cell) > 0 else None
    if cell and size is None:
        return [RowError(number, column, _l("“%(value)s” is not a team size", value=_shown(cell)))]
    if team.id not in sizes:
        sizes[team.id] = (size, number)
        return []
    first, row = sizes[team.id]
    if first != size:
        return [
            RowError(
                number,
                column,
                _l(
                    "the team “%(team)s” has another size on row %(row)s",
                    team=team.name,
                    row=row,
                ),
            )
        ]
    return []


def _sizes_below_rows(rows, sizes, column) -> list[RowError]:
    count: dict[int, int] = {}
    for team_id, _answers in rows:
        count[team_id] = count.get(team_id, 0) + 1
    return [
        RowError(
            row,
            column,
            _l(
                "the team size %(size)s is below the team's %(n)s rows",
                size=size,
                n=count.get(team_id, 0),
            ),
        )
        for team_id, (size, row) in sizes.items()
        if size is not None and size < count.get(team_id, 0)
    ]


def loaded_instrument(given: trust.Instrument) -> trust.Instrument:
    """The app's instrument of the same key and version as ``given``, if they agree.

    A wave pins an instrument the app has loaded, which its results, pages and exports read;
    a file that differs from it (other items, keys or response scales) would give numbers
    that the app's instrument does not describe.
    """
    try:
        loaded = instruments.get(given.key, given.version)
    except instruments.InstrumentUnavailableError:
        message = _l(
            "the app has no instrument %(key)s version %(version)s; copy the file into the "
            "instance folder's instruments/ and restart the app first",
            key=given.key,
            version=given.version,
        )
        raise ImportRejectedError([RowError(0, "", message)]) from None
    if _shape(loaded) != _shape(given):
        message = _l(
            "the instrument file differs from the app's %(key)s version %(version)s in its "
            "items, reverse keys or response scales",
            key=given.key,
            version=given.version,
        )
        raise ImportRejectedError([RowError(0, "", message)])
    return loaded


SHOWN_MAX = 60  # characters of a cell quoted in a message


def _shown(cell: str) -> str:
    """A cell as a message quotes it: control characters (a NUL, a terminal's escape
    sequence) written as escapes such as ``\\x00`` rather than sent to a terminal or a page,
    and a long cell cut short.
    """
    shown = "".join(
        c if c.isprintable() or c == " " else repr(c)[1:-1] for c in cell[: SHOWN_MAX + 1]
    )
    return shown if len(cell) <= SHOWN_MAX else shown[:SHOWN_MAX] + "…"


def _team(teams: dict[str, Team], name: str) -> Team | None:
    """The team a cell names; also a name the product's own export neutralised for
    spreadsheets (``'=Ops`` for ``=Ops``), so that an export with team names imports as it
    is. A team whose name really starts with the quote is found first."""
    team = teams.get(name)
    if team is None and name[:1] == "'" and name[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return teams.get(name[1:])
    return team


def _answer(cell: str, continuous: bool) -> int | float | None:
    """The number a cell gives, or None: a whole number (``3``, also ``3.0`` as statistics
    programs write one), or on a ``continuous = true`` scale any plain decimal (``10.25``,
    ``.5``), in ASCII digits as ``trustsurvey analyze`` reads them."""
    if continuous:
        return float(cell) if DECIMAL.fullmatch(cell) else None
    return int(float(cell)) if ANSWER.fullmatch(cell) else None


def _shape(inst: trust.Instrument) -> list:
    return [
        (s.key, s.response_scale.min, s.response_scale.max, [(i.key, i.reverse) for i in s.items])
        for s in inst.scales
    ]


def import_wave(
    data: bytes,
    instrument: trust.Instrument,
    *,
    team_column: str,
    name: str,
    team_size_column: str | None = None,
    closed_on: dt.date | None = None,
) -> Wave:
    """Check the file, store it as a wave and close that wave; all or nothing.

    The wave opens and closes on ``closed_on`` (a date in the organisation's time zone,
    default today there), with the organisation's default k, and holds the teams the file
    names.
    """
    today = organisation.to_local(utcnow()).date()
    closed_on = closed_on or today
    errors = []
    if not name.strip() or len(name.strip()) > MAX_NAME:
        errors.append(
            RowError(0, "", _l("the wave needs a name of 1 to %(n)s characters", n=MAX_NAME))
        )
    if closed_on > today:
        errors.append(RowError(0, "", _l("the close date is in the future")))
    try:
        checked = check(data, instrument, team_column, team_size_column)
    except ImportRejectedError as rejected:
        raise ImportRejectedError(errors + rejected.errors) from None
    if errors:
        raise ImportRejectedError(errors)
    # Noon of that date in the organisation's zone: its date is the same in UTC for any zone
    # within 12 hours of it, so pages and the codebook all name the date entered.
    when = organisation.to_utc(dt.datetime.combine(closed_on, dt.time(12)))
    team_ids = sorted({team_id for team_id, _ in checked.rows})
    wave = Wave(
        name=name.strip(),
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        opens_at=when,
        closes_at=when,
        k=waves.default_k(),
        teams=[db.session.get(Team, t) for t in team_ids],
    )
    db.session.add(wave)
    db.session.flush()
    for team_id, size in checked.sizes.items():
        db.session.execute(
            db.update(wave_team)
            .where(wave_team.c.wave_id == wave.id, wave_team.c.team_id == team_id)
            .values(team_size=size)
        )
    db.session.execute(
        db.insert(Response),
        [
            {"id": random_id(), "wave_id": wave.id, "team_id": team_id, "answers": answers}
            for team_id, answers in checked.rows
        ],
    )
    # Commits the wave, its responses and its results together, or rolls all of them back.
    waves.close(wave, now=when)
    return wave
