"""Reverse-keying and scale scores with the half-answered rule (hand-worked values)."""

import numpy as np
import pytest

from trust import reverse_key, scale_scores


def test_reverse_key_mirrors_any_integer_range_and_keeps_missing():
    x = np.array([[0.0, 0.0, 6.0], [6.0, np.nan, 2.0]])
    out = reverse_key(x, reverse=np.array([True, True, False]), low=0, high=6)
    # 0..6: x' = 0 + 6 - x
    np.testing.assert_array_equal(out, [[6.0, 6.0, 6.0], [0.0, np.nan, 2.0]])


def test_reverse_key_uses_each_items_own_range():
    out = reverse_key([[1, 1]], reverse=np.array([True, True]), low=[1, 1], high=[5, 7])
    np.testing.assert_array_equal(out, [[5.0, 7.0]])


def test_reverse_key_names_bad_arguments():
    with pytest.raises(TypeError, match="reverse"):
        reverse_key([[1, 2]], reverse=[1, 0], low=1, high=5)
    with pytest.raises(ValueError, match="reverse"):
        reverse_key([[1, 2]], reverse=np.array([True]), low=1, high=5)
    with pytest.raises(ValueError, match="high"):
        reverse_key([[1, 2]], reverse=np.array([True, False]), low=5, high=1)


def test_half_rule_scores_when_at_least_half_the_items_were_answered():
    nan = np.nan
    x = np.array(
        [
            [1, 2, 3, 4, 5, 2, 4],  # all answered: (1+2+3+4+5)/5 = 3, (2+4)/2 = 3
            [1, 2, 3, nan, nan, nan, 4],  # 3 of 5 answered: 2; 1 of 2 answered: 4
            [1, 2, nan, nan, nan, nan, nan],  # 2 of 5: missing; 0 of 2: missing
        ],
        dtype=float,
    )
    scores = scale_scores(x, np.array([0, 0, 0, 0, 0, 1, 1]))
    np.testing.assert_array_equal(scores, [[3, 3], [2, 4], [nan, nan]])


def test_four_item_scale_needs_two_answers():
    x = np.array([[2, 4, np.nan, np.nan], [2, np.nan, np.nan, np.nan]])
    np.testing.assert_array_equal(scale_scores(x, np.zeros(4, dtype=int))[:, 0], [3, np.nan])


def test_nan_policies_of_scale_scores():
    x = np.array([[1, 2, np.nan, 4.0]])
    assert np.isnan(scale_scores(x, np.zeros(4, dtype=int), nan_policy="propagate")[0, 0])
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        scale_scores(x, np.zeros(4, dtype=int), nan_policy="raise")
    with pytest.raises(ValueError, match="nan_policy"):
        scale_scores(x, np.zeros(4, dtype=int), nan_policy="drop")


def test_scale_index_must_match_the_items():
    with pytest.raises(ValueError, match="scale_index"):
        scale_scores([[1, 2, 3]], np.array([0, 0]))
    with pytest.raises(ValueError, match="scale_index"):
        scale_scores([[1, 2, 3]], np.array([0, 2, 2]))
