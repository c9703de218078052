"""Account views."""

from flask import render_template

from surveys.auth import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in."""
    return render_template("auth/login.html")
