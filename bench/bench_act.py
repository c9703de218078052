"""Benchmark: the "where to act" page and the intervention log with measured effects.

Stores the results of two closed full waves of 2,000 teams directly (team rows for every
scale, an organisation row; about 8% of the team cells withheld, changes with intervals on
the second wave), as a close would have left them, and logs 300 interventions between the
waves, then prints the median time, signed in as an admin through Flask's test client
(routing, queries, rules, rendering), of

* the wave's "where to act" page (every team's profile and recommendations);
* the intervention log (every intervention's difference in differences on its scales);
* one team's interventions page (its suggestions and its interventions' effects).

Usage: python bench/bench_act.py [--repeat 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# The test helpers (a quick password hash, signing a client in) live beside the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

N_TEAMS = 2_000
N_INTERVENTIONS = 300
SCALES = (
    "familiarity",
    "similarity",
    "interaction",
    "openness",
    "reliability",
    "propensity",
    "cognitive_trust",
    "affective_trust",
)


def build(app) -> tuple[int, int]:
    """Teams, an admin, two closed waves' stored results, interventions; the waves' ids."""
    from surveys.db import db
    from surveys.models import (
        GroupScaleResult,
        Intervention,
        Team,
        TeamScaleResult,
        Wave,
        intervention_team,
        wave_team,
    )
    from tests.helpers import make_user

    rng = np.random.default_rng(2026)
    with app.app_context():
        db.session.execute(db.insert(Team), [{"name": f"Team {t:04d}"} for t in range(N_TEAMS)])
        team_ids = db.session.scalars(db.select(Team.id).order_by(Team.id)).all()
        start = dt.datetime(2026, 3, 1)
        wave_ids = []
        level = 3.6 + rng.normal(0, 0.4, size=(N_TEAMS, len(SCALES)))
        for w in range(2):
            opens = start + dt.timedelta(days=120 * w)
            wave = Wave(
                name=f"Bench {w}",
                instrument_key="full",
                instrument_version="1.0.0",
                opens_at=opens,
                closes_at=opens + dt.timedelta(days=14),
                closed_at=opens + dt.timedelta(days=14),
                k=5,
            )
            db.session.add(wave)
            db.session.flush()
            wave_ids.append(wave.id)
            db.session.execute(
                db.insert(wave_team), [{"wave_id": wave.id, "team_id": t} for t in team_ids]
            )
            means = level + rng.normal(0, 0.25, size=level.shape)
            withheld = rng.random(N_TEAMS) < 0.08
            rows = []
            for i, team_id in enumerate(team_ids):
                for j, scale in enumerate(SCALES):
                    shown = not withheld[i]
                    change = float(rng.normal(0, 0.3)) if w and shown else None
                    rows.append(
                        {
                            "wave_id": wave.id,
                            "team_id": team_id,
                            "scale": scale,
                            "n": 8,
                            "mean": float(means[i, j]) if shown else None,
                            "sd": 0.6 if shown else None,
                            "ci_low": float(means[i, j]) - 0.3 if shown else None,
                            "ci_high": float(means[i, j]) + 0.3 if shown else None,
                            "rwg_j": float(rng.uniform(0, 1)) if shown else None,
                            "suppressed": None if shown else "complementary",
                            "change": change,
                            "change_ci_low": change - 0.4 if change is not None else None,
                            "change_ci_high": change + 0.4 if change is not None else None,
                        }
                    )
            db.session.execute(db.insert(TeamScaleResult), rows)
            db.session.execute(
                db.insert(GroupScaleResult),
                [
                    {
                        "wave_id": wave.id,
                        "level": "organisation",
                        "scale": scale,
                        "n": 8 * N_TEAMS,
                        "mean": float(means[:, j].mean()),
                    }
                    for j, scale in enumerate(SCALES)
                ],
            )
        playbooks = ["rituals", "sunlight", "group_review", "goal_sharing", "co_creation"]
        for i in range(N_INTERVENTIONS):
            intervention = Intervention(
                playbook_key=playbooks[i % len(playbooks)],
                starts_on=dt.date(2026, 5, 1),
                ends_on=dt.date(2026, 5, 2),
                facilitated_by="HRBP",
                notes="",
            )
            db.session.add(intervention)
            db.session.flush()
            db.session.execute(
                db.insert(intervention_team),
                [{"intervention_id": intervention.id, "team_id": team_ids[i * 3]}],
            )
        db.session.commit()
        make_user("admin", email="bench@example.org")
        return wave_ids[0], wave_ids[1], team_ids[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the database in this folder")
    args = parser.parse_args()

    from surveys import create_app
    from surveys import db as database
    from surveys.db import db
    from surveys.models import User
    from surveys.serve import freeze_startup_objects
    from tests.helpers import FAST_PASSWORD_HASH, login_as

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-act-"))
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
    with app.app_context():
        database.upgrade()
    start = time.perf_counter()
    _before, after, team_id = build(app)
    print(
        f"stored two waves of {N_TEAMS} teams and {N_INTERVENTIONS} interventions "
        f"in {time.perf_counter() - start:.1f} s ({folder})"
    )
    client = app.test_client()
    with app.app_context():
        login_as(client, db.session.scalar(db.select(User)))

    for label, url in (
        ("where to act", f"/manage/waves/{after}/actions"),
        ("intervention log", "/manage/interventions"),
        ("one team's interventions", f"/manage/teams/{team_id}/interventions"),
    ):
        times = []
        for _ in range(args.repeat + 1):  # the first request warms caches and is not counted
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        median = statistics.median(times[1:]) * 1000
        print(
            f"{label}: median {median:.0f} ms over {args.repeat} warm requests, "
            f"{len(response.data) / 1e6:.2f} MB"
        )


if __name__ == "__main__":
    main()
