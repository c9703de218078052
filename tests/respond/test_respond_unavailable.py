"""A submission the database cannot take now: a 503 in the respondent's language that keeps
the answers and stores nothing, and the same answers succeed when sent again.

The database is made unavailable for real: another connection holds SQLite's write lock (the
survey page still reads) or its exclusive lock (nothing reads), and the app waits only a
tenth of a second for it.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager

import pytest

from tests.helpers import login_as, make_user
from tests.respond.survey_setup import checked_values, full_answers


@pytest.fixture
def locked_survey(make_survey):
    survey = make_survey(SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.1}})
    path = survey.app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    return survey, path


@contextmanager
def held_lock(path: str, mode: str):
    """Another process's transaction on the file: IMMEDIATE blocks writers, EXCLUSIVE all."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute(f"BEGIN {mode}")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_submission_the_database_cannot_store_shows_the_form_again_with_a_503(locked_survey):
    survey, path = locked_survey
    client = survey.app.test_client()
    url = f"/s/{survey.tokens[0]}"
    body = full_answers(2) | {"comment": "keep this"}
    with held_lock(path, "IMMEDIATE"):
        page = client.post(url, data=body, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 503
    assert page.headers["Retry-After"]
    html = page.get_data(as_text=True)
    assert "你的回答尚未保存" in html  # the respondent's language
    assert checked_values(html) == full_answers(2)  # every answer is still in the form
    assert "keep this" in html
    assert survey.counts() == (0, 0, 0)  # nothing half-stored, the link still unused

    again = client.post(url, data=body)
    assert again.status_code == 303
    assert survey.counts() == (1, 1, 1)


def test_a_submission_that_cannot_even_be_read_gets_a_page_that_sends_it_again(locked_survey):
    survey, path = locked_survey
    client = survey.app.test_client()
    url = f"/s/{survey.tokens[0]}"
    body = full_answers(5) | {"comment": "still here"}
    with held_lock(path, "EXCLUSIVE"):
        page = client.post(url, data=body, headers={"Accept-Language": "en"})
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "Your answers were not saved yet" in html
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    assert {k: hidden[k] for k in full_answers(5)} == full_answers(5)
    assert hidden["comment"] == "still here"
    assert survey.counts() == (0, 0, 0)

    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    again = client.post(action, data=hidden)  # the page's own button
    assert again.status_code == 303
    assert survey.counts() == (1, 1, 1)


def test_any_page_answers_503_while_the_database_is_away(locked_survey):
    survey, path = locked_survey
    client = survey.app.test_client()
    with survey.app.app_context():
        login_as(client, make_user("admin"))
    with held_lock(path, "EXCLUSIVE"):
        # Loading the signed-in user is the first thing to fail; the page must not need it.
        page = client.get("/auth/", headers={"Accept-Language": "zh"})
        survey_page = client.get(f"/s/{survey.tokens[0]}")
    assert page.status_code == 503
    assert survey_page.status_code == 503
    assert "暂时无法使用" in page.get_data(as_text=True)
    assert client.get(f"/s/{survey.tokens[0]}").status_code == 200  # back by itself
    assert client.get("/auth/").status_code == 200
