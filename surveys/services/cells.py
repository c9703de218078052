"""The cells of a closing wave: one per team, department or organisation and scale.

Built in named steps by :func:`surveys.services.results.store`: :func:`measured` (the
statistics of every group from :func:`trust.analyze`, and suppression),
:func:`add_estimates` (trust estimated from the drivers of a pulse wave), then
:mod:`surveys.services.changes`, then :func:`write`.
"""

from __future__ import annotations

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
from surveys.services.calibration import OUTCOMES
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

    Two calls of :func:`trust.analyze`: the teams, and every department and the
    organisation at once (each respondent repeated once per group above their team).
    Returns the cells and the scale-level statistics over every respondent.
    """
    scale_keys = [scale.key for scale in instrument.scales]
    analysis = trust.analyze(answers, teams, instrument, team_size=sizes) if len(teams) else {}
    by_team = analysis.get("teams", {})
    rows, labels = rollups.expand_to_groups(teams, tree)
    by_group = (
        trust.analyze(
            answers[rows], labels, instrument, team_size=rollups.group_sizes(tree, population)
        )["teams"]
        if len(rows)
        else {}
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
    """Insert every cell in two bulk statements (no ORM object per row)."""
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
    if team_rows:
        db.session.execute(db.insert(TeamScaleResult), team_rows)
    if group_rows:
        db.session.execute(db.insert(GroupScaleResult), group_rows)
