"""Test setup for the respondent flow: a small organisation with a wave and invitation links."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from surveys import instruments
from surveys.db import db
from surveys.models import Comment, Invitation, Member, Organisation, Response, Team, Wave, utcnow
from surveys.services import invitations

FULL = instruments.get("full", "1.0.0")


@dataclass
class Survey:
    """What ``make_survey`` created: ids and the plain tokens of the invitation links."""

    app: object
    wave_id: int
    team_id: int
    tokens: list[str]

    def counts(self) -> tuple[int, int, int]:
        """(responses, comments, used invitations) in the database."""
        with self.app.app_context():
            return (
                db.session.scalar(db.select(db.func.count()).select_from(Response)),
                db.session.scalar(db.select(db.func.count()).select_from(Comment)),
                db.session.scalar(
                    db.select(db.func.count()).select_from(Invitation).where(Invitation.used)
                ),
            )


def create_survey(
    app,
    *,
    status: str = "open",
    members: int = 6,
    k: int = 5,
    instrument=FULL,
    team: str = "Platform",
) -> Survey:
    """An organisation with one team, its members, one wave in ``status``, and their links."""
    now = utcnow()
    opens, closes = {
        "open": (now - dt.timedelta(days=1), now + dt.timedelta(days=13)),
        "scheduled": (now + dt.timedelta(days=2), now + dt.timedelta(days=16)),
        "closed": (now - dt.timedelta(days=20), now - dt.timedelta(days=6)),
    }[status]
    with app.app_context():
        if db.session.scalar(db.select(Organisation)) is None:
            db.session.add(Organisation(name="Example Co", default_k=k))
        team = Team(name=team)
        team.members = [
            Member(name=f"Member {i}", email=f"m{i}@{team.name}.example.org")
            for i in range(members)
        ]
        wave = Wave(
            name="Spring 2026",
            instrument_key=instrument.key,
            instrument_version=instrument.version,
            opens_at=opens,
            closes_at=closes,
            k=k,
            teams=[team],
        )
        db.session.add_all([team, wave])
        db.session.flush()
        tokens = [token for _invitation, token in invitations.issue(wave, team.members)]
        db.session.commit()
        return Survey(app, wave.id, team.id, tokens)


def full_answers(value: int = 4, instrument=FULL) -> dict[str, str]:
    """A complete, valid form body: every item answered with ``value``."""
    return {key: str(value) for key in instrument.item_keys}


def checked_values(html: str) -> dict[str, str]:
    """{item key: value} of the radio buttons a page renders as checked."""
    found = re.findall(r'<input type="radio" name="([^"]+)" value="([^"]+)" checked>', html)
    return dict(found)


def responses(app) -> list[Response]:
    with app.app_context():
        return list(db.session.scalars(db.select(Response)))


def comments(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(Comment.text)))
