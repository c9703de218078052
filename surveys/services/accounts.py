"""Accounts: creating and changing users, checking sign-ins, passwords."""

from __future__ import annotations

import contextlib
import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from flask_babel import lazy_gettext as _l

from surveys.db import db
from surveys.models import USER_ROLES, User
from surveys.security import password_hasher

MIN_PASSWORD_LENGTH = 10
EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+$")


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


# What each role is called on every page and form.
ROLE_LABELS = {
    "facilitator": _l("Facilitator"),
    "researcher": _l("Researcher"),
    "admin": _l("Admin"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def normalise_email(email: str) -> str:
    """The one form of an email address kept and compared, for accounts and rosters alike.

    lower(), not casefold(): casefold rewrites letters such as ß to ss, which makes a
    different address.
    """
    return email.strip().lower()


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")


def create_user(email: str, password: str, role: str, name: str = "") -> User:
    """Create and commit a user; raise AccountError for a bad role, email or password."""
    email = normalise_email(email)
    if role not in USER_ROLES:
        raise AccountError(f"role must be one of {', '.join(USER_ROLES)}, not {role!r}")
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


def update_user(
    user: User, *, name: str, role: str, active: bool, password: str | None, acting: User
) -> bool:
    """Change a user's name, role, state or password and commit; True if their sessions end.

    Raises AccountError when ``acting`` would remove their own admin access: an organisation
    must never be left without an admin by a slip of one.
    """
    if user.id == acting.id and (role != "admin" or not active):
        raise AccountError("You cannot remove your own admin access; ask another admin.")
    ends_sessions = bool(password) or (user.active and not active)
    user.name = (name or "").strip()
    user.role = role
    user.active = active
    if user.role != "facilitator":
        user.teams = []
    if password:
        user.set_password(password)
    if ends_sessions:
        user.rotate_session()
    db.session.commit()
    return ends_sessions


def change_password(user: User, current: str, new: str) -> bool:
    """Set a new password if ``current`` is right, ending every session; commits."""
    if not user.check_password(current):
        return False
    user.set_password(new)
    user.rotate_session()
    db.session.commit()
    return True


def sign_out_everywhere(user: User) -> None:
    """Rotate the session token, so that every cookie of the user stops working; commits."""
    user.rotate_session()
    db.session.commit()
