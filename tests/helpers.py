"""Small helpers for repeated test actions."""

from __future__ import annotations

from pathlib import Path

from surveys import instruments
from surveys.db import db
from surveys.models import Team, User

# argon2's smallest cost: a test hashes in well under a millisecond instead of a tenth of a
# second. Tests of the production cost set their own.
FAST_PASSWORD_HASH = {
    "PASSWORD_HASH_TIME_COST": 1,
    "PASSWORD_HASH_MEMORY_COST": 8,
    "PASSWORD_HASH_PARALLELISM": 1,
}


def make_user(
    role: str = "admin",
    email: str | None = None,
    password: str = "correct horse 9",
    teams: list[Team] | None = None,
) -> User:
    """Create and commit a user (inside an app context)."""
    user = User(
        email=email or f"{role}@example.org",
        name=role.title(),
        role=role,
        teams=list(teams or []),
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def login_as(client, user: User) -> None:
    """Put ``user`` in the client's session, as a successful sign-in would."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def pulse_copy(
    folder: Path,
    name: str,
    key: str = "pulse",
    version: str = "1.0.0",
    change: tuple[str, str] | None = None,
) -> Path:
    """A copy of the shipped pulse file in ``folder`` with a new key, version and one edit."""
    text = (instruments.FOLDER / "pulse.toml").read_text(encoding="utf-8")
    text = text.replace('key = "pulse"\nversion = "1.0.0"', f'key = "{key}"\nversion = "{version}"')
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text.replace(*change) if change else text, encoding="utf-8")
    return path


def issue_invitations(app, wave_id: int) -> None:
    """Invitations for every active member of the wave's teams, as issued before it opened.

    Setup for tests of what happens after; issuing through the pages once a wave is open is
    an admin's audited act (tests/facilitate/test_wave_invitations.py).
    """
    from surveys.models import Wave
    from surveys.services import invitations, waves

    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        invitations.issue(wave, waves.members_without_invitation(wave, None))


# An instrument with a continuous scale (hours worked): for imports and analyze, not surveys.
HOURS = """
[instrument]
key = "hours"
version = "1.0"
name = { en = "Hours worked", zh = "工作时长" }
description = { en = "Hours from the time system", zh = "工时，来自考勤系统" }

[response_scales.hours]
continuous = true
min = 0
max = 60

[[scales]]
key = "load"
response_scale = "hours"
name = { en = "Workload", zh = "工作量" }
[[scales.items]]
key = "H1"
text = { en = "Hours last week", zh = "上周工时" }
[[scales.items]]
key = "H2"
text = { en = "Hours this week", zh = "本周工时" }
"""


# What scrolls sideways on a page in the browser: the page itself (its overflow in px, as
# "page +N px"), and every table wider than its scroll box in main, named by its id or
# first heading. (An example file in a <pre> may scroll in its box: wrapping its lines
# would change what it shows.)
SIDEWAYS_JS = """() => {
  const out = [];
  const page = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  if (page > 0) out.push('page +' + page + ' px');
  for (const box of document.querySelectorAll('main .table-scroll')) {
    if (box.scrollWidth > box.clientWidth) {
      const table = box.querySelector('table');
      const name = table.id || table.querySelector('th').innerText;
      out.push(name + ' ' + box.scrollWidth + '/' + box.clientWidth + ' px');
    }
  }
  return out;
}"""


def sideways(page) -> list[str]:
    """What scrolls sideways on a Playwright page (see :data:`SIDEWAYS_JS`); [] if nothing.

    Waits for the page's load event first: after a click, an element can be found before the
    style sheet has loaded, and a page laid out without it is as wide as its widest table.
    """
    page.wait_for_load_state("load")
    return page.evaluate(SIDEWAYS_JS)
