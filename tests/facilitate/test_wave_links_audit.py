"""Links reach a user only as an admin's audited act, and only admins change rosters.

The attacks of issue 13, run through the pages as a curious facilitator would: collect every
member's link and open each to see who answered; import invented members into a small team,
give them links and answer with them to push the team over k; use unused links of real
members. Each must fail, and what an admin does instead is shown in the audit log and
marked on the team's numbers.
"""

import io
import re

from surveys import instruments
from surveys.db import db
from surveys.models import AuditEvent, Invitation, Member
from surveys.services import invitations
from tests.helpers import issue_invitations

FULL = instruments.get("full", "1.0.0")
ALL = {"with_email_too": "y"}
ROSTER = "team,name,email\nBeta,Invented One,x1@example.org\nBeta,Invented Two,x2@example.org\n"


def _invitation_count(app, wave_id):
    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count()).select_from(Invitation).where(Invitation.wave_id == wave_id)
        )


def _events(app, wave_id):
    with app.app_context():
        rows = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.wave_id == wave_id).order_by(AuditEvent.id)
        )
        return [(e.action, e.team.name, e.count, e.user.email) for e in rows]


def _add_member(app, team_id, name, email=None):
    with app.app_context():
        db.session.add(Member(team_id=team_id, name=name, email=email))
        db.session.commit()


def test_facilitator_can_neither_import_a_roster_nor_issue_links_to_an_open_wave(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.beta], k=5)
    issue_invitations(app, wave_id)
    login(world.fac_b)
    # Invented members through the roster page: refused.
    assert client.get("/admin/roster").status_code == 404
    posted = client.post(
        "/admin/roster",
        data={"file": (io.BytesIO(ROSTER.encode()), "r.csv"), "encoding": "utf-8"},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Member)) == 11
    # Members an admin added after opening get no link from a facilitator ...
    _add_member(app, world.beta, "Late Joiner", "late@example.org")
    page = client.post(f"/manage/waves/{wave_id}/invitations", follow_redirects=True)
    assert "only an admin can issue invitations now" in page.get_data(as_text=True)
    assert client.get(f"/manage/waves/{wave_id}/invitations/after-opening").status_code == 404
    assert client.post(f"/manage/waves/{wave_id}/invitations/after-opening").status_code == 404
    assert _invitation_count(app, wave_id) == 4
    # ... and no link of anyone reaches a facilitator: no export, no link on any page.
    assert client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL).status_code == 404
    assert client.post(f"/manage/waves/{wave_id}/invitations/print", data=ALL).status_code == 404
    for path in ("/manage/", f"/manage/waves/{wave_id}", "/admin/teams"):
        assert "/s/" not in client.get(path).get_data(as_text=True), path


def test_admin_confirms_invitations_after_opening_and_the_team_is_marked_and_logged(
    app, client, world, login, make_wave, add_responses
):
    wave_id = make_wave([world.alpha, world.beta], k=3)
    issue_invitations(app, wave_id)
    _add_member(app, world.beta, "Late Joiner", "late@example.org")
    login(world.admin)
    asked = client.post(f"/manage/waves/{wave_id}/invitations")
    assert asked.headers["Location"].endswith(f"/manage/waves/{wave_id}/invitations/after-opening")
    confirm = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Beta: Late Joiner" in confirm and "Issue 1 invitations" in confirm
    assert _invitation_count(app, wave_id) == 10  # nothing before the confirmation
    client.post(f"/manage/waves/{wave_id}/invitations/after-opening")
    assert _invitation_count(app, wave_id) == 11
    assert _events(app, wave_id) == [("issued_after_open", "Beta", 1, "admin@example.org")]

    # Every facilitator of the team sees it: the log, and the mark on the team's numbers.
    login(world.fac_b)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    log = page[page.index("Audit log") :]
    assert re.search(
        r"admin@example.org.*?issued invitations after the wave opened.*?Beta.*?>1<", log, re.S
    )
    assert re.search(r'<th scope="row">Beta<sup class="late-mark">', page)
    assert 'class="late-mark"' in client.get("/manage/").get_data(as_text=True)
    # The facilitator of Alpha alone sees neither: Alpha got nothing late.
    login(world.fac_a)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert 'class="late-mark"' not in page and "Late Joiner" not in page

    # The mark stays on the closed wave's results.
    add_responses(wave_id, world.alpha, 4, seed=1)
    add_responses(wave_id, world.beta, 3, seed=2)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/close")
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert re.search(r'<th scope="row">(<a [^>]*>)?Beta(</a>)?<sup class="late-mark">', page)
    assert not re.search(r'<th scope="row">Alpha<sup', page)
    heat = client.get(f"/manage/waves/{wave_id}/heatmap").get_data(as_text=True)
    assert re.search(r'<th scope="row"><a [^>]*>Beta</a><sup class="late-mark">', heat)
    assert not re.search(r'<th scope="row"><a [^>]*>Alpha</a><sup', heat)
    beta = client.get(f"/manage/waves/{wave_id}/teams/{world.beta}").get_data(as_text=True)
    assert re.search(r'<h1>Beta<sup class="late-mark">', beta) and 'id="late-note"' in beta
    alpha = client.get(f"/manage/waves/{wave_id}/teams/{world.alpha}").get_data(as_text=True)
    assert "<h1>Alpha</h1>" in alpha and "late-mark" not in alpha
    # Where to act names the team with its suggestions, or among the teams without any.
    actions = client.get(f"/manage/waves/{wave_id}/actions").get_data(as_text=True)
    assert re.search(r'Beta<sup class="late-mark">', actions) and 'id="late-note"' in actions
    assert "Alpha" in actions and not re.search(r"Alpha<sup", actions)


def test_every_export_of_links_is_logged_per_team_for_its_facilitators(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.alpha, world.beta])
    issue_invitations(app, wave_id)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations.csv", data=ALL)
    client.post(f"/manage/waves/{wave_id}/invitations/print", data=ALL)
    assert _events(app, wave_id) == [
        ("links_csv", "Alpha", 6, "admin@example.org"),
        ("links_csv", "Beta", 4, "admin@example.org"),
        ("link_cards", "Alpha", 6, "admin@example.org"),
        ("link_cards", "Beta", 4, "admin@example.org"),
    ]
    login(world.fac_b)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    log = page[page.index("Audit log") :]
    assert "downloaded links (CSV)" in log and "printed invitation cards" in log
    assert "Beta" in log and "Alpha" not in log


def test_export_holds_only_members_without_email_unless_asked(app, client, world, login, make_wave):
    _add_member(app, world.alpha, "No Mail")
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    login(world.admin)
    rows = client.post(f"/manage/waves/{wave_id}/invitations.csv").data.decode("utf-8-sig")
    assert [line.split(",")[0] for line in rows.splitlines()[1:]] == ["No Mail"]
    assert _events(app, wave_id) == [("links_csv", "Alpha", 1, "admin@example.org")]


def test_a_closed_link_no_longer_says_whether_it_was_used(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], k=3)
    issue_invitations(app, wave_id)
    with app.app_context():
        rows = db.session.scalars(db.select(Invitation).order_by(Invitation.id)).all()
        links = [f"/s/{invitations.token_of(inv)}" for inv in rows]
    answers = {
        f"{key}": "3" for key in __import__("surveys").instruments.get("full", "1.0.0").item_keys
    }
    assert client.post(links[0], data=answers).status_code == 303
    # While open, a used link tells its holder it was used (the member, or an admin who
    # exported it: the audit log shows every export) ...
    assert "already" in client.get(links[0]).get_data(as_text=True).lower()
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/close", follow_redirects=True)
    # ... after close, used and unused links open the same page.
    used, unused = (client.get(link).get_data(as_text=True) for link in links[:2])
    assert used == unused


def test_the_heatmap_csv_and_svg_mark_a_team_with_invitations_issued_after_opening(
    app, client, world, login, make_wave, add_responses
):
    import csv

    wave_id = make_wave([world.alpha, world.beta], k=3)
    issue_invitations(app, wave_id)
    _add_member(app, world.beta, "Late Joiner", "late@example.org")
    _add_member(app, world.beta, "Later Joiner", "later@example.org")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations/after-opening")
    add_responses(wave_id, world.alpha, 4, seed=1)
    add_responses(wave_id, world.beta, 4, seed=2)
    client.post(f"/manage/waves/{wave_id}/close")

    raw = client.get(f"/manage/waves/{wave_id}/heatmap.csv").data.decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(raw)))
    late = {(line["level"], line["team"]): line["issued_after_open"] for line in lines}
    assert late[("team", "Beta")] == "2" and late[("team", "Alpha")] == "0"
    assert late[("organisation", next(t for lv, t in late if lv == "organisation"))] == ""

    for lang, legend in (
        ("en", "† Invitations issued to the team after the wave opened"),
        ("zh-Hans", "† 此团队在调查开放后收到了经管理员确认的邀请"),
    ):
        svg = client.get(
            f"/manage/waves/{wave_id}/heatmap.svg", headers={"Accept-Language": lang}
        ).get_data(as_text=True)
        names = dict(re.findall(r">((?:Alpha|Beta)( †)?)</text>", svg))
        assert set(names) == {"Alpha", "Beta †"}, names
        assert legend in svg
    # The facilitator of Alpha alone sees neither mark nor legend: Alpha got nothing late.
    login(world.fac_a)
    svg = client.get(f"/manage/waves/{wave_id}/heatmap.svg").get_data(as_text=True)
    assert "†" not in svg


def _import_roster(client, text: str):
    return client.post(
        "/admin/roster",
        data={"file": (io.BytesIO(text.encode()), "r.csv"), "encoding": "utf-8"},
        content_type="multipart/form-data",
    )


def test_changing_an_invited_members_email_during_the_wave_is_logged_for_its_facilitators(
    app, client, world, login, make_wave
):
    # The attack: point a member's address at a dead mailbox, send a reminder, and read
    # from its failure count whether that member had answered. The change is allowed
    # (people change addresses) but it is shown to every facilitator of the team.
    open_wave = make_wave([world.beta], name="Open")
    later = make_wave([world.beta], state="scheduled", name="Later")
    issue_invitations(app, open_wave)
    issue_invitations(app, later)
    login(world.admin)
    same = "team,name,email\n" + "".join(f"Beta,Bo {i},bo{i}@example.org\n" for i in range(4))
    assert _import_roster(client, same.replace(",bo", ",BO")).status_code == 302
    assert _events(app, open_wave) == []  # the same addresses, in capitals, change nothing
    # A row's new email would make a new member; the email of a known one changes in two
    # steps: an empty cell clears it, then a row of that name gives it the new address.
    cleared = same.replace("bo1@example.org", "")
    assert _import_roster(client, cleared).status_code == 302
    moved = same.replace("bo1@example.org", "dead.end@example.org")
    assert _import_roster(client, moved).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(Member.email).where(Member.name == "Bo 1")) == (
            "dead.end@example.org"
        )
    assert _events(app, open_wave) == [("email_changed", "Beta", 1, "admin@example.org")] * 2
    assert _events(app, later) == []  # a wave not open yet sends no reminders
    login(world.fac_b)
    page = client.get(f"/manage/waves/{open_wave}").get_data(as_text=True)
    log = page[page.index("Audit log") :]
    assert re.search(
        r"admin@example.org.*?changed invited members' email addresses while the wave was "
        r"open.*?Beta.*?>1<.*?changed invited members' email",
        log.replace("&#39;", "'"),
        re.S,
    )
    assert "dead.end" not in page and "Bo 1" not in page
