"""The navigation of signed-in users follows their role; anonymous visitors get none."""

import re

import pytest

from tests.helpers import login_as, make_user


def nav_links(page: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S)
    return re.findall(r'href="([^"]+)"', nav.group(1)) if nav else []


@pytest.mark.parametrize(
    "role, expected",
    [
        (
            "admin",
            [
                "/manage/",
                "/manage/interventions",
                "/manage/playbooks",
                "/admin/teams",
                "/admin/roster",
                "/admin/users",
                "/admin/settings",
                "/admin/sharing",
                "/admin/waves/import",
                "/auth/",
            ],
        ),
        (
            "facilitator",
            [
                "/manage/",
                "/manage/interventions",
                "/manage/playbooks",
                "/admin/teams",
                "/auth/",
            ],
        ),
        ("researcher", ["/auth/"]),
    ],
)
def test_nav_links_follow_the_role(app, client, role, expected):
    with app.app_context():
        login_as(client, make_user(role))
    page = client.get("/auth/").get_data(as_text=True)
    links = [link for link in nav_links(page) if not link.startswith("/export")]
    assert links == expected
    assert 'action="/auth/logout"' in page


def test_every_nav_link_opens_for_its_role(app, client):
    with app.app_context():
        login_as(client, make_user("facilitator"))
    for link in nav_links(client.get("/auth/").get_data(as_text=True)):
        assert client.get(link).status_code == 200, link


def test_anonymous_visitors_get_no_navigation(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert nav_links(page) == []
    assert "/auth/logout" not in page


@pytest.mark.parametrize(
    "lang, text", [("en", "What researchers can do"), ("zh_Hans", "研究人员可以做什么")]
)
def test_a_researcher_lands_on_a_page_that_says_what_the_role_can_do(app, client, lang, text):
    with app.app_context():
        login_as(client, make_user("researcher"))
    page = client.get(f"/auth/?lang={lang}").get_data(as_text=True)
    assert text in page and "trustsurvey analyze" in page


def test_other_roles_do_not_get_the_researcher_note(app, client):
    with app.app_context():
        login_as(client, make_user("facilitator"))
    assert "What researchers can do" not in client.get("/auth/?lang=en").get_data(as_text=True)
