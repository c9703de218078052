"""load.R and load.sps read an export, with its labels, into R and into SPSS (here GNU PSPP).

The R tests need R with the psych and multilevel packages (Debian: r-base-core r-cran-psych
r-cran-multilevel), the SPSS one GNU PSPP (Debian: pspp). scripts/test installs them; run
otherwise, a test is skipped where its program is absent, since the product needs neither.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from surveys import instruments
from surveys.db import db
from surveys.models import Comment, Team, random_id
from tests.export.conftest import closed_wave
from tests.export.helpers import export_cli, read_csv

FULL = instruments.get("full", "1.0.0")
RSCRIPT = shutil.which("Rscript")
PSPP = shutil.which("pspp")


def needs(program: str | None, name: str) -> None:
    """Skip without ``program``, or fail where scripts/test promised to install it."""
    if program is None:
        if os.environ.get("TRUSTSURVEY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{name} is missing but scripts/test requires it")
        pytest.skip(f"{name} is not installed")


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


def test_load_r_reads_the_export_and_psych_and_multilevel_agree(app, org, tmp_path):
    needs(RSCRIPT, "Rscript")
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


# A researcher's own analysis of a two-wave export: scale membership and reverse keys from
# codebook.csv, response options from load.R's value labels, then psych and multilevel
# (rwg(j) by multilevel's formula with the codebook's rule for missing answers).
EVERY_NUMBER = r"""
source("load.R")
suppressMessages({library(psych); library(multilevel)})
book <- read_export("codebook.csv", c("file", "column", "type", "scale", "reverse"))
items <- book[book$file == "responses.csv" & !is.na(book$scale), ]
num <- function(x) sprintf("%.15g", x)
for (w in unique(responses$wave)) {
  r <- responses[responses$wave == w, ]
  s <- scores[scores$wave == w, ]
  for (scale in unique(items$scale)) {
    its <- items$column[items$scale == scale]
    rev <- its[items$reverse[items$scale == scale] %in% "yes"]
    a <- psych::alpha(r[, its], keys = rev, warnings = FALSE)$total$raw_alpha
    model <- aov(s[[scale]] ~ as.factor(s$team))
    cat("scale", w, scale, num(a), num(ICC1(model)), num(ICC2(model)), "\n")
    options <- as.numeric(attr(responses[[its[1]]], "labels"))
    ranvar <- (length(options)^2 - 1) / 12
    for (team in sort(unique(s$team))) {
      v <- s[[scale]][s$team == team & !is.na(s[[scale]])]
      # rwg(j) as multilevel::rwg.j computes it, each item's variance over the members
      # who answered it (rwg.j itself first drops members with a missing answer).
      S <- min(mean(apply(r[r$team == team, its], 2, var, na.rm = TRUE)), ranvar)
      rwg <- length(its) * (1 - S / ranvar) / (length(its) * (1 - S / ranvar) + S / ranvar)
      cat("team", w, scale, team, length(v), num(mean(v)), num(sd(v)), num(rwg), "\n")
    }
  }
}
"""


def test_every_scale_and_team_number_agrees_with_psych_and_multilevel(app, org, tmp_path):
    needs(RSCRIPT, "Rscript")
    first, second = closed_wave(app, org, seed=16), closed_wave(app, org, seed=17, name="Fall")
    out = tmp_path / "out"
    files = export_cli(app, out, str(first), str(second))
    (out / "check.R").write_text(EVERY_NUMBER, encoding="utf-8")
    done = subprocess.run(
        [RSCRIPT, "--vanilla", "check.R"],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=120,
        env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines() if line.strip()]
    scales = {(r["wave"], r["scale"]): r for r in read_csv(files["scales.csv"])}
    teams = {(r["wave"], r["team"]): r for r in read_csv(files["teams.csv"])}
    got_scales = [parts[1:] for parts in lines if parts[0] == "scale"]
    got_teams = [parts[1:] for parts in lines if parts[0] == "team"]
    assert len(got_scales) == len(scales) == 2 * len(FULL.scales)
    for wave, scale, alpha, icc1, icc2 in got_scales:
        stored = scales[(wave, scale)]
        assert float(stored["alpha"]) == pytest.approx(float(alpha), rel=1e-9)
        assert float(stored["icc1"]) == pytest.approx(float(icc1), rel=1e-9)
        assert float(stored["icc2"]) == pytest.approx(float(icc2), rel=1e-9)
    assert len(got_teams) == len(teams) * len(FULL.scales)
    for wave, scale, team, n, mean, sd, rwg in got_teams:
        stored = teams[(wave, team)]
        assert int(stored[f"{scale}_n"]) == int(n)
        assert float(stored[f"{scale}_mean"]) == pytest.approx(float(mean), rel=1e-12)
        assert float(stored[f"{scale}_sd"]) == pytest.approx(float(sd), rel=1e-9)
        assert float(stored[f"{scale}_rwg_j"]) == pytest.approx(float(rwg), rel=1e-9, abs=1e-12)


# Comments in Chinese, one over two lines, read back as code points (any locale prints those).
COMMENTS_SCRIPT = r"""
source("load.R")
cat("rows", nrow(comments), "\n")
for (text in comments$text) cat("text", utf8ToInt(text), "\n")
"""
CHINESE = ["大家遇到问题都会主动帮忙。", "老员工和新同事\r\n像是两个团队"]


@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
def test_load_r_reads_chinese_text_in_any_locale(app, org, tmp_path, locale):
    needs(RSCRIPT, "Rscript")
    # A researcher's R may run in a C or Latin-1 locale (a container, a server): reading
    # through the locale's encoding would drop every row after the first Chinese cell.
    from surveys.db import db
    from surveys.models import Comment

    wave = closed_wave(app, org, seed=15)
    with app.app_context():
        for text in CHINESE:
            db.session.add(Comment(wave_id=wave, team_id=org.teams["North"], text=text))
        db.session.commit()
    out = tmp_path / "out"
    files = export_cli(app, out, str(wave), "--comments")
    (out / "check.R").write_text(COMMENTS_SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [RSCRIPT, "--vanilla", "check.R"],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=120,
        env={"LANG": locale, "LC_ALL": locale, "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines() if line.strip()]
    texts = [r["text"] for r in read_csv(files["comments.csv"])]
    assert set(CHINESE) <= set(texts)
    assert [int(n) for n in lines[0][1:]] == [len(texts)]
    got = sorted("".join(map(chr, map(int, parts[1:]))) for parts in lines[1:])
    # R's readLines reads a line break inside a cell as LF (CR LF and LF alike).
    assert got == sorted(t.replace("\r\n", "\n") for t in texts)


SPSS_CHECK = """INCLUDE FILE='load.sps'.
DATASET ACTIVATE responses.
DISPLAY LABELS /VARIABLES=fam4.
FREQUENCIES VARIABLES=fam4 /FORMAT=NOTABLE.
DATASET ACTIVATE teams.
LIST VARIABLES=n.
DATASET ACTIVATE scores.
DESCRIPTIVES VARIABLES=familiarity.
"""


def test_load_sps_reads_every_file_with_labels_in_pspp(app, org, tmp_path):
    needs(PSPP, "pspp")
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


LONG = "团队里的人愿意互相帮忙，" * 30  # 360 characters, 1,080 bytes in UTF-8


def _comment(app, wave_id: int, text: str) -> None:
    with app.app_context():
        team = db.session.scalar(db.select(Team).where(Team.name == "North"))  # 9 of 9: >= k
        db.session.add(Comment(id=random_id(), wave_id=wave_id, team_id=team.id, text=text))
        db.session.commit()


def _pspp(folder, syntax: str) -> str:
    (folder / "check.sps").write_text(syntax, encoding="utf-8")
    done = subprocess.run(
        [PSPP, "-O", "format=txt", "check.sps"],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "error" not in output.lower(), output
    return output


def test_load_sps_reads_a_long_comment_whole(app, org, tmp_path):
    """A comment may hold 2,000 characters; read as A200 it was cut at 200 bytes, mid
    character, without a warning."""
    needs(PSPP, "pspp")
    wave = closed_wave(app, org, seed=15)
    _comment(app, wave, LONG)
    out = tmp_path / "out"
    export_cli(app, out, str(wave), "--comments")
    assert "text A1080" in (out / "load.sps").read_text(encoding="utf-8")
    _pspp(out, "INSERT FILE='load.sps'.\nDATASET ACTIVATE comments.\n"
               "WRITE OUTFILE='texts.txt' ENCODING='UTF8' /text.\nEXECUTE.\n")  # fmt: skip
    texts = [line.rstrip() for line in (out / "texts.txt").read_text(encoding="utf-8").split("\n")]
    assert LONG in texts


def test_load_sps_leaves_out_comments_with_line_breaks_and_says_why(app, org, tmp_path):
    """GET DATA ends a case at every line, also inside a quoted cell: such a comment was read
    as a cut-off case and bogus ones, with no error."""
    needs(PSPP, "pspp")
    wave = closed_wave(app, org, seed=16)
    _comment(app, wave, 'line one\r\nline two, "quoted"\nline three')
    out = tmp_path / "out"
    export_cli(app, out, str(wave), "--comments")
    script = (out / "load.sps").read_text(encoding="utf-8")
    assert "* comments.csv is not read here: 1 of its cells hold a line break," in script
    assert "/FILE='comments.csv'" not in script
    output = _pspp(out, "INSERT FILE='load.sps'.\nDATASET ACTIVATE teams.\nLIST VARIABLES=n.\n")
    assert "warning" not in output.lower(), output
