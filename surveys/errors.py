"""Error pages in the user's language, styled like the rest, for every part of the app.

Blueprints with pages of their own (the respondent's problems, the sign-in limit) keep
them: Flask asks a blueprint's handlers first.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from surveys.instruments import InstrumentUnavailableError

# The database cannot be reached or is busy (a restart, a dropped connection, a full pool,
# SQLite's lock): the request changed nothing and can be sent again, so 503, not 500.
DATABASE_UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)
RETRY_AFTER = "10"  # seconds; a PostgreSQL restart takes a few

PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood, so nothing was changed.")),
    403: (_l("Not allowed"), _l("You may not do this.")),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. Check the address, or go back and follow a link."),
    ),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (
        _l("Too much data"),
        _l("The request was larger than this page accepts, so nothing was saved."),
    ),
    429: (_l("Too many attempts"), _l("Please wait a minute, then try again.")),
    500: (
        _l("Something went wrong"),
        _l(
            "The server could not finish the request. Please try again later; if it keeps "
            "happening, tell your administrator."
        ),
    ),
}


def http_error(error: HTTPException):
    page = PAGES.get(error.code or 0)
    if page is None:
        return error
    title, message = page
    return render_template("error.html", title=title, message=message), error.code


def form_expired(error):
    """A form without a valid CSRF token: say so in the user's language, change nothing."""
    return render_template("auth/form_expired.html"), 400


def instrument_unavailable(error):
    """A wave whose instrument file is gone or was refused at start-up: say so, not a 500.

    The start-up log names the file and its problem; the page names the instrument only.
    """
    message = _(
        "The questionnaire of this survey (%(key)s, version %(version)s) is not "
        "available on the server. Please tell your administrator.",
        key=error.key,
        version=error.version,
    )
    return render_template(
        "error.html", title=_("Questionnaire not available"), message=message
    ), 503


def log_unavailable(error: Exception) -> None:
    """One line naming the database error; never the request (a respondent's path holds a
    token), and SQL parameters are hidden by the engine."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[:1]
    current_app.logger.warning(
        "database unavailable (%s): %s", type(error).__name__, reason[0] if reason else ""
    )


def discard_session() -> None:
    """Drop the request's failed transaction (the pool replaces a dead connection), and show
    the page as to a visitor: Flask-Login loads the signed-in user from the database when a
    template asks for ``current_user``, which would fail again."""
    from surveys.db import db

    try:
        db.session.rollback()
    except DATABASE_UNAVAILABLE:
        db.session.close()
    g._login_user = current_app.login_manager.anonymous_user()


def database_unavailable(error):
    """Any page while the database is away: say so and to try again, in the user's language."""
    log_unavailable(error)
    discard_session()
    return render_template("unavailable.html"), 503, {"Retry-After": RETRY_AFTER}


def init_app(app):
    app.register_error_handler(CSRFError, form_expired)
    app.register_error_handler(InstrumentUnavailableError, instrument_unavailable)
    app.register_error_handler(HTTPException, http_error)
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)
