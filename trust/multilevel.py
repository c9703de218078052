"""Reliability of team means: ICC(1) and ICC(2) from a one-way ANOVA of respondents in teams."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from trust._common import (
    NAN_POLICIES,
    as_float_2d,
    check_choice,
    check_nan,
    group_moments,
    team_index,
    warn_degenerate,
)

__all__ = ["ICCResult", "team_icc"]


class ICCResult(NamedTuple):
    icc1: np.ndarray  # with the mean team size N/J, as R's multilevel::ICC1
    icc2: np.ndarray  # as multilevel::ICC2
    icc1_adjusted: np.ndarray  # with the adjusted team size k0
    ms_between: np.ndarray
    ms_within: np.ndarray
    df_between: np.ndarray
    df_within: np.ndarray
    mean_team_size: np.ndarray  # N / J
    adjusted_team_size: np.ndarray  # k0


def team_icc(scores, team, *, nan_policy="omit"):
    """ICC(1) and ICC(2) of team means from a one-way ANOVA, for one or many scales.

    Parameters
    ----------
    scores : array_like, shape (n_respondents,) or (n_respondents, n_scales)
        Respondents' scale scores; NaN marks a missing score.
    team : array_like, shape (n_respondents,)
        Team label of every respondent.
    nan_policy : {'omit', 'propagate', 'raise'}
        ``'omit'`` (default, as R's ``aov``) leaves respondents with a missing score
        out of that scale's ANOVA; ``'propagate'`` gives NaN for a scale with any
        missing score; ``'raise'`` refuses NaN.

    Returns
    -------
    ICCResult
        Every field is a float for 1-D ``scores`` and an array (one per scale) for
        2-D ``scores``.

    Warns
    -----
    DegenerateDataWarning
        Fewer than two teams, no team with two respondents, or no variance at all;
        those scales get NaN. Identical team means leave ICC(2) NaN (ICC(1) is then
        :math:`-1/(k-1)`).

    Notes
    -----
    With :math:`N` respondents in :math:`J` teams of sizes :math:`n_j`, the one-way
    ANOVA gives :math:`MSB = SSB/(J-1)` and :math:`MSW = SSW/(N-J)`. Following
    Bliese [1]_ and the ``ICC1``/``ICC2`` functions of R's
    ``multilevel`` package [2]_, with the mean team size :math:`k = N/J`:

    .. math:: ICC(1) = \\frac{MSB - MSW}{MSB + (k-1)\\,MSW}, \\qquad
              ICC(2) = \\frac{MSB - MSW}{MSB}

    ICC(1) can be negative when teams differ less than chance would make them.
    ``icc1_adjusted`` replaces :math:`k` by the adjusted team size of unbalanced
    one-way designs [3]_:

    .. math:: k_0 = \\frac{N - \\sum_j n_j^2 / N}{J - 1}

    which equals :math:`k` when all teams have the same size. ICC(2) does not depend
    on the team size: it is the Spearman-Brown step-up of ICC(1) by either size.

    References
    ----------
    .. [1] Bliese, P. D. (2000). Within-group agreement, non-independence, and
       reliability: Implications for data aggregation and analysis. In K. J. Klein &
       S. W. J. Kozlowski (Eds.), *Multilevel theory, research, and methods in
       organizations* (pp. 349-381). Jossey-Bass. ISBN 978-0-7879-5228-0.
    .. [2] Bliese, P. D. (2022). multilevel: Multilevel functions (R package version
       2.7). https://CRAN.R-project.org/package=multilevel
    .. [3] Searle, S. R., Casella, G., & McCulloch, C. E. (1992). *Variance components*.
       Wiley. https://doi.org/10.1002/9780470316856

    Examples
    --------
    >>> from trust import team_icc
    >>> res = team_icc([1, 2, 3, 3, 4, 5, 4, 5, 5], ["a"] * 3 + ["b"] * 3 + ["c"] * 3)
    >>> round(res.icc1, 4), round(res.icc2, 4)
    (0.6818, 0.8654)
    """
    check_choice(nan_policy, "nan_policy", NAN_POLICIES)
    one_scale = np.ndim(scores) == 1
    x = as_float_2d(scores, "scores")
    has_nan = check_nan(x, "scores", nan_policy)
    labels, inv = team_index(team, x.shape[0])
    # count, mean, ssw: per team and scale; n: respondents N, j: teams J; msb/msw: mean
    # squares between/within; k: mean team size; k0: adjusted team size
    count, mean, ssw = group_moments(x, inv, labels.shape[0])
    n = count.sum(axis=0)
    j = (count > 0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        grand = np.nansum(mean * count, axis=0) / n
        ssb = np.nansum(count * (mean - grand) ** 2, axis=0)
        df_b = j - 1.0
        df_w = n - j
        msb = ssb / df_b
        msw = ssw.sum(axis=0) / df_w
        k = n / j  # ref.[2] GSIZE
        k0 = (n - (count**2).sum(axis=0) / n) / df_b  # ref.[3]
        icc1 = (msb - msw) / (msb + (k - 1) * msw)  # ref.[1]
        icc1_adj = (msb - msw) / (msb + (k0 - 1) * msw)
        icc2 = (msb - msw) / msb  # ref.[1]
    bad = (j < 2) | (df_w < 1) | ~(msb + msw > 0)
    if has_nan and nan_policy == "propagate":
        bad |= np.isnan(x).any(axis=0)
    if bad.any():
        warn_degenerate(
            f"ICC is undefined for {bad.sum()} scale(s): fewer than two teams, "
            "no team with two respondents, or no variance",
            statistic="icc",
            code="too_few_teams_or_no_variance",
            columns=np.flatnonzero(bad),
            detail="ICC is undefined: fewer than two teams, no team with two respondents, "
            "or no variance",
        )
    icc1, icc2, icc1_adj, msb, msw, k, k0 = (
        np.where(bad, np.nan, v) for v in (icc1, icc2, icc1_adj, msb, msw, k, k0)
    )
    # Identical team means: MSB is 0 up to rounding and 1 - MSW/MSB runs off to minus
    # infinity, or to a huge negative number made of rounding error.
    flat = ~bad & (msb <= 1e-12 * msw)
    if flat.any():
        warn_degenerate(
            f"ICC(2) is undefined for {flat.sum()} scale(s): the team means are identical",
            statistic="icc2",
            code="identical_team_means",
            columns=np.flatnonzero(flat),
            detail="ICC(2) is undefined: the team means are identical",
        )
        icc2 = np.where(flat, np.nan, icc2)
    fields = (icc1, icc2, icc1_adj, msb, msw, df_b, df_w, k, k0)
    return ICCResult(*(float(v[0]) if one_scale else v for v in fields))
