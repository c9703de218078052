"""Fixtures for the facilitator views: an organisation of two facilitators, waves, responses."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import threading
from dataclasses import dataclass

import numpy as np
import pytest
from aiosmtpd.controller import Controller

from surveys import instruments
from surveys.db import db
from surveys.models import Member, Response, Team, User, Wave, utcnow
from tests.helpers import login_as, make_user
from tests.served import free_port

FULL = instruments.get("full", "1.0.0")


@dataclass
class World:
    """Ids of what the ``world`` fixture created."""

    admin: int
    fac_a: int  # facilitator of Alpha (and the archived Gamma)
    fac_b: int  # facilitator of Beta
    researcher: int
    alpha: int  # 6 active members and 1 inactive
    beta: int  # 4 active members
    gamma: int  # archived


@pytest.fixture
def world(app) -> World:
    return build_world(app)


@pytest.fixture
def world_factory():
    """``build_world`` for a test that makes its own app (another database backend)."""
    return build_world


def build_world(app) -> World:
    with app.app_context():
        alpha = Team(name="Alpha")
        beta = Team(name="Beta")
        gamma = Team(name="Gamma", archived=True)
        db.session.add_all([alpha, beta, gamma])
        for i in range(6):
            alpha.members.append(Member(name=f"Ann {i}", email=f"ann{i}@example.org"))
        alpha.members.append(Member(name="Left Already", email="left@example.org", active=False))
        for i in range(4):
            beta.members.append(Member(name=f"Bo {i}", email=f"bo{i}@example.org"))
        db.session.commit()
        admin = make_user("admin")
        fac_a = make_user("facilitator", email="fa@example.org", teams=[alpha, gamma])
        fac_b = make_user("facilitator", email="fb@example.org", teams=[beta])
        researcher = make_user("researcher")
        return World(admin.id, fac_a.id, fac_b.id, researcher.id, alpha.id, beta.id, gamma.id)


@pytest.fixture
def epsilon(app) -> int:
    """A team of two, below k. Beside Beta (4) the teams below k of a wave hold at least k
    respondents together, so the organisation's row minus the shown teams reveals no group
    below k and complementary suppression withholds no shown team."""
    with app.app_context():
        team = Team(name="Epsilon")
        team.members = [Member(name=f"Eps {i}") for i in range(2)]
        db.session.add(team)
        db.session.commit()
        return team.id


@pytest.fixture
def login(app, client):
    """Sign the test client in as the user with this id."""

    def sign_in(user_id: int) -> None:
        with app.app_context():
            login_as(client, db.session.get(User, user_id))

    return sign_in


@pytest.fixture
def make_wave(app):
    """``make_wave(team_ids, state=..., k=..., instrument=..., name=..., app=None)``."""
    return lambda *args, app=app, **kwargs: _make_wave(app, *args, **kwargs)


@pytest.fixture
def add_responses(app):
    """``add_responses(wave_id, team_id, n, seed, missing=0.05, app=None)``."""
    return lambda *args, app=app, **kwargs: _add_responses(app, *args, **kwargs)


def _make_wave(
    app,
    team_ids: list[int],
    state: str = "open",
    k: int = 5,
    instrument: str = "full",
    name: str = "Spring",
) -> int:
    """A wave that is 'scheduled', 'open' or 'due' (past its close date, not yet closed)."""
    now = utcnow().replace(microsecond=0)
    day = dt.timedelta(days=1)
    opens, closes = {
        "scheduled": (now + day, now + 8 * day),
        "open": (now - day, now + 7 * day),
        "due": (now - 8 * day, now - dt.timedelta(hours=1)),
    }[state]
    inst = instruments.get(instrument, "1.0.0")
    with app.app_context():
        teams = [db.session.get(Team, i) for i in team_ids]
        wave = Wave(
            name=name,
            instrument_key=inst.key,
            instrument_version=inst.version,
            opens_at=opens,
            closes_at=closes,
            k=k,
            teams=teams,
        )
        db.session.add(wave)
        db.session.commit()
        return wave.id


def _add_responses(
    app, wave_id: int, team_id: int, n: int, seed: int, missing: float = 0.05
) -> None:
    """``n`` responses with seeded random answers in range over the full instrument.

    About ``missing`` of the answers are left out, as a respondent skipping an item would.
    """
    rng = np.random.default_rng(seed)
    lo, hi = FULL.bounds()
    values = rng.integers(lo.astype(int), hi.astype(int) + 1, size=(n, len(FULL.items)))
    skipped = rng.random((n, len(FULL.items))) < missing
    with app.app_context():
        for row, skip in zip(values, skipped, strict=True):
            answers = {
                key: int(v) for key, v, s in zip(FULL.item_keys, row, skip, strict=True) if not s
            }
            db.session.add(Response(wave_id=wave_id, team_id=team_id, answers=answers))
        db.session.commit()


class Recorder:
    """An aiosmtpd handler that keeps every message and refuses the addresses it is told to."""

    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse: dict[str, str] = {}
        self.envelopes: list[tuple[str, bytes]] = []  # (envelope sender, message as sent)
        self.gate: threading.Event | None = None  # when set up, DATA waits for it (up to 5 s)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.gate is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 5)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        self.envelopes.append((envelope.mail_from, envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        return sorted(address for rcpt, _ in self.received for address in rcpt)


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1, and the app configured to send through it."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=controller.port,
        SMTP_SECURITY="none",
        SMTP_USERNAME=None,
        MAIL_FROM="survey@example.org",
        BASE_URL="https://trust.example.com",
    )
    yield recorder
    controller.stop()
