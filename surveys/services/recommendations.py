"""Where to act: rules over one team's profile, ranked by the trust model's weight times the gap.

Pure functions over a :class:`TeamProfile` (no database, no Flask), so every rule can be
tested on a hand-made profile; :mod:`surveys.services.team_profiles` builds profiles from
stored results. The rules (DESIGN.md, Interventions):

- ``low``: a scale at least :data:`MIN_GAP` below the organisation's mean *and* below the
  absolute floor (the midpoint of its response scale, where answers turn from agreeing to
  disagreeing);
- ``drop``: a scale at least :data:`MIN_DROP` lower than in the team's previous wave, with
  the change's 95% interval below zero (as stored at close);
- ``agreement``: within-team agreement rwg(j) below :data:`LOW_AGREEMENT` on some scale, the
  upper end of "weak agreement" (LeBreton & Senter 2008, table 3): answers split, maybe into
  two camps (a finding in itself, DESIGN.md);
- ``affect_gap``: cognition-based trust at least :data:`AFFECT_GAP` above affect-based trust
  while affect-based trust is below the organisation's: people rely on each other's work
  without feeling close (McAllister 1995: cognitive trust is the foundation, affect does not
  follow by itself).

Each finding's score is the trust it costs: a driver's gap (points below the organisation,
or the drop) times its total effect on cognition- plus affect-based trust in the trust model
(:func:`trust.rank_driver_gaps`' weight); an outcome's gap counts one for one. Agreement's
shortfall is converted at one scale point per 0.5 of rwg(j) (the span from "weak" to
"none"), times the weight of the scale it is about. Findings about the same signal (a scale,
or agreement) merge into one recommendation with all their reasons; the :data:`MAX_PER_TEAM`
highest scores are kept. A team with fewer than k respondents gets none.

References
----------
LeBreton, J. M., & Senter, J. L. (2008). Answers to 20 questions about interrater reliability
and interrater agreement. *Organizational Research Methods*, 11(4), 815-852.
https://doi.org/10.1177/1094428106296642

McAllister, D. J. (1995). Affect- and cognition-based trust as foundations for interpersonal
cooperation in organizations. *Academy of Management Journal*, 38(1), 24-59.
https://doi.org/10.5465/256727
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

import trust

__all__ = [
    "DRIVERS",
    "OUTCOMES",
    "Reason",
    "Recommendation",
    "TeamProfile",
    "model_weights",
    "recommend",
]

DRIVERS = ("familiarity", "similarity", "interaction", "openness", "reliability")
OUTCOMES = ("cognitive_trust", "affective_trust")
MIN_GAP = 0.3
MIN_DROP = 0.3
LOW_AGREEMENT = 0.5
AFFECT_GAP = 0.5
MAX_PER_TEAM = 3
AGREEMENT_POINTS_PER_RWG = 2.0  # one scale point per 0.5 of rwg(j)


@dataclass(frozen=True)
class TeamProfile:
    """What the rules read about one team in one wave; scales missing from a map are unknown.

    ``means`` holds only scales shown for the team (at least k answers); ``organisation``
    the organisation's means; ``floor`` each scale's absolute floor; ``rwg`` within-team
    agreement; ``changes`` the change since the previous wave with its 95% interval,
    ``(change, ci_low, ci_high)``, the interval bounds None where unknown. The weights are each
    driver's effect on cognition-based trust and its total effect (through cognition-based
    trust too) on affect-based trust.
    """

    team: str
    n: int
    k: int
    means: Mapping[str, float]
    organisation: Mapping[str, float]
    floor: Mapping[str, float]
    rwg: Mapping[str, float] = field(default_factory=dict)
    changes: Mapping[str, tuple[float, float | None, float | None]] = field(default_factory=dict)
    cognitive_weights: Mapping[str, float] = field(default_factory=dict)
    affective_weights: Mapping[str, float] = field(default_factory=dict)
    calibrated: bool = False

    def weight(self, scale: str) -> float:
        """Trust points one point of this scale is worth; an outcome is worth itself."""
        if scale in OUTCOMES:
            return 1.0
        return self.cognitive_weights.get(scale, 0.0) + self.affective_weights.get(scale, 0.0)


@dataclass(frozen=True)
class Reason:
    """One rule's finding, with the numbers it names."""

    rule: str  # low | drop | agreement | affect_gap
    scale: str
    numbers: Mapping[str, float]
    strongest: str = ""  # "affective" or "cognitive": the scale is that outcome's top driver
    calibrated: bool = False  # the weights were fitted here, not the theory defaults


@dataclass(frozen=True)
class Recommendation:
    team: str
    signal: str  # a scale key, or "agreement": data-driver in the markup
    playbook: str
    score: float
    reasons: tuple[Reason, ...]

    def sentence(self, lang: str, names: Mapping[str, Mapping[str, str]]) -> str:
        """The reasons as plain sentences in ``lang`` ('en' or 'zh'), naming the numbers."""
        return " ".join(_sentence(reason, lang, names) for reason in self.reasons)


def model_weights(model: trust.TrustModel) -> tuple[dict[str, float], dict[str, float]]:
    """Each driver's raw-scale effect on cognitive trust, and its total effect on affective.

    The total effect on affect-based trust counts the path through cognition-based trust,
    :math:`b_{a,j} + b_{ac} b_{c,j}` (as :func:`trust.rank_driver_gaps` does).
    """
    b_c = np.asarray(model.cognitive.slopes, dtype=float)
    b_a = np.asarray(model.affective.slopes, dtype=float)
    affective = b_a[:-1] + b_a[-1] * b_c
    return (
        {d: float(w) for d, w in zip(model.drivers, b_c, strict=True)},
        {d: float(w) for d, w in zip(model.drivers, affective, strict=True)},
    )


def recommend(profile: TeamProfile, playbook_for: Mapping[str, str]) -> list[Recommendation]:
    """At most :data:`MAX_PER_TEAM` recommendations, most costly first; none below k.

    ``playbook_for`` maps a signal (a scale key or "agreement") to a playbook key; a signal
    without a playbook is not recommended on.
    """
    if profile.n < profile.k:
        return []
    found: list[tuple[float, str, Reason]] = []
    found += _low(profile)
    found += _drops(profile)
    found += _agreement(profile)
    found += _affect_gap(profile)
    merged: dict[str, tuple[float, list[Reason]]] = {}
    for score, signal, reason in found:
        best, reasons = merged.get(signal, (0.0, []))
        merged[signal] = (max(best, score), [*reasons, reason])
    ranked = sorted(
        ((score, signal, reasons) for signal, (score, reasons) in merged.items()),
        key=lambda entry: (-entry[0], entry[1]),
    )
    return [
        Recommendation(profile.team, signal, playbook_for[signal], score, tuple(reasons))
        for score, signal, reasons in ranked
        if signal in playbook_for and score > 0
    ][:MAX_PER_TEAM]


def _scales(profile: TeamProfile) -> list[str]:
    return [s for s in (*DRIVERS, *OUTCOMES) if s in profile.means]


def _strongest(profile: TeamProfile, scale: str) -> str:
    """Which outcome this driver weighs most on among all drivers, if any."""
    for kind, weights in (
        ("affective", profile.affective_weights),
        ("cognitive", profile.cognitive_weights),
    ):
        if weights and scale in weights and max(weights, key=weights.get) == scale:
            return kind
    return ""


def _low(profile: TeamProfile) -> list[tuple[float, str, Reason]]:
    out = []
    for scale in _scales(profile):
        mean, org = profile.means[scale], profile.organisation.get(scale)
        floor = profile.floor.get(scale)
        if org is None or floor is None:
            continue
        gap = org - mean
        if gap >= MIN_GAP and mean < floor:
            numbers = {"mean": mean, "organisation": org, "floor": floor}
            reason = Reason("low", scale, numbers, _strongest(profile, scale), profile.calibrated)
            out.append((profile.weight(scale) * gap, scale, reason))
    return out


def _drops(profile: TeamProfile) -> list[tuple[float, str, Reason]]:
    """A fall of at least MIN_DROP whose interval lies below zero (not sampling noise)."""
    out = []
    for scale in _scales(profile):
        if scale not in profile.changes:
            continue
        change, low, high = profile.changes[scale]
        if -change >= MIN_DROP and high is not None and high < 0:
            mean = profile.means[scale]
            numbers = {"before": mean - change, "mean": mean, "low": -high, "high": -low}
            out.append((profile.weight(scale) * -change, scale, Reason("drop", scale, numbers)))
    return out


def _agreement(profile: TeamProfile) -> list[tuple[float, str, Reason]]:
    """The scale of lowest agreement, if below the threshold: one finding per team."""
    low = [
        (rwg, scale)
        for scale, rwg in profile.rwg.items()
        if scale in _scales(profile) and rwg is not None and rwg < LOW_AGREEMENT
    ]
    if not low:
        return []
    rwg, scale = min(low)
    shortfall = (LOW_AGREEMENT - rwg) * AGREEMENT_POINTS_PER_RWG
    numbers = {"rwg": rwg, "threshold": LOW_AGREEMENT}
    return [(profile.weight(scale) * shortfall, "agreement", Reason("agreement", scale, numbers))]


def _affect_gap(profile: TeamProfile) -> list[tuple[float, str, Reason]]:
    cog = profile.means.get("cognitive_trust")
    aff = profile.means.get("affective_trust")
    org = profile.organisation.get("affective_trust")
    if cog is None or aff is None or org is None:
        return []
    if cog - aff >= AFFECT_GAP and aff < org:
        numbers = {"cognitive": cog, "affective": aff, "organisation": org}
        reason = Reason("affect_gap", "affective_trust", numbers)
        return [(cog - aff, "affective_trust", reason)]
    return []


def _n(value: float) -> str:
    # Two decimals: with one, 2.96 against a floor of 3.0 would read "3.0, below 3.0".
    return f"{value:.2f}"


def _rwg(value: float) -> str:
    return f"{value:.2f}"


def _sentence(reason: Reason, lang: str, names: Mapping[str, Mapping[str, str]]) -> str:
    name = names.get(reason.scale, {}).get(lang) or reason.scale
    x = reason.numbers
    zh = lang == "zh"
    if reason.rule == "low":
        where = {
            (False, True): " here",
            (False, False): " in the theory-based model",
            (True, True): "是这里",
            (True, False): "按理论模型是",
        }[(zh, reason.calibrated)]
        strongest = {
            ("affective", False): f"; the strongest driver of affect-based trust{where}",
            ("cognitive", False): f"; the strongest driver of cognition-based trust{where}",
            ("affective", True): f"；{where}情感型信任最强的驱动因素",
            ("cognitive", True): f"；{where}认知型信任最强的驱动因素",
        }.get((reason.strongest, zh), "")
        if zh:
            return (
                f"{name} {_n(x['mean'])}，组织平均 {_n(x['organisation'])}，"
                f"低于量表中点 {_n(x['floor'])}{strongest}。"
            )
        return (
            f"{name[:1].upper()}{name[1:]} {_n(x['mean'])}, organisation "
            f"{_n(x['organisation'])}, below the scale's midpoint {_n(x['floor'])}{strongest}."
        )
    if reason.rule == "drop":
        if zh:
            return (
                f"{name}比上一轮下降：从 {_n(x['before'])} 降到 {_n(x['mean'])}"
                f"（降幅的 95% 区间为 {_n(x['low'])} 至 {_n(x['high'])}）。"
            )
        return (
            f"{name[:1].upper()}{name[1:]} fell from {_n(x['before'])} to {_n(x['mean'])} "
            f"since the last wave (the fall's 95% interval {_n(x['low'])} to {_n(x['high'])})."
        )
    if reason.rule == "agreement":
        if zh:
            return (
                f"成员在{name}上的回答分歧很大（一致性 rwg(j) {_rwg(x['rwg'])}，"
                f"低于 {_rwg(x['threshold'])}）：团队里可能分成了两派。"
            )
        return (
            f"Answers on {name.lower()} are split (agreement rwg(j) {_rwg(x['rwg'])}, "
            f"below {_rwg(x['threshold'])}): the team may have two camps."
        )
    if zh:
        return (
            f"认知型信任 {_n(x['cognitive'])}，情感型信任却只有 {_n(x['affective'])}"
            f"（组织平均 {_n(x['organisation'])}）：大家信得过彼此的工作，彼此之间却不亲近。"
        )
    return (
        f"Cognition-based trust {_n(x['cognitive'])} but affect-based trust "
        f"{_n(x['affective'])} (organisation {_n(x['organisation'])}): people rely on each "
        "other's work without feeling close."
    )
