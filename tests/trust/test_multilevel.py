"""ICC(1)/ICC(2) from one-way ANOVA: pingouin on balanced teams, scipy's ANOVA otherwise."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from trust import DegenerateDataWarning, team_icc


def _anova_by_hand(scores, team):
    """MSB and MSW from scipy's F (F = MSB / MSW) and the within sum of squares."""
    groups = [scores[team == t] for t in np.unique(team)]
    n, j = len(scores), len(groups)
    msw = sum(((g - g.mean()) ** 2).sum() for g in groups) / (n - j)
    f = stats.f_oneway(*groups).statistic
    return f * msw, msw, n, j, np.array([len(g) for g in groups])


def test_hand_worked_icc():
    # teams a: 1 2 3, b: 3 4 5, c: 4 5 5; grand mean 32/9; SSB = 3(2-32/9)^2 + ... = 104/9
    # MSB = 52/9, SSW = 2 + 2 + 2/3, MSW = 7/9; ICC(1) = (45/9) / (52/9 + 2 * 7/9) = 45/66
    res = team_icc([1, 2, 3, 3, 4, 5, 4, 5, 5], ["a"] * 3 + ["b"] * 3 + ["c"] * 3)
    assert res.icc1 == pytest.approx(45 / 66, abs=1e-12)
    assert res.icc2 == pytest.approx(45 / 52, abs=1e-12)
    assert (res.df_between, res.df_within) == (2.0, 6.0)


def test_balanced_teams_match_pingouin_icc_1_1_and_1_k():
    rng = np.random.default_rng(4)
    team = np.repeat(np.arange(15), 6)
    scores = rng.normal(size=15)[team] + rng.normal(size=90)
    long = pd.DataFrame({"team": team, "member": np.tile(np.arange(6), 15), "score": scores})
    icc = pg.intraclass_corr(long, targets="team", raters="member", ratings="score")
    icc = icc.set_index("Type")["ICC"]
    res = team_icc(scores, team)
    assert res.icc1 == pytest.approx(icc["ICC(1,1)"], abs=1e-12)
    assert res.icc2 == pytest.approx(icc["ICC(1,k)"], abs=1e-12)
    assert res.icc1_adjusted == pytest.approx(res.icc1, abs=1e-12)


def test_unbalanced_teams_use_the_mean_size_like_r_multilevel(survey):
    answers, team = survey
    scores = answers[:, :4].mean(axis=1)
    msb, msw, n, j, sizes = _anova_by_hand(scores, team)
    k = n / j  # multilevel::ICC1's GSIZE
    k0 = (n - (sizes**2).sum() / n) / (j - 1)
    res = team_icc(scores, team)
    assert res.icc1 == pytest.approx((msb - msw) / (msb + (k - 1) * msw), abs=1e-12)
    assert res.icc2 == pytest.approx((msb - msw) / msb, abs=1e-12)
    assert res.icc1_adjusted == pytest.approx((msb - msw) / (msb + (k0 - 1) * msw), abs=1e-12)
    assert res.adjusted_team_size < res.mean_team_size


def test_missing_scores_are_left_out_per_scale(survey):
    answers, team = survey
    scores = np.column_stack([answers[:, :4].mean(axis=1), answers[:, 4:].mean(axis=1)])
    scores[[0, 7, 30], 0] = np.nan
    res = team_icc(scores, team)
    keep = ~np.isnan(scores[:, 0])
    msb, msw, n, j, _ = _anova_by_hand(scores[keep, 0], team[keep])
    assert res.icc1[0] == pytest.approx((msb - msw) / (msb + (n / j - 1) * msw), abs=1e-12)
    assert res.icc1[1] == pytest.approx(team_icc(scores[:, 1], team).icc1, abs=1e-12)
    with pytest.warns(DegenerateDataWarning, match="1 scale"):
        assert np.isnan(team_icc(scores, team, nan_policy="propagate").icc1[0])


def test_a_team_of_one_counts_between_but_not_within():
    scores = np.array([1, 2, 3, 4, 5, 6, 9.0])
    team = np.array(["a", "a", "a", "b", "b", "b", "solo"])
    msb, msw, n, j, _ = _anova_by_hand(scores, team)
    res = team_icc(scores, team)
    assert (res.df_between, res.df_within) == (2.0, 4.0)
    assert res.icc1 == pytest.approx((msb - msw) / (msb + (n / j - 1) * msw), abs=1e-12)


def test_one_team_or_constant_scores_give_nan_with_a_warning():
    with pytest.warns(DegenerateDataWarning, match="fewer than two teams"):
        assert np.isnan(team_icc([1, 2, 3], ["a"] * 3).icc1)
    with pytest.warns(DegenerateDataWarning):
        assert np.isnan(team_icc([3, 3, 3, 3], ["a", "a", "b", "b"]).icc2)
    with pytest.warns(DegenerateDataWarning):
        assert np.isnan(team_icc([1, 2, 3], ["a", "b", "c"]).icc1)


def test_identical_answers_within_teams_give_icc_one():
    res = team_icc([2, 2, 4, 4, 5, 5], ["a", "a", "b", "b", "c", "c"])
    assert res.icc1 == pytest.approx(1.0) and res.icc2 == pytest.approx(1.0)


def test_identical_team_means_leave_icc2_undefined_and_icc1_at_its_floor():
    # Both teams average 2 (MSB = 0, MSW = 1): ICC(2) = 1 - MSW/MSB has no finite value;
    # ICC(1) = -MSW / ((k - 1) MSW) = -1/2 with k = 3. The second pair of teams has equal means
    # too, but their sums in another order leave MSB a rounding residue (about 1e-30) rather
    # than an exact 0, which must not turn into a huge negative ICC(2).
    with pytest.warns(DegenerateDataWarning, match="team means are identical"):
        res = team_icc([1, 2, 3, 2, 1, 3], ["a"] * 3 + ["b"] * 3)
    assert np.isnan(res.icc2) and res.icc1 == pytest.approx(-0.5, abs=1e-12)
    with pytest.warns(DegenerateDataWarning, match="team means are identical"):
        res = team_icc([0.8, 4.9, 2.1, 1.3, 5.1, 1.3, 4.9, 2.1, 5.1, 0.8], ["a"] * 5 + ["b"] * 5)
    assert np.isnan(res.icc2) and res.ms_between < 1e-20
