"""Printed cards for 6,000 invitations: time and size of each page, and of all of them.

Seeds 6,000 links (600 teams of ten) in a SQLite file with bench/seed.py, signs in an admin,
asks for the cards (the answer is the list of pages per team) and prints every page it lists,
in process (Flask's test client), each page an audited export. With ``--team-size 200`` the
teams hold 200 members, so pages are full. Prints wall and CPU time per page and in all, the
size of the largest page and of all, and the machine's load.

Usage: python bench/bench_cards.py [--links 6000] [--team-size 10]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed as seeding  # noqa: E402
from surveys import create_app  # noqa: E402
from surveys.db import db  # noqa: E402
from surveys.models import AuditEvent, Wave  # noqa: E402
from tests.helpers import FAST_PASSWORD_HASH, login_as, make_user  # noqa: E402
from tests.served import server_environment  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=6000)
    parser.add_argument("--team-size", type=int, default=seeding.TEAM_SIZE)
    args = parser.parse_args()
    seeding.TEAM_SIZE = args.team_size
    folder = Path(tempfile.mkdtemp(prefix="trustsurvey-bench-cards."))
    env = server_environment(f"sqlite:///{folder / 'cards.sqlite3'}", folder / "instance")
    seeding.seed(env, args.links)
    os.environ.update(env)
    app = create_app({"CLOSE_DUE_INTERVAL": 0, "WTF_CSRF_ENABLED": False, **FAST_PASSWORD_HASH})
    client = app.test_client()
    with app.app_context():
        login_as(client, make_user("admin"))
        wave_id = db.session.scalar(db.select(Wave.id))
    url = f"/manage/waves/{wave_id}/invitations/print"
    everyone = {"with_email_too": "y"}  # the seeded members have no email; same cards either way

    wall, cpu = time.perf_counter(), _cpu()
    index = client.post(url, data=everyone)
    index_s, index_cpu = time.perf_counter() - wall, _cpu() - cpu
    forms = [
        dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', form))
        for form in re.findall(r"<form [^>]*invitations/print[^>]*>(.*?)</form>", index.text, re.S)
    ]
    timings = []  # (wall s, cpu s, bytes, cards)
    for form in forms:
        wall, cpu = time.perf_counter(), _cpu()
        reply = client.post(url, data=form)
        timings.append(
            (
                time.perf_counter() - wall,
                _cpu() - cpu,
                len(reply.data),
                reply.text.count('class="card invitation-card"'),
            )
        )
    cards = sum(t[3] for t in timings)
    with app.app_context():
        audited = db.session.scalar(db.select(db.func.sum(AuditEvent.count)))
    one, five, _fifteen = os.getloadavg()
    slowest = max(timings)
    largest = max(timings, key=lambda t: t[2])
    total_s, total_cpu = sum(t[0] for t in timings), sum(t[1] for t in timings)
    total_mib = sum(t[2] for t in timings) / 2**20
    print(f"{args.links} links in teams of {args.team_size}; load {one:.2f} (1 min) {five:.2f} (5)")
    print(
        f"list of pages: {index_s * 1000:.0f} ms wall, {index_cpu * 1000:.0f} ms CPU, "
        f"{len(index.data) / 1024:.0f} KiB, {len(forms)} pages"
    )
    print(
        f"slowest page: {slowest[0] * 1000:.0f} ms wall, {slowest[1] * 1000:.0f} ms CPU, "
        f"{slowest[3]} cards; largest page: {largest[2] / 1024:.0f} KiB, {largest[3]} cards"
    )
    print(
        f"all pages: {total_s:.1f} s wall, {total_cpu:.1f} s CPU, {total_mib:.1f} MiB; "
        f"{total_s / max(cards, 1) * 1000:.1f} ms wall a card"
    )
    print(f"{cards} cards printed, {audited} links in the audit log")
    return 0 if cards == audited == args.links else 1


if __name__ == "__main__":
    sys.exit(main())
