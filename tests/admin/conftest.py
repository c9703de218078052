"""Fixtures for the admin pages: a signed-in admin and a small tree of teams."""

import pytest

from surveys.db import db
from surveys.models import Team
from tests.helpers import login_as, make_user


@pytest.fixture
def admin_client(app, client):
    with app.app_context():
        login_as(client, make_user("admin"))
    return client


@pytest.fixture
def tree(app):
    """Sales (department) > East, West; Support (team). Returns {name: id}."""
    with app.app_context():
        sales = Team(name="Sales")
        teams = [
            sales,
            Team(name="East", parent=sales),
            Team(name="West", parent=sales),
            Team(name="Support"),
        ]
        db.session.add_all(teams)
        db.session.commit()
        return {t.name: t.id for t in teams}
