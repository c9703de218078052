"""trust.analyze: the JSON shape the web app relies on, and the same numbers as each statistic."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from tests.trust.helpers import make_instrument
from trust import analyze, load_instrument, rwg_j, team_icc, team_summary

INSTRUMENTS = Path(__file__).resolve().parents[2] / "surveys" / "instruments"
SCALE_KEYS = {
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "omega_total",
    "icc1",
    "icc2",
    "mean_rwg_j",
    "n_respondents",
    "items",
}
TEAM_SCALE_KEYS = {"mean", "sd", "ci_low", "ci_high", "rwg_j"}


@pytest.fixture
def instrument():
    return make_instrument(
        {"warmth": ["w1", "w2", "rw3", "w4"], "candour": ["c1", "rc2", "c3", "c4"]}
    )


def _assert_json_ready(value):
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str
            _assert_json_ready(item)
    elif isinstance(value, list):
        for item in value:
            _assert_json_ready(item)
    else:
        assert value is None or type(value) in (str, int, float, bool), type(value)


def test_result_has_the_documented_shape_and_is_json_ready(survey, instrument):
    answers, team = survey
    out = analyze(answers, team, instrument, team_size={"t1": 5, "t2": 6}).to_json()
    _assert_json_ready(out)
    json.dumps(out, allow_nan=False)
    assert set(out["scales"]) == {"warmth", "candour"}
    for scale in out["scales"].values():
        assert set(scale) >= SCALE_KEYS
        assert set(scale["items"]) <= {"w1", "w2", "rw3", "w4", "c1", "rc2", "c3", "c4"}
        assert all("item_total_r" in item for item in scale["items"].values())
    assert set(out["teams"]) == {"t1", "t2", "t3", "t4", "t5", "t6"}
    for info in out["teams"].values():
        assert {"n", "scales"} <= set(info)
        for scale in info["scales"].values():
            assert set(scale) >= TEAM_SCALE_KEYS
    assert out["teams"]["t1"]["n"] == 4 and out["teams"]["t1"]["team_size"] == 5
    assert out["teams"]["t3"]["team_size"] is None


def test_numbers_equal_each_statistic_on_reverse_keyed_data(survey, instrument):
    answers, team = survey
    x = answers.copy()
    x[np.random.default_rng(1).random(x.shape) < 0.05] = np.nan
    out = analyze(x, team, instrument, team_size={"t2": 7})
    keyed = x.copy()
    keyed[:, [2, 5]] = 6 - keyed[:, [2, 5]]  # rw3 and rc2 on 1..5
    alpha, _ = pg.cronbach_alpha(pd.DataFrame(keyed[:, :4]))
    assert out["scales"]["warmth"]["alpha"] == pytest.approx(alpha, abs=1e-12)
    # half rule on 4 items: a score needs 2 answers
    answered = (~np.isnan(keyed[:, 4:])).sum(axis=1)
    candour = np.where(answered >= 2, np.nanmean(keyed[:, 4:], axis=1), np.nan)
    icc = team_icc(candour, team)
    assert out["scales"]["candour"]["icc1"] == pytest.approx(icc.icc1, abs=1e-12)
    assert out["scales"]["candour"]["icc2"] == pytest.approx(icc.icc2, abs=1e-12)
    sizes = np.where(team == "t2", 7.0, np.nan)
    summary = team_summary(candour, team, team_size=sizes)
    t2 = out["teams"]["t2"]["scales"]["candour"]
    assert t2["mean"] == pytest.approx(summary.mean[1], abs=1e-12)
    assert t2["ci_low"] == pytest.approx(summary.ci_low[1], abs=1e-12)
    rwg = rwg_j(keyed[:, 4:], team, n_options=5)
    assert out["teams"]["t5"]["scales"]["candour"]["rwg_j"] == pytest.approx(rwg.rwg_j[4])
    assert out["scales"]["candour"]["mean_rwg_j"] == pytest.approx(np.nanmean(rwg.rwg_j))
    assert out["scales"]["candour"]["n_respondents"] == int((answered >= 2).sum())


def test_row_order_does_not_change_the_result(survey, instrument):
    answers, team = survey
    order = np.random.default_rng(2).permutation(len(team))
    one = analyze(answers, team, instrument).to_json()
    two = analyze(answers[order], team[order], instrument).to_json()
    assert _flatten(one).keys() == _flatten(two).keys()
    flat_two = _flatten(two)
    for key, value in _flatten(one).items():
        if isinstance(value, float):
            assert flat_two[key] == pytest.approx(value, rel=1e-10, abs=1e-12), key
        else:
            assert flat_two[key] == value, key


def _flatten(tree, prefix=""):
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            out.update(_flatten(value, f"{prefix}/{key}"))
        return out
    return {prefix: tree}


def test_one_team_has_no_icc_and_says_why(instrument):
    answers = np.array(
        [[4, 4, 2, 5, 3, 3, 3, 4], [3, 4, 2, 4, 4, 2, 3, 3], [5, 5, 1, 5, 2, 4, 2, 2]]
    )
    out = analyze(answers, ["solo"] * 3, instrument)
    assert out["scales"]["warmth"]["icc1"] is None and out["scales"]["warmth"]["icc2"] is None
    assert out["teams"]["solo"]["scales"]["warmth"]["mean"] is not None
    assert any("ICC" in w for w in out["warnings"])


def test_a_team_of_one_has_a_mean_but_no_spread(survey, instrument):
    answers, team = survey
    team = team.astype(object)
    team[0] = "lonely"
    out = analyze(answers, team, instrument)
    lonely = out["teams"]["lonely"]
    assert lonely["n"] == 1
    cell = lonely["scales"]["warmth"]
    assert cell["mean"] is not None
    assert cell["sd"] is None and cell["ci_low"] is None and cell["rwg_j"] is None
    census = analyze(answers, team, instrument, team_size={"lonely": 1})
    cell = census["teams"]["lonely"]["scales"]["warmth"]
    assert cell["ci_low"] == cell["ci_high"] == cell["mean"]


def test_constant_answers_give_no_reliability_but_full_agreement(instrument):
    answers = np.full((6, 8), 3.0)
    out = analyze(answers, ["a", "a", "a", "b", "b", "b"], instrument)
    warmth = out["scales"]["warmth"]
    assert warmth["alpha"] is None and warmth["omega_total"] is None
    assert warmth["icc1"] is None
    assert out["teams"]["a"]["scales"]["warmth"]["rwg_j"] == 1.0
    assert out["teams"]["a"]["scales"]["warmth"]["sd"] == 0.0


def test_an_all_missing_item_is_left_out_of_reliability(survey, instrument):
    answers, team = survey
    x = answers.copy()
    x[:, 1] = np.nan
    out = analyze(x, team, instrument)
    warmth = out["scales"]["warmth"]
    assert warmth["items"]["w2"]["item_total_r"] is None
    keyed = x[:, [0, 2, 3]].copy()
    keyed[:, 1] = 6 - keyed[:, 1]
    alpha, _ = pg.cronbach_alpha(pd.DataFrame(keyed))
    assert warmth["alpha"] == pytest.approx(alpha, abs=1e-12)
    assert any("w2" in w for w in out["warnings"])
    assert warmth["n_respondents"] == 60  # 3 of 4 answered: at least half


def test_integer_team_labels_and_size_keys(survey, instrument):
    answers, _ = survey
    team = np.repeat([10, 2, 33], 20)
    out = analyze(answers, team, instrument, team_size={10: 25, "2": 20})
    assert set(out["teams"]) == {"2", "10", "33"}
    assert out["teams"]["10"]["team_size"] == 25
    assert (
        out["teams"]["2"]["scales"]["warmth"]["ci_low"]
        == out["teams"]["2"]["scales"]["warmth"]["mean"]
    )


def test_the_products_full_and_pulse_instruments_analyse(survey):
    rng = np.random.default_rng(3)
    for name in ("full", "pulse"):
        inst = load_instrument(INSTRUMENTS / f"{name}.toml")
        x = rng.integers(1, 6, size=(40, len(inst.items))).astype(float)
        out = analyze(x, np.repeat(["a", "b", "c", "d"], 10), inst).to_json()
        assert set(out["scales"]) == {s.key for s in inst.scales}
        json.dumps(out, allow_nan=False)


def test_bad_arguments_are_named(survey, instrument):
    answers, team = survey
    with pytest.raises(ValueError, match="one column per instrument item"):
        analyze(answers[:, :5], team, instrument)
    with pytest.raises(ValueError, match="team"):
        analyze(answers, team[:10], instrument)
    wrong = answers.copy()
    wrong[23, 5] = 6
    with pytest.raises(ValueError, match="answers row 23, item 'rc2': 6 is outside"):
        analyze(wrong, team[::-1], instrument)  # rows sorted by team differ from the input
    with pytest.raises(TypeError, match="team_size"):
        analyze(answers, team, instrument, team_size=[1, 2])
    with pytest.raises(ValueError, match="team_size"):
        analyze(answers, team, instrument, team_size={"t1": 0})
    with pytest.raises(ValueError, match="team_size of team 't1'"):
        analyze(answers, team, instrument, team_size={"t1": 2})
    with pytest.raises(TypeError, match="instrument"):
        analyze(answers, team, "full.toml")


def test_the_callers_answers_are_left_untouched(survey, instrument):
    answers, team = survey
    before = answers.copy()
    analyze(answers, team, instrument)
    np.testing.assert_array_equal(answers, before)


def test_item_total_r_past_one_from_pairwise_covariances_is_null_with_a_warning():
    # The answers of tests/trust/test_reliability.py's HOLES (pandas' pairwise covariance
    # matrix has eigenvalue -0.737; the rest-score formula gives r = 1.124, 0.955, 1.177 and
    # pingouin's pairwise alpha is 1.0304), as one scale of an instrument.
    nan = np.nan
    x = np.array(
        [
            [3, nan, nan],
            [4, nan, 4],
            [nan, 5, 4],
            [nan, nan, 4],
            [5, 4, 4],
            [2, 1, 1],
            [2, nan, nan],
            [1, 2, 1],
        ]
    )
    out = analyze(x, ["a"] * 4 + ["b"] * 4, make_instrument({"cohesion": ["q1", "q2", "q3"]}))
    items = out["scales"]["cohesion"]["items"]
    assert items["q1"]["item_total_r"] is None and items["q3"]["item_total_r"] is None
    assert items["q2"]["item_total_r"] == pytest.approx(0.9548151257129417, abs=1e-12)
    assert out["scales"]["cohesion"]["alpha"] == pytest.approx(1.0303830911492735, abs=1e-12)
    text = " ".join(out["warnings"])
    assert "'q1' (r = 1.124), 'q3' (r = 1.177): the pairwise" in text
    assert "alpha is 1.030, above 1" in text
    assert text.count("not positive semi-definite") == 2


def test_a_heywood_case_is_reported_with_the_item(survey):
    # Sample "n11_k5" of tests/trust/test_reliability.py: the global minres fit puts item 1's
    # loading at 1 (omega 0.11144 against 60 random L-BFGS-B starts).
    x = np.array(
        [
            [2, 4, 3, 5, 3, 3, 3, 2, 3, 3, 2],
            [4, 3, 2, 2, 5, 3, 3, 5, 3, 2, 5],
            [3, 2, 2, 4, 3, 3, 5, 4, 1, 2, 3],
            [1, 3, 4, 3, 3, 2, 4, 4, 1, 2, 3],
            [4, 3, 1, 3, 1, 3, 2, 3, 2, 5, 2],
        ],
        dtype=float,
    ).T
    out = analyze(
        x, ["a"] * 6 + ["b"] * 5, make_instrument({"voice": ["v1", "v2", "v3", "v4", "v5"]})
    )
    voice = out["scales"]["voice"]
    assert voice["omega_model"] == pytest.approx(0.11144, abs=5e-6)
    assert abs(voice["items"]["v2"]["loading"]) == 1.0
    lam = np.array([voice["items"][f"v{i}"]["loading"] for i in range(1, 6)])
    # psych::omega's omega.tot from the same loadings: 1 - sum(psi) / sum(R)
    expected = 1 - (1 - lam**2).sum() / np.corrcoef(x, rowvar=False).sum()
    assert voice["omega_total"] == pytest.approx(expected, abs=1e-12)
    assert any(
        w.startswith("scale 'voice': omega and loadings are doubtful")
        and "loading of 'v2' at the bound of 1 (uniqueness 0, a Heywood case)" in w
        for w in out["warnings"]
    )


def test_warnings_name_their_scale_and_are_kept_for_each_scale():
    # Two one-item scales: alpha is undefined for both, with the same reason; one team:
    # no ICC for either; t2's single member: no SD and no rwg(j) on either scale.
    inst = make_instrument({"cohesion": ["c1"], "voice": ["v1"]})
    x = np.array([[1, 2], [2, 3], [3, 3], [4, 5.0]])
    out = analyze(x, ["t1", "t1", "t1", "t2"], inst)
    for key in ("cohesion", "voice"):
        assert f"scale {key!r}: Cronbach's alpha needs at least two items" in out["warnings"]
        assert (
            f"scale {key!r}: rwg(j) is undefined for 1 team(s) without an item answered "
            "by two members"
        ) in out["warnings"]
        assert (
            f"scale {key!r}: a team with a single score has no SD and no interval"
            in out["warnings"]
        )
    assert all(w.startswith(("scale 'cohesion': ", "scale 'voice': ")) for w in out["warnings"])
    assert out["warnings"] == sorted(set(out["warnings"]))
    one_team = analyze(x[:3], ["t1"] * 3, inst)["warnings"]
    assert (
        "scale 'cohesion': ICC is undefined: fewer than two teams, no team with two "
        "respondents, or no variance"
    ) in one_team
    assert any(w.startswith("scale 'voice': ICC is undefined") for w in one_team)


def test_a_warning_of_one_scale_is_not_put_on_the_others(survey):
    answers, team = survey
    inst = make_instrument(
        {"warmth": ["w1", "w2", "w3", "w4"], "candour": ["c1", "c2", "c3", "c4"]}
    )
    x = answers.copy()
    x[:, 4] = np.nan  # nobody answered c1
    x[team == "t1", 5:] = np.nan  # nor t1 the rest of candour: no candour score for t1
    out = analyze(x, team, inst)
    assert (
        "scale 'candour': item(s) 'c1' have fewer than two answers and are left out of "
        "alpha and omega" in out["warnings"]
    )
    assert not any(w.startswith("scale 'warmth'") for w in out["warnings"])
    assert out["teams"]["t1"]["scales"]["candour"]["mean"] is None
    assert out["teams"]["t1"]["scales"]["warmth"]["mean"] is not None
