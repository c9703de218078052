"""Every link and button text a facilitator or respondent reads meets WCAG 2's 4.5:1 contrast.

The ratio is computed in the test from the browser's computed colours (WCAG 2.2, 1.4.3
Contrast (Minimum), relative-luminance formula); the background is the first opaque one
found walking up from the element.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_heatmap_browser import _closed_wave_id, _sign_in

pytestmark = pytest.mark.browser

_COLOURS = """
() => {
  const opaque = el => {
    for (; el; el = el.parentElement) {
      const bg = getComputedStyle(el).backgroundColor;
      if (!bg.startsWith('rgba(0, 0, 0, 0)') && !/,\\s*0\\)$/.test(bg)) return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  return [...document.querySelectorAll('main a, main button, main input[type=submit]')]
    .filter(el => el.offsetParent !== null && (el.innerText.trim() !== '' || el.value))
    .map(el => [
      (el.innerText || el.value).trim().slice(0, 40), getComputedStyle(el).color, opaque(el)
    ]);
}
"""


def _luminance(rgb: str) -> float:
    channels = [float(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _ratio(one: str, other: str) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _too_faint(page) -> list[tuple[str, str, str, float]]:
    return [
        (text, colour, background, round(_ratio(colour, background), 2))
        for text, colour, background in page.evaluate(_COLOURS)
        if _ratio(colour, background) < 4.5
    ]


def test_links_and_buttons_on_facilitator_pages_meet_four_and_a_half_to_one(live_server, new_page):
    page = new_page(locale="en-US")
    _sign_in(page, live_server.url)
    wave_id = _closed_wave_id(live_server)
    checked = 0
    for path in ("/manage/", f"/manage/waves/{wave_id}", f"/manage/waves/{wave_id}/heatmap"):
        page.goto(f"{live_server.url}{path}")
        checked += len(page.evaluate(_COLOURS))
        assert _too_faint(page) == [], path
    page.goto(f"{live_server.url}/manage/waves/{wave_id}")
    page.get_by_role("link", name="East China Sales 华东销售组").click()
    page.get_by_role("heading", name="East China Sales 华东销售组").wait_for()
    assert _too_faint(page) == [], page.url
    assert checked > 10  # the pages were read, not empty


def test_links_and_buttons_on_the_survey_meet_four_and_a_half_to_one(live_server, new_page):
    page = new_page(locale="en-US")
    page.goto(live_server.fresh_link())
    assert len(page.evaluate(_COLOURS)) > 0
    assert _too_faint(page) == []
