"""Facilitators and admins: teams, rosters, waves, invitations, results."""

from flask import Blueprint

bp = Blueprint("facilitate", __name__, url_prefix="/manage")

from surveys.facilitate import routes  # noqa: E402,F401
