"""Facilitator views: the dashboard, waves, invitations, response counts and closed results.

Every view is for admins and facilitators; a facilitator sees and acts only on their own
teams, and anything else answers 404 (anonymity invariant 6). While a wave is open only
response counts are shown, never scores (invariant 3); after close, only stored results,
with teams below k hidden (invariant 2).
"""

from __future__ import annotations

import datetime as dt
import itertools

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

import trust
from surveys import instruments
from surveys.access import role_required, team_or_404, visible_team_ids, wave_or_404
from surveys.db import db
from surveys.facilitate.forms import (
    CardPageForm,
    ExportLinksForm,
    OpenWaveForm,
    WaveForm,
    split_instrument,
)
from surveys.forms import ConfirmForm
from surveys.i18n import instrument_language
from surveys.models import Team, Wave, WaveStatus, utcnow
from surveys.services import (
    audit,
    calibration,
    delivery,
    heatmap,
    invitations,
    link_exports,
    organisation,
    readings,
    results,
    team_profiles,
    team_results,
    waves,
)

bp = Blueprint("facilitate", __name__, url_prefix="/manage")

MANAGERS = ("admin", "facilitator")


def _team_choices(visible: set[int] | None, also: list[Team] = ()) -> list[tuple[int, str]]:
    """Visible teams that are not archived and not departments, plus ``also`` (the wave's own).

    A department has no roster of its own, so it would get no invitations.
    """
    query = (
        db.select(Team).where(Team.archived.is_(False), ~Team.children.any()).order_by(Team.name)
    )
    if visible is not None:
        query = query.where(Team.id.in_(visible))
    teams = {t.id: t for t in db.session.scalars(query)}
    teams.update({t.id: t for t in also if visible is None or t.id in visible})
    return [(t.id, t.name) for t in sorted(teams.values(), key=lambda t: t.name)]


def _teams(ids: list[int]) -> list[Team]:
    return list(db.session.scalars(db.select(Team).where(Team.id.in_(ids))))


def _managed_wave_or_404(wave_id: int) -> tuple[Wave, set[int] | None]:
    wave = wave_or_404(wave_id)
    return wave, visible_team_ids(current_user)


@bp.get("/")
@role_required(*MANAGERS)
def dashboard():
    """The waves of the user's teams, with their status and response counts."""
    visible = visible_team_ids(current_user)
    listed = waves.visible_waves(visible)
    counts = waves.response_totals(listed, visible)
    late = audit.issued_after_open([w.id for w in listed], visible)
    return render_template("facilitate/dashboard.html", waves=listed, counts=counts, late=late)


@bp.route("/waves/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def new_wave():
    """Create a wave."""
    visible = visible_team_ids(current_user)
    form = WaveForm(_team_choices(visible))
    if request.method == "GET":
        form.k.data = waves.default_k()
        choices = form.instrument.choices
        form.instrument.data = choices[0][0] if choices else None
        # The next full hour on the organisation's clock.
        local = organisation.to_local(utcnow()).replace(minute=0, second=0, microsecond=0)
        form.opens_at.data = organisation.to_utc(local + dt.timedelta(hours=1))
        form.closes_at.data = form.opens_at.data + waves.DEFAULT_DURATION
    small = _small_teams_to_confirm(form)
    if form.validate_on_submit() and not small:
        key, version = split_instrument(form.instrument.data)
        wave = waves.create(
            name=form.name.data.strip(),
            instrument_key=key,
            instrument_version=version,
            teams=_teams(form.teams.data),
            opens_at=form.opens_at.data,
            closes_at=form.closes_at.data,
            k=form.k.data,
        )
        flash(_("Wave created."), "success")
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    return _wave_form(form, None, small)


@bp.get("/waves/<int:wave_id>")
@role_required(*MANAGERS)
def wave(wave_id: int):
    """One wave: counts while it runs, stored results once closed."""
    wave, visible = _managed_wave_or_404(wave_id)
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    status = wave.status()
    context = {
        "wave": wave,
        "status": status,
        "instrument": instrument,
        "teams": sorted(
            (t for t in wave.teams if visible is None or t.id in visible), key=lambda t: t.name
        ),
        "can_manage": waves.can_manage(wave, visible),
        "confirm": ConfirmForm(),
        "export": ExportLinksForm() if current_user.role == "admin" else None,
        "audit_events": audit.events(wave, visible),
        "issued_after_open": audit.issued_after_open([wave.id], visible).get(wave.id, {}),
        "mail_ready": delivery.configured(),
        # A mailing counts members of every team it went to: a facilitator of only some of
        # the wave's teams sees their own mailings.
        "mailings": [
            m
            for m in delivery.mailings(wave)
            if waves.can_manage(wave, visible) or m.user_id == current_user.id
        ],
        "mail_pending": delivery.unfinished(wave, delivery.Kind.INVITATION) is not None,
        "without_email": delivery.without_email(wave, waves.wave_team_ids(wave, visible)),
        "mail_problems": (
            delivery.invitation_problems(wave) if current_user.role == "admin" else []
        ),
    }
    if wave.closed_at is None:
        context["counts"] = waves.response_counts(wave, visible)
    else:
        context["rows"] = results.team_table(wave, visible)
        context["scale_results"] = results.scale_table(wave)
        context["comments"] = results.team_comments(wave, visible)
        context["readings"] = readings
    return render_template("facilitate/wave.html", **context)


@bp.get("/waves/<int:wave_id>/teams/<int:team_id>")
@role_required(*MANAGERS)
def team(wave_id: int, team_id: int):
    """One team in a closed wave: every dimension, its spread and agreement, trend, comments."""
    wave = wave_or_404(wave_id)
    team = team_or_404(team_id)
    if team not in wave.teams:
        abort(404)
    if wave.closed_at is None:
        # Scores wait for the close (anonymity invariant 3); the wave page shows counts.
        flash(_("A team's results appear when the wave closes."), "info")
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    visible = visible_team_ids(current_user)
    return render_template(
        "act/team.html",
        page=team_results.team_page(wave, team, with_reliability=waves.can_manage(wave, visible)),
        instrument=instruments.get(wave.instrument_key, wave.instrument_version),
        readings=readings,
        issued_after_open=audit.issued_after_open([wave.id], {team.id})
        .get(wave.id, {})
        .get(team.id, 0),
        **team_profiles.team_sections(wave, team, visible),
    )


@bp.route("/waves/<int:wave_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_wave(wave_id: int):
    """Change a wave: everything while scheduled, then only its name and close date."""
    wave, visible = _managed_wave_or_404(wave_id)
    if not waves.can_manage(wave, visible) or wave.status() is WaveStatus.CLOSED:
        flash(_("This wave can no longer be changed here."), "error")
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    if waves.is_locked(wave):
        return _edit_open_wave(wave, visible)
    form = WaveForm(
        _team_choices(visible, wave.teams),
        pinned=f"{wave.instrument_key}:{wave.instrument_version}",
    )
    if request.method == "GET":
        form.name.data = wave.name
        form.instrument.data = f"{wave.instrument_key}:{wave.instrument_version}"
        form.teams.data = [t.id for t in wave.teams]
        form.opens_at.data, form.closes_at.data, form.k.data = wave.opens_at, wave.closes_at, wave.k
    small = _small_teams_to_confirm(form)
    if form.validate_on_submit() and not small:
        try:
            waves.update(
                wave,
                name=form.name.data.strip(),
                opens_at=form.opens_at.data,
                closes_at=form.closes_at.data,
                k=form.k.data,
                instrument=split_instrument(form.instrument.data),
                teams=_teams(form.teams.data),
            )
        except waves.WaveLockedError:
            flash(
                _(
                    "This wave opened meanwhile: its open date, k, the instrument and the "
                    "teams can no longer change. Nothing was saved."
                ),
                "error",
            )
            return redirect(url_for("facilitate.edit_wave", wave_id=wave.id))
        flash(_("Wave saved."), "success")
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    return _wave_form(form, wave, small)


def _small_teams_to_confirm(form: WaveForm) -> list[waves.SmallTeam]:
    """On a submitted form, the chosen teams that can never reach k, unless the user has
    already seen them and chosen to save anyway."""
    if request.method != "POST" or form.accept_small_teams.data:
        return []
    if not isinstance(form.k.data, int) or not form.teams.data:
        return []
    valid = {team_id for team_id, _ in form.teams.choices}
    return waves.small_teams(_teams([t for t in form.teams.data if t in valid]), form.k.data)


def _wave_form(form: WaveForm, wave: Wave | None, small: list[waves.SmallTeam]):
    """The scheduled wave's form; with ``small``, a warning to read before saving."""
    sizes = waves.active_roster_sizes([team_id for team_id, _ in form.teams.choices])
    departments = {
        t.id: t.parent.name if t.parent else ""
        for t in _teams([team_id for team_id, _ in form.teams.choices])
    }
    return render_template(
        "facilitate/wave_form.html",
        form=form,
        wave=wave,
        refused=instruments.refused(),
        small=small,
        sizes=sizes,
        departments=departments,
    ), 400 if form.errors else 200


def _edit_open_wave(wave: Wave, visible: set[int] | None):
    form = OpenWaveForm(wave, visible)
    if request.method == "GET":
        form.name.data, form.closes_at.data = wave.name, wave.closes_at
    if form.validate_on_submit():
        waves.update(wave, name=form.name.data.strip(), closes_at=form.closes_at.data)
        flash(_("Wave saved."), "success")
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    if any(getattr(form, name).errors for name in waves.LOCKED_FIELDS):
        flash(
            _("This wave has opened: k, the instrument and the teams can no longer change."),
            "error",
        )
    if form.opens_at.errors:
        flash(" ".join(str(error) for error in form.opens_at.errors), "error")
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    return render_template(
        "facilitate/wave_open_form.html",
        form=form,
        wave=wave,
        instrument=instrument,
        teams=sorted(wave.teams, key=lambda t: t.name),
    ), (400 if form.errors else 200)


@bp.post("/waves/<int:wave_id>/invitations")
@role_required(*MANAGERS)
def generate_invitations(wave_id: int):
    """Issue invitations to roster members of the user's teams who have none yet."""
    wave, visible = _managed_wave_or_404(wave_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if wave.status() is WaveStatus.CLOSED:
        flash(_("This wave is closed; no more invitations can be issued."), "error")
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    if wave.status() is WaveStatus.OPEN:
        # Issued after opening: an admin confirms them on a page of their own.
        if current_user.role == "admin":
            return redirect(url_for("facilitate.confirm_late_invitations", wave_id=wave.id))
        flash(
            _(
                "This wave is open: only an admin can issue invitations now, and the wave "
                "will show that they did."
            ),
            "error",
        )
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    issued = waves.generate_invitations(wave, visible, current_user)
    flash(_("Invitations issued: %(n)d.", n=issued), "success")
    return redirect(url_for("facilitate.wave", wave_id=wave.id))


@bp.route("/waves/<int:wave_id>/invitations/after-opening", methods=["GET", "POST"])
@role_required("admin")
def confirm_late_invitations(wave_id: int):
    """An admin confirms invitations for members added after the wave opened (audited)."""
    wave, visible = _managed_wave_or_404(wave_id)
    if wave.status() is not WaveStatus.OPEN:
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    form = ConfirmForm()
    waiting = waves.members_without_invitation(wave, visible)
    if form.validate_on_submit():
        issued = waves.generate_invitations(wave, visible, current_user)
        flash(
            _("Invitations issued after opening: %(n)d, recorded in the audit log.", n=issued),
            "success",
        )
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    return render_template(
        "facilitate/late_invitations.html", wave=wave, form=form, waiting=waiting
    )


@bp.post("/waves/<int:wave_id>/invitations.csv")
@role_required("admin")
def invitations_csv(wave_id: int):
    """An admin downloads links as CSV for a mail-merge (recorded in the audit log)."""
    wave, _visible = _managed_wave_or_404(wave_id)
    form = ExportLinksForm()
    if not form.validate_on_submit():
        abort(400)
    rows = link_exports.export_links(
        wave, current_user, audit.Action.LINKS_CSV, not form.with_email_too.data
    )
    response = Response(link_exports.invitations_csv(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="wave-{wave.id}-invitations.csv"'
    )
    response.headers["Cache-Control"] = "no-store"  # the links are one-time keys
    return response


@bp.post("/waves/<int:wave_id>/invitations/print")
@role_required("admin")
def invitations_print(wave_id: int):
    """An admin prints one bilingual card per member with the link and its QR code (audited).

    Up to a page's worth of cards in all, they come at once; beyond that, this answers with
    the list of pages per team, and each page is printed (and audited) on its own.
    """
    wave, _visible = _managed_wave_or_404(wave_id)
    form = CardPageForm()
    if not form.validate_on_submit():
        abort(400)
    without_email_only = not form.with_email_too.data
    pages = link_exports.card_pages(wave, without_email_only)
    shown = None
    if form.team.data is not None or form.page.data is not None:
        shown = next(
            (p for p in pages if (p.team_id, p.page) == (form.team.data, form.page.data)), None
        )
        if shown is None or shown.of != form.of.data:
            flash(
                _(
                    "This team's cards changed since the list of pages was made (its roster or "
                    "its invitations). Nothing was printed: open the list of pages again."
                ),
                "error",
            )
            return redirect(url_for("facilitate.wave", wave_id=wave.id))
    elif sum(p.count for p in pages) > link_exports.CARDS_PER_PAGE:
        return render_template(
            "facilitate/invitations_print_index.html",
            wave=wave,
            teams=[list(team) for _id, team in itertools.groupby(pages, lambda p: p.team_id)],
            form=form,
            cards_per_page=link_exports.CARDS_PER_PAGE,
        )
    rows = link_exports.export_links(
        wave, current_user, audit.Action.LINK_CARDS, without_email_only, shown
    )
    response = Response(
        render_template(
            "facilitate/invitations_print.html",
            wave=wave,
            rows=rows,
            shown=shown,
            lines=invitations.card_lines(wave),
            qr_svg=invitations.qr_svg,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/waves/<int:wave_id>/mail/<kind>")
@role_required(*MANAGERS)
def send_mail(wave_id: int, kind: str):
    """Email the invitations, or a reminder, to the members of the user's teams; or continue
    an interrupted batch. Only counts are shown."""
    wave, visible = _managed_wave_or_404(wave_id)
    try:
        kind = delivery.Kind(kind)
    except ValueError:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = redirect(url_for("facilitate.wave", wave_id=wave.id))
    if wave.status() is WaveStatus.CLOSED:
        flash(_("This wave is closed; no more email is sent."), "error")
        return back
    if not delivery.configured():
        flash(_("Email is not set up for this installation; ask an admin."), "error")
        return back
    # Only an invitation batch is ever said to be unfinished: see delivery.run_in_background.
    pending = delivery.unfinished(wave, delivery.Kind.INVITATION)
    others = pending is not None and pending.user_id != current_user.id
    if kind is delivery.Kind.INVITATION and others and not waves.can_manage(wave, visible):
        # Someone else's batch may go to teams this user does not see, and its counts
        # would be shown here: it continues with its sender or `trustsurvey send-mail`.
        flash(
            _(
                "Another user's email batch for this wave is not finished yet. It continues "
                "when they send again or at the next scheduled run; try again later."
            ),
            "info",
        )
        return back
    mailing = delivery.start(wave, waves.wave_team_ids(wave, visible), current_user, kind)
    if mailing is None:
        flash(_("Nobody to send to: every member with an email address has it."), "info")
        return back
    if mailing.kind == delivery.Kind.REMINDER:
        # Sent after this request, which then takes as long for four recipients as for none.
        delivery.run_in_background(mailing)
        flash(
            _(
                "The reminder is being sent. How many people it goes to, and how many of "
                "its messages fail, is not shown: beside the response count it would say "
                "who has not answered yet."
            ),
            "success",
        )
        return back
    try:
        delivery.run(mailing)
    except delivery.MailServerError:
        current_app.logger.exception("mailing %s of wave %s stopped", mailing.id, wave.id)
        flash(
            _(
                "The mail server could not be reached, or refused the sender. What was not "
                "sent stays planned: send again later to continue, nobody gets it twice."
            ),
            "error",
        )
        return back
    flash(
        _(
            "Invitation emails: %(sent)d sent, %(failed)d not delivered, %(unknown)d interrupted.",
            sent=mailing.sent,
            failed=mailing.failed,
            unknown=mailing.unknown,
        ),
        "success",
    )
    return back


@bp.route("/waves/<int:wave_id>/close", methods=["GET", "POST"])
@role_required(*MANAGERS)
def close_wave(wave_id: int):
    """Confirm, then close a wave and store its results."""
    wave, visible = _managed_wave_or_404(wave_id)
    if not waves.can_manage(wave, visible):
        flash(_("This wave includes teams you do not manage; ask an admin to close it."), "error")
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    if wave.closed_at is not None:
        flash(_("This wave is already closed."), "info")
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    if wave.status() is WaveStatus.SCHEDULED:
        flash(
            _("A wave that has not opened yet cannot be closed; change its dates instead."), "error"
        )
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        if waves.close(wave):
            flash(_("Wave closed; its results are stored."), "success")
        else:
            flash(_("This wave is already closed."), "info")
        return redirect(url_for("facilitate.wave", wave_id=wave.id))
    return render_template("facilitate/close.html", wave=wave, form=form)


def _closed_wave_or_404(wave_id: int) -> tuple[Wave, set[int] | None]:
    """A wave the user may see, once it is closed; before, back to its page, which has the
    response counts (scores stay hidden until then)."""
    wave, visible = _managed_wave_or_404(wave_id)
    if wave.closed_at is None:
        flash(_("The heatmap shows once the wave has closed and its results are stored."), "info")
        abort(redirect(url_for("facilitate.wave", wave_id=wave.id)))
    return wave, visible


@bp.get("/heatmap")
@role_required(*MANAGERS)
def pick_heatmap():
    """The heatmap of the wave chosen in the wave picker (a GET form, no script needed)."""
    wave_id = request.args.get("wave", type=int)
    if wave_id is None:
        return redirect(url_for("facilitate.dashboard"))
    return redirect(url_for("facilitate.heatmap_page", wave_id=wave_id, **_view_args()))


def _view_args() -> dict:
    """Sort and colour mode of a heatmap request, kept across its links."""
    args = {}
    if request.args.get("sort"):
        args["sort"] = request.args["sort"]
    if request.args.get("dir") == "desc":
        args["dir"] = "desc"
    if request.args.get("mode") == "absolute":
        args["mode"] = "absolute"
    if request.args.get("open", type=int) is not None:
        args["open"] = request.args.get("open", type=int)
    return args


def _scale_labels(instrument, keys: list[str]) -> dict[str, str]:
    """Column headings: the instrument's scale names, or the trust a pulse wave estimates."""
    lang = instrument_language()
    names = {scale.key: scale.name.get(lang) or scale.key for scale in instrument.scales}
    estimated = _trust_names()
    return {key: names.get(key) or estimated.get(key, key) for key in keys}


def _trust_names() -> dict[str, str]:
    """The two kinds of trust as the instruments name them, for a wave that estimated them."""
    return {
        "cognitive_trust": _("Cognition-based trust"),
        "affective_trust": _("Affect-based trust"),
    }


def _heatmap_context(wave_id: int) -> dict:
    wave, visible = _closed_wave_or_404(wave_id)
    keys = heatmap.columns(wave)
    view = _view_args()
    sort = view.get("sort") if view.get("sort") in keys else None
    opened = view.get("open")
    expand = None
    if heatmap.team_count(wave, visible) > heatmap.MAX_TEAM_ROWS:
        expand = {opened} if opened is not None else set()
    rows = results.heatmap(wave, visible, expand)
    organisation = rows[0] if rows and rows[0].level == "organisation" else None
    rows = heatmap.sort_rows(rows, sort, view.get("dir") == "desc")
    absolute = view.get("mode") == "absolute"
    colours = {
        (i, key): heatmap.colour_class(
            row.cells[key], organisation.cells.get(key) if organisation else None, absolute
        )
        for i, row in enumerate(rows)
        for key in keys
        if key in row.cells
    }
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    return {
        "wave": wave,
        "instrument": instrument,
        "labels": _scale_labels(instrument, keys),
        "keys": keys,
        "rows": rows,
        "colours": colours,
        "sort": sort,
        "descending": view.get("dir") == "desc",
        "absolute": absolute,
        "view": view,
        "collapsed": expand is not None,
        "low_agreement": heatmap.LOW_AGREEMENT,
    }


@bp.get("/waves/<int:wave_id>/heatmap")
@role_required(*MANAGERS)
def heatmap_page(wave_id: int):
    """Organisation, departments and teams by scale, coloured against the organisation."""
    context = _heatmap_context(wave_id)
    visible = visible_team_ids(current_user)
    context["closed_waves"] = [w for w in waves.visible_waves(visible) if w.closed_at is not None]
    context["issued_after_open"] = audit.issued_after_open([wave_id], visible).get(wave_id, {})
    return render_template("facilitate/heatmap.html", **context)


@bp.get("/waves/<int:wave_id>/heatmap.svg")
@role_required(*MANAGERS)
def heatmap_svg(wave_id: int):
    """The heatmap as an SVG picture, for slides and reports."""
    context = _heatmap_context(wave_id)
    visible = visible_team_ids(current_user)
    context["issued_after_open"] = audit.issued_after_open([wave_id], visible).get(wave_id, {})
    response = Response(
        render_template("facilitate/heatmap.svg", **context), mimetype="image/svg+xml"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="wave-{wave_id}-heatmap.svg"'
    return response


@bp.get("/waves/<int:wave_id>/heatmap.csv")
@role_required(*MANAGERS)
def heatmap_csv(wave_id: int):
    """The heatmap's numbers, one line per row and scale (UTF-8 with a byte-order mark)."""
    wave, visible = _closed_wave_or_404(wave_id)
    late = audit.issued_after_open([wave_id], visible).get(wave_id, {})
    body = "\ufeff" + heatmap.heatmap_csv(wave, visible, late)
    response = Response(body.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="wave-{wave_id}-heatmap.csv"'
    return response


@bp.get("/model")
@role_required(*MANAGERS)
def trust_model():
    """The trust model: weights with intervals, R^2, n and the waves it was fitted on."""
    stored = calibration.latest()
    fitted_on = []
    if stored is not None:
        fitted_on = list(
            db.session.scalars(
                db.select(Wave).where(Wave.id.in_(stored.wave_ids)).order_by(Wave.id)
            )
        )
    used = [instruments.get(w.instrument_key, w.instrument_version) for w in fitted_on]
    return render_template(
        "facilitate/model.html",
        stored=stored,
        fitted_on=fitted_on,
        defaults=trust.DEFAULT_WEIGHTS,
        predictor_names=_predictor_names(used or instruments.latest()),
    )


def _predictor_names(used: list) -> dict[str, str]:
    """Predictors by scale key, named as the instruments name their scales in this language
    (the instruments the model was fitted on, else the current ones)."""
    names = _trust_names()
    lang = instrument_language()
    for instrument in reversed(used):  # the first instrument's name wins
        names.update({s.key: s.name.get(lang) or s.key for s in instrument.scales})
    return names
