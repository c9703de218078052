"""PostgreSQL drops the app's connection mid-request (a restart, a failover): the request ends
with its page or a 503, never a 500, and the next request reconnects by itself."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from surveys.db import db
from surveys.services import invitations
from tests.respond.survey_setup import checked_values, create_survey, full_answers

pytestmark = pytest.mark.postgres


@pytest.fixture
def dropped_after_find(make_app, monkeypatch):
    """An app on PostgreSQL whose invitation lookup is followed by the server terminating
    that request's connection, as a restart does."""
    app = make_app("postgres")
    survey = create_survey(app)
    real_find = invitations.find

    def find(token):
        invitation = real_find(token)
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        other = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with other.begin() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.dispose()
        return invitation

    monkeypatch.setattr(invitations, "find", find)
    return app, survey, monkeypatch, real_find


def test_a_page_already_made_is_not_turned_into_a_500_by_the_dropped_connection(
    dropped_after_find,
):
    app, survey, monkeypatch, real_find = dropped_after_find
    client = app.test_client()
    # The page was read before the drop; closing the dead session must not fail it.
    assert client.get(f"/s/{survey.tokens[0]}").status_code == 200
    monkeypatch.setattr(invitations, "find", real_find)
    assert client.get(f"/s/{survey.tokens[0]}").status_code == 200  # reconnected


def test_a_submission_whose_connection_drops_gets_a_503_and_succeeds_when_sent_again(
    dropped_after_find,
):
    app, survey, monkeypatch, real_find = dropped_after_find
    client = app.test_client()
    url = f"/s/{survey.tokens[0]}"
    body = full_answers(2) | {"comment": "keep this"}
    page = client.post(url, data=body, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 503
    assert page.headers["Retry-After"]
    html = page.get_data(as_text=True)
    assert "你的回答尚未保存" in html  # the respondent's language
    assert checked_values(html) == full_answers(2)  # every answer is still in the form
    assert "keep this" in html
    assert survey.counts() == (0, 0, 0)
    monkeypatch.setattr(invitations, "find", real_find)
    assert client.post(url, data=body).status_code == 303  # reconnected
    assert survey.counts() == (1, 1, 1)
