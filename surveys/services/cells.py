"""The cells of a closing wave: one per team, department or organisation and scale.

Built in named steps by :func:`surveys.services.results.store`: :func:`measured` (the
statistics of every department and the organisation, suppression, then the shown teams'
numbers from :func:`trust.analyze`),
:func:`add_estimates` (trust estimated from the drivers of a pulse wave), then
:mod:`surveys.services.changes`, then :func:`write`.
"""

from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass

import numpy as np

import trust
from surveys.db import db
from surveys.models import (
    SUPPRESSED_BELOW_K,
    GroupScaleResult,
    TeamScaleResult,
    Wave,
)
from surveys.services import rollups, suppression
from surveys.services.calibration import OUTCOMES, scale_scores
from surveys.services.rollups import Node, WaveTree

NUMBERS = ("mean", "sd", "ci_low", "ci_high", "rwg_j")


@dataclass
class Cell:
    """One group's result on one scale while the wave closes."""

    n: int
    mean: float | None = None
    sd: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    rwg_j: float | None = None
    estimate: str | None = None
    suppressed: str | None = None
    change: float | None = None
    change_ci_low: float | None = None
    change_ci_high: float | None = None
    previous_wave_id: int | None = None


Table = dict[Node, dict[str, Cell]]


def _plain(values: np.ndarray, integer: bool = False) -> list:
    """Python numbers of an array, None where it is not finite, converted in one go."""
    finite = np.isfinite(values)
    out = np.where(finite, values, 0).astype(int if integer else float).astype(object)
    out[~finite] = None
    return out.tolist()


def _cells_of(
    n: np.ndarray,
    mean: np.ndarray,
    sd: np.ndarray,
    ci_low: np.ndarray,
    ci_high: np.ndarray,
    rwg_j: np.ndarray,
    scale_keys: list[str],
) -> list[dict[str, Cell]]:
    """One ``{scale: Cell}`` per group from (groups, scales) arrays of the statistics.

    The numbers become Python floats (None where undefined) in one conversion per array;
    the only walk over groups builds the cells.
    """
    columns = [_plain(n, integer=True)] + [_plain(a) for a in (mean, sd, ci_low, ci_high, rwg_j)]
    return [
        {
            key: Cell(n_ or 0, m, s, lo, hi, r)
            for key, n_, m, s, lo, hi, r in zip(scale_keys, *values, strict=True)
        }
        for values in zip(*columns, strict=True)
    ]


def _empty(scale_keys: list[str]) -> dict[str, Cell]:
    return {key: Cell(n=0) for key in scale_keys}


def measured(
    wave: Wave,
    instrument: trust.Instrument,
    answers: np.ndarray,
    teams: np.ndarray,
    tree: WaveTree,
    sizes: dict[int, int],
    population: dict[int, int],
) -> tuple[Table, dict[str, dict]]:
    """Every group's statistics on every scale, suppressed where the rule says so, and
    the scale-level statistics over the shown teams.

    Departments and the organisation at once from :func:`_group_statistics`. A team's
    count of respondents with a score decides its suppression; only then are the numbers
    of the shown teams computed, with the scale-level statistics (:func:`_shown_teams`),
    so a withheld team's numbers are never computed at all.
    """
    scale_keys = [scale.key for scale in instrument.scales]
    scores = scale_scores(answers, instrument)
    rows, codes, labels = rollups.expand_to_groups(teams, tree)
    found = _group_statistics(
        answers, scores, rows, codes, labels, instrument, rollups.group_sizes(tree, population)
    )
    team_ids, own = np.unique(teams, return_inverse=True)
    own = own.reshape(-1)
    members = dict(zip(team_ids.tolist(), np.bincount(own).tolist(), strict=True))
    # Respondents with a score, per team and scale.
    scored = np.zeros((len(team_ids), len(scale_keys)), dtype=np.int64)
    np.add.at(scored, own, ~np.isnan(scores))
    scored_of = dict(zip(team_ids.tolist(), scored.tolist(), strict=True))
    table: Table = {}
    team_n: dict[Node, int] = {}
    for node in tree.parent:
        if node[0] == "team":
            team_n[node] = members.get(node[1], 0)
            counts = scored_of.get(node[1])
            table[node] = (
                {key: Cell(n=n) for key, n in zip(scale_keys, counts, strict=True)}
                if counts is not None
                else _empty(scale_keys)
            )
        else:
            cells = found.get(rollups.group_label(node))
            table[node] = cells if cells is not None else _empty(scale_keys)
    small = {node for node, count in team_n.items() if count < wave.k}
    for key in scale_keys:
        n = {node: table[node][key].n for node in tree.parent}
        reasons = suppression.suppress(tree.parent, n, wave.k, below_k=small)
        for node, reason in reasons.items():
            if reason:
                cell = table[node][key]
                cell.suppressed = reason
                for name in NUMBERS:
                    setattr(cell, name, None)
    shown = {
        key: {
            node[1]
            for node, by_scale in table.items()
            if node[0] == "team" and by_scale[key].suppressed is None
        }
        for key in scale_keys
    }
    return table, _shown_teams(answers, teams, instrument, sizes, shown, table)


def _shown_teams(
    answers: np.ndarray,
    teams: np.ndarray,
    instrument: trust.Instrument,
    sizes: dict[int, int],
    shown: dict[str, set[int]],
    table: Table,
) -> dict[str, dict]:
    """The numbers of every shown team cell, and each scale's statistics over its shown teams.

    One call of :func:`trust.analyze` on the respondents of the teams shown on any scale
    gives the teams' numbers (a team's own numbers do not depend on the other teams) and,
    for the scales whose shown teams are all of those, the scale-level statistics
    (reliability, ICCs, mean rwg(j)). A scale with another set of shown teams (rare) gets
    one more call over exactly those teams. Computed over a hidden team's respondents too,
    these numbers would constrain its mean and spread (anonymity invariant 2): with few
    teams, ICC(1) and the shown team means pin down the hidden team's mean, and alpha its
    variance. Returns the scale-level statistics by scale key (as
    :meth:`trust.ScaleResult.to_json`; empty for a scale with no team shown).
    """
    union = set().union(*shown.values()) if shown else set()
    if not union:
        return {key: {} for key in shown}
    rows = np.isin(teams, list(union))
    analysis = trust.analyze(
        answers[rows],
        teams[rows],
        instrument,
        team_size={t: n for t, n in sizes.items() if t in union},
    )
    found = analysis.teams
    scale_keys = list(analysis.scales)
    cells = _cells_of(
        found.n, found.mean, found.sd, found.ci_low, found.ci_high, found.rwg_j, scale_keys
    )
    # A shown cell has nothing yet but its n, which the computed cell has too.
    everywhere = [key for key, teams_shown in shown.items() if teams_shown == union]
    elsewhere = [key for key in shown if key not in everywhere]
    for team_id, computed in zip(found.labels.tolist(), cells, strict=True):
        by_scale = table[("team", team_id)]
        by_scale.update({key: computed[key] for key in everywhere})
        by_scale.update({key: computed[key] for key in elsewhere if team_id in shown[key]})
    out: dict[str, dict] = {}
    others: dict[frozenset[int], list[str]] = {}
    for key, teams_shown in shown.items():
        if teams_shown == union:
            out[key] = analysis.scales[key].to_json()
        elif teams_shown:
            others.setdefault(frozenset(teams_shown), []).append(key)
        else:
            out[key] = {}
    for teams_shown, keys in others.items():
        subset = np.isin(teams, list(teams_shown))
        other = trust.analyze(answers[subset], teams[subset], instrument)
        out.update({key: other.scales[key].to_json() for key in keys})
    return out


def _group_statistics(
    answers: np.ndarray,
    scores: np.ndarray,
    rows: np.ndarray,
    codes: np.ndarray,
    labels: list[str],
    instrument: trust.Instrument,
    sizes: dict[str, int],
) -> dict[str, dict[str, Cell]]:
    """n, mean, SD, interval and rwg(j) of every group on every scale, as trust.analyze
    gives them for teams (:func:`trust.team_summary`, :func:`trust.rwg_j`).

    ``scores`` are the respondents' scale scores; ``rows`` repeats each respondent once per
    group above their team, ``codes`` gives the group of each copy and ``labels`` the label
    of each code (:func:`rollups.expand_to_groups`). Reliability and ICCs are not computed
    here: they describe a scale over teams, not a group.
    """
    if not len(rows):
        return {}
    # Copies sorted by group once: every grouped sum below is then one pass over
    # contiguous runs, and the sorts inside trust meet sorted codes.
    order = np.argsort(codes, kind="stable")
    rows, codes = rows[order], codes[order]
    scores = scores[rows]
    per_respondent = np.array([sizes.get(label, np.nan) for label in labels], dtype=float)[codes]
    scale_keys = [scale.key for scale in instrument.scales]
    with warnings.catch_warnings():
        # A group of one has no SD or interval: None in the cell, as for a team.
        warnings.simplefilter("ignore", trust.DegenerateDataWarning)
        summary = trust.team_summary(scores, codes, team_size=per_respondent)
        bounds = np.cumsum([0] + [len(scale.items) for scale in instrument.scales])
        agreement = np.column_stack(
            [
                trust.rwg_j(
                    answers[rows, bounds[s] : bounds[s + 1]],
                    codes,
                    null_variance=scale.response_scale.null_variance,
                ).rwg_j
                for s, scale in enumerate(instrument.scales)
            ]
        ).reshape(len(summary.team), len(scale_keys))
    cells = _cells_of(
        summary.n,
        summary.mean,
        summary.sd,
        summary.ci_low,
        summary.ci_high,
        agreement,
        scale_keys,
    )
    return {labels[code]: found for code, found in zip(summary.team.tolist(), cells, strict=True)}


def add_estimates(table: Table, model: trust.TrustModel, label: str) -> None:
    """Both kinds of trust of every group, estimated from its driver means by ``model``.

    An estimate is a fixed combination of the group's driver means, so it is shown only
    where every one of them is: a withheld driver withholds the estimate, for the same
    reason. It carries no interval, SD or rwg(j): it was not measured.
    """
    nodes = list(table)
    drivers = model.drivers
    means = np.array(
        [
            [np.nan if table[node][d].mean is None else table[node][d].mean for d in drivers]
            for node in nodes
        ],
        dtype=float,
    ).reshape(len(nodes), len(drivers))
    estimated = trust.estimate_trust(means, model)
    for i, node in enumerate(nodes):
        inputs = [table[node][d] for d in drivers]
        reasons = [cell.suppressed for cell in inputs if cell.suppressed]
        reason = None
        if reasons:
            reason = SUPPRESSED_BELOW_K if SUPPRESSED_BELOW_K in reasons else reasons[0]
        for key, values in zip(OUTCOMES, (estimated.cognitive, estimated.affective), strict=True):
            value = float(values[i])
            table[node][key] = Cell(
                n=min(cell.n for cell in inputs),
                mean=None if reason or not np.isfinite(value) else value,
                estimate=label,
                suppressed=reason,
            )


FIELDS = (
    "n",
    *NUMBERS,
    "estimate",
    "suppressed",
    "change",
    "change_ci_low",
    "change_ci_high",
    "previous_wave_id",
)


def write(wave: Wave, table: Table, sizes: dict[int, int]) -> None:
    """Insert every cell in two executemany statements (no ORM object or bookkeeping per
    row: a large organisation has tens of thousands of cells)."""
    values_of = operator.attrgetter(*FIELDS)
    wave_id = wave.id  # read once: an ORM attribute costs a lookup on every read
    team_rows, group_rows = [], []
    for (level, team_id), by_scale in table.items():
        if level == "team":
            size = sizes.get(team_id)
            team_rows += [
                (wave_id, team_id, scale, size, *values_of(cell))
                for scale, cell in by_scale.items()
            ]
        else:
            group_rows += [
                (wave_id, level, team_id, scale, *values_of(cell))
                for scale, cell in by_scale.items()
            ]
    team_columns = ("wave_id", "team_id", "scale", "team_size", *FIELDS)
    group_columns = ("wave_id", "level", "team_id", "scale", *FIELDS)
    _insert_many(TeamScaleResult.__table__, team_columns, team_rows)
    _insert_many(GroupScaleResult.__table__, group_columns, group_rows)


def _insert_many(table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """One driver-level executemany of ``rows`` (tuples in the order of ``columns``).

    SQLAlchemy's own executemany binds and processes every parameter of every row in
    Python, which costs more than the insert itself for tens of thousands of plain numbers
    and strings; the driver takes tuples as they are.
    """
    if not rows:
        return
    connection = db.session.connection()
    compiled = table.insert().compile(dialect=connection.dialect, column_keys=list(columns))
    if compiled.positional:
        if tuple(compiled.positiontup) != columns:
            rows = list(map(operator.itemgetter(*map(columns.index, compiled.positiontup)), rows))
        params = rows
    else:
        params = [dict(zip(columns, row, strict=True)) for row in rows]
    connection.exec_driver_sql(str(compiled), params)
