"""See together (共同看见): a team's results, shown to its respondents after the wave closes.

A respondent's own link shows, after the wave closes, the numbers a facilitator sees for that
team, read from the rows stored at close (never recomputed, so a cell withheld there stays
withheld here) and the playbooks suggested for the team, nothing more. A team with no shown
number (below k) shows nothing. The page is the same for a used and an unused link: it is
chosen by the invitation's wave and team alone, so it says nothing about who answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from surveys import playbooks
from surveys.db import db
from surveys.models import Organisation, Team, TeamScaleResult, Wave
from surveys.services import audit, heatmap, organisation, readings, team_profiles


@dataclass(frozen=True)
class SharedScale:
    """One scale of the team as stored at close; ``withheld`` cells carry no number."""

    key: str
    withheld: bool
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    rwg_j: float | None
    estimated: bool
    change: float | None
    change_ci_low: float | None
    change_ci_high: float | None


@dataclass(frozen=True)
class Suggestion:
    """A playbook suggested for the team, in every language it has."""

    key: str
    name: Mapping[str, str]
    summary: Mapping[str, str]


@dataclass(frozen=True)
class SharedResults:
    team: str
    wave: str
    n: int  # respondents of the team with a score on some scale
    scales: list[SharedScale]
    suggestions: list[Suggestion]
    # Invitations an admin confirmed after the wave opened: the team may have been pushed
    # past k with people added late, which the page says as the facilitators' pages do (†).
    issued_after_open: int = 0


def sharing_on() -> bool:
    """Whether respondents see their team's results (on unless an admin turned it off)."""
    return organisation.settings().share_results_with_respondents


def set_sharing(on: bool) -> None:
    """Turn sharing with respondents on or off for the organisation, and commit."""
    org = organisation.organisation()
    if org is None:
        org = Organisation(name="")
        db.session.add(org)
    org.share_results_with_respondents = on
    db.session.commit()
    organisation.forget()


def team_results(wave: Wave, team_id: int) -> SharedResults | None:
    """The team's stored results of a closed wave, or None when nothing may be shown.

    None when sharing is off, the wave has not closed (its results are not stored yet), or
    no number of the team is shown (below k on every scale, or withheld on every one).
    """
    if wave.closed_at is None or not sharing_on():
        return None
    stored = {
        row.scale: row
        for row in db.session.scalars(
            db.select(TeamScaleResult).where(
                TeamScaleResult.wave_id == wave.id, TeamScaleResult.team_id == team_id
            )
        )
    }
    # The heatmap's columns: the drivers, then both kinds of trust, measured or estimated.
    ranges = heatmap.response_ranges(wave)
    scales = [
        _shared_scale(stored[key], wave.k, ranges.get(key))
        for key in heatmap.columns(wave)
        if key in stored
    ]
    if all(scale.withheld for scale in scales):
        return None
    team = db.session.get(Team, team_id)
    return SharedResults(
        team=team.name,
        wave=wave.name,
        n=max(row.n for row in stored.values()),
        scales=scales,
        suggestions=suggestions(wave, team_id),
        issued_after_open=audit.issued_after_open([wave.id], {team_id})
        .get(wave.id, {})
        .get(team_id, 0),
    )


def _shared_scale(row: TeamScaleResult, k: int, bounds: tuple[float, float] | None) -> SharedScale:
    # A stored row below k has no numbers; one at k or above may still be withheld so that
    # no smaller group can be computed by subtraction. Either way nothing is shown.
    withheld = row.suppressed is not None or row.n < k or row.mean is None
    ci_low, ci_high = row.ci_low, row.ci_high
    if bounds is not None:  # cut to the response range, as the facilitators' pages show it
        ci_low, ci_high, _cut = readings.clip_interval(ci_low, ci_high, *bounds)
    return SharedScale(
        key=row.scale,
        withheld=withheld,
        mean=None if withheld else row.mean,
        ci_low=None if withheld else ci_low,
        ci_high=None if withheld else ci_high,
        rwg_j=None if withheld else row.rwg_j,
        estimated=row.estimate is not None,
        change=None if withheld else row.change,
        change_ci_low=None if withheld else row.change_ci_low,
        change_ci_high=None if withheld else row.change_ci_high,
    )


def suggestions(wave: Wave, team_id: int) -> list[Suggestion]:
    """The playbooks recommended for the team on its facilitators' team page, each once."""
    out: list[Suggestion] = []
    for recommendation in team_profiles.team_recommendations(wave, team_id):
        playbook = playbooks.get(recommendation.playbook)
        if playbook is None or any(s.key == playbook.key for s in out):
            continue
        out.append(
            Suggestion(
                key=playbook.key,
                name={lang: playbook.text("name", lang) for lang in playbooks.LANGUAGES},
                summary={lang: playbook.text("summary", lang) for lang in playbooks.LANGUAGES},
            )
        )
    return out
