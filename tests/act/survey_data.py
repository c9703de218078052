"""Closed waves whose teams answer at chosen levels, for recommendations and effects."""

from __future__ import annotations

import datetime as dt

import numpy as np

from surveys import instruments
from surveys.db import db
from surveys.models import Member, Response, Team, Wave
from surveys.services import waves

FULL = instruments.get("full", "1.0.0")
NEUTRAL = 4.0


def make_teams(app, sizes: dict[str, int]) -> dict[str, int]:
    """Teams with rosters of the given sizes; their ids by name."""
    with app.app_context():
        teams = {}
        for name, size in sizes.items():
            team = Team(name=name)
            for i in range(size):
                team.members.append(Member(name=f"{name} {i}", email=f"{name}{i}@example.org"))
            db.session.add(team)
            teams[name] = team
        db.session.commit()
        return {name: team.id for name, team in teams.items()}


def closed_wave(
    app,
    name: str,
    opens: dt.date,
    answers: dict[int, tuple[int, dict[str, float]]],
    seed: int,
    k: int = 5,
) -> int:
    """A full-instrument wave over ``answers``' teams, answered and closed.

    ``answers`` maps a team id to (respondents, {scale: level}); unnamed scales answer
    ``NEUTRAL``. Each answer is the level plus noise of SD 0.6, rounded into 1..5, and
    reverse-keyed items are answered reversed, so that the scale score sits near the level.
    """
    rng = np.random.default_rng(seed)
    start = dt.datetime.combine(opens, dt.time(9))
    with app.app_context():
        wave = Wave(
            name=name,
            instrument_key="full",
            instrument_version="1.0.0",
            opens_at=start,
            closes_at=start + dt.timedelta(days=14),
            k=k,
            teams=[db.session.get(Team, t) for t in answers],
        )
        db.session.add(wave)
        db.session.flush()
        for team_id, (n, levels) in answers.items():
            for _ in range(n):
                given = {}
                for item in FULL.items:
                    value = levels.get(item.scale, NEUTRAL) + rng.normal(0, 0.6)
                    value = int(np.clip(np.rint(value), 1, 5))
                    given[item.key] = 6 - value if item.reverse else value
                db.session.add(Response(wave_id=wave.id, team_id=team_id, answers=given))
        db.session.commit()
        waves.close(wave, now=wave.closes_at)
        return wave.id
