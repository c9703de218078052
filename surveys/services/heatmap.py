"""The heatmap of a closed wave: organisation, departments and teams by scale, as stored.

Reads the stored rows only (two queries and the team names); every number was computed,
and every suppression decided, when the wave closed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from surveys import instruments
from surveys.db import db
from surveys.models import GroupScaleResult, Team, TeamScaleResult, Wave, wave_team
from surveys.services import readings
from surveys.services.calibration import OUTCOMES
from trust.table import neutralise_csv_cell

LOW_AGREEMENT = 0.70  # rwg(j) below this is marked (LeBreton & Senter 2008: weak agreement)
# Above this many team rows, the page lists departments and opens one at a time.
MAX_TEAM_ROWS = 300
# Differences from the organisation that change a cell's colour, on the response metric.
STEPS = (0.10, 0.25, 0.50)
CELL_FIELDS = (
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "sd",
    "rwg_j",
    "estimate",
    "suppressed",
    "change",
    "change_ci_low",
    "change_ci_high",
)


class HeatCell(NamedTuple):
    """One stored cell (a named tuple: a large wave reads tens of thousands of them)."""

    scale: str
    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    sd: float | None
    rwg_j: float | None
    estimate: str | None
    suppressed: str | None
    change: float | None
    change_ci_low: float | None
    change_ci_high: float | None

    @property
    def low_agreement(self) -> bool:
        return self.rwg_j is not None and self.rwg_j < LOW_AGREEMENT

    @property
    def change_shown(self) -> bool:
        """A change whose interval excludes zero."""
        return (
            self.change is not None
            and self.change_ci_low is not None
            and self.change_ci_high is not None
            and (self.change_ci_low > 0 or self.change_ci_high < 0)
        )


@dataclass
class HeatRow:
    level: str  # organisation | department | team
    team_id: int | None
    name: str
    depth: int
    cells: dict[str, HeatCell] = field(default_factory=dict)
    teams_below: int = 0  # a department's wave teams directly under it
    expanded: bool = True  # a department whose team rows are listed


def team_count(wave: Wave, visible: set[int] | None) -> int:
    """The wave's teams a viewer sees, counted by the database."""
    query = db.select(db.func.count()).select_from(wave_team).where(wave_team.c.wave_id == wave.id)
    if visible is not None:
        query = query.where(wave_team.c.team_id.in_(visible))
    return db.session.scalar(query)


def columns(wave: Wave) -> list[str]:
    """The drivers, then both kinds of trust (measured or stored as estimates)."""
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    keys = [s.key for s in instrument.scales if s.role == "driver"]
    return keys + [key for key in OUTCOMES if key not in keys]


def response_ranges(wave: Wave) -> dict[str, tuple[float, float]]:
    """{column key: (min, max)} of the answers its means are on: the wave's scales, and for
    trust a pulse wave estimates, the shipped full instrument's outcome scale (as the team
    page reads them)."""
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    ranges = {s.key: (s.response_scale.min, s.response_scale.max) for s in instrument.scales}
    for inst in instruments.shipped().values():
        for s in inst.scales:
            if s.key in OUTCOMES:
                ranges.setdefault(s.key, (s.response_scale.min, s.response_scale.max))
    return ranges


def _within(cell: HeatCell, ranges: Mapping[str, tuple[float, float]]) -> HeatCell:
    """The cell with its interval cut to the response range (a 1-5 scale cannot average
    5.1), as the team page shows it: the heatmap, its downloads and the results shown to
    respondents give the same interval."""
    bounds = ranges.get(cell.scale)
    low, high = cell.ci_low, cell.ci_high
    if bounds is None or low is None or high is None or bounds[0] <= low <= high <= bounds[1]:
        return cell  # most cells: nothing to cut, and no call to make
    low, high, clipped = readings.clip_interval(low, high, *bounds)
    return cell._replace(ci_low=low, ci_high=high) if clipped else cell


def heatmap(wave: Wave, visible: set[int] | None, expand: set[int] | None = None) -> list[HeatRow]:
    """Rows of the organisation, each visible department and each visible team under it.

    The organisation's row is shown to everyone who sees the wave: its suppression was
    decided for the whole tree, so no viewer's subset of rows reveals a group below k.
    Rows follow the team tree (children by name); teams whose department is not visible
    come under the nearest visible department, or the organisation. With ``expand``, only
    the teams directly under those departments get rows (the page of a large
    organisation lists departments and opens one at a time); every department row still
    counts its teams (``teams_below``).
    """
    keys = set(columns(wave))
    ranges = response_ranges(wave)
    group_cells: dict[tuple[str, int | None], dict[str, HeatCell]] = {}
    group_query = db.select(
        GroupScaleResult.level,
        GroupScaleResult.team_id,
        GroupScaleResult.scale,
        *_columns(GroupScaleResult),
    ).where(GroupScaleResult.wave_id == wave.id, GroupScaleResult.scale.in_(keys))
    for row in db.session.connection().execute(group_query).all():
        if row[2] in keys:
            cell = _within(HeatCell._make(row[2:]), ranges)
            group_cells.setdefault((row[0], row[1]), {})[row[2]] = cell

    wave_teams = set(
        db.session.scalars(db.select(wave_team.c.team_id).where(wave_team.c.wave_id == wave.id))
    )
    ids = wave_teams | {team_id for _, team_id in group_cells if team_id is not None}
    # The whole team table, filtered here: an IN list of thousands of ids costs more to
    # build and bind than the few rows it leaves out.
    teams = {
        team_id: (name, parent_id)
        for team_id, name, parent_id in db.session.connection().execute(
            db.select(Team.id, Team.name, Team.parent_id)
        )
        if team_id in ids
    }
    children: dict[int | None, list[tuple[str, int, str]]] = {}
    for team_id, (name, parent_id) in teams.items():
        # A department without a row of this wave (no wave team under it at close) is skipped.
        up = parent_id if parent_id in teams else None
        kind = "department" if ("department", team_id) in group_cells else "team"
        children.setdefault(up, []).append((name, team_id, kind))
    wanted = {
        team_id
        for team_id in wave_teams
        if (visible is None or team_id in visible)
        and (expand is None or teams.get(team_id, ("", None))[1] in expand)
    }
    team_cells: dict[int, dict[str, HeatCell]] = {}
    if wanted:
        team_query = db.select(
            TeamScaleResult.team_id, TeamScaleResult.scale, *_columns(TeamScaleResult)
        ).where(TeamScaleResult.wave_id == wave.id, TeamScaleResult.scale.in_(keys))
        if expand is not None:
            team_query = team_query.where(TeamScaleResult.team_id.in_(wanted))
        # Core rows, not ORM ones: a large wave has tens of thousands of cells.
        for row in db.session.connection().execute(team_query).all():
            if row[1] in keys and row[0] in wanted:
                cell = _within(HeatCell._make(row[1:]), ranges)
                team_cells.setdefault(row[0], {})[row[1]] = cell

    rows = []
    organisation = group_cells.get(("organisation", None))
    if organisation is not None:
        rows.append(HeatRow("organisation", None, "", 0, organisation))

    def walk(parent: int | None, depth: int) -> None:
        for name, team_id, kind in sorted(children.get(parent, [])):
            if kind == "department":
                shown = visible is None or team_id in visible
                if shown:
                    row = HeatRow("department", team_id, name, depth, group_cells[(kind, team_id)])
                    row.teams_below = sum(
                        1
                        for _, below, below_kind in children.get(team_id, [])
                        if below_kind == "team" and below in wave_teams
                    )
                    row.expanded = expand is None or team_id in expand
                    rows.append(row)
                walk(team_id, depth + 1 if shown else depth)
            elif team_id in team_cells:
                rows.append(HeatRow("team", team_id, name, depth, team_cells[team_id]))
                walk(team_id, depth + 1)

    walk(None, 1)
    return rows


def _columns(model) -> list:
    return [getattr(model, name) for name in CELL_FIELDS]


def sort_rows(rows: list[HeatRow], scale: str | None, descending: bool) -> list[HeatRow]:
    """Rows sorted by ``scale`` within their level of the tree, the tree kept.

    Teams move among their siblings and departments among theirs, so a team never leaves
    its department; rows without a number on the scale come last either way.
    """
    if scale is None:
        return rows

    def key(row: HeatRow):
        cell = row.cells.get(scale)
        value = None if cell is None else cell.mean
        if value is None:
            return (1, 0.0, row.name)
        return (0, -value if descending else value, row.name)

    out: list[HeatRow] = []

    def place(block: list[HeatRow]) -> None:
        # block: rows at one depth with their descendants following each of them
        groups: list[list[HeatRow]] = []
        depth = block[0].depth
        for row in block:
            if row.depth == depth:
                groups.append([row])
            else:
                groups[-1].append(row)
        for group in sorted(groups, key=lambda g: key(g[0])):
            out.append(group[0])
            if len(group) > 1:
                place(group[1:])

    if rows and rows[0].level == "organisation":
        out.append(rows[0])
        rows = rows[1:]
    if rows:
        place(rows)
    return out


def colour_class(cell: HeatCell, reference: HeatCell | None, absolute: bool) -> str:
    """The cell's colour step, ``"lo3"`` .. ``"mid"`` .. ``"hi3"``; "" without a number.

    Against the organisation: the difference from its mean. Absolute: the distance from
    the middle of a 1-5 response scale (3).
    """
    if cell.mean is None:
        return ""
    if absolute:
        diff = cell.mean - 3.0
        steps = (0.25, 0.75, 1.25)
    elif reference is None or reference.mean is None:
        return "none"
    else:
        diff = cell.mean - reference.mean
        steps = STEPS
    size = sum(abs(diff) >= step for step in steps)
    if size == 0:
        return "mid"
    return f"{'hi' if diff > 0 else 'lo'}{size}"


def heatmap_csv(
    wave: Wave, visible: set[int] | None, issued_after_open: Mapping[int, int] | None = None
) -> str:
    """One line per row and scale; a withheld cell has its n and reason and no number.

    ``issued_after_open`` (team id: invitations an admin confirmed after the wave opened)
    fills the last column of those teams' lines, the page's † mark.
    """
    late = issued_after_open or {}
    rows = heatmap(wave, visible)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "level",
            "team",
            "scale",
            *CELL_FIELDS[:8],
            "change",
            "change_ci_low",
            "change_ci_high",
            "issued_after_open",
        ]
    )
    keys = columns(wave)

    def quoted(*cells) -> str:
        """Cells of text as the csv module writes them (quoted where they need it)."""
        line = io.StringIO()
        csv.writer(line, lineterminator="").writerow(cells)
        return line.getvalue()

    # A line is written as one string: the csv module is needed only for the texts that may
    # need quoting (a row's name: once per row; a label: once per value), and a large wave
    # has tens of thousands of lines.
    labels: dict[str | None, str] = {None: "", "": ""}
    scales = {key: quoted(key) for key in keys}
    for row in rows:
        head = quoted(row.level, neutralise_csv_cell(row.name))
        marked = late.get(row.team_id, 0) if row.level == "team" else ""
        for key in keys:
            c = row.cells.get(key)
            if c is None:
                continue
            _scale, n, mean, low, high, sd, rwg, estimate, suppressed, change, c_low, c_high = c
            for label in (estimate, suppressed):
                if label not in labels:
                    labels[label] = quoted(label)
            out.write(
                f"{head},{scales[key]},{'' if n is None else n},"
                f"{'' if mean is None else f'{mean:.4f}'},"
                f"{'' if low is None else f'{low:.4f}'},"
                f"{'' if high is None else f'{high:.4f}'},"
                f"{'' if sd is None else f'{sd:.4f}'},"
                f"{'' if rwg is None else f'{rwg:.4f}'},"
                f"{labels[estimate]},{labels[suppressed]},"
                f"{'' if change is None else f'{change:.4f}'},"
                f"{'' if c_low is None else f'{c_low:.4f}'},"
                f"{'' if c_high is None else f'{c_high:.4f}'},"
                f"{marked}\r\n"
            )
    return out.getvalue()
