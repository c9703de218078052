"""The audit log of a wave's links (anonymity invariant 7).

Whoever holds a link can answer with it and can see whether it was used, so every act that
hands links to a user instead of to the member is recorded: an admin's export of links as CSV
or printed cards, and invitations an admin confirmed after the wave opened (a member added
late, or someone who could push a small team over k), and email addresses of invited members
an admin changed while the wave was open (see ``rosters``). Each event names the user, the team, how
many links and when, never a member. The log is kept for good and shown on the wave page to
every admin and facilitator of the team; a team with invitations issued after opening is
marked wherever its numbers are shown.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from sqlalchemy import func

from surveys.db import db
from surveys.models import AuditEvent, User, Wave


class Action(enum.StrEnum):
    LINKS_CSV = "links_csv"
    LINK_CARDS = "link_cards"
    ISSUED_AFTER_OPEN = "issued_after_open"
    EMAIL_CHANGED = "email_changed"


def record(wave: Wave, user: User, action: Action, per_team: Mapping[int, int]) -> None:
    """Add one event per team with a non-zero count, and commit."""
    add_events(wave, user, action, per_team)
    db.session.commit()


def add_events(wave: Wave, user: User, action: Action, per_team: Mapping[int, int]) -> None:
    """:func:`record` inside a transaction that the caller commits with its own change, so
    that the act and its record are stored together or not at all."""
    for team_id, count in sorted(per_team.items()):
        if count:
            db.session.add(
                AuditEvent(
                    wave_id=wave.id,
                    team_id=team_id,
                    user_id=user.id,
                    action=str(action),
                    count=count,
                )
            )


def events(wave: Wave, visible: set[int] | None) -> list[AuditEvent]:
    """The wave's events for the visible teams (None: all), newest first."""
    query = db.select(AuditEvent).where(AuditEvent.wave_id == wave.id)
    if visible is not None:
        query = query.where(AuditEvent.team_id.in_(visible))
    return list(db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())))


def issued_after_open(wave_ids: Iterable[int], team_ids: set[int] | None) -> dict[int, dict]:
    """{wave id: {team id: invitations issued after the wave opened}}, teams with some only."""
    wave_ids = list(wave_ids)
    if not wave_ids:
        return {}
    query = (
        db.select(AuditEvent.wave_id, AuditEvent.team_id, func.sum(AuditEvent.count))
        .where(
            AuditEvent.wave_id.in_(wave_ids),
            AuditEvent.action == str(Action.ISSUED_AFTER_OPEN),
        )
        .group_by(AuditEvent.wave_id, AuditEvent.team_id)
    )
    if team_ids is not None:
        query = query.where(AuditEvent.team_id.in_(team_ids))
    found: dict[int, dict] = {}
    for wave_id, team_id, count in db.session.execute(query).all():
        found.setdefault(wave_id, {})[team_id] = int(count)
    return found
