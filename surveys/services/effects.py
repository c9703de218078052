"""An intervention's measured effect: a difference in differences between two closed waves.

The wave *before* is the intervention's teams' last closed wave that closed by its first
day; the wave *after* is their first closed wave that opened after its last day. On each
scale the playbook works on, and on both kinds of trust, the change of the intervention's
teams is compared with the change of the other teams of the same two waves that had no
intervention logged in between (:func:`trust.difference_in_differences`, one mean per team,
so a large team does not outweigh the rest). Only stored team means are used: a team below
k in either wave is left out, as on every result page (anonymity invariant 2), and the page
says how many of the intervention's teams were; with none left, there is no number. Too few
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
    missing: str = ""  # "" | "not_shown" (no treated team shown) | "few_comparison"
    # Treated teams without a shown mean in both waves (below k, or withheld), left out of
    # a measured effect: it is the change of the others.
    left_out: int = 0

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


class Reader:
    """What measuring the interventions of one page shares, read once: the closed waves and
    their teams, each wave's shown means, each pair of waves' treated teams and changes."""

    def __init__(self):
        self._closed: list[tuple[Wave, frozenset[int]]] | None = None
        self._means: dict[int, dict[str, dict[int, float]]] = {}
        self._treated: dict[tuple[int, int], set[int]] = {}
        self._changes: dict[tuple[int, int, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def closed_waves(self) -> list[tuple[Wave, frozenset[int]]]:
        if self._closed is None:
            waves = db.session.scalars(db.select(Wave).where(Wave.closed_at.is_not(None))).all()
            teams: dict[int, set[int]] = {w.id: set() for w in waves}
            rows = db.session.execute(
                db.select(wave_team.c.wave_id, wave_team.c.team_id).where(
                    wave_team.c.wave_id.in_(list(teams))
                )
            )
            for wave_id, team_id in rows:
                teams[wave_id].add(team_id)
            self._closed = [(w, frozenset(teams[w.id])) for w in waves]
        return self._closed

    def means(self, wave: Wave) -> dict[str, dict[int, float]]:
        if wave.id not in self._means:
            self._means[wave.id] = _shown_means(wave)
        return self._means[wave.id]

    def treated_between(self, before: Wave, after: Wave) -> set[int]:
        key = (before.id, after.id)
        if key not in self._treated:
            self._treated[key] = _treated_between(before, after)
        return self._treated[key]

    def changes(self, before: Wave, after: Wave, scale: str):
        """Team ids shown on the scale in both waves, and their means before and after."""
        key = (before.id, after.id, scale)
        if key not in self._changes:
            b = self.means(before).get(scale, {})
            a = self.means(after).get(scale, {})
            both = np.array(sorted(set(b) & set(a)), dtype=np.int64)
            self._changes[key] = (
                both,
                np.array([b[t] for t in both.tolist()]),
                np.array([a[t] for t in both.tolist()]),
            )
        return self._changes[key]


def waves_around(
    intervention: Intervention, reader: Reader | None = None
) -> tuple[Wave | None, Wave | None]:
    """The closed waves of all its teams just before its first day and just after its last."""
    team_ids = {t.id for t in intervention.teams}
    if not team_ids:
        return None, None
    reader = reader or Reader()
    with_all = [w for w, teams in reader.closed_waves() if team_ids <= teams]
    first, last = _when(intervention.starts_on), _when(intervention.ends_on + dt.timedelta(days=1))
    before = max(
        (w for w in with_all if w.closes_at <= first),
        key=lambda w: (w.closes_at, w.id),
        default=None,
    )
    after = min(
        (w for w in with_all if w.opens_at >= last), key=lambda w: (w.opens_at, w.id), default=None
    )
    return before, after


def _shown_means(wave: Wave) -> dict[str, dict[int, float]]:
    """Stored, measured means of the teams shown on each scale, as the heatmap shows them.

    A cell below k or withheld by complementary suppression has no mean; trust estimated
    from the drivers (a pulse wave) is left out, since its change would be the model's.
    """
    rows = db.session.execute(
        db.select(TeamScaleResult.scale, TeamScaleResult.team_id, TeamScaleResult.mean).where(
            TeamScaleResult.wave_id == wave.id,
            TeamScaleResult.suppressed.is_(None),
            TeamScaleResult.estimate.is_(None),
            TeamScaleResult.mean.is_not(None),
            TeamScaleResult.n >= wave.k,
        )
    )
    means: dict[str, dict[int, float]] = {}
    for scale, team_id, mean in rows:
        means.setdefault(scale, {})[team_id] = mean
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


def measure(intervention: Intervention, reader: Reader | None = None) -> Effect | None:
    """The effect on its playbook's scales and both kinds of trust; None until measurable."""
    reader = reader or Reader()
    before, after = waves_around(intervention, reader)
    if before is None or after is None:
        return None
    playbook = playbooks.get(intervention.playbook_key)
    scales = list(dict.fromkeys([*(playbook.drivers if playbook else ()), *OUTCOMES]))
    asked = set(reader.means(before)) | set(reader.means(after))
    treated_ids = {t.id for t in intervention.teams}
    excluded = reader.treated_between(before, after) - treated_ids
    found = []
    for scale in scales:
        if scale not in asked:
            continue  # neither wave asked it, or showed it for anyone (a pulse wave's trust)
        teams, b, a = reader.changes(before, after, scale)
        found.append(_scale_effect(scale, teams, b, a, treated_ids, excluded))
    return Effect(before, after, found)


def _scale_effect(scale, teams, before, after, treated_ids, excluded) -> ScaleEffect:
    treated = np.isin(teams, list(treated_ids))
    comparison = ~treated & ~np.isin(teams, list(excluded))
    n_treated, n_comparison = int(treated.sum()), int(comparison.sum())
    if n_treated == 0:
        return ScaleEffect(scale, None, None, None, n_treated, n_comparison, "not_shown")
    if n_comparison < MIN_COMPARISON:
        return ScaleEffect(scale, None, None, None, n_treated, n_comparison, "few_comparison")
    used = treated | comparison
    with warnings.catch_warnings():
        # No variation in the comparison teams' changes leaves the interval NaN; the page
        # shows the effect without one instead of repeating the warning.
        warnings.simplefilter("ignore", trust.DegenerateDataWarning)
        result = trust.difference_in_differences(before[used], after[used], treated[used])
    low, high = result.ci_low, result.ci_high
    return ScaleEffect(
        scale,
        result.effect,
        None if np.isnan(low) else low,
        None if np.isnan(high) else high,
        result.n_treated,
        result.n_comparison,
        left_out=len(treated_ids) - n_treated,
    )


def for_interventions(listed: list[Intervention]) -> dict[int, Effect | None]:
    """The measured effect of each intervention, by id (None: no wave after it closed yet)."""
    reader = Reader()
    return {i.id: measure(i, reader) for i in listed}
