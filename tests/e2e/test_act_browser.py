"""The demo's loop in a real browser: where to act, a playbook, logging an intervention, and
the measured effect of the one logged between the two closed waves. Screenshots are saved
(to TRUSTSURVEY_SCREENSHOTS when set, else the test's temporary folder) for a human to look at.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from surveys.tools import demo

pytestmark = pytest.mark.browser

FACILITATOR = next(a for a in demo.ACCOUNTS if a[0] == "facilitator")


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("TRUSTSURVEY_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(live_server, new_page, locale="en-US"):
    _role, email, _name, password = FACILITATOR
    page = new_page(locale=locale, viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_url("**/manage/**")
    return page


def test_a_facilitator_goes_from_a_recommendation_to_its_playbook_and_logs_it(
    live_server, new_page, shots
):
    page = sign_in(live_server, new_page)
    page.get_by_role("link", name="Q3 2026 full survey", exact=False).first.click()
    page.get_by_role("link", name="Where to act").click()
    page.get_by_role("heading", name="Where to act").wait_for()
    mobile = page.locator('[data-team="Mobile 移动端组"][data-driver="openness"]')
    assert mobile.get_attribute("data-recommendation") == "sunlight"
    assert re.search(r"Openness \d\.\d\d, organisation \d\.\d\d", mobile.inner_text())
    assert page.locator('[data-team="Supply Chain 供应链组"]').count() == 0  # not their team
    page.screenshot(path=shots / "where-to-act.png", full_page=True)

    mobile.get_by_role("link", name=re.compile("^Playbook:")).click()
    page.get_by_role("heading", name="Cautions").wait_for()
    assert page.locator("h1").inner_text() == "Say it to my face: criticism in the open"
    page.screenshot(path=shots / "playbook.png", full_page=True)
    page.get_by_role("link", name="Log this intervention").click()

    page.get_by_label("Playbook").select_option("sunlight")
    page.get_by_label("East China Sales 华东销售组").check()
    page.get_by_label("First day").fill("2026-11-20")
    page.get_by_label("Last day").fill("2026-11-20")
    page.get_by_label("Facilitated by").fill("External coach 外部教练")
    page.get_by_label("Notes").fill("Open forum with the sales director; five questions answered.")
    page.screenshot(path=shots / "log-intervention.png", full_page=True)
    page.get_by_role("button", name="Save").click()

    page.get_by_text("Intervention logged.", exact=True).wait_for()
    logged = page.locator("article", has_text="External coach 外部教练")
    assert logged.get_attribute("data-playbook") == "sunlight"
    assert "East China Sales 华东销售组" in logged.inner_text()
    assert (
        "Its effect shows here once a wave of these teams closes after it." in logged.inner_text()
    )

    data = page.locator("article", has_text="Data 数据组")
    effect = data.locator('[data-scale="affective_trust"]')
    assert re.search(r"rose \d\.\d\d more than the \d+ comparable teams", effect.inner_text())
    assert "Not proof of cause" in data.inner_text()
    page.screenshot(path=shots / "interventions.png", full_page=True)
    assert (shots / "interventions.png").stat().st_size > 10_000


def test_the_intervention_log_with_its_effect_reads_in_chinese(live_server, new_page, shots):
    page = sign_in(live_server, new_page, locale="zh-CN")
    page.goto(f"{live_server.url}/manage/interventions")
    data = page.locator("article", has_text="Data 数据组")
    assert "吐槽会与团队小仪式" in data.inner_text()
    assert re.search(r"比 \d+ 个可比团队多上升 \d\.\d\d", data.inner_text())
    assert "这不能证明因果关系" in data.inner_text()
    page.screenshot(path=shots / "interventions-zh.png", full_page=True)


def test_a_refused_intervention_puts_focus_on_the_first_field_in_error(live_server, new_page):
    page = sign_in(live_server, new_page)
    page.goto(f"{live_server.url}/manage/interventions/new")
    page.get_by_label("Facilitated by").fill("")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Choose at least one team.").wait_for()
    page.wait_for_function("document.activeElement !== document.body")
    focused = page.evaluate(
        "() => [document.activeElement.type, document.activeElement.closest('fieldset')"
        " && document.activeElement.closest('fieldset').querySelector('legend').innerText]"
    )
    assert focused == ["checkbox", "Teams"]  # the first box of the teams, whose error it hears
    assert page.evaluate("document.activeElement.closest('ul').getAttribute('aria-describedby')")
    described = page.evaluate(
        "document.getElementById(document.activeElement.closest('ul')"
        ".getAttribute('aria-describedby')).innerText"
    )
    assert described == "Choose at least one team."
