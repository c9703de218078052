"""Team profiles for the recommendation rules, read from a closed wave's stored heatmap.

Only what the heatmap shows is read (:func:`surveys.services.results.heatmap`): a cell below
k, or withheld so that no smaller group can be computed, has no numbers (anonymity
invariant 2), so it is never a finding. The organisation's means are the heatmap's
organisation row, which pools every team's respondents. Trust estimated from the drivers
(pulse waves) is not read as if it were measured: the rules see measured scales only. The
weights are the trust model's (the latest calibration when it fits the wave's drivers, else
the theory defaults, labelled uncalibrated).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import trust
from surveys import instruments, playbooks
from surveys.db import db
from surveys.models import Wave, wave_team
from surveys.services import calibration, effects, interventions, results
from surveys.services.heatmap import HeatCell
from surveys.services.recommendations import (
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
    withheld: bool  # no number of the team is shown: nothing is recommended
    level: str = "team"  # or "department": pooled over its teams, small ones included


def trust_model(scale_keys) -> trust.TrustModel | None:
    """The model over the wave's drivers (calibrated when it fits them), or None.

    The drivers go in the calibration's order, the order a stored calibration names them
    in: in any other order the calibration would never match, and every recommendation
    would rank by the theory defaults even in an organisation with a fitted model.
    """
    drivers = tuple(d for d in calibration.DRIVERS if d in scale_keys)
    return calibration.model_for(drivers)[0] if drivers else None


def scale_names(wave: Wave) -> dict[str, Mapping[str, str]]:
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    return {scale.key: scale.name for scale in instrument.scales}


def _measured(cells: Mapping[str, HeatCell]) -> dict[str, HeatCell]:
    return {
        scale: cell
        for scale, cell in cells.items()
        if cell.suppressed is None and cell.mean is not None and cell.estimate is None
    }


def profiles(
    wave: Wave, visible: set[int] | None, levels: tuple[str, ...] = ("team",)
) -> list[tuple[int, str, TeamProfile]]:
    """(team id, level, profile) of every visible team (or department) of a closed wave.

    A department's profile is its heatmap row, pooled over its teams: a team too small to
    show counts there, so its department may get a recommendation where it cannot.
    """
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    floor = {s.key: (s.response_scale.min + s.response_scale.max) / 2 for s in instrument.scales}
    model = trust_model(floor)
    cognitive, affective = model_weights(model) if model else ({}, {})
    rows = results.heatmap(wave, visible)
    organisation = next((row for row in rows if row.level == "organisation"), None)
    org_means = {
        s: c.mean for s, c in _measured(organisation.cells if organisation else {}).items()
    }
    out = []
    for row in sorted((r for r in rows if r.level in levels), key=lambda r: r.name):
        shown = _measured(row.cells)
        profile = TeamProfile(
            team=row.name,
            n=max((c.n for c in row.cells.values()), default=0),
            k=wave.k,
            means={s: c.mean for s, c in shown.items()},
            organisation=org_means,
            floor=floor,
            rwg={s: c.rwg_j for s, c in shown.items() if c.rwg_j is not None},
            changes={
                s: (c.change, c.change_ci_low, c.change_ci_high)
                for s, c in shown.items()
                if c.change is not None
            },
            cognitive_weights=cognitive,
            affective_weights=affective,
            calibrated=model.calibrated if model else False,
        )
        out.append((row.team_id, row.level, profile))
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
    """Every visible department's and team's recommendations, the costliest gap first.

    Empty for a wave that is not closed: scores are not shown before (invariant 3).
    """
    if wave.closed_at is None:
        return []
    mapping = playbook_for()
    found = [
        TeamRecommendations(team_id, p.team, recommend(p, mapping), not p.means, level)
        for team_id, level, p in profiles(wave, visible, ("department", "team"))
    ]
    return sorted(
        found,
        key=lambda t: (-(t.recommendations[0].score if t.recommendations else 0.0), t.team),
    )


def latest_closed_wave(team_id: int) -> Wave | None:
    """The team's most recent closed wave."""
    return db.session.scalar(
        db.select(Wave)
        .join(wave_team, wave_team.c.wave_id == Wave.id)
        .where(wave_team.c.team_id == team_id, Wave.closed_at.is_not(None))
        .order_by(Wave.closes_at.desc(), Wave.id.desc())
        .limit(1)
    )


def team_recommendations(wave: Wave, team_id: int) -> list[Recommendation]:
    """One team's recommendations in a closed wave (for the team page); none below k."""
    if wave.closed_at is None:
        return []
    found = [p for tid, _level, p in profiles(wave, {team_id}) if tid == team_id]
    return recommend(found[0], playbook_for()) if found else []


def team_sections(wave: Wave | None, team, visible: set[int] | None) -> dict:
    """The context of the recommendations and interventions partials for one team's page.

    ``wave`` is the closed wave the page is about (None: no closed wave, no suggestions);
    the interventions are those the viewer may see, with their measured effects.
    """
    listed = interventions.for_team(team.id, visible)
    closed = wave is not None and wave.closed_at is not None
    return {
        "team": team,
        "team_id": team.id,
        "recommendations": team_recommendations(wave, team.id) if closed else [],
        "names": scale_names(wave) if closed else {},
        "interventions": listed,
        "effects": effects.for_interventions(listed),
    }
