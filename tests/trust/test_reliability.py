"""Alpha with Feldt's interval, omega total and item-total r, against pingouin and by hand."""

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import optimize, stats

from tests.trust.helpers import with_correlation
from trust import (
    DegenerateDataWarning,
    cronbach_alpha,
    item_total_correlations,
    mcdonald_omega,
)
from trust.reliability import pairwise_cov

SMALL = np.array([[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 5], [5, 4, 4]], dtype=float)


def test_alpha_hand_worked():
    # Item variances 2.5, 1.2, 1.3; total score variance: totals 5, 7, 10, 13, 13 -> 12.8.
    # alpha = 3/2 * (1 - 5.0/12.8) = 0.9140625
    assert cronbach_alpha(SMALL).alpha == pytest.approx(0.9140625, abs=1e-12)


def test_alpha_and_feldt_interval_match_pingouin(survey):
    answers, _ = survey
    x = answers[:, :4]
    ours = cronbach_alpha(x)
    alpha, ci = pg.cronbach_alpha(pd.DataFrame(x))
    assert ours.alpha == pytest.approx(alpha, abs=1e-12)
    # pingouin rounds its interval to 3 decimals
    assert [ours.ci_low, ours.ci_high] == pytest.approx(list(ci), abs=5e-4)
    assert ours.n == 60


def test_alpha_with_missing_answers_matches_pingouin_pairwise_and_listwise(survey):
    answers, _ = survey
    x = answers[:, :4].copy()
    rng = np.random.default_rng(3)
    holes = rng.random(x.shape) < 0.1
    holes[:, 0] &= False  # every respondent keeps at least one answer, as pingouin counts n
    x[holes] = np.nan
    frame = pd.DataFrame(x)
    pair = cronbach_alpha(x)
    alpha, ci = pg.cronbach_alpha(frame, nan_policy="pairwise")
    assert pair.alpha == pytest.approx(alpha, abs=1e-12)
    assert [pair.ci_low, pair.ci_high] == pytest.approx(list(ci), abs=5e-4)
    listwise = cronbach_alpha(x, nan_policy="omit")
    alpha, ci = pg.cronbach_alpha(frame, nan_policy="listwise")
    assert listwise.alpha == pytest.approx(alpha, abs=1e-12)
    n = int((~np.isnan(x).any(axis=1)).sum())
    assert listwise.n == n
    # pingouin 0.5 takes n before dropping incomplete rows; Feldt's interval by hand with the
    # n actually used: 1 - (1 - alpha) * F.isf(0.025 / 0.975, n - 1, (n - 1)(k - 1))
    f_hi, f_lo = stats.f.isf([0.025, 0.975], n - 1, (n - 1) * 3)
    assert listwise.ci_low == pytest.approx(1 - (1 - alpha) * f_hi, abs=1e-12)
    assert listwise.ci_high == pytest.approx(1 - (1 - alpha) * f_lo, abs=1e-12)
    assert np.isnan(cronbach_alpha(x, nan_policy="propagate").alpha)
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        cronbach_alpha(x, nan_policy="raise")


def test_pairwise_covariance_equals_pandas():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 6, size=(200, 5)).astype(float)
    x[rng.random(x.shape) < 0.2] = np.nan
    cov, n_pair = pairwise_cov(x)
    np.testing.assert_allclose(cov, pd.DataFrame(x).cov().to_numpy(), atol=1e-12)
    assert n_pair[0, 1] == (~np.isnan(x[:, 0]) & ~np.isnan(x[:, 1])).sum()


def test_alpha_of_constant_answers_is_nan_with_a_warning():
    with pytest.warns(DegenerateDataWarning, match="no variance"):
        res = cronbach_alpha(np.full((5, 3), 4.0))
    assert np.isnan(res.alpha) and np.isnan(res.ci_low)


def test_alpha_with_an_all_missing_item_is_nan_with_a_warning():
    x = SMALL.copy()
    x[:, 2] = np.nan
    with pytest.warns(DegenerateDataWarning):
        assert np.isnan(cronbach_alpha(x).alpha)


def test_alpha_names_bad_arguments():
    with pytest.raises(ValueError, match="confidence"):
        cronbach_alpha(SMALL, confidence=1.5)
    with pytest.raises(TypeError, match="confidence"):
        cronbach_alpha(SMALL, confidence="95%")
    with pytest.raises(ValueError, match="nan_policy"):
        cronbach_alpha(SMALL, nan_policy="listwise")
    with pytest.raises(ValueError, match="answers"):
        cronbach_alpha(np.ones((2, 2, 2)))


def test_item_total_r_is_the_correlation_with_the_rest_score():
    rest = SMALL.sum(axis=1, keepdims=True) - SMALL
    expected = [np.corrcoef(SMALL[:, i], rest[:, i])[0, 1] for i in range(3)]
    np.testing.assert_allclose(item_total_correlations(SMALL), expected, atol=1e-12)


def test_item_total_r_listwise_with_missing_answers(survey):
    answers, _ = survey
    x = answers[:, 4:].copy()
    x[[1, 5, 9], [0, 2, 3]] = np.nan
    complete = x[~np.isnan(x).any(axis=1)]
    rest = complete.sum(axis=1, keepdims=True) - complete
    expected = [np.corrcoef(complete[:, i], rest[:, i])[0, 1] for i in range(4)]
    np.testing.assert_allclose(item_total_correlations(x, nan_policy="omit"), expected, atol=1e-12)
    # pairwise: from pandas' pairwise covariance matrix, by the rest-score formula
    c = pd.DataFrame(x).cov().to_numpy()
    for i in range(4):
        others = [j for j in range(4) if j != i]
        r = c[i, others].sum() / np.sqrt(c[i, i] * c[np.ix_(others, others)].sum())
        assert item_total_correlations(x)[i] == pytest.approx(r, abs=1e-12)


def test_item_total_r_of_a_constant_item_is_nan_with_a_warning():
    x = SMALL.copy()
    x[:, 1] = 3
    with pytest.warns(DegenerateDataWarning):
        r = item_total_correlations(x)
    assert np.isnan(r[1]) and np.isfinite(r[0])


def _psych_style_minres(corr):
    """Independent minres: optimise the uniquenesses (as R's psych::fa does), loadings from
    the first eigenpair of the reduced correlation matrix."""
    k = corr.shape[0]
    off = ~np.eye(k, dtype=bool)

    def loadings(psi):
        val, vec = np.linalg.eigh(corr - np.diag(psi))
        return vec[:, -1] * np.sqrt(max(val[-1], 0))

    def objective(psi):
        lam = loadings(psi)
        return ((corr - np.outer(lam, lam))[off] ** 2).sum()

    smc = 1 - 1 / np.diag(np.linalg.inv(corr))
    fit = optimize.minimize(
        objective,
        1 - smc,
        method="L-BFGS-B",
        bounds=[(0.005, 1.0)] * k,
        options={"ftol": 1e-15, "gtol": 1e-12},
    )
    lam = loadings(fit.x)
    return lam * np.sign(lam.sum())


def test_omega_recovers_an_exact_one_factor_structure():
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    corr = np.outer(lam, lam)
    np.fill_diagonal(corr, 1)
    x = with_correlation(corr, 300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a good fit: no Heywood case to report
        res = mcdonald_omega(x)
    np.testing.assert_allclose(res.loadings, lam, atol=1e-6)
    # hand: (0.8+0.7+0.6+0.5)^2 = 6.76; uniquenesses 0.36+0.51+0.64+0.75 = 2.26
    assert res.omega_total == pytest.approx(6.76 / (6.76 + 2.26), abs=1e-6)


def test_omega_matches_an_independent_minres_fit(survey):
    answers, _ = survey
    x = answers[:, :4]
    corr = np.corrcoef(x, rowvar=False)
    lam = _psych_style_minres(corr)
    # psych::omega's omega.tot: 1 - sum(psi) / sum(R); the model-implied value beside it
    expected = 1 - (1 - lam**2).sum() / corr.sum()
    implied = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    res = mcdonald_omega(x)
    np.testing.assert_allclose(res.loadings, lam, atol=1e-4)
    assert res.omega_total == pytest.approx(expected, abs=1e-5)
    assert res.omega_model == pytest.approx(implied, abs=1e-5)


def test_omega_with_missing_answers_fits_each_pairs_pearson_r(survey):
    answers, _ = survey
    x = answers[:, 4:].copy()
    x[np.random.default_rng(9).random(x.shape) < 0.1] = np.nan
    # pandas' DataFrame.corr(): Pearson's r of each pair on its complete rows, as R's
    # cor(x, use = "pairwise") that psych::omega fits
    corr = pd.DataFrame(x).corr().to_numpy()
    lam = _psych_style_minres(corr)
    expected = 1 - (1 - lam**2).sum() / corr.sum()
    assert mcdonald_omega(x).omega_total == pytest.approx(expected, abs=1e-5)
    complete = x[~np.isnan(x).any(axis=1)]
    corr = np.corrcoef(complete, rowvar=False)
    lam = _psych_style_minres(corr)
    expected = 1 - (1 - lam**2).sum() / corr.sum()
    assert mcdonald_omega(x, nan_policy="omit").omega_total == pytest.approx(expected, abs=1e-5)


def test_omega_equals_standardised_alpha_for_equal_loadings():
    r = 0.4
    corr = np.full((5, 5), r)
    np.fill_diagonal(corr, 1)
    # Spearman-Brown: k r / (1 + (k - 1) r) = 2 / 2.6
    assert mcdonald_omega(with_correlation(corr, 200)).omega_total == pytest.approx(
        2 / 2.6, abs=1e-6
    )


def test_omega_needs_three_items_and_variance():
    with pytest.warns(DegenerateDataWarning, match="three items"):
        assert np.isnan(mcdonald_omega(SMALL[:, :2]).omega_total)
    x = SMALL.copy()
    x[:, 0] = 2
    with pytest.warns(DegenerateDataWarning, match="no variance"):
        assert np.isnan(mcdonald_omega(x).omega_total)


def test_alpha_interval_runs_low_to_high_when_pairwise_alpha_exceeds_one():
    # Pairwise covariances of these answers give alpha = 1.01 (pingouin.cronbach_alpha on the
    # same frame: 1.01, interval printed as [1.042, 1.002]); the ends must come out ordered.
    x = np.array([[0, 0, 1], [1, 1, 2], [2, 2, np.nan], [4, 4, 4], [3, 3, 3], [4, 3, 4]], float)
    with pytest.warns(DegenerateDataWarning, match="alpha is 1.010, above 1"):
        result = cronbach_alpha(x)
    assert result.alpha == pytest.approx(1.01, abs=5e-3)
    assert result.ci_low <= result.ci_high
    assert result.ci_low == pytest.approx(1.0015, abs=5e-4)
    assert result.ci_high == pytest.approx(1.0424, abs=5e-4)


# Heavy missing data: every covariance comes from a different handful of respondents, and
# together they are no covariance matrix of any data. Script behind the numbers below:
#   c = pandas.DataFrame(HOLES).cov().to_numpy()
#   numpy.linalg.eigvalsh(c)  -> [-0.7367, 0.1984, 8.4383]: not positive semi-definite
#   for i: c[i, others].sum() / sqrt(c[i, i] * c[others][:, others].sum())
#                             -> 1.1238825, 0.9548151, 1.1766968
#   pingouin.cronbach_alpha(pandas.DataFrame(HOLES)) -> (1.0303830911492735, [1.103, 1.007])
nan = np.nan
HOLES = np.array(
    [
        [3, nan, nan],
        [4, nan, 4],
        [nan, 5, 4],
        [nan, nan, 4],
        [5, 4, 4],
        [2, 1, 1],
        [2, nan, nan],
        [1, 2, 1],
    ]
)


def test_item_total_r_outside_minus_one_to_one_is_nan_with_a_warning():
    assert np.linalg.eigvalsh(pd.DataFrame(HOLES).cov().to_numpy())[0] < 0
    with pytest.warns(
        DegenerateDataWarning,
        match=r"undefined for column 0 \(r = 1.124\), "
        r"column 2 \(r = 1.177\): the pairwise covariance matrix is not positive "
        "semi-definite",
    ):
        r = item_total_correlations(HOLES)
    assert np.isnan(r[0]) and np.isnan(r[2])
    assert r[1] == pytest.approx(0.9548151257129417, abs=1e-12)
    # listwise deletion leaves a real covariance matrix: in range and nothing to warn about
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        listwise = item_total_correlations(HOLES, nan_policy="omit")
    assert (np.abs(listwise) <= 1).all()


def test_item_total_r_with_a_negative_rest_variance_is_nan_with_a_warning():
    # pandas.DataFrame(x).cov(): [[1, 0, -3], [0, 3, 0], [-3, 0, 4.5]]; item 1's rest score
    # (items 0 and 2) would have variance 1 + 4.5 - 2 * 3 = -0.5; item 0's r would be
    # -3 / sqrt(1 * 7.5) = -1.095; item 2's is -3 / sqrt(4.5 * 4) = -0.7071.
    x = np.array([[2, 5, 5], [nan, 2, nan], [2, nan, nan], [4, 5, 2], [2, nan, nan]])
    with pytest.warns(
        DegenerateDataWarning,
        match=r"column 0 \(r = -1.095\), column 1 "
        r"\(rest-score variance -0.5\)",
    ):
        r = item_total_correlations(x)
    assert np.isnan(r[:2]).all()
    assert r[2] == pytest.approx(-1 / np.sqrt(2), abs=1e-12)


def test_item_total_r_of_collinear_items_is_one_not_past_it():
    # The formula gives 1 + 2.2e-16 for item 1 here: rounding, not an inconsistent matrix.
    x = np.array([[1, 2, 3], [2, 3, 4], [3, 4, 5], [5, 6, 7.0]]) * 1.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = item_total_correlations(x)
    np.testing.assert_allclose(r, 1.0, atol=1e-15)
    assert (r <= 1).all()


def test_pairwise_alpha_above_one_is_kept_with_a_warning():
    with pytest.warns(
        DegenerateDataWarning,
        match="alpha is 1.030, above 1, which no "
        "reliability can be: the pairwise covariance matrix is not positive",
    ):
        res = cronbach_alpha(HOLES)
    assert res.alpha == pytest.approx(1.0303830911492735, abs=1e-12)


def test_pairwise_alpha_with_a_negative_total_variance_is_nan():
    # pandas.DataFrame(x).cov().to_numpy().sum() -> -0.9167, where pingouin.cronbach_alpha
    # reports alpha = 10.36 with the interval [40.665, 2.415].
    x = np.array([[1, nan, 4], [3, nan, nan], [4, 1, 3], [1, 3, 5], [nan, 1, 3], [nan, 4, nan]])
    with pytest.warns(
        DegenerateDataWarning,
        match=r"total score's variance comes out negative "
        r"\(-0.917\); the pairwise covariance matrix is not positive",
    ):
        res = cronbach_alpha(x)
    assert np.isnan([res.alpha, res.ci_low, res.ci_high]).all()


# Small samples on which one factor fits poorly, so that minres has local minima (a single
# start from the first principal component stopped in one of them: omega 0.372, 0.319,
# 0.360, 0.465 instead of the values below). One list per item; drawn by
#   rng = numpy.random.default_rng(seed)            # seed 45, 114, 263, 304
#   n = rng.integers(8, 30); k = rng.integers(3, 7)
#   load = rng.uniform(-0.3, 0.8, k)
#   x = rng.normal(size=(n, 1)) * load + rng.normal(size=(n, k))
#   x = numpy.clip(numpy.round(3 + x), 1, 5)
# and kept when 30 random starts of scipy's least_squares beat that single start.
POOR_FIT = {
    "n28_k5": [
        [2, 4, 1, 4, 3, 4, 3, 4, 2, 4, 1, 3, 4, 5, 4, 3, 2, 3, 3, 4, 2, 4, 3, 3, 4, 2, 3, 2],
        [3, 2, 2, 2, 3, 3, 1, 2, 2, 3, 2, 3, 2, 5, 2, 2, 3, 1, 3, 2, 3, 5, 4, 1, 5, 3, 4, 2],
        [4, 4, 2, 4, 3, 1, 3, 3, 2, 3, 1, 3, 2, 5, 3, 5, 1, 3, 4, 3, 2, 1, 1, 3, 3, 5, 2, 2],
        [4, 4, 3, 3, 3, 2, 2, 4, 3, 2, 2, 3, 2, 2, 1, 3, 4, 4, 2, 4, 3, 5, 3, 3, 4, 2, 4, 2],
        [5, 4, 4, 4, 4, 3, 1, 3, 3, 2, 4, 3, 2, 2, 4, 1, 1, 3, 3, 3, 2, 4, 4, 4, 3, 3, 3, 3],
    ],
    "n11_k5": [
        [2, 4, 3, 5, 3, 3, 3, 2, 3, 3, 2],
        [4, 3, 2, 2, 5, 3, 3, 5, 3, 2, 5],
        [3, 2, 2, 4, 3, 3, 5, 4, 1, 2, 3],
        [1, 3, 4, 3, 3, 2, 4, 4, 1, 2, 3],
        [4, 3, 1, 3, 1, 3, 2, 3, 2, 5, 2],
    ],
    "n26_k4": [
        [3, 1, 3, 3, 2, 4, 4, 3, 2, 1, 4, 2, 4, 2, 4, 1, 2, 2, 2, 3, 5, 4, 4, 5, 3, 4],
        [5, 2, 3, 4, 3, 3, 2, 2, 3, 4, 3, 3, 3, 4, 2, 4, 2, 2, 3, 2, 2, 4, 3, 3, 4, 4],
        [4, 5, 3, 5, 3, 3, 2, 3, 2, 1, 4, 5, 5, 1, 3, 4, 4, 1, 3, 3, 3, 3, 2, 3, 4, 5],
        [3, 4, 4, 3, 1, 2, 2, 4, 2, 2, 2, 3, 4, 3, 2, 2, 2, 3, 4, 3, 1, 1, 3, 4, 2, 2],
    ],
    "n24_k5": [
        [5, 1, 4, 4, 3, 2, 4, 3, 1, 5, 2, 5, 4, 2, 2, 5, 2, 2, 4, 5, 4, 2, 1, 5],
        [2, 2, 3, 3, 4, 2, 2, 1, 2, 4, 3, 2, 3, 2, 3, 4, 5, 4, 3, 4, 4, 2, 3, 4],
        [3, 1, 3, 4, 3, 2, 3, 5, 3, 2, 5, 1, 1, 2, 2, 4, 5, 3, 3, 3, 4, 2, 3, 4],
        [3, 3, 2, 1, 4, 3, 3, 4, 5, 2, 4, 3, 1, 2, 2, 2, 3, 3, 1, 4, 4, 3, 2, 2],
        [3, 5, 5, 3, 3, 2, 5, 4, 4, 4, 3, 3, 1, 3, 5, 4, 4, 2, 4, 5, 5, 2, 1, 2],
    ],
}
# Global minima by _brute_force_minres (omega total; the item whose loading is at 1):
#   n28_k5 0.34827, item 0; n11_k5 0.11144, item 1; n26_k4 0.22620, item 3;
#   n24_k5 0.26340, item 3
POOR_FIT_OMEGA = {
    "n28_k5": (0.34827, 0),
    "n11_k5": (0.11144, 1),
    "n26_k4": (0.22620, 3),
    "n24_k5": (0.26340, 3),
}


def _minres_fit(corr, lam):
    iu = np.triu_indices(corr.shape[0], 1)
    return 0.5 * ((corr - np.outer(lam, lam))[iu] ** 2).sum()


def _brute_force_minres(corr, n_starts=60):
    """Independent minres: L-BFGS-B on the loadings in [-1, 1] from 60 random starts."""
    k = corr.shape[0]

    def gradient(lam):
        resid = corr - np.outer(lam, lam)
        np.fill_diagonal(resid, 0)
        return -resid @ lam

    starts = np.random.default_rng(0).uniform(-1, 1, size=(n_starts, k))
    fits = [
        optimize.minimize(
            lambda lam: _minres_fit(corr, lam),
            start,
            jac=gradient,
            method="L-BFGS-B",
            bounds=[(-1, 1)] * k,
            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000},
        )
        for start in starts
    ]
    best = min(fits, key=lambda fit: fit.fun)
    return best.x * np.sign(best.x.sum()), best.fun


@pytest.mark.parametrize("name", sorted(POOR_FIT))
def test_omega_finds_the_global_minres_fit_on_poorly_fitting_small_samples(name):
    x = np.array(POOR_FIT[name], dtype=float).T
    corr = np.corrcoef(x, rowvar=False)
    lam, objective = _brute_force_minres(corr)
    with pytest.warns(DegenerateDataWarning, match="Heywood"):
        res = mcdonald_omega(x)
    assert _minres_fit(corr, res.loadings) <= objective + 1e-12
    np.testing.assert_allclose(res.loadings, lam, atol=1e-5)
    implied = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert res.omega_model == pytest.approx(implied, abs=1e-6)
    omega, _ = POOR_FIT_OMEGA[name]
    assert res.omega_model == pytest.approx(omega, abs=5e-6)
    # psych::omega's omega.tot of the same fit: 1 - sum(psi) / sum(R)
    assert res.omega_total == pytest.approx(1 - (1 - lam**2).sum() / corr.sum(), abs=1e-6)


@pytest.mark.parametrize("name", sorted(POOR_FIT))
def test_omega_warns_of_a_heywood_case_and_names_the_item(name):
    x = np.array(POOR_FIT[name], dtype=float).T
    _, item = POOR_FIT_OMEGA[name]
    with pytest.warns(
        DegenerateDataWarning,
        match=rf"loading of column {item} at the bound "
        r"of 1 \(uniqueness 0, a Heywood case\)",
    ) as caught:
        res = mcdonald_omega(x)
    assert len(caught) == 1
    assert abs(res.loadings[item]) == 1.0 and res.uniquenesses[item] == 0.0
    assert (np.abs(np.delete(res.loadings, item)) < 1).all()
