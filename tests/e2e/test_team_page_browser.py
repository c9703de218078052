"""The team page in a real browser, on a desktop and on a 375 px phone (issue 10, point 3)."""

from __future__ import annotations

import pytest

from surveys.tools import demo
from tests.helpers import sideways

pytestmark = pytest.mark.browser

FACILITATOR = next(a for a in demo.ACCOUNTS if a[0] == "facilitator")
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


def _sign_in(page, url):
    _role, email, _name, password = FACILITATOR
    page.goto(f"{url}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_url("**/manage/**")


@pytest.mark.parametrize("device", sorted(VIEWPORTS))
def test_team_page_shows_the_planted_two_camps_and_fits_the_screen(
    live_server, new_page, tmp_path, device
):
    page = new_page(locale="en-US", viewport=VIEWPORTS[device])
    _sign_in(page, live_server.url)
    page.get_by_role("link", name="Q3 2026 full survey", exact=False).first.click()
    page.get_by_role("link", name="East China Sales 华东销售组").click()
    page.get_by_role("heading", name="East China Sales 华东销售组").wait_for()
    # The demo plants two camps in East China Sales (README, demo table).
    assert page.locator('#team-scales tr[data-agreement="two_camps"]').count() >= 1
    assert page.locator("#team-distribution figure").count() >= 5
    assert page.locator('#team-trust tr[data-source="measured"]').count() == 2
    # A definition sits beside each statistic and opens on focus or hover.
    assert page.locator("#team-scales abbr[title]").count() >= 5
    # Nothing scrolls the page sideways. On a desktop a wide table may scroll inside its own
    # box; on a phone none hides columns out of sight: each shows as cards.
    problems = sideways(page)
    if device == "desktop":
        problems = [problem for problem in problems if problem.startswith("page ")]
    assert problems == []
    if device == "phone":
        assert page.locator("#trend tbody tr").count() >= 2  # the demo's two closed waves
    shot = tmp_path / f"team-page-{device}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


def test_a_closed_waves_results_read_as_cards_on_a_phone(live_server, new_page):
    page = new_page(locale="en-US", viewport=VIEWPORTS["phone"])
    _sign_in(page, live_server.url)
    page.get_by_role("link", name="Q3 2026 full survey", exact=False).first.click()
    page.locator("#wave-results").wait_for()
    assert sideways(page) == []
    # Each team is a card: its first scale's cell carries the scale's name as its label.
    label = page.locator("#wave-results tbody td[data-label]").nth(1).get_attribute("data-label")
    assert label == "Familiarity"
