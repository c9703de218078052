"""Change between waves: per-team Welch interval and Hedges' g; difference in differences."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from trust._common import (
    NAN_POLICIES,
    as_float_1d,
    check_choice,
    check_confidence,
    check_nan,
    group_moments,
    team_index,
    warn_degenerate,
)

__all__ = [
    "DiDResult",
    "TeamChange",
    "difference_in_differences",
    "hedges_correction",
    "team_change",
]


class TeamChange(NamedTuple):
    team: np.ndarray  # sorted labels of the teams seen in either wave
    n_before: np.ndarray
    n_after: np.ndarray
    difference: np.ndarray  # mean after - mean before
    ci_low: np.ndarray
    ci_high: np.ndarray
    df: np.ndarray  # Welch-Satterthwaite degrees of freedom
    hedges_g: np.ndarray


class DiDResult(NamedTuple):
    effect: float  # mean change of treated teams - mean change of comparison teams
    ci_low: float
    ci_high: float
    se: float
    df: float
    n_treated: int
    n_comparison: int


def hedges_correction(df):
    """Exact small-sample correction J(df) of Hedges' g.

    Parameters
    ----------
    df : array_like
        Degrees of freedom :math:`m` of the pooled SD, :math:`n_1 + n_2 - 2` for two
        groups; the correction is defined for :math:`m > 1`.

    Returns
    -------
    ndarray or float
        :math:`J(m)`, of the shape of ``df`` (a NumPy float for a scalar): between 0
        and 1, rising to 1 as :math:`m` grows; NaN where ``df`` is NaN or at most 1.

    Notes
    -----
    :math:`J(m) = \\Gamma(m/2) / (\\sqrt{m/2}\\,\\Gamma((m-1)/2))` [1]_, close to
    :math:`1 - 3/(4m - 1)`. Multiplying Cohen's d by :math:`J(m)` removes its upward
    bias in small samples.

    References
    ----------
    .. [1] Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size
       and related estimators. *Journal of Educational Statistics*, 6(2), 107-128.
       https://doi.org/10.3102/10769986006002107

    Examples
    --------
    >>> from trust import hedges_correction
    >>> round(float(hedges_correction(10)), 4)
    0.9227
    """
    m = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        j = np.exp(special.gammaln(m / 2) - special.gammaln((m - 1) / 2)) / np.sqrt(m / 2)
    # gammaln takes log|Gamma|, which gives numbers below m = 1 where J has no meaning;
    # at m = inf the two gammaln are both inf, while J's limit is 1.
    return np.where(m > 1, np.where(np.isposinf(m), 1.0, j), np.nan)[()]


def team_change(before, team_before, after, team_after, *, confidence=0.95, nan_policy="omit"):
    """Change of every team's mean score between two waves, with a Welch interval and g.

    Parameters
    ----------
    before, after : array_like, shape (n_respondents,)
        One scale's scores of each wave's respondents; NaN marks a missing score.
    team_before, team_after : array_like
        Team label of every respondent of each wave.
    confidence : float
        Level of the interval, strictly between 0 and 1.
    nan_policy : {'omit', 'propagate', 'raise'}
        ``'omit'`` (default) leaves missing scores out; ``'propagate'`` gives NaN
        for a team with any missing score; ``'raise'`` refuses NaN.

    Returns
    -------
    TeamChange
        One entry per team seen in either wave (sorted); NaN where a wave has fewer
        than two scores for the team.

    Warns
    -----
    DegenerateDataWarning
        Teams without two scores in each wave, or without any variance, have NaN.

    Notes
    -----
    Respondents are anonymous, so the waves are independent samples. With means
    :math:`\\bar x_b, \\bar x_a`, variances :math:`s_b^2, s_a^2` and sizes
    :math:`n_b, n_a`, the Welch interval [1]_ is

    .. math:: (\\bar x_a - \\bar x_b) \\pm t_{1-\\gamma/2,\\nu}
              \\sqrt{s_a^2/n_a + s_b^2/n_b}, \\quad
              \\nu = \\frac{(s_a^2/n_a + s_b^2/n_b)^2}
              {\\frac{(s_a^2/n_a)^2}{n_a-1} + \\frac{(s_b^2/n_b)^2}{n_b-1}}

    and Hedges' g [2]_ is the standardised mean difference with the pooled SD and
    the exact small-sample correction :func:`hedges_correction` of
    :math:`m = n_a + n_b - 2`:

    .. math:: g = J(m)\\,\\frac{\\bar x_a - \\bar x_b}
              {\\sqrt{((n_a-1)s_a^2 + (n_b-1)s_b^2)/m}}

    References
    ----------
    .. [1] Welch, B. L. (1947). The generalization of 'Student's' problem when several
       different population variances are involved. *Biometrika*, 34(1-2), 28-35.
       https://doi.org/10.1093/biomet/34.1-2.28
    .. [2] Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size
       and related estimators. *Journal of Educational Statistics*, 6(2), 107-128.
       https://doi.org/10.3102/10769986006002107

    Examples
    --------
    >>> from trust import team_change
    >>> res = team_change([2, 3, 3, 4], ["a"] * 4, [3, 4, 4, 5, 4], ["a"] * 5)
    >>> res.difference, res.ci_low.round(3), res.ci_high.round(3), res.hedges_g.round(3)
    (array([1.]), array([-0.261]), array([2.261]), array([1.175]))
    """
    check_choice(nan_policy, "nan_policy", NAN_POLICIES)
    confidence = check_confidence(confidence)
    xb = as_float_1d(before, "before")
    xa = as_float_1d(after, "after")
    check_nan(xb, "before", nan_policy)
    check_nan(xa, "after", nan_policy)
    tb = np.asarray(team_before)
    ta = np.asarray(team_after)
    if tb.shape != xb.shape:
        raise ValueError(f"team_before must have one label per score ({xb.shape[0]})")
    if ta.shape != xa.shape:
        raise ValueError(f"team_after must have one label per score ({xa.shape[0]})")
    both = np.concatenate(
        [tb.astype(str) if tb.dtype == object else tb, ta.astype(str) if ta.dtype == object else ta]
    )
    labels, inv = team_index(both, both.shape[0], "team_before/team_after")
    t = labels.shape[0]
    x = np.full((both.shape[0], 2), np.nan)
    x[: xb.shape[0], 0] = xb
    x[xb.shape[0] :, 1] = xa
    count, mean, ss = group_moments(x, inv, t)
    if nan_policy == "propagate":
        rows = np.zeros((both.shape[0], 2))
        rows[: xb.shape[0], 0] = 1
        rows[xb.shape[0] :, 1] = 1
        members = np.stack(
            [np.bincount(inv, weights=rows[:, c], minlength=t) for c in (0, 1)], axis=1
        )
        mean[count < members] = np.nan
    # nb, na: scores per team before/after; vb, va: squared standard errors; m: pooled df
    nb, na = count[:, 0], count[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = ss / (count - 1)
        vb, va = var[:, 0] / nb, var[:, 1] / na
        diff = mean[:, 1] - mean[:, 0]
        se = np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))  # ref.[1]
        half = special.stdtrit(df, 0.5 + confidence / 2) * se
        m = nb + na - 2
        pooled = np.sqrt((ss[:, 0] + ss[:, 1]) / m)
        g = hedges_correction(m) * diff / pooled  # ref.[2]
    bad = (nb < 2) | (na < 2) | ~(se > 0) | np.isnan(diff)
    if bad.any():
        warn_degenerate(
            f"change is undefined for {bad.sum()} team(s) without two scores "
            "in each wave or without variance"
        )
    diff, half, df, g = (np.where(bad, np.nan, v) for v in (diff, half, df, g))
    return TeamChange(labels, nb.astype(int), na.astype(int), diff, diff - half, diff + half, df, g)


def difference_in_differences(before, after, treated, *, confidence=0.95, nan_policy="omit"):
    """An intervention's effect: treated teams' change minus comparison teams' change.

    Parameters
    ----------
    before, after : array_like, shape (n_teams,)
        Every team's mean score in the wave before and the wave after the
        intervention; NaN where a team has no mean in a wave.
    treated : array_like of bool, shape (n_teams,)
        True for the teams that had the intervention; the others are the comparison.
    confidence : float
        Level of the interval, strictly between 0 and 1.
    nan_policy : {'omit', 'propagate', 'raise'}
        ``'omit'`` (default) leaves out teams missing a wave; ``'propagate'`` returns
        NaN if any team misses one; ``'raise'`` refuses NaN.

    Returns
    -------
    DiDResult
        ``(effect, ci_low, ci_high, se, df, n_treated, n_comparison)``.

    Warns
    -----
    DegenerateDataWarning
        No treated or no comparison team, fewer than three teams in all, or no
        variation of the changes; the effect's interval is NaN.

    Notes
    -----
    With team changes :math:`\\Delta_j = \\bar y_{j,after} - \\bar y_{j,before}`, the
    difference in differences [1]_ is
    :math:`\\hat\\delta = \\bar\\Delta_T - \\bar\\Delta_C`. Collapsing to one change per
    team and comparing the two groups of changes is the inference Bertrand, Duflo &
    Mullainathan recommend for few groups [2]_: the interval is the
    pooled-variance two-sample t interval on the changes,

    .. math:: \\hat\\delta \\pm t_{1-\\gamma/2,\\,m_T+m_C-2}\\, s_p
              \\sqrt{1/m_T + 1/m_C}

    so that one treated team is judged against how much comparison teams' changes
    vary by themselves (sampling noise and drift included).

    References
    ----------
    .. [1] Angrist, J. D., & Pischke, J.-S. (2009). *Mostly harmless econometrics: An
       empiricist's companion*, ch. 5.2. Princeton University Press.
       https://doi.org/10.1515/9781400829828
    .. [2] Bertrand, M., Duflo, E., & Mullainathan, S. (2004). How much should we trust
       differences-in-differences estimates? *The Quarterly Journal of Economics*,
       119(1), 249-275. https://doi.org/10.1162/003355304772839588

    Examples
    --------
    >>> from trust import difference_in_differences
    >>> res = difference_in_differences([3.0, 3.2, 3.1, 2.9], [3.8, 3.3, 3.0, 3.1],
    ...                                 [True, False, False, False])
    >>> round(res.effect, 3), round(res.ci_low, 3), round(res.ci_high, 3)
    (0.733, -0.026, 1.492)
    """
    check_choice(nan_policy, "nan_policy", NAN_POLICIES)
    confidence = check_confidence(confidence)
    yb = as_float_1d(before, "before")
    ya = as_float_1d(after, "after")
    tr = np.asarray(treated)
    if tr.dtype != bool:
        raise TypeError(f"treated must be an array of bool, not {tr.dtype}")
    if not (yb.shape == ya.shape == tr.shape):
        raise ValueError(
            "before, after and treated must have one entry per team "
            f"(shapes {yb.shape}, {ya.shape}, {tr.shape})"
        )
    has_nan = check_nan(yb, "before", nan_policy) | check_nan(ya, "after", nan_policy)
    delta = ya - yb
    if has_nan and nan_policy == "propagate":
        return DiDResult(np.nan, np.nan, np.nan, np.nan, np.nan, int(tr.sum()), int((~tr).sum()))
    keep = ~np.isnan(delta)
    # d_t, d_c: changes of treated and comparison teams; m_t, m_c: how many of each
    d_t, d_c = delta[keep & tr], delta[keep & ~tr]
    m_t, m_c = d_t.size, d_c.size
    if m_t == 0 or m_c == 0:
        warn_degenerate("difference in differences needs a treated and a comparison team")
        return DiDResult(np.nan, np.nan, np.nan, np.nan, np.nan, m_t, m_c)
    effect = d_t.mean() - d_c.mean()  # ref.[1]
    df = m_t + m_c - 2
    ss = ((d_t - d_t.mean()) ** 2).sum() + ((d_c - d_c.mean()) ** 2).sum()
    se = np.sqrt(ss / df * (1 / m_t + 1 / m_c)) if df > 0 else np.nan
    if not se > 0:
        warn_degenerate("the effect's interval needs three teams with varying changes")
        return DiDResult(float(effect), np.nan, np.nan, float(se), float(df), m_t, m_c)
    half = special.stdtrit(df, 0.5 + confidence / 2) * se
    return DiDResult(
        float(effect), float(effect - half), float(effect + half), float(se), float(df), m_t, m_c
    )
