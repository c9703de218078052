"""Where a survey submission's time goes: SQL statements per request and a cProfile of the
opening and submitting requests, in-process (Flask's test client) on a throwaway PostgreSQL.

Prints the statements each request sends (with the count), the round trips PostgreSQL saw
for them (its statement log: also BEGIN, COMMIT, ROLLBACK and the pool's connection check),
then the functions that take the most CPU time (cumulative, then own) over --respondents
submissions.

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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from bench.postgres import Cluster  # noqa: E402
from bench.seed import answers, seed  # noqa: E402
from surveys import create_app  # noqa: E402
from surveys.db import db  # noqa: E402
from tests.served import CSRF, server_environment  # noqa: E402


@dataclass
class Timing:
    opened: float
    opened_cpu: float
    sent: float
    sent_cpu: float
    opens: int  # statements of the open
    submits: int  # statements of the submit


def log_statements(cluster: Cluster, which: str) -> None:
    cluster.psql(f"ALTER SYSTEM SET log_statement = '{which}'")
    cluster.psql("SELECT pg_reload_conf()")


def round_trips(cluster: Cluster) -> list[int]:
    """[commands in PostgreSQL's log so far]: each is a round trip (psycopg does not pipeline)."""
    time.sleep(0.2)  # the log is written by another process
    text = (cluster.folder / "log").read_text(errors="replace")
    return [len(re.findall(r"LOG:  (?:statement|execute [^:]*):", text))]


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

        # CPU time, not wall time: other work on the machine does not count.
        submitting = cProfile.Profile(time.process_time)

        def respond(token: str, profile: bool = False, after_open=None):
            """(open, submit) wall and CPU seconds, and the statements each sent."""
            client = app.test_client()
            before = len(statements)
            started, cpu = time.perf_counter(), time.process_time()
            page = client.get(f"/s/{token}")
            opened, opened_cpu = time.perf_counter() - started, time.process_time() - cpu
            opens = len(statements) - before
            if after_open is not None:
                after_open()
            csrf = CSRF.search(page.get_data(as_text=True)).group(1)
            body = answers(rng) | {"csrf_token": csrf}
            before = len(statements)
            started, cpu = time.perf_counter(), time.process_time()
            if profile:
                submitting.enable()
            reply = client.post(f"/s/{token}", data=body)
            if profile:
                submitting.disable()
            sent, sent_cpu = time.perf_counter() - started, time.process_time() - cpu
            assert reply.status_code == 303, reply.status_code
            return Timing(opened, opened_cpu, sent, sent_cpu, opens, len(statements) - before)

        first = len(statements)
        respond(tokens[0])  # warm: templates compiled, pool filled
        print("SQL of one open and one submit, after warm-up:")
        mark = len(statements)
        log_statements(cluster, "all")
        time.sleep(0.5)
        logged = round_trips(cluster)
        traced = respond(tokens[-1], after_open=lambda: logged.append(round_trips(cluster)[0]))
        logged.append(round_trips(cluster)[0])
        log_statements(cluster, "none")
        for statement in statements[mark:]:
            print("  " + re.sub(r"\s+", " ", statement)[:150])
        print(
            f"statements: open {traced.opens}, submit {traced.submits} "
            f"(warm-up took {mark - first})"
        )
        print(f"round trips: open {logged[1] - logged[0]}, submit {logged[2] - logged[1]}")
        # Half the respondents without the profiler (its own cost would count), half with it.
        half = args.respondents // 2
        plain = [respond(token) for token in tokens[1:half]]
        n = len(plain)
        print(f"\n{n} respondents in-process, one at a time; load {os.getloadavg()[0]:.2f}")
        for name, wall, cpu in (("open", "opened", "opened_cpu"), ("submit", "sent", "sent_cpu")):
            mean_wall = sum(getattr(t, wall) for t in plain) / n * 1000
            mean_cpu = sum(getattr(t, cpu) for t in plain) / n * 1000
            print(f"mean {name}: {mean_wall:.2f} ms wall, {mean_cpu:.2f} ms CPU")
        profiled = [respond(token, profile=True) for token in tokens[half : args.respondents]]
        print(f"then {len(profiled)} submissions under cProfile (CPU time):")
        print("\nsubmissions only, by cumulative time:")
        pstats.Stats(submitting).sort_stats("cumulative").print_stats(args.top)
        print("\nsubmissions only, by own time:")
        pstats.Stats(submitting).sort_stats("tottime").print_stats(args.top)
        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
