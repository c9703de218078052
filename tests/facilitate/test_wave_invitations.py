"""Generating invitations, and an admin's audited export of links as CSV or printed cards.

Before a wave opens, any manager of its teams issues invitations; once it is open only an
admin does, on a confirmation page, and the audit log and a mark on the team's numbers say so.
"""

import csv
import datetime as dt
import io
import re

import segno

from surveys.db import db
from surveys.models import Invitation, Member, Team, Wave
from surveys.services import invitations, organisation

ALL = {"with_email_too": "y"}  # every member's link, not only those without email


def _invitations(app, wave_id):
    with app.app_context():
        rows = db.session.scalars(db.select(Invitation).where(Invitation.wave_id == wave_id))
        return sorted((inv.member.name, inv.team_id) for inv in rows)


def _csv(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so that Excel reads Chinese names"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_generate_issues_one_invitation_per_active_member(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha, world.beta], state="scheduled")
    login(world.admin)
    response = client.post(f"/manage/waves/{wave_id}/invitations")
    assert response.status_code == 302
    issued = _invitations(app, wave_id)
    assert len(issued) == 10  # 6 active in Alpha, 4 in Beta; the inactive member gets none
    assert ("Left Already", world.alpha) not in issued
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "Invitations issued: 10." in page


def test_generate_twice_issues_nothing_new(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="scheduled")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations")
    first = _invitations(app, wave_id)
    client.post(f"/manage/waves/{wave_id}/invitations")
    assert _invitations(app, wave_id) == first
    assert "Invitations issued: 0." in client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)


def test_member_added_later_gets_an_invitation_on_the_next_click(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.alpha], state="scheduled")
    login(world.fac_a)
    client.post(f"/manage/waves/{wave_id}/invitations")
    with app.app_context():
        db.session.add(Member(team_id=world.alpha, name="New Hire"))
        db.session.commit()
    client.post(f"/manage/waves/{wave_id}/invitations")
    issued = _invitations(app, wave_id)
    assert len(issued) == 7
    assert ("New Hire", world.alpha) in issued


def test_facilitator_generates_only_their_own_teams_invitations(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.alpha, world.beta], state="scheduled")
    login(world.fac_b)
    client.post(f"/manage/waves/{wave_id}/invitations")
    assert {team for _, team in _invitations(app, wave_id)} == {world.beta}


def test_closed_wave_issues_no_invitations(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="due")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations")
    assert _invitations(app, wave_id) == []


def test_csv_lists_member_email_team_and_working_link(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="scheduled")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations")
    rows = _csv(client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL))
    assert rows[0] == ["member", "email", "team", "link"]
    assert [r[0] for r in rows[1:]] == [f"Ann {i}" for i in range(6)]
    assert rows[1][1:3] == ["ann0@example.org", "Alpha"]
    with app.app_context():
        for _member, _email, _team, link in rows[1:]:
            token = link.rsplit("/s/", 1)[1]
            found = invitations.find(token)
            assert found is not None and found.wave_id == wave_id


def test_csv_links_are_the_same_on_every_download(client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="scheduled")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations")
    first = client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL).data
    assert client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL).data == first


def test_csv_neutralises_cells_a_spreadsheet_would_run(app, client, world, login, make_wave):
    with app.app_context():
        team = Team(name='=HYPERLINK("x")')
        team.members.extend(
            [
                Member(name="+SUM(A1)", email="@evil.example"),
                Member(name="-2+3", email="ok@example.org"),
            ]
        )
        db.session.add(team)
        db.session.commit()
        team_id = team.id
    wave_id = make_wave([team_id], state="scheduled")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations")
    rows = _csv(client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL))
    assert rows[1:] and all(cell[:1] not in "=+-@" for row in rows[1:] for cell in row)
    assert rows[1][:3] == ["'+SUM(A1)", "'@evil.example", '\'=HYPERLINK("x")']
    assert rows[2][0] == "'-2+3"


def test_csv_is_not_cached(client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="scheduled")
    login(world.admin)
    response = client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL)
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]


def test_printable_page_has_one_card_per_member(client, world, login, make_wave):
    wave_id = make_wave([world.alpha, world.beta], state="scheduled")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations")
    page = client.post(f"/manage/waves/{wave_id}/invitations/print", data=ALL).get_data(
        as_text=True
    )
    assert page.count('class="card invitation-card"') == 10
    assert "Ann 0" in page and "Bo 3" in page
    links = client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL).data.decode(
        "utf-8-sig"
    )
    for row in list(csv.reader(io.StringIO(links)))[1:]:
        assert row[3] in page


def _cards(page: str) -> list[str]:
    return re.findall(r'<section class="card invitation-card">(.*?)</section>', page, re.S)


def _qr_modules(svg: str) -> set[tuple[int, int]]:
    """Dark modules (row, column) of a QR code drawn as segno's one-path inline SVG.

    The path draws each run of dark modules as a horizontal stroke through the middle of
    its row: ``M x y`` or ``m dx dy`` moves, ``h n`` draws n modules.
    """
    d = re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)
    dark, x, y = set(), 0.0, 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", d):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark.update((int(y), int(x) + i) for i in range(int(float(a))))
            x += float(a)
    return dark


def _expected_modules(link: str, border: int = 4) -> set[tuple[int, int]]:
    """The dark modules of a QR code of ``link``, encoded here by segno directly."""
    matrix = segno.make(link, error="m", micro=False).matrix
    return {
        (r + border, c + border) for r, row in enumerate(matrix) for c, v in enumerate(row) if v
    }


def test_printed_card_shows_wave_team_close_date_and_link_in_both_languages(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.alpha], state="scheduled", name="Spring 2026")
    with app.app_context():
        organisation.set_time_zone("Asia/Shanghai")
        # Cards give the close time in the organisation's zone: UTC+8, no daylight saving.
        closes = db.session.get(Wave, wave_id).closes_at + dt.timedelta(hours=8)
    login(world.fac_a)
    client.post(f"/manage/waves/{wave_id}/invitations")
    login(world.admin)
    links = client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL).data.decode(
        "utf-8-sig"
    )
    link_of = {row[0]: row[3] for row in list(csv.reader(io.StringIO(links)))[1:]}
    for lang in ("en", "zh_Hans"):  # the facilitator's language does not change the cards
        page = client.post(f"/manage/waves/{wave_id}/invitations/print?lang={lang}", data=ALL)
        cards = _cards(page.get_data(as_text=True))
        assert len(cards) == 6
        card = next(c for c in cards if "Ann 0" in c)
        assert "<strong>Spring 2026</strong> · Alpha" in card
        assert f'<a href="{link_of["Ann 0"]}">{link_of["Ann 0"]}</a>' in card
        assert '<p lang="en">You are invited to an anonymous survey' in card
        assert '<p lang="zh-Hans">诚邀你参加一项关于团队信任的匿名调查' in card
        hour = closes.hour % 12 or 12  # English short time: 6:53 AM
        assert f"{closes:%B} {closes.day}, {closes.year}, {hour}:{closes:%M}" in card
        assert f"{closes.year}年{closes.month}月{closes.day}日 {closes:%H:%M}" in card
        assert "(Asia/Shanghai)" in card and "（Asia/Shanghai）" in card


def test_printed_card_has_a_qr_code_of_its_own_link_made_on_the_server(
    client, world, login, make_wave
):
    wave_id = make_wave([world.alpha], state="scheduled")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations")
    response = client.post(f"/manage/waves/{wave_id}/invitations/print", data=ALL)
    page = response.get_data(as_text=True)
    codes = set()
    for card in _cards(page):
        link = re.search(r'<a href="([^"]+)">', card).group(1)
        svg = re.search(r"<svg.*?</svg>", card, re.S).group(0)
        assert _qr_modules(svg) == _expected_modules(link)
        codes.add(svg)
    assert len(codes) == 6, "every card carries its own code"
    # Inline SVG with presentation attributes only: nothing fetched, nothing the CSP blocks.
    assert "<img" not in page and "<script" not in page and " style=" not in page
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_base_url_setting_builds_the_links_of_csv_and_cards(app, client, world, login, make_wave):
    app.config["BASE_URL"] = "https://trust.example.com/team"
    wave_id = make_wave([world.alpha], state="scheduled")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations")
    rows = _csv(client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL))
    links = [row[3] for row in rows[1:]]
    assert len(links) == 6
    assert all(re.fullmatch(r"https://trust\.example\.com/team/s/[\w-]{24}", x) for x in links)
    with app.app_context():
        assert all(invitations.find(x.rsplit("/s/", 1)[1]) is not None for x in links)
    page = client.post(f"/manage/waves/{wave_id}/invitations/print", data=ALL).get_data(
        as_text=True
    )
    assert "localhost" not in page  # the host the facilitator used
    card = _cards(page)[0]
    link = re.search(r'<a href="([^"]+)">', card).group(1)
    assert link in links
    assert _qr_modules(re.search(r"<svg.*?</svg>", card, re.S).group(0)) == _expected_modules(link)


def test_links_follow_the_request_host_only_without_a_base_url(app):
    # The host a facilitator might have opened the app by: an internal address.
    with app.test_request_context("/", base_url="http://10.1.2.3:8000"):
        assert invitations.link("abc") == "http://10.1.2.3:8000/s/abc"
        app.config["BASE_URL"] = "https://trust.example.com"
        assert invitations.link("abc") == "https://trust.example.com/s/abc"


def test_an_open_waves_page_says_why_a_facilitator_has_no_invitation_or_close_button(
    client, world, login, make_wave
):
    """A button that always answered "only an admin can", and a Close button missing
    without a word, left a new facilitator guessing."""
    wave_id = make_wave([world.alpha, world.beta])
    login(world.fac_a)  # Alpha only
    page = client.get(f"/manage/waves/{wave_id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "Generate invitations" not in text and "Close wave" not in text
    assert 'id="why-no-invitations"' in text and 'id="why-no-close"' in text
    login(world.admin)
    text = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "Generate invitations" in text and "Close wave" in text
    assert 'id="why-no-invitations"' not in text and 'id="why-no-close"' not in text
