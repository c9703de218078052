"""Who may see what (anonymity invariant 6): sign-in, roles, and team visibility.

A facilitator sees only the teams assigned to them (and the teams under an assigned
department); admins see everything; researchers see exports only. Anything a user may
not see answers 404, never 403, so that its existence is not revealed either.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from surveys.db import db
from surveys.models import Team, User, Wave, subtree_ids

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The id is "<user id>:<session token>"; a rotated token ends every older session."""
    uid, _, token = user_id.partition(":")
    if not uid.isdigit():
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def role_required(*roles: str):
    """Signed in with one of ``roles``; anyone else signed in gets 404."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def visible_team_ids(user: User) -> set[int] | None:
    """Ids of the teams ``user`` may see; None means all (admin)."""
    if user.role == "admin":
        return None
    if user.role != "facilitator":
        return set()
    return subtree_ids(t.id for t in user.teams)


def can_see_team(user: User, team: Team) -> bool:
    ids = visible_team_ids(user)
    return ids is None or team.id in ids


def team_or_404(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None or not can_see_team(current_user, team):
        abort(404)
    return team


def wave_or_404(wave_id: int) -> Wave:
    """A wave the user may see: admins any, facilitators one that includes a team of theirs."""
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        abort(404)
    ids = visible_team_ids(current_user)
    if ids is not None and not any(t.id in ids for t in wave.teams):
        abort(404)
    return wave


def init_app(app):
    login_manager.init_app(app)
