"""Respondent views: the anonymous survey behind a one-time link.

Nothing here logs: a log line carries a time, and next to a token or an address it would
tie a person to an answer. The token appears in no page but the survey form's own action.
"""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

from surveys import instruments
from surveys.i18n import choose_language, format_date_time, instrument_language
from surveys.models import WaveStatus
from surveys.respond.forms import (
    COMMENT_MAX,
    LANGUAGE_FIELD,
    body_problem,
    repeated_fields,
    survey_form,
    unknown_fields,
)
from surveys.security import csrf, limiter
from surveys.services import invitations
from surveys.services.responses import record_response

bp = Blueprint("respond", __name__)


@bp.get("/")
def index():
    """Landing page: respondents arrive through their own link."""
    return render_template("respond/index.html")


def submit_limit() -> str:
    return current_app.config["RATELIMIT_SUBMIT"]


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(submit_limit, methods=["POST"])
@csrf.exempt  # checked in _refused_post, once the body is known to be readable text
def survey(token: str):
    """The survey behind one invitation link; a valid POST records exactly one response.

    A POST from the language switch stores nothing and validates no answer: it shows the
    posted answers again in the chosen language, so switching loses none and flags none.
    """
    posted = request.method == "POST"
    refusal = _refused_post() if posted else None
    if refusal is not None:
        return refusal
    invitation = invitations.find(token)
    door = _closed_door(invitation, posted)
    if door is not None:
        return door

    wave = invitation.wave
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    form = survey_form(instrument, instrument_language())
    status = 200
    if posted:
        refusal = _refused_fields(form)
        if refusal is not None:
            return refusal
        if LANGUAGE_FIELD in request.form:
            choose_language(request.form[LANGUAGE_FIELD])
            form = survey_form(instrument, instrument_language())
        elif form.validate():
            if record_response(invitation, form.answers(), form.comment.data or None):
                return redirect(url_for("respond.thanks"), code=303)
            return render_template("respond/already_answered.html"), 409
        else:
            status = 422
    return render_template(
        "respond/survey.html",
        form=form,
        token=token,
        wave=wave,
        team=invitation.team,
        instrument=instrument,
        language=instrument_language(),
        closes=format_date(wave.closes_at, "long"),
        comment_max=COMMENT_MAX,
    ), status


@bp.get("/s/thanks")
def thanks():
    """After a response: carries no token, so the address bar and history hold none."""
    return render_template("respond/thanks.html")


def _refused_post():
    """A 4xx page when a POST body is not a UTF-8 URL-encoded form or lacks CSRF, else None."""
    problem = body_problem(request.mimetype, request.get_data(cache=True))
    if problem == "encoding":
        return _problem(
            415,
            _("Form not readable"),
            _("The answers must be sent as an ordinary web form. Nothing was saved."),
        )
    if problem == "utf-8":
        return _problem(
            400,
            _("Form not readable"),
            _("The form data is not valid UTF-8 text. Nothing was saved."),
        )
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # raises CSRFError, shown by csrf_failed below
    return None


def _closed_door(invitation, posted: bool):
    """The page for a link that cannot take an answer now (unknown, used, withdrawn, not open),
    or None."""
    if invitation is None:
        return render_template("respond/unknown.html"), 404
    status = 409 if posted else 200
    if invitation.used:
        return render_template("respond/already_answered.html"), status
    if invitations.withdrawn(invitation):
        return render_template("respond/withdrawn.html"), status
    wave = invitation.wave
    state = wave.status()
    if state is WaveStatus.SCHEDULED:
        opens = format_date_time(wave.opens_at)
        return render_template("respond/not_open.html", opens=opens), status
    if state is WaveStatus.CLOSED:
        return render_template("respond/closed.html"), status
    return None


def _refused_fields(form):
    """A 400 page naming a posted field that is not in the survey or came twice, or None."""
    extra = unknown_fields(form, request.form)
    if extra:
        return _problem(
            400,
            _("Unknown form field"),
            _("The form contained a field this survey does not have: %(name)s.", name=extra[0]),
        )
    repeated = repeated_fields(request.form)
    if repeated:
        return _problem(
            400,
            _("Answer given twice"),
            _(
                "The field %(name)s was sent more than once; each question takes one answer.",
                name=repeated[0],
            ),
        )
    return None


def _problem(status: int, title: str, message: str):
    return render_template("respond/problem.html", title=title, message=message), status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """Survey answers are small; a huge body is refused before it is read."""
    return _problem(
        413,
        _("Too much data"),
        _(
            "The form sent more data than a survey answer needs, so nothing was "
            "saved. If you wrote a long comment, shorten it and send again."
        ),
    )


@bp.errorhandler(CSRFError)
def csrf_failed(error):
    return _problem(
        400,
        _("The form has expired"),
        _(
            "For your safety the form could not be accepted, and nothing was saved. "
            "Open your survey link again and send your answers once more."
        ),
    )


@bp.errorhandler(TooManyRequests)
def too_many(error):
    return _problem(
        429,
        _("Too many attempts"),
        _("Please wait a minute, then send the form again. Nothing was saved."),
    )
