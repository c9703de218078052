"""Invitations of members who left the roster: withdrawn while unused, restored on return,
counted in response rates either way (so a leaving never tells who answered)."""

import csv
import io
import re

import pytest

from surveys import instruments
from surveys.db import db
from surveys.models import Invitation, Member, Response
from tests.helpers import issue_invitations

FULL = instruments.get("full", "1.0.0")
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
LEAVER = "Ann 5"

ALL = {"with_email_too": "y"}  # every member's link, not only those without email


def _links(client, wave_id) -> dict[str, str]:
    """{member: link} from the invitations CSV."""
    response = client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))[1:]
    return {row[0]: row[3] for row in rows}


def _path(link: str) -> str:
    return "/s/" + link.rsplit("/s/", 1)[1]


def _import_alpha(client, names, deactivate: bool) -> None:
    """Re-import Alpha's roster through the admin page, as an admin would."""
    body = "team,name\n" + "".join(f"Alpha,{name}\n" for name in names)
    form = {"file": (io.BytesIO(body.encode()), "roster.csv")}
    if deactivate:
        form["deactivate_missing"] = "y"
    response = client.post("/admin/roster", data=form, content_type="multipart/form-data")
    assert response.status_code == 302


def _counts_row(client, wave_id) -> list[str]:
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    match = re.search(r'<th scope="row">Alpha</th>(.*?)</tr>', page, re.S)
    return re.findall(r'<td class="num" data-label="[^"]+">(.*?)</td>', match.group(1))


def _answers() -> dict[str, str]:
    return {key: "4" for key in FULL.item_keys}


@pytest.fixture
def invited(client, world, login, make_wave):
    """An open wave of Alpha with its six links; returns (wave id, {member: path})."""
    wave_id = make_wave([world.alpha])
    login(world.admin)
    issue_invitations(client.application, wave_id)
    links = {name: _path(link) for name, link in _links(client, wave_id).items()}
    assert len(links) == 6
    return wave_id, links


def _deactivate_leaver(client) -> None:
    _import_alpha(client, [f"Ann {i}" for i in range(5)], deactivate=True)


def test_link_of_a_member_deactivated_by_a_reimport_no_longer_works(app, client, invited):
    wave_id, links = invited
    _deactivate_leaver(client)
    for headers, text in ((EN, "This link is no longer valid"), (ZH, "该链接已失效")):
        page = client.get(links[LEAVER], headers=headers)
        body = page.get_data(as_text=True)
        assert page.status_code == 200
        assert text in body
        assert 'id="survey"' not in body
    refused = client.post(links[LEAVER], data=_answers(), headers=EN)
    assert refused.status_code == 409
    assert "This link is no longer valid" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Response)) == 0
        assert not db.session.scalars(db.select(Invitation.used)).all().count(True)
    # Everyone else's link is untouched.
    assert 'id="survey"' in client.get(links["Ann 0"]).get_data(as_text=True)


def test_withdrawn_invitation_leaves_the_csv_and_the_print_page_not_the_rate(client, invited):
    wave_id, _links_before = invited
    assert _counts_row(client, wave_id) == ["0", "6", "0%"]
    _deactivate_leaver(client)
    assert set(_links(client, wave_id)) == {f"Ann {i}" for i in range(5)}
    page = client.post(f"/manage/waves/{wave_id}/invitations/print", data=ALL).get_data(
        as_text=True
    )
    assert page.count('class="card invitation-card"') == 5
    assert LEAVER not in page
    # Still 6 issued: had the leaver answered, the count would be 6 too, so it says nothing.
    assert _counts_row(client, wave_id) == ["0", "6", "0%"]
    client.post(f"/manage/waves/{wave_id}/invitations")  # no new link for the leaver either
    assert len(_links(client, wave_id)) == 5


def test_reactivating_the_member_restores_the_same_link(client, invited):
    wave_id, links = invited
    _deactivate_leaver(client)
    _import_alpha(client, [LEAVER], deactivate=False)
    assert _path(_links(client, wave_id)[LEAVER]) == links[LEAVER]
    assert 'id="survey"' in client.get(links[LEAVER]).get_data(as_text=True)
    assert client.post(links[LEAVER], data=_answers()).status_code == 303
    assert _counts_row(client, wave_id) == ["1", "6", "17%"]


def test_used_invitation_of_a_member_who_left_still_counts(app, client, invited):
    wave_id, links = invited
    assert client.post(links[LEAVER], data=_answers()).status_code == 303
    _deactivate_leaver(client)
    # 1 of 6, as it would be had the leaver not answered (then 0 of 6 before, and the
    # count of invitations the same): the leaving says nothing about who answered.
    assert _counts_row(client, wave_id) == ["1", "6", "17%"]
    # Listed only while the member is active: a list of leavers' used links would say
    # who answered.
    assert LEAVER not in _links(client, wave_id)
    assert "You have already answered" in client.get(links[LEAVER], headers=EN).get_data(
        as_text=True
    )


def test_dashboard_total_keeps_withdrawn_invitations(app, client, invited):
    wave_id, _ = invited
    with app.app_context():
        member = db.session.scalars(db.select(Member).where(Member.name == LEAVER)).one()
        member.active = False
        db.session.commit()
    page = client.get("/manage/").get_data(as_text=True)
    assert re.findall(r'<td class="num" data-label="[^"]+">(\d+)</td>', page) == ["0", "6"]
