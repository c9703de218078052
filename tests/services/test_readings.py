"""Plain readings of statistics: agreement bands, reliability floor, ICC(1), cut intervals."""

import pytest

from surveys.services import readings
from surveys.services.readings import Agreement


@pytest.mark.parametrize(
    ("rwg", "reading"),
    [
        (1.0, Agreement.VERY_STRONG),
        (0.91, Agreement.VERY_STRONG),
        (0.90, Agreement.STRONG),
        (0.71, Agreement.STRONG),
        (0.70, Agreement.MODERATE),
        (0.50, Agreement.WEAK),
        (0.30, Agreement.NONE),
        (0.0, Agreement.NONE),
        (None, Agreement.UNDEFINED),
    ],
)
def test_agreement_follows_lebreton_and_senters_bands(rwg, reading):
    assert readings.agreement(rwg) is reading


def test_two_camps_wins_over_any_band():
    assert readings.agreement(0.95, split=True) is Agreement.TWO_CAMPS
    assert readings.low_agreement(Agreement.TWO_CAMPS)
    assert not readings.low_agreement(Agreement.STRONG)


def test_negative_icc1_reads_as_no_team_differences():
    assert readings.no_team_differences(-0.05)
    assert not readings.no_team_differences(0.0)
    assert not readings.no_team_differences(None)


def test_low_alpha_or_omega_names_the_items_with_negative_item_total_r():
    found = readings.reliability(0.42, 0.7, {"a": 0.5, "b": -0.2, "c": None})
    assert found.low and found.against == ("b",) and found.items_known
    assert readings.reliability(0.8, 0.55, None) == readings.Reliability(True, (), False)
    assert not readings.reliability(0.8, 0.75, {"b": -0.2}).low


def test_an_item_against_its_scale_is_named_even_when_alpha_and_omega_pass():
    found = readings.reliability(0.87, 0.95, {"a": 0.6, "e": -0.67, "b": 0.0})
    assert not found.low and found.against == ("e",)
    assert readings.reliability(0.87, 0.95, {"a": 0.6, "b": 0.0}).against == ()


def test_an_interval_past_the_response_range_is_cut_and_marked():
    assert readings.clip_interval(-0.99, 6.32, 1, 5) == (1, 5, True)
    assert readings.clip_interval(2.0, 3.0, 1, 5) == (2.0, 3.0, False)
    assert readings.clip_interval(None, None, 1, 5) == (None, None, False)
