"""Every page a signed-in admin can reach, on a 375 px phone in both languages: nothing
scrolls sideways, neither the page nor a table inside its box (each wide table reads as a
card per row instead).

The walk follows the links of each page from the start page, as a new user would, and opens
at most two pages of each route (two teams, two waves, ...), so that it stays short.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from surveys.tools import demo
from tests.helpers import sideways

pytestmark = pytest.mark.browser

ADMIN = next(a for a in demo.ACCOUNTS if a[0] == "admin")
PHONE = {"width": 375, "height": 812}
# Files, not pages (CSV, SVG, printable cards), and what ends the session or changes the
# language (the walk keeps its language).
SKIPPED = re.compile(r"\.(csv|svg|png|zip|json)$|/cards|/print|/logout|/lang")
PER_ROUTE = 2
MOST = 150


def _route(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/N", path)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_no_page_scrolls_sideways_on_a_phone(live_server, new_page, locale):
    page = new_page(locale=locale, viewport=PHONE)
    # The walk leaves each page at once: the icon, which the browser fetches after the page
    # has loaded, would be cut off on every page.
    page.route("**/favicon.svg", lambda route: route.abort())
    _role, email, _name, password = ADMIN
    page.goto(f"{live_server.url}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/auth/login" not in url)
    origin = urlsplit(live_server.url).netloc
    queue, seen, per_route, found = [page.url], set(), {}, {}
    while queue and len(seen) < MOST:
        url = queue.pop(0).split("#")[0]
        parts = urlsplit(url)
        route = _route(parts.path)
        if (
            url in seen
            or parts.netloc != origin
            or parts.path.startswith("/s/")
            or SKIPPED.search(parts.path)
            or "lang=" in parts.query
            or per_route.get(route, 0) >= PER_ROUTE
        ):
            continue
        seen.add(url)
        per_route[route] = per_route.get(route, 0) + 1
        reply = page.goto(url)
        if reply is None or not reply.headers.get("content-type", "").startswith("text/html"):
            continue
        problems = sideways(page)
        if problems:
            found[parts.path] = problems
        queue += page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert len(seen) >= 30, sorted(seen)  # the walk reached the admin and facilitator pages
    assert found == {}
