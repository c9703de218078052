"""Accounts: sign-in, sign-out, passwords."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from surveys.auth import routes  # noqa: E402,F401
