"""Answer distributions of a team: scale scores binned per response option, and two camps."""

from __future__ import annotations

import numpy as np

from trust._common import as_float_1d

__all__ = ["CAMP_MIN_SHARE", "score_distribution", "two_camps"]

# Each camp holds at least this share of the scored respondents.
CAMP_MIN_SHARE = 0.25


def score_distribution(scores, low, high):
    """Count scale scores per response option, each score binned to its nearest option.

    Parameters
    ----------
    scores : array_like, shape (n_respondents,)
        One scale's scores (means of answered items); NaN marks a missing score and is
        not counted.
    low, high : int
        Lowest and highest response option of the scale.

    Returns
    -------
    ndarray of int, shape (high - low + 1,)
        Number of scores nearest to each option, ``low`` first. A score halfway between
        two options counts for the higher one (3.5 on a 1-5 scale counts as 4).

    Raises
    ------
    ValueError
        ``high`` is not above ``low``, or a score lies outside ``low``..``high``.

    Examples
    --------
    >>> from trust import score_distribution
    >>> score_distribution([1.0, 1.4, 2.5, 4.75, float("nan")], 1, 5).tolist()
    [2, 0, 1, 0, 1]
    """
    if int(high) != high or int(low) != low or high <= low:
        raise ValueError(f"high must be an integer above low, not low={low!r}, high={high!r}")
    x = as_float_1d(scores, "scores")
    x = x[~np.isnan(x)]
    if ((x < low) | (x > high)).any():
        raise ValueError(f"scores must lie within the response scale {low}..{high}")
    bins = np.floor(x - low + 0.5).astype(int)
    return np.bincount(bins, minlength=int(high - low + 1))


def two_camps(counts):
    """Whether a distribution of scale scores splits into two camps (bimodal answers).

    Parameters
    ----------
    counts : array_like of int, shape (..., A)
        Scores per response option (:func:`score_distribution`), lowest option first; a
        leading axis holds several teams.

    Returns
    -------
    bool or ndarray of bool
        True where the rule below holds; False for an empty distribution.

    Notes
    -----
    A simple rule, written for facilitators rather than taken from the literature. With
    options indexed :math:`0 .. A-1` and the midpoint :math:`m = (A-1)/2`, the *low
    camp* is the options below :math:`m` and the *high camp* the options above it (an
    option at :math:`m`, when :math:`A` is odd, is in neither). Answers split into two
    camps when both of these hold:

    1. each camp holds at least ``CAMP_MIN_SHARE`` (a quarter) of the scores;
    2. between the most chosen option of each camp lies a valley: an option chosen by
       fewer than half as many as the smaller of the two peaks.

    A uniform spread has no valley and is not two camps; it is plain disagreement. Such
    a team has low agreement (rwg(j)) for a reason other than noise: two subgroups see
    the team differently, a fault line worth a conversation.

    Examples
    --------
    >>> from trust import two_camps
    >>> bool(two_camps([3, 0, 1, 0, 3])), bool(two_camps([1, 1, 1, 1, 1]))
    (True, False)
    """
    c = np.asarray(counts)
    if c.ndim == 0 or c.shape[-1] < 2 or c.dtype.kind not in "iu" or (c < 0).any():
        raise ValueError("counts must be non-negative integers over at least two options")
    a = c.shape[-1]
    index = np.arange(a)
    mid = (a - 1) / 2
    low_side, high_side = index < mid, index > mid
    total = c.sum(axis=-1)
    n_low = (c * low_side).sum(axis=-1)
    n_high = (c * high_side).sum(axis=-1)
    # Peaks: the most chosen option of each camp (the one nearest the middle on ties).
    peak_low = np.where(low_side, c * a + index, -1).argmax(axis=-1)
    peak_high = np.where(high_side, c * a + (a - index), -1).argmax(axis=-1)
    height_low = np.take_along_axis(c, peak_low[..., None], axis=-1)[..., 0]
    height_high = np.take_along_axis(c, peak_high[..., None], axis=-1)[..., 0]
    between = (index > peak_low[..., None]) & (index < peak_high[..., None])
    # No option between the peaks: no valley (the total is never below half a peak).
    valley = np.where(between, c, total[..., None]).min(axis=-1)
    split = (
        (total > 0)
        & (n_low >= CAMP_MIN_SHARE * total)  # rule 1
        & (n_high >= CAMP_MIN_SHARE * total)
        & (2 * valley < np.minimum(height_low, height_high))  # rule 2
    )
    return split[()]
