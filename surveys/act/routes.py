"""Playbooks, the intervention log and the wave's "where to act" list.

For admins and facilitators. A facilitator sees and logs interventions on their own teams
only; anything else answers 404 (anonymity invariant 6). Recommendations and measured
effects read stored results of closed waves only, with teams below k left out (invariant 2).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveys import instruments, playbooks
from surveys.access import role_required, team_or_404, visible_team_ids, wave_or_404
from surveys.act.forms import InterventionForm, playbook_choices
from surveys.db import db
from surveys.forms import ConfirmForm
from surveys.i18n import instrument_language
from surveys.models import Intervention, Team, utcnow
from surveys.services import audit, effects, interventions, team_profiles

bp = Blueprint("act", __name__, url_prefix="/manage")

MANAGERS = ("admin", "facilitator")


@bp.get("/playbooks")
@role_required(*MANAGERS)
def playbook_list():
    """Every playbook, with what it works on."""
    return render_template(
        "act/playbooks.html", playbooks=playbooks.listed(), refused=playbooks.refused()
    )


@bp.get("/playbooks/<key>")
@role_required(*MANAGERS)
def playbook(key: str):
    """One playbook: purpose, when, roles, steps, cautions."""
    found = playbooks.get(key)
    if found is None:
        abort(404)
    return render_template("act/playbook.html", playbook=found)


@bp.get("/waves/<int:wave_id>/actions")
@role_required(*MANAGERS)
def wave_actions(wave_id: int):
    """Where to act: each visible team's recommendations in a closed wave."""
    wave = wave_or_404(wave_id)
    visible = visible_team_ids(current_user)
    return render_template(
        "act/actions.html",
        wave=wave,
        teams=team_profiles.wave_recommendations(wave, visible),
        names=team_profiles.scale_names(wave),
        issued_after_open=audit.issued_after_open([wave.id], visible).get(wave.id, {}),
    )


def _intervention_or_404(intervention_id: int) -> tuple[Intervention, set[int] | None]:
    intervention = db.session.get(Intervention, intervention_id)
    visible = visible_team_ids(current_user)
    if intervention is None or not interventions.may_touch(intervention, visible):
        abort(404)
    return intervention, visible


def _form(visible, intervention: Intervention | None = None) -> InterventionForm:
    own = intervention.teams if intervention else []
    teams = interventions.loggable_teams(visible, own)
    keep = intervention.playbook_key if intervention else None
    return InterventionForm(
        [(t.id, t.name) for t in teams],
        playbook_choices(instrument_language(), keep),
        obj=intervention,
    )


def _entry(form: InterventionForm) -> interventions.Entry:
    teams = list(db.session.scalars(db.select(Team).where(Team.id.in_(form.teams.data))))
    return interventions.Entry(
        playbook_key=form.playbook.data,
        teams=teams,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        facilitated_by=form.facilitated_by.data,
        notes=form.notes.data or "",
    )


def _back(team_id: int | None):
    if team_id is not None:
        return redirect(url_for("act.team_interventions", team_id=team_id))
    return redirect(url_for("act.intervention_list"))


@bp.get("/interventions")
@role_required(*MANAGERS)
def intervention_list():
    """Every logged intervention on the user's teams."""
    visible = visible_team_ids(current_user)
    listed = interventions.listed(visible)
    return render_template(
        "act/interventions.html",
        interventions=listed,
        effects=effects.for_interventions(listed),
        team=None,
    )


@bp.get("/teams/<int:team_id>/interventions")
@role_required(*MANAGERS)
def team_interventions(team_id: int):
    """The interventions logged on one team."""
    team = team_or_404(team_id)
    latest = team_profiles.latest_closed_wave(team.id)
    return render_template(
        "act/interventions.html",
        latest=latest,
        **team_profiles.team_sections(latest, team, visible_team_ids(current_user)),
    )


@bp.route("/interventions/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def new_intervention():
    """Log an intervention."""
    visible = visible_team_ids(current_user)
    team_id = request.args.get("team", type=int)
    form = _form(visible)
    if request.method == "GET":
        form.starts_on.data = form.ends_on.data = utcnow().date()
        if team_id is not None:
            form.teams.data = [team_id]
        form.playbook.data = request.args.get("playbook") or form.playbook.data
    if form.validate_on_submit():
        interventions.record(_entry(form), current_user)
        flash(_("Intervention logged."), "success")
        return _back(team_id)
    return render_template("act/intervention_form.html", form=form, intervention=None)


@bp.route("/interventions/<int:intervention_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def edit_intervention(intervention_id: int):
    """Change a logged intervention."""
    intervention, visible = _intervention_or_404(intervention_id)
    form = _form(visible, intervention)
    if request.method == "GET":
        form.playbook.data = intervention.playbook_key
        form.teams.data = [t.id for t in intervention.teams]
    if form.validate_on_submit():
        interventions.update(intervention, _entry(form))
        flash(_("Intervention saved."), "success")
        return _back(request.args.get("team", type=int))
    return render_template("act/intervention_form.html", form=form, intervention=intervention)


@bp.route("/interventions/<int:intervention_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def delete_intervention(intervention_id: int):
    """Remove a logged intervention, after a page that shows what goes with it."""
    intervention, _visible = _intervention_or_404(intervention_id)
    confirm = ConfirmForm()
    if confirm.validate_on_submit():
        interventions.delete(intervention)
        flash(_("Intervention deleted."), "success")
        return _back(request.args.get("team", type=int))
    return render_template(
        "act/intervention_delete.html", intervention=intervention, confirm=confirm
    )


@bp.app_context_processor
def _helpers():
    """Lookups the partials need wherever they are included (the team page too)."""
    return {
        "scale_label": scale_label,
        "playbook_by_key": playbooks.get,
        "playbook_links": playbook_links,
    }


def playbook_links() -> dict[str, tuple[str, str]]:
    """Each loaded playbook's page and link text in the current language, once a request.

    A "where to act" page renders thousands of links; building each with url_for and
    gettext would cost more than computing every recommendation.
    """
    if "playbook_links" not in g:
        lang = instrument_language()
        g.playbook_links = {
            p.key: (
                url_for("act.playbook", key=p.key),
                _("Playbook: %(name)s", name=p.text("name", lang)),
            )
            for p in playbooks.listed()
        }
    return g.playbook_links


def scale_label(key: str) -> str:
    """A scale's name in the current language, from the newest instrument that has it."""
    lang = instrument_language()
    for instrument in instruments.latest():
        for scale in instrument.scales:
            if scale.key == key:
                return scale.name.get(lang) or key
    return key
