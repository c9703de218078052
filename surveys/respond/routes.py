"""Respondent views."""

from flask import render_template

from surveys.respond import bp


@bp.get("/")
def index():
    """Landing page: respondents arrive through their own link."""
    return render_template("respond/index.html")


@bp.route("/s/<token>", methods=["GET", "POST"])
def survey(token: str):
    """The survey behind one invitation link."""
    from flask import abort

    abort(404)
