"""Small helpers for repeated test actions."""

from __future__ import annotations

from argon2 import PasswordHasher

from surveys.db import db
from surveys.models import Team, User


def make_user(role: str = "admin", email: str | None = None, password: str = "correct horse 9",
              teams: list[Team] | None = None) -> User:
    """Create and commit a user (inside an app context)."""
    user = User(
        email=email or f"{role}@example.org",
        name=role.title(),
        password_hash=PasswordHasher().hash(password),
        role=role,
        teams=list(teams or []),
    )
    db.session.add(user)
    db.session.commit()
    return user


def login_as(client, user: User) -> None:
    """Put ``user`` in the client's session, as a successful sign-in would."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
