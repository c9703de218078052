"""Trust estimation: least squares on standardised variables, bootstrap, theory defaults."""

import numpy as np
import pytest

from trust import (
    DEFAULT_WEIGHTS,
    DegenerateDataWarning,
    default_trust_model,
    estimate_trust,
    fit_trust_model,
    rank_driver_gaps,
)

DRIVERS = ("familiarity", "similarity", "interaction", "openness", "reliability")


@pytest.fixture
def calibration():
    rng = np.random.default_rng(12)
    n = 300
    team = rng.integers(0, 30, size=n)
    d = rng.normal(3.5, 0.7, size=(n, 5)) + rng.normal(0, 0.4, size=(30, 5))[team]
    cog = 0.5 * d[:, 4] + 0.2 * d[:, 1] + rng.normal(0, 0.5, size=n)
    aff = 0.4 * cog + 0.3 * d[:, 0] + 0.2 * d[:, 2] + rng.normal(0, 0.5, size=n)
    return d, cog, aff, team


def _zscore(a):
    return (a - a.mean(axis=0)) / a.std(axis=0, ddof=1)


def test_weights_equal_least_squares_on_z_scores(calibration):
    d, cog, aff, _ = calibration
    model = fit_trust_model(d, cog, aff, names=DRIVERS, n_boot=0)
    beta, *_ = np.linalg.lstsq(_zscore(d), _zscore(cog), rcond=None)
    np.testing.assert_allclose(model.cognitive.weights, beta, atol=1e-10)
    x_aff = _zscore(np.column_stack([d, cog]))
    beta_aff, *_ = np.linalg.lstsq(x_aff, _zscore(aff), rcond=None)
    np.testing.assert_allclose(model.affective.weights, beta_aff, atol=1e-10)
    # R^2 = 1 - SS_res / SS_tot of the raw-scale regression with an intercept
    design = np.column_stack([np.ones(len(cog)), d])
    coef, *_ = np.linalg.lstsq(design, cog, rcond=None)
    r2 = 1 - ((cog - design @ coef) ** 2).sum() / ((cog - cog.mean()) ** 2).sum()
    assert model.cognitive.r_squared == pytest.approx(r2, abs=1e-10)
    assert model.cognitive.intercept == pytest.approx(coef[0], abs=1e-9)
    np.testing.assert_allclose(model.cognitive.slopes, coef[1:], atol=1e-10)
    assert model.calibrated and model.level == "individual"
    assert model.affective.predictors[-1] == "cognitive_trust"


def test_bootstrap_is_seeded_and_brackets_the_estimate(calibration):
    d, cog, aff, _ = calibration
    one = fit_trust_model(d, cog, aff, names=DRIVERS, n_boot=300, random_state=5)
    two = fit_trust_model(d, cog, aff, names=DRIVERS, n_boot=300, random_state=5)
    np.testing.assert_array_equal(one.cognitive.ci_low, two.cognitive.ci_low)
    assert (one.cognitive.ci_low < one.cognitive.weights).all()
    assert (one.cognitive.weights < one.cognitive.ci_high).all()
    fit = one.affective
    assert fit.r_squared_ci_low < fit.r_squared < fit.r_squared_ci_high
    other = fit_trust_model(d, cog, aff, names=DRIVERS, n_boot=300, random_state=6)
    assert not np.array_equal(one.cognitive.ci_low, other.cognitive.ci_low)


def test_bootstrap_resample_equals_a_refit_on_the_resampled_rows(calibration):
    d, cog, aff, _ = calibration
    from trust.estimation import _bootstrap_corr

    v = np.column_stack([d, cog, aff])
    corr = _bootstrap_corr(v, 3, np.random.default_rng(1))
    draws = np.random.default_rng(1).integers(0, len(v), size=(3, len(v)))
    for b in range(3):
        np.testing.assert_allclose(corr[b], np.corrcoef(v[draws[b]], rowvar=False), atol=1e-10)


def test_team_level_fit_uses_team_means(calibration):
    d, cog, aff, team = calibration
    model = fit_trust_model(d, cog, aff, names=DRIVERS, team=team, n_boot=0)
    labels = np.unique(team)
    means = np.array([np.column_stack([d, cog, aff])[team == t].mean(axis=0) for t in labels])
    beta, *_ = np.linalg.lstsq(_zscore(means[:, :5]), _zscore(means[:, 5]), rcond=None)
    np.testing.assert_allclose(model.cognitive.weights, beta, atol=1e-10)
    assert model.level == "team" and model.cognitive.n == 30


def test_rows_with_a_missing_variable_are_left_out(calibration):
    d, cog, aff, _ = calibration
    d = d.copy()
    d[:10, 2] = np.nan
    model = fit_trust_model(d, cog, aff, n_boot=0)
    ref = fit_trust_model(d[10:], cog[10:], aff[10:], n_boot=0)
    np.testing.assert_allclose(model.cognitive.weights, ref.cognitive.weights)
    assert model.cognitive.n == 290
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        fit_trust_model(d, cog, aff, nan_policy="raise")


def test_too_few_rows_give_nan_weights_with_a_warning():
    with pytest.warns(DegenerateDataWarning, match="complete rows"):
        model = fit_trust_model(np.ones((4, 3)) + np.eye(4, 3), [1, 2, 3, 4], [1, 2, 3, 5])
    assert np.isnan(model.cognitive.weights).all()


def test_bad_arguments_are_named(calibration):
    d, cog, aff, _ = calibration
    with pytest.raises(ValueError, match="n_boot"):
        fit_trust_model(d, cog, aff, n_boot=-1)
    # a value of the wrong type is a TypeError, as scipy and numpy raise for one
    for wrong in (200.0, "200", True, None):
        with pytest.raises(TypeError, match="n_boot must be an integer"):
            fit_trust_model(d, cog, aff, n_boot=wrong)
    with pytest.raises(ValueError, match="names"):
        fit_trust_model(d, cog, aff, names=["a"])
    with pytest.raises(ValueError, match="cognitive and affective"):
        fit_trust_model(d, cog[:5], aff)
    with pytest.raises(ValueError, match="drivers"):
        default_trust_model(["happiness"])


def test_default_model_is_labelled_uncalibrated_and_a_weighted_mean():
    model = default_trust_model(DRIVERS)
    assert not model.calibrated and model.level == "theory"
    assert model.cognitive.weights.sum() == pytest.approx(1)
    assert model.affective.weights.sum() == pytest.approx(1)
    est = estimate_trust([[4, 4, 4, 4, 4]], model)
    # a weighted mean of equal scores is that score, for both kinds of trust
    assert est.cognitive[0] == pytest.approx(4) and est.affective[0] == pytest.approx(4)
    assert est.calibrated is False
    # hand: cognitive = .15*4 + .2*4 + .1*3 + .15*3 + .4*5 = 4.15
    est = estimate_trust([[4, 4, 3, 3, 5]], model)
    assert est.cognitive[0] == pytest.approx(4.15)
    w = DEFAULT_WEIGHTS["affective_trust"]
    expected = (
        w["familiarity"] * 4
        + w["similarity"] * 4
        + w["interaction"] * 3
        + w["openness"] * 3
        + w["reliability"] * 5
        + w["cognitive_trust"] * 4.15
    )
    assert est.affective[0] == pytest.approx(expected)


def test_estimates_for_pulse_data_use_the_fitted_model(calibration):
    d, cog, aff, _ = calibration
    model = fit_trust_model(d, cog, aff, names=DRIVERS, n_boot=0)
    est = estimate_trust(d, model)
    design = np.column_stack([np.ones(len(cog)), d])
    coef, *_ = np.linalg.lstsq(design, cog, rcond=None)
    np.testing.assert_allclose(est.cognitive, design @ coef, atol=1e-9)
    assert est.calibrated
    with pytest.raises(ValueError, match="5 columns"):
        estimate_trust(d[:, :3], model)


def test_driver_gaps_rank_weight_times_gap():
    model = default_trust_model(("familiarity", "openness", "reliability"))
    c = model.cognitive.slopes
    a = model.affective.slopes
    res = rank_driver_gaps([[3.0, 3.5, 4.0], [4.0, 2.0, np.nan]], [3.5, 3.6, 3.9], model)
    effect = c + a[:-1] + a[-1] * c
    np.testing.assert_allclose(res.impact[0], np.array([-0.5, -0.1, 0.1]) * effect)
    np.testing.assert_array_equal(res.order[0], [0, 1, 2])
    # team 2: openness far below costs most; the unknown reliability gap sorts last
    np.testing.assert_array_equal(res.order[1], [1, 0, 2])


def _clustered_sample(rng, slopes, teams=120, size=5):
    """Drivers and the error of cognitive trust with ICC .3 (team part .3 of the variance)."""
    t = np.repeat(np.arange(teams), size)
    n = teams * size
    p = len(slopes)
    d = rng.normal(0, np.sqrt(0.3), (teams, p))[t] + rng.normal(0, np.sqrt(0.7), (n, p))
    e = rng.normal(0, np.sqrt(0.3 * 0.5), teams)[t] + rng.normal(0, np.sqrt(0.7 * 0.5), n)
    cog = d @ slopes + e
    aff = 0.5 * cog + rng.normal(0, 1, n)
    return d, cog, aff, t


def test_the_cluster_bootstrap_covers_the_true_weights_95_percent_of_the_time():
    # 300 seeded samples of 120 teams x 5 respondents, drivers and errors with ICC .3;
    # the true standardised weights are slopes / sd(y), the drivers having unit variance
    # and var(y) = slopes'slopes + 0.5 (hand-worked). 3 weights x 300 samples = 900
    # intervals: if they covered exactly 95 % and were independent, the share would have
    # SD sqrt(.95 * .05 / 900) = 0.73 %, so 93-97 % is +-2.7 SD (a 99.3 % band);
    # with this seed the cluster bootstrap covers 94.1 %, respondent-level resampling
    # 90.6 % (6 SD below 95 %), and the test checks that the latter still fails the
    # band. About 3 s of CPU time.
    slopes = np.array([0.4, 0.3, 0.2])
    truth = slopes / np.sqrt(slopes @ slopes + 0.5)
    rng = np.random.default_rng(2026)
    cluster_hits = respondent_hits = 0
    for _ in range(300):
        d, cog, aff, t = _clustered_sample(rng, slopes)
        by_team = fit_trust_model(d, cog, aff, cluster=t, n_boot=300, random_state=rng)
        hits = (by_team.cognitive.ci_low <= truth) & (truth <= by_team.cognitive.ci_high)
        cluster_hits += int(hits.sum())
        alone = fit_trust_model(d, cog, aff, n_boot=300, random_state=rng)
        hits = (alone.cognitive.ci_low <= truth) & (truth <= alone.cognitive.ci_high)
        respondent_hits += int(hits.sum())
    assert 0.93 <= cluster_hits / 900 <= 0.97
    assert respondent_hits / 900 < 0.93


def test_adjusted_r_squared_follows_the_textbook_formula():
    rng = np.random.default_rng(4)
    d = rng.normal(size=(60, 3))
    cog = d @ [0.5, 0.2, 0.0] + rng.normal(size=60)
    aff = 0.4 * cog + rng.normal(size=60)
    model = fit_trust_model(d, cog, aff, n_boot=0)
    # statsmodels-free check: R^2 of numpy least squares, then 1 - (1 - R^2)(n - 1)/(n - p - 1)
    design = np.column_stack([np.ones(60), d])
    fitted = design @ np.linalg.lstsq(design, cog, rcond=None)[0]
    r2 = 1 - ((cog - fitted) ** 2).sum() / ((cog - cog.mean()) ** 2).sum()
    assert model.cognitive.r_squared == pytest.approx(r2, abs=1e-12)
    assert model.cognitive.adjusted_r_squared == pytest.approx(1 - (1 - r2) * 59 / 56, abs=1e-12)
