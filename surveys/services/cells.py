"""The cells of a closing wave: one per team, department or organisation and scale.

Built in named steps by :func:`surveys.services.results.store`: :func:`measured` (the
statistics of every group from :func:`trust.analyze`, and suppression),
:func:`add_estimates` (trust estimated from the drivers of a pulse wave), then
:mod:`surveys.services.changes`, then :func:`write`.
"""

from __future__ import annotations

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


def _cells_from(found: dict, scale_keys: list[str]) -> dict[str, Cell]:
    by_scale = found.get("scales", {})
    out = {}
    for key in scale_keys:
        values = by_scale.get(key, {})
        out[key] = Cell(
            n=int(values.get("n") or 0),
            **{name: values.get(name) for name in NUMBERS},
        )
    return out


def measured(
    wave: Wave,
    instrument: trust.Instrument,
    answers: np.ndarray,
    teams: np.ndarray,
    tree: WaveTree,
    sizes: dict[int, int],
    population: dict[int, int],
) -> tuple[Table, dict]:
    """Every group's statistics on every scale, suppressed where the rule says so.

    One call of :func:`trust.analyze` for the teams; every department and the
    organisation at once from :func:`_group_statistics`. Returns the cells and the
    scale-level statistics over every respondent.
    """
    scale_keys = [scale.key for scale in instrument.scales]
    analysis = (
        trust.analyze(answers, teams, instrument, team_size=sizes).to_json() if len(teams) else {}
    )
    by_team = analysis.get("teams", {})
    rows, codes, labels = rollups.expand_to_groups(teams, tree)
    by_group = _group_statistics(
        answers, rows, codes, labels, instrument, rollups.group_sizes(tree, population)
    )
    table: Table = {}
    team_n: dict[Node, int] = {}
    for node in tree.parent:
        if node[0] == "team":
            found = by_team.get(str(node[1]), {})
            team_n[node] = int(found.get("n") or 0)
        else:
            found = by_group.get(rollups.group_label(node), {})
        table[node] = _cells_from(found, scale_keys)
    for key in scale_keys:
        n = {node: table[node][key].n for node in tree.parent}
        small = {node for node, count in team_n.items() if count < wave.k}
        reasons = suppression.suppress(tree.parent, n, wave.k, below_k=small)
        for node, reason in reasons.items():
            cell = table[node][key]
            cell.suppressed = reason
            if reason:
                for name in NUMBERS:
                    setattr(cell, name, None)
    return table, analysis.get("scales", {})


def _group_statistics(
    answers: np.ndarray,
    rows: np.ndarray,
    codes: np.ndarray,
    labels: list[str],
    instrument: trust.Instrument,
    sizes: dict[str, int],
) -> dict[str, dict]:
    """n, mean, SD, interval and rwg(j) of every group on every scale, as trust.analyze
    gives them for teams (:func:`trust.team_summary`, :func:`trust.rwg_j`).

    ``rows`` repeats each respondent once per group above their team, ``codes`` gives the
    group of each copy and ``labels`` the label of each code
    (:func:`rollups.expand_to_groups`). Reliability and ICCs are not computed here: they
    describe a scale over teams, not a group.
    """
    if not len(rows):
        return {}
    scores = scale_scores(answers, instrument)[rows]
    per_respondent = np.array([sizes.get(label, np.nan) for label in labels], dtype=float)[codes]
    with warnings.catch_warnings():
        # A group of one has no SD or interval: None in the cell, as for a team.
        warnings.simplefilter("ignore", trust.DegenerateDataWarning)
        summary = trust.team_summary(scores, codes, team_size=per_respondent)
        bounds = np.cumsum([0] + [len(scale.items) for scale in instrument.scales])
        agreement = [
            trust.rwg_j(
                answers[rows, bounds[s] : bounds[s + 1]],
                codes,
                scale.response_scale.n_options,
            ).rwg_j
            for s, scale in enumerate(instrument.scales)
        ]

    def number(value) -> float | None:
        return float(value) if np.isfinite(value) else None

    out = {}
    for g, code in enumerate(summary.team.tolist()):
        out[labels[code]] = {
            "scales": {
                scale.key: {
                    "n": int(summary.n[g, s]),
                    "mean": number(summary.mean[g, s]),
                    "sd": number(summary.sd[g, s]),
                    "ci_low": number(summary.ci_low[g, s]),
                    "ci_high": number(summary.ci_high[g, s]),
                    "rwg_j": number(agreement[s][g]),
                }
                for s, scale in enumerate(instrument.scales)
            }
        }
    return out


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


def _fields(cell: Cell) -> dict:
    return {
        "n": cell.n,
        **{name: getattr(cell, name) for name in NUMBERS},
        "estimate": cell.estimate,
        "suppressed": cell.suppressed,
        "change": cell.change,
        "change_ci_low": cell.change_ci_low,
        "change_ci_high": cell.change_ci_high,
        "previous_wave_id": cell.previous_wave_id,
    }


def write(wave: Wave, table: Table, sizes: dict[int, int]) -> None:
    """Insert every cell in two executemany statements (no ORM object or bookkeeping per
    row: a large organisation has tens of thousands of cells)."""
    team_rows, group_rows = [], []
    for node, by_scale in table.items():
        for scale, cell in by_scale.items():
            if node[0] == "team":
                team_rows.append(
                    {
                        "wave_id": wave.id,
                        "team_id": node[1],
                        "scale": scale,
                        "team_size": sizes.get(node[1]),
                        **_fields(cell),
                    }
                )
            else:
                group_rows.append(
                    {
                        "wave_id": wave.id,
                        "level": node[0],
                        "team_id": node[1],
                        "scale": scale,
                        **_fields(cell),
                    }
                )
    _insert_many(TeamScaleResult.__table__, team_rows)
    _insert_many(GroupScaleResult.__table__, group_rows)


def _insert_many(table, rows: list[dict]) -> None:
    """One driver-level executemany of ``rows`` (dicts with the same keys) into ``table``.

    SQLAlchemy's own executemany binds and processes every parameter of every row in
    Python, which costs more than the insert itself for tens of thousands of plain numbers
    and strings; the driver takes tuples as they are.
    """
    if not rows:
        return
    connection = db.session.connection()
    compiled = table.insert().compile(dialect=connection.dialect, column_keys=list(rows[0]))
    if compiled.positional:
        params = [tuple(row[name] for name in compiled.positiontup) for row in rows]
    else:
        params = rows
    connection.exec_driver_sql(str(compiled), params)
