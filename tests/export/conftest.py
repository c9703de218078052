"""A closed wave to export: a department of three teams, a top-level team, and a small team."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pytest

from surveys import instruments
from surveys.db import db
from surveys.models import Comment, Member, Response, Team, User, Wave, utcnow
from surveys.services import invitations, waves
from tests.helpers import login_as, make_user

# team name -> (members invited, responses); Tiny stays below k = 5.
TEAMS = {"East": (8, 7), "West": (7, 6), "North": (9, 9), "Solo": (6, 5), "Tiny": (4, 3)}
DEPARTMENT = "Sales"  # East, West and North belong to it


@dataclass
class Org:
    admin: int
    researcher: int
    facilitator: int
    teams: dict[str, int]
    department: int


def build_org(app) -> Org:
    with app.app_context():
        sales = Team(name=DEPARTMENT)
        db.session.add(sales)
        ids = {}
        for name, (members, _n) in TEAMS.items():
            team = Team(name=name, parent=sales if name in ("East", "West", "North") else None)
            team.members = [
                Member(name=f"{name} {i}", email=f"{name}{i}@x.org") for i in range(members)
            ]
            db.session.add(team)
        db.session.commit()
        ids = {t.name: t.id for t in db.session.scalars(db.select(Team))}
        admin = make_user("admin")
        researcher = make_user("researcher")
        facilitator = make_user(
            "facilitator", email="f@x.org", teams=[db.session.get(Team, ids["East"])]
        )
        return Org(admin.id, researcher.id, facilitator.id, ids, ids[DEPARTMENT])


def closed_wave(app, org: Org, seed: int, instrument: str = "full", name: str = "Spring") -> int:
    """A wave of every team of TEAMS, invitations issued, seeded answers and comments, closed."""
    inst = instruments.get(instrument, "1.0.0")
    rng = np.random.default_rng(seed)
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        teams = [db.session.get(Team, org.teams[n]) for n in TEAMS]
        wave = Wave(
            name=name,
            instrument_key=inst.key,
            instrument_version=inst.version,
            opens_at=now - dt.timedelta(days=8),
            closes_at=now + dt.timedelta(days=1),
            k=5,
            teams=teams,
        )
        db.session.add(wave)
        db.session.commit()
        invitations.issue(wave, [m for t in teams for m in t.members])
        lo, hi = inst.bounds()
        for team in teams:
            n = TEAMS[team.name][1]
            # A team leaning up or down, so that teams differ and ICC(1) is not degenerate.
            lean = rng.normal(0, 0.8)
            raw = np.rint(rng.normal((lo + hi) / 2 + lean, 1.0, size=(n, len(lo))))
            values = np.clip(raw, lo, hi).astype(int)
            skipped = rng.random(values.shape) < 0.08
            for row, skip in zip(values, skipped, strict=True):
                answers = {
                    k: int(v) for k, v, s in zip(inst.item_keys, row, skip, strict=True) if not s
                }
                db.session.add(Response(wave_id=wave.id, team_id=team.id, answers=answers))
            db.session.add(Comment(wave_id=wave.id, team_id=team.id, text=f"=note {n}"))
        db.session.commit()
        assert waves.close(wave)
        return wave.id


@pytest.fixture
def org(app) -> Org:
    return build_org(app)


@pytest.fixture
def login(app, client):
    def sign_in(user_id: int) -> None:
        with app.app_context():
            login_as(client, db.session.get(User, user_id))

    return sign_in


def open_wave(app, org: Org) -> int:
    """A wave still open, of the team East."""
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        wave = Wave(
            name="Open",
            instrument_key="full",
            instrument_version="1.0.0",
            opens_at=now - dt.timedelta(days=1),
            closes_at=now + dt.timedelta(days=7),
            k=5,
            teams=[db.session.get(Team, org.teams["East"])],
        )
        db.session.add(wave)
        db.session.commit()
        return wave.id


def withheld(app, wave_id: int) -> set[str]:
    """Teams of at least k whose numbers the close withheld (complementary suppression)."""
    from surveys.models import TeamScaleResult

    with app.app_context():
        rows = db.session.execute(
            db.select(Team.name)
            .join(TeamScaleResult, TeamScaleResult.team_id == Team.id)
            .where(
                TeamScaleResult.wave_id == wave_id,
                TeamScaleResult.suppressed.is_not(None),
                TeamScaleResult.estimate.is_(None),
            )
        ).scalars()
        return {name for name in rows if TEAMS[name][1] >= 5}


def exported(app, wave_id: int) -> set[str]:
    """Teams an export without the small-team option holds: at least k and not withheld."""
    return {n for n, (_size, answered) in TEAMS.items() if answered >= 5} - withheld(app, wave_id)
