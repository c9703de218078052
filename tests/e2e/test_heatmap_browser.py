"""The heatmap in a real browser, on a desktop and on a 375 px phone (the demo's closed wave).

Screenshots are saved under the test's tmp path for a person to look at; the checks are
on the page: department rows, East China Sales' low-agreement mark, no sideways scrolling,
and the focusable detail of a cell.
"""

from __future__ import annotations

import pytest

from surveys.db import db
from surveys.models import Wave
from surveys.tools import demo


def _sign_in(page, url: str) -> None:
    _role, email, _name, password = next(a for a in demo.ACCOUNTS if a[0] == "facilitator")
    page.goto(f"{url}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def _closed_wave_id(live_server) -> int:
    with live_server.app.app_context():
        return db.session.scalar(db.select(Wave.id).where(Wave.closed_at.is_not(None)))


@pytest.mark.parametrize(
    ("label", "viewport"),
    [("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 375, "height": 812})],
)
def test_heatmap_reads_on_desktop_and_phone_without_sideways_scrolling(
    live_server, new_page, tmp_path, label, viewport
):
    page = new_page(viewport=viewport)
    _sign_in(page, live_server.url)
    wave_id = _closed_wave_id(live_server)
    page.goto(f"{live_server.url}/manage/waves/{wave_id}")
    page.click(f"a[href='/manage/waves/{wave_id}/heatmap']")
    page.wait_for_selector("table#heatmap")
    levels = page.eval_on_selector_all(
        "table#heatmap tbody tr", "rows => rows.map(r => r.dataset.level)"
    )
    assert levels[0] == "organisation" and "department" in levels and "team" in levels
    east = page.locator('tr[data-team="East China Sales 华东销售组"]')
    assert east.locator("td .mark").count() >= 1  # two camps: low rwg(j) is marked
    scroll = page.evaluate("document.documentElement.scrollWidth")
    width = page.evaluate("window.innerWidth")
    assert scroll <= width
    cell = page.locator("table#heatmap td[data-mean]").first
    cell.focus()
    detail = page.locator("#heatmap-detail")
    detail.wait_for(state="visible")
    assert "n = " in detail.inner_text()
    shots = tmp_path / "screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / f"heatmap-{label}.png"), full_page=True)
    assert (shots / f"heatmap-{label}.png").stat().st_size > 0
