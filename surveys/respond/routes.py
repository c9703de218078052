"""Respondent views."""

from flask import render_template

from surveys.respond import bp


@bp.get("/")
def index():
    """Landing page: respondents arrive through their own link."""
    return render_template("respond/index.html")
