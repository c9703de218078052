"""Trust estimation: how the drivers explain cognition-based and affect-based trust.

Cognition-based trust is regressed on the drivers, affect-based trust on the drivers
plus cognition-based trust (McAllister 1995: cognitive trust is the foundation of
affective trust). The fitted model, or the documented theory defaults before any
calibration, then estimates both kinds of trust from driver scores alone (pulse
waves) and ranks which driver gap costs a team the most trust.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from trust._common import (
    as_float_1d,
    as_float_2d,
    check_choice,
    check_confidence,
    group_moments,
    team_index,
    warn_degenerate,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "DriverGaps",
    "RegressionFit",
    "TrustEstimate",
    "TrustModel",
    "default_trust_model",
    "estimate_trust",
    "fit_trust_model",
    "rank_driver_gaps",
]

# Theory defaults (used, labelled calibrated=False, until outcome items have been asked).
# McAllister (1995): reliable role performance and similarity ground cognition-based trust;
# interaction frequency, care shown in everyday contact and cognition-based trust itself
# ground affect-based trust. Openness (voice, mistakes discussed) follows Edmondson (1999);
# familiarity is the knowledge-based trust of Lewicki & Bunker (1996). Weights sum to 1,
# so an uncalibrated estimate is a weighted mean on the drivers' response scale.
DEFAULT_WEIGHTS = {
    "cognitive_trust": {
        "reliability": 0.40,
        "similarity": 0.20,
        "familiarity": 0.15,
        "openness": 0.15,
        "interaction": 0.10,
    },
    "affective_trust": {
        "cognitive_trust": 0.35,
        "familiarity": 0.20,
        "interaction": 0.20,
        "openness": 0.15,
        "similarity": 0.10,
        "reliability": 0.00,
    },
}


class RegressionFit(NamedTuple):
    predictors: tuple  # names, in column order
    weights: np.ndarray  # standardised regression weights (beta); theory weights if uncalibrated
    ci_low: np.ndarray  # percentile bootstrap interval of each weight (NaN if uncalibrated)
    ci_high: np.ndarray
    r_squared: float
    r_squared_ci_low: float
    r_squared_ci_high: float
    intercept: float  # raw-scale prediction: intercept + x @ slopes
    slopes: np.ndarray
    n: int  # rows (respondents or teams) behind the fit
    adjusted_r_squared: float = np.nan  # 1 - (1 - R^2)(n - 1)/(n - p - 1)


class TrustModel(NamedTuple):
    drivers: tuple  # driver names, the column order of every drivers array
    cognitive: RegressionFit  # cognitive trust ~ drivers
    affective: RegressionFit  # affective trust ~ drivers + cognitive trust (last predictor)
    calibrated: bool  # False: theory defaults, not fitted to outcome answers
    level: str  # 'individual', 'team' or 'theory'


class TrustEstimate(NamedTuple):
    cognitive: np.ndarray
    affective: np.ndarray
    calibrated: bool


class DriverGaps(NamedTuple):
    gap: np.ndarray  # team mean - organisation mean, (n_teams, n_drivers)
    impact: np.ndarray  # trust points (cognitive + affective) the gap is worth
    order: np.ndarray  # driver columns per team, most harmful impact first


def _theory_fit(predictors, weights) -> RegressionFit:
    nan = np.full(len(predictors), np.nan)
    w = np.asarray(weights, dtype=float)
    return RegressionFit(
        tuple(predictors), w, nan, nan.copy(), np.nan, np.nan, np.nan, 0.0, w.copy(), 0
    )


def default_trust_model(drivers=tuple(DEFAULT_WEIGHTS["cognitive_trust"])) -> TrustModel:
    """Theory-based trust model, labelled uncalibrated, for any subset of the five drivers.

    Parameters
    ----------
    drivers : sequence of str
        Driver scale keys, in the column order of the drivers arrays; each one of
        familiarity, similarity, interaction, openness, reliability.

    Returns
    -------
    TrustModel
        ``calibrated=False``, ``level='theory'``; the weights of
        :data:`DEFAULT_WEIGHTS` restricted to ``drivers`` and rescaled to sum to 1, so
        that an estimate is a weighted mean on the drivers' response scale.

    Notes
    -----
    The weights encode McAllister's model [1]_: reliability and similarity weigh most
    on cognition-based trust, interaction, familiarity and cognition-based trust
    itself on affect-based trust. They are an ordering of importance, not fitted
    numbers; :func:`fit_trust_model` replaces them once outcome items were asked.

    References
    ----------
    .. [1] McAllister, D. J. (1995). Affect- and cognition-based trust as foundations
       for interpersonal cooperation in organizations. *Academy of Management
       Journal*, 38(1), 24-59. https://doi.org/10.5465/256727

    Examples
    --------
    >>> from trust import default_trust_model
    >>> model = default_trust_model(["familiarity", "reliability"])
    >>> model.calibrated, model.cognitive.weights.round(3)
    (False, array([0.273, 0.727]))
    """
    names = tuple(drivers)
    unknown = [d for d in names if d not in DEFAULT_WEIGHTS["cognitive_trust"]]
    if unknown or not names:
        raise ValueError(
            f"drivers must be among {', '.join(DEFAULT_WEIGHTS['cognitive_trust'])}"
            f"; no theory default for {', '.join(map(repr, unknown)) or 'none'}"
        )
    cog = np.array([DEFAULT_WEIGHTS["cognitive_trust"][d] for d in names])
    aff = np.array(
        [DEFAULT_WEIGHTS["affective_trust"][d] for d in names]
        + [DEFAULT_WEIGHTS["affective_trust"]["cognitive_trust"]]
    )
    return TrustModel(
        names,
        _theory_fit(names, cog / cog.sum()),
        _theory_fit(names + ("cognitive_trust",), aff / aff.sum()),
        calibrated=False,
        level="theory",
    )


def _standardised_ols(corr, n_pred):
    """Standardised weights and R^2 of the last-but-target regression, batched over corr."""
    rxx = corr[..., :n_pred, :n_pred]
    rxy = corr[..., :n_pred, n_pred]
    beta = np.linalg.solve(rxx, rxy[..., None])[..., 0]  # ref.[2]
    return beta, (beta * rxy).sum(axis=-1)


def _corr_from_moments(mean, second):
    cov = second - mean[..., :, None] * mean[..., None, :]
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=-2, axis2=-1), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / (sd[..., :, None] * sd[..., None, :]), sd


def _bootstrap_corr(v, n_boot, rng, chunk=64, cluster=None):
    """Correlation matrices of ``n_boot`` resamples of the rows of ``v``, as weighted moments.

    With ``cluster`` (each row's cluster index 0..c-1) whole clusters are drawn with
    replacement and every row weighs as often as its cluster was drawn (ref.[4]).
    """
    n, q = v.shape
    units = n if cluster is None else int(cluster.max()) + 1
    out = np.empty((n_boot, q, q))
    for start in range(0, n_boot, chunk):  # chunks of resamples bound the memory, not a row loop
        b = min(chunk, n_boot - start)
        draws = rng.integers(0, units, size=(b, units))
        w = np.bincount((draws + units * np.arange(b)[:, None]).ravel(), minlength=b * units)
        w = w.reshape(b, units)
        if cluster is not None:
            w = w[:, cluster]  # ref.[4]: a row counts as often as its team was drawn
        w = w / w.sum(axis=1, keepdims=True)
        mean = w @ v
        second = np.einsum("bn,ni,nj->bij", w, v, v, optimize=True)
        out[start : start + b] = _corr_from_moments(mean, second)[0]
    return out


def _solve_safely(corr, n_pred):
    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            return _standardised_ols(corr, n_pred)
        except np.linalg.LinAlgError:
            beta = np.full(corr.shape[:-2] + (n_pred,), np.nan)
            r2 = np.full(corr.shape[:-2], np.nan)
            ok = np.isfinite(corr).all(axis=(-2, -1)) & (
                np.abs(np.linalg.det(np.nan_to_num(corr[..., :n_pred, :n_pred]))) > 1e-12
            )
            if ok.any():
                beta[ok], r2[ok] = _standardised_ols(corr[ok], n_pred)
            return beta, r2


def fit_trust_model(
    drivers,
    cognitive,
    affective,
    *,
    names=None,
    team=None,
    cluster=None,
    n_boot=2000,
    confidence=0.95,
    random_state=0,
    nan_policy="omit",
) -> TrustModel:
    """Fit how the drivers explain cognition-based and affect-based trust.

    Parameters
    ----------
    drivers : array_like, shape (n_respondents, n_drivers)
        Driver scale scores of every respondent.
    cognitive, affective : array_like, shape (n_respondents,)
        Cognition-based and affect-based trust scale scores.
    names : sequence of str, optional
        Driver names (default ``driver0``, ``driver1``, ...).
    team : array_like, shape (n_respondents,), optional
        If given, the model is fitted at team level, on team means (of the
        respondents with a score); otherwise on respondents' scores (individual
        level, the default, which has far more rows and measures how a person's view
        of the team goes with that person's trust).
    cluster : array_like, shape (n_respondents,), optional
        Team label of every respondent for an individual-level fit: the bootstrap
        then resamples whole teams (cluster bootstrap), since respondents of a team
        are not independent. Without it respondents are resampled one by one, and
        with clustered data the intervals come out too narrow (in a simulation with
        driver ICC .3, 95 % intervals of the weights covered 89-94 %). Ignored with
        ``team`` (team means are resampled as rows).
    n_boot : int
        Bootstrap resamples (of rows: respondents or teams) for the intervals; 0 skips.
    confidence : float
        Level of the percentile intervals.
    random_state : int or numpy.random.Generator
        Seed of the bootstrap, so that the same data give the same intervals.
    nan_policy : {'omit', 'raise'}
        ``'omit'`` (default) fits on the rows with every variable present
        (listwise); ``'raise'`` refuses NaN.

    Returns
    -------
    TrustModel
        ``calibrated=True``; ``level`` is ``'individual'`` or ``'team'``. Each fit
        carries R^2 and the adjusted R^2.

    Raises
    ------
    TypeError
        ``n_boot`` is not an integer (a float such as ``2000.0`` or a bool included), or
        ``confidence`` is not a number.
    ValueError
        ``n_boot`` is negative, ``confidence`` is not strictly between 0 and 1,
        ``nan_policy`` is unknown, the arrays or ``names`` do not match the drivers'
        rows and columns, or NaN meets ``nan_policy='raise'``.

    Warns
    -----
    DegenerateDataWarning
        Too few complete rows (at most the number of predictors + 1) or a variable
        without variance; the weights are NaN.

    Notes
    -----
    All variables are standardised, so with :math:`R_{xx}` the predictors'
    correlation matrix and :math:`r_{xy}` their correlations with the outcome, the
    least-squares weights and fit are [2]_

    .. math:: \\beta = R_{xx}^{-1} r_{xy}, \\qquad R^2 = r_{xy}^T \\beta

    for cognitive trust on the drivers and affective trust on the drivers plus
    cognitive trust [1]_. Raw-scale slopes are :math:`b_j = \\beta_j s_y / s_j` with
    intercept :math:`\\bar y - \\sum_j b_j \\bar x_j`, and the adjusted
    :math:`R^2_{adj} = 1 - (1 - R^2)(n - 1)/(n - p - 1)` for :math:`n` rows and
    :math:`p` predictors [2]_. Intervals are percentile bootstrap intervals [3]_
    from resampling rows with replacement, or whole teams when ``cluster`` is given
    [4]_; every resample's correlation matrix is computed at once from resampling
    weights.

    References
    ----------
    .. [1] McAllister, D. J. (1995). Affect- and cognition-based trust as foundations
       for interpersonal cooperation in organizations. *Academy of Management
       Journal*, 38(1), 24-59. https://doi.org/10.5465/256727
    .. [2] Cohen, J., Cohen, P., West, S. G., & Aiken, L. S. (2003). *Applied multiple
       regression/correlation analysis for the behavioral sciences* (3rd ed.).
       Lawrence Erlbaum. https://doi.org/10.4324/9780203774441
    .. [3] Efron, B., & Tibshirani, R. J. (1993). *An introduction to the bootstrap*.
       Chapman & Hall. https://doi.org/10.1007/978-1-4899-4541-9
    .. [4] Field, C. A., & Welsh, A. H. (2007). Bootstrapping clustered data. *Journal
       of the Royal Statistical Society: Series B*, 69(3), 369-390.
       https://doi.org/10.1111/j.1467-9868.2007.00593.x

    Examples
    --------
    >>> import numpy as np
    >>> from trust import fit_trust_model
    >>> rng = np.random.default_rng(1)
    >>> d = rng.normal(size=(400, 2))
    >>> cog = 0.6 * d[:, 0] + 0.2 * d[:, 1] + rng.normal(scale=0.7, size=400)
    >>> aff = 0.5 * cog + 0.3 * d[:, 1] + rng.normal(scale=0.7, size=400)
    >>> model = fit_trust_model(d, cog, aff, names=["reliability", "familiarity"], n_boot=200)
    >>> model.cognitive.weights.round(2), round(model.cognitive.r_squared, 2)
    (array([0.58, 0.2 ]), 0.37)
    """
    check_choice(nan_policy, "nan_policy", ("omit", "raise"))
    confidence = check_confidence(confidence)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)):
        raise TypeError(f"n_boot must be an integer, not {type(n_boot).__name__}")
    if n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, not {n_boot!r}")
    d = as_float_2d(drivers, "drivers")
    n, p = d.shape
    c = as_float_1d(cognitive, "cognitive")
    a = as_float_1d(affective, "affective")
    if c.shape[0] != n or a.shape[0] != n:
        raise ValueError(f"cognitive and affective must have one score per row of drivers ({n})")
    names = tuple(f"driver{j}" for j in range(p)) if names is None else tuple(names)
    if len(names) != p:
        raise ValueError(f"names must have one name per driver column ({p}), not {len(names)}")
    v = np.column_stack([d, c, a])
    if nan_policy == "raise" and np.isnan(v).any():
        raise ValueError("drivers, cognitive or affective contain NaN (nan_policy='raise')")
    level = "individual"
    groups = None
    if team is not None:
        labels, inv = team_index(team, n)
        _, v, _ = group_moments(v, inv, labels.shape[0])
        level = "team"
    elif cluster is not None:
        _, groups = team_index(cluster, n, "cluster")
    complete = ~np.isnan(v).any(axis=1)
    v = v[complete]
    if groups is not None:
        # clusters renumbered 0..c-1 among the complete rows
        groups = np.unique(groups[complete], return_inverse=True)[1]
    rows = v.shape[0]
    mean = v.mean(axis=0) if rows else np.full(p + 2, np.nan)
    corr, sd = _corr_from_moments(mean, v.T @ v / rows if rows else np.full((p + 2,) * 2, np.nan))
    degenerate = rows <= p + 2 or not np.all(sd > 0)
    if degenerate:
        warn_degenerate(
            "the trust model needs more complete rows than predictors + 1, and "
            "variance in every variable"
        )
        corr = np.full_like(corr, np.nan)
    rng = np.random.default_rng(random_state)
    boot = _bootstrap_corr(v, n_boot, rng, cluster=groups) if n_boot and not degenerate else None
    tail = (1 - confidence) / 2 * 100

    def fit(n_pred, target, predictors):
        sub = np.ix_(list(range(n_pred)) + [target], list(range(n_pred)) + [target])
        beta, r2 = _solve_safely(corr[sub], n_pred)
        if boot is not None:
            b_beta, b_r2 = _solve_safely(boot[(slice(None),) + sub], n_pred)
            lo, hi = np.nanpercentile(b_beta, [tail, 100 - tail], axis=0)
            r2_lo, r2_hi = np.nanpercentile(b_r2, [tail, 100 - tail])
        else:
            lo = hi = np.full(n_pred, np.nan)
            r2_lo = r2_hi = np.nan
        slopes = beta * sd[target] / sd[:n_pred]
        intercept = mean[target] - slopes @ mean[:n_pred]
        with np.errstate(invalid="ignore", divide="ignore"):
            adjusted = 1 - (1 - r2) * (rows - 1) / (rows - n_pred - 1)  # ref.[2]
        return RegressionFit(
            predictors,
            beta,
            lo,
            hi,
            float(r2),
            float(r2_lo),
            float(r2_hi),
            float(intercept),
            slopes,
            rows,
            float(adjusted),
        )

    return TrustModel(
        names,
        fit(p, p, names),
        fit(p + 1, p + 1, names + ("cognitive_trust",)),
        calibrated=True,
        level=level,
    )


def estimate_trust(drivers, model: TrustModel) -> TrustEstimate:
    """Estimate cognition- and affect-based trust from driver scores alone (pulse waves).

    Parameters
    ----------
    drivers : array_like, shape (n, n_drivers)
        Driver scores (respondents or team means), columns in ``model.drivers`` order.
        A row with a missing driver gets NaN estimates (``nan_policy='propagate'``).
    model : TrustModel
        From :func:`fit_trust_model` or :func:`default_trust_model`.

    Returns
    -------
    TrustEstimate
        ``(cognitive, affective, calibrated)``; ``calibrated`` is the model's label,
        to be shown with the estimate.

    Notes
    -----
    :math:`\\hat c = a_c + x^T b_c` and :math:`\\hat a = a_a + x^T b_a + b_{ac} \\hat c`,
    with the raw-scale intercepts and slopes of the model [1]_. For the theory
    defaults the intercepts are 0 and the slopes are the weights, so the estimate is
    a weighted mean of the drivers on their response scale.

    References
    ----------
    .. [1] McAllister, D. J. (1995). Affect- and cognition-based trust as foundations
       for interpersonal cooperation in organizations. *Academy of Management
       Journal*, 38(1), 24-59. https://doi.org/10.5465/256727

    Examples
    --------
    >>> from trust import default_trust_model, estimate_trust
    >>> drivers = ["familiarity", "similarity", "interaction", "openness", "reliability"]
    >>> est = estimate_trust([[4, 4, 3, 3, 5]], default_trust_model(drivers))
    >>> est.cognitive.round(4), est.affective.round(4), est.calibrated
    (array([4.15]), array([3.7025]), False)
    """
    if not isinstance(model, TrustModel):
        raise TypeError(f"model must be a TrustModel, not {type(model).__name__}")
    x = as_float_2d(drivers, "drivers")
    if x.shape[1] != len(model.drivers):
        raise ValueError(
            f"drivers must have {len(model.drivers)} columns "
            f"({', '.join(model.drivers)}), not {x.shape[1]}"
        )
    cog = model.cognitive.intercept + x @ model.cognitive.slopes
    aff_slopes = model.affective.slopes
    aff = model.affective.intercept + x @ aff_slopes[:-1] + aff_slopes[-1] * cog
    return TrustEstimate(cog, aff, model.calibrated)


def rank_driver_gaps(team_drivers, org_drivers, model: TrustModel) -> DriverGaps:
    """Rank, for every team, which driver gap to the organisation costs the most trust.

    Parameters
    ----------
    team_drivers : array_like, shape (n_teams, n_drivers)
        Team mean driver scores, columns in ``model.drivers`` order.
    org_drivers : array_like, shape (n_drivers,)
        Organisation mean driver scores (the reference).
    model : TrustModel
        From :func:`fit_trust_model` or :func:`default_trust_model`.

    Returns
    -------
    DriverGaps
        ``gap`` and ``impact`` of shape (n_teams, n_drivers), and ``order``: per team
        the driver columns sorted from the most negative impact (the gap that costs
        the most trust) to the most positive. A missing gap (NaN) sorts last.

    Notes
    -----
    The impact of driver :math:`j` is its weight times its gap,
    :math:`(\\bar x_{team,j} - \\bar x_{org,j})\\,e_j`, where the weight :math:`e_j` is
    the driver's total raw-scale effect on cognitive plus affective trust,
    counting the path through cognitive trust [1]_:
    :math:`e_j = b_{c,j} + b_{a,j} + b_{ac} b_{c,j}`. It is the number of trust scale
    points the team would gain (negative impact) or lose by moving to the
    organisation mean on that driver.

    References
    ----------
    .. [1] Baron, R. M., & Kenny, D. A. (1986). The moderator-mediator variable
       distinction in social psychological research. *Journal of Personality and
       Social Psychology*, 51(6), 1173-1182. https://doi.org/10.1037/0022-3514.51.6.1173

    Examples
    --------
    >>> from trust import default_trust_model, rank_driver_gaps
    >>> model = default_trust_model(["familiarity", "openness", "reliability"])
    >>> res = rank_driver_gaps([[3.0, 3.5, 4.0]], [3.5, 3.6, 3.9], model)
    >>> res.impact.round(3), res.order
    (array([[-0.304, -0.054,  0.086]]), array([[0, 1, 2]]))
    """
    if not isinstance(model, TrustModel):
        raise TypeError(f"model must be a TrustModel, not {type(model).__name__}")
    t = as_float_2d(team_drivers, "team_drivers")
    o = as_float_1d(org_drivers, "org_drivers")
    p = len(model.drivers)
    if t.shape[1] != p or o.shape[0] != p:
        raise ValueError(f"team_drivers and org_drivers must have {p} driver columns")
    b_c = model.cognitive.slopes
    b_a = model.affective.slopes
    effect = b_c + b_a[:-1] + b_a[-1] * b_c  # total effect, ref.[1]
    gap = t - o
    impact = gap * effect
    order = np.argsort(np.where(np.isnan(impact), np.inf, impact), axis=1, kind="stable")
    return DriverGaps(gap, impact, order)
