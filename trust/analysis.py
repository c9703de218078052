"""The whole analysis of one closed wave (or any survey CSV), as a JSON-ready dict."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np

from trust._common import (
    DegenerateDataWarning,
    as_float_2d,
    check_confidence,
    group_moments,
    team_index,
)
from trust.agreement import item_variances, rwg_from_variances
from trust.descriptives import team_summary
from trust.instrument import Instrument
from trust.multilevel import team_icc
from trust.reliability import (
    alpha_from_cov,
    item_rest_from_cov,
    omega_from_corr,
    omega_from_cov,
    pairwise_corr,
    pairwise_cov,
)
from trust.scoring import scores_from_answers

__all__ = ["analyze"]


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


@contextmanager
def _reasons(found: list, scale):
    """Collect the DegenerateDataWarnings raised inside as ``(scale, message)`` in ``found``.

    Other warnings are passed on.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegenerateDataWarning)
        yield
    for w in caught:
        if issubclass(w.category, DegenerateDataWarning):
            found.append((scale, str(w.message)))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _by_scale(found: list, keys, call, scores: np.ndarray):
    """``call(scores)`` on every scale's column at once, its warnings put in ``found`` by scale.

    Only when the joint call warns is it repeated on one column at a time, to tell which
    scales the warnings concern; the joint call's result is returned.
    """
    joint = []
    with _reasons(joint, None):
        result = call(scores)
    if joint:
        before = len(found)
        for s, key in enumerate(keys):
            with _reasons(found, key):
                call(scores[:, s : s + 1])
        if len(found) == before:  # nothing to attribute: keep the joint reasons as they are
            found.extend(joint)
    return result


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


def analyze(answers, team, instrument: Instrument, team_size=None, *, confidence=0.95) -> dict:
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

    Returns
    -------
    dict
        JSON-ready (Python floats and ints, None where undefined)::

            {"n_respondents": int, "n_teams": int, "confidence": float,
             "instrument": {"key", "version"},
             "scales": {SCALE: {"role", "n_items", "n_respondents", "alpha",
                                "alpha_ci_low", "alpha_ci_high", "omega_total",
                                "icc1", "icc2", "icc1_adjusted", "mean_rwg_j",
                                "items": {ITEM: {"item_total_r", "loading"}}}},
             "teams": {TEAM: {"n", "team_size",
                              "scales": {SCALE: {"n", "mean", "sd", "ci_low",
                                                 "ci_high", "rwg_j"}}}},
             "warnings": [str, ...]}

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
    statistics (a team of one, a constant item, ...) are None and the reasons are
    listed under ``"warnings"`` instead of being emitted, each naming its scale
    (``"scale 'cohesion': rwg(j) is undefined for 1 team(s) ..."``), sorted, and each
    once per scale. Nothing is suppressed for small teams: anonymity thresholds belong
    to the caller.

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
    x = as_float_2d(answers, "answers")
    items = instrument.items
    if x.shape[1] != len(items):
        raise ValueError(
            f"answers must have one column per instrument item ({len(items)}), not {x.shape[1]}"
        )
    labels, inv = team_index(team, x.shape[0])
    n_teams = labels.shape[0]
    sizes = _sizes_per_respondent(team_size, labels, inv)
    # Rows sorted by team once: every per-team sum below is then one np.add.reduceat.
    order = np.argsort(inv, kind="stable")
    inv = inv[order]
    x = x[order]
    sizes = None if sizes is None else sizes[order]
    low, high = instrument.bounds()
    # fmin/fmax skip NaN: two passes without temporaries; the culprit is found only on error.
    if x.shape[0] and (
        (np.fmin.reduce(x, axis=0) < low).any() or (np.fmax.reduce(x, axis=0) > high).any()
    ):
        r, c = np.argwhere((x < low) | (x > high))[0]
        value = x[r, c]
        r = int(order[r])  # the caller's row, not the sorted one
        raise ValueError(
            f"answers row {r}, item {items[c].key!r}: {value:g} is outside "
            f"the response scale {low[c]:g}..{high[c]:g}"
        )
    # The sorted copy is reverse-keyed in place, as trust.reverse_key does: x' = min + max - x.
    xr = x
    rev = instrument.reverse_mask()
    xr[:, rev] = (low + high)[rev] - xr[:, rev]
    scale_of_item = instrument.item_scale_index()
    missing = np.isnan(xr)
    # Answers are mostly present: several steps work from the positions of the missing ones.
    rows, cols = np.divmod(np.flatnonzero(missing), xr.shape[1])

    scale_keys = [scale.key for scale in instrument.scales]
    found = []  # (scale key or None, reason) of every undefined statistic
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegenerateDataWarning)
        scores = scores_from_answers(xr, missing, scale_of_item, positions=(rows, cols))
        # Integer team codes: the labels were sorted once above, not again per statistic.
        icc = _by_scale(found, scale_keys, lambda part: team_icc(part, inv), scores)
        summary = _by_scale(
            found,
            scale_keys,
            lambda part: team_summary(part, inv, team_size=sizes, confidence=confidence),
            scores,
        )
        count, _, ss = group_moments(xr, inv, n_teams, missing=missing, positions=(rows, cols))
        variances = item_variances(count, ss)
        bounds = np.cumsum([0] + [len(s.items) for s in instrument.scales])
        n_items = xr.shape[1]
        usable_items = xr.shape[0] - np.bincount(cols, minlength=n_items) >= 2
        n_scales = len(instrument.scales)
        keep = usable_items[cols]
        absent = np.bincount(
            rows[keep] * n_scales + scale_of_item[cols[keep]], minlength=xr.shape[0] * n_scales
        ).reshape(-1, n_scales)
        usable_per_scale = np.bincount(scale_of_item[usable_items], minlength=n_scales)
        # respondents with at least one usable answer, per scale
        n_any_by_scale = (absent < usable_per_scale).sum(axis=0)
        scales_out = {}
        rwg_by_scale = []
        for s, scale in enumerate(instrument.scales):  # a handful of scales, not teams
            with _reasons(found, scale.key):
                # An item nobody (or one person) answered has no covariance: leave it out of
                # the scale's reliability rather than lose the whole scale.
                block = slice(bounds[s], bounds[s + 1])
                usable = usable_items[block]
                if not usable.all():
                    dropped = [
                        repr(it.key) for it, ok in zip(scale.items, usable, strict=True) if not ok
                    ]
                    warnings.warn(
                        f"item(s) {', '.join(dropped)} have fewer than two answers "
                        "and are left out of alpha and omega",
                        DegenerateDataWarning,
                        stacklevel=1,
                    )
                if usable.all():
                    cov, _ = pairwise_cov(xr[:, block], missing[:, block])
                else:
                    cov, _ = pairwise_cov(xr[:, block][:, usable], missing[:, block][:, usable])
                n_any = int(n_any_by_scale[s])
                kept = [repr(item.key) for item, ok in zip(scale.items, usable, strict=True) if ok]
                alpha = alpha_from_cov(cov, n_any, confidence)
                sub_missing = missing[:, block][:, usable]
                if sub_missing.any():
                    # psych::omega fits each pair's own Pearson r, not C_ij / sqrt(C_ii C_jj)
                    omega = omega_from_corr(
                        pairwise_corr(xr[:, block][:, usable], sub_missing), kept
                    )
                else:
                    omega = omega_from_cov(cov, kept)
                item_r = np.full(len(scale.items), np.nan)
                loadings = np.full(len(scale.items), np.nan)
                if cov.shape[0] > 1:
                    item_r[usable] = item_rest_from_cov(cov, kept)
                loadings[usable] = omega.loadings
                null = float(scale.response_scale.null_variance)
                rwg, _, _ = rwg_from_variances(variances[:, block], null)
                rwg_by_scale.append(rwg)
            scales_out[scale.key] = {
                "role": scale.role,
                "n_items": len(scale.items),
                "n_respondents": int((~np.isnan(scores[:, s])).sum()),
                "alpha": _num(alpha.alpha),
                "alpha_ci_low": _num(alpha.ci_low),
                "alpha_ci_high": _num(alpha.ci_high),
                "omega_total": _num(omega.omega_total),
                "omega_model": _num(omega.omega_model),
                "icc1": _num(icc.icc1[s]),
                "icc2": _num(icc.icc2[s]),
                "icc1_adjusted": _num(icc.icc1_adjusted[s]),
                "mean_rwg_j": _num(np.nanmean(rwg)) if np.isfinite(rwg).any() else None,
                "items": {
                    item.key: {"item_total_r": _num(item_r[i]), "loading": _num(loadings[i])}
                    for i, item in enumerate(scale.items)
                },
            }
    found += [
        (None, str(w.message)) for w in caught if issubclass(w.category, DegenerateDataWarning)
    ]
    for w in caught:
        if not issubclass(w.category, DegenerateDataWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    # A statistic run on one scale's column counts "1 scale(s)": the scale is named instead.
    messages = sorted(
        {
            m if key is None else f"scale {key!r}: {m.replace(' for 1 scale(s)', '')}"
            for key, m in found
        }
    )

    columns = {
        "n": summary.n,
        "mean": summary.mean,
        "sd": summary.sd,
        "ci_low": summary.ci_low,
        "ci_high": summary.ci_high,
        "rwg_j": np.column_stack(rwg_by_scale),
    }
    names = list(columns)
    flat = [_json_cells(columns[name].ravel(), integer=name == "n") for name in names]
    cells = [
        {"n": n, "mean": mean, "sd": sd, "ci_low": low, "ci_high": high, "rwg_j": rwg}
        for n, mean, sd, low, high, rwg in zip(*flat, strict=True)
    ]
    members = np.bincount(inv, minlength=n_teams).tolist()
    roster = _json_cells(summary.team_size, integer=True)
    n_scales = len(scale_keys)
    # Building the JSON tree is the one walk over teams; every number was computed above.
    teams_out = {
        str(label): {
            "n": members[t],
            "team_size": roster[t],
            "scales": dict(zip(scale_keys, cells[t * n_scales : (t + 1) * n_scales], strict=True)),
        }
        for t, label in enumerate(labels.tolist())
    }
    return {
        "instrument": {"key": instrument.key, "version": instrument.version},
        "n_respondents": int(x.shape[0]),
        "n_teams": int(n_teams),
        "confidence": confidence,
        "scales": scales_out,
        "teams": teams_out,
        "warnings": messages,
    }
