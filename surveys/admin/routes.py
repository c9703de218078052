"""Admin views: users, the team tree, facilitators and rosters.

Admins change things, rosters included; facilitators see their own teams read-only; anyone
else gets 404 (anonymity invariants 6 and 7: a facilitator who could add members could push a
small team over k with invented people).
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from surveys import instruments
from surveys.access import role_required, team_or_404, visible_team_ids
from surveys.admin.forms import (
    FacilitatorsForm,
    ResultSharingForm,
    RosterForm,
    SettingsForm,
    TeamForm,
    UserCreateForm,
    UserEditForm,
    WaveImportForm,
)
from surveys.db import db
from surveys.forms import ConfirmForm
from surveys.i18n import instrument_language
from surveys.models import Team, User, subtree_ids
from surveys.services import accounts, imports, organisation, rosters, shared_results, teams

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _visible_teams() -> list[Team]:
    ids = visible_team_ids(current_user)
    return [t for t in teams.all_teams() if ids is None or t.id in ids]


def _parent_choices(team: Team | None = None):
    """Active teams as possible parents, indented as a tree. Disabled, but still valid choices
    so that a stale form gets the reason explained rather than a bare refusal: the team's own
    subtree (a loop) and teams with active members (they would become departments)."""
    excluded = subtree_ids([team.id]) if team is not None else set()
    members = teams.active_member_counts()
    current_parent = team.parent_id if team is not None else None
    choices = [(0, _("— none (top level) —"), {})]
    for other, depth in teams.tree([t for t in teams.all_teams() if not t.archived]):
        # The current parent stays enabled: browsers do not send a disabled selected option,
        # so the team would silently move to the top level on save.
        has_members = members.get(other.id, 0) and other.id != current_parent
        name = other.name
        if has_members:
            name = _("%(team)s (%(n)s active members)", team=name, n=members[other.id])
        label = "\u00a0\u00a0" * depth + name
        disabled = {"disabled": True} if other.id in excluded or has_members else {}
        choices.append((other.id, label, disabled))
    return choices


@bp.route("/settings", methods=["GET", "POST"])
@role_required("admin")
def settings():
    """The organisation's time zone."""
    form = SettingsForm()
    if request.method == "GET":
        form.time_zone.data = organisation.time_zone_name()
    if form.validate_on_submit():
        organisation.set_time_zone(form.time_zone.data)
        flash(_("Settings saved."), "success")
        return redirect(url_for("admin.settings"))
    return render_template(
        "admin/settings.html",
        form=form,
        zones=organisation.time_zone_choices(),
        default=organisation.default_time_zone(organisation.organisation()),
    ), 400 if form.errors else 200


@bp.route("/sharing", methods=["GET", "POST"])
@role_required("admin")
def result_sharing():
    """Whether respondents see their team's results (see together, 共同看见)."""
    form = ResultSharingForm()
    if request.method == "GET":
        form.share_results_with_respondents.data = shared_results.sharing_on()
    if form.validate_on_submit():
        shared_results.set_sharing(form.share_results_with_respondents.data)
        flash(_("Settings saved."), "success")
        return redirect(url_for("admin.result_sharing"))
    return render_template("admin/sharing.html", form=form), 400 if form.errors else 200


@bp.get("/users")
@role_required("admin")
def users():
    """Every account, with its role and teams."""
    everyone = db.session.scalars(db.select(User).order_by(User.active.desc(), User.email))
    return render_template("admin/users.html", users=list(everyone))


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def user_new():
    """Create an account with a first password (the user can change it)."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data, form.password.data, form.role.data, name=form.name.data or ""
            )
        except accounts.AccountError:  # taken between validation and insert
            form.email.errors.append(_("A user with this email already exists."))
        else:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_edit(user_id: int):
    """Change a user's name or role, deactivate them, or set a new password."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        try:
            ends_sessions = accounts.update_user(
                user,
                name=form.name.data,
                role=form.role.data,
                active=form.active.data,
                password=form.password.data,
                acting=current_user,
            )
        except accounts.AccountError:
            form.role.errors.append(
                _("You cannot remove your own admin access; ask another admin.")
            )
        else:
            if ends_sessions and user.id == current_user.id:
                login_user(user)
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.get("/", endpoint="teams")
@bp.get("/teams", endpoint="teams")
@role_required("admin", "facilitator")
def teams_index():
    """Teams and departments as a tree (a facilitator sees only their own)."""
    return render_template("admin/teams.html", tree=teams.tree(_visible_teams()))


@bp.route("/teams/new", methods=["GET", "POST"])
@role_required("admin")
def team_new():
    """Create a team or department."""
    form = TeamForm()
    form.parent.choices = _parent_choices()
    if form.validate_on_submit():
        parent = db.session.get(Team, form.parent.data) if form.parent.data else None
        try:
            team = teams.create_team(form.name.data, parent)
        except teams.TeamError as error:
            form[error.field].errors.append(str(error))
        else:
            flash(_("Team “%(name)s” created.", name=team.name), "success")
            return redirect(url_for("admin.team", team_id=team.id))
    return render_template("admin/team_form.html", form=form, team=None)


@bp.get("/teams/<int:team_id>")
@role_required("admin", "facilitator")
def team(team_id: int):
    """One team: its place in the tree, facilitators and roster."""
    team = team_or_404(team_id)
    facilitators = None
    if current_user.role == "admin":
        facilitators = FacilitatorsForm()
        facilitators.facilitators.choices = _facilitator_choices()
        facilitators.facilitators.data = [u.id for u in team.facilitators]
    members = sorted(team.members, key=lambda m: (not m.active, m.name.casefold()))
    return render_template(
        "admin/team.html",
        team=team,
        members=members,
        facilitators=facilitators,
        confirm=ConfirmForm(),
    )


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def team_edit(team_id: int):
    """Rename a team or move it under another department."""
    team = team_or_404(team_id)
    form = TeamForm(obj=team if request.method == "GET" else None)
    form.parent.choices = _parent_choices(team)
    if request.method == "GET":
        form.parent.data = team.parent_id or 0
    if form.validate_on_submit():
        parent = db.session.get(Team, form.parent.data) if form.parent.data else None
        try:
            teams.update_team(team, form.name.data, parent)
        except teams.TeamError as error:
            form[error.field].errors.append(str(error))
        else:
            flash(_("Team “%(name)s” saved.", name=team.name), "success")
            return redirect(url_for("admin.team", team_id=team.id))
    return render_template("admin/team_form.html", form=form, team=team)


@bp.post("/teams/<int:team_id>/archive")
@role_required("admin")
def team_archive(team_id: int):
    """Archive a team: it keeps its history but takes no new members or waves."""
    return _set_archived(team_or_404(team_id), teams.archive, _("Team “%(name)s” archived."))


@bp.post("/teams/<int:team_id>/unarchive")
@role_required("admin")
def team_unarchive(team_id: int):
    """Bring an archived team back."""
    return _set_archived(
        team_or_404(team_id), teams.unarchive, _("Team “%(name)s” is active again.")
    )


@bp.post("/teams/<int:team_id>/deactivate-members")
@role_required("admin")
def team_deactivate_members(team_id: int):
    """Deactivate every member of a team, say before it becomes a department."""
    team = team_or_404(team_id)
    if ConfirmForm().validate_on_submit():
        count = rosters.deactivate_members(team)
        flash(_("%(n)s member(s) of “%(name)s” deactivated.", n=count, name=team.name), "success")
    return redirect(url_for("admin.team", team_id=team.id))


def _set_archived(team: Team, change, done: str):
    if ConfirmForm().validate_on_submit():
        try:
            change(team)
        except teams.TeamError as error:
            flash(str(error), "error")
        else:
            flash(done % {"name": team.name}, "success")
    return redirect(url_for("admin.team", team_id=team.id))


def _facilitator_choices():
    users = db.session.scalars(
        db.select(User).where(User.role == "facilitator", User.active).order_by(User.email)
    )
    return [(u.id, f"{u.name} <{u.email}>" if u.name else u.email) for u in users]


@bp.post("/teams/<int:team_id>/facilitators")
@role_required("admin")
def team_facilitators(team_id: int):
    """Choose who facilitates a team (they see it, and the teams under it)."""
    team = team_or_404(team_id)
    form = FacilitatorsForm()
    form.facilitators.choices = _facilitator_choices()
    if form.validate_on_submit():
        teams.set_facilitators(team, form.facilitators.data or [])
        flash(_("Facilitators of “%(name)s” saved.", name=team.name), "success")
    else:
        flash(_("Choose facilitators from the list."), "error")
    return redirect(url_for("admin.team", team_id=team.id))


@bp.route("/roster", methods=["GET", "POST"])
@role_required("admin")
def roster_import():
    """Import a roster CSV: all rows or none; every bad row is listed."""
    max_bytes = current_app.config["MAX_ROSTER_BYTES"]
    # The request body may hold the file and the form around it (security.UPLOAD_LIMITS);
    # the file's own size is checked below.
    form = RosterForm()
    errors = []
    if form.validate_on_submit():
        data = form.file.data.read(max_bytes + 1)
        try:
            report = rosters.import_roster(
                data,
                _visible_teams(),
                encoding=form.encoding.data,
                deactivate_missing=form.deactivate_missing.data,
                max_bytes=max_bytes,
                imported_by=current_user,
            )
        except rosters.RosterRejectedError as rejected:
            errors = rejected.errors
        else:
            flash(
                _(
                    "Roster imported (read as %(encoding)s): %(added)s added, %(updated)s "
                    "updated, %(unchanged)s unchanged, %(deactivated)s deactivated.",
                    encoding=report.encoding,
                    added=report.added,
                    updated=report.updated,
                    unchanged=report.unchanged,
                    deactivated=report.deactivated,
                ),
                "success",
            )
            if report.namesakes:
                flash(
                    _(
                        "Added as new members because their email differs from that of a "
                        "member with the same name: %(names)s. If one is the same person with "
                        "a new email, import the team's whole roster again with “Deactivate "
                        "members of the teams in this file who are not in it” ticked.",
                        names=", ".join(report.namesakes),
                    ),
                    "info",
                )
            return redirect(url_for("admin.roster_import"))
    return render_template("admin/roster.html", form=form, errors=errors, max_kb=max_bytes // 1024)


@bp.route("/waves/import", methods=["GET", "POST"])
@role_required("admin")
def wave_import():
    """Import answers collected elsewhere as a closed wave: all rows or none."""
    max_bytes = current_app.config["MAX_IMPORT_BYTES"]
    form = WaveImportForm()
    lang = instrument_language()
    form.instrument.choices = [
        (
            f"{i.key}\t{i.version}",
            f"{i.name.get(lang) or i.name.get('en') or i.key} ({i.key} {i.version})",
        )
        for i in sorted(
            instruments.current().instruments.values(), key=lambda i: (i.key, i.version)
        )
    ]
    errors = []
    if form.validate_on_submit():
        key, version = form.instrument.data.split("\t")
        data = form.file.data.read(max_bytes + 1)
        try:
            if len(data) > max_bytes:
                raise imports.ImportRejectedError(
                    [
                        imports.RowError(
                            0, "", _("the file is larger than %(mb)s MB", mb=max_bytes >> 20)
                        )
                    ]
                )
            wave = imports.import_wave(
                data,
                instruments.get(key, version),
                team_column=form.team_column.data.strip(),
                team_size_column=(form.team_size_column.data or "").strip() or None,
                name=form.name.data,
                closed_on=form.closed_on.data,
            )
        except imports.ImportRejectedError as rejected:
            errors = rejected.errors
        else:
            flash(
                _("Wave “%(name)s” imported and closed; its results are stored.", name=wave.name),
                "success",
            )
            return redirect(url_for("admin.wave_import"))
    return render_template(
        "admin/wave_import.html", form=form, errors=errors, max_mb=max_bytes >> 20
    )
