"""Research exports of closed waves: the rules of what goes out, and the files.

One export is a set of files (:data:`FILES`) written into a folder or a zip, the same
whoever asks for it, on a page or on the command line, given the same waves and options.

What goes out (anonymity invariant 5): answers by a random response id, the wave, a
pseudonymous team and department code and the team's size; scale scores; the stored team
and scale results of the wave, exactly the numbers the product shows; comments only when
asked for and only of teams of at least k. No name, email, invitation or time. A team with
fewer responses than the wave's k is left out of every file, and so is a team whose
numbers the close withheld to protect such a team (complementary suppression), unless an
admin explicitly asks for small teams; the codebook records what was left out and why, or
that nothing was. Trust that the close estimated for a pulse wave is not exported.

Files are built in a temporary folder first, one wave's responses at a time, read in
chunks, so memory stays flat whatever the number of responses; then moved or zipped.
"""

from __future__ import annotations

import csv
import gc
import hmac
import os
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import func

import trust
from surveys import instruments
from surveys.db import db
from surveys.models import Comment, Response, Team, TeamScaleResult, Wave
from surveys.services import audit, codebook, export_rows, results
from surveys.services.codebook import BELOW_K, WITHHELD
from trust.table import neutralise_csv_cell

# Every file an export may hold, in the order they are written; comments.csv only on request.
FILES = (
    "responses.csv",
    "scores.csv",
    "teams.csv",
    "scales.csv",
    "comments.csv",
    "codebook.json",
    "codebook.csv",
    "instrument.toml",
    "load.R",
    "load.sps",
)
TEAM_COLUMNS = ("wave", "team", "department", "n", "team_size", "issued_after_open")
TEAM_SCALE_FIELDS = ("n", "mean", "sd", "ci_low", "ci_high", "rwg_j")
SCALE_COLUMNS = ("wave", "scale", "n", *results.SCALE_FIELDS)
COMMENT_COLUMNS = ("wave", "team", "department", "text")
# Zip entries carry this date, not the time of the export: the same export, the same bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class ExportError(ValueError):
    """An export that cannot be made as asked; the message says which wave or option."""


@dataclass(frozen=True)
class ExportOptions:
    """What to add to an export. ``small_teams`` and ``team_names`` are for admins only."""

    comments: bool = False
    small_teams: bool = False
    team_names: bool = False


@dataclass
class Plan:
    """Everything decided before a row is written: waves, kept teams, codes, sizes."""

    waves: list[Wave]
    options: ExportOptions
    instruments: dict[int, trust.Instrument]  # by wave id
    kept: dict[int, list[int]]  # wave id -> team ids exported
    # wave id -> {reason: (teams, responses) left out}; reasons BELOW_K, WITHHELD
    left_out: dict[int, dict[str, tuple[int, int]]]
    responses: dict[tuple[int, int], int]  # (wave id, team id) -> responses
    team_size: dict[tuple[int, int], int | None]  # (wave id, team id) -> invitations issued
    # (wave id, team id) -> invitations an admin confirmed after the wave opened (teams with some)
    issued_after_open: dict[tuple[int, int], int]
    team_label: dict[int, str]  # team id -> code (or name)
    department_label: dict[int, str]  # team id -> its department's code (or name), "" if none
    item_keys: list[str] = field(default_factory=list)
    scale_keys: list[str] = field(default_factory=list)

    @property
    def instrument_files(self) -> dict[tuple[str, str], str]:
        """File name of every instrument in the export: instrument.toml when there is one."""
        found = {(i.key, i.version): i for i in self.instruments.values()}
        if len(found) == 1:
            return {key: "instrument.toml" for key in found}
        return {key: f"instrument_{key[0]}_{key[1]}.toml" for key in found}


def all_waves() -> list[Wave]:
    """Every wave, oldest first, for ``trustsurvey export --list``."""
    return list(db.session.scalars(db.select(Wave).order_by(Wave.id)))


def exportable_waves() -> list[Wave]:
    """Closed waves whose results are stored, newest first."""
    query = db.select(Wave).where(Wave.closed_at.is_not(None))
    return list(db.session.scalars(query.order_by(Wave.closed_at.desc(), Wave.id.desc())))


def check(wave_ids: list[int], options: ExportOptions, role: str) -> list[Wave]:
    """The waves to export, in the order asked; :class:`ExportError` if one cannot be."""
    if role not in ("admin", "researcher"):
        raise ExportError("only researchers and admins export")
    if role != "admin" and (options.small_teams or options.team_names):
        raise ExportError("only an admin may include small teams or team names")
    if not wave_ids:
        raise ExportError("choose at least one wave")
    waves = []
    for wave_id in dict.fromkeys(wave_ids):
        wave = db.session.get(Wave, wave_id)
        if wave is None:
            raise ExportError(f"wave {wave_id} does not exist")
        if wave.closed_at is None:
            raise ExportError(f"wave {wave_id} ({wave.name}) is not closed")
        waves.append(wave)
    return waves


def _key(purpose: str) -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), purpose.encode(), "sha256").digest()


def _codes(ids: list[int], prefix: str, purpose: str) -> dict[int, str]:
    """Numbered codes (T01, T02, ...) in an order keyed by the app's secret.

    Numbered in the order of a keyed hash of the id, not of the id or the name, so that a
    code says nothing about when a team was created or what it is called, yet the same
    teams get the same codes on the page and on the command line.
    """
    key = _key(purpose)
    ranked = sorted(ids, key=lambda i: hmac.new(key, str(i).encode(), "sha256").digest())
    width = max(2, len(str(len(ranked))))
    return {team_id: f"{prefix}{n:0{width}d}" for n, team_id in enumerate(ranked, start=1)}


def plan(waves: list[Wave], options: ExportOptions) -> Plan:
    """Decide which teams go out and how they are labelled (see the module docstring)."""
    counts = dict(
        (((w, t), n))
        for w, t, n in db.session.execute(
            db.select(Response.wave_id, Response.team_id, func.count())
            .where(Response.wave_id.in_([w.id for w in waves]))
            .group_by(Response.wave_id, Response.team_id)
        ).all()
    )
    withheld = set(
        db.session.execute(
            db.select(TeamScaleResult.wave_id, TeamScaleResult.team_id).where(
                TeamScaleResult.wave_id.in_([w.id for w in waves]),
                TeamScaleResult.estimate.is_(None),
                TeamScaleResult.suppressed.is_not(None),
            )
        ).all()
    )
    kept, left_out, sizes, found = {}, {}, {}, {}
    for wave in waves:
        found[wave.id] = instruments.get(wave.instrument_key, wave.instrument_version)
        team_ids = sorted(t.id for t in wave.teams)
        small = {t for t in team_ids if counts.get((wave.id, t), 0) < wave.k}
        # A team of at least k that the product withholds on some scale, so that a group
        # below k cannot be found by subtraction from a department's or the organisation's
        # numbers (complementary suppression): its answers would undo that here.
        hidden = {t for t in team_ids if (wave.id, t) in withheld} - small
        left = {} if options.small_teams else {BELOW_K: small, WITHHELD: hidden}
        out = set().union(*left.values())
        kept[wave.id] = [t for t in team_ids if t not in out]
        left_out[wave.id] = {
            reason: (len(ids), sum(counts.get((wave.id, t), 0) for t in ids))
            for reason, ids in left.items()
            if ids
        }
        issued = results.team_sizes(wave.id, team_ids)
        for team_id in team_ids:
            size = issued.get(team_id)
            # As results.store: a count below the responses cannot be the team's population.
            ok = size is not None and size >= counts.get((wave.id, team_id), 0)
            sizes[(wave.id, team_id)] = size if ok else None
    late = audit.issued_after_open([w.id for w in waves], None)
    issued_after_open = {(w, t): n for w, by_team in late.items() for t, n in by_team.items()}
    teams = {t.id: t for w in waves for t in w.teams if t.id in kept[w.id]}
    parents = {t.parent_id for t in teams.values() if t.parent_id is not None}
    if options.team_names:
        names = dict(db.session.execute(db.select(Team.id, Team.name)).all())
        team_label = {i: names[i] for i in teams}
        dept_names = {i: names[i] for i in parents}
    else:
        team_label = _codes(list(teams), "T", "export-team")
        dept_names = _codes(sorted(parents), "D", "export-department")
    department_label = {
        i: dept_names[t.parent_id] if t.parent_id is not None else "" for i, t in teams.items()
    }
    item_keys = list(dict.fromkeys(k for inst in found.values() for k in inst.item_keys))
    scale_keys = list(dict.fromkeys(s.key for inst in found.values() for s in inst.scales))
    return Plan(
        waves=waves,
        options=options,
        instruments=found,
        kept=kept,
        left_out=left_out,
        responses={key: n for key, n in counts.items() if key[1] in kept.get(key[0], ())},
        team_size=sizes,
        issued_after_open=issued_after_open,
        team_label=team_label,
        department_label=department_label,
        item_keys=item_keys,
        scale_keys=scale_keys,
    )


def cell(value) -> str:
    """A CSV cell: empty for a missing value, floats as their shortest exact repr."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else repr(value)
    if isinstance(value, str):
        return neutralise_csv_cell(value)
    return str(value)


def open_csv(folder: Path, name: str) -> tuple[IO[str], Callable]:
    """A file in ``folder`` (UTF-8 with a byte-order mark, CRLF) and its ``writerow``.

    The byte-order mark is for Excel, which reads a CSV without one in the system code page
    and garbles Chinese; R, SPSS, pandas (utf-8-sig) and ``trustsurvey analyze`` accept it.
    """
    handle = open(folder / name, "w", encoding="utf-8", newline="")  # noqa: SIM115
    handle.write("\ufeff")
    return handle, csv.writer(handle, lineterminator="\r\n").writerow


def _write_results(plan: Plan, folder: Path) -> None:
    """teams.csv and scales.csv from the stored results, the numbers the product shows."""
    handle, write = open_csv(folder, "teams.csv")
    with handle:
        write([*TEAM_COLUMNS] + [f"{s}_{f}" for s in plan.scale_keys for f in TEAM_SCALE_FIELDS])
        for wave in plan.waves:
            # Plain rows, not model objects: a wave of thousands of teams has tens of
            # thousands of them.
            rows = db.session.execute(
                db.select(
                    TeamScaleResult.team_id,
                    TeamScaleResult.scale,
                    TeamScaleResult.team_size,
                    *[getattr(TeamScaleResult, f) for f in TEAM_SCALE_FIELDS],
                ).where(
                    TeamScaleResult.wave_id == wave.id,
                    TeamScaleResult.team_id.in_(plan.kept[wave.id]),
                    # Measured scales only: a pulse wave's estimated trust is a model's
                    # output, not data, and its rows are left out (the codebook says so).
                    TeamScaleResult.estimate.is_(None),
                )
            )
            by_team: dict[int, dict[str, tuple]] = {}
            for team_id, scale, size, *numbers in rows:
                # Stored numbers are None or finite floats (n an int): their repr, or empty.
                texts = ["" if v is None else repr(v) for v in numbers]
                by_team.setdefault(team_id, {})[scale] = (size, texts)
            for team_id in sorted(by_team, key=lambda t: plan.team_label[t]):
                found = by_team[team_id]
                line = [
                    wave.id,
                    cell(plan.team_label[team_id]),
                    cell(plan.department_label[team_id]),
                    plan.responses.get((wave.id, team_id), 0),
                    cell(next(iter(found.values()))[0]),
                    plan.issued_after_open.get((wave.id, team_id), 0),
                ]
                empty = [""] * len(TEAM_SCALE_FIELDS)
                for scale in plan.scale_keys:
                    line += found[scale][1] if scale in found else empty
                write(line)
    handle, write = open_csv(folder, "scales.csv")
    with handle:
        write(SCALE_COLUMNS)
        for wave in plan.waves:
            stored = results.scale_table(wave)
            for scale in plan.instruments[wave.id].scales:
                result = stored.get(scale.key)
                if result is None:
                    continue
                write(
                    [wave.id, scale.key, result.n_respondents]
                    + [cell(getattr(result, f)) for f in results.SCALE_FIELDS]
                )


def _write_comments(plan: Plan, folder: Path) -> tuple[int, int]:
    """comments.csv: teams of at least k only (always, small-team option or not), shuffled.

    Returns the longest comment's length in UTF-8 bytes and how many comments hold a line
    break (for load.sps: SPSS's and PSPP's GET DATA cannot read one inside a quoted cell).
    """
    rows = []
    for wave in plan.waves:
        shown = [t for t in plan.kept[wave.id] if plan.responses.get((wave.id, t), 0) >= wave.k]
        found = db.session.execute(
            db.select(Comment.team_id, Comment.text).where(
                Comment.wave_id == wave.id, Comment.team_id.in_(shown)
            )
        ).all()
        rows += [
            [wave.id, cell(plan.team_label[t]), cell(plan.department_label[t]), cell(text)]
            for t, text in found
        ]
    secrets.SystemRandom().shuffle(rows)
    handle, write = open_csv(folder, "comments.csv")
    with handle:
        write(COMMENT_COLUMNS)
        for row in rows:
            write(row)
    texts = [row[-1] for row in rows]
    longest = max((len(t.encode("utf-8")) for t in texts), default=0)
    return longest, sum("\n" in t or "\r" in t for t in texts)


def build(plan: Plan, folder: Path) -> list[str]:
    """Write every file of the export into ``folder``; the names written, in :data:`FILES` order."""
    export_rows.write(plan, folder, _key("export-response")[:32], cell)
    _write_results(plan, folder)
    # Widths of the text columns in UTF-8 bytes, for load.sps (a string variable has one).
    widths = {
        "team": max((len(v.encode("utf-8")) for v in plan.team_label.values()), default=0),
        "department": max(
            (len(v.encode("utf-8")) for v in plan.department_label.values()), default=0
        ),
    }
    multiline = 0
    if plan.options.comments:
        widths["text"], multiline = _write_comments(plan, folder)
    book = codebook.describe(plan)
    (folder / "codebook.json").write_text(codebook.as_json(book), encoding="utf-8")
    handle, write = open_csv(folder, "codebook.csv")
    with handle:
        for row in codebook.as_rows(book):
            write([cell(v) for v in row])
    for (key, version), name in plan.instrument_files.items():
        source = instruments.get(key, version).source
        shutil.copyfile(source, folder / name)
    (folder / "load.R").write_text(codebook.load_r(book), encoding="utf-8")
    (folder / "load.sps").write_text(
        codebook.load_sps(book, widths, {"comments.csv": multiline} if multiline else {}),
        encoding="utf-8",
    )
    return sorted(os.listdir(folder), key=_file_order)


def _file_order(name: str) -> tuple[int, str]:
    return (FILES.index(name) if name in FILES else FILES.index("instrument.toml"), name)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration, as it was before afterwards.

    Every response read is briefly a tracked object (a database row), and enough of them
    outlive a young collection that the collector runs full passes over the whole process,
    the application's own long-lived objects included: a fifth of the export's time for
    100,000 responses. An export makes no reference cycles to speak of (each chunk of rows
    is freed by reference counting), so little is left for the collector to find.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def to_folder(waves: list[Wave], options: ExportOptions, target: Path) -> list[str]:
    """Export into the folder ``target`` (made if missing, else empty); the file names written.

    The files are written beside it first and moved in once all are complete, so a failed
    export leaves no half-written file behind. A folder that holds anything is refused: an
    earlier export's comments.csv or instrument file would sit beside this one's, under
    other team codes, as if it belonged to it.
    """
    if target.is_dir() and any(target.iterdir()):
        raise ExportError(
            f"the folder {target} is not empty: export into a new or empty folder, so that "
            "no file of an earlier export is taken for one of this export"
        )
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.") as tmp:
        with _collector_paused():
            names = build(plan(waves, options), Path(tmp))
        for name in names:
            os.replace(Path(tmp) / name, target / name)
    return names


def to_zip(waves: list[Wave], options: ExportOptions, out: IO[bytes]) -> list[str]:
    """Export as a zip written to ``out``; the file names it holds."""
    with tempfile.TemporaryDirectory(prefix="trustsurvey-export.") as tmp:
        with _collector_paused():
            names = build(plan(waves, options), Path(tmp))
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(Path(tmp) / name, "rb") as src, archive.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    return names


def zip_name(waves: list[Wave]) -> str:
    """The download's file name: the wave ids, nothing else (no name, no date)."""
    return "trustsurvey-export-waves-" + "-".join(str(w.id) for w in waves) + ".zip"
