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
