"""A facilitator in a real browser: signs in with the demo account and sees the dashboard."""

from __future__ import annotations

import re

import pytest

from surveys.tools import demo

pytestmark = pytest.mark.browser

FACILITATOR = next(a for a in demo.ACCOUNTS if a[0] == "facilitator")


def test_demo_facilitator_signs_in_and_sees_the_waves_of_their_teams(live_server, new_page):
    _role, email, _name, password = FACILITATOR
    page = new_page(locale="en-US")
    page.goto(f"{live_server.url}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_url("**/manage/**")
    assert page.locator("h1").inner_text() == "Dashboard"
    body = page.locator("main").inner_text()
    assert "Q3 2026 full survey" in body and "Q4 2026 pulse" in body


def test_wrong_password_keeps_the_facilitator_out(live_server, new_page):
    _role, email, _name, _password = FACILITATOR
    page = new_page(locale="en-US")
    page.goto(f"{live_server.url}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "not the password")
    page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/auth/login" in page.url
    page.goto(f"{live_server.url}/manage/")
    assert "/auth/login" in page.url


def test_facilitator_reads_closed_results_of_own_teams_only_and_small_teams_hidden(
    live_server, new_page
):
    _role, email, _name, password = FACILITATOR
    page = new_page(locale="en-US")
    page.goto(f"{live_server.url}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_url("**/manage/**")
    page.get_by_role("link", name="Q3 2026 full survey", exact=False).first.click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "Mobile 移动端组" in main and "East China Sales 华东销售组" in main
    assert "Supply Chain" not in main  # a team of another department
    mobile = page.locator("tr", has_text="Mobile 移动端组").first.inner_text()
    assert re.search(r"\d\.\d\d", mobile)
    design = page.locator("tr", has_text="Design 设计组").first.inner_text()  # 3 answers < k
    assert not re.search(r"\d\.\d\d", design)
