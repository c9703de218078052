"""trust.analyze agrees with R's psych 2.2.9 and multilevel 2.7 on four public data sets.

The expected numbers are in tests/trust/r_expected.py, written by the R script
tests/trust/r/expected.R (R 4.2.2, psych 2.2.9, multilevel 2.7, GPArotation 2022.10-2;
Debian bookworm packages), which also wrote the data sets in tests/trust/data/ from the
packages: lq2002 and bh1996 and univbct (multilevel), bfi (psych). R is not needed to
run these tests. The script, as run (``Rscript tests/trust/r/expected.R``)::

    half_rule <- function(x) ifelse(rowSums(!is.na(x)) >= ncol(x) / 2,
                                    rowMeans(x, na.rm = TRUE), NA)
    reliability <- function(prefix, x) {           # per scale
      a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)
      a$total$raw_alpha; a$item.stats$r.drop
      omega(x, nfactors = 1, plot = FALSE)$omega.tot
      fa(x, 1, fm = "minres")$loadings[, 1]
    }
    team_stats <- function(prefix, score, grp) {   # per scale
      s <- split(score[!is.na(score)], grp[!is.na(score)])
      mean, sd, mean -+ qt(0.975, n - 1) * sd / sqrt(n) of every team
      model <- aov(score ~ as.factor(grp)); c(ICC1(model), ICC2(model))
    }
    lq2002: LEAD01-11, TSIG01-03 on 1..5, HOSTIL01-05 on 0..4, teams COMPID;
            rwg.j(x, COMPID, ranvar = 2)
    bfi:    A, C, E, N, O (items 1-5 on 1..6; A1 C4 C5 E1 E2 O2 O5 as 7 - x)
    univbct (TIME == 0): JOBSAT1-3 as one continuous 1..5 scale, teams BTN;
            rwg.j(x, BTN, ranvar = (5 - 1)^2 / 12)
    bh1996: HRS, one continuous 0..24 column, teams GRP; rwg(HRS, GRP, ranvar = 24^2 / 12)
    univbct, change from JOBSAT1 to JOBSAT2 per battalion:
            t.test(after, before, var.equal = FALSE): difference, conf.int, parameter;
            Hedges' g = J(m) d, J(m) = exp(lgamma(m/2) - lgamma((m-1)/2)) / sqrt(m/2);
            battalion mean changes, first five battalions treated:
            t.test(delta[treated], delta[!treated], var.equal = TRUE)

(the full script is tests/trust/r/expected.R).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.trust import r_expected as rx
from trust import (
    DegenerateDataWarning,
    analyze,
    difference_in_differences,
    parse_instrument,
    rwg_j,
    team_change,
)

DATA = Path(__file__).parent / "data"
TOL = 1e-6  # the bar; most numbers agree to 1e-12


def read(name):
    """Header and float columns of a data set written by R's write.csv (NA as empty)."""
    with open(DATA / name, encoding="utf-8") as f:
        header = [h.strip('"') for h in f.readline().strip().split(",")]
    values = np.genfromtxt(DATA / name, delimiter=",", skip_header=1, missing_values="NA")
    return header, values


def instrument(scales, response_scales):
    return parse_instrument(
        {
            "instrument": {"key": "r", "version": "1", "name": "R data"},
            "response_scales": response_scales,
            "scales": [
                {"key": key, "response_scale": rs, "items": [{"key": c} for c in cols]}
                for key, rs, cols in scales
            ],
        }
    )


def analysed(out, scale, prefix, teams):
    """Per-team arrays of one scale from analyze's JSON, in the order of R's team ids."""
    cells = [out["teams"][str(int(t))]["scales"][scale] for t in teams]
    return {name: np.array([c[name] for c in cells], dtype=float) for name in cells[0]}


def check_teams(out, scale, prefix):
    teams = getattr(rx, f"{prefix}_team")
    got = analysed(out, scale, prefix, teams)
    for name in ("mean", "sd", "ci_low", "ci_high"):
        np.testing.assert_allclose(got[name], getattr(rx, f"{prefix}_{name}"), rtol=0, atol=TOL)
    icc1, icc2 = getattr(rx, f"{prefix}_icc")
    assert out["scales"][scale]["icc1"] == pytest.approx(icc1, abs=TOL)
    assert out["scales"][scale]["icc2"] == pytest.approx(icc2, abs=TOL)
    return got


LQ_SCALES = [
    ("lead", "agree", [f"LEAD{i:02d}" for i in range(1, 12)]),
    ("tsig", "agree", [f"TSIG{i:02d}" for i in range(1, 4)]),
    ("hostil", "zero", [f"HOSTIL{i:02d}" for i in range(1, 6)]),
]


def test_lq2002_reliability_icc_rwg_and_team_means_agree_with_r():
    header, v = read("lq2002.csv")
    inst = instrument(LQ_SCALES, {"agree": {"min": 1, "max": 5}, "zero": {"min": 0, "max": 4}})
    cols = [header.index(c) for _, _, items in LQ_SCALES for c in items]
    out = analyze(v[:, cols], v[:, 0].astype(int), inst)
    for key, _, items in LQ_SCALES:
        scale = out["scales"][key]
        prefix = f"lq_{key}"
        assert scale["alpha"] == pytest.approx(getattr(rx, f"{prefix}_alpha")[0], abs=TOL)
        assert scale["omega_total"] == pytest.approx(
            getattr(rx, f"{prefix}_omega_total")[0], abs=TOL
        )
        r_drop = [scale["items"][c]["item_total_r"] for c in items]
        np.testing.assert_allclose(r_drop, getattr(rx, f"{prefix}_r_drop"), atol=TOL)
        loadings = [scale["items"][c]["loading"] for c in items]
        np.testing.assert_allclose(loadings, getattr(rx, f"{prefix}_loadings"), atol=1e-5)
        got = check_teams(out, key, prefix)
        np.testing.assert_allclose(got["rwg_j"], getattr(rx, f"{prefix}_rwg_j"), atol=TOL)


BFI_REVERSED = {"A1", "C4", "C5", "E1", "E2", "O2", "O5"}


def test_bfi_alpha_item_total_r_and_omega_with_missing_answers_agree_with_r():
    header, v = read("bfi.csv")
    assert np.isnan(v).any()  # 436 missing answers: the pairwise paths are exercised
    scales = [(f, "six", [f"{f}{i}" for i in range(1, 6)]) for f in "ACENO"]
    data = parse_instrument(
        {
            "instrument": {"key": "bfi", "version": "1", "name": "bfi"},
            "response_scales": {"six": {"min": 1, "max": 6}},
            "scales": [
                {
                    "key": key,
                    "response_scale": rs,
                    "items": [{"key": c, "reverse": c in BFI_REVERSED} for c in cols],
                }
                for key, rs, cols in scales
            ],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        out = analyze(v, np.zeros(len(v)), data)  # one team: ICC is not the point here
    for key, _, items in scales:
        scale = out["scales"][key]
        assert scale["alpha"] == pytest.approx(getattr(rx, f"bfi_{key.lower()}_alpha")[0], abs=TOL)
        assert scale["omega_total"] == pytest.approx(
            getattr(rx, f"bfi_{key.lower()}_omega_total")[0], abs=TOL
        )
        r_drop = [scale["items"][c]["item_total_r"] for c in items]
        np.testing.assert_allclose(r_drop, getattr(rx, f"bfi_{key.lower()}_r_drop"), atol=TOL)


CONTINUOUS = {"five": {"min": 1, "max": 5, "continuous": True}}


def test_a_continuous_scale_with_missing_values_agrees_with_r_univbct():
    header, v = read("univbct.csv")
    inst = instrument([("jobsat", "five", ["JOBSAT1", "JOBSAT2", "JOBSAT3"])], CONTINUOUS)
    out = analyze(v[:, 1:], v[:, 0].astype(int), inst, rwg_nan_policy="listwise")
    got = check_teams(out, "jobsat", "ub_jobsat")
    np.testing.assert_array_equal(rx.ub_jobsat_rwg_j_team, rx.ub_jobsat_team)
    np.testing.assert_allclose(got["rwg_j"], rx.ub_jobsat_rwg_j, atol=TOL)
    # the same through the public function, R's listwise rule
    res = rwg_j(v[:, 1:], v[:, 0].astype(int), nan_policy="listwise", null_variance=4 / 3)
    np.testing.assert_allclose(res.rwg_j, rx.ub_jobsat_rwg_j, atol=TOL)


def test_one_continuous_column_agrees_with_r_bh1996_and_says_why_alpha_is_undefined():
    header, v = read("bh1996.csv")
    inst = instrument(
        [("hours", "day", ["HRS"])], {"day": {"min": 0, "max": 24, "continuous": True}}
    )
    out = analyze(v[:, 1:], v[:, 0].astype(int), inst)
    got = check_teams(out, "hours", "bh_hrs")
    np.testing.assert_allclose(got["rwg_j"], rx.bh_hrs_rwg, atol=TOL)
    scale = out["scales"]["hours"]
    assert scale["alpha"] is None and scale["omega_total"] is None
    text = " ".join(out["warnings"])
    assert "alpha needs at least two items" in text and "omega needs at least three items" in text


def test_team_change_hedges_g_and_difference_in_differences_agree_with_r_univbct():
    # JOBSAT1 and JOBSAT2: the same soldiers' job satisfaction at two times, by battalion.
    header, v = read("univbct.csv")
    team, before, after = v[:, 0].astype(int), v[:, 1], v[:, 2]
    res = team_change(before, team, after, team)
    np.testing.assert_array_equal(res.team, rx.ub_change_team)
    for name in ("difference", "ci_low", "ci_high", "df", "hedges_g"):
        np.testing.assert_allclose(
            getattr(res, name), getattr(rx, f"ub_change_{name}"), rtol=0, atol=TOL
        )
    # the first five battalions (sorted) treated, the others the comparison
    treated = np.arange(res.team.shape[0]) < 5
    means_before = np.array([np.nanmean(before[team == t]) for t in res.team])
    means_after = np.array([np.nanmean(after[team == t]) for t in res.team])
    did = difference_in_differences(means_before, means_after, treated)
    effect, low, high, df = rx.ub_did
    assert (did.effect, did.ci_low, did.ci_high) == pytest.approx((effect, low, high), abs=TOL)
    assert did.df == df
