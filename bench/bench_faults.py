"""Faults during load: kill -9 a worker, restart PostgreSQL, kill -9 the whole server and
start it again, while respondents answer. Prints what each respondent saw and reconciles.

--respondents people with unique links answer --concurrency at a time (half of them with a
Chinese browser). Each opens the survey and sends the answers; like a person, one who gets a
503 page or no reply waits half a second and sends again (at most 40 times). Meanwhile the
faults come at fixed times. At the end: every link must end answered (303, or 409 when an
earlier attempt was stored but its reply was lost), stored responses == used links, no 500,
and every 503 reply to a submission must be the "not saved yet" page in the respondent's
language that still holds the answers.

Loopback only; bounded by the number of respondents and attempts.
Usage: python bench/bench_faults.py [--respondents 400] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadclient import CSRF, request  # noqa: E402
from bench.postgres import Cluster  # noqa: E402
from bench.seed import answers, seed  # noqa: E402
from surveys import serve  # noqa: E402
from tests.served import Served, server_environment  # noqa: E402

NOT_SAVED = {"en": "Your answers were not saved yet", "zh": "你的回答尚未保存"}


class Outcome:
    def __init__(self, language: str):
        self.language = language
        self.final = 0
        self.statuses: list[int] = []
        self.bad_503: list[str] = []


async def respondent(address, token: str, body: dict[str, str], outcome: Outcome):
    from urllib.parse import urlencode

    accept = {"Accept-Language": "zh-CN" if outcome.language == "zh" else "en"}
    cookie = csrf = ""
    for _attempt in range(40):
        if not csrf:
            reply = await request(address, "GET", f"/s/{token}", headers=accept, timeout=20)
            outcome.statuses.append(reply.status)
            if reply.status == 200:
                cookie = reply.headers.get("set-cookie", "").split(";", 1)[0]
                found = CSRF.search(reply.body)
                csrf = found.group(1).decode() if found else ""
            else:
                await asyncio.sleep(0.5)
                continue
        form = urlencode(body | {"csrf_token": csrf, "submit": "send"}).encode()
        headers = accept | {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        reply = await request(address, "POST", f"/s/{token}", form, headers, timeout=20)
        outcome.statuses.append(reply.status)
        if reply.status in (303, 409):
            outcome.final = reply.status
            return
        if reply.status == 503:
            page = reply.body.decode("utf-8", "replace")
            # Every answer is still in the page: a checked radio button of the form shown
            # again, or a hidden field of the "send again" page.
            kept = all(
                f'name="{k}" value="{v}" checked' in page
                or f'type="hidden" name="{k}" value="{v}"' in page
                for k, v in body.items()
            )
            if NOT_SAVED[outcome.language] not in page or not kept:
                outcome.bad_503.append(page[:200])
        await asyncio.sleep(0.5)


async def run_load(address, tokens, concurrency, events):
    rng = random.Random(3)
    outcomes = [Outcome("zh" if i % 2 else "en") for i in range(len(tokens))]
    gate = asyncio.Semaphore(concurrency)

    async def one(i):
        async with gate:
            await respondent(address, tokens[i], answers(rng), outcomes[i])

    started = time.monotonic()
    load = asyncio.gather(*(one(i) for i in range(len(tokens))))
    for at, name, action in events:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        began = time.monotonic()
        await asyncio.to_thread(action)
        print(f"  t={time.monotonic() - started:5.1f} s  {name} ({time.monotonic() - began:.1f} s)")
    await load
    return outcomes, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="trustsurvey-bench-faults."))
    one, five, _ = os.getloadavg()
    print(f"bench_faults: {args.respondents} respondents, {args.concurrency} at a time; "
          f"load {one:.2f} (1 min) {five:.2f} (5 min)")  # fmt: skip
    with Cluster(fsync=True) as cluster:
        env = server_environment(cluster.url(), folder / "instance")
        tokens = seed(env, args.respondents)
        server = Served(env, folder / "server.log", workers=serve.default_workers(), threads=4)
        server.start()

        def kill_worker():
            os.kill(server.worker_pids()[0], signal.SIGKILL)

        def kill_server_and_restart():
            server.kill()
            server.start()

        events = [
            (1.5, "kill -9 one worker", kill_worker),
            (4.0, "restart PostgreSQL (pg_ctl restart -m fast)", cluster.restart),
            (8.0, "kill -9 the whole server, then start it again", kill_server_and_restart),
        ]
        try:
            outcomes, seconds = asyncio.run(
                run_load(server.address, tokens, args.concurrency, events)
            )
        finally:
            server.stop()
        stored = int(cluster.psql("SELECT count(*) FROM response"))
        used = int(cluster.psql("SELECT count(*) FROM invitation WHERE used"))
    seen: dict[int, int] = {}
    for outcome in outcomes:
        for status in outcome.statuses:
            seen[status] = seen.get(status, 0) + 1
    finals = {s: sum(o.final == s for o in outcomes) for s in {o.final for o in outcomes}}
    bad = [page for o in outcomes for page in o.bad_503]
    retried = sum(any(s in (503, -1) for s in o.statuses) for o in outcomes)
    print(f"\n{len(outcomes)} respondents in {seconds:.1f} s; every reply seen: "
          f"{dict(sorted(seen.items()))} (-1: no reply)")  # fmt: skip
    print(f"final replies: {finals}; respondents who had to send again: {retried}")
    print(f"stored responses {stored}, used links {used}, acknowledged (303) {finals.get(303, 0)}")
    print(f"503 replies to a submission without the answers or not in their language: {len(bad)}")
    ok = (
        stored == used == len(outcomes)
        and set(finals) <= {303, 409}
        and seen.get(500, 0) == 0
        and not bad
    )
    print("RESULT: " + ("every link answered once, nothing lost, no 500" if ok else "FAILED"))
    print(f"server log: {folder / 'server.log'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
