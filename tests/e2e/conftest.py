"""A real server on a free loopback port with the demo organisation, and headless Chromium.

The app runs in a background thread with Werkzeug's server; the browser is Debian's
/usr/bin/chromium driven by Playwright (no browser download). CSRF protection stays on, as
in production; rate limits are off so that many tests may submit from the same address.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from surveys import create_app
from surveys import db as database
from surveys.db import db
from surveys.models import Invitation, Response, Wave
from surveys.services import invitations
from surveys.tools import demo
from tests.helpers import FAST_PASSWORD_HASH

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class LiveServer:
    """The running app, its URL, and the few database look-ups the tests need."""

    def __init__(self, app, url: str):
        self.app, self.url = app, url
        self._handed_out: set[int] = set()
        self._lock = threading.Lock()

    def open_wave(self) -> Wave:
        return next(w for w in db.session.scalars(db.select(Wave)) if w.status() == "open")

    def fresh_link(self, min_team_size: int = 1) -> str:
        """An unused invitation link of the open wave that no other test has had."""
        with self._lock, self.app.app_context():
            unused = db.session.scalars(
                db.select(Invitation)
                .where(Invitation.wave_id == self.open_wave().id, Invitation.used.is_(False))
                .order_by(Invitation.id)
            ).all()
            invitation = next(
                i
                for i in unused
                if i.id not in self._handed_out and len(i.team.members) >= min_team_size
            )
            self._handed_out.add(invitation.id)
            return f"{self.url}/s/{invitations.token_of(invitation)}"

    def responses(self) -> int:
        """Responses stored for the open wave."""
        with self.app.app_context():
            return db.session.scalar(
                db.select(db.func.count())
                .select_from(Response)
                .where(Response.wave_id == self.open_wave().id)
            )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRUSTSURVEY_INSTANCE", str(folder / "instance"))
        app = create_app(
            {
                "SECRET_KEY": "e2e-secret",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite3'}",
                "RATELIMIT_ENABLED": False,
                **FAST_PASSWORD_HASH,
            }
        )
    with app.app_context():
        database.upgrade()
        demo.seed_if_empty()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("TRUSTSURVEY_REQUIRE_SERVICES") == "1":
            pytest.fail("/usr/bin/chromium is missing but scripts/test requires it")
        pytest.skip("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh browser context (own cookies); closed after the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
