"""Wave-level scale statistics leave out teams below k (anonymity invariant 2).

With few teams, alpha, omega, ICC(1) and ICC(2) over every respondent would constrain a
hidden team's mean and spread; they are computed over the teams shown only.
"""

import re

import pytest

from surveys.db import db
from surveys.models import Member, ScaleResult, Team, TeamScaleResult

SCALE_FIELDS = (
    "n_respondents",
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "omega_total",
    "icc1",
    "icc2",
    "mean_rwg_j",
)
TEAM_FIELDS = ("n", "team_size", "mean", "sd", "ci_low", "ci_high", "rwg_j")


@pytest.fixture
def delta(app):
    """A third team of five, so that two teams are shown and ICCs are defined."""
    with app.app_context():
        team = Team(name="Delta")
        team.members = [Member(name=f"Di {i}") for i in range(5)]
        db.session.add(team)
        db.session.commit()
        return team.id


def _close_with_hidden_answers(client, world, delta, make_wave, add_responses, seed, epsilon):
    """Alpha (6) and Delta (5) shown, Beta (4 answers, k = 5) hidden with answers of ``seed``,
    Epsilon (2, hidden) so that the hidden teams reach k together (see its fixture)."""
    wave_id = make_wave([world.alpha, world.beta, delta, epsilon], k=5)
    add_responses(wave_id, epsilon, 2, seed=103, missing=0)
    client.post(f"/manage/waves/{wave_id}/invitations")
    add_responses(wave_id, world.alpha, 6, seed=101)
    add_responses(wave_id, delta, 5, seed=102)
    # No skipped items: Beta's counts per scale stay the same, only its answers change.
    add_responses(wave_id, world.beta, 4, seed=seed, missing=0)
    assert client.post(f"/manage/waves/{wave_id}/close").status_code == 302
    return wave_id


def _stored_numbers(app, wave_id, shown_teams):
    with app.app_context():
        scales = {
            r.scale: tuple(getattr(r, f) for f in SCALE_FIELDS)
            for r in db.session.scalars(
                db.select(ScaleResult).where(ScaleResult.wave_id == wave_id)
            )
        }
        teams = {
            (r.team_id, r.scale): tuple(getattr(r, f) for f in TEAM_FIELDS)
            for r in db.session.scalars(
                db.select(TeamScaleResult).where(
                    TeamScaleResult.wave_id == wave_id, TeamScaleResult.team_id.in_(shown_teams)
                )
            )
        }
    return scales, teams


def _assert_same(got: dict, want: dict) -> None:
    """Equal keys and numbers. Rows come in random-id order, so sums may differ in the last
    bits, and omega's iterative fit (stopped at a gradient of 1e-10, on a flat objective with
    eleven respondents) turns that into differences near 1e-8; a hidden team's answers
    would move these numbers by 1e-3 and more."""
    assert got.keys() == want.keys()
    for key, values in want.items():
        for a, b in zip(got[key], values, strict=True):
            assert (a is None and b is None) or a == pytest.approx(b, rel=1e-6, abs=1e-9), (
                key,
                a,
                b,
            )


def _shown_numbers(client, wave_id):
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    main = page.split("<h2>Comments</h2>")[0].split("</dl>", 1)[1]  # past the wave's dates
    return re.findall(r"\d+(?:\.\d+)?", re.sub(r"<[^>]+>", " ", main))


def test_a_hidden_teams_answers_change_no_stored_or_shown_number(
    app, client, world, delta, epsilon, login, make_wave, add_responses
):
    login(world.admin)
    first = _close_with_hidden_answers(client, world, delta, make_wave, add_responses, 7, epsilon)
    second = _close_with_hidden_answers(client, world, delta, make_wave, add_responses, 8, epsilon)
    every_team = [world.alpha, world.beta, delta]
    scales, teams = _stored_numbers(app, first, every_team)
    again = _stored_numbers(app, second, every_team)
    _assert_same(again[0], scales)
    _assert_same(again[1], teams)
    assert any(values[1] is not None for values in scales.values())  # alpha was computed
    assert any(values[5] is not None for values in scales.values())  # and ICC(2)
    shown = _shown_numbers(client, first)
    assert len(shown) > 50
    assert _shown_numbers(client, second) == shown


def test_scale_statistics_count_only_respondents_of_teams_shown(
    app, client, world, delta, epsilon, login, make_wave, add_responses
):
    login(world.admin)
    wave_id = _close_with_hidden_answers(client, world, delta, make_wave, add_responses, 7, epsilon)
    scales, _ = _stored_numbers(app, wave_id, [])
    # 11 respondents in the teams shown, of whom some may miss a scale; never Beta's 4.
    assert all(6 <= values[0] <= 11 for values in scales.values())
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "only over the respondents of teams shown" in page
    zh = client.get(f"/manage/waves/{wave_id}?lang=zh_Hans").get_data(as_text=True)
    assert "仅基于" in zh


def test_scale_statistics_are_withheld_when_no_team_is_shown(
    app, client, world, login, make_wave, add_responses
):
    wave_id = make_wave([world.alpha, world.beta], k=5)
    add_responses(wave_id, world.alpha, 4, seed=111)
    add_responses(wave_id, world.beta, 4, seed=112)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/close")
    scales, _ = _stored_numbers(app, wave_id, [])
    assert scales and all(values == (0,) + (None,) * 7 for values in scales.values())
