"""One team's results in a closed wave: the team page (issue 10, point 3).

Read from the stored results of :mod:`surveys.services.results`; only the answer
distribution and the change between waves go back to the team's responses, and only on
scales where the team reached k (its numbers were stored). A team below k on every scale
gets a page with its response count and nothing else (anonymity invariant 2); comments
appear only for a team of at least k responses, shuffled and undated (invariant 4).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np

import trust
from surveys import instruments
from surveys.db import db
from surveys.models import Team, TeamScaleResult, Wave, wave_team
from surveys.services import readings, results

TRUST_SCALES = ("cognitive_trust", "affective_trust")
TREND_WAVES = 6  # the current wave and up to five before it


def result_source(result: TeamScaleResult | None) -> str | None:
    """'measured' or the kind of model estimate ('calibrated', 'uncalibrated'); None: no row.

    The trust model stores estimates as TeamScaleResult rows with ``estimate`` set; rows
    from before that column existed (or from a branch without it) were all measured.
    """
    if result is None:
        return None
    return getattr(result, "estimate", None) or "measured"


@dataclass(frozen=True)
class ScaleLine:
    """A team's stored result on one scale, with what the page says about it."""

    scale: trust.Scale
    result: TeamScaleResult | None
    shown: bool
    ci_low: float | None  # clipped to the response range
    ci_high: float | None
    clipped: bool
    agreement: readings.Agreement
    counts: tuple[int, ...] | None  # scale scores per response option; None when hidden
    source: str | None
    # The scale's reliability in this wave, when the viewer may see scale-level results.
    reliability: readings.Reliability | None = None

    @property
    def low_agreement(self) -> bool:
        return readings.low_agreement(self.agreement)


@dataclass(frozen=True)
class Change:
    difference: float
    ci_low: float
    ci_high: float

    @property
    def clear(self) -> bool:
        """The interval excludes zero."""
        return self.ci_low > 0 or self.ci_high < 0


@dataclass(frozen=True)
class TrendCell:
    mean: float | None  # None: hidden (below k) or not in that wave's instrument
    ci_low: float | None
    ci_high: float | None
    change: Change | None  # against the previous wave of the row above, when both shown


@dataclass(frozen=True)
class TrendRow:
    wave: Wave
    cells: dict[str, TrendCell]


@dataclass(frozen=True)
class TeamPage:
    wave: Wave
    team: Team
    n: int
    hidden: bool
    scales: list[ScaleLine]  # every scale but the two kinds of trust
    trust: list[ScaleLine]  # measured, estimated, or absent (result None)
    trend: list[TrendRow]  # oldest first, ending with this wave
    comments: list[str]


def team_page(wave: Wave, team: Team, with_reliability: bool = False) -> TeamPage:
    """Everything the team page shows for ``team`` in the closed ``wave``.

    ``with_reliability`` adds each scale's alpha/omega reading; scale-level results pool
    every shown team of the wave, so they are for users who manage all of its teams, as on
    the wave page.
    """
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    row = next(iter(results.team_table(wave, {team.id})), None)
    stored = row.scales if row else {}
    hidden = row is None or row.hidden(wave.k)
    scores = None if hidden else _scores(wave, team.id, instrument)
    scale_results = results.scale_table(wave) if with_reliability else {}
    lines = []
    for index, scale in enumerate(instrument.scales):
        line = _line(scale, stored.get(scale.key), wave.k, scores, index)
        found = scale_results.get(scale.key)
        if found is not None and found.n_respondents >= wave.k:
            line = dataclasses.replace(
                line,
                reliability=readings.reliability(
                    found.alpha, found.omega_total, found.item_total_r
                ),
            )
        lines.append(line)
    # Rows of scales the instrument does not hold: the trust model's estimates.
    for key in TRUST_SCALES:
        if key not in {s.key for s in instrument.scales} and key in stored:
            lines.append(_estimated_line(key, stored[key], wave.k, instrument))
    comments = [] if hidden else dict(results.team_comments(wave, {team.id})).get(team.name, [])
    return TeamPage(
        wave=wave,
        team=team,
        n=row.n if row else 0,
        hidden=hidden,
        scales=[line for line in lines if line.scale.key not in TRUST_SCALES],
        trust=_trust_lines(lines),
        trend=[] if hidden else _trend(wave, team, instrument),
        comments=comments,
    )


def _scores(wave: Wave, team_id: int, instrument: trust.Instrument) -> np.ndarray:
    """The team's scale scores in ``wave`` (respondents x scales of ``instrument``)."""
    answers, _ = results.answer_matrix(wave, instrument.item_keys, team_id)
    low, high = instrument.bounds()
    keyed = trust.reverse_key(answers, instrument.reverse_mask(), low, high)
    return trust.scale_scores(keyed, instrument.item_scale_index())


def _line(
    scale: trust.Scale,
    result: TeamScaleResult | None,
    k: int,
    scores: np.ndarray | None,
    index: int,
) -> ScaleLine:
    shown = result is not None and result.n >= k and result.mean is not None
    low, high = scale.response_scale.min, scale.response_scale.max
    ci_low, ci_high, clipped = readings.clip_interval(
        result.ci_low if shown else None, result.ci_high if shown else None, low, high
    )
    counts = None
    if shown and scores is not None:
        counts = tuple(int(c) for c in trust.score_distribution(scores[:, index], low, high))
    split = counts is not None and bool(trust.two_camps(np.array(counts)))
    return ScaleLine(
        scale=scale,
        result=result,
        shown=shown,
        ci_low=ci_low,
        ci_high=ci_high,
        clipped=clipped,
        agreement=readings.agreement(result.rwg_j if shown else None, split),
        counts=counts,
        source=result_source(result),
    )


def _estimated_line(
    key: str, result: TeamScaleResult, k: int, instrument: trust.Instrument
) -> ScaleLine:
    """A model estimate of a kind of trust: no answers behind it, so no distribution.

    The wave's instrument has no such scale; its name and range come from the shipped
    full instrument, whose outcome scales the model estimates.
    """
    scale = next(s for inst in instruments.shipped().values() for s in inst.scales if s.key == key)
    shown = result.n >= k and result.mean is not None
    ci_low, ci_high, clipped = readings.clip_interval(
        result.ci_low if shown else None,
        result.ci_high if shown else None,
        scale.response_scale.min,
        scale.response_scale.max,
    )
    return ScaleLine(
        scale=scale,
        result=result,
        shown=shown,
        ci_low=ci_low,
        ci_high=ci_high,
        clipped=clipped,
        agreement=readings.Agreement.UNDEFINED,
        counts=None,
        source=result_source(result),
    )


def _trust_lines(lines: list[ScaleLine]) -> list[ScaleLine]:
    return [line for line in lines if line.scale.key in TRUST_SCALES]


def _trend(wave: Wave, team: Team, instrument: trust.Instrument) -> list[TrendRow]:
    """This wave and the team's closed waves before it, with the change between neighbours.

    The change is trust's Welch interval on the two waves' scale scores
    (:func:`trust.team_change`), computed only where both waves showed the scale.
    """
    earlier = list(
        db.session.scalars(
            db.select(Wave)
            .join(wave_team, wave_team.c.wave_id == Wave.id)
            .where(
                wave_team.c.team_id == team.id,
                Wave.closed_at.is_not(None),
                Wave.id != wave.id,
                Wave.closed_at <= wave.closed_at,
            )
            .order_by(Wave.closed_at.desc(), Wave.id.desc())
            .limit(TREND_WAVES - 1)
        )
    )
    waves = [*reversed(earlier), wave]
    stored = {
        (r.wave_id, r.scale): r
        for r in db.session.scalars(
            db.select(TeamScaleResult).where(
                TeamScaleResult.team_id == team.id,
                TeamScaleResult.wave_id.in_([w.id for w in waves]),
            )
        )
    }
    keys = [s.key for s in instrument.scales]
    scores: dict[int, tuple[trust.Instrument, np.ndarray]] = {}
    rows: list[TrendRow] = []
    for position, current in enumerate(waves):
        cells = {}
        for key in keys:
            result = stored.get((current.id, key))
            # Estimates have no answers to compare: the trend shows measured means only.
            shown = (
                result_source(result) == "measured"
                and result.n >= current.k
                and result.mean is not None
            )
            if not shown:
                cells[key] = TrendCell(None, None, None, None)
                continue
            scale = instrument.scale(key)
            low, high, _ = readings.clip_interval(
                result.ci_low, result.ci_high, scale.response_scale.min, scale.response_scale.max
            )
            change = None
            if position and rows[-1].cells[key].mean is not None:
                change = _change(waves[position - 1], current, team.id, key, scores)
            cells[key] = TrendCell(result.mean, low, high, change)
        rows.append(TrendRow(current, cells))
    return rows


def _change(
    before: Wave,
    after: Wave,
    team_id: int,
    key: str,
    cache: dict[int, tuple[trust.Instrument, np.ndarray]],
) -> Change | None:
    pair = []
    for wave in (before, after):
        if wave.id not in cache:
            inst = instruments.get(wave.instrument_key, wave.instrument_version)
            cache[wave.id] = (inst, _scores(wave, team_id, inst))
        inst, scores = cache[wave.id]
        column = [s.key for s in inst.scales].index(key)
        pair.append(scores[:, column])
    with warnings.catch_warnings():
        # A team without variance in a wave has no interval: shown as no change figure.
        warnings.simplefilter("ignore", trust.DegenerateDataWarning)
        found = trust.team_change(
            pair[0], np.zeros(len(pair[0]), int), pair[1], np.zeros(len(pair[1]), int)
        )
    difference, low, high = (float(v[0]) for v in (found.difference, found.ci_low, found.ci_high))
    if np.isnan(difference) or np.isnan(low):
        return None
    return Change(difference, low, high)
