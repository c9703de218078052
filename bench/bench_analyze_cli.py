"""Benchmark: `trustsurvey analyze` end to end against the same job in R.

Writes the data of bench/bench_analysis.py (100,000 respondents x 40 items, 8 five-item
scales on 1..5 with two reverse-keyed items each, about 2 % missing, 5,000 teams) as a
CSV with a team-size column, and its instrument as TOML, then runs as subprocesses

* the CLI: ``python -m surveys.cli analyze DATA.csv --instrument bench.toml
  --team-column team --team-size-column size --output OUT.json`` (reading and checking
  the CSV, every statistic, writing the JSON);
* when ``Rscript`` is installed, the same job in R: ``read.csv``, then per scale
  reverse-keying, ``psych::alpha``, scale scores by the same half rule,
  ``multilevel::rwg.j``, and ICC(1)/ICC(2) by ``multilevel``'s formulas. Those read the
  mean squares off ``summary(aov(score ~ team))``; with 5,000 teams ``aov`` builds a
  100,000 x 5,000 model matrix (it passed 8 GB and 12 minutes here before it was
  stopped), so the R job takes the same mean squares from ``tapply``: R's side is
  faster for it, never slower. R does less than the CLI (no omega, item-total r, team
  intervals or JSON).

Each is timed as a whole process (wall time, user + system CPU time, peak resident
memory, from /usr/bin/time or else getrusage); the best of ``--repeat`` runs is kept.
It prints both side by side, their ratio, the load average before and after (the
machine may be shared: CPU time is the steadier figure), and how far R's alpha,
ICC(1), ICC(2) and mean rwg(j) are from the CLI's (rwg(j) differs by design: R drops
a respondent with any missing answer, see the README).
Usage: python bench/bench_analyze_cli.py [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
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
# multilevel::ICC1 and ICC2 (source of multilevel 2.7) on the mean squares of the one-way
# ANOVA of score on team, taken from tapply instead of summary(aov(...)).
icc <- function(score, team) {
  keep <- !is.na(score)
  score <- score[keep]
  team <- factor(team[keep])
  n <- tapply(score, team, length)
  m <- tapply(score, team, mean)
  msb <- sum(n * (m - mean(score))^2) / (length(n) - 1)
  msw <- sum((score - m[team])^2) / (length(score) - length(n))
  gsize <- length(score) / length(n)
  c((msb - msw) / (msb + (gsize - 1) * msw), (msb - msw) / msb)
}
out <- NULL
for (s in 0:%(last)d) {
  x <- d[, paste0("s", s, "i", 0:%(last_item)d)]
  x[, c(%(rev)s)] <- 6 - x[, c(%(rev)s)]
  a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)$total$raw_alpha
  score <- rowMeans(x, na.rm = TRUE)
  score[2 * rowSums(!is.na(x)) < ncol(x)] <- NA  # the product's half rule
  r <- mean(rwg.j(x, d$team, ranvar = 2)$rwg.j, na.rm = TRUE)
  out <- rbind(out, c(a, icc(score, d$team), r))
}
write.table(format(out, digits = 15), sep = ",", quote = FALSE, row.names = FALSE,
            col.names = FALSE)
"""


def write_inputs(folder: Path) -> tuple[Path, Path]:
    answers, team, team_size = make_data()
    n, k = answers.shape
    keys = [f"s{s}i{i}" for s in range(N_SCALES) for i in range(ITEMS_PER_SCALE)]
    cells = np.where(np.isnan(answers), "", np.nan_to_num(answers).astype(int).astype(str))
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


def measure(command: list[str], folder: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system), peak RSS in MB and stdout of one process."""
    if Path("/usr/bin/time").exists():
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
        return wall, float(user) + float(system), int(kb) / 1024, done.stdout.decode()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of the children is the largest so far: exact for the first command only.
    return wall, cpu, after.ru_maxrss / 1024, done.stdout.decode()


def best(command, folder, repeat):
    """Least wall and CPU time over ``repeat`` runs, the largest peak, the last output."""
    runs = [measure(command, folder) for _ in range(repeat)]
    return (
        min(r[0] for r in runs),
        min(r[1] for r in runs),
        max(r[2] for r in runs),
        runs[-1][3],
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} cores"


def compare(r_output: str, result: dict) -> None:
    """How far R's numbers are from the CLI's, per statistic, over the scales."""
    theirs = np.array([[float(v) for v in line.split(",")] for line in r_output.split()])
    ours = np.array(
        [
            [result["scales"][f"scale{s}"][name] for name in ("alpha", "icc1", "icc2")]
            + [result["scales"][f"scale{s}"]["mean_rwg_j"]]
            for s in range(N_SCALES)
        ]
    )
    names = ("alpha", "ICC(1)", "ICC(2)", "mean rwg(j) [by design]")
    for j, name in enumerate(names):
        print(f"  |R - trustsurvey| {name}: max {np.abs(theirs[:, j] - ours[:, j]).max():.1e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best is kept)")
    parser.add_argument("--keep", type=Path, help="write the CSV and outputs here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-analyze-"))
    folder.mkdir(parents=True, exist_ok=True)
    data, instrument = write_inputs(folder)
    size = data.stat().st_size / 1e6
    print(f"data: {data} ({size:.1f} MB)")
    print(f"load average before: {load_average()}")
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
    rows = [("trustsurvey analyze", ours, f"best of {args.repeat}")]
    theirs = None
    if shutil.which("Rscript"):
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
        r_repeat = max(1, min(args.repeat, 2))
        theirs = best(["Rscript", str(script), str(data)], folder, r_repeat)
        rows.append(("R (psych, multilevel)", theirs, f"best of {r_repeat}"))
    print(f"load average after:  {load_average()}")
    print(f"{'':24}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}")
    for name, (wall, cpu, peak, _), note in rows:
        print(f"{name:24}{wall:9.2f}{cpu:9.2f}{peak:9.0f}  {note}")
    if theirs is None:
        print("R: Rscript is not installed; no comparison")
        return
    print(
        f"{'R / trustsurvey':24}{theirs[0] / ours[0]:8.1f}x{theirs[1] / ours[1]:8.1f}x"
        f"{theirs[2] / ours[2]:8.1f}x"
    )
    compare(theirs[3], json.loads((folder / "out.json").read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
