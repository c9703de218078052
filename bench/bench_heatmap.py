"""Benchmark: closing a large wave and serving its heatmap, on a SQLite file.

Builds an organisation of 5,000 teams under 200 departments and a full-instrument wave
with 100,000 responses (synthetic answers, seeded; team sizes about 5 to 35) and one
invitation per response, then prints

* the time to close the wave (every statistic, department and organisation roll-ups,
  complementary suppression, change from a previous wave if any, storage and the rewrite
  of the anonymous tables' storage order);
* the trust model's fit that the closer runs after a full wave closed;
* the median time of the heatmap page and of its CSV over warm requests, signed in as an
  admin through Flask's test client (the whole request: routing, queries, rendering).

Each figure comes with the process's CPU time and the load average, since on a shared
machine wall-clock times grow with everyone else's work.

Usage: python bench/bench_heatmap.py [--repeat 7] [--keep DIR] [--pages-only]
(--pages-only times the pages again on the closed wave a --keep run left in DIR)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# The test helpers (a quick password hash, signing a client in) live beside the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

N_DEPARTMENTS = 200
N_TEAMS = 5_000
N_RESPONSES = 100_000


def build(app) -> int:
    """Departments, teams, an admin, a wave with responses and invitations; the wave's id."""
    from surveys import instruments
    from surveys.db import db
    from surveys.models import Invitation, Response, Team, Wave, utcnow, wave_team
    from surveys.tools import synthetic
    from tests.helpers import make_user

    rng = np.random.default_rng(2026)
    instrument = instruments.get("full", "1.0.0")
    with app.app_context():
        db.session.execute(
            db.insert(Team), [{"name": f"Dept {d:03d}"} for d in range(N_DEPARTMENTS)]
        )
        dept_ids = db.session.scalars(db.select(Team.id).order_by(Team.id)).all()
        db.session.execute(
            db.insert(Team),
            [
                {"name": f"Team {t:04d}", "parent_id": dept_ids[t % N_DEPARTMENTS]}
                for t in range(N_TEAMS)
            ],
        )
        team_ids = np.array(
            db.session.scalars(
                db.select(Team.id).where(Team.parent_id.is_not(None)).order_by(Team.id)
            ).all()
        )
        now = utcnow()
        wave = Wave(
            name="Bench",
            instrument_key=instrument.key,
            instrument_version=instrument.version,
            opens_at=now - dt.timedelta(days=7),
            closes_at=now + dt.timedelta(days=7),
            k=5,
        )
        db.session.add(wave)
        db.session.flush()
        db.session.execute(
            db.insert(wave_team), [{"wave_id": wave.id, "team_id": int(t)} for t in team_ids]
        )
        # Sizes 5..35 scaled to sum to N_RESPONSES.
        sizes = rng.integers(5, 36, size=N_TEAMS).astype(float)
        sizes = np.maximum(1, np.floor(sizes * N_RESPONSES / sizes.sum())).astype(int)
        sizes[: N_RESPONSES - sizes.sum()] += 1
        index = np.repeat(np.arange(N_TEAMS), sizes)
        split = np.where(rng.random(N_TEAMS) < 0.05, 0.8, 0.0)
        latent = synthetic.latent_scores(
            index, np.zeros((N_TEAMS, len(synthetic.LATENTS))), split, rng
        )
        answers = synthetic.generate_answers(instrument, latent, rng)
        keys = instrument.item_keys
        db.session.execute(
            db.insert(Response),
            [
                {
                    "id": f"{i:032x}",
                    "wave_id": wave.id,
                    "team_id": int(team_ids[t]),
                    "answers": dict(zip(keys, map(int, row), strict=True)),
                }
                for i, (t, row) in enumerate(zip(index, answers, strict=True))
            ],
        )
        db.session.execute(
            db.insert(Invitation),
            [
                {
                    "wave_id": wave.id,
                    "team_id": int(team_ids[t]),
                    "nonce": f"{i:032x}",
                    "token_hash": f"{i:064x}",
                    "used": True,
                }
                for i, t in enumerate(index)
            ],
        )
        db.session.commit()
        make_user("admin", email="bench@example.org")
        return wave.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the database in this folder")
    parser.add_argument("--pages-only", action="store_true", help="reuse --keep's closed wave")
    args = parser.parse_args()

    from surveys import create_app
    from surveys import db as database
    from surveys.db import db
    from surveys.models import User, Wave
    from surveys.serve import freeze_startup_objects
    from surveys.services import waves
    from tests.helpers import FAST_PASSWORD_HASH, login_as

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-heatmap-"))
    folder.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "CLOSE_DUE_INTERVAL": 0,
            "RATELIMIT_ENABLED": False,
            **FAST_PASSWORD_HASH,
        }
    )
    freeze_startup_objects()  # as each worker of `trustsurvey serve` does
    if args.pages_only:
        with app.app_context():
            wave_id = db.session.scalar(db.select(Wave.id).where(Wave.closed_at.is_not(None)))
    else:
        with app.app_context():
            database.upgrade()
        start = time.perf_counter()
        wave_id = build(app)
        print(
            f"built {N_TEAMS} teams under {N_DEPARTMENTS} departments, {N_RESPONSES} responses "
            f"in {time.perf_counter() - start:.1f} s ({folder})"
        )
        with app.app_context():
            wave = db.session.get(Wave, wave_id)
            start, cpu = time.perf_counter(), time.process_time()
            waves.close(wave)
            print(
                f"close the wave: {time.perf_counter() - start:.2f} s "
                f"(CPU {time.process_time() - cpu:.2f} s; target < 3 s)"
            )
            # What the closer does next, apart from the close a facilitator waits for.
            start, cpu = time.perf_counter(), time.process_time()
            waves.refresh_trust_model()
            print(
                f"fit the trust model afterwards (closer): {time.perf_counter() - start:.2f} s "
                f"(CPU {time.process_time() - cpu:.2f} s)"
            )

    client = app.test_client()
    with app.app_context():
        login_as(client, db.session.scalar(db.select(User)))

    for label, url, target in (
        ("heatmap page", f"/manage/waves/{wave_id}/heatmap", 300),
        ("heatmap CSV", f"/manage/waves/{wave_id}/heatmap.csv", 500),
    ):
        times, cpus = [], []
        for _ in range(args.repeat + 1):  # the first request warms caches and is not counted
            start, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        median = statistics.median(times[1:]) * 1000
        median_cpu = statistics.median(cpus[1:]) * 1000
        print(
            f"{label}: median {median:.0f} ms (CPU {median_cpu:.0f} ms) over {args.repeat} "
            f"warm requests, {len(response.data) / 1e6:.1f} MB (target < {target} ms)"
        )
    # On a shared machine wall times grow with the load; CPU times much less.
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
