"""Where a survey submission's time goes: SQL statements per request and a cProfile of the
opening and submitting requests, in-process (Flask's test client) on a throwaway PostgreSQL.

Prints the statements each request sends (with the count), then the functions that take the
most time (cumulative, then own) over --respondents submissions.

Usage: python bench/profile_submit.py [--respondents 200] [--top 30]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from bench.postgres import Cluster  # noqa: E402
from bench.seed import answers, seed  # noqa: E402
from surveys import create_app  # noqa: E402
from surveys.db import db  # noqa: E402
from tests.served import CSRF, server_environment  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="trustsurvey-profile."))
    with Cluster(fsync=True) as cluster:
        env = server_environment(cluster.url(), folder / "instance")
        tokens = seed(env, args.respondents + 1)
        os.environ.update(env)
        app = create_app({"CLOSE_DUE_INTERVAL": 0})
        statements: list[str] = []
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        rng = random.Random(1)

        submitting = cProfile.Profile()

        def respond(token: str, profile: bool = False) -> tuple[float, float, int, int]:
            client = app.test_client()
            before = len(statements)
            started = time.perf_counter()
            page = client.get(f"/s/{token}")
            opened = time.perf_counter() - started
            opens = len(statements) - before
            csrf = CSRF.search(page.get_data(as_text=True)).group(1)
            before = len(statements)
            started = time.perf_counter()
            body = answers(rng) | {"csrf_token": csrf}
            if profile:
                submitting.enable()
            reply = client.post(f"/s/{token}", data=body)
            if profile:
                submitting.disable()
            assert reply.status_code == 303, reply.status_code
            return opened, time.perf_counter() - started, opens, len(statements) - before

        first = len(statements)
        respond(tokens[0])  # warm: templates compiled, pool filled
        print("SQL of one open and one submit, after warm-up:")
        mark = len(statements)
        _o, _s, opens, submits = respond(tokens[-1])
        for statement in statements[mark:]:
            print("  " + re.sub(r"\s+", " ", statement)[:150])
        print(f"statements: open {opens}, submit {submits} (warm-up took {mark - first})")
        timings = [respond(token, profile=True) for token in tokens[1 : args.respondents]]
        n = len(timings)
        print(f"\n{n} respondents in-process, one at a time; load {os.getloadavg()[0]:.2f}")
        mean_open = sum(t[0] for t in timings) / n * 1000
        mean_submit = sum(t[1] for t in timings) / n * 1000
        print(f"mean open {mean_open:.1f} ms, mean submit {mean_submit:.1f} ms (under cProfile)")
        print("\nsubmissions only, by cumulative time:")
        pstats.Stats(submitting).sort_stats("cumulative").print_stats(args.top)
        print("\nsubmissions only, by own time:")
        pstats.Stats(submitting).sort_stats("tottime").print_stats(args.top)
        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
