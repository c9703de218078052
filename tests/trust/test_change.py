"""Change between waves (Welch interval, Hedges' g) and difference in differences."""

import numpy as np
import pingouin as pg
import pytest
from scipy import special, stats

from trust import DegenerateDataWarning, difference_in_differences, hedges_correction, team_change


def test_welch_interval_matches_scipy_for_every_team():
    rng = np.random.default_rng(2)
    team_b = rng.choice(["a", "b", "c"], size=40)
    team_a = rng.choice(["a", "b", "c"], size=45)
    before = rng.normal(3, 0.8, size=40)
    after = rng.normal(3.4, 0.5, size=45)
    res = team_change(before, team_b, after, team_a)
    for i, label in enumerate(res.team):
        x, y = after[team_a == label], before[team_b == label]
        test = stats.ttest_ind(x, y, equal_var=False)
        ci = test.confidence_interval(0.95)
        assert res.difference[i] == pytest.approx(x.mean() - y.mean(), abs=1e-12)
        assert (res.ci_low[i], res.ci_high[i]) == pytest.approx((ci.low, ci.high), abs=1e-10)
        assert res.df[i] == pytest.approx(test.df, abs=1e-10)


def test_hedges_g_uses_the_exact_small_sample_correction():
    before, after = [2.0, 3, 3, 4], [3.0, 4, 4, 5, 4]
    res = team_change(before, ["a"] * 4, after, ["a"] * 5)
    # pooled sd: ((3 * 2/3) + (4 * 0.5)) / 7 = 4/7; d = 1 / sqrt(4/7) = 1.322876
    # J(7) = Gamma(3.5) / (sqrt(3.5) Gamma(3)) = 0.888202
    j = special.gamma(3.5) / (np.sqrt(3.5) * special.gamma(3))
    assert res.hedges_g[0] == pytest.approx(j / np.sqrt(4 / 7), abs=1e-12)
    # pingouin uses the approximation 1 - 3 / (4 (nx + ny) - 9); they agree to 1e-3
    assert res.hedges_g[0] == pytest.approx(
        pg.compute_effsize(after, before, eftype="hedges"), abs=1e-3
    )


def test_hedges_correction_approaches_the_textbook_approximation():
    m = np.array([10.0, 50.0, 200.0])
    np.testing.assert_allclose(hedges_correction(m), 1 - 3 / (4 * m - 1), atol=5e-4)


def test_hedges_correction_is_nan_where_undefined_and_one_in_the_limit():
    # J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)) needs m > 1; log|Gamma| would give
    # numbers (1.479 at m = 0.5) for m < 1, where J has no meaning.
    j = hedges_correction([-1.0, 0.0, 0.5, 1.0, np.nan, 2.0, np.inf])
    assert np.isnan(j[:5]).all()
    # J(2) = Gamma(1) / (1 * Gamma(0.5)) = 1 / sqrt(pi)
    assert j[5] == pytest.approx(1 / np.sqrt(np.pi), abs=1e-15)
    assert j[6] == 1.0
    assert isinstance(hedges_correction(10), float)


def test_teams_missing_a_wave_or_of_one_get_nan_with_a_warning():
    with pytest.warns(DegenerateDataWarning, match="2 team"):
        res = team_change(
            [3, 4, 2, 5], ["a", "a", "b", "only_before"], [4, 5, 3, 3], ["a", "a", "b", "b"]
        )
    assert list(res.team) == ["a", "b", "only_before"]
    assert np.isfinite(res.difference[0])
    assert np.isnan(res.difference[1]) and np.isnan(res.difference[2])
    np.testing.assert_array_equal(res.n_after, [2, 2, 0])


def test_missing_scores_are_left_out_of_the_change():
    res = team_change([3, np.nan, 4, 5], ["a"] * 4, [4, 5, 5], ["a"] * 3)
    expected = stats.ttest_ind([4, 5, 5], [3, 4, 5], equal_var=False).confidence_interval()
    assert (res.ci_low[0], res.ci_high[0]) == pytest.approx((expected.low, expected.high))
    with pytest.raises(ValueError, match="before"):
        team_change([3, np.nan], ["a"] * 2, [4, 5], ["a"] * 2, nan_policy="raise")
    with pytest.raises(ValueError, match="team_after"):
        team_change([3, 4], ["a"] * 2, [4, 5], ["a"] * 3)


def test_difference_in_differences_hand_worked_with_one_treated_team():
    # changes: treated 0.8; comparison 0.1, -0.1, 0.2 (mean 0.0667, ss 0.04667)
    # effect 0.7333; s_p^2 = 0.04667 / 2; se = s_p sqrt(1 + 1/3); t(0.975, 2)
    res = difference_in_differences(
        [3.0, 3.2, 3.1, 2.9], [3.8, 3.3, 3.0, 3.1], np.array([True, False, False, False])
    )
    se = np.sqrt(0.14 / 3 / 2 * (1 + 1 / 3))
    half = stats.t.ppf(0.975, 2) * se
    assert res.effect == pytest.approx(0.8 - 0.2 / 3, abs=1e-12)
    assert res.se == pytest.approx(se, abs=1e-12)
    assert (res.ci_low, res.ci_high) == pytest.approx((res.effect - half, res.effect + half))


def test_difference_in_differences_matches_a_pooled_t_test_on_team_changes():
    rng = np.random.default_rng(8)
    before = rng.normal(3.5, 0.3, size=30)
    treated = np.arange(30) < 8
    after = before + rng.normal(0.05, 0.2, size=30) + 0.3 * treated
    after[12] = np.nan  # a comparison team that skipped the second wave
    res = difference_in_differences(before, after, treated)
    delta = after - before
    keep = ~np.isnan(delta)
    test = stats.ttest_ind(delta[keep & treated], delta[keep & ~treated], equal_var=True)
    ci = test.confidence_interval(0.95)
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert (res.n_treated, res.n_comparison) == (8, 21)
    assert np.isnan(
        difference_in_differences(before, after, treated, nan_policy="propagate").effect
    )


def test_difference_in_differences_needs_both_groups():
    with pytest.warns(DegenerateDataWarning, match="comparison"):
        res = difference_in_differences([1.0, 2.0], [2.0, 3.0], np.array([True, True]))
    assert np.isnan(res.effect)
    with pytest.raises(TypeError, match="treated"):
        difference_in_differences([1.0, 2.0], [2.0, 3.0], [1, 0])
    with pytest.raises(ValueError, match="one entry per team"):
        difference_in_differences([1.0, 2.0], [2.0], np.array([True, False]))
