"""Change of every shown cell from the previous wave of the same teams.

The previous wave is the latest wave closed before this one that shares a team with it.
A change is stored only where both values were shown, and only when the earlier value
recomputed now is exactly the stored one (same respondents, same scoring): a department
whose teams moved since would otherwise get a change that reveals the mean of a group no
one was shown (anonymity invariant 2, across waves).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import trust
from surveys import instruments
from surveys.db import db
from surveys.models import GroupScaleResult, TeamScaleResult, Wave, wave_team
from surveys.services import rollups
from surveys.services.calibration import scale_scores
from surveys.services.cells import Table
from surveys.services.rollups import Node, WaveTree

# Stored means are floats the earlier close computed from the same answers: equal up to
# the rounding of a different summation order.
SAME_MEAN = 1e-9


def previous_wave(wave: Wave) -> Wave | None:
    shared = db.select(wave_team.c.wave_id).where(
        wave_team.c.team_id.in_(
            db.select(wave_team.c.team_id).where(wave_team.c.wave_id == wave.id)
        )
    )
    return db.session.scalar(
        db.select(Wave)
        .where(
            Wave.id != wave.id,
            Wave.closed_at.is_not(None),
            Wave.closed_at <= wave.closed_at,
            Wave.id.in_(shared),
        )
        .order_by(Wave.closed_at.desc(), Wave.id.desc())
        .limit(1)
    )


def _stored(wave: Wave) -> dict[tuple[Node, str], tuple[int, float]]:
    """(n, mean) of every shown cell of an earlier wave, by node and scale."""
    out = {}
    for team_id, scale, n, mean in db.session.execute(
        db.select(
            TeamScaleResult.team_id, TeamScaleResult.scale, TeamScaleResult.n, TeamScaleResult.mean
        ).where(
            TeamScaleResult.wave_id == wave.id,
            TeamScaleResult.suppressed.is_(None),
            TeamScaleResult.estimate.is_(None),
            TeamScaleResult.mean.is_not(None),
        )
    ):
        out[(("team", team_id), scale)] = (n, mean)
    for level, team_id, scale, n, mean in db.session.execute(
        db.select(
            GroupScaleResult.level,
            GroupScaleResult.team_id,
            GroupScaleResult.scale,
            GroupScaleResult.n,
            GroupScaleResult.mean,
        ).where(
            GroupScaleResult.wave_id == wave.id,
            GroupScaleResult.suppressed.is_(None),
            GroupScaleResult.estimate.is_(None),
            GroupScaleResult.mean.is_not(None),
        )
    ):
        out[((level, team_id), scale)] = (n, mean)
    return out


def _labelled(scores: np.ndarray, teams: np.ndarray, tree: WaveTree):
    """Scores repeated for the team and for every group above it, with node labels."""
    rows, codes, names = rollups.expand_to_groups(teams, tree)
    groups = np.array(names, dtype=str)[codes] if len(codes) else np.zeros(0, dtype=str)
    labels = np.concatenate([np.char.add("team:", teams.astype(str)), groups])
    return np.concatenate([scores, scores[rows]]), labels


def add_changes(
    wave: Wave,
    instrument: trust.Instrument,
    answers: np.ndarray,
    teams: np.ndarray,
    tree: WaveTree,
    table: Table,
    read_answers,
) -> None:
    """Set the change of every cell shown in both waves, with its Welch interval.

    ``read_answers(wave, item_keys)`` reads the earlier wave's answers
    (:func:`surveys.services.results.answer_matrix`).
    """
    before_wave = previous_wave(wave)
    if before_wave is None or not len(teams):
        return
    try:
        before_instrument = instruments.get(
            before_wave.instrument_key, before_wave.instrument_version
        )
    except instruments.InstrumentUnavailableError:
        return
    before_answers, before_teams = read_answers(before_wave, before_instrument.item_keys)
    if not len(before_teams):
        return
    stored = _stored(before_wave)
    after_scores, after_labels = _labelled(scale_scores(answers, instrument), teams, tree)
    before_scores, before_labels = _labelled(
        scale_scores(before_answers, before_instrument), before_teams, tree
    )
    node_of = {_label(node): node for node in table}
    before_column = {scale.key: s for s, scale in enumerate(before_instrument.scales)}
    for s, scale in enumerate(instrument.scales):
        b = before_column.get(scale.key)
        if b is None or before_instrument.scales[b].response_scale != scale.response_scale:
            continue
        with warnings.catch_warnings():
            # Cells without two scores in a wave get no change; that is not news here.
            warnings.simplefilter("ignore", trust.DegenerateDataWarning)
            found = trust.team_change(
                before_scores[:, b], before_labels, after_scores[:, s], after_labels
            )
        # The earlier mean, recomputed, to compare with what was shown then.
        for i, label in enumerate(found.team.tolist()):
            node = node_of.get(label)
            if node is None:
                continue
            cell = table[node][scale.key]
            earlier = stored.get((node, scale.key))
            diff = float(found.difference[i])
            if cell.suppressed or earlier is None or not math.isfinite(diff):
                continue
            n_before, mean_before = earlier
            recomputed = cell.mean - diff
            if int(found.n_before[i]) != n_before or abs(recomputed - mean_before) > SAME_MEAN:
                continue
            cell.change = diff
            cell.change_ci_low = float(found.ci_low[i])
            cell.change_ci_high = float(found.ci_high[i])
            cell.previous_wave_id = before_wave.id


def _label(node: Node) -> str:
    return f"team:{node[1]}" if node[0] == "team" else rollups.group_label(node)
