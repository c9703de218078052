"""Respondent views: the anonymous survey behind a one-time link.

Nothing here logs: a log line carries a time, and next to a token or an address it would
tie a person to an answer. The token appears in no page but the survey form's own action.
"""

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

from surveys import instruments
from surveys.db import statements_commit_themselves
from surveys.errors import DATABASE_UNAVAILABLE, RETRY_AFTER, discard_session, log_unavailable
from surveys.i18n import choose_language, format_date_time, instrument_language
from surveys.models import WaveStatus
from surveys.respond.forms import (
    AT_FIELD,
    COMMENT_MAX,
    LANGUAGE_FIELD,
    body_problem,
    repeated_fields,
    survey_form,
    unknown_fields,
)
from surveys.security import csrf, limiter
from surveys.services import invitations, organisation, shared_results
from surveys.services.responses import record_response

bp = Blueprint("respond", __name__)

# The session key of the answers kept across a language switch.
DRAFT = "survey_draft"
# A longer comment would not fit in the session cookie (browsers keep 4 kB), so a switch with
# one shows the page again directly, as a POST.
DRAFT_COMMENT_MAX = 400


@dataclass(frozen=True)
class SurveyFacts:
    """What the survey page says about its wave and team, read before anything is stored:
    a failed store rolls the session back, and the page is shown again without the database."""

    team_name: str
    wave_name: str
    k: int
    closes_at: dt.datetime  # in the organisation's zone
    zone: str  # the organisation's zone, named beside the close time
    sharing: bool  # whether the link will show the team's results after the close

    @property
    def closes(self) -> str:
        """The close date as the page says it (formatted only when a page is shown)."""
        return format_date(self.closes_at, "long")

    @property
    def open_until(self) -> str:
        """The close date and time: a respondent on the last day learns how long is left."""
        return format_date_time(self.closes_at)


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

    A POST from the language switch stores nothing in the database and validates no answer:
    it keeps the answers given so far in the signed session cookie (the respondent's own
    browser; removed on sending) and redirects to this page in the chosen language, at the
    question the respondent was at, so switching loses none, flags none, and Back is a GET.
    """
    posted = request.method == "POST"
    refusal = _refused_post() if posted else None
    if refusal is not None:
        return refusal
    statements_commit_themselves()  # reads, then at most one statement that stores
    link = invitations.find(token)
    door = _closed_door(link, posted)
    if door is not None:
        # Answers kept across a language switch are not needed once the link cannot answer.
        session.pop(DRAFT, None)
        return door

    wave = link.wave
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    facts = SurveyFacts(
        team_name=link.team_name,
        wave_name=wave.name,
        k=wave.k,
        closes_at=organisation.to_local(wave.closes_at),
        zone=organisation.time_zone_name(),
        sharing=shared_results.sharing_on(),
    )
    draft = session.get(DRAFT) if not posted else None
    if draft and draft.get("for") == link.token_hash:
        form = survey_form(
            instrument,
            instrument_language(),
            data={**draft.get("answers", {}), "comment": draft.get("comment", "")},
        )
    else:
        form = survey_form(instrument, instrument_language())
    status = 200
    not_stored = False
    if posted:
        refusal = _refused_fields(form)
        if refusal is not None:
            return refusal
        if LANGUAGE_FIELD in request.form:
            choose_language(request.form[LANGUAGE_FIELD])
            if len(form.comment.data or "") <= DRAFT_COMMENT_MAX:
                return _switched(token, link, form)
            # Too long a comment for a cookie: shown again in the new language instead.
            form = survey_form(instrument, instrument_language())
        elif form.validate():
            try:
                stored = record_response(link, form.answers(), form.comment.data or None)
            except DATABASE_UNAVAILABLE as error:
                log_unavailable(error)
                discard_session()
                status, not_stored = 503, True
            else:
                if stored:
                    session.pop(DRAFT, None)
                    return redirect(url_for("respond.thanks"), code=303)
                return render_template("respond/already_answered.html"), 409
        else:
            status = 422
    headers = {"Retry-After": RETRY_AFTER} if not_stored else {}
    return (
        render_template(
            "respond/survey.html",
            form=form,
            token=token,
            facts=facts,
            instrument=instrument,
            language=instrument_language(),
            comment_max=COMMENT_MAX,
            not_stored=not_stored,
        ),
        status,
        headers,
    )


def _switched(token: str, link: invitations.Link, form):
    """After a language switch: the draft in the session, then this page again by GET."""
    session[DRAFT] = {
        "for": link.token_hash,
        "answers": form.draft(),
        "comment": form.comment.data or "",
    }
    at = request.form.get(AT_FIELD, "")
    keys = {field.name for field in form.item_fields()}
    anchor = f"q-{at}" if at in keys else None
    return redirect(url_for("respond.survey", token=token, _anchor=anchor), code=303)


@bp.get("/s/thanks")
def thanks():
    """After a response: carries no token, so the address bar and history hold none."""
    return render_template("respond/thanks.html", sharing=shared_results.sharing_on())


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


def _closed_door(link: invitations.Link | None, posted: bool):
    """The page for a link that cannot take an answer now (unknown, used, withdrawn, not open),
    or None."""
    if link is None:
        return render_template("respond/unknown.html"), 404
    status = 409 if posted else 200
    wave = link.wave
    state = wave.status()
    # After the close every link of the wave gets the same page, chosen by its wave and team
    # alone: whether this one was used, or withdrawn, shows nowhere.
    if state is WaveStatus.CLOSED:
        return _after_close(wave, link.team_id), status
    if link.used:
        return render_template("respond/already_answered.html"), status
    if link.withdrawn:
        return render_template("respond/withdrawn.html"), status
    if state is WaveStatus.SCHEDULED:
        opens = format_date_time(organisation.to_local(wave.opens_at))
        return render_template(
            "respond/not_open.html", opens=opens, zone=organisation.time_zone_name()
        ), status
    return None


def _after_close(wave, team_id: int) -> str:
    """The team's results when they may be shown (see together, 共同看见), else the closed page."""
    shared = shared_results.team_results(wave, team_id)
    if shared is None:
        return render_template("respond/closed.html")
    return render_template(
        "respond/results.html",
        shared=shared,
        k=wave.k,
        instrument=instruments.get(wave.instrument_key, wave.instrument_version),
        language=instrument_language(),
    )


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


def database_unavailable(error):
    """The database went away before the answers could be read against it (a restart, say).

    A posted survey comes back as a page that holds every posted field and sends it again
    with one button: nothing was stored, and the invitation is still unused.
    """
    log_unavailable(error)
    discard_session()
    if request.method != "POST" or request.endpoint != "respond.survey":
        return render_template("unavailable.html"), 503, {"Retry-After": RETRY_AFTER}
    fields = [(name, value) for name, value in request.form.items(multi=True) if name != "lang"]
    token = (request.view_args or {}).get("token", "")
    return (
        render_template("respond/send_again.html", fields=fields, token=token),
        503,
        {"Retry-After": RETRY_AFTER},
    )


for _error_class in DATABASE_UNAVAILABLE:
    bp.register_error_handler(_error_class, database_unavailable)
