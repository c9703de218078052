"""Fixtures for the respondent flow: a small organisation with a wave and invitation links."""

from __future__ import annotations

import pytest

from tests.respond.survey_setup import Survey, create_survey


@pytest.fixture
def survey(app) -> Survey:
    """An open wave of the full instrument with six unused links, on SQLite."""
    return create_survey(app)


@pytest.fixture
def make_survey(make_app):
    """Build an app on ``backend`` with config overrides, and a survey in it."""

    def make(backend: str = "sqlite", status: str = "open", **config) -> Survey:
        return create_survey(make_app(backend, **config), status=status)

    return make
