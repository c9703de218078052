"""Answer distributions and the two-camps rule, on hand-made counts."""

import numpy as np
import pytest

from trust import score_distribution, two_camps


def test_scores_are_counted_at_their_nearest_option_halves_going_up():
    counts = score_distribution([1.0, 1.49, 1.5, 2.75, 5.0, np.nan], 1, 5)
    assert counts.tolist() == [2, 1, 1, 0, 1]


def test_a_zero_based_scale_counts_from_its_lowest_option():
    assert score_distribution([0, 0.4, 4], 0, 4).tolist() == [2, 0, 0, 0, 1]


def test_a_score_outside_the_scale_is_refused_by_name():
    with pytest.raises(ValueError, match="within the response scale 1..5"):
        score_distribution([0.5], 1, 5)


@pytest.mark.parametrize(
    ("counts", "split"),
    [
        ([3, 0, 0, 0, 3], True),  # both ends, nothing between
        ([0, 3, 0, 3, 0], True),  # "disagree" against "agree", a gap between
        ([2, 0, 1, 0, 2], True),  # a valley of 1 under peaks of 2
        ([3, 0, 0, 3], True),  # even number of options
        ([1, 1, 1, 1, 1], False),  # uniform: disagreement, no valley
        ([2, 1, 1, 1, 2], False),  # valley of 1 is not below half of 2
        ([1, 0, 0, 0, 4], False),  # a camp of one in five is below a quarter
        ([0, 0, 5, 0, 0], False),  # everyone in the middle
        ([0, 3, 3, 0], False),  # neighbours, no option between the peaks
        ([0, 0, 0, 0, 0], False),  # nobody
    ],
)
def test_two_camps_need_a_quarter_at_each_side_and_a_valley_between(counts, split):
    assert bool(two_camps(counts)) is split


def test_two_camps_works_over_several_teams_at_once():
    assert two_camps(np.array([[3, 0, 0, 0, 3], [1, 1, 1, 1, 1]])).tolist() == [True, False]


def test_counts_must_be_non_negative_integers():
    with pytest.raises(ValueError, match="counts"):
        two_camps([1.5, 2.0])
