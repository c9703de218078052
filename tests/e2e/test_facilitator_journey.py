"""Issue 3, done when: from an empty install to a closed wave with stored aggregates, in a browser.

Everything after ``trustsurvey create-user`` happens in headless Chromium against a live
server on loopback, through the pages a person would use: the admin builds a department,
three teams, a facilitator and a roster; the facilitator runs a wave; respondents answer
through the links of the downloaded invitation CSV; the facilitator closes the wave by hand
and reads the stored results, with the teams below k hidden.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import threading
from zoneinfo import ZoneInfo

import pytest
from werkzeug.serving import make_server

from surveys import create_app, instruments
from surveys import db as database
from surveys.db import db
from surveys.models import Response, ScaleResult, Team, TeamScaleResult, Wave
from surveys.tools import demo
from tests.helpers import FAST_PASSWORD_HASH, sideways

pytestmark = pytest.mark.browser

ADMIN = ("first.admin@example.org", "admin pass phrase 26")
FACILITATOR = ("fiona@example.org", "Fiona Facilitator", "facilitator pass 26")
BIG_TEAM, SMALL_TEAM, THIRD_TEAM = "Backend", "Frontend", "Data"
ROSTER = {
    BIG_TEAM: [
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
        "Wang Fang 王芳",
        "Zhang Wei 张伟",
        "Edsger Dijkstra",
    ],
    SMALL_TEAM: [
        "Barbara Liskov",
        "Liu Yang 刘洋",
        "Donald Knuth",
        "Chen Jing 陈静",
        "Ken Thompson",
    ],
    THIRD_TEAM: ["Frances Allen", "Zhao Lei 赵磊", "John Backus", "Sun Li 孙丽", "Niklaus Wirth"],
}
# k = 5: Backend reaches it, Frontend and Data do not. Together they leave 2 + 3 = 5
# respondents in the department beyond Backend, so complementary suppression lets Backend
# be shown (with Data missing, department minus Backend would be Frontend's 2).
ANSWERS = {BIG_TEAM: 5, SMALL_TEAM: 2, THIRD_TEAM: 3}
FULL = instruments.get("full", "1.0.0")
TIMEOUT_MS = 5_000
SCORE = re.compile(r"\d\.\d\d")


@pytest.fixture(scope="module")
def empty_install(tmp_path_factory):
    """A fresh SQLite database with the schema only, its first admin made by the CLI command,
    served on a free loopback port (CSRF on, as in production)."""
    folder = tmp_path_factory.mktemp("empty-install")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRUSTSURVEY_INSTANCE", str(folder / "instance"))
        app = create_app(
            {
                "SECRET_KEY": "e2e-journey-secret",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'empty.sqlite3'}",
                "RATELIMIT_ENABLED": False,
                **FAST_PASSWORD_HASH,
            }
        )
    with app.app_context():
        database.upgrade()
    email, password = ADMIN
    result = app.test_cli_runner().invoke(
        args=["create-user", email, "--role", "admin", "--name", "First Admin", "--password-stdin"],
        input=password + "\n",
    )
    assert result.exit_code == 0, result.output
    assert f"Created admin {email}." in result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def expect_flash(page, text: str) -> None:
    flash = page.locator("p.flash").filter(has_text=text)
    flash.wait_for()
    assert flash.count() == 1


def create_team(page, name: str, department: str | None = None) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="New team or department").click()
    page.get_by_label("Name").fill(name)
    if department:
        page.get_by_label("Part of department").select_option(label=department)
    page.get_by_role("button", name="Save").click()
    expect_flash(page, f"Team “{name}” created.")


def assign_facilitator(page, team: str, facilitator_label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    page.get_by_role("link", name=team, exact=True).click()
    page.get_by_label(facilitator_label).check()
    page.get_by_role("button", name="Save facilitators").click()
    expect_flash(page, f"Facilitators of “{team}” saved.")


def roster_csv() -> bytes:
    lines = ["team,name,email"]
    for team, names in ROSTER.items():
        lines += [f"{team},{name}," for name in names]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def answer_survey(page, link: str, respondent: int) -> None:
    """Open a personal link, click an answer label for every question, send."""
    page.goto(link)
    page.get_by_role("heading", name=FULL.name["en"]).wait_for()
    for index, item in enumerate(FULL.items):
        # Varied answers, so that scales have variance within and between respondents.
        option = (respondent * 2 + index * 3 + respondent * index) % 5
        page.locator(f"#q-{item.key} label").nth(option).click()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/s/thanks")


def team_header(page, team: str):
    """The row header of a team, with or without the mark of invitations issued late."""
    return page.get_by_role("rowheader", name=re.compile(rf"^{re.escape(team)}†?$"))


def results_row(page, team: str) -> str:
    return page.locator("table.results tbody tr").filter(has=team_header(page, team)).inner_text()


def counts_row(page, team: str) -> list[str]:
    row = page.locator("table tbody tr").filter(has=team_header(page, team))
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def test_facilitator_goes_from_empty_install_to_closed_wave_with_stored_aggregates(
    empty_install, new_page
):
    app, url = empty_install
    fac_email, fac_name, fac_password = FACILITATOR

    # The admin sets up the organisation.
    admin = new_page(locale="en-US")
    admin.set_default_timeout(TIMEOUT_MS)
    sign_in(admin, url, *ADMIN)
    create_team(admin, "Engineering")
    create_team(admin, BIG_TEAM, department="Engineering")
    create_team(admin, SMALL_TEAM, department="Engineering")
    create_team(admin, THIRD_TEAM, department="Engineering")

    admin.get_by_role("link", name="Users").click()
    admin.get_by_role("link", name="Create a user").click()
    admin.get_by_label("Email").fill(fac_email)
    admin.get_by_label("Name").fill(fac_name)
    admin.get_by_label("Role").select_option(label="Facilitator")
    admin.get_by_label("Password", exact=True).fill(fac_password)
    admin.get_by_label("Password again").fill(fac_password)
    admin.get_by_role("button", name="Create user").click()
    expect_flash(admin, f"User {fac_email} created.")

    for team in ROSTER:
        assign_facilitator(admin, team, f"{fac_name} <{fac_email}>")

    admin.get_by_role("link", name="Import roster").first.click()
    admin.get_by_label("Roster CSV file").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": roster_csv()}]
    )
    admin.get_by_role("button", name="Import").click()
    members = sum(len(names) for names in ROSTER.values())
    expect_flash(admin, f"Roster imported (read as UTF-8): {members} added, 0 updated")
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    for team, names in ROSTER.items():
        row = admin.locator("tbody tr").filter(has=admin.get_by_role("link", name=team))
        assert row.locator("td.num").inner_text() == str(len(names))
        assert fac_email in row.inner_text()
    sign_out(admin)

    # The facilitator creates a wave that opened an hour ago and closes in a week.
    page = new_page(locale="en-US")
    page.set_default_timeout(TIMEOUT_MS)
    sign_in(page, url, fac_email, fac_password)
    page.get_by_role("link", name="New wave").click()
    # Dates are entered in the organisation's zone, which the labels name.
    label = page.locator("label[for=opens_at]").inner_text()
    zone = ZoneInfo(re.fullmatch(r"Opens \((.+)\)", label).group(1))
    now = dt.datetime.now(zone).replace(tzinfo=None, second=0, microsecond=0)
    page.get_by_label("Name").fill("Autumn trust survey")
    page.get_by_label("Instrument").select_option(label=f"{FULL.name['en']} ({FULL.version})")
    page.get_by_label(BIG_TEAM, exact=True).check()
    page.get_by_label(SMALL_TEAM, exact=True).check()
    page.get_by_label(THIRD_TEAM, exact=True).check()
    assert page.get_by_label("Engineering", exact=True).count() == 0  # not the facilitator's
    page.get_by_label(label).fill((now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label(f"Closes ({zone.key})").fill(
        (now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Group minimum k").fill("5")
    page.get_by_role("button", name="Save").click()
    expect_flash(page, "Wave created.")
    assert page.locator("h1 .badge").inner_text() == "open"
    wave_url = page.url

    # The wave is open: invitations now need an admin (the page says so rather than offer a
    # button that always refuses), and no link reaches the facilitator.
    assert page.get_by_role("button", name="Generate invitations").count() == 0
    assert (
        "only an admin can issue more invitations"
        in page.locator("#why-no-invitations").inner_text()
    )
    assert page.get_by_role("button", name="Download links (CSV)").count() == 0

    # The admin confirms them (audited, and the teams are marked) and prints the links
    # for people without email: here, everyone, as this install has no mail server.
    sign_in(admin, url, *ADMIN)
    admin.goto(wave_url)
    admin.get_by_role("button", name="Generate invitations").click()
    admin.get_by_role("button", name=f"Issue {members} invitations").click()
    expect_flash(admin, f"Invitations issued after opening: {members}, recorded in the audit log.")
    admin.get_by_label("Also members who have an email address").check()
    with admin.expect_download() as download_info:
        admin.get_by_role("button", name="Download links (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-invitations.csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["team"], r["member"]) for r in rows) == sorted(
        (team, name) for team, names in ROSTER.items() for name in names
    )
    links = {team: [r["link"] for r in rows if r["team"] == team] for team in ROSTER}
    assert all(link.startswith(f"{url}/s/") for team in links for link in links[team])

    # Respondents answer through their links, each in their own browser.
    respondent = 0
    for team, how_many in ANSWERS.items():
        for link in links[team][:how_many]:
            answer_survey(new_page(locale="en-US"), link, respondent)
            respondent += 1

    # While the wave is open: counts and rates, no scores; the facilitator sees the admin's
    # acts in the audit log, and the teams marked.
    page.goto(wave_url)
    log = page.locator("main").inner_text()
    assert "issued invitations after the wave opened" in log and "downloaded links (CSV)" in log
    assert team_header(page, BIG_TEAM).inner_text().endswith("†")
    assert counts_row(page, BIG_TEAM) == ["5", "6", "83%"]
    assert counts_row(page, SMALL_TEAM) == ["2", "5", "40%"]
    assert counts_row(page, THIRD_TEAM) == ["3", "5", "60%"]
    main = page.locator("main").inner_text()
    assert not SCORE.search(main)
    assert page.get_by_role("heading", name="Results").count() == 0
    # The same page on a phone: the counts and the audit log read as cards, and the admin's
    # list of teams and users too; nothing scrolls sideways.
    phone = new_page(locale="en-US", viewport={"width": 375, "height": 812})
    sign_in(phone, url, *ADMIN)
    for address in (wave_url, f"{url}/admin/teams", f"{url}/admin/users"):
        phone.goto(address)
        assert sideways(phone) == [], address
    assert phone.locator("#users tbody tr").count() == 2
    phone.goto(wave_url)
    assert phone.locator("#audit-log tbody tr").count() >= 2
    assert phone.locator("#response-counts tbody tr").count() == len(ROSTER)

    # Close by hand, with its confirmation.
    page.get_by_role("link", name="Close wave").click()
    page.get_by_role("heading", name=re.compile("^Close wave")).wait_for()
    with app.app_context():
        assert db.session.scalar(db.select(Wave.closed_at)) is None  # not before confirming
    page.get_by_role("button", name="Close wave now").click()
    expect_flash(page, "Wave closed; its results are stored.")
    assert page.locator("h1 .badge").inner_text() == "closed"
    page.get_by_role("heading", name="Results").wait_for()
    big = results_row(page, BIG_TEAM)
    assert len(SCORE.findall(big)) >= len(FULL.scales)
    for team in (SMALL_TEAM, THIRD_TEAM):
        small = results_row(page, team)
        assert "fewer than k responses: hidden" in small and not SCORE.search(small)
    assert page.get_by_role("heading", name="Scale reliability").is_visible()
    page.get_by_role("navigation", name="Language").get_by_role("link", name="简体中文").click()
    page.get_by_role("heading", name="结果").wait_for()
    assert "作答少于 k 人：不显示" in results_row(page, SMALL_TEAM)

    with app.app_context():
        wave = db.session.scalars(db.select(Wave)).one()
        assert wave.closed_at is not None
        assert db.session.scalar(
            db.select(db.func.count()).select_from(Response).where(Response.wave_id == wave.id)
        ) == sum(ANSWERS.values())
        scale_rows = db.session.scalars(
            db.select(ScaleResult).where(ScaleResult.wave_id == wave.id)
        ).all()
        assert sorted(r.scale for r in scale_rows) == sorted(s.key for s in FULL.scales)
        # Scale statistics count the team shown only: the small team's answers are in none.
        assert all(r.n_respondents == ANSWERS[BIG_TEAM] for r in scale_rows)
        team_rows = db.session.scalars(
            db.select(TeamScaleResult).where(TeamScaleResult.wave_id == wave.id)
        ).all()
        names = dict(db.session.execute(db.select(Team.id, Team.name)).all())
        assert len(team_rows) == len(ROSTER) * len(FULL.scales)
        stored = {team: [r for r in team_rows if names[r.team_id] == team] for team in ROSTER}
        assert all(r.n == 5 and r.mean is not None for r in stored[BIG_TEAM])
        for team in (SMALL_TEAM, THIRD_TEAM):
            assert all(
                r.n == ANSWERS[team] and r.mean is None and r.sd is None for r in stored[team]
            )


def test_admin_sign_in_and_wave_page_read_in_chinese_after_the_language_switch(
    live_server, new_page
):
    _role, email, _name, password = next(a for a in demo.ACCOUNTS if a[0] == "admin")
    page = new_page(locale="en-US")
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{live_server.url}/auth/login")
    assert page.locator("h1").inner_text() == "Sign in"
    page.get_by_role("navigation", name="Language").get_by_role("link", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "登录"
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="总览").click()
    page.get_by_role("link", name="Q3 2026 full survey", exact=False).first.click()
    page.get_by_role("heading", name="结果").wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    main = page.locator("main").inner_text()
    assert "最低人数 k" in main and "问卷" in main
    assert "作答少于 k 人：不显示" in main  # the demo's small team
    assert "Results" not in main and "Group minimum k" not in main
