"""Team profiles for the recommendation rules, read from a closed wave's stored results.

Only stored numbers are read: a team or scale below k has none (anonymity invariant 2), so it
adds nothing to the organisation's means and gets no recommendation. The organisation's mean
of a scale pools the respondents of the teams shown on it (team means weighted by their n).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import trust
from surveys import instruments, playbooks
from surveys.db import db
from surveys.models import Team, TeamScaleResult, Wave, wave_team
from surveys.services.recommendations import (
    DRIVERS,
    Recommendation,
    TeamProfile,
    model_weights,
    recommend,
)


@dataclass(frozen=True)
class TeamRecommendations:
    team_id: int
    team: str
    recommendations: list[Recommendation]
    below_k: bool  # fewer than k answered: nothing is shown, nothing recommended


def trust_model(scale_keys) -> trust.TrustModel | None:
    """The theory-based model over the wave's drivers (labelled uncalibrated), or None."""
    drivers = [d for d in DRIVERS if d in scale_keys]
    return trust.default_trust_model(drivers) if drivers else None


def scale_names(wave: Wave) -> dict[str, Mapping[str, str]]:
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    return {scale.key: scale.name for scale in instrument.scales}


def _shown(rows, k: int) -> dict[int, dict[str, TeamScaleResult]]:
    by_team: dict[int, dict[str, TeamScaleResult]] = {}
    for row in rows:
        if row.n >= k and row.mean is not None:
            by_team.setdefault(row.team_id, {})[row.scale] = row
    return by_team


def organisation_means(wave: Wave) -> dict[str, float]:
    """Each scale's mean over the respondents of the teams shown on it."""
    rows = db.session.scalars(db.select(TeamScaleResult).where(TeamScaleResult.wave_id == wave.id))
    totals: dict[str, tuple[float, int]] = {}
    for scales in _shown(rows, wave.k).values():
        for scale, row in scales.items():
            total, n = totals.get(scale, (0.0, 0))
            totals[scale] = (total + row.mean * row.n, n + row.n)
    return {scale: total / n for scale, (total, n) in totals.items() if n}


def previous_wave(wave: Wave, team_id: int) -> Wave | None:
    """The team's last closed wave before this one."""
    return db.session.scalar(
        db.select(Wave)
        .join(wave_team, wave_team.c.wave_id == Wave.id)
        .where(
            wave_team.c.team_id == team_id,
            Wave.id != wave.id,
            Wave.closed_at.is_not(None),
            Wave.closes_at < wave.closes_at,
        )
        .order_by(Wave.closes_at.desc(), Wave.id.desc())
        .limit(1)
    )


def profiles(wave: Wave, visible: set[int] | None) -> list[TeamProfile]:
    """A profile of every visible team of a closed wave (below-k teams have ``n`` < k)."""
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    floor = {s.key: (s.response_scale.min + s.response_scale.max) / 2 for s in instrument.scales}
    organisation = organisation_means(wave)
    model = trust_model(floor)
    cognitive, affective = model_weights(model) if model else ({}, {})
    query = (
        db.select(TeamScaleResult, Team.name)
        .join(Team, TeamScaleResult.team_id == Team.id)
        .where(TeamScaleResult.wave_id == wave.id)
        .order_by(Team.name)
    )
    if visible is not None:
        query = query.where(TeamScaleResult.team_id.in_(visible))
    rows: dict[int, tuple[str, list[TeamScaleResult]]] = {}
    for row, name in db.session.execute(query).all():
        rows.setdefault(row.team_id, (name, []))[1].append(row)
    out = []
    for team_id, (name, results) in rows.items():
        shown = _shown(results, wave.k).get(team_id, {})
        before = previous_wave(wave, team_id)
        previous = {}
        if before is not None:
            earlier = db.session.scalars(
                db.select(TeamScaleResult).where(
                    TeamScaleResult.wave_id == before.id, TeamScaleResult.team_id == team_id
                )
            )
            previous = {s: r.mean for s, r in _shown(earlier, before.k).get(team_id, {}).items()}
        out.append(
            TeamProfile(
                team=name,
                n=max((r.n for r in results), default=0),
                k=wave.k,
                means={s: r.mean for s, r in shown.items()},
                organisation=organisation,
                floor=floor,
                rwg={s: r.rwg_j for s, r in shown.items() if r.rwg_j is not None},
                previous=previous,
                cognitive_weights=cognitive,
                affective_weights=affective,
                calibrated=model.calibrated if model else False,
            )
        )
    return out


def playbook_for() -> dict[str, str]:
    """Signal -> key of the loaded playbook suggested for it."""
    catalogue = playbooks.current()
    return {
        signal: found.key
        for signal in playbooks.SIGNALS
        if (found := catalogue.for_signal(signal)) is not None
    }


def wave_recommendations(wave: Wave, visible: set[int] | None) -> list[TeamRecommendations]:
    """Every visible team's recommendations, teams with the costliest gap first.

    Empty for a wave that is not closed: scores are not shown before (invariant 3).
    """
    if wave.closed_at is None:
        return []
    mapping = playbook_for()
    ids = {name: team_id for team_id, name in _team_names(wave, visible).items()}
    found = [
        TeamRecommendations(ids[p.team], p.team, recommend(p, mapping), p.n < p.k)
        for p in profiles(wave, visible)
    ]
    return sorted(
        found,
        key=lambda t: (-(t.recommendations[0].score if t.recommendations else 0.0), t.team),
    )


def _team_names(wave: Wave, visible: set[int] | None) -> dict[int, str]:
    return {t.id: t.name for t in wave.teams if visible is None or t.id in visible}


def team_recommendations(wave: Wave, team_id: int) -> list[Recommendation]:
    """One team's recommendations in a closed wave (for the team page); none below k."""
    if wave.closed_at is None:
        return []
    found = profiles(wave, {team_id})
    return recommend(found[0], playbook_for()) if found else []
