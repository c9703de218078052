"""Scale reliability: Cronbach's alpha with Feldt's interval, McDonald's omega, item-total r."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from trust._common import (
    as_float_2d,
    check_choice,
    check_confidence,
    check_nan,
    column_centre,
    warn_degenerate,
)

__all__ = [
    "AlphaResult",
    "OmegaResult",
    "cronbach_alpha",
    "item_total_correlations",
    "mcdonald_omega",
]

RELIABILITY_NAN_POLICIES = ("pairwise", "omit", "propagate", "raise")

# Relative size of rounding residue: sums of covariances this close to 0 (against the
# items' total variance) are 0, and correlations this close past +-1 are +-1.
ROUNDING = 1e-10
NOT_PSD = (
    "the pairwise covariance matrix is not positive semi-definite (its entries come "
    "from different respondents)"
)


class AlphaResult(NamedTuple):
    alpha: float
    ci_low: float
    ci_high: float
    n: int  # respondents behind the interval


class OmegaResult(NamedTuple):
    omega_total: float  # 1 - sum(psi) / sum(R), as psych::omega
    loadings: np.ndarray  # standardised one-factor loadings, one per item
    uniquenesses: np.ndarray  # 1 - loading**2
    omega_model: float = np.nan  # (sum lambda)^2 / ((sum lambda)^2 + sum psi), model-implied


def _prepare(answers, nan_policy):
    check_choice(nan_policy, "nan_policy", RELIABILITY_NAN_POLICIES)
    x = as_float_2d(answers, "answers")
    has_nan = check_nan(x, "answers", nan_policy)
    if has_nan and nan_policy == "omit":
        x = x[~np.isnan(x).any(axis=1)]
    return x


def pairwise_cov(x: np.ndarray, missing=None) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete covariance matrix (ddof=1) and pair counts, by matrix products.

    Equals ``pandas.DataFrame.cov()``: every entry uses the rows where both items
    were answered. Entries with fewer than two such rows are NaN.
    """
    n, k = x.shape
    if missing is None:
        missing = np.isnan(x)
    centre = column_centre(x)
    # z = [x0, m]: answers centred (which keeps the sums of squares away from cancellation)
    # with 0 for missing, and the answered indicator; one Gram matrix z'z holds all sums.
    z = np.empty((n, 2 * k))
    # A plain subtraction and then zeros where missing: faster than a masked subtraction.
    np.subtract(x, centre, out=z[:, :k])
    np.copyto(z[:, :k], 0.0, where=missing)
    np.logical_not(missing, out=z[:, k:])
    gram = z.T @ z
    q = gram[:k, :k]  # sums of products over the rows where both were answered
    s = gram[:k, k:]  # s[i, j]: sum of item i over the rows where j was answered too
    n_pair = gram[k:, k:]  # rows where both i and j were answered
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (q - s * s.T / n_pair) / (n_pair - 1)
    cov[n_pair < 2] = np.nan
    return cov, n_pair


def pairwise_corr(x: np.ndarray, missing=None) -> np.ndarray:
    """Pearson's r of every item pair on the rows where both were answered.

    As R's ``cor(x, use = "pairwise")`` (which ``psych::omega`` fits): each pair's own
    means and standard deviations, not :math:`C_{ij}/\\sqrt{C_{ii}C_{jj}}` from
    variances over everyone who answered one item. NaN for a pair with fewer than two
    such rows or no variance among them.
    """
    return pairwise_moments(x, missing)[1]


def pairwise_moments(x: np.ndarray, missing=None, chunk: int = 8192):
    """:func:`pairwise_cov` and :func:`pairwise_corr` from one pass over the answers.

    The sums are gathered over blocks of ``chunk`` rows, so that the working arrays stay
    a few MB whatever the number of respondents.
    """
    n, k = x.shape
    if missing is None:
        missing = np.isnan(x)
    centre = column_centre(x)
    # z = [x0, x0**2, m]: centred answers with 0 for missing, their squares, and the
    # answered indicator; z' z holds every pair's sums.
    gram = np.zeros((3 * k, 3 * k))
    z = np.empty((min(chunk, n), 3 * k))
    for start in range(0, n, chunk):  # blocks of rows bound the memory, not a row loop
        rows = slice(start, min(start + chunk, n))
        b = z[: rows.stop - rows.start]
        np.subtract(x[rows], centre, out=b[:, :k])
        np.copyto(b[:, :k], 0.0, where=missing[rows])
        np.multiply(b[:, :k], b[:, :k], out=b[:, k : 2 * k])
        np.logical_not(missing[rows], out=b[:, 2 * k :])
        gram += b.T @ b
    cross = gram[:k, :k]  # sum of x_i x_j over the rows where both were answered
    s = gram[:k, 2 * k :]  # s[i, j]: sum of x_i over the rows where j was answered too
    sq = gram[k : 2 * k, 2 * k :]  # sq[i, j]: sum of x_i**2 where j was answered too
    n_pair = gram[2 * k :, 2 * k :]
    with np.errstate(invalid="ignore", divide="ignore"):
        cov_sum = cross - s * s.T / n_pair
        cov = cov_sum / (n_pair - 1)
        var_i = sq - s * s / n_pair  # item i's sum of squares on the pair's rows
        r = cov_sum / np.sqrt(var_i * var_i.T)
    cov[n_pair < 2] = np.nan
    r[(n_pair < 2) | ~(var_i * var_i.T > 0)] = np.nan
    np.fill_diagonal(r, np.where(np.diag(n_pair) >= 2, 1.0, np.nan))
    return cov, np.clip(r, -1.0, 1.0)


def _correlation(x: np.ndarray, nan_policy: str) -> np.ndarray:
    if nan_policy == "pairwise":
        return pairwise_corr(x)
    if x.shape[0] < 2:
        return np.full((x.shape[1], x.shape[1]), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.corrcoef(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _covariance(x: np.ndarray, nan_policy: str) -> np.ndarray:
    if nan_policy == "pairwise":
        return pairwise_cov(x)[0]
    if x.shape[0] < 2:
        return np.full((x.shape[1], x.shape[1]), np.nan)
    return np.cov(x, rowvar=False, ddof=1).reshape(x.shape[1], x.shape[1])


def alpha_from_cov(cov: np.ndarray, n: int, confidence: float = 0.95) -> AlphaResult:
    """Alpha and its Feldt interval from a covariance matrix of ``n`` respondents."""
    k = cov.shape[0]
    if k < 2:
        warn_degenerate(
            "Cronbach's alpha needs at least two items", statistic="alpha", code="too_few_items"
        )
        return AlphaResult(np.nan, np.nan, np.nan, n)
    total = cov.sum()
    if not np.isfinite(total) or n < 2:
        warn_degenerate(
            "Cronbach's alpha is undefined: an item pair has fewer than two answers",
            statistic="alpha",
            code="too_few_answers",
        )
        return AlphaResult(np.nan, np.nan, np.nan, n)
    tol = ROUNDING * np.trace(cov)
    if total < -tol:
        warn_degenerate(
            f"Cronbach's alpha is undefined: the total score's variance comes out "
            f"negative ({total:.3g}); {NOT_PSD}",
            statistic="alpha",
            code="not_psd",
        )
        return AlphaResult(np.nan, np.nan, np.nan, n)
    if total <= tol:
        warn_degenerate(
            "Cronbach's alpha is undefined: the total score has no variance",
            statistic="alpha",
            code="no_variance",
        )
        return AlphaResult(np.nan, np.nan, np.nan, n)
    alpha = k / (k - 1) * (1 - np.trace(cov) / total)  # ref.[1]
    if alpha > 1 + ROUNDING:
        # A covariance matrix of real scores gives 1'C1 <= k tr C, so alpha <= 1. The value is
        # kept, as pingouin and psych::alpha report it, but it is no reliability.
        warn_degenerate(
            f"Cronbach's alpha is {alpha:.3f}, above 1, which no reliability can be: {NOT_PSD}",
            statistic="alpha",
            code="above_one",
        )
    df1 = n - 1
    df2 = df1 * (k - 1)
    tail = (1 - confidence) / 2
    # fdtri is what scipy.stats.f.isf computes (its ppf at 1 - q), without importing scipy.stats
    low = 1 - (1 - alpha) * special.fdtri(df1, df2, 1 - tail)  # ref.[2]
    high = 1 - (1 - alpha) * special.fdtri(df1, df2, tail)
    # Pairwise-complete covariances can give alpha > 1, where 1 - alpha changes sign and the
    # two ends swap; the interval is reported low to high either way.
    low, high = min(low, high), max(low, high)
    return AlphaResult(float(alpha), float(low), float(high), int(n))


def cronbach_alpha(answers, *, confidence=0.95, nan_policy="pairwise"):
    """Cronbach's alpha of one scale, with Feldt's F-based confidence interval.

    Parameters
    ----------
    answers : array_like, shape (n_respondents, n_items)
        One scale's answers, already reverse-keyed; NaN marks a missing answer.
    confidence : float
        Level of the interval, strictly between 0 and 1.
    nan_policy : {'pairwise', 'omit', 'propagate', 'raise'}
        ``'pairwise'`` (default, as pingouin and R's ``psych::alpha``) builds each
        covariance from the respondents who answered both items, and counts every
        respondent with at least one answer in ``n``; ``'omit'`` drops respondents
        with any missing answer (listwise); ``'propagate'`` returns NaN if any answer
        is missing; ``'raise'`` refuses NaN.

    Returns
    -------
    AlphaResult
        ``(alpha, ci_low, ci_high, n)``.

    Warns
    -----
    DegenerateDataWarning
        Fewer than two items or respondents, a total score without variance, or (with
        ``'pairwise'``) a negative total-score variance; the result is NaN. Also when
        alpha exceeds 1 (only possible with ``'pairwise'``), which is then returned
        as computed.

    Notes
    -----
    With :math:`k` items, item covariance matrix :math:`C` [1]_:

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 -
              \\frac{\\operatorname{tr} C}{\\mathbf 1^T C \\mathbf 1}\\right)

    A covariance matrix of complete answers is positive semi-definite, so
    :math:`\\mathbf 1^T C \\mathbf 1 \\le k\\,\\lambda_{max} \\le k \\operatorname{tr} C` and
    :math:`\\alpha \\le 1`. Pairwise-complete covariances come from different
    respondents and need not form such a matrix: alpha can then exceed 1, or the
    total score's variance come out negative. Alpha above 1 is returned as computed
    (as pingouin and R's ``psych::alpha`` do, and its Feldt interval ordered low to
    high), with a warning that it is not a reliability; a negative total variance
    gives NaN. ``nan_policy='omit'`` always gives a consistent matrix.

    Feldt's interval [2]_ uses :math:`(1-\\alpha)/(1-\\hat\\alpha) \\sim F(n-1, (n-1)(k-1))`:
    the bounds are :math:`1 - (1-\\hat\\alpha) F_{1-\\gamma/2}` and
    :math:`1 - (1-\\hat\\alpha) F_{\\gamma/2}` for :math:`\\gamma = 1 -` ``confidence``.

    References
    ----------
    .. [1] Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
       *Psychometrika*, 16(3), 297-334. https://doi.org/10.1007/BF02310555
    .. [2] Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
       coefficient alpha. *Applied Psychological Measurement*, 11(1), 93-103.
       https://doi.org/10.1177/014662168701100107

    Examples
    --------
    >>> from trust import cronbach_alpha
    >>> x = [[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 5], [5, 4, 4]]
    >>> res = cronbach_alpha(x)
    >>> round(res.alpha, 4), round(res.ci_low, 4), round(res.ci_high, 4)
    (0.9141, 0.5658, 0.9904)
    """
    confidence = check_confidence(confidence)
    x = _prepare(answers, nan_policy)
    if nan_policy == "propagate" and np.isnan(x).any():
        return AlphaResult(np.nan, np.nan, np.nan, x.shape[0])
    n = int((~np.isnan(x)).any(axis=1).sum())
    return alpha_from_cov(_covariance(x, nan_policy), n, confidence)


def item_rest_from_cov(cov: np.ndarray, names=None) -> np.ndarray:
    """Corrected item-total correlations from an item covariance matrix.

    NaN, with a :class:`DegenerateDataWarning` that names the items (``names``, by
    default ``column 0``, ``column 1``, ...), where an item or its rest score has no
    variance or too few answers, and where the matrix is not positive semi-definite
    for that item: the correlation would leave [-1, 1] or the rest score's variance
    come out negative.
    """
    k = cov.shape[0]
    names = [f"column {i}" for i in range(k)] if names is None else list(names)
    row = cov.sum(axis=1)
    diag = np.diag(cov)
    cov_rest = row - diag  # cov(x_i, sum of the other items)
    var_rest = cov.sum() - 2 * row + diag
    tol = ROUNDING * np.trace(cov)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov_rest / np.sqrt(diag * var_rest)  # ref.[1]
    undefined = ~np.isfinite(cov_rest + var_rest) | ~(diag > tol) | (np.abs(var_rest) <= tol)
    negative = ~undefined & (var_rest < 0)
    outside = ~undefined & ~negative & (np.abs(r) > 1 + ROUNDING)
    if undefined.any():
        warn_degenerate(
            "item-total correlation is undefined for "
            f"{', '.join(np.array(names)[undefined])}: the item or the rest of the "
            "scale has no variance or too few answers",
            statistic="item_total_r",
            code="no_variance",
            items=np.array(names)[undefined].tolist(),
        )
    if negative.any() or outside.any():
        found = [
            f"{name} (rest-score variance {v:.3g})" if neg else f"{name} (r = {x:.3f})"
            for name, neg, out, v, x in zip(names, negative, outside, var_rest, r, strict=True)
            if neg or out
        ]
        warn_degenerate(
            f"item-total correlation is undefined for {', '.join(found)}: {NOT_PSD}",
            statistic="item_total_r",
            code="not_psd",
            items=np.array(names)[negative | outside].tolist(),
        )
    # What is left past +-1 is rounding: a correlation of exactly collinear items.
    r = np.clip(r, -1.0, 1.0)
    r[undefined | negative | outside] = np.nan
    return r


def item_total_correlations(answers, *, nan_policy="pairwise"):
    """Corrected item-total correlation of every item: r with the sum of the other items.

    Parameters
    ----------
    answers : array_like, shape (n_respondents, n_items)
        One scale's answers, already reverse-keyed; NaN marks a missing answer.
    nan_policy : {'pairwise', 'omit', 'propagate', 'raise'}
        As in :func:`cronbach_alpha`: ``'pairwise'`` (default) derives every
        correlation from the pairwise-complete covariance matrix, ``'omit'`` drops
        respondents with a missing answer, ``'propagate'`` returns NaN for every item
        if any answer is missing, ``'raise'`` refuses NaN.

    Returns
    -------
    ndarray, shape (n_items,)
        Each item's correlation with the sum of the others, in [-1, 1].

    Warns
    -----
    DegenerateDataWarning
        Naming the items (``column 0``, ``column 1``, ...) whose correlation is NaN:
        an item without variance, a rest score without variance, too few answers, or
        (with ``'pairwise'``) a covariance matrix that is not positive
        semi-definite, where the formula would give a correlation outside [-1, 1]
        or a negative variance of the rest score.

    Notes
    -----
    For item :math:`i` and rest score :math:`R_i = \\sum_{j \\ne i} x_j`, with item
    covariance matrix :math:`C` [1]_:

    .. math:: r_{i,R_i} = \\frac{\\sum_{j\\ne i} C_{ij}}
              {\\sqrt{C_{ii}\\,\\sum_{j\\ne i}\\sum_{l \\ne i} C_{jl}}}

    which, without missing answers, is the Pearson correlation of :math:`x_i` and
    :math:`R_i`. Removing the item from the total avoids the part-whole inflation.
    Pairwise-complete covariances come from different respondents and need not form
    a positive semi-definite matrix; the formula can then give values past
    :math:`\\pm 1`, which are no correlations and come back as NaN.

    References
    ----------
    .. [1] Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric theory* (3rd ed.).
       McGraw-Hill. ISBN 978-0-07-047849-7.

    Examples
    --------
    >>> from trust import item_total_correlations
    >>> x = [[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 5], [5, 4, 4]]
    >>> item_total_correlations(x).round(4)
    array([0.915 , 0.8402, 0.8132])
    """
    x = _prepare(answers, nan_policy)
    if nan_policy == "propagate" and np.isnan(x).any():
        return np.full(x.shape[1], np.nan)
    return item_rest_from_cov(_covariance(x, nan_policy))


def _minres_objective(corr: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Half the sum over i < j of (r_ij - lam_i lam_j)^2, for every row of ``lam`` (m, k)."""
    resid = corr - lam[:, :, None] * lam[:, None, :]
    diag = np.diagonal(resid, axis1=1, axis2=2)
    # Each off-diagonal pair appears twice in the full sum.
    return 0.25 * ((resid**2).sum(axis=(1, 2)) - (diag**2).sum(axis=1))


def _one_factor_starts(corr: np.ndarray) -> np.ndarray:
    """Starting loadings: principal axes, first principal component, one marker per item."""
    k = corr.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            smc = 1 - 1 / np.diag(np.linalg.inv(corr))
        except np.linalg.LinAlgError:
            smc = np.full(k, np.nan)
    # A singular R (collinear items, fewer respondents than items) has no SMC; the largest
    # absolute correlation of each item is the classic stand-in.
    largest = np.abs(corr - np.eye(k)).max(axis=0)
    smc = np.where(np.isfinite(smc) & (smc >= 0) & (smc <= 1), smc, largest)
    starts = np.empty((k + 2, k))
    for row, diag in enumerate((smc, np.ones(k))):  # principal axes, principal component
        eigval, eigvec = np.linalg.eigh(corr - np.diag(1 - diag))
        starts[row] = eigvec[:, -1] * np.sqrt(max(eigval[-1], 1e-6))
    # Item i as a marker (loading 1, so lam_j = r_ij fits its row exactly): the local minima
    # of a poor fit differ in which item sits at the bound.
    starts[2:] = corr
    starts[2:][np.diag_indices(k)] = 1.0
    return np.clip(starts, -1.0, 1.0)


def _one_factor_minres(corr: np.ndarray, max_iter: int = 100) -> np.ndarray:
    """Loadings in [-1, 1] of one factor minimising the squared off-diagonal residuals.

    Projected Newton (Bertsekas 1982, ref. [4] of :func:`mcdonald_omega`) from every
    start of :func:`_one_factor_starts` at once, as one batch of small arrays; the
    lowest objective wins.
    """
    k = corr.shape[0]
    lam = _one_factor_starts(corr)
    m = lam.shape[0]
    diag = np.eye(k, dtype=bool)
    off = np.where(diag, 0.0, corr)
    steps = 0.5 ** np.arange(24)
    f = _minres_objective(corr, lam)
    done = np.zeros(m, dtype=bool)
    rows = np.arange(m)
    for _ in range(max_iter):  # Newton iterations of the whole batch, about ten
        outer = lam[:, :, None] * lam[:, None, :]
        resid = np.where(diag, 0.0, off - outer)  # E: residuals off the diagonal
        # F = sum_{i<j} E_ij^2 / 2: gradient -E lam; Hessian lam lam' - E off the diagonal,
        # sum_{j != i} lam_j^2 on it.
        grad = -np.einsum("mij,mj->mi", resid, lam)
        hess = outer - resid
        hess[:, diag] = (lam**2).sum(axis=1, keepdims=True) - lam**2
        # A loading at a bound whose gradient points out of the box stays there.
        held = ((lam >= 1) & (grad < 0)) | ((lam <= -1) & (grad > 0))
        grad_free = np.where(held, 0.0, grad)
        done |= np.abs(grad_free).max(axis=1) < 1e-10
        if done.all():
            break
        hess = np.where(held[:, :, None] | held[:, None, :], 0.0, hess)
        hess[:, diag] += held
        # Past a saddle or a maximum the Hessian is indefinite: shift it to positive definite.
        low = np.linalg.eigvalsh(hess)[:, 0]
        shift = np.where(low < 1e-8, 1e-8 - low + 1e-6 * np.abs(hess).max(axis=(1, 2)), 0.0)
        hess[:, diag] += shift[:, None]
        step = -np.linalg.solve(hess, grad_free[:, :, None])[:, :, 0]  # ref.[4]
        # Armijo backtracking along the projection arc, every step length at once.
        trial = np.clip(lam[:, None, :] + steps[None, :, None] * step[:, None, :], -1.0, 1.0)
        f_trial = _minres_objective(corr, trial.reshape(-1, k)).reshape(m, -1)
        descent = ((trial - lam[:, None, :]) * grad[:, None, :]).sum(axis=2)
        accept = (f_trial <= f[:, None] + 1e-4 * descent) & (f_trial < f[:, None]) & ~done[:, None]
        moved = accept.any(axis=1)
        pick = accept.argmax(axis=1)
        lam = np.where(moved[:, None], trial[rows, pick], lam)
        f = np.where(moved, f_trial[rows, pick], f)
        done |= ~moved  # no step lowers the objective: converged to rounding
    # Near-ties (the same minimum reached from two starts) go to the earliest start.
    best = int(np.argmax(f <= f.min() + 1e-12 * (1 + f.min())))
    lam = lam[best]
    return lam if lam.sum() >= 0 else -lam


def omega_from_corr(corr: np.ndarray, names=None) -> OmegaResult:
    """Omega total (as ``psych::omega``) and the model-implied omega from a correlation matrix.

    ``names`` label the items in the warning of a Heywood case (default ``column 0``,
    ``column 1``, ...).
    """
    k = corr.shape[0]
    nan_result = OmegaResult(np.nan, np.full(k, np.nan), np.full(k, np.nan), np.nan)
    if k < 3:
        warn_degenerate(
            "omega needs at least three items: a one-factor model of fewer items is not identified",
            statistic="omega",
            code="too_few_items",
        )
        return nan_result
    if not np.all(np.isfinite(corr)):
        warn_degenerate(
            "omega is undefined: an item has no variance or too few answers",
            statistic="omega",
            code="no_variance",
        )
        return nan_result
    lam = _one_factor_minres(corr)
    psi = 1 - lam**2
    heywood = psi <= ROUNDING
    if heywood.any():
        names = [f"column {i}" for i in range(k)] if names is None else list(names)
        warn_degenerate(
            f"omega and loadings are doubtful: the one-factor fit puts the loading "
            f"of {', '.join(np.array(names)[heywood])} at the bound of 1 "
            "(uniqueness 0, a Heywood case); too few respondents, or items that "
            "do not measure one factor",
            statistic="omega",
            code="heywood",
            items=np.array(names)[heywood].tolist(),
        )
    omega = 1 - psi.sum() / corr.sum()  # ref.[2] (psych::omega's omega.tot)
    common = lam.sum() ** 2
    model = common / (common + psi.sum())  # ref.[1]
    return OmegaResult(float(omega), lam, psi, float(model))


def omega_from_cov(cov: np.ndarray, names=None) -> OmegaResult:
    """:func:`omega_from_corr` of the correlations :math:`C_{ij}/\\sqrt{C_{ii}C_{jj}}`."""
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    if cov.shape[0] >= 3 and not np.all(sd > 0):
        corr = np.full_like(cov, np.nan)
    return omega_from_corr(corr, names)


def mcdonald_omega(answers, *, nan_policy="pairwise"):
    """McDonald's omega total of one scale from a one-factor model fitted by minres.

    Parameters
    ----------
    answers : array_like, shape (n_respondents, n_items)
        One scale's answers, already reverse-keyed; NaN marks a missing answer.
    nan_policy : {'pairwise', 'omit', 'propagate', 'raise'}
        As in :func:`cronbach_alpha`; ``'pairwise'`` (default) fits the model to
        Pearson's r of every item pair on the respondents who answered both, as R's
        ``cor(x, use = "pairwise")`` inside ``psych::omega``.

    Returns
    -------
    OmegaResult
        ``(omega_total, loadings, uniquenesses, omega_model)``; loadings are
        standardised and signed so that they sum to a non-negative number;
        ``omega_model`` is the model-implied omega (below).

    Warns
    -----
    DegenerateDataWarning
        Fewer than three items (the one-factor model is not identified), an item
        without variance, or too few answers; the result is NaN. Also a Heywood case,
        naming the items (``column 0``, ``column 1``, ...) whose loading is at the
        bound of 1 (uniqueness 0): omega and the loadings are then returned but
        doubtful.

    Notes
    -----
    The one-factor model :math:`R \\approx \\lambda\\lambda^T + \\Psi` is fitted to the
    item correlation matrix :math:`R` by minimum residuals [3]_: the loadings
    :math:`\\lambda \\in [-1, 1]^k` minimise :math:`F(\\lambda) = \\sum_{i<j}(r_{ij} -
    \\lambda_i\\lambda_j)^2`, and :math:`\\psi_i = 1 - \\lambda_i^2`.

    :math:`F` is not convex: when one factor fits poorly (small samples, items that
    are not one factor) it has several local minima, which mostly differ in which item
    sits at the bound. The fit therefore starts from the principal-axis solution
    (squared multiple correlations as communalities), the first principal component,
    and each item in turn as a marker (:math:`\\lambda_i = 1`, :math:`\\lambda_j =
    r_{ij}`), runs a projected Newton method [4]_ (analytic gradient and Hessian, the
    Hessian shifted to positive definite where needed, Armijo steps along the
    projection onto the box) from all of them at once, and keeps the lowest
    :math:`F`. A loading at the bound of 1 (:math:`\\psi_i = 0`) is a Heywood case: an
    item cannot be measured without error, so the model does not describe the data.

    Omega total is the share of the unit-weighted (standardised) total score's
    observed variance :math:`\\mathbf 1^T R \\mathbf 1` that is not unique variance, as
    ``psych::omega`` computes it [2]_ [5]_:

    .. math:: \\omega_t = 1 - \\frac{\\sum_i \\psi_i}{\\mathbf 1^T R \\mathbf 1}

    ``omega_model`` divides by the variance the model implies instead [1]_:

    .. math:: \\omega_m = \\frac{(\\sum_i \\lambda_i)^2}{(\\sum_i \\lambda_i)^2 + \\sum_i \\psi_i}

    The two agree when one factor reproduces :math:`R` exactly, and both equal alpha
    when all loadings are equal; on real data they differ by about 1e-4 to 3e-4.
    ``psych::omega`` flips items with a negative loading before summing :math:`R`
    (``flip = TRUE``); here the scale is taken as scored, and a negative loading is
    reported by :func:`trust.analyze` instead.

    References
    ----------
    .. [1] McDonald, R. P. (1999). *Test theory: A unified treatment*. Lawrence Erlbaum.
       https://doi.org/10.4324/9781410601087
    .. [2] Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the
       glb: Comments on Sijtsma. *Psychometrika*, 74(1), 145-154.
       https://doi.org/10.1007/s11336-008-9102-z
    .. [3] Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals
       (minres). *Psychometrika*, 31(3), 351-368. https://doi.org/10.1007/BF02289468
    .. [4] Bertsekas, D. P. (1982). Projected Newton methods for optimization problems with
       simple constraints. *SIAM Journal on Control and Optimization*, 20(2), 221-246.
       https://doi.org/10.1137/0320018
    .. [5] Revelle, W. (2022). psych: Procedures for psychological, psychometric, and
       personality research (R package version 2.2.9). Northwestern University.
       https://CRAN.R-project.org/package=psych

    Examples
    --------
    >>> import numpy as np
    >>> from trust import mcdonald_omega
    >>> rng = np.random.default_rng(0)
    >>> factor = rng.normal(size=(500, 1))
    >>> x = factor * [0.8, 0.7, 0.6, 0.5] + rng.normal(size=(500, 4)) * [0.6, 0.71, 0.8, 0.87]
    >>> res = mcdonald_omega(x)
    >>> round(res.omega_total, 3), res.loadings.round(2)
    (0.763, array([0.81, 0.72, 0.65, 0.48]))
    """
    x = _prepare(answers, nan_policy)
    k = x.shape[1]
    if nan_policy == "propagate" and np.isnan(x).any():
        return OmegaResult(np.nan, np.full(k, np.nan), np.full(k, np.nan))
    return omega_from_corr(_correlation(x, nan_policy))
