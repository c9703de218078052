"""Account views: sign in, sign out, change password."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from surveys.auth.forms import LoginForm, LogoutForm, PasswordForm
from surveys.security import limiter
from surveys.services import accounts

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Each role's home page; the first endpoint that exists wins (blueprints arrive over time).
HOMES = {
    "admin": ("admin.teams", "auth.account"),
    "facilitator": ("facilitate.dashboard", "admin.teams", "auth.account"),
    "researcher": ("auth.account",),
}


def login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def home_url(user) -> str:
    endpoint = next(
        e for e in HOMES.get(user.role, ("auth.account",)) if e in current_app.view_functions
    )
    return url_for(endpoint)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirect)."""
    if not target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target.replace("\\", "/"))
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if target.startswith("//") or target.startswith("/\\"):
        return None
    return target


@bp.app_context_processor
def navigation():
    def has_endpoint(name: str) -> bool:
        return name in current_app.view_functions

    return {"has_endpoint": has_endpoint, "role_label": accounts.role_label}


@bp.errorhandler(429)
def too_many_attempts(error):
    return render_template("auth/too_many.html"), 429


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    """Sign in."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or home_url(current_user))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or home_url(user))
        failed = True
    return render_template("auth/login.html", form=form, failed=failed)


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: the session token rotates, so old cookies stop working."""
    if LogoutForm().validate_on_submit():
        accounts.sign_out_everywhere(current_user._get_current_object())
        logout_user()
        flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.get("/")
@login_required
def account():
    """Who is signed in, with links to change the password and sign out."""
    return render_template("auth/account.html")


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(login_limit, methods=["POST"])
def password():
    """Change one's own password; every other session of the user ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if accounts.change_password(user, form.current_password.data, form.new_password.data):
            login_user(user)  # the new token, so this session goes on
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.account"))
        form.current_password.errors.append(_("The current password is wrong."))
    return render_template("auth/password.html", form=form)
