"""An intervention's measured effect: a difference in differences between two closed waves.

The wave *before* is the intervention's teams' last closed wave that closed by its first
day; the wave *after* is their first closed wave that opened after its last day. On each
scale the playbook works on, and on both kinds of trust, the change of the intervention's
teams is compared with the change of the other teams of the same two waves that had no
intervention logged in between (:func:`trust.difference_in_differences`, one mean per team,
so a large team does not outweigh the rest). Only stored team means are used: a team below
k in either wave is left out, as on every result page (anonymity invariant 2). Too few
comparison teams give no number, and say so, rather than an interval too wide to read.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import numpy as np

import trust
from surveys import playbooks
from surveys.db import db
from surveys.models import Intervention, TeamScaleResult, Wave, intervention_team, wave_team

OUTCOMES = ("cognitive_trust", "affective_trust")
MIN_COMPARISON = 3  # fewer comparison teams leave t intervals of 1 degree of freedom or none


@dataclass(frozen=True)
class ScaleEffect:
    scale: str
    effect: float | None  # None: not measured, see ``missing``
    ci_low: float | None
    ci_high: float | None
    n_treated: int
    n_comparison: int
    missing: str = ""  # "" | "not_shown" (a treated team below k) | "few_comparison"

    @property
    def interval_includes_zero(self) -> bool:
        return self.ci_low is not None and self.ci_low <= 0 <= self.ci_high


@dataclass(frozen=True)
class Effect:
    before: Wave
    after: Wave
    scales: list[ScaleEffect]


def _when(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def waves_around(intervention: Intervention) -> tuple[Wave | None, Wave | None]:
    """The closed waves of all its teams just before its first day and just after its last."""
    team_ids = [t.id for t in intervention.teams]
    if not team_ids:
        return None, None
    with_all = (
        db.select(wave_team.c.wave_id)
        .where(wave_team.c.team_id.in_(team_ids))
        .group_by(wave_team.c.wave_id)
        .having(db.func.count() == len(team_ids))
    )
    closed = db.select(Wave).where(Wave.id.in_(with_all), Wave.closed_at.is_not(None))
    before = db.session.scalar(
        closed.where(Wave.closes_at <= _when(intervention.starts_on))
        .order_by(Wave.closes_at.desc(), Wave.id.desc())
        .limit(1)
    )
    after = db.session.scalar(
        closed.where(Wave.opens_at >= _when(intervention.ends_on + dt.timedelta(days=1)))
        .order_by(Wave.opens_at, Wave.id)
        .limit(1)
    )
    return before, after


def _shown_means(wave: Wave) -> dict[str, dict[int, float]]:
    """Stored, measured means of the teams shown on each scale, as the heatmap shows them.

    A cell below k or withheld by complementary suppression has no mean; trust estimated
    from the drivers (a pulse wave) is left out, since its change would be the model's.
    """
    rows = db.session.scalars(
        db.select(TeamScaleResult).where(
            TeamScaleResult.wave_id == wave.id,
            TeamScaleResult.suppressed.is_(None),
            TeamScaleResult.estimate.is_(None),
            TeamScaleResult.mean.is_not(None),
        )
    )
    means: dict[str, dict[int, float]] = {}
    for row in rows:
        if row.n >= wave.k:
            means.setdefault(row.scale, {})[row.team_id] = row.mean
    return means


def _treated_between(before: Wave, after: Wave) -> set[int]:
    """Teams with any intervention logged between the two waves (not comparable)."""
    rows = db.session.execute(
        db.select(intervention_team.c.team_id)
        .join(Intervention, Intervention.id == intervention_team.c.intervention_id)
        .where(
            Intervention.ends_on >= before.closes_at.date(),
            Intervention.starts_on <= after.opens_at.date(),
        )
    ).all()
    return {team_id for (team_id,) in rows}


def measure(intervention: Intervention, _means: dict | None = None) -> Effect | None:
    """The effect on its playbook's scales and both kinds of trust; None until measurable.

    ``_means`` caches each wave's stored means across the interventions of one page.
    """
    before, after = waves_around(intervention)
    if before is None or after is None:
        return None
    cache = {} if _means is None else _means
    for wave in (before, after):
        if wave.id not in cache:
            cache[wave.id] = _shown_means(wave)
    playbook = playbooks.get(intervention.playbook_key)
    targets = [*(playbook.drivers if playbook else ()), *OUTCOMES]
    scales = list(dict.fromkeys(targets))
    means_before, means_after = cache[before.id], cache[after.id]
    treated_ids = {t.id for t in intervention.teams}
    excluded = _treated_between(before, after) - treated_ids
    found = []
    for scale in scales:
        b, a = means_before.get(scale), means_after.get(scale)
        if b is None and a is None:
            continue  # neither wave asked it (a pulse wave has no outcomes)
        found.append(_scale_effect(scale, b or {}, a or {}, treated_ids, excluded))
    return Effect(before, after, found)


def _scale_effect(scale, before, after, treated_ids, excluded) -> ScaleEffect:
    both = sorted(set(before) & set(after))
    treated = [t for t in both if t in treated_ids]
    comparison = [t for t in both if t not in treated_ids and t not in excluded]
    if len(treated) < len(treated_ids):
        return ScaleEffect(scale, None, None, None, len(treated), len(comparison), "not_shown")
    if len(comparison) < MIN_COMPARISON:
        return ScaleEffect(scale, None, None, None, len(treated), len(comparison), "few_comparison")
    teams = treated + comparison
    with warnings.catch_warnings():
        # No variation in the comparison teams' changes leaves the interval NaN; the page
        # shows the effect without one instead of repeating the warning.
        warnings.simplefilter("ignore", trust.DegenerateDataWarning)
        result = trust.difference_in_differences(
            np.array([before[t] for t in teams]),
            np.array([after[t] for t in teams]),
            np.array([t in treated_ids for t in teams]),
        )
    low, high = result.ci_low, result.ci_high
    return ScaleEffect(
        scale,
        result.effect,
        None if np.isnan(low) else low,
        None if np.isnan(high) else high,
        result.n_treated,
        result.n_comparison,
    )


def for_interventions(listed: list[Intervention]) -> dict[int, Effect | None]:
    """The measured effect of each intervention, by id (None: no wave after it closed yet)."""
    means: dict[int, dict[str, dict[int, float]]] = {}
    return {i.id: measure(i, means) for i in listed}
