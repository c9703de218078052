"""Error pages speak the user's language and look like the rest of the app, on every blueprint."""

from __future__ import annotations

import pytest

from surveys.db import db
from surveys.models import Team
from tests.helpers import login_as, make_user

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def facilitator(app, client):
    with app.app_context():
        team = Team(name="Own")
        db.session.add(team)
        db.session.commit()
        login_as(client, make_user("facilitator", teams=[team]))


def test_unknown_address_gets_a_chinese_not_found_page(client):
    response = client.get("/no/such/page", headers=ZH)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "找不到页面" in page and '<html lang="zh-Hans">' in page
    assert "Not Found" not in page


def test_another_teams_wave_gets_the_translated_not_found_page(client, facilitator):
    response = client.get("/manage/waves/12345", headers=ZH)
    assert response.status_code == 404
    assert "找不到页面" in response.get_data(as_text=True)


def test_wrong_method_gets_a_translated_page(client, facilitator):
    response = client.put("/manage/", headers=ZH)
    assert response.status_code == 405
    assert "这个页面不能以这种方式使用" in response.get_data(as_text=True)


def test_not_found_page_in_english_has_no_werkzeug_text(client):
    page = client.get("/no/such/page", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Page not found" in page
    assert "If you entered the URL manually" not in page


def test_expired_form_on_a_facilitator_page_is_explained_in_chinese(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        team = Team(name="Own")
        db.session.add(team)
        db.session.commit()
        login_as(client, make_user("facilitator", teams=[team]))
    response = client.post("/manage/waves/new", data={"name": "x"}, headers=ZH)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "表单已过期" in page and "CSRF" not in page


def test_a_respondent_problem_keeps_its_own_page(client):
    response = client.post(
        "/s/anything",
        data=b"\xff",
        headers={**ZH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "找不到页面" not in response.get_data(as_text=True)
