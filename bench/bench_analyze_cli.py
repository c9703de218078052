"""Benchmark: `trustsurvey analyze` end to end against the same job in R.

Writes the data of bench/bench_analysis.py (100,000 respondents x 40 items, 8 five-item
scales on 1..5 with two reverse-keyed items each, about 2 % missing, 5,000 teams) as a
CSV with a team-size column, and its instrument as TOML, then runs as subprocesses

* the CLI: ``python -m surveys.cli analyze DATA.csv --instrument bench.toml
  --team-column team --team-size-column size --output OUT.json`` (reading and checking
  the CSV, every statistic, writing the JSON);
* when ``Rscript`` is installed, the same job in R: ``read.csv``, then per scale
  reverse-keying, ``psych::alpha``, ``multilevel::rwg.j`` and ``ICC1``/``ICC2`` of
  ``aov(score ~ team)``.

Each is timed as a whole process (wall time, user + system CPU time, peak resident
memory, from /usr/bin/time or else getrusage); the best of ``--repeat`` runs is kept.
Usage: python bench/bench_analyze_cli.py [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analysis import ITEMS_PER_SCALE, N_SCALES, make_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REVERSED = (1, 3)

R_JOB = r"""
suppressMessages({library(psych); library(multilevel)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
out <- list()
for (s in 0:%(last)d) {
  x <- d[, paste0("s", s, "i", 0:%(last_item)d)]
  x[, c(%(rev)s)] <- 6 - x[, c(%(rev)s)]
  a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)$total$raw_alpha
  score <- rowMeans(x, na.rm = TRUE)
  model <- aov(score ~ as.factor(d$team))
  r <- mean(rwg.j(x, d$team, ranvar = 2)$rwg.j, na.rm = TRUE)
  out[[s + 1]] <- c(a, ICC1(model), ICC2(model), r)
}
print(do.call(rbind, out))
"""


def write_inputs(folder: Path) -> tuple[Path, Path]:
    answers, team, team_size = make_data()
    n, k = answers.shape
    keys = [f"s{s}i{i}" for s in range(N_SCALES) for i in range(ITEMS_PER_SCALE)]
    cells = np.where(np.isnan(answers), "", answers.astype(int).astype(str))
    sizes = np.array([team_size[int(t)] for t in team]).astype(str)
    lines = [",".join(["team", "size", *keys])]
    lines += [",".join(row) for row in np.column_stack([team.astype(str), sizes, cells]).tolist()]
    data = folder / "survey.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    toml = [
        '[instrument]\nkey = "bench"\nversion = "1"\nname = "Benchmark"\n',
        "[response_scales.agree]\nmin = 1\nmax = 5\n",
    ]
    for s in range(N_SCALES):
        toml.append(f'[[scales]]\nkey = "scale{s}"\nresponse_scale = "agree"\n')
        for i in range(ITEMS_PER_SCALE):
            reverse = "true" if i in REVERSED else "false"
            toml.append(f'[[scales.items]]\nkey = "s{s}i{i}"\nreverse = {reverse}\n')
    instrument = folder / "bench.toml"
    instrument.write_text("\n".join(toml), encoding="utf-8")
    return data, instrument


def measure(command: list[str], folder: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in MB of one process."""
    if shutil.which("time") or Path("/usr/bin/time").exists():
        report = folder / "time.txt"
        start = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%U %S %M", "-o", str(report), *command],
            cwd=ROOT,
            capture_output=True,
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{command[0]} failed: {done.stderr.decode()[-2000:]}")
        user, system, kb = report.read_text().split()[-3:]
        return wall, float(user) + float(system), int(kb) / 1024
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of the children is the largest so far: exact for the first command only.
    return wall, cpu, after.ru_maxrss / 1024


def best(command, folder, repeat):
    runs = [measure(command, folder) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best is kept)")
    parser.add_argument("--keep", type=Path, help="write the CSV and outputs here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-analyze-"))
    folder.mkdir(parents=True, exist_ok=True)
    data, instrument = write_inputs(folder)
    size = data.stat().st_size / 1e6
    load = os.getloadavg()[0]
    print(f"data: {data} ({size:.1f} MB), load average {load:.1f} on {os.cpu_count()} cores")
    cli = [
        sys.executable,
        "-m",
        "surveys.cli",
        "analyze",
        str(data),
        "--instrument",
        str(instrument),
        "--team-column",
        "team",
        "--team-size-column",
        "size",
        "--output",
        str(folder / "out.json"),
    ]
    ours = best(cli, folder, args.repeat)
    print(
        f"trustsurvey analyze: {ours[0]:.2f} s wall, {ours[1]:.2f} s CPU, "
        f"{ours[2]:.0f} MB peak (best of {args.repeat})"
    )
    if not shutil.which("Rscript"):
        print("R: Rscript is not installed; no comparison")
        return
    script = folder / "job.R"
    script.write_text(
        R_JOB
        % {
            "last": N_SCALES - 1,
            "last_item": ITEMS_PER_SCALE - 1,
            "rev": ", ".join(str(i + 1) for i in REVERSED),
        },
        encoding="utf-8",
    )
    theirs = best(["Rscript", str(script), str(data)], folder, max(1, min(args.repeat, 2)))
    print(
        f"R (read.csv, psych::alpha, multilevel::rwg.j, ICC1/ICC2): {theirs[0]:.2f} s wall, "
        f"{theirs[1]:.2f} s CPU, {theirs[2]:.0f} MB peak"
    )
    print(f"ratio R / trustsurvey: {theirs[0] / ours[0]:.1f}x wall, {theirs[1] / ours[1]:.1f}x CPU")


if __name__ == "__main__":
    main()
