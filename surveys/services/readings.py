"""Plain readings of stored statistics: what a number means for a facilitator.

Every statistic shown gets a reading beside it (issue 10, point 5). The readings are keys;
templates turn them into words in the reader's language (``facilitate/_readings.html``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# Below this alpha or omega a scale is not reliable enough to compare teams (the usual
# floor for exploratory use; Nunnally 1978 asks .70 for comparing groups).
RELIABILITY_FLOOR = 0.60


class Agreement(enum.StrEnum):
    """Within-team agreement, in LeBreton & Senter's (2008, table 3) bands of rwg(j)."""

    TWO_CAMPS = "two_camps"
    VERY_STRONG = "very_strong"  # .91 - 1.00
    STRONG = "strong"  # .71 - .90
    MODERATE = "moderate"  # .51 - .70
    WEAK = "weak"  # .31 - .50
    NONE = "none"  # .00 - .30
    UNDEFINED = "undefined"


def agreement(rwg_j: float | None, split: bool = False) -> Agreement:
    """The reading of a team's rwg(j); ``split`` (two camps, :func:`trust.two_camps`) wins.

    LeBreton, J. M., & Senter, J. L. (2008). Answers to 20 questions about interrater
    reliability and interrater agreement. *Organizational Research Methods*, 11(4),
    815-852. https://doi.org/10.1177/1094428106296642
    """
    if split:
        return Agreement.TWO_CAMPS
    if rwg_j is None:
        return Agreement.UNDEFINED
    for floor, band in (
        (0.91, Agreement.VERY_STRONG),
        (0.71, Agreement.STRONG),
        (0.51, Agreement.MODERATE),
        (0.31, Agreement.WEAK),
    ):
        if rwg_j >= floor:
            return band
    return Agreement.NONE


def low_agreement(reading: Agreement) -> bool:
    """Below .71 (or split): the team mean hides different views (rwg(j) below .70)."""
    return reading in (Agreement.TWO_CAMPS, Agreement.MODERATE, Agreement.WEAK, Agreement.NONE)


def no_team_differences(icc1: float | None) -> bool:
    """ICC(1) below 0: teams differ no more than chance would make them (Bliese 2000).

    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability. In
    K. J. Klein & S. W. J. Kozlowski (Eds.), *Multilevel theory, research, and methods in
    organizations* (pp. 349-381). Jossey-Bass.
    """
    return icc1 is not None and icc1 < 0


@dataclass(frozen=True)
class Reliability:
    """Whether a scale is reliable in this wave, and which items pull against it."""

    low: bool
    # Items whose corrected item-total r is negative: they pull against the rest of the
    # scale (reverse-keyed wrongly, misread, or measuring something else). Named even when
    # alpha and omega pass, since the scale's scores then mix in an item scored backwards.
    against: tuple[str, ...]
    # False when the wave was closed before item-total r was stored: no item can be named.
    items_known: bool


def reliability(
    alpha: float | None, omega: float | None, item_total_r: dict[str, float | None] | None
) -> Reliability:
    """Low when alpha or omega is below :data:`RELIABILITY_FLOOR`; names every item whose
    corrected item-total r is negative, low or not."""
    low = any(v is not None and v < RELIABILITY_FLOOR for v in (alpha, omega))
    against = tuple(
        sorted(key for key, r in (item_total_r or {}).items() if r is not None and r < 0)
    )
    return Reliability(low, against, item_total_r is not None)


def clip_interval(
    low: float | None, high: float | None, floor: float, ceiling: float
) -> tuple[float | None, float | None, bool]:
    """An interval cut to the response range, and whether it was cut.

    A t interval around a mean near the end of the scale can reach past it (a 1-5 scale
    cannot average 5.4); no team mean can lie there, so the page shows the possible part.
    """
    if low is None or high is None:
        return low, high, False
    clipped = low < floor or high > ceiling
    return max(low, floor), min(high, ceiling), clipped
