"""The cells of a closing wave: one per team, department or organisation and scale.

Built in named steps by :func:`surveys.services.results.store`: :func:`measured` (the
statistics of every group from :func:`trust.analyze`, and suppression),
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
) -> Table:
    """Every group's statistics on every scale, suppressed where the rule says so.

    Every team, department and the organisation at once from :func:`_group_statistics`
    (a team is the group of its own respondents). The scale-level statistics (reliability,
    ICCs) are computed afterwards over the shown teams only
    (:func:`surveys.services.results.store`).
    """
    scale_keys = [scale.key for scale in instrument.scales]
    rows, codes, labels = rollups.expand_to_groups(teams, tree)
    # Each respondent once more, in the group of their own team (codes after the others').
    team_ids, own = np.unique(teams, return_inverse=True)
    own = own.reshape(-1)
    rows = np.concatenate([np.arange(len(teams)), rows])
    codes = np.concatenate([own + len(labels), codes])
    labels = labels + [rollups.group_label(("team", t)) for t in team_ids.tolist()]
    population_of = rollups.group_sizes(tree, population)
    population_of.update({rollups.group_label(("team", t)): n for t, n in sizes.items()})
    found = _group_statistics(answers, rows, codes, labels, instrument, population_of)
    members = dict(zip(team_ids.tolist(), np.bincount(own).tolist(), strict=True))
    table: Table = {}
    team_n: dict[Node, int] = {}
    for node in tree.parent:
        if node[0] == "team":
            team_n[node] = members.get(node[1], 0)
        cells = found.get(rollups.group_label(node))
        table[node] = cells if cells is not None else _empty(scale_keys)
    for key in scale_keys:
        n = {node: table[node][key].n for node in tree.parent}
        small = {node for node, count in team_n.items() if count < wave.k}
        reasons = suppression.suppress(tree.parent, n, wave.k, below_k=small)
        for node, reason in reasons.items():
            if reason:
                cell = table[node][key]
                cell.suppressed = reason
                for name in NUMBERS:
                    setattr(cell, name, None)
    return table


def _group_statistics(
    answers: np.ndarray,
    rows: np.ndarray,
    codes: np.ndarray,
    labels: list[str],
    instrument: trust.Instrument,
    sizes: dict[str, int],
) -> dict[str, dict[str, Cell]]:
    """n, mean, SD, interval and rwg(j) of every group on every scale, as trust.analyze
    gives them for teams (:func:`trust.team_summary`, :func:`trust.rwg_j`).

    ``rows`` repeats each respondent once per group they count in, ``codes`` gives the
    group of each copy and ``labels`` the label of each code
    (:func:`rollups.expand_to_groups`). Reliability and ICCs are not computed here: they
    describe a scale over teams, not a group.
    """
    if not len(rows):
        return {}
    # Copies sorted by group once: every grouped sum below is then one pass over
    # contiguous runs, and the sorts inside trust meet sorted codes.
    order = np.argsort(codes, kind="stable")
    rows, codes = rows[order], codes[order]
    scores = scale_scores(answers, instrument)[rows]
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
