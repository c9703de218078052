"""The intervention log: what a facilitator did with their teams, kept to measure its effect.

A facilitator records, edits and deletes interventions on their own teams only: an
intervention is theirs to touch when every one of its teams is visible to them
(anonymity invariant 6), so that nobody edits or learns of work on a team they do not see.
Each public function that changes the log commits its own work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from surveys.db import db
from surveys.models import Intervention, Team, User, intervention_team


@dataclass(frozen=True)
class Entry:
    """What the log form holds."""

    playbook_key: str
    teams: list[Team]
    starts_on: dt.date
    ends_on: dt.date
    facilitated_by: str
    notes: str


def may_touch(intervention: Intervention, visible: set[int] | None) -> bool:
    """Whether a user who sees ``visible`` teams (None: all) may see and change it."""
    return visible is None or all(team.id in visible for team in intervention.teams)


def record(entry: Entry, by: User) -> Intervention:
    """Add an intervention to the log."""
    intervention = Intervention(recorded_by=by)
    _fill(intervention, entry)
    db.session.add(intervention)
    db.session.commit()
    return intervention


def update(intervention: Intervention, entry: Entry) -> None:
    _fill(intervention, entry)
    db.session.commit()


def delete(intervention: Intervention) -> None:
    db.session.delete(intervention)
    db.session.commit()


def _fill(intervention: Intervention, entry: Entry) -> None:
    intervention.playbook_key = entry.playbook_key
    intervention.teams = list(entry.teams)
    intervention.starts_on = entry.starts_on
    intervention.ends_on = entry.ends_on
    intervention.facilitated_by = entry.facilitated_by.strip()
    intervention.notes = entry.notes.strip()


def for_team(team_id: int, visible: set[int] | None) -> list[Intervention]:
    """Interventions that included the team and that the user may see, newest first."""
    rows = db.session.scalars(
        db.select(Intervention)
        .join(intervention_team, intervention_team.c.intervention_id == Intervention.id)
        .where(intervention_team.c.team_id == team_id)
        .order_by(Intervention.starts_on.desc(), Intervention.id.desc())
    ).all()
    return [row for row in rows if may_touch(row, visible)]


def listed(visible: set[int] | None) -> list[Intervention]:
    """Every intervention the user may see, newest first."""
    rows = db.session.scalars(
        db.select(Intervention).order_by(Intervention.starts_on.desc(), Intervention.id.desc())
    ).all()
    return [row for row in rows if may_touch(row, visible)]


def loggable_teams(visible: set[int] | None, also: list[Team] = ()) -> list[Team]:
    """Teams an intervention can be logged on: visible, not archived, not departments.

    ``also`` (an entry's own teams, archived since) stays choosable when visible.
    """
    query = db.select(Team).where(Team.archived.is_(False), ~Team.children.any())
    if visible is not None:
        query = query.where(Team.id.in_(visible))
    teams = {t.id: t for t in db.session.scalars(query)}
    teams.update({t.id: t for t in also if visible is None or t.id in visible})
    return sorted(teams.values(), key=lambda t: t.name)
