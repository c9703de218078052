"""See together (共同看见): after the close, a respondent's own link shows the team's results."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from markupsafe import escape

from surveys import instruments, playbooks
from surveys.db import db
from surveys.models import SUPPRESSED_COMPLEMENTARY, TeamScaleResult, User, Wave, utcnow
from surveys.services import audit, shared_results, team_profiles, waves
from tests.helpers import login_as, make_user
from tests.respond.survey_setup import FULL, create_survey, full_answers

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.8"}
HEADING_EN = "Your team's results"


def answer_and_close(app, survey, values) -> None:
    """Send one response per value through the survey links, then close the wave."""
    client = app.test_client()
    for token, value in zip(survey.tokens, values, strict=False):
        assert client.post(f"/s/{token}", data=full_answers(value)).status_code == 303
    with app.app_context():
        wave = db.session.get(Wave, survey.wave_id)
        wave.closes_at = utcnow() - dt.timedelta(minutes=1)
        db.session.commit()
        assert waves.close(wave)


def stored(app, survey) -> dict[str, TeamScaleResult]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(TeamScaleResult).where(TeamScaleResult.wave_id == survey.wave_id)
        )
        return {row.scale: row for row in rows}


def set_stored(app, survey, scale: str, **values) -> None:
    with app.app_context():
        row = db.session.scalar(
            db.select(TeamScaleResult).where(
                TeamScaleResult.wave_id == survey.wave_id, TeamScaleResult.scale == scale
            )
        )
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


@pytest.fixture
def closed(app):
    """Six links of one team: five answered, one not; the wave closed with k = 5."""
    survey = create_survey(app)
    answer_and_close(app, survey, [2, 3, 4, 4, 5])
    return survey


def test_used_and_unused_links_show_the_same_results_page_after_the_close(make_app, backend):
    app = make_app(backend)
    closed = create_survey(app)
    answer_and_close(app, closed, [2, 3, 4, 4, 5])
    client = app.test_client()
    used = client.get(f"/s/{closed.tokens[0]}", headers=EN)
    unused = client.get(f"/s/{closed.tokens[5]}", headers=EN)
    assert used.status_code == unused.status_code == 200
    assert HEADING_EN in used.get_data(as_text=True)
    assert used.get_data() == unused.get_data()
    # A post to either, too late to answer, gets one answer as well.
    late = [client.post(f"/s/{t}", data=full_answers(3)) for t in closed.tokens[::5]]
    assert late[0].status_code == late[1].status_code == 409
    assert late[0].get_data() == late[1].get_data()


def test_results_page_shows_the_stored_numbers_not_recomputed_ones(app, closed):
    # A stored mean no computation over these answers gives: the page reads the stored row.
    set_stored(app, closed, "familiarity", mean=1.234, ci_low=1.012, ci_high=1.456, rwg_j=0.321)
    rows = stored(app, closed)
    page = app.test_client().get(f"/s/{closed.tokens[1]}", headers=EN).get_data(as_text=True)
    assert "1.23" in page and "1.01–1.46" in page and "0.32" in page
    for key in ("similarity", "openness", "cognitive_trust", "affective_trust"):
        row = rows[key]
        assert f'data-scale="{key}"' in page
        assert f"{row.mean:.2f}" in page
        assert escape(FULL.scale(key).name["en"]) in page
    assert "<dd>5</dd>" in page  # responses


def test_a_withheld_cell_stays_withheld_on_the_respondents_page(app, closed):
    set_stored(app, closed, "openness", suppressed=SUPPRESSED_COMPLEMENTARY, mean=None, ci_low=None)
    page = app.test_client().get(f"/s/{closed.tokens[0]}", headers=EN).get_data(as_text=True)
    row = page.split('data-scale="openness"')[1].split("</tr>")[0]
    assert "withheld" in row
    assert re.search(r"\d\.\d", row) is None


def test_a_team_below_k_shows_nothing_after_the_close(app):
    survey = create_survey(app)
    answer_and_close(app, survey, [2, 3, 4])  # three of six, k = 5
    client = app.test_client()
    for token in (survey.tokens[0], survey.tokens[4]):
        page = client.get(f"/s/{token}", headers=EN).get_data(as_text=True)
        assert "The survey is closed" in page
        assert HEADING_EN not in page
        assert "data-scale" not in page
        assert "<table" not in page


def test_results_are_shown_in_the_respondents_language(app, closed):
    page = app.test_client().get(f"/s/{closed.tokens[0]}", headers=ZH).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert "你的团队的结果" in page
    assert escape(FULL.scale("familiarity").name["zh"]) in page
    assert escape(FULL.scale("familiarity").name["en"]) not in page


def test_an_organisation_that_turned_sharing_off_shows_the_closed_page(app, closed):
    with app.app_context():
        shared_results.set_sharing(False)
    page = app.test_client().get(f"/s/{closed.tokens[0]}", headers=EN).get_data(as_text=True)
    assert "The survey is closed" in page
    assert "data-scale" not in page


def test_thanks_page_promises_the_results_only_while_sharing_is_on(app, survey):
    client = app.test_client()
    promise = "open your survey link again to see your team's results"
    assert promise in client.get("/s/thanks", headers=EN).get_data(as_text=True)
    with app.app_context():
        shared_results.set_sharing(False)
    page = client.get("/s/thanks", headers=EN).get_data(as_text=True)
    assert promise not in page
    assert "Results go to the people who run the survey" in page


def test_only_an_admin_turns_sharing_off_and_on(app, survey):
    with app.app_context():
        admin = make_user("admin").id
        facilitator = make_user("facilitator", email="f@example.org").id
    client = app.test_client()
    with app.app_context():
        login_as(client, db.session.get(User, facilitator))
    assert client.get("/admin/sharing").status_code == 404
    assert client.post("/admin/sharing", data={"submit": "Save"}).status_code == 404
    with app.app_context():
        assert shared_results.sharing_on()
        login_as(client, db.session.get(User, admin))
    page = client.get("/admin/sharing", headers=EN).get_data(as_text=True)
    assert '<input checked id="share_results_with_respondents"' in page
    assert client.post("/admin/sharing", data={"submit": "Save"}).status_code == 302
    with app.app_context():
        assert not shared_results.sharing_on()
    client.post("/admin/sharing", data={"share_results_with_respondents": "y", "submit": "Save"})
    with app.app_context():
        assert shared_results.sharing_on()


def suggested(page: str) -> list[str]:
    return re.findall(r'data-playbook="([^"]+)"', page)


def test_respondents_see_the_playbooks_their_facilitators_are_pointed_to(app):
    # Two camps (1s and 5s on every item): within-team agreement collapses, which the real
    # recommendations service turns into suggestions; the page lists each of them once.
    survey = create_survey(app)
    answer_and_close(app, survey, [1, 1, 5, 5, 5])
    with app.app_context():
        wave = db.session.get(Wave, survey.wave_id)
        recommended = team_profiles.team_recommendations(wave, survey.team_id)
        expected = list(dict.fromkeys(r.playbook for r in recommended))
        assert "agreement" in {r.signal for r in recommended}
        names = {key: playbooks.get(key).text("name", "zh") for key in expected}
    page = app.test_client().get(f"/s/{survey.tokens[5]}", headers=ZH).get_data(as_text=True)
    assert expected and suggested(page) == expected
    for name in names.values():
        assert str(escape(name)) in page


def test_a_team_with_nothing_to_act_on_shows_no_suggestions_section(app):
    survey = create_survey(app)
    answer_and_close(app, survey, [4, 4, 4, 4, 4])
    with app.app_context():
        wave = db.session.get(Wave, survey.wave_id)
        assert team_profiles.team_recommendations(wave, survey.team_id) == []
    page = app.test_client().get(f"/s/{survey.tokens[0]}", headers=EN).get_data(as_text=True)
    assert HEADING_EN in page
    assert "What the team could try" not in page and suggested(page) == []


def test_a_pulse_wave_shows_the_trust_it_estimated_labelled_as_estimated(app):
    pulse = instruments.get("pulse", "1.0.0")
    survey = create_survey(app, instrument=pulse)
    client = app.test_client()
    for token, value in zip(survey.tokens, [2, 3, 4, 4, 5], strict=False):
        assert client.post(f"/s/{token}", data=full_answers(value, pulse)).status_code == 303
    with app.app_context():
        wave = db.session.get(Wave, survey.wave_id)
        wave.closes_at = utcnow() - dt.timedelta(minutes=1)
        db.session.commit()
        waves.close(wave)
    rows = stored(app, survey)
    page = client.get(f"/s/{survey.tokens[5]}", headers=EN).get_data(as_text=True)
    for key, name in (
        ("cognitive_trust", "Cognition-based trust"),
        ("affective_trust", "Affect-based trust"),
    ):
        row = page.split(f'data-scale="{key}"')[1].split("</tr>")[0]
        assert name in row and "estimated from the other scales" in row
        assert f"{rows[key].mean:.2f}" in row


def test_a_wave_past_its_close_date_but_not_yet_closed_shows_the_closed_page_to_every_link(app):
    survey = create_survey(app)
    client = app.test_client()
    assert client.post(f"/s/{survey.tokens[0]}", data=full_answers(3)).status_code == 303
    with app.app_context():
        db.session.get(Wave, survey.wave_id).closes_at = utcnow() - dt.timedelta(minutes=1)
        db.session.commit()
    used = client.get(f"/s/{survey.tokens[0]}", headers=EN)
    unused = client.get(f"/s/{survey.tokens[1]}", headers=EN)
    assert used.status_code == unused.status_code == 200
    assert used.get_data() == unused.get_data()
    assert "The survey is closed" in used.get_data(as_text=True)


def test_results_page_shows_no_comment_and_no_other_team(app):
    survey = create_survey(app)
    other = create_survey(app, team="Elsewhere")
    client = app.test_client()
    for survey_, comment in ((survey, "Our reviews help a lot"), (other, "Elsewhere it is fine")):
        for token in survey_.tokens[:5]:
            body = full_answers(4) | {"comment": comment}
            assert client.post(f"/s/{token}", data=body).status_code == 303
    with app.app_context():
        for wave_id in (survey.wave_id, other.wave_id):
            wave = db.session.get(Wave, wave_id)
            wave.closes_at = utcnow() - dt.timedelta(minutes=1)
            db.session.commit()
            waves.close(wave)
    page = client.get(f"/s/{survey.tokens[0]}", headers=EN).get_data(as_text=True)
    assert "Platform" in page
    assert "Our reviews help" not in page and "Elsewhere" not in page


def test_a_team_given_invitations_after_opening_says_so_on_its_results_page(app, closed):
    """The facilitators' pages mark such a team (†): people added late may have pushed it
    past k. Its members, reading the same numbers, are told too."""
    client = app.test_client()
    before = client.get(f"/s/{closed.tokens[0]}", headers=EN).get_data(as_text=True)
    assert 'id="late-note"' not in before
    with app.app_context():
        wave = db.session.get(Wave, closed.wave_id)
        team_id = wave.teams[0].id
        admin = make_user("admin", email="late-admin@example.org")
        audit.record(wave, admin, audit.Action.ISSUED_AFTER_OPEN, {team_id: 2})
    page = client.get(f"/s/{closed.tokens[0]}", headers=EN).get_data(as_text=True)
    assert re.search(r'id="late-note">After this survey round had opened, an administrator '
                     r"invited 2 more people to your team\.", page)  # fmt: skip
    zh = client.get(f"/s/{closed.tokens[0]}", headers=ZH).get_data(as_text=True)
    assert "管理员又向你的团队补发了 2 份邀请" in zh


def test_an_interval_past_the_response_range_is_cut_wherever_it_is_shown(app, closed):
    """A 1-5 scale cannot average 5.1: the team page cut its interval at 5, while the
    respondents' page, the heatmap's cell detail and its CSV showed 3.07-5.10."""
    set_stored(app, closed, "openness", mean=4.09, ci_low=3.07, ci_high=5.0998)
    page = app.test_client().get(f"/s/{closed.tokens[0]}", headers=EN).get_data(as_text=True)
    row = page.split('data-scale="openness"')[1].split("</tr>")[0]
    assert "3.07–5.00" in row and "5.10" not in row
    client = app.test_client()
    with app.app_context():
        login_as(client, make_user("admin", email="ci-admin@example.org"))
    heat = client.get(f"/manage/waves/{closed.wave_id}/heatmap").get_data(as_text=True)
    cell = re.search(r'<tr data-level="team"[^>]*>.*?<td data-scale="openness"[^>]*>', heat, re.S)
    assert 'data-ci="3.07–5.00"' in cell.group() and "5.10" not in cell.group()
    lines = client.get(f"/manage/waves/{closed.wave_id}/heatmap.csv").get_data(as_text=True)
    openness = [line for line in lines.splitlines() if ",openness," in line]
    assert openness and all("5.0998" not in line for line in openness)
