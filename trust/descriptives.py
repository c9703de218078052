"""Team means with a t interval, finite-population corrected when the roster size is known."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from trust._common import (
    NAN_POLICIES,
    as_float_1d,
    as_float_2d,
    check_choice,
    check_confidence,
    check_nan,
    group_moments,
    team_index,
    warn_degenerate,
)

__all__ = ["TeamSummary", "team_summary"]


class TeamSummary(NamedTuple):
    team: np.ndarray  # sorted team labels
    n: np.ndarray  # respondents with a score
    mean: np.ndarray
    sd: np.ndarray  # ddof=1
    ci_low: np.ndarray
    ci_high: np.ndarray
    team_size: np.ndarray  # roster size N, NaN where unknown


def _sizes_per_team(team_size, inv, n_teams):
    size = as_float_1d(team_size, "team_size")
    if size.shape[0] != inv.shape[0]:
        raise ValueError(f"team_size must have one entry per respondent ({inv.shape[0]})")
    if (size[~np.isnan(size)] < 1).any() or (size[~np.isnan(size)] % 1 != 0).any():
        raise ValueError("team_size must hold positive whole numbers (NaN where unknown)")
    known = ~np.isnan(size)
    hi = np.full(n_teams, -np.inf)
    lo = np.full(n_teams, np.inf)
    np.maximum.at(hi, inv[known], size[known])
    np.minimum.at(lo, inv[known], size[known])
    any_known = np.bincount(inv[known], minlength=n_teams) > 0
    all_known = np.bincount(inv[known], minlength=n_teams) == np.bincount(inv, minlength=n_teams)
    if ((hi != lo) & any_known).any() or (any_known & ~all_known).any():
        raise ValueError("team_size must be the same for every respondent of a team")
    return np.where(any_known, hi, np.nan)


def team_summary(scores, team, *, team_size=None, confidence=0.95, nan_policy="omit"):
    """Mean, SD and t interval of every team's scores, for one or many scales.

    Parameters
    ----------
    scores : array_like, shape (n_respondents,) or (n_respondents, n_scales)
        Respondents' scale scores; NaN marks a missing score.
    team : array_like, shape (n_respondents,)
        Team label of every respondent.
    team_size : array_like, shape (n_respondents,), optional
        Roster size N of each respondent's team (the same within a team; NaN where
        unknown). When known, the interval gets the finite-population correction.
    confidence : float
        Level of the interval, strictly between 0 and 1.
    nan_policy : {'omit', 'propagate', 'raise'}
        ``'omit'`` (default) describes the respondents who have a score;
        ``'propagate'`` gives NaN for a team with any missing score; ``'raise'``
        refuses NaN.

    Returns
    -------
    TeamSummary
        ``(team, n, mean, sd, ci_low, ci_high, team_size)``; arrays of shape
        (n_teams,) for 1-D ``scores``, (n_teams, n_scales) for 2-D.

    Raises
    ------
    ValueError
        ``team_size`` differs within a team, or is smaller than the team's number
        of respondents.

    Warns
    -----
    DegenerateDataWarning
        A team with a single score (and unknown or larger roster) has no SD and no
        interval.

    Notes
    -----
    For a team with :math:`n` scores, mean :math:`\\bar x` and SD :math:`s`, and
    roster size :math:`N` [1]_:

    .. math:: \\bar x \\pm t_{1-\\gamma/2,\\,n-1}\\,\\frac{s}{\\sqrt n}
              \\sqrt{1 - \\frac{n}{N}}

    The variance of a mean of :math:`n` drawn without replacement from :math:`N` is
    :math:`(S^2/n)(1 - n/N)`, where :math:`S^2` is the population variance with
    divisor :math:`N - 1`, which the sample variance :math:`s^2` (divisor
    :math:`n - 1`) estimates without bias [1]_. (The factor
    :math:`(N-n)/(N-1)` belongs with the divisor-:math:`N` variance, not with
    :math:`s^2`.)

    The correction factor is 1 when :math:`N` is unknown. When everyone answered
    (:math:`n = N`) the mean is the team's true mean and the interval has zero
    width, even for :math:`n = 1`: six answers from a six-person team have no
    sampling error.

    References
    ----------
    .. [1] Cochran, W. G. (1977). *Sampling techniques* (3rd ed.). Wiley.
       ISBN 978-0-471-16240-7.

    Examples
    --------
    >>> from trust import team_summary
    >>> res = team_summary([3, 4, 5, 2, 4], ["a", "a", "a", "b", "b"], team_size=[10] * 3 + [2] * 2)
    >>> res.mean, res.ci_low.round(3), res.ci_high.round(3)
    (array([4., 3.]), array([1.922, 3.   ]), array([6.078, 3.   ]))
    """
    check_choice(nan_policy, "nan_policy", NAN_POLICIES)
    confidence = check_confidence(confidence)
    one_scale = np.ndim(scores) == 1
    x = as_float_2d(scores, "scores")
    check_nan(x, "scores", nan_policy)
    labels, inv = team_index(team, x.shape[0])
    t = labels.shape[0]
    size = np.full(t, np.nan) if team_size is None else _sizes_per_team(team_size, inv, t)
    count, mean, ss = group_moments(x, inv, t)
    if nan_policy == "propagate":
        members = np.bincount(inv, minlength=t)[:, None]
        incomplete = count < members
        mean[incomplete] = np.nan
        ss[incomplete] = np.nan
    big_n = size[:, None]  # roster size N of every team (NaN: unknown)
    if (count > big_n).any():
        bad = int(np.argmax((count > big_n).any(axis=1)))
        raise ValueError(
            f"team_size of team {str(labels[bad])!r} ({int(size[bad])}) is smaller "
            f"than its {int(count[bad].max())} respondents"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(ss / (count - 1))
        fpc = np.where(np.isnan(big_n), 1.0, np.sqrt(1 - count / big_n))
        se = sd / np.sqrt(count) * fpc  # ref.[1]
        # Team sizes repeat: one quantile per distinct df instead of one per team and scale.
        df, where = np.unique(count - 1, return_inverse=True)
        # scipy.special, not scipy.stats: the same stdtrit that t.ppf calls, without
        # scipy.stats's half-second import on every `trustsurvey analyze`.
        quantile = special.stdtrit(df, 0.5 + confidence / 2)[where.reshape(count.shape)]
        half = quantile * se
    sd[count < 2] = np.nan
    complete = count == big_n  # a census: no sampling error
    half[complete] = 0.0
    half[count == 0] = np.nan
    mean[count == 0] = np.nan
    single = ((count == 1) & ~complete).any(axis=0)
    if single.any():
        warn_degenerate(
            "a team with a single score has no SD and no interval",
            statistic="sd",
            code="single_score",
            columns=np.flatnonzero(single),
        )
    low, high = mean - half, mean + half
    if one_scale:
        count, mean, sd, low, high = (v[:, 0] for v in (count, mean, sd, low, high))
    return TeamSummary(labels, count.astype(int), mean, sd, low, high, size)
