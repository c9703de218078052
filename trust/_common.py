"""Shared private helpers of trust/: argument checks, team indexing and the warning classes."""

from __future__ import annotations

import contextvars
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

__all__ = ["DegenerateDataWarning", "Reason"]

NAN_POLICIES = ("propagate", "raise", "omit")


class DegenerateDataWarning(RuntimeWarning):
    """Legal input on which a statistic is undefined (too few respondents, no variance, ...).

    The statistic comes back as ``nan`` and this warning says why.
    """


@dataclass(frozen=True)
class Reason:
    """Why a statistic is undefined or doubtful, as data rather than warning text.

    ``statistic`` names it (``'alpha'``, ``'omega'``, ``'item_total_r'``, ``'icc'``,
    ``'sd'``, ``'rwg_j'``, ``'item'``), ``code`` the cause (``'too_few_items'``,
    ``'no_variance'``, ``'not_psd'``, ``'heywood'``, ``'negative_item'``, ...),
    ``message`` says it in one English line, ``items`` names the items concerned,
    ``columns`` the score columns of a call over many scales at once (empty: all of
    them, or a call on one scale), and ``scale`` is filled in by :func:`trust.analyze`.
    """

    statistic: str
    code: str
    message: str
    items: tuple[str, ...] = ()
    columns: tuple[int, ...] = ()
    scale: str | None = None


_SINK: contextvars.ContextVar[list | None] = contextvars.ContextVar("trust_reasons", default=None)


@contextmanager
def collect_reasons():
    """Inside, degenerate-data reports go to the yielded list as :class:`Reason`s, not warnings."""
    found: list[Reason] = []
    token = _SINK.set(found)
    try:
        yield found
    finally:
        _SINK.reset(token)


def warn_degenerate(
    message: str,
    *,
    statistic: str = "",
    code: str = "",
    items=(),
    columns=(),
    detail: str | None = None,
) -> None:
    """Report an undefined statistic: a :class:`DegenerateDataWarning`, or a :class:`Reason`
    inside :func:`collect_reasons` (``detail``, when given, is its message: the text
    without counts that the columns already tell)."""
    sink = _SINK.get()
    if sink is None:
        warnings.warn(message, DegenerateDataWarning, stacklevel=3)
        return
    sink.append(
        Reason(
            statistic,
            code,
            detail if detail is not None else message,
            tuple(items),
            tuple(int(c) for c in columns),
        )
    )


def check_choice(value, name: str, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, not {value!r}")


def check_confidence(confidence) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)):
        raise TypeError(f"confidence must be a number, not {type(confidence).__name__}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")
    return float(confidence)


def as_float_2d(data, name: str) -> np.ndarray:
    """``data`` as a float (n, k) array; a 1-D input is one column."""
    try:
        arr = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array: {exc}") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (respondents x items), not {arr.ndim}-D")
    if np.isinf(arr).any():
        raise ValueError(f"{name} holds infinite values")
    return arr


def as_float_1d(data, name: str) -> np.ndarray:
    try:
        arr = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, not {arr.ndim}-D")
    if np.isinf(arr).any():
        raise ValueError(f"{name} holds infinite values")
    return arr


def check_nan(arr: np.ndarray, name: str, nan_policy: str) -> bool:
    """Apply the ``'raise'`` policy; return whether ``arr`` holds any NaN."""
    has_nan = bool(np.isnan(arr).any())
    if has_nan and nan_policy == "raise":
        raise ValueError(f"{name} contains NaN (nan_policy='raise')")
    return has_nan


def team_index(team, n: int, name: str = "team") -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique team labels and each row's index into them (length ``n``)."""
    labels = np.asarray(team)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(
            f"{name} must be 1-D with one label per respondent ({n}), not shape {labels.shape}"
        )
    if labels.dtype == object:
        if any(v is None for v in labels.tolist()):
            raise ValueError(f"{name} holds a missing (None) label")
        labels = labels.astype(str)
    elif labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError(f"{name} holds a missing (NaN) label")
    return np.unique(labels, return_inverse=True)


def group_sums(values: np.ndarray, inv: np.ndarray, n_teams: int) -> np.ndarray:
    """Column sums of ``values`` (n, k) within every team, shape (n_teams, k).

    One ``np.add.reduceat`` when the rows are sorted by team (as :func:`trust.analyze`
    sorts them), else one weighted ``np.bincount`` over the flattened array.
    """
    n, k = values.shape
    dtype = float if values.dtype == bool else None
    if n and n_teams and np.all(inv[1:] >= inv[:-1]):
        # Rows sorted by team: contiguous runs, summed in one pass.
        starts = np.searchsorted(inv, np.arange(n_teams))
        if np.all(np.diff(starts) > 0) and starts[-1] < n:
            return np.add.reduceat(values, starts, axis=0, dtype=dtype)
    flat = (inv[:, None] * k + np.arange(k)).ravel()
    return np.bincount(
        flat, weights=values.ravel().astype(float, copy=False), minlength=n_teams * k
    ).reshape(n_teams, k)


def column_centre(x: np.ndarray):
    """A point near each column's centre: the mean of its first answers (0 if none).

    Sums of squares taken around it stay free of cancellation.
    """
    head = x[:256]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nan_to_num(np.nanmean(head, axis=0)) if head.size else 0.0


def group_moments(x: np.ndarray, inv: np.ndarray, n_teams: int, missing=None, positions=None):
    """Answer count, mean and sum of squared deviations of every column within every team.

    NaN entries are left out. Two passes (Chan, Golub & LeVeque 1983,
    https://doi.org/10.1080/00031305.1983.10483115): the team means first, then the
    squared deviations from each team's own mean, so that a team far from the rest of
    its column (values near 1e6 with a spread of 0.01) keeps its spread; one pass of
    ``sum(x**2) - (sum x)**2 / n`` would cancel it to 0. ``missing``
    (``np.isnan(x)``) and ``positions`` (its rows and columns) may be passed when the
    caller has them already.
    """
    if missing is None:
        missing = np.isnan(x)
    shift = column_centre(x)
    # Answers are mostly present: zero and count what is missing from the NaN positions alone.
    if positions is None:
        positions = np.divmod(np.flatnonzero(missing), missing.shape[1])
    rows, cols = positions
    d = x - shift
    d[rows, cols] = 0.0
    k = x.shape[1]
    absent = np.bincount(inv[rows] * k + cols, minlength=n_teams * k).reshape(n_teams, k)
    count = np.bincount(inv, minlength=n_teams)[:, None] - absent.astype(float)
    total = group_sums(d, inv, n_teams)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_d = total / count
    # second pass: deviations from the team's own mean (0 where missing)
    d -= np.nan_to_num(mean_d)[inv]
    d[rows, cols] = 0.0
    d *= d
    ss = group_sums(d, inv, n_teams)
    mean = mean_d + shift
    # A team that answered alike can keep a residue of the mean's rounding: no variance.
    ss[(ss <= count * (4 * np.finfo(float).eps * np.abs(mean)) ** 2) | (count == 0)] = 0.0
    return count, mean, ss
