"""Accounts: creating users and checking sign-ins (plain functions under the CLI and the views)."""

from __future__ import annotations

import contextlib
import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from surveys.db import db
from surveys.models import ROLES, User
from surveys.security import password_hasher

MIN_PASSWORD_LENGTH = 10
EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+$")


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")


def create_user(email: str, password: str, role: str, name: str = "") -> User:
    """Create and commit a user; raise AccountError for a bad role, email or password."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not EMAIL.match(email) or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address")
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"a user with email {email} already exists")
    check_new_password(password)
    user = User(email=email, name=name.strip(), role=role, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash at ``hasher``'s cost that no password matches, made once per cost.

    Verifying against it when the email is unknown makes a miss cost as much time as a
    wrong password, so timing does not reveal which emails have accounts.
    """
    return _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)


@functools.cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash("not a password of anyone")


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, else None (whichever part was wrong)."""
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)))
    if user is None:
        hasher = password_hasher()
        with contextlib.suppress(VerificationError):
            hasher.verify(dummy_hash(hasher), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    db.session.commit()  # keeps a rehashed password, if check_password upgraded it
    return user
