"""Facilitator views."""

from flask import render_template

from surveys.facilitate import bp


@bp.get("/")
def dashboard():
    """The facilitator's home page."""
    return render_template("facilitate/dashboard.html")
