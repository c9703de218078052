"""A facilitator in a real browser: signs in with the demo account and sees the dashboard."""

from __future__ import annotations

import pytest

from surveys import demo

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
