"""Printed cards of a large wave come one page of one team at a time, each page an audited
export (issue 14 point 5, under the audit log of issue 13 point 2)."""

import re

import pytest

from surveys.db import db
from surveys.models import AuditEvent, Invitation, Member
from surveys.services import invitations, link_exports
from tests.helpers import issue_invitations

ALL = {"with_email_too": "y"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(link_exports, "CARDS_PER_PAGE", 4)


def _page_forms(html: str) -> list[dict[str, str]]:
    """The hidden fields of every page's form on the list of pages."""
    forms = re.findall(r"<form [^>]*invitations/print[^>]*>(.*?)</form>", html, re.S)
    return [dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', form)) for form in forms]


def _links(html: str) -> list[str]:
    return re.findall(r'class="invitation-link"><a href="([^"]+)"', html)


def _events(app, wave_id):
    with app.app_context():
        rows = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.wave_id == wave_id).order_by(AuditEvent.id)
        )
        return [(e.action, e.team.name, e.count, e.user.email) for e in rows]


def _every_link(app, wave_id) -> set[str]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(Invitation)
            .join(Member)
            .where(Invitation.wave_id == wave_id, Member.active.is_(True))
        )
        return {f"/s/{invitations.token_of(inv)}" for inv in rows}


def _add_member(app, team_id, name, email=None):
    with app.app_context():
        db.session.add(Member(team_id=team_id, name=name, email=email))
        db.session.commit()


def test_pages_of_cards_together_print_every_invitation_exactly_once(
    app, client, world, login, make_wave, small_pages
):
    _add_member(app, world.alpha, "Ann 0", "namesake@example.org")  # same name: same sort key
    wave_id = make_wave([world.alpha, world.beta])
    issue_invitations(app, wave_id)
    login(world.admin)
    url = f"/manage/waves/{wave_id}/invitations/print"
    index = client.post(url, data=ALL, headers=EN).get_data(as_text=True)
    assert "invitation-card" not in index and "/s/" not in index  # a list, not links
    forms = _page_forms(index)
    assert [(f["page"], f["of"]) for f in forms] == [("1", "7"), ("2", "7"), ("1", "4")]
    assert all(f["with_email_too"] == "y" for f in forms)
    printed = []
    for form in forms:
        page = client.post(url, data=form, headers=EN).get_data(as_text=True)
        links = _links(page)
        assert 1 <= len(links) <= 4
        printed += [re.sub(r"^https?://[^/]+", "", link) for link in links]
    assert len(printed) == len(set(printed)) == 11
    assert set(printed) == _every_link(app, wave_id)


def test_each_page_of_cards_is_logged_with_its_count_and_the_list_of_pages_is_not(
    app, client, world, login, make_wave, small_pages
):
    wave_id = make_wave([world.alpha, world.beta])
    issue_invitations(app, wave_id)
    login(world.admin)
    url = f"/manage/waves/{wave_id}/invitations/print"
    forms = _page_forms(client.post(url, data=ALL).get_data(as_text=True))
    assert _events(app, wave_id) == []
    client.post(url, data=forms[1])  # Alpha's second page only
    assert _events(app, wave_id) == [("link_cards", "Alpha", 2, "admin@example.org")]
    for form in forms:
        client.post(url, data=form)
    assert _events(app, wave_id)[1:] == [
        ("link_cards", "Alpha", 4, "admin@example.org"),
        ("link_cards", "Alpha", 2, "admin@example.org"),
        ("link_cards", "Beta", 4, "admin@example.org"),
    ]
    # The facilitator of Beta sees Beta's page in the log, and nothing of Alpha.
    login(world.fac_b)
    page = client.get(f"/manage/waves/{wave_id}", headers=EN).get_data(as_text=True)
    log = page[page.index("Audit log") :]
    assert re.search(r"printed invitation cards.*?Beta.*?>4<", log, re.S)
    assert "Alpha" not in log


def test_pages_of_cards_offer_only_members_without_email_unless_asked(
    app, client, world, login, make_wave, small_pages
):
    for i in range(5):
        _add_member(app, world.beta, f"Paper {i}")
    wave_id = make_wave([world.alpha, world.beta])
    issue_invitations(app, wave_id)
    login(world.admin)
    url = f"/manage/waves/{wave_id}/invitations/print"
    forms = _page_forms(client.post(url).get_data(as_text=True))
    assert [(f["team"], f["page"], f["of"]) for f in forms] == [
        (str(world.beta), "1", "5"),
        (str(world.beta), "2", "5"),
    ]
    assert all("with_email_too" not in f for f in forms)
    names = []
    for form in forms:
        names += re.findall(r'class="invitation-member">([^<]+)<', client.post(url, data=form).text)
    assert sorted(names) == [f"Paper {i}" for i in range(5)]
    assert [e[2] for e in _events(app, wave_id)] == [4, 1]


def test_a_page_cut_from_a_changed_roster_prints_nothing(
    app, client, world, login, make_wave, small_pages
):
    wave_id = make_wave([world.alpha], state="scheduled")
    issue_invitations(app, wave_id)
    login(world.admin)
    url = f"/manage/waves/{wave_id}/invitations/print"
    forms = _page_forms(client.post(url, data=ALL).get_data(as_text=True))
    _add_member(app, world.alpha, "Aaron New", "aaron@example.org")  # sorts first
    issue_invitations(app, wave_id)
    reply = client.post(url, data=forms[1], headers=EN, follow_redirects=True)
    assert "changed since the list of pages was made" in reply.get_data(as_text=True)
    assert "invitation-card" not in reply.get_data(as_text=True)
    assert _events(app, wave_id) == []


@pytest.mark.parametrize("who", ["fac_a", "researcher"])
def test_only_admins_print_a_page_of_cards(app, client, world, login, make_wave, who):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    login(getattr(world, who))
    url = f"/manage/waves/{wave_id}/invitations/print"
    page = {**ALL, "team": str(world.alpha), "page": "1", "of": "6"}
    assert client.post(url, data=page).status_code == 404
    assert client.post(url, data=ALL).status_code == 404
    assert _events(app, wave_id) == []


def test_a_page_of_cards_for_a_team_outside_the_wave_prints_nothing(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    login(world.admin)
    url = f"/manage/waves/{wave_id}/invitations/print"
    for page in ({"team": world.beta, "page": 1, "of": 4}, {"team": world.alpha, "page": 2}):
        reply = client.post(url, data={**ALL, **page})
        assert reply.status_code == 302
    assert _events(app, wave_id) == []
