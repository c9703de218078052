"""Load bench: the served app (`trustsurvey serve`) on PostgreSQL, against its floor.

For each level of concurrency (50 and 200 by default), as many respondents as asked, each
with a unique link, first open their survey (GET: cookie and CSRF token) and then answer
once (POST), at most that many at a time. Prints throughput and p50/p95/p99 of opening and
of submitting, then the same server settings serving a bare one-INSERT endpoint
(bench/floor_app.py) under the same client, and the ratio of the two submit rates. Last, the
same floor server sends, for another batch of links, exactly the statements a stored answer
sends and nothing else (``/store/<token>``): its ratio to the floor is the most the submit
could reach if sessions, CSRF, rate limits, validation and Flask's routing cost nothing.
Reconciles: responses stored == used links == acknowledged submissions (303), and counts
every other status (5xx must be 0).

Everything is on 127.0.0.1: a throwaway PostgreSQL cluster in a temporary folder, the
servers, the client. Bounded: a fixed number of requests, and --max-seconds per phase.
The machine's load average is printed next to the figures, since the client, the servers
and the database share its cores (and, here, other people's work), and so is the CPU time
each request took in the app server, in PostgreSQL and in the client, which other work on
the machine changes much less than it changes the wall time.

Usage: python bench/bench_load.py [--levels 50 200] [--respondents 600]
       [--workers N] [--threads N] [--fsync on|off]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cpu import postmaster_pid, tree_seconds  # noqa: E402
from bench.floor_app import CREATE_TABLE  # noqa: E402
from bench.loadclient import Respondent, in_parallel, percentiles, request  # noqa: E402
from bench.postgres import Cluster  # noqa: E402
from bench.seed import answers, seed  # noqa: E402
from surveys import serve  # noqa: E402
from tests.served import Served, free_port, server_environment  # noqa: E402


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.2f} (1 min) {five:.2f} (5 min), {os.cpu_count()} cores"


def summary(name: str, replies, seconds: float) -> str:
    ok = [r.seconds for r in replies if 0 < r.status < 500]
    p50, p95, p99 = percentiles(ok)
    return (
        f"  {name:<8} {len(replies) / seconds:7.1f}/s  p50 {p50 * 1000:6.0f} ms  "
        f"p95 {p95 * 1000:6.0f} ms  p99 {p99 * 1000:6.0f} ms  ({len(replies)} in {seconds:.1f} s)"
    )


def statuses(replies) -> dict[int, int]:
    counts: dict[int, int] = {}
    for reply in replies:
        counts[reply.status] = counts.get(reply.status, 0) + 1
    return dict(sorted(counts.items()))


class CpuMeter:
    """CPU seconds of the server under test, of PostgreSQL and of this client, per phase."""

    def __init__(self, server_pid: int, database_pid: int):
        self.server_pid, self.database_pid = server_pid, database_pid
        self.phases: dict[str, tuple[float, float, float]] = {}

    def _now(self) -> tuple[float, float, float]:
        return (
            tree_seconds(self.server_pid),
            tree_seconds(self.database_pid),
            time.process_time(),
        )

    async def measure(self, name: str, coroutine):
        before = self._now()
        result = await coroutine
        after = self._now()
        self.phases[name] = tuple(b - a for a, b in zip(before, after, strict=True))
        return result

    def line(self, name: str, requests: int) -> str:
        app, database, client = (seconds / requests * 1000 for seconds in self.phases[name])
        return (
            f"  {name:<8} CPU per request: app {app:5.2f} ms, PostgreSQL {database:5.2f} ms, "
            f"client {client:5.2f} ms"
        )


async def timed(coroutine, limit: float):
    started = time.perf_counter()
    result = await asyncio.wait_for(coroutine, limit)
    return result, time.perf_counter() - started


async def product_level(address, tokens, concurrency, limit, meter: CpuMeter):
    rng = random.Random(concurrency)
    people = [Respondent(token) for token in tokens]
    opened, open_s = await meter.measure(
        "open",
        timed(in_parallel(concurrency, [lambda p=p: p.open(address) for p in people]), limit),
    )
    # Encoded before the clock starts, as the floor's are.
    bodies = [urlencode(answers(rng)).encode() for _ in people]
    sent, send_s = await meter.measure(
        "submit",
        timed(
            in_parallel(
                concurrency,
                [
                    lambda p=p, b=b: p.answer(address, b)
                    for p, b in zip(people, bodies, strict=True)
                ],
            ),
            limit,
        ),
    )
    return opened, open_s, sent, send_s


async def floor_level(address, paths, concurrency, limit, meter: CpuMeter, name="floor"):
    """POST one answer body to each of ``paths`` ('/insert' for the floor, '/store/<token>'
    for the database work alone)."""
    rng = random.Random(concurrency)
    bodies = [urlencode(answers(rng)).encode() for _ in paths]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return await meter.measure(
        name,
        timed(
            in_parallel(
                concurrency,
                [
                    lambda b=b, path=path: request(address, "POST", path, body=b, headers=headers)
                    for b, path in zip(bodies, paths, strict=True)
                ],
            ),
            limit,
        ),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--respondents", type=int, default=600, help="per level")
    parser.add_argument("--workers", type=int, default=serve.default_workers())
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--fsync", choices=["on", "off"], default="on")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="per phase")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="trustsurvey-bench-load."))
    print(f"bench_load: {args.workers} workers x {args.threads} threads (gthread), "
          f"PostgreSQL fsync={args.fsync}; {load()}")  # fmt: skip
    with Cluster(fsync=args.fsync == "on") as cluster:
        env = server_environment(cluster.url(), folder / "instance")
        # Per level: one batch of links for the product, one for the database work alone.
        total = 2 * args.respondents * len(args.levels)
        started = time.perf_counter()
        tokens = seed(env, total)
        print(f"seeded {total} links in {time.perf_counter() - started:.1f} s")
        product = Served(env, folder / "server.log", workers=args.workers, threads=args.threads)
        cluster.psql(CREATE_TABLE)
        floor_port = free_port()
        floor_log = open(folder / "floor.log", "ab")  # noqa: SIM115
        floor = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{floor_port}",
             "--workers", str(args.workers), "--threads", str(args.threads),
             "--worker-class", "gthread", "--no-control-socket", "bench.floor_app:create()"],
            env=env, stdout=floor_log, stderr=floor_log,
            cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        failures = 0
        try:
            product.start()
            floor_address = ("127.0.0.1", floor_port)
            for _ in range(300):
                if asyncio.run(request(floor_address, "GET", "/")).status == 200:
                    break
                if floor.poll() is not None:
                    raise SystemExit(f"the floor server stopped; see {folder / 'floor.log'}")
                time.sleep(0.2)
            # Warm-up, not measured: every worker thread compiles its templates and opens its
            # database connections on its first requests (GETs use no link up).
            warm = [lambda: request(product.address, "GET", f"/s/{tokens[0]}")] * 40
            warm += [lambda: request(floor_address, "GET", "/")] * 40
            asyncio.run(in_parallel(args.workers * args.threads, warm))
            for n, concurrency in enumerate(args.levels):
                batch = tokens[2 * n * args.respondents : (2 * n + 1) * args.respondents]
                alone = tokens[(2 * n + 1) * args.respondents : (2 * n + 2) * args.respondents]
                before = int(cluster.psql("SELECT count(*) FROM response"))
                database_pid = postmaster_pid(cluster.folder / "data")
                meter = CpuMeter(product.process.pid, database_pid)
                opened, open_s, sent, send_s = asyncio.run(
                    product_level(product.address, batch, concurrency, args.max_seconds, meter)
                )
                stored = int(cluster.psql("SELECT count(*) FROM response")) - before
                used = int(cluster.psql("SELECT count(*) FROM invitation WHERE used"))
                meter.server_pid = floor.pid
                floor_replies, floor_s = asyncio.run(
                    floor_level(
                        floor_address, ["/insert"] * len(batch), concurrency, args.max_seconds,
                        meter,
                    )
                )  # fmt: skip
                before_alone = int(cluster.psql("SELECT count(*) FROM response"))
                alone_replies, alone_s = asyncio.run(
                    floor_level(
                        floor_address, [f"/store/{token}" for token in alone], concurrency,
                        args.max_seconds, meter, name="db-only",
                    )
                )  # fmt: skip
                stored_alone = int(cluster.psql("SELECT count(*) FROM response")) - before_alone
                acknowledged = sum(r.status == 303 for r in sent)
                server_errors = sum(
                    r.status >= 500 or r.status < 0
                    for r in opened + sent + floor_replies + alone_replies
                )
                submit_rate = len(sent) / send_s
                floor_rate = len(floor_replies) / floor_s
                alone_rate = len(alone_replies) / alone_s
                p95_submit = percentiles([r.seconds for r in sent])[1]
                print(f"\n{concurrency} concurrent respondents, {len(batch)} links; {load()}")
                print(summary("open", opened, open_s))
                print(summary("submit", sent, send_s))
                print(summary("floor", floor_replies, floor_s))
                print(summary("db-only", alone_replies, alone_s))
                print(f"  submit / floor = {submit_rate / floor_rate:.2f}")
                print(f"  db-only / floor = {alone_rate / floor_rate:.2f} (the ceiling of "
                      "submit / floor: a submission's statements and nothing else)")  # fmt: skip
                print(f"  submit / db-only = {submit_rate / alone_rate:.2f}")
                print(meter.line("open", len(opened)))
                print(meter.line("submit", len(sent)))
                print(meter.line("floor", len(floor_replies)))
                print(meter.line("db-only", len(alone_replies)))
                print(f"  statuses: open {statuses(opened)}, submit {statuses(sent)}, "
                      f"floor {statuses(floor_replies)}, "
                      f"db-only {statuses(alone_replies)}")  # fmt: skip
                reconciled = (
                    stored == acknowledged
                    and used == stored + before
                    and stored_alone == sum(r.status == 303 for r in alone_replies) == len(alone)
                )
                print(f"  reconcile: stored {stored}, acknowledged {acknowledged}, used links "
                      f"{used - before}; no duplicates: {reconciled}; 5xx or no reply: "
                      f"{server_errors}")  # fmt: skip
                if concurrency == 50:
                    print(f"  targets at 50: ratio >= 0.8: {submit_rate / floor_rate >= 0.8}; "
                          f"p95 submit < 1 s: {p95_submit < 1.0}")  # fmt: skip
                failures += (not reconciled) + (server_errors > 0)
        finally:
            product.stop()
            floor.terminate()
            floor.wait(timeout=15)
            floor_log.close()
    print(f"\nlogs in {folder}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
