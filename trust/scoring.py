"""Reverse-keying and scale scores with the half-answered rule."""

from __future__ import annotations

import numpy as np

from trust._common import NAN_POLICIES, as_float_2d, check_choice

__all__ = ["reverse_key", "scale_scores"]


def reverse_key(answers, reverse, low, high):
    """Reverse-key the answers of reverse-worded items.

    Parameters
    ----------
    answers : array_like, shape (n_respondents, n_items)
        Raw answers; NaN marks a missing answer and stays NaN (``nan_policy='propagate'``).
    reverse : array_like of bool, shape (n_items,)
        True for the items to reverse.
    low, high : float or array_like, shape (n_items,)
        Lowest and highest response option of every item.

    Returns
    -------
    ndarray, shape (n_respondents, n_items)
        A new array; reversed items hold ``low + high - x``.

    Notes
    -----
    On a response scale from :math:`a` to :math:`b` a reverse-keyed answer :math:`x`
    becomes :math:`x' = a + b - x` [1]_, so the scale's order is mirrored and its range
    is kept (1..5 maps 1 to 5; 0..6 maps 0 to 6).

    References
    ----------
    .. [1] Spector, P. E. (1992). *Summated rating scale construction: An introduction*.
       Sage. https://doi.org/10.4135/9781412986038

    Examples
    --------
    >>> import numpy as np
    >>> from trust import reverse_key
    >>> reverse_key([[1, 2], [5, np.nan]], reverse=[False, True], low=1, high=5)
    array([[ 1.,  4.],
           [ 5., nan]])
    """
    x = as_float_2d(answers, "answers")
    rev = np.asarray(reverse)
    if rev.dtype != bool:
        raise TypeError(f"reverse must be an array of bool, not {rev.dtype}")
    if rev.shape != (x.shape[1],):
        raise ValueError(f"reverse must have one flag per item ({x.shape[1]}), not {rev.shape}")
    lo = np.broadcast_to(np.asarray(low, dtype=float), rev.shape)
    hi = np.broadcast_to(np.asarray(high, dtype=float), rev.shape)
    if (hi <= lo).any():
        raise ValueError("high must be greater than low for every item")
    out = x.copy()
    out[:, rev] = (lo + hi)[rev] - x[:, rev]
    return out


def scale_scores(answers, scale_index, *, nan_policy="omit"):
    """Score every scale as the mean of its answered items, if at least half were answered.

    Parameters
    ----------
    answers : array_like, shape (n_respondents, n_items)
        Answers already reverse-keyed (see :func:`reverse_key`); NaN marks a missing answer.
    scale_index : array_like of int, shape (n_items,)
        Scale (0 .. n_scales - 1) of every item, e.g. ``Instrument.item_scale_index()``.
    nan_policy : {'omit', 'propagate', 'raise'}
        ``'omit'`` (default) averages the answered items and leaves the score missing
        (NaN) when fewer than half of the scale's items were answered; ``'propagate'``
        makes the score NaN as soon as one item is missing; ``'raise'`` refuses NaN.

    Returns
    -------
    ndarray, shape (n_respondents, n_scales)

    Notes
    -----
    With :math:`k` items in a scale and :math:`m` of them answered, the score is
    :math:`\\bar x = \\frac{1}{m}\\sum x_i` when :math:`2m \\ge k`, else missing: the
    "half rule" of prorated scoring [1]_. A 5-item scale needs 3 answers, a 4-item
    scale 2, a 2-item scale 1.

    References
    ----------
    .. [1] Mazza, G. L., Enders, C. K., & Ruehlman, L. S. (2015). Addressing item-level
       missing data: A comparison of proration and full information maximum likelihood
       estimation. *Multivariate Behavioral Research*, 50(5), 504-519.
       https://doi.org/10.1080/00273171.2015.1068157

    Examples
    --------
    >>> import numpy as np
    >>> from trust import scale_scores
    >>> x = [[1, 2, 3, 4], [np.nan, np.nan, 5, np.nan], [np.nan, 2, 4, np.nan]]
    >>> scale_scores(x, [0, 0, 0, 1])
    array([[ 2.,  4.],
           [nan, nan],
           [ 3., nan]])
    """
    check_choice(nan_policy, "nan_policy", NAN_POLICIES)
    x = as_float_2d(answers, "answers")
    idx = np.asarray(scale_index)
    if idx.shape != (x.shape[1],) or idx.dtype.kind not in "iu":
        raise ValueError(f"scale_index must be {x.shape[1]} integers, one per item")
    if idx.size and idx.min() < 0:
        raise ValueError("scale_index must not be negative")
    missing = np.isnan(x)
    if nan_policy == "raise" and missing.any():
        raise ValueError("answers contains NaN (nan_policy='raise')")
    n_scales = int(idx.max()) + 1 if idx.size else 0
    if (np.bincount(idx, minlength=n_scales) == 0).any():
        raise ValueError("scale_index leaves a scale without items")
    return scores_from_answers(x, missing, idx, propagate=nan_policy == "propagate")


def scores_from_answers(x, missing, idx, *, propagate=False, positions=None):
    """Half-rule scale scores of checked input; ``positions`` are (rows, cols) of NaNs."""
    n_scales = int(idx.max()) + 1 if idx.size else 0
    k = np.bincount(idx, minlength=n_scales)
    # A scale-membership matrix turns per-item sums into per-scale sums in one product.
    member = np.zeros((x.shape[1], n_scales))
    member[np.arange(x.shape[1]), idx] = 1.0
    # answered items per respondent and scale, counting the (few) missing ones by position
    if positions is None:
        positions = np.divmod(np.flatnonzero(missing), missing.shape[1])
    rows, cols = positions
    absent = np.bincount(rows * n_scales + idx[cols], minlength=x.shape[0] * n_scales)
    m = k - absent.reshape(x.shape[0], n_scales)
    total = np.where(missing, 0.0, x) @ member
    with np.errstate(invalid="ignore", divide="ignore"):
        score = total / m
    if propagate:
        score[m < k] = np.nan
    else:
        score[2 * m < k] = np.nan
    score[m == 0] = np.nan
    return score
