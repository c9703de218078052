"""Team mean, SD and t interval, with the finite-population correction (scipy.stats)."""

import itertools
import math
import statistics
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from trust import DegenerateDataWarning, team_summary


def test_t_interval_matches_scipy_without_a_roster_size(survey):
    answers, team = survey
    scores = answers[:, :4].mean(axis=1)
    res = team_summary(scores, team)
    for i, label in enumerate(res.team):
        x = scores[team == label]
        low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert res.mean[i] == pytest.approx(x.mean(), abs=1e-12)
        assert res.sd[i] == pytest.approx(x.std(ddof=1), abs=1e-12)
        assert (res.ci_low[i], res.ci_high[i]) == pytest.approx((low, high), abs=1e-12)


def test_finite_population_correction_hand_worked():
    # 3, 4, 5 from a team of 10: sd 1, se = 1/sqrt(3) * sqrt(1 - 3/10) = 0.483046
    # t(0.975, 2) = 4.302653; half width = 2.078379 (Cochran 1977, ch. 2: (s^2/n)(1 - n/N))
    res = team_summary([3, 4, 5], ["a"] * 3, team_size=[10, 10, 10])
    half = stats.t.ppf(0.975, 2) / np.sqrt(3) * np.sqrt(7 / 10)
    assert half == pytest.approx(2.078379, abs=1e-6)
    assert (res.ci_low[0], res.ci_high[0]) == pytest.approx((4 - half, 4 + half), abs=1e-12)


def test_corrected_standard_error_is_unbiased_over_every_possible_sample():
    # Independent check by enumeration: draw every one of the C(6, 3) = 20 samples of 3 from
    # a team of 6 and compare the exact variance of the sample mean with the average squared
    # standard error the interval uses. Unbiasedness holds for sqrt(1 - n/N) and fails for
    # sqrt((N - n)/(N - 1)) (too wide by sqrt(N/(N - 1))).
    population = np.array([1.0, 2.0, 2.0, 3.0, 5.0, 5.0])
    samples = np.array(list(itertools.combinations(population, 3)))
    n = samples.shape[1]
    team = np.repeat(np.arange(len(samples)), n)
    res = team_summary(samples.ravel(), team, team_size=np.full(samples.size, 6))
    se = (res.ci_high - res.mean) / stats.t.ppf(0.975, n - 1)
    assert np.mean(se**2) == pytest.approx(samples.mean(axis=1).var(ddof=0), rel=1e-12)


def test_everyone_answered_gives_a_zero_width_interval_even_for_one():
    res = team_summary([3, 4, 5, 2], ["a", "a", "a", "solo"], team_size=[3, 3, 3, 1])
    assert (res.ci_low[0], res.ci_high[0]) == (4.0, 4.0)
    assert (res.ci_low[1], res.ci_high[1]) == (2.0, 2.0)
    assert np.isnan(res.sd[1])


def test_a_team_of_one_without_roster_has_no_interval_and_warns():
    with pytest.warns(DegenerateDataWarning, match="single score"):
        res = team_summary([3, 4, 5, 2], ["a", "a", "a", "solo"])
    assert res.mean[1] == 2 and np.isnan(res.ci_low[1]) and np.isnan(res.sd[1])


def test_constant_answers_give_sd_zero_and_a_zero_width_interval():
    res = team_summary([4, 4, 4], ["a"] * 3)
    assert res.sd[0] == 0 and res.ci_low[0] == res.ci_high[0] == 4


def test_many_scales_and_missing_scores():
    scores = np.array([[1, 2], [3, np.nan], [5, 4], [2, 2]])
    with pytest.warns(DegenerateDataWarning, match="single score"):  # team b
        res = team_summary(scores, ["a", "a", "a", "b"], team_size=[5, 5, 5, np.nan])
    np.testing.assert_array_equal(res.n, [[3, 2], [1, 1]])
    np.testing.assert_allclose(res.mean[0], [3, 3])
    # column 2 of team a: 2, 4 of 5: se = sqrt(2)/sqrt(2) * sqrt(1 - 2/5), t(1)
    half = stats.t.ppf(0.975, 1) * np.sqrt(3 / 5)
    assert res.ci_high[0, 1] == pytest.approx(3 + half, abs=1e-12)
    with pytest.warns(DegenerateDataWarning):
        prop = team_summary(scores, ["a", "a", "a", "b"], nan_policy="propagate")
    assert np.isnan(prop.mean[0, 1]) and prop.mean[0, 0] == 3


def test_team_size_must_be_constant_and_not_below_the_respondents():
    with pytest.raises(ValueError, match="team_size"):
        team_summary([1, 2, 3], ["a"] * 3, team_size=[5, 6, 5])
    with pytest.raises(ValueError, match="team_size of team 'a'"):
        team_summary([1, 2, 3], ["a"] * 3, team_size=[2, 2, 2])
    with pytest.raises(ValueError, match="team_size"):
        team_summary([1, 2, 3], ["a"] * 3, team_size=[0, 0, 0])
    with pytest.raises(ValueError, match="confidence"):
        team_summary([1, 2, 3], ["a"] * 3, confidence=95)


def _exact_sd(values) -> float:
    """Sample SD (n - 1) of the floats as given, in exact rational arithmetic (Python's
    statistics.variance on Fractions; only the final square root is a float)."""
    return math.sqrt(statistics.variance([Fraction(v) for v in values]))


def test_a_team_far_from_the_rest_of_its_column_keeps_its_small_sd():
    # Team "far" sits near 1e6 with a spread of 0.01, after a team near 0 fills the first
    # rows (which set the column's centre). One-pass sums of squares,
    # sum(x**2) - (sum x)**2 / n, lose about 1e12 * 2**-52 = 2e-4 to rounding and put
    # this team's SD at 0 or at noise; the exact value is about 0.0039.
    near = [0.5, 1.5, 1.0, 2.0, 0.0] * 60
    far = [1e6 + d for d in (0.0, 0.01, 0.005, 0.0025, 0.0075, 0.001)]
    scores = np.array(near + far + [1e6 + 0.004, 1e6 + 0.006])
    team = ["near"] * len(near) + ["far"] * len(far) + ["two", "two"]
    res = team_summary(scores, team)
    sd = dict(zip(res.team.tolist(), res.sd.tolist(), strict=True))
    assert sd["far"] == pytest.approx(_exact_sd(far), rel=1e-7)
    assert sd["two"] == pytest.approx(_exact_sd([1e6 + 0.004, 1e6 + 0.006]), rel=1e-7)
    assert sd["near"] == pytest.approx(_exact_sd(near), rel=1e-12)
    mean = dict(zip(res.team.tolist(), res.mean.tolist(), strict=True))
    assert mean["far"] == pytest.approx(float(sum(map(Fraction, far)) / len(far)), rel=1e-15)
