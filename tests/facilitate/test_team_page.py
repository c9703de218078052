"""The team page of a closed wave (issue 10, point 3): numbers, spread, agreement, trend, trust,
comments; only for the user's own teams, only after close, nothing for a team below k."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from surveys import instruments
from surveys.db import db
from surveys.models import Comment, Response, TeamScaleResult
from surveys.services import team_results

FULL = instruments.get("full", "1.0.0")
PULSE = instruments.get("pulse", "1.0.0")


def add_scored(app, wave_id, team_id, scores, instrument=FULL):
    """One response per row of ``scores`` ({scale key: score}, 3 for unnamed scales).

    Every item of a scale is answered with the score (reversed for reverse-keyed items),
    so that each respondent's scale score is exactly the given one.
    """
    with app.app_context():
        for wanted in scores:
            answers = {}
            for scale in instrument.scales:
                value = wanted.get(scale.key, 3)
                lo, hi = scale.response_scale.min, scale.response_scale.max
                for item in scale.items:
                    answers[item.key] = lo + hi - value if item.reverse else value
            db.session.add(Response(wave_id=wave_id, team_id=team_id, answers=answers))
        db.session.commit()


def page_of(client, wave_id, team_id):
    response = client.get(f"/manage/waves/{wave_id}/teams/{team_id}")
    return response.status_code, response.get_data(as_text=True)


def row(html, scale):
    found = re.search(rf'<tr data-scale="{scale}"[^>]*>.*?</tr>', html, re.S)
    assert found, scale
    return found.group(0)


@pytest.fixture
def closed(app, client, world, login, make_wave):
    """Close a wave of Alpha and Beta with hand-made scores for Alpha; returns the wave id."""

    def close(alpha_scores, k=5, beta_scores=(), name="Spring", instrument="full"):
        login(world.admin)
        wave_id = make_wave([world.alpha, world.beta], k=k, name=name, instrument=instrument)
        inst = FULL if instrument == "full" else PULSE
        add_scored(app, wave_id, world.alpha, alpha_scores, inst)
        add_scored(app, wave_id, world.beta, beta_scores, inst)
        assert client.post(f"/manage/waves/{wave_id}/close").status_code == 302
        return wave_id

    return close


def test_interval_is_cut_at_the_response_range_and_says_so(app, client, world, closed):
    # Familiarity 5, 5, 5, 5, 4: mean 4.8, SD 0.447, t(4) interval 4.245..5.355 (no
    # invitations, so no finite-population correction): past 5, so shown as 4.24..5.
    wave_id = closed([{"familiarity": 5}] * 4 + [{"familiarity": 4}])
    status, html = page_of(client, wave_id, world.alpha)
    assert status == 200
    familiarity = row(html, "familiarity")
    high = stats.t.ppf(0.975, 4) * np.std([5, 5, 5, 5, 4], ddof=1) / np.sqrt(5)
    assert 4.8 + high > 5
    assert f'data-ci-low="{4.8 - high:.4f}"' in familiarity
    assert 'data-ci-high="5.0000"' in familiarity
    assert "*</abbr>" in familiarity
    with app.app_context():
        stored = db.session.scalar(
            db.select(TeamScaleResult.ci_high).where(
                TeamScaleResult.wave_id == wave_id,
                TeamScaleResult.team_id == world.alpha,
                TeamScaleResult.scale == "familiarity",
            )
        )
    assert stored == pytest.approx(4.8 + high)  # stored as computed, cut only when shown


def test_every_interval_shown_lies_within_the_response_range(client, world, closed):
    wave_id = closed([{"familiarity": 1}] * 5 + [{"familiarity": 2}, {"openness": 5}])
    _, html = page_of(client, wave_id, world.alpha)
    lows = [float(v) for v in re.findall(r'data-ci-low="([-0-9.]+)"', html)]
    highs = [float(v) for v in re.findall(r'data-ci-high="([-0-9.]+)"', html)]
    assert len(lows) == len(highs) == len(FULL.scales) - 2  # trust has its own section
    assert min(lows) >= 1 and max(highs) <= 5


def test_two_camps_are_named_and_the_distribution_counts_scores_per_option(client, world, closed):
    wave_id = closed(
        [{"familiarity": 1, "openness": 4}] * 3 + [{"familiarity": 5, "openness": 4}] * 3
    )
    _, html = page_of(client, wave_id, world.alpha)
    assert 'data-agreement="two_camps"' in row(html, "familiarity")
    assert "two camps" in row(html, "familiarity")
    assert 'data-agreement="very_strong"' in row(html, "openness")  # all alike: rwg(j) 1
    assert 'data-scale="familiarity" data-counts="3,0,0,0,3"' in html
    assert 'data-scale="openness" data-counts="0,0,0,6,0"' in html


def test_spread_without_a_valley_reads_as_low_agreement_not_two_camps(client, world, closed):
    wave_id = closed([{"familiarity": v} for v in (1, 2, 3, 4, 5, 3)])
    _, html = page_of(client, wave_id, world.alpha)
    familiarity = row(html, "familiarity")
    # Item variance 2.0 (var of 1,2,3,4,5,3 with ddof 1 = 10/5) against the null 2.0:
    # rwg(j) = 0, "no agreement" (LeBreton & Senter 2008).
    assert 'data-agreement="none"' in familiarity
    assert 'data-counts="1,1,2,1,1"' in html


def test_team_below_k_shows_no_number_and_no_comment(app, client, world, closed):
    wave_id = closed([{"familiarity": 4}] * 5, beta_scores=[{"familiarity": 2}] * 4)
    with app.app_context():
        db.session.add(Comment(wave_id=wave_id, team_id=world.beta, text="beta secret"))
        db.session.commit()
    status, html = page_of(client, wave_id, world.beta)
    assert status == 200
    assert 'id="team-hidden"' in html
    assert "data-ci-low" not in html and "data-counts" not in html
    assert "beta secret" not in html
    assert "2.00" not in html


def test_comments_of_a_team_at_k_are_shown(app, client, world, closed, make_wave):
    wave_id = closed([{"familiarity": 4}] * 5)
    with app.app_context():
        db.session.add(Comment(wave_id=wave_id, team_id=world.alpha, text="we listen"))
        db.session.commit()
    _, html = page_of(client, wave_id, world.alpha)
    assert "we listen" in html


def test_team_page_is_404_for_another_facilitators_team_or_a_team_not_in_the_wave(
    client, world, login, closed, make_wave
):
    wave_id = closed([{"familiarity": 4}] * 5, beta_scores=[{"familiarity": 4}] * 5)
    login(world.fac_b)
    assert page_of(client, wave_id, world.alpha)[0] == 404
    assert page_of(client, wave_id, world.beta)[0] == 200
    login(world.admin)
    only_alpha = closed([{"familiarity": 4}] * 5, name="Alpha only")
    assert page_of(client, only_alpha, world.gamma)[0] == 404


def test_wave_page_links_each_team_to_its_page(client, world, closed):
    wave_id = closed([{"familiarity": 4}] * 5)
    html = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert f'href="/manage/waves/{wave_id}/teams/{world.alpha}"' in html
    assert f'href="/manage/waves/{wave_id}/teams/{world.beta}"' in html


def test_trend_shows_the_change_from_the_previous_wave_with_welchs_interval(client, world, closed):
    before = [2, 2, 3, 3, 2]
    after = [4, 4, 5, 3, 4, 4]
    closed([{"openness": v} for v in before], name="Spring")
    wave_id = closed([{"openness": v} for v in after], name="Autumn")
    _, html = page_of(client, wave_id, world.alpha)
    cell = re.search(
        r'<td class="num" data-label="[^"]*" data-scale="openness" data-change=[^>]*>', html
    ).group(0)
    # Independent: scipy's Welch test and its interval (scipy >= 1.11).
    welch = stats.ttest_ind(after, before, equal_var=False).confidence_interval(0.95)
    diff = np.mean(after) - np.mean(before)
    assert f'data-change="{diff:.4f}"' in cell
    assert f'data-change-low="{welch.low:.4f}"' in cell
    assert f'data-change-high="{welch.high:.4f}"' in cell
    assert "▲" in html  # the interval excludes 0: a clear rise
    assert html.index("Spring</th>") < html.index("Autumn</th>")


def test_both_kinds_of_trust_name_their_source(app, client, world, closed):
    full_wave = closed([{"cognitive_trust": 4, "affective_trust": 2}] * 5)
    _, html = page_of(client, full_wave, world.alpha)
    trust_section = html[html.index('id="team-trust"') :]
    assert 'data-scale="cognitive_trust" data-source="measured"' in trust_section
    assert 'data-scale="affective_trust" data-source="measured"' in trust_section
    # A pulse wave asks no trust items: the trust model estimates both, and says how.
    pulse_wave = closed([{"familiarity": 4}] * 5, name="Pulse", instrument="pulse")
    _, html = page_of(client, pulse_wave, world.alpha)
    found = re.findall(r'data-scale="(\w+_trust)" data-source="(\w+)"', html)
    assert found == [("cognitive_trust", "uncalibrated"), ("affective_trust", "uncalibrated")]
    assert "estimated (uncalibrated model)" in html
    with app.app_context():
        rows = db.session.scalars(
            db.select(TeamScaleResult).where(
                TeamScaleResult.wave_id == pulse_wave, TeamScaleResult.scale == "cognitive_trust"
            )
        ).all()
    assert [r.estimate for r in rows if r.team_id == world.alpha] == ["uncalibrated"]


def test_measured_trust_shows_its_spread_agreement_and_distribution(client, world, closed):
    wave_id = closed(
        [{"cognitive_trust": 4, "affective_trust": 1}] * 3
        + [{"cognitive_trust": 4, "affective_trust": 5}] * 3
    )
    _, html = page_of(client, wave_id, world.alpha)
    trust_section = html[html.index('id="team-trust"') :]
    affective = row(trust_section, "affective_trust")
    # By hand: scores 1,1,1,5,5,5 have mean 3 and SD sqrt(6 * 4 / 5) = 2.19; no answer in
    # the middle options, so two camps.
    assert ">2.19<" in affective and 'data-agreement="two_camps"' in affective
    cognitive = row(trust_section, "cognitive_trust")
    assert ">0.00<" in cognitive and ">1.00<" in cognitive  # all alike: SD 0, rwg(j) 1
    assert 'data-scale="affective_trust" data-counts="3,0,0,0,3"' in html
    assert 'data-scale="cognitive_trust" data-counts="0,0,0,6,0"' in html


def test_estimated_trust_has_no_spread_or_distribution(client, world, closed):
    pulse_wave = closed([{"familiarity": 4}] * 5, name="Pulse", instrument="pulse")
    _, html = page_of(client, pulse_wave, world.alpha)
    trust_section = html[html.index('id="team-trust"') :]
    assert "data-agreement" not in row(trust_section, "cognitive_trust")
    assert 'data-scale="cognitive_trust" data-counts=' not in html


def test_a_stored_estimate_is_named_as_such_and_a_row_without_the_column_as_measured():
    assert team_results.result_source(SimpleNamespace(estimate="calibrated")) == "calibrated"
    assert team_results.result_source(SimpleNamespace(estimate=None)) == "measured"
    assert team_results.result_source(SimpleNamespace()) == "measured"
    assert team_results.result_source(None) is None


def test_an_open_waves_team_page_sends_back_to_the_wave_without_a_score(
    app, client, world, login, make_wave
):
    login(world.admin)
    wave_id = make_wave([world.alpha])
    add_scored(app, wave_id, world.alpha, [{"familiarity": 4}] * 5)
    response = client.get(f"/manage/waves/{wave_id}/teams/{world.alpha}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/waves/{wave_id}")
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "appear when the wave closes" in page and "4.00" not in page


def test_distribution_and_trend_read_one_teams_answers_on_each_database(
    make_app, backend, world_factory, make_wave
):
    """Only the team's own answers feed its page, on SQLite's and PostgreSQL's JSON paths."""
    app = make_app(backend)
    ids = world_factory(app)
    client = app.test_client()
    with app.app_context():
        from surveys.models import User
        from tests.helpers import login_as

        login_as(client, db.session.get(User, ids.admin))
    waves = []
    for name, alpha, beta in (("Spring", [2] * 5, [5] * 5), ("Autumn", [4] * 5, [1] * 5)):
        wave_id = make_wave([ids.alpha, ids.beta], k=5, name=name, app=app)
        add_scored(app, wave_id, ids.alpha, [{"openness": v} for v in alpha])
        add_scored(app, wave_id, ids.beta, [{"openness": v} for v in beta])
        assert client.post(f"/manage/waves/{wave_id}/close").status_code == 302
        waves.append(wave_id)
    _, html = page_of(client, waves[1], ids.alpha)
    assert 'data-scale="openness" data-counts="0,0,0,5,0"' in html
    # No variance in either wave: no Welch interval, so no change figure, but both means.
    trend = html[html.index('id="trend"') :]
    assert "2.00" in trend and "4.00" in trend and "data-change=" not in trend
