"""The heatmap in a real browser, on a desktop and on a 375 px phone (the demo's closed wave).

Screenshots are saved under the test's tmp path for a person to look at; the checks are
on the page: department rows, East China Sales' low-agreement mark, no sideways scrolling,
and the focusable detail of a cell. The PNG download is made in the browser from the SVG;
its file is checked as a PNG (signature, IHDR size, every row decoded by Pillow).
"""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path

import pytest
from PIL import Image

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


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's signature and its first chunk, IHDR (PNG spec 5.2, 11.2.2)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize(
    ("switch_to", "button"), [(None, "Download PNG"), ("简体中文", "下载 PNG")]
)
def test_heatmap_downloads_as_a_png_drawn_from_its_svg_in_both_languages(
    live_server, new_page, switch_to, button
):
    page = new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server.url)
    wave_id = _closed_wave_id(live_server)
    page.goto(f"{live_server.url}/manage/waves/{wave_id}/heatmap")
    if switch_to:  # the page opens in English; the switch keeps the language for the session
        nav = page.get_by_role("navigation", name="Language")
        nav.get_by_role("link", name=switch_to).click()
    page.wait_for_selector("table#heatmap")
    svg = page.request.get(f"{live_server.url}/manage/waves/{wave_id}/heatmap.svg").text()
    width, height = (
        float(re.search(rf'<svg [^>]*{name}="([\d.]+)"', svg).group(1))
        for name in ("width", "height")
    )
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    download = info.value
    assert download.suggested_filename == f"wave-{wave_id}-heatmap.png"
    data = Path(download.path()).read_bytes()
    # Drawn at two pixels per SVG unit, for slides.
    assert _png_size(data) == (int(width * 2), int(height * 2))
    picture = Image.open(io.BytesIO(data)).convert("RGB")
    picture.load()  # decodes every row: a truncated or corrupt file fails here
    # The cells' fills are in it, not a blank canvas: the scale's darkest blue or orange,
    # or at least several distinct colours beside the white background and grey text.
    colours = {colour for _, colour in picture.getcolors(maxcolors=1 << 20)}
    assert len(colours) > 8


def test_heatmap_without_javascript_offers_the_svg_and_no_png_button(live_server, new_page):
    page = new_page(java_script_enabled=False)
    _sign_in(page, live_server.url)
    wave_id = _closed_wave_id(live_server)
    page.goto(f"{live_server.url}/manage/waves/{wave_id}/heatmap")
    assert page.get_by_role("link", name="Download SVG").is_visible()
    assert page.get_by_role("button", name="Download PNG").count() == 0


def test_a_teams_dimensions_read_on_a_phone_one_card_per_dimension(live_server, new_page, tmp_path):
    """At 375 px the dimension table of a team page was a sideways-scrolling table whose
    first column shrank to a word (in Chinese, a character) per line."""
    page = new_page(viewport={"width": 375, "height": 812})
    _sign_in(page, live_server.url)
    wave_id = _closed_wave_id(live_server)
    page.goto(f"{live_server.url}/manage/waves/{wave_id}")
    page.get_by_role("link", name="East China Sales 华东销售组").first.click()
    row = page.locator('#team-scales tr[data-scale="similarity"]')
    row.wait_for()
    width = page.evaluate("window.innerWidth")
    box = row.bounding_box()
    # The card takes the page's width, and every number of it is on screen.
    assert box["width"] > width * 0.8
    for cell in row.locator("td").all():
        cell_box = cell.bounding_box()
        assert cell_box["x"] >= 0 and cell_box["x"] + cell_box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert "two camps" in row.inner_text()
    page.screenshot(path=str(tmp_path / "team-phone.png"), full_page=True)


@pytest.mark.parametrize(
    ("viewport", "via"),
    [
        ({"width": 375, "height": 812}, "nav.heatmap-sort"),
        ({"width": 1280, "height": 900}, "thead"),
    ],
)
def test_the_heatmap_sorts_on_a_phone_by_visible_links_and_on_a_desktop_by_its_headings(
    live_server, new_page, viewport, via
):
    """On a phone the headings (the sort links) were clipped away while the help still said
    to sort by them, and keyboard focus landed on the invisible links."""
    page = new_page(viewport=viewport)
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/manage/waves/{_closed_wave_id(live_server)}/heatmap")
    phone = via == "nav.heatmap-sort"
    assert page.locator("nav.heatmap-sort").is_visible() is phone
    assert page.locator("table#heatmap thead").is_visible() is not phone
    link = page.locator(f'{via} a[href*="sort=openness"]').first
    assert link.is_visible()
    link.click()
    page.wait_for_url(re.compile(r"sort=openness"))

    # Rows are sorted among their siblings (teams within their department); the link
    # now says which way.
    sorted_by = page.locator(f'{via} a[href*="sort=openness"]').first.inner_text()
    assert sorted_by.endswith("↑")
    # No link of the table is focusable yet clipped out of sight (display: none is not
    # focusable; a 1 px clip is).
    clipped = page.eval_on_selector_all(
        "table#heatmap a[href], nav.heatmap-sort a[href]",
        """links => links.filter(a => a.offsetParent !== null
            && (a.getBoundingClientRect().width <= 1 || a.getBoundingClientRect().height <= 1)
        ).length""",
    )
    assert clipped == 0
