"""Benchmark: the whole wave analysis of trust/ against pingouin on the same data.

Generates 100,000 respondents x 40 items (8 five-item scales on a 1..5 scale, two
reverse-keyed items per scale, about 2 % missing answers) in 5,000 teams of sizes from 3
to about 80 (seeded), then times

* trust.analyze: reverse-keying, scale scores, alpha with its interval, omega, item-total
  r, ICC(1)/ICC(2), rwg(j), team means with intervals (everything but the bootstrap);
* pingouin: cronbach_alpha per scale (pairwise) and the ICC of every scale from
  pingouin.anova (one-way, team as factor) on the scale scores, as pingouin's
  intraclass_corr needs balanced data (one rating per rater and target). Its input
  (reverse-keyed answers, scale scores) is prepared before the clock starts, so
  pingouin is timed on the two statistics alone while trust.analyze does everything.

Best of a few runs each. Usage: python bench/bench_analysis.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import trust

N_RESPONDENTS = 100_000
N_TEAMS = 5_000
N_SCALES = 8
ITEMS_PER_SCALE = 5


def make_instrument() -> trust.Instrument:
    scales = [
        {
            "key": f"scale{s}",
            "response_scale": "agree",
            "items": [{"key": f"s{s}i{i}", "reverse": i in (1, 3)} for i in range(ITEMS_PER_SCALE)],
        }
        for s in range(N_SCALES)
    ]
    return trust.parse_instrument(
        {
            "instrument": {"key": "bench", "version": "1", "name": "Benchmark"},
            "response_scales": {"agree": {"min": 1, "max": 5}},
            "scales": scales,
        }
    )


def make_data(seed: int = 2026):
    rng = np.random.default_rng(seed)
    # At least 3 per team, the other respondents spread with gamma-distributed weights.
    weights = rng.gamma(2.0, size=N_TEAMS)
    sizes = 3 + rng.multinomial(N_RESPONDENTS - 3 * N_TEAMS, weights / weights.sum())
    team = np.repeat(np.arange(N_TEAMS), sizes)
    rng.shuffle(team)
    team_effect = rng.normal(0, 0.5, size=(N_TEAMS, N_SCALES))
    person = rng.normal(0, 0.8, size=(N_RESPONDENTS, N_SCALES)) + team_effect[team]
    latent = np.repeat(person, ITEMS_PER_SCALE, axis=1)
    raw = 3 + latent + rng.normal(0, 0.7, size=latent.shape)
    answers = np.clip(np.round(raw), 1, 5)
    reverse = np.tile(np.isin(np.arange(ITEMS_PER_SCALE), (1, 3)), N_SCALES)
    answers[:, reverse] = 6 - answers[:, reverse]
    answers[rng.random(answers.shape) < 0.02] = np.nan
    team_size = {int(t): int(n + rng.integers(0, 3)) for t, n in enumerate(sizes)}
    return answers, team, team_size


def best_of(repeat: int, fn) -> tuple[float, float]:
    """Best wall-clock and best CPU time of ``repeat`` runs (CPU time of this process,
    all threads: less disturbed than wall time when other programs load the machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def prepare(answers, instrument):
    """Reverse-keyed answers and scale scores: pingouin's input, computed outside its timing."""
    low, high = instrument.bounds()
    keyed = trust.reverse_key(answers, instrument.reverse_mask(), low, high)
    return keyed, trust.scale_scores(keyed, instrument.item_scale_index())


def pingouin_path(keyed, scores, team, instrument):
    import pandas as pd
    import pingouin as pg

    out = {}
    for s, scale in enumerate(instrument.scales):
        cols = slice(s * ITEMS_PER_SCALE, (s + 1) * ITEMS_PER_SCALE)
        alpha, _ = pg.cronbach_alpha(pd.DataFrame(keyed[:, cols]))
        frame = pd.DataFrame({"score": scores[:, s], "team": team}).dropna()
        aov = pg.anova(data=frame, dv="score", between="team", detailed=True)
        msb, msw = aov.loc[0, "MS"], aov.loc[1, "MS"]
        k = len(frame) / frame["team"].nunique()
        out[scale.key] = (alpha, (msb - msw) / (msb + (k - 1) * msw), (msb - msw) / msb)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per path (best is kept)")
    args = parser.parse_args()
    instrument = make_instrument()
    answers, team, team_size = make_data()
    print(
        f"data: {answers.shape[0]:,} respondents x {answers.shape[1]} items, "
        f"{len(np.unique(team)):,} teams of {np.bincount(team).min()}-{np.bincount(team).max()}"
    )

    load = os.getloadavg()[0]
    result = trust.analyze(answers, team, instrument, team_size=team_size)
    ours = best_of(
        args.repeat, lambda: trust.analyze(answers, team, instrument, team_size=team_size)
    )
    keyed, scores = prepare(answers, instrument)
    check = pingouin_path(keyed, scores, team, instrument)
    theirs = best_of(
        max(1, min(args.repeat, 3)), lambda: pingouin_path(keyed, scores, team, instrument)
    )
    for key, (alpha, icc1, icc2) in check.items():
        mine = result["scales"][key]
        if not (
            abs(mine["alpha"] - alpha) < 1e-9
            and abs(mine["icc1"] - icc1) < 1e-9
            and abs(mine["icc2"] - icc2) < 1e-9
        ):
            raise SystemExit(f"results differ from pingouin on {key}")
    print(f"load average before timing: {load:.1f} on {os.cpu_count()} cores")
    print(
        f"trust.analyze (full analysis, no bootstrap): {ours[0]:.3f} s wall, "
        f"{ours[1]:.3f} s CPU (best of {args.repeat})"
    )
    print(
        f"pingouin (cronbach_alpha per scale + one-way anova ICC per scale): {theirs[0]:.3f} s "
        f"wall, {theirs[1]:.3f} s CPU"
    )
    print(
        f"ratio pingouin / trust: {theirs[0] / ours[0]:.1f}x wall, {theirs[1] / ours[1]:.1f}x "
        "CPU (same alpha and ICC values)"
    )


if __name__ == "__main__":
    main()
