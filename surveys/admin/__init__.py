"""Admins: users, teams and departments, facilitators, rosters.

Facilitators see their own teams here read-only and import rosters for them.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from surveys.admin import routes, users  # noqa: E402,F401  (routes attach themselves to bp)
from surveys.auth.routes import CSRFError, form_expired  # noqa: E402

bp.register_error_handler(CSRFError, form_expired)
