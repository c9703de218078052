"""Printable cards for 6,000 invitations: how long each request takes and how big it is.

Seeds 6,000 links (600 teams of ten) in a SQLite file with bench/seed.py, signs in an admin,
and times the print address (now a list of pages) and every page of cards it lists, in
process (Flask's test client). Prints the slowest and largest page, and the machine's load.

Usage: python bench/bench_cards.py [--links 6000]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.seed import seed  # noqa: E402
from surveys import create_app  # noqa: E402
from surveys.db import db  # noqa: E402
from surveys.models import Wave  # noqa: E402
from tests.helpers import FAST_PASSWORD_HASH, login_as, make_user  # noqa: E402
from tests.served import server_environment  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=6000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="trustsurvey-bench-cards."))
    env = server_environment(f"sqlite:///{folder / 'cards.sqlite3'}", folder / "instance")
    seed(env, args.links)
    os.environ.update(env)
    app = create_app({"CLOSE_DUE_INTERVAL": 0, **FAST_PASSWORD_HASH})
    client = app.test_client()
    with app.app_context():
        login_as(client, make_user("admin"))
        wave_id = db.session.scalar(db.select(Wave.id))
    url = f"/manage/waves/{wave_id}/invitations/print"
    started = time.perf_counter()
    index = client.get(url)
    index_s = time.perf_counter() - started
    pages = [h.replace("&amp;", "&") for h in re.findall(r'<a href="([^"]+page=\d+)"', index.text)]
    timings = []
    cards = 0
    for href in pages:
        started = time.perf_counter()
        reply = client.get(href)
        timings.append((time.perf_counter() - started, len(reply.data), href))
        cards += reply.text.count('class="card invitation-card"')
    slowest = max(timings)
    largest = max(timings, key=lambda t: t[1])
    one, five, _ = os.getloadavg()
    print(f"{args.links} links; load {one:.2f} (1 min) {five:.2f} (5 min)")
    print(f"list of pages: {index_s * 1000:.0f} ms, {len(index.data) / 1024:.0f} KiB, "
          f"{len(pages)} pages")  # fmt: skip
    print(f"pages of cards: slowest {slowest[0] * 1000:.0f} ms, largest "
          f"{largest[1] / 1024:.0f} KiB, all {sum(t[0] for t in timings):.1f} s; "
          f"{cards} cards in all")  # fmt: skip
    return 0 if cards == args.links else 1


if __name__ == "__main__":
    sys.exit(main())
