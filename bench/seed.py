"""A migrated database with one open wave of the full instrument and many unique links."""

from __future__ import annotations

import datetime as dt
import os
import random

from surveys import create_app, instruments
from surveys import db as database
from surveys.db import db
from surveys.models import Member, Organisation, Team, Wave, utcnow
from surveys.services import invitations

FULL = instruments.get("full", "1.0.0")
TEAM_SIZE = 10


def seed(env: dict[str, str], links: int) -> list[str]:
    """Migrate the database of ``env`` and create ``links`` invitations in an open wave
    (teams of ten); their tokens, under ``env``'s secret key."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        app = create_app({"CLOSE_DUE_INTERVAL": 0})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    with app.app_context():
        database.upgrade()
        db.session.add(Organisation(name="Bench Co", default_k=5))
        teams = []
        for t in range((links + TEAM_SIZE - 1) // TEAM_SIZE):
            team = Team(name=f"Team {t:04d}")
            size = min(TEAM_SIZE, links - t * TEAM_SIZE)
            team.members = [Member(name=f"Member {t}-{i}") for i in range(size)]
            teams.append(team)
        now = utcnow()
        wave = Wave(
            name="Bench wave",
            instrument_key=FULL.key,
            instrument_version=FULL.version,
            opens_at=now - dt.timedelta(days=1),
            closes_at=now + dt.timedelta(days=13),
            k=5,
            teams=teams,
        )
        db.session.add_all([*teams, wave])
        db.session.flush()
        members = [member for team in teams for member in team.members]
        tokens = [token for _invitation, token in invitations.issue(wave, members)]
        db.engine.dispose()
    return tokens


def answers(rng: random.Random) -> dict[str, str]:
    """A complete, valid answer to every item of the full instrument."""
    values = {}
    for scale in FULL.scales:
        low, high = scale.response_scale.min, scale.response_scale.max
        for item in scale.items:
            values[item.key] = str(rng.randint(low, high))
    return values
