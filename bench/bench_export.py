"""Benchmark: a research export of one closed wave of 100,000 responses.

Builds a SQLite database (in a temporary folder, or --database URL, e.g. a PostgreSQL test
server) with 2,000 teams of 50 invited people each, one closed wave of the full instrument
with 100,000 responses (seeded answers, about 3 % missing), its results stored by the same
close as a live wave. Then runs the export in a fresh child process, as ``trustsurvey
export`` would, and prints

* rows per second: responses exported (responses.csv and scores.csv rows, with every other
  file of the export) per second of the export call;
* the same per CPU second of the exporting process (process_time), which other work on a
  busy machine does not slow down;
* peak memory: the child process's peak resident set size (VmHWM), the whole
  process included (Python, NumPy, Flask, SQLAlchemy), not only the export's own share.

The floor the product promises: at least 50,000 rows/s with a peak under 200 MB.

On a machine others share, the wall clock counts their turns too: the load average is
printed before and after, and the CPU figure is the one to compare.

Usage: python bench/bench_export.py [--responses 100000] [--database URL | --postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEAM_SIZE = 50


def _app(url: str, instance: str):
    os.environ["TRUSTSURVEY_INSTANCE"] = instance
    from surveys import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "CLOSE_DUE_INTERVAL": 0})


def seed(url: str, instance: str, n: int) -> int:
    """The database with one closed wave of ``n`` responses; its id."""
    from surveys import db as database
    from surveys import instruments
    from surveys.db import db
    from surveys.models import Response, Team, Wave, random_id, utcnow, wave_team
    from surveys.services import waves

    app = _app(url, instance)
    inst = instruments.get("full", "1.0.0")
    rng = np.random.default_rng(2026)
    n_teams = max(2, n // TEAM_SIZE)
    with app.app_context():
        database.upgrade()
        teams = [Team(name=f"Team {i:05d}") for i in range(n_teams)]
        db.session.add_all(teams)
        now = utcnow()
        wave = Wave(
            name="Bench",
            instrument_key=inst.key,
            instrument_version=inst.version,
            opens_at=now - dt.timedelta(days=1),
            closes_at=now + dt.timedelta(days=1),
            k=5,
            teams=teams,
        )
        db.session.add(wave)
        db.session.flush()
        # Imported-wave sizes stand in for invitations: the same team_size for the export.
        db.session.execute(
            db.update(wave_team).where(wave_team.c.wave_id == wave.id).values(team_size=TEAM_SIZE)
        )
        team_of = rng.integers(0, n_teams, size=n)
        lo, hi = inst.bounds()
        lean = rng.normal(0, 0.6, size=n_teams)[team_of][:, None]
        values = np.clip(np.rint(rng.normal(3 + lean, 1.0, (n, len(lo)))), lo, hi).astype(int)
        missing = rng.random(values.shape) < 0.03
        keys = inst.item_keys
        ids = [t.id for t in teams]
        for start in range(0, n, 10_000):
            rows = []
            for i in range(start, min(n, start + 10_000)):
                answers = {
                    k: int(v) for k, v, m in zip(keys, values[i], missing[i], strict=True) if not m
                }
                rows.append(
                    {
                        "id": random_id(),
                        "wave_id": wave.id,
                        "team_id": ids[team_of[i]],
                        "answers": answers,
                    }
                )
            db.session.execute(db.insert(Response), rows)
        waves.close(wave)
        return wave.id


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM), counted from its exec.

    Not getrusage's ru_maxrss: Linux carries that across fork and exec, so a child of the
    seeding process would report the parent's peak.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(url: str, instance: str, wave_id: int, out: str) -> None:
    """The export alone, timed, in a process that did nothing else."""
    from surveys.services import export

    app = _app(url, instance)
    with app.app_context():
        options = export.ExportOptions(comments=True)
        chosen = export.check([wave_id], options, role="admin")
        start, cpu = time.perf_counter(), time.process_time()
        export.to_folder(chosen, options, Path(out))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    with open(Path(out) / "responses.csv", encoding="utf-8-sig") as f:
        rows = sum(1 for _ in f) - 1
    peak_mb = _peak_rss_kib() / 1024
    print(f"{rows} {elapsed} {cpu} {peak_mb}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: SQLite)")
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL server on loopback"
    )
    parser.add_argument("--child", nargs=4, metavar=("URL", "INSTANCE", "WAVE", "OUT"))
    args = parser.parse_args()
    if args.child:
        url, instance, wave, out = args.child
        child(url, instance, int(wave), out)
        return
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = args.database or f"sqlite:///{tmp}/bench.sqlite3"
        if args.postgres:
            from bench.postgres import Cluster

            url = stack.enter_context(Cluster(fsync=False)).url()
        print(f"database: {url.split(':')[0]}; load average {_load()}")
        instance = f"{tmp}/instance"
        start = time.perf_counter()
        wave_id = seed(url, instance, args.responses)
        took = time.perf_counter() - start
        print(f"seeded and closed {args.responses} responses in {took:.1f} s")
        done = subprocess.run(
            [sys.executable, __file__, "--child", url, instance, str(wave_id), f"{tmp}/out"],
            check=True,
            capture_output=True,
            text=True,
        )
        rows, elapsed, cpu, peak = done.stdout.split()[-4:]
        rows, elapsed, cpu, peak = int(rows), float(elapsed), float(cpu), float(peak)
        print(f"exported {rows} responses in {elapsed:.2f} s: {rows / elapsed:,.0f} rows/s")
        # On a shared machine the wall clock counts other processes' turns too.
        print(f"CPU time of the export: {cpu:.2f} s: {rows / cpu:,.0f} rows per CPU second")
        print(f"peak memory of the exporting process: {peak:.0f} MB")
        sizes = {p.name: p.stat().st_size for p in Path(f"{tmp}/out").iterdir()}
        print(f"load average after: {_load()}")
        print("files: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
