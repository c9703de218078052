"""A logged intervention's measured effect: the difference in differences shown equals one
computed independently from the stored team means (NumPy and SciPy by hand below, not
trust.difference_in_differences)."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from scipy import stats

from surveys.db import db
from surveys.models import Intervention, Team, TeamScaleResult, User
from surveys.services import effects, interventions
from tests.act.survey_data import closed_wave, make_teams
from tests.helpers import login_as, make_user

BEFORE, AFTER = dt.date(2026, 6, 1), dt.date(2026, 9, 1)
RAN_ON = dt.date(2026, 7, 1)


def log(app, team_ids, playbook="rituals", on=RAN_ON) -> int:
    with app.app_context():
        entry = interventions.Entry(
            playbook, [db.session.get(Team, t) for t in team_ids], on, on, "HRBP", ""
        )
        return interventions.record(entry, db.session.scalar(db.select(User))).id


@pytest.fixture
def org(app):
    return build_org(app)


def build_org(app):
    names = ["Treated", "C1", "C2", "C3", "C4", "Other", "Small", "Small2"]
    ids = make_teams(app, dict.fromkeys(names, 9))
    first = {ids[n]: (8, {}) for n in names}
    second = {ids[n]: (8, {}) for n in names}
    first[ids["Treated"]] = (8, {"familiarity": 2.5, "affective_trust": 2.8})
    second[ids["Treated"]] = (8, {"familiarity": 3.6, "affective_trust": 3.8})
    # Below k in the second wave: no comparison. Two of them, so that together they reach k
    # and the organisation's row withholds no other team (complementary suppression).
    second[ids["Small"]] = (3, {})
    second[ids["Small2"]] = (3, {})
    w1 = closed_wave(app, "June", BEFORE, first, seed=1)
    w2 = closed_wave(app, "September", AFTER, second, seed=2)
    with app.app_context():
        make_user("admin")
    log(app, [ids["Other"]], playbook="sunlight")  # had its own intervention: not comparable
    return ids, w1, w2


def stored_mean(wave_id, team_id, scale) -> float:
    return db.session.scalar(
        db.select(TeamScaleResult.mean).where(
            TeamScaleResult.wave_id == wave_id,
            TeamScaleResult.team_id == team_id,
            TeamScaleResult.scale == scale,
        )
    )


def by_hand(app, ids, w1, w2, scale):
    """Mean change of the treated team minus the comparison teams', pooled-variance t interval
    on the per-team changes (Bertrand, Duflo & Mullainathan 2004), written out here."""
    with app.app_context():
        change = {
            n: stored_mean(w2, ids[n], scale) - stored_mean(w1, ids[n], scale)
            for n in ("Treated", "C1", "C2", "C3", "C4")
        }
    d_t = np.array([change["Treated"]])
    d_c = np.array([change[n] for n in ("C1", "C2", "C3", "C4")])
    effect = d_t.mean() - d_c.mean()
    df = d_t.size + d_c.size - 2
    ss = ((d_t - d_t.mean()) ** 2).sum() + ((d_c - d_c.mean()) ** 2).sum()
    se = np.sqrt(ss / df * (1 / d_t.size + 1 / d_c.size))
    half = stats.t.ppf(0.975, df) * se
    return effect, effect - half, effect + half


def test_the_shown_effect_equals_the_difference_in_differences_by_hand(app, client, org):
    ids, w1, w2 = org
    entry_id = log(app, [ids["Treated"]])
    with app.app_context():
        login_as(client, db.session.scalar(db.select(User)))
    page = client.get(f"/manage/teams/{ids['Treated']}/interventions").get_data(as_text=True)
    block = page[page.index(f'data-intervention="{entry_id}"') :]
    assert f'data-effect-before="{w1}" data-effect-after="{w2}"' in block
    for scale in ("familiarity", "affective_trust", "cognitive_trust"):
        effect, low, high = by_hand(app, ids, w1, w2, scale)
        shown = re.search(rf'data-scale="{scale}" data-effect="([-0-9.]+)"', block)
        assert float(shown.group(1)) == pytest.approx(effect, abs=5e-5)
        item = block[shown.end() : block.index("</li>", shown.end())]
        assert f"95% interval {low:.2f} to {high:.2f}" in item
        assert "than the 4 comparable teams" in item
    assert "Not proof of cause" in block
    zh = client.get(
        f"/manage/teams/{ids['Treated']}/interventions", headers={"Accept-Language": "zh-CN"}
    ).get_data(as_text=True)
    effect, low, high = by_hand(app, ids, w1, w2, "familiarity")
    item = zh[zh.index('data-scale="familiarity" data-effect=') :]
    item = item[: item.index("</li>")]
    # One sentence with Chinese punctuation, not English commas pasted between fragments.
    assert f"比 4 个可比团队多上升 {effect:.2f}，95% 区间为 {low:.2f} 至 {high:.2f}。" in item
    effect, low, _high = by_hand(app, ids, w1, w2, "familiarity")
    assert effect > 0.5 and low > 0  # the rise the answers were drawn with


def test_too_few_comparison_teams_are_named_instead_of_a_number(app, client, org):
    ids, w1, w2 = org
    entry_id = log(app, [ids["Treated"]])
    log(app, [ids["C1"], ids["C2"]], playbook="co_creation")  # leaves C3 and C4
    with app.app_context():
        effect = effects.measure(db.session.get(Intervention, entry_id))
    [fam] = [s for s in effect.scales if s.scale == "familiarity"]
    assert (fam.effect, fam.missing, fam.n_comparison) == (None, "few_comparison", 2)
    with app.app_context():
        login_as(client, db.session.scalar(db.select(User)))
    page = client.get(f"/manage/teams/{ids['Treated']}/interventions").get_data(as_text=True)
    assert "only 2 comparison teams" in page
    assert "data-effect=" not in page


def test_a_treated_team_below_k_in_a_wave_gets_no_effect(app, org):
    ids, _w1, _w2 = org
    entry_id = log(app, [ids["Small"]])
    with app.app_context():
        effect = effects.measure(db.session.get(Intervention, entry_id))
    assert {s.missing for s in effect.scales} == {"not_shown"}
    assert all(s.effect is None for s in effect.scales)


def test_no_effect_until_a_wave_closes_after_the_intervention(app, org):
    ids, _w1, _w2 = org
    entry_id = log(app, [ids["Treated"]], on=dt.date(2026, 10, 1))
    with app.app_context():
        assert effects.measure(db.session.get(Intervention, entry_id)) is None


def test_the_effect_and_the_log_work_on_both_databases(make_app, backend):
    app = make_app(backend)
    ids, w1, w2 = build_org(app)
    entry_id = log(app, [ids["Treated"]])
    with app.app_context():
        effect = effects.measure(db.session.get(Intervention, entry_id))
        assert (effect.before.id, effect.after.id) == (w1, w2)
        [affect] = [s for s in effect.scales if s.scale == "affective_trust"]
        assert affect.effect == pytest.approx(by_hand(app, ids, w1, w2, "affective_trust")[0])
        assert [i.id for i in interventions.for_team(ids["Treated"], None)] == [entry_id]
        assert interventions.for_team(ids["Treated"], {ids["C1"]}) == []


def test_a_team_below_k_is_left_out_and_the_others_are_measured(app, client, org):
    """One small team in an intervention used to leave every scale "not measured"."""
    ids, w1, w2 = org
    entry_id = log(app, [ids["Treated"], ids["Small"]])
    with app.app_context():
        effect = effects.measure(db.session.get(Intervention, entry_id))
    [fam] = [s for s in effect.scales if s.scale == "familiarity"]
    expected, low, high = by_hand(app, ids, w1, w2, "familiarity")  # Treated against C1-C4
    assert fam.missing == "" and fam.left_out == 1 and fam.n_treated == 1
    assert (fam.effect, fam.ci_low, fam.ci_high) == pytest.approx((expected, low, high))
    with app.app_context():
        login_as(client, db.session.scalar(db.select(User)))
    page = client.get(f"/manage/teams/{ids['Treated']}/interventions").get_data(as_text=True)
    block = page[page.index(f'data-intervention="{entry_id}"') :]
    assert "Measured on 1 of the intervention's 2 teams" in block
