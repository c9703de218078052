"""The whole analysis of one closed wave (or any survey CSV), as a typed result.

:func:`analyze` runs a few named steps (prepare the answers, score the scales, team
statistics, reliability, agreement) and returns an :class:`Analysis`, whose
:meth:`Analysis.to_json` gives the JSON the app and ``trustsurvey analyze`` use.
Undefined statistics say why through :class:`trust.Reason` records, never through
warning text edited afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from trust._common import (
    Reason,
    as_float_2d,
    check_choice,
    check_confidence,
    collect_reasons,
    group_moments,
    team_index,
)
from trust.agreement import item_variances, rwg_from_variances
from trust.descriptives import team_summary
from trust.instrument import Instrument, Scale
from trust.multilevel import ICCResult, team_icc
from trust.reliability import (
    alpha_from_cov,
    item_rest_from_cov,
    omega_from_corr,
    omega_from_cov,
    pairwise_cov,
    pairwise_moments,
)
from trust.scoring import scores_from_answers

__all__ = ["Analysis", "ItemResult", "ScaleResult", "TeamResults", "analyze"]

RWG_NAN_POLICIES = ("omit", "listwise")
# Past this many teams x scales the team part of the JSON is built from whole columns.
TEAM_FIELDS = ("n", "mean", "sd", "ci_low", "ci_high", "rwg_j")


def _num(value):
    """A JSON number: Python float, None for NaN or infinity."""
    value = float(value)
    return value if math.isfinite(value) else None


def _json_cells(values: np.ndarray, integer: bool = False) -> list:
    """Nested lists of Python numbers, None where NaN, converted in one go."""
    finite = np.isfinite(values)
    out = np.where(finite, values, 0).astype(int if integer else float).astype(object)
    out[~finite] = None
    return out.tolist()


@dataclass(frozen=True)
class ItemResult:
    item_total_r: float  # corrected item-total r, NaN where undefined
    loading: float  # standardised one-factor loading, NaN where undefined


@dataclass(frozen=True)
class ScaleResult:
    role: str
    n_items: int
    n_respondents: int  # respondents with a scale score
    alpha: float
    alpha_ci_low: float
    alpha_ci_high: float
    omega_total: float  # as psych::omega: 1 - sum(psi) / sum(R)
    omega_model: float  # model-implied: (sum lambda)^2 / ((sum lambda)^2 + sum psi)
    icc1: float
    icc2: float
    icc1_adjusted: float
    mean_rwg_j: float  # mean of the teams' defined rwg(j)
    items: dict[str, ItemResult]

    def to_json(self) -> dict:
        out = {
            name: _num(getattr(self, name)) if isinstance(getattr(self, name), float) else None
            for name in ScaleResult.__dataclass_fields__
            if name not in ("role", "n_items", "n_respondents", "items")
        }
        return {
            "role": self.role,
            "n_items": self.n_items,
            "n_respondents": self.n_respondents,
            **out,
            "items": {
                key: {"item_total_r": _num(it.item_total_r), "loading": _num(it.loading)}
                for key, it in self.items.items()
            },
        }


@dataclass(frozen=True)
class TeamResults:
    """Per-team figures as arrays: rows are ``labels`` (sorted), columns the scales."""

    labels: np.ndarray  # team labels, sorted
    members: np.ndarray  # (n_teams,) respondents of each team
    team_size: np.ndarray  # (n_teams,) roster size, NaN where unknown
    n: np.ndarray  # (n_teams, n_scales) respondents with a score
    mean: np.ndarray
    sd: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    rwg_j: np.ndarray

    def to_json(self, scale_keys) -> dict:
        flat = [
            _json_cells(getattr(self, name).ravel(), integer=name == "n") for name in TEAM_FIELDS
        ]
        cells = [dict(zip(TEAM_FIELDS, values, strict=True)) for values in zip(*flat, strict=True)]
        members = self.members.tolist()
        roster = _json_cells(self.team_size, integer=True)
        k = len(scale_keys)
        # Building the JSON tree is the one walk over teams; every number was computed before.
        return {
            str(label): {
                "n": members[t],
                "team_size": roster[t],
                "scales": dict(zip(scale_keys, cells[t * k : (t + 1) * k], strict=True)),
            }
            for t, label in enumerate(self.labels.tolist())
        }


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyze` found; :meth:`to_json` gives it as JSON-ready dicts."""

    instrument_key: str
    instrument_version: str
    n_respondents: int
    n_teams: int
    confidence: float
    scales: dict[str, ScaleResult]
    teams: TeamResults
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def warnings(self) -> list[str]:
        """Every reason as one line naming its scale, sorted, each once."""
        return sorted(
            {
                r.message if r.scale is None else f"scale {r.scale!r}: {r.message}"
                for r in self.reasons
            }
        )

    @cached_property
    def _json(self) -> dict:
        return self.to_json()

    def to_json(self) -> dict:
        """The JSON document of ``trustsurvey analyze`` (a new dict each call)::

            {"n_respondents": int, "n_teams": int, "confidence": float,
             "instrument": {"key", "version"},
             "scales": {SCALE: {"role", "n_items", "n_respondents", "alpha",
                                "alpha_ci_low", "alpha_ci_high", "omega_total",
                                "omega_model", "icc1", "icc2", "icc1_adjusted",
                                "mean_rwg_j", "items": {ITEM: {"item_total_r", "loading"}}}},
             "teams": {TEAM: {"n", "team_size",
                              "scales": {SCALE: {"n", "mean", "sd", "ci_low",
                                                 "ci_high", "rwg_j"}}}},
             "warnings": [str, ...],
             "reasons": [{"scale", "statistic", "code", "items", "message"}, ...]}

        None stands for an undefined number.
        """
        return {
            "instrument": {"key": self.instrument_key, "version": self.instrument_version},
            "n_respondents": self.n_respondents,
            "n_teams": self.n_teams,
            "confidence": self.confidence,
            "scales": {key: scale.to_json() for key, scale in self.scales.items()},
            "teams": self.teams.to_json(list(self.scales)),
            "warnings": self.warnings,
            "reasons": [
                {
                    "scale": r.scale,
                    "statistic": r.statistic,
                    "code": r.code,
                    "items": list(r.items),
                    "message": r.message,
                }
                for r in sorted(
                    set(self.reasons), key=lambda r: (r.scale or "", r.statistic, r.code, r.message)
                )
            ],
        }

    def __getitem__(self, key: str):
        """``result["scales"]`` as on the dict :func:`analyze` used to return (read only)."""
        return self._json[key]

    def get(self, key: str, default=None):
        """``result.get("teams", {})`` as on the dict of earlier versions (read only)."""
        return self._json.get(key, default)


def _sizes_per_respondent(team_size, labels, inv):
    if team_size is None:
        return None
    if not isinstance(team_size, Mapping):
        raise TypeError(
            f"team_size must be a mapping of team label to roster size, "
            f"not {type(team_size).__name__}"
        )
    keys = np.array([str(k) for k in team_size], dtype=str)
    values = np.array(list(team_size.values()), dtype=object)
    if len(set(keys.tolist())) != len(keys):
        raise ValueError("team_size has two keys that read the same as text")
    try:
        sizes = values.astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError("team_size values must be whole numbers") from exc
    if (sizes < 1).any() or (sizes % 1 != 0).any():
        raise ValueError("team_size values must be positive whole numbers")
    per_team = np.full(labels.shape[0], np.nan)
    if keys.size:
        text = labels.astype(str)
        order = np.argsort(keys)
        pos = np.clip(np.searchsorted(keys[order], text), 0, keys.size - 1)
        found = keys[order][pos] == text
        per_team[found] = sizes[order][pos[found]]
    members = np.bincount(inv, minlength=labels.shape[0])
    over = per_team < members
    if over.any():
        t = int(np.argmax(over))
        raise ValueError(
            f"team_size of team {str(labels[t])!r} ({int(per_team[t])}) is smaller "
            f"than its {members[t]} respondents"
        )
    return per_team[inv]


@dataclass
class _Prepared:
    """The checked answers, and the order that sorts their rows by team."""

    answers: np.ndarray  # (n, k) the caller's answers, checked, as given (not reverse-keyed)
    order: np.ndarray  # rows sorted by team
    inv: np.ndarray  # team index of every sorted row
    labels: np.ndarray
    sizes: np.ndarray | None  # roster size per sorted row
    instrument: Instrument

    def block(self, items: slice) -> tuple[np.ndarray, np.ndarray]:
        """Answers to ``items`` (one scale) with rows sorted by team, reverse-keyed, and
        where they are missing. One scale at a time: the copies stay a few MB."""
        x = np.take(self.answers[:, items], self.order, axis=0)
        low, high = self.instrument.bounds()
        rev = self.instrument.reverse_mask()[items]
        if rev.any():  # as trust.reverse_key: x' = min + max - x
            x[:, rev] = (low + high)[items][rev] - x[:, rev]
        return x, np.isnan(x)


def _prepare(answers, team, instrument, team_size) -> _Prepared:
    """Validate, check the ranges, and find the order that sorts the rows by team."""
    x = as_float_2d(answers, "answers")
    items = instrument.items
    if x.shape[1] != len(items):
        raise ValueError(
            f"answers must have one column per instrument item ({len(items)}), not {x.shape[1]}"
        )
    labels, inv = team_index(team, x.shape[0])
    sizes = _sizes_per_respondent(team_size, labels, inv)
    low, high = instrument.bounds()
    # fmin/fmax skip NaN: two passes without temporaries; the culprit is found only on error.
    if x.shape[0] and (
        (np.fmin.reduce(x, axis=0) < low).any() or (np.fmax.reduce(x, axis=0) > high).any()
    ):
        r, c = np.argwhere((x < low) | (x > high))[0]
        raise ValueError(
            f"answers row {r}, item {items[c].key!r}: {x[r, c]:g} is outside "
            f"the response scale {low[c]:g}..{high[c]:g}"
        )
    # Rows sorted by team once: every per-team sum is then one np.add.reduceat.
    order = np.argsort(inv, kind="stable")
    sizes = None if sizes is None else sizes[order]
    return _Prepared(x, order, inv[order], labels, sizes, instrument)


def _attribute(found: list[Reason], scale_keys, scale: str | None = None) -> list[Reason]:
    """Reasons with their scale: the given one, or one per column they name."""
    out = []
    for r in found:
        if scale is not None or not r.columns:
            targets = [scale] if scale is not None else list(scale_keys)
        else:
            targets = [scale_keys[c] for c in r.columns]
        out += [Reason(r.statistic, r.code, r.message, r.items, (), key) for key in targets]
    return out


def _team_statistics(p: _Prepared, scores, scale_keys, confidence, reasons):
    """Team means, SDs and intervals, and ICC(1)/ICC(2), of every scale at once."""
    with collect_reasons() as found:
        # Integer team codes: the labels were sorted once, not again per statistic.
        icc = team_icc(scores, p.inv)
        summary = team_summary(scores, p.inv, team_size=p.sizes, confidence=confidence)
    reasons += _attribute(found, scale_keys)
    return icc, summary


def _scale_reliability(x, missing, scale: Scale, confidence):
    """Alpha, omega and item-total r of one scale, with the reasons of what is undefined."""
    # An item nobody (or one person) answered has no covariance: leave it out of the
    # scale's reliability rather than lose the whole scale.
    usable = x.shape[0] - missing.sum(axis=0) >= 2
    # respondents with at least one usable answer
    n_any = int((~missing[:, usable]).any(axis=1).sum())
    with collect_reasons() as found:
        if not usable.all():
            dropped = [repr(it.key) for it, ok in zip(scale.items, usable, strict=True) if not ok]
            found.append(
                Reason(
                    "alpha",
                    "item_too_few_answers",
                    f"item(s) {', '.join(dropped)} have fewer than two answers "
                    "and are left out of alpha and omega",
                    tuple(it.key for it, ok in zip(scale.items, usable, strict=True) if not ok),
                )
            )
            x, missing = x[:, usable], missing[:, usable]
        if missing.any():
            # psych::omega fits each pair's own Pearson r, not C_ij / sqrt(C_ii C_jj)
            cov, corr = pairwise_moments(x, missing)
        else:
            cov, corr = pairwise_cov(x, missing)[0], None
        kept = [item for item, ok in zip(scale.items, usable, strict=True) if ok]
        names = [repr(item.key) for item in kept]
        alpha = alpha_from_cov(cov, n_any, confidence)
        omega = omega_from_cov(cov, names) if corr is None else omega_from_corr(corr, names)
        item_r = np.full(len(scale.items), np.nan)
        loadings = np.full(len(scale.items), np.nan)
        if cov.shape[0] > 1:
            item_r[usable] = item_rest_from_cov(cov, names)
        loadings[usable] = omega.loadings
    key_of = {repr(item.key): item.key for item in scale.items}
    found = [
        Reason(r.statistic, r.code, r.message, tuple(key_of.get(i, i) for i in r.items))
        for r in found
    ]
    found += _negative_items(scale, item_r, loadings)
    return alpha, omega, item_r, loadings, found


def _negative_items(scale: Scale, item_r, loadings) -> list[Reason]:
    """A reason naming every item that goes against the rest of its scale."""
    against = (item_r < 0) | (loadings < 0)
    if not against.any():
        return []
    named = [
        f"{item.key!r} (item-total r {r:.2f}, loading {lam:.2f})"
        for item, r, lam, bad in zip(scale.items, item_r, loadings, against, strict=True)
        if bad
    ]
    return [
        Reason(
            "item",
            "negative_item",
            f"item(s) {', '.join(named)} go against the rest of the scale: a reverse-keyed "
            "item not marked reverse = true, or an item that measures something else",
            tuple(item.key for item, bad in zip(scale.items, against, strict=True) if bad),
        )
    ]


def _agreement(x, missing, inv, n_teams, scale: Scale, nan_policy, reasons):
    """rwg(j) of every team on one scale."""
    if nan_policy == "listwise":
        # as multilevel::rwg.j: respondents with a missing answer on the scale leave
        keep = ~missing.any(axis=1)
        count, _, ss = group_moments(x[keep], inv[keep], n_teams)
    else:
        count, _, ss = group_moments(x, inv, n_teams, missing=missing)
    with collect_reasons() as found:
        rwg, _, _ = rwg_from_variances(
            item_variances(count, ss), float(scale.response_scale.null_variance)
        )
    reasons += _attribute(found, None, scale.key)
    return rwg


def analyze(
    answers, team, instrument: Instrument, team_size=None, *, confidence=0.95, rwg_nan_policy="omit"
) -> Analysis:
    """Analyse every scale and every team of a survey in one pass.

    Parameters
    ----------
    answers : array_like, shape (n_respondents, n_items)
        Raw answers (not reverse-keyed) in ``instrument.items`` order; NaN marks a
        missing answer.
    team : array_like, shape (n_respondents,)
        Team label of every respondent.
    instrument : Instrument
        Scales, items, reverse keys and response scales (:func:`trust.load_instrument`).
    team_size : mapping, optional
        Roster size of teams, ``{team label: N}``; labels are matched as text. Teams
        with a known size get finite-population corrected intervals.
    confidence : float
        Level of every interval.
    rwg_nan_policy : {'omit', 'listwise'}
        Missing answers in rwg(j): ``'omit'`` (default) takes each item's variance
        from the members who answered it; ``'listwise'`` leaves out a respondent with
        any missing answer on the scale, as R's ``multilevel::rwg.j`` does (see
        :func:`trust.rwg_j`).

    Returns
    -------
    Analysis
        Typed: ``scales`` (:class:`ScaleResult` by scale key), ``teams``
        (:class:`TeamResults`, arrays of teams x scales), ``reasons`` (one
        :class:`trust.Reason` per undefined or doubtful statistic, with its scale
        and items). :meth:`Analysis.to_json` gives the JSON document (None where
        undefined); ``result["scales"]`` reads it as the dict of earlier versions.

    Raises
    ------
    ValueError
        ``answers`` does not have one column per instrument item or holds a value
        outside an item's response scale, ``team`` does not
        have one label per respondent, or ``team_size`` is smaller than a team's
        number of respondents.

    Notes
    -----
    Answers are reverse-keyed (:func:`trust.reverse_key`) and scored with the half
    rule (:func:`trust.scale_scores`). Per scale: Cronbach's alpha with Feldt's
    interval, McDonald's omega total and corrected item-total correlations, all from
    the pairwise-complete covariance matrix of its items (``nan_policy='pairwise'``;
    an item with fewer than two answers is left out of them, with a warning). Such a
    matrix need not be positive semi-definite: an item-total correlation it would put
    outside [-1, 1] is None, and an alpha above 1 is kept, each with a warning;
    ICC(1), ICC(2) and the adjusted-size ICC(1) of the scale scores
    (:func:`trust.team_icc`, ``nan_policy='omit'``); ``mean_rwg_j`` is the mean of the
    teams' defined rwg(j). Per team and scale: :func:`trust.team_summary` and
    :func:`trust.rwg_j` (``nan_policy='omit'``). ``n_respondents`` of a scale counts
    respondents with a scale score; a team's ``n`` counts its respondents. Degenerate
    statistics (a team of one, a constant item, ...) are NaN (None in JSON) and come
    with a :class:`trust.Reason` instead of a warning; ``to_json()["warnings"]`` says
    each in a line naming its scale (``"scale 'cohesion': rwg(j) is undefined for 1
    team(s) ..."``), sorted, once per scale. An item with a negative item-total r or
    loading (a reverse-keyed item left unreversed, or one that measures something
    else) is named in a reason of code ``'negative_item'``. Omega total is
    ``psych::omega``'s (:func:`trust.mcdonald_omega`), fitted with missing answers to
    each pair's own Pearson r. Nothing is suppressed for small teams: anonymity
    thresholds belong to the caller.

    Examples
    --------
    >>> from trust import analyze, parse_instrument
    >>> inst = parse_instrument({
    ...     "instrument": {"key": "mini", "version": "1", "name": "Mini"},
    ...     "response_scales": {"agree": {"min": 1, "max": 5}},
    ...     "scales": [{"key": "trust", "response_scale": "agree", "items": [
    ...         {"key": "t1"}, {"key": "t2"}, {"key": "t3", "reverse": True}]}]})
    >>> x = [[4, 5, 2], [4, 4, 1], [5, 5, 1], [2, 3, 4], [3, 2, 4], [2, 2, 5]]
    >>> out = analyze(x, ["a", "a", "a", "b", "b", "b"], inst, team_size={"a": 3})
    >>> t = out["teams"]["a"]["scales"]["trust"]
    >>> round(out["scales"]["trust"]["alpha"], 3), round(t["ci_low"], 3), round(t["ci_high"], 3)
    (0.948, 4.556, 4.556)
    """
    if not isinstance(instrument, Instrument):
        raise TypeError(f"instrument must be an Instrument, not {type(instrument).__name__}")
    confidence = check_confidence(confidence)
    check_choice(rwg_nan_policy, "rwg_nan_policy", RWG_NAN_POLICIES)
    p = _prepare(answers, team, instrument, team_size)
    n_teams = p.labels.shape[0]
    scale_keys = [scale.key for scale in instrument.scales]
    bounds = np.cumsum([0] + [len(s.items) for s in instrument.scales])
    scores = np.empty((p.answers.shape[0], len(instrument.scales)))
    rwg = np.empty((n_teams, len(instrument.scales)))
    reliability = []
    reasons: list[Reason] = []
    for s, scale in enumerate(instrument.scales):  # a handful of scales, not teams
        x, missing = p.block(slice(bounds[s], bounds[s + 1]))
        with collect_reasons() as found:
            scores[:, s] = scores_from_answers(x, missing, np.zeros(x.shape[1], dtype=int))[:, 0]
        reasons += _attribute(found, None, scale.key)
        rwg[:, s] = _agreement(x, missing, p.inv, n_teams, scale, rwg_nan_policy, reasons)
        alpha, omega, item_r, loadings, found = _scale_reliability(x, missing, scale, confidence)
        reasons += _attribute(found, None, scale.key)
        reliability.append((alpha, omega, item_r, loadings))
    icc, summary = _team_statistics(p, scores, scale_keys, confidence, reasons)
    scales = {
        scale.key: _scale_result(scale, *reliability[s], scores[:, s], icc, s, rwg[:, s])
        for s, scale in enumerate(instrument.scales)
    }
    teams = TeamResults(
        labels=p.labels,
        members=np.bincount(p.inv, minlength=n_teams),
        team_size=summary.team_size,
        n=summary.n,
        mean=summary.mean,
        sd=summary.sd,
        ci_low=summary.ci_low,
        ci_high=summary.ci_high,
        rwg_j=rwg,
    )
    return Analysis(
        instrument.key,
        instrument.version,
        int(p.answers.shape[0]),
        int(n_teams),
        confidence,
        scales,
        teams,
        tuple(reasons),
    )


def _scale_result(scale, alpha, omega, item_r, loadings, scores, icc: ICCResult, s, rwg):
    """One scale's :class:`ScaleResult`: its reliability, and its column of ICC and rwg(j)."""
    defined = np.isfinite(rwg)
    return ScaleResult(
        role=scale.role,
        n_items=len(scale.items),
        n_respondents=int((~np.isnan(scores)).sum()),
        alpha=float(alpha.alpha),
        alpha_ci_low=float(alpha.ci_low),
        alpha_ci_high=float(alpha.ci_high),
        omega_total=float(omega.omega_total),
        omega_model=float(omega.omega_model),
        icc1=float(icc.icc1[s]),
        icc2=float(icc.icc2[s]),
        icc1_adjusted=float(icc.icc1_adjusted[s]),
        mean_rwg_j=float(rwg[defined].mean()) if defined.any() else math.nan,
        items={
            item.key: ItemResult(float(item_r[i]), float(loadings[i]))
            for i, item in enumerate(scale.items)
        },
    )
