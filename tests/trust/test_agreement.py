"""rwg(j) against the uniform null, truncated at the null (hand-worked, James et al. 1984)."""

import numpy as np
import pytest

from trust import DegenerateDataWarning, rwg_j, uniform_null_variance


def test_uniform_null_variance_is_a_squared_minus_one_over_twelve():
    # A = 5: (25 - 1) / 12 = 2; A = 7: 48 / 12 = 4
    assert float(uniform_null_variance(5)) == 2.0
    assert float(uniform_null_variance(7)) == 4.0
    with pytest.raises(ValueError, match="n_options"):
        uniform_null_variance(1)
    with pytest.raises(ValueError, match="n_options"):
        uniform_null_variance(4.5)


def test_rwg_j_hand_worked():
    # Team "a", 4 members x 3 items on 1..5 (sigma_EU^2 = 2):
    #   item 1: 4 4 5 5 -> var 1/3; item 2: 3 4 4 5 -> var 2/3; item 3: 4 4 4 4 -> var 0
    #   mean variance 1/3; ratio 1/6; rwg(3) = 3 (5/6) / (3 (5/6) + 1/6) = 2.5 / 2.6667 = 0.9375
    x = np.array([[4, 3, 4], [4, 4, 4], [5, 4, 4], [5, 5, 4]], dtype=float)
    res = rwg_j(x, ["a"] * 4, n_options=5)
    assert res.rwg_j[0] == pytest.approx(0.9375, abs=1e-12)
    assert res.mean_variance[0] == pytest.approx(1 / 3, abs=1e-12)
    assert res.n_items[0] == 3


def test_rwg_j_is_set_to_zero_past_the_uniform_null():
    # Team answers 1 5 1 5 on two items: variance 16/3 > 2 -> rwg(j) truncated to 0
    # (LeBreton & Senter 2008); untruncated it would be 2(1-8/3)/(2(1-8/3)+8/3) = 5.
    x = np.array([[1, 1], [5, 5], [1, 1], [5, 5]], dtype=float)
    assert rwg_j(x, ["a"] * 4, n_options=5).rwg_j[0] == 0.0


def test_rwg_j_is_one_for_perfect_agreement_and_zero_at_the_null():
    same = np.full((3, 4), 2.0)
    assert rwg_j(same, ["t"] * 3, 5).rwg_j[0] == 1.0
    # variance exactly 2 on both items: 1 2 3 4 5 -> var 2.5 ... use 1,3,5 -> var 4; 2,3,4 -> 1
    x = np.array([[1, 2], [3, 3], [5, 4]], dtype=float)  # mean variance (4 + 1) / 2 = 2.5 > 2
    assert rwg_j(x, ["t"] * 3, 5).rwg_j[0] == 0.0


def test_rwg_j_matches_a_loop_over_teams_with_missing_answers():
    rng = np.random.default_rng(11)
    team = rng.integers(0, 12, size=150)
    x = rng.integers(1, 8, size=(150, 4)).astype(float)
    x[team % 3 == 0] = np.clip(
        np.round(4 + rng.normal(0, 0.5, size=((team % 3 == 0).sum(), 4))), 1, 7
    )
    x[rng.random(x.shape) < 0.15] = np.nan
    res = rwg_j(x, team, n_options=7)
    for i, label in enumerate(res.team):
        rows = x[team == label]
        variances = [np.nanvar(col, ddof=1) for col in rows.T if (~np.isnan(col)).sum() >= 2]
        s2 = np.mean(variances)
        j = len(variances)
        ratio = s2 / 4.0
        expected = 0.0 if ratio > 1 else j * (1 - ratio) / (j * (1 - ratio) + ratio)
        assert res.rwg_j[i] == pytest.approx(expected, abs=1e-12)


def test_rwg_j_of_a_team_of_one_is_nan_with_a_warning():
    x = np.array([[4, 4], [4, 5], [5, 4], [3, 3]], dtype=float)
    with pytest.warns(DegenerateDataWarning, match="1 team"):
        res = rwg_j(x, ["a", "a", "a", "solo"], n_options=5)
    assert np.isfinite(res.rwg_j[0]) and np.isnan(res.rwg_j[1])


def test_rwg_j_leaves_out_an_item_nobody_answered():
    x = np.array([[4, np.nan], [4, np.nan], [5, np.nan]])
    res = rwg_j(x, ["a"] * 3, n_options=5)
    # one item: var 1/3, rwg = (1 - 1/6) / (1 - 1/6 + 1/6) = 5/6
    assert res.n_items[0] == 1
    assert res.rwg_j[0] == pytest.approx(5 / 6, abs=1e-12)


def test_rwg_j_nan_policies():
    x = np.array([[4, np.nan], [4, 4], [5, 5], [1, 1], [2, 2]])
    team = ["a", "a", "a", "b", "b"]
    with pytest.warns(DegenerateDataWarning, match="1 team"):
        res = rwg_j(x, team, 5, nan_policy="propagate")
    assert np.isnan(res.rwg_j[0]) and np.isfinite(res.rwg_j[1])
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        rwg_j(x, team, 5, nan_policy="raise")
    with pytest.raises(ValueError, match="team"):
        rwg_j(x, team[:3], 5)
