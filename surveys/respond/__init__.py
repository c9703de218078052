"""Respondents: the anonymous survey at /s/<token>."""

from flask import Blueprint

bp = Blueprint("respond", __name__)

from surveys.respond import routes  # noqa: E402,F401  (routes attach themselves to bp)
