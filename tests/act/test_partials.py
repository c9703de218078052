"""The partials a team page of another blueprint includes render on their own context."""

from __future__ import annotations

import datetime as dt

from flask import render_template_string

from surveys.db import db
from surveys.models import Team, Wave
from surveys.services import effects, interventions, team_profiles
from tests.act.survey_data import closed_wave, make_teams
from tests.helpers import make_user

PAGE = """{% include "act/_recommendations.html" %}{% include "act/_interventions.html" %}"""


def test_the_recommendations_and_interventions_partials_render_for_a_team_page(app):
    ids = make_teams(app, {"Alpha": 8, "Beta": 8, "Gamma": 8, "Delta": 8})
    levels = {ids["Alpha"]: (8, {"openness": 1.6})} | {
        ids[n]: (8, {}) for n in ("Beta", "Gamma", "Delta")
    }
    wave_id = closed_wave(app, "Autumn", dt.date(2026, 9, 1), levels, seed=3)
    with app.app_context():
        user = make_user("admin")
        alpha = db.session.get(Team, ids["Alpha"])
        entry = interventions.Entry(
            "sunlight", [alpha], dt.date(2026, 10, 1), dt.date(2026, 10, 1), "Coach", "Forum"
        )
        interventions.record(entry, user)
    with app.test_request_context("/manage/"):
        wave = db.session.get(Wave, wave_id)
        alpha = db.session.get(Team, ids["Alpha"])
        listed = interventions.for_team(alpha.id, None)
        html = render_template_string(
            PAGE,
            recommendations=team_profiles.team_recommendations(wave, alpha.id),
            names=team_profiles.scale_names(wave),
            team_id=alpha.id,
            team=alpha,
            interventions=listed,
            effects=effects.for_interventions(listed),
        )
    assert 'data-team="Alpha" data-recommendation="sunlight" data-driver="openness"' in html
    assert 'data-playbook="sunlight"' in html and "Forum" in html
    assert "Its effect shows here once a wave of these teams closes after it." in html
