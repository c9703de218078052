"""Each recommendation rule on a hand-made team profile; ranking, the cap and the k rule.

Weights are the theory model's (trust.default_trust_model over the five drivers). Expected
scores are worked by hand from DEFAULT_WEIGHTS (cognitive: reliability .40, similarity .20,
familiarity .15, openness .15, interaction .10; affective: cognitive trust .35, familiarity
.20, interaction .20, openness .15, similarity .10, reliability 0): a driver's weight is
b_c + b_a + b_ac * b_c, e.g. familiarity .15 + .20 + .35 * .15 = .4025.
"""

from __future__ import annotations

import dataclasses

import pytest

import trust
from surveys.services.recommendations import (
    DRIVERS,
    TeamProfile,
    model_weights,
    recommend,
)

PLAYBOOK_FOR = {
    "familiarity": "rituals",
    "similarity": "goal_sharing",
    "interaction": "co_creation",
    "openness": "sunlight",
    "reliability": "group_review",
    "cognitive_trust": "group_review",
    "affective_trust": "rituals",
    "agreement": "heart_to_heart_conflict",
}
NAMES = {
    "familiarity": {"en": "Familiarity", "zh": "了解度"},
    "openness": {"en": "Openness", "zh": "开放度"},
    "interaction": {"en": "Interaction frequency", "zh": "互动频率"},
    "reliability": {"en": "Reliability", "zh": "可靠性"},
}
COGNITIVE, AFFECTIVE = model_weights(trust.default_trust_model(DRIVERS))
ORG = {s: 3.6 for s in (*DRIVERS, "cognitive_trust", "affective_trust")}
FLOOR = dict.fromkeys(ORG, 3.0)


def profile(**changes) -> TeamProfile:
    """A healthy team at the organisation's means, with agreement and nothing dropped."""
    base = TeamProfile(
        team="Alpha",
        n=8,
        k=5,
        means=dict(ORG),
        organisation=ORG,
        floor=FLOOR,
        rwg=dict.fromkeys(ORG, 0.8),
        changes={},
        cognitive_weights=COGNITIVE,
        affective_weights=AFFECTIVE,
    )
    return dataclasses.replace(base, **changes)


def test_model_weights_are_the_hand_worked_theory_weights():
    assert COGNITIVE["familiarity"] == pytest.approx(0.15)
    assert AFFECTIVE["familiarity"] == pytest.approx(0.20 + 0.35 * 0.15)
    assert AFFECTIVE["reliability"] == pytest.approx(0.35 * 0.40)


def test_a_healthy_team_gets_no_recommendation():
    assert recommend(profile(), PLAYBOOK_FOR) == []


def test_a_driver_low_against_the_organisation_and_below_the_floor_is_recommended_on():
    team = profile(means={**ORG, "familiarity": 2.1}, calibrated=True)
    [rec] = recommend(team, PLAYBOOK_FOR)
    assert (rec.signal, rec.playbook) == ("familiarity", "rituals")
    assert rec.score == pytest.approx((3.6 - 2.1) * (0.15 + 0.20 + 0.35 * 0.15))
    assert rec.sentence("en", NAMES) == (
        "Familiarity 2.10, organisation 3.60, below the scale's midpoint 3.00; "
        "the strongest driver of affect-based trust here."
    )
    assert rec.sentence("zh", NAMES) == (
        "了解度 2.10，组织平均 3.60，低于量表中点 3.00；是这里情感型信任最强的驱动因素。"
    )


def test_with_theory_weights_the_sentence_does_not_claim_the_weights_were_fitted_here():
    [rec] = recommend(profile(means={**ORG, "familiarity": 2.1}), PLAYBOOK_FOR)
    assert rec.sentence("en", NAMES).endswith(
        "the strongest driver of affect-based trust in the theory-based model."
    )
    assert rec.sentence("zh", NAMES).endswith("；按理论模型是情感型信任最强的驱动因素。")


def test_a_driver_below_the_organisation_but_above_the_floor_is_not_recommended_on():
    assert recommend(profile(means={**ORG, "familiarity": 3.1}), PLAYBOOK_FOR) == []


def test_a_driver_below_the_floor_everywhere_is_not_a_gap_against_the_organisation():
    low_everywhere = {**ORG, "openness": 2.8}
    team = profile(means=low_everywhere, organisation=low_everywhere)
    assert recommend(team, PLAYBOOK_FOR) == []


def test_a_drop_since_the_last_wave_is_recommended_on_with_both_numbers():
    team = profile(means={**ORG, "openness": 3.2}, changes={"openness": (-0.6, -0.95, -0.25)})
    [rec] = recommend(team, PLAYBOOK_FOR)
    assert (rec.signal, rec.playbook) == ("openness", "sunlight")
    assert rec.score == pytest.approx(0.6 * (0.15 + 0.15 + 0.35 * 0.15))
    assert rec.sentence("en", NAMES) == (
        "Openness fell from 3.80 to 3.20 since the last wave "
        "(the fall's 95% interval 0.25 to 0.95)."
    )
    assert rec.sentence("zh", NAMES) == (
        "开放度比上一轮下降：从 3.80 降到 3.20（降幅的 95% 区间为 0.25 至 0.95）。"
    )


def test_a_drop_whose_interval_reaches_zero_is_not_a_finding():
    team = profile(means={**ORG, "openness": 3.2}, changes={"openness": (-0.6, -1.3, 0.1)})
    assert recommend(team, PLAYBOOK_FOR) == []


def test_a_drop_smaller_than_the_minimum_is_not_a_finding():
    team = profile(means={**ORG, "openness": 3.4}, changes={"openness": (-0.2, -0.3, -0.1)})
    assert recommend(team, PLAYBOOK_FOR) == []


def test_low_agreement_names_the_scale_of_lowest_rwg_and_points_to_the_conflict_session():
    team = profile(rwg={**dict.fromkeys(ORG, 0.8), "openness": 0.45, "interaction": 0.21})
    [rec] = recommend(team, PLAYBOOK_FOR)
    assert (rec.signal, rec.playbook) == ("agreement", "heart_to_heart_conflict")
    assert rec.score == pytest.approx((0.5 - 0.21) * 2 * (0.10 + 0.20 + 0.35 * 0.10))
    assert rec.sentence("en", NAMES) == (
        "Answers on interaction frequency are split (agreement rwg(j) 0.21, below 0.50): "
        "the team may have two camps."
    )
    assert "互动频率" in rec.sentence("zh", NAMES) and "0.21" in rec.sentence("zh", NAMES)


def test_cognitive_trust_high_and_affective_low_is_recommended_on():
    team = profile(means={**ORG, "cognitive_trust": 4.1, "affective_trust": 3.4})
    [rec] = recommend(team, PLAYBOOK_FOR)
    assert (rec.signal, rec.playbook) == ("affective_trust", "rituals")
    assert rec.score == pytest.approx(4.1 - 3.4)
    assert rec.sentence("en", NAMES).startswith(
        "Cognition-based trust 4.10 but affect-based trust 3.40 (organisation 3.60)"
    )


def test_affective_below_cognitive_but_above_the_organisation_is_not_a_finding():
    team = profile(means={**ORG, "cognitive_trust": 4.5, "affective_trust": 3.8})
    assert recommend(team, PLAYBOOK_FOR) == []


def test_at_most_three_ranked_by_weight_times_gap_and_one_per_signal():
    means = {
        **ORG,
        "familiarity": 2.4,  # 1.2 x .4025 = .483
        "reliability": 2.5,  # 1.1 x (.40 + .14) = .594
        "similarity": 2.5,  # 1.1 x .37 = .407
        "interaction": 2.9,  # .7 x .335 = .2345
    }
    changes = {"reliability": (-1.0, -1.4, -0.6)}  # a drop too: merges into reliability's entry
    recs = recommend(profile(means=means, changes=changes, calibrated=True), PLAYBOOK_FOR)
    assert [r.signal for r in recs] == ["reliability", "familiarity", "similarity"]
    assert [r.reasons[0].rule for r in recs[0:1]] == ["low"]
    assert [reason.rule for reason in recs[0].reasons] == ["low", "drop"]
    assert recs[0].sentence("en", NAMES) == (
        "Reliability 2.50, organisation 3.60, below the scale's midpoint 3.00; the strongest "
        "driver of cognition-based trust here. Reliability fell from 3.50 to 2.50 since the "
        "last wave (the fall's 95% interval 0.60 to 1.40)."
    )


def test_a_team_below_k_gets_none():
    team = profile(n=4, means={**ORG, "familiarity": 2.0})
    assert recommend(team, PLAYBOOK_FOR) == []


def test_a_hidden_scale_is_never_a_finding():
    """A scale absent from means (below k) is not read from rwg or changes either."""
    means = {s: v for s, v in ORG.items() if s != "openness"}
    team = profile(means=means, rwg={"openness": 0.1}, changes={"openness": (-1.0, -1.5, -0.5)})
    assert recommend(team, PLAYBOOK_FOR) == []


def test_agreement_on_the_control_scale_is_not_a_finding():
    """Propensity to trust is a person-level disposition: its spread says nothing of camps."""
    team = profile(
        means={**ORG, "propensity": 3.5}, rwg={**dict.fromkeys(ORG, 0.8), "propensity": 0.1}
    )
    assert recommend(team, PLAYBOOK_FOR) == []


def test_a_signal_without_a_playbook_is_left_out():
    team = profile(means={**ORG, "familiarity": 2.1})
    assert recommend(team, {k: v for k, v in PLAYBOOK_FOR.items() if k != "familiarity"}) == []
