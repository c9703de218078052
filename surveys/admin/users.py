"""User views (admins only): list, create, change role, deactivate, set a new password."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from surveys import accounts
from surveys.access import role_required
from surveys.admin import bp
from surveys.admin.forms import UserCreateForm, UserEditForm
from surveys.db import db
from surveys.models import User


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
        if user.id == current_user.id and (form.role.data != "admin" or not form.active.data):
            form.role.errors.append(
                _("You cannot remove your own admin access; ask another admin.")
            )
        else:
            ends_sessions = bool(form.password.data) or (user.active and not form.active.data)
            user.name = (form.name.data or "").strip()
            user.role = form.role.data
            user.active = form.active.data
            if user.role != "facilitator":
                user.teams = []
            if form.password.data:
                user.set_password(form.password.data)
            if ends_sessions:
                user.rotate_session()
            db.session.commit()
            if ends_sessions and user.id == current_user.id:
                login_user(user)
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)
