"""load.R and load.sps read an export, with its labels, into R and into SPSS (here GNU PSPP).

The R test needs R with the psych and multilevel packages (Debian: r-base-core r-cran-psych
r-cran-multilevel), the SPSS one GNU PSPP (Debian: pspp); each is skipped where its program
is absent, since the product needs neither.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from surveys import instruments
from tests.export.conftest import closed_wave
from tests.export.helpers import export_cli, read_csv

FULL = instruments.get("full", "1.0.0")
RSCRIPT = shutil.which("Rscript")
PSPP = shutil.which("pspp")

# What R computes from the export alone, one "name value" line each.
SCRIPT = r"""
source("load.R")
suppressMessages({library(psych); library(multilevel)})
cat("rows", nrow(responses), "\n")
cat("label_fam4", attr(responses[["fam4"]], "label"), "\n")
cat("value_label_5", names(attr(responses[["fam4"]], "labels"))[5], "\n")
items <- c("fam1", "fam2", "fam3", "fam4", "fam5")
a <- psych::alpha(responses[, items], keys = c("fam4"), warnings = FALSE)
cat("alpha", sprintf("%.15g", a$total$raw_alpha), "\n")
icc <- multilevel::ICC1(aov(familiarity ~ as.factor(team), data = scores))
cat("icc1", sprintf("%.15g", icc), "\n")
means <- aggregate(familiarity ~ team, data = scores, FUN = mean)
for (i in seq_len(nrow(means))) {
  cat("mean", means$team[i], sprintf("%.15g", means$familiarity[i]), "\n")
}
"""


@pytest.mark.skipif(RSCRIPT is None, reason="Rscript is not installed")
def test_load_r_reads_the_export_and_psych_and_multilevel_agree(app, org, tmp_path):
    wave = closed_wave(app, org, seed=13)
    out = tmp_path / "out"
    files = export_cli(app, out, str(wave))
    (out / "check.R").write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [RSCRIPT, "--vanilla", "check.R"],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=120,
        env={"LANG": "en_US.UTF-8", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines() if line.strip()]
    got = {parts[0]: parts[1:] for parts in lines if parts[0] != "mean"}
    assert int(got["rows"][0]) == len(read_csv(files["responses.csv"]))
    assert " ".join(got["label_fam4"]) == FULL.item("fam4").text["en"]
    assert " ".join(got["value_label_5"]) == "Strongly agree"
    scale = {r["scale"]: r for r in read_csv(files["scales.csv"])}["familiarity"]
    assert float(got["alpha"][0]) == pytest.approx(float(scale["alpha"]), rel=1e-9)
    assert float(got["icc1"][0]) == pytest.approx(float(scale["icc1"]), rel=1e-9)
    means = {parts[1]: float(parts[2]) for parts in lines if parts[0] == "mean"}
    teams = {r["team"]: float(r["familiarity_mean"]) for r in read_csv(files["teams.csv"])}
    assert means == pytest.approx(teams, rel=1e-12)


SPSS_CHECK = """INCLUDE FILE='load.sps'.
DATASET ACTIVATE responses.
DISPLAY LABELS /VARIABLES=fam4.
FREQUENCIES VARIABLES=fam4 /FORMAT=NOTABLE.
DATASET ACTIVATE teams.
LIST VARIABLES=n.
DATASET ACTIVATE scores.
DESCRIPTIVES VARIABLES=familiarity.
"""


@pytest.mark.skipif(PSPP is None, reason="pspp is not installed")
def test_load_sps_reads_every_file_with_labels_in_pspp(app, org, tmp_path):
    wave = closed_wave(app, org, seed=14)
    out = tmp_path / "out"
    files = export_cli(app, out, str(wave))
    (out / "check.sps").write_text(SPSS_CHECK, encoding="utf-8")
    done = subprocess.run(
        [PSPP, "-O", "format=txt", "check.sps"],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "error" not in output.lower(), output
    assert "Some people on my team are still strangers to me." in output  # variable label
    responses = len(read_csv(files["responses.csv"]))
    assert f"|{responses}|" in output.replace(" ", "")  # N of the scores' descriptives
    for row in read_csv(files["teams.csv"]):
        assert f"|{row['n']}|" in output.replace(" ", "")
