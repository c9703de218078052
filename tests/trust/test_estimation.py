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
