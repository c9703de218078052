"""See together (共同看见) in a real browser: a respondent's link after the wave closed.

Screenshots of the results page, on a desktop and on a 375 px phone, are saved under the
test's tmp path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pytest

from surveys import instruments
from surveys.db import db
from surveys.models import Response, Team, Wave, utcnow
from surveys.services import invitations, waves

pytestmark = pytest.mark.browser

PULSE = instruments.get("pulse", "1.0.0")
TEAM = "Platform 平台组"  # a demo team of twelve
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@dataclass(frozen=True)
class ClosedWave:
    used: str  # a link whose invitation answered
    unused: str  # a link that was never used
    means: dict[str, str]  # scale key: the stored mean as the page shows it


@pytest.fixture(scope="module")
def closed_wave(live_server) -> ClosedWave:
    """A pulse wave of one demo team, seven of twelve answered, closed (k = 5)."""
    app = live_server.app
    rng = np.random.default_rng(11)
    with app.app_context():
        team = db.session.scalar(db.select(Team).where(Team.name == TEAM))
        now = utcnow().replace(microsecond=0)
        wave = Wave(
            name="Results walk 结果",
            instrument_key=PULSE.key,
            instrument_version=PULSE.version,
            opens_at=now - dt.timedelta(days=10),
            closes_at=now - dt.timedelta(days=1),
            k=5,
            teams=[team],
        )
        db.session.add(wave)
        db.session.flush()
        issued = invitations.issue(wave, team.members)
        lo, hi = PULSE.bounds()
        for invitation, _token in issued[:7]:
            invitation.used = True
            values = rng.integers(lo.astype(int), hi.astype(int) + 1)
            answers = {key: int(v) for key, v in zip(PULSE.item_keys, values, strict=True)}
            db.session.add(Response(wave_id=wave.id, team_id=team.id, answers=answers))
        db.session.commit()
        assert waves.close(wave)
        from surveys.services import shared_results

        shared = shared_results.team_results(wave, team.id)
        means = {s.key: f"{s.mean:.2f}" for s in shared.scales if not s.withheld}
        return ClosedWave(
            used=f"{live_server.url}/s/{issued[0][1]}",
            unused=f"{live_server.url}/s/{issued[-1][1]}",
            means=means,
        )


@pytest.mark.parametrize(
    ("screen", "locale", "heading"),
    [("desktop", "en-US", "Your team's results"), ("phone", "zh-CN", "你的团队的结果")],
)
def test_respondent_sees_the_team_results_on_a_desktop_and_a_phone(
    live_server, new_page, closed_wave, tmp_path, screen, locale, heading
):
    options = DESKTOP if screen == "desktop" else PHONE
    texts = []
    for link in (closed_wave.used, closed_wave.unused):
        page = new_page(locale=locale, **options)
        page.goto(link)
        assert page.locator("h1").inner_text() == heading
        for key, mean in closed_wave.means.items():
            row = page.locator(f"tr[data-scale='{key}']")
            assert row.is_visible()
            assert mean in row.inner_text()
        width = options["viewport"]["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        texts.append(page.locator("main").inner_text())
        page.screenshot(path=tmp_path / f"results-{screen}-{len(texts)}.png", full_page=True)
    assert texts[0] == texts[1]  # a used and an unused link cannot be told apart
    assert (tmp_path / f"results-{screen}-1.png").stat().st_size > 0


def test_results_page_follows_the_language_switch(live_server, new_page, closed_wave):
    page = new_page(locale="en-US", **DESKTOP)
    page.goto(closed_wave.unused)
    with page.expect_navigation():
        page.locator("nav.lang a[lang=zh-Hans]").click()
    assert page.locator("h1").inner_text() == "你的团队的结果"
    assert closed_wave.unused.rsplit("/", 1)[1] in page.url  # still the same link
