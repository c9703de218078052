"""The wave's "where to act" list: recommendations from stored results, for visible teams."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from surveys.db import db
from surveys.models import Team, User
from tests.act.survey_data import closed_wave, make_teams
from tests.helpers import make_user


@pytest.fixture
def org(app):
    ids = make_teams(app, {"Alpha": 8, "Beta": 8, "Gamma": 8, "Delta": 8, "Small": 4, "Small2": 4})
    levels = {
        ids["Alpha"]: (8, {"familiarity": 1.8}),
        ids["Beta"]: (8, {}),
        ids["Gamma"]: (8, {}),
        ids["Delta"]: (8, {}),
        ids["Small"]: (4, {"familiarity": 1.5, "openness": 1.5}),  # below k = 5
        # A second small team: together they reach k, so the organisation's row withholds
        # no shown team to protect one small team (complementary suppression).
        ids["Small2"]: (4, {}),
    }
    wave_id = closed_wave(app, "Autumn", dt.date(2026, 9, 1), levels, seed=11)
    with app.app_context():
        make_user("admin")
        fac = make_user(
            "facilitator",
            email="fa@example.org",
            teams=[db.session.get(Team, ids["Alpha"]), db.session.get(Team, ids["Small"])],
        )
        return wave_id, ids, fac.id


def recommendations(page: str) -> list[tuple[str, str, str]]:
    return re.findall(
        r'data-team="([^"]+)" data-recommendation="([^"]+)" data-driver="([^"]+)"', page
    )


def sign_in(app, client, email):
    from tests.helpers import login_as

    with app.app_context():
        login_as(client, db.session.scalar(db.select(User).where(User.email == email)))


def test_the_list_names_the_low_driver_its_playbook_and_the_numbers(app, client, org):
    wave_id, _ids, _fac = org
    sign_in(app, client, "admin@example.org")
    page = client.get(f"/manage/waves/{wave_id}/actions").get_data(as_text=True)
    assert recommendations(page) == [("Alpha", "rituals", "familiarity")]
    assert re.search(r"Familiarity 1\.\d\d, organisation 3\.\d\d, below the scale", page)
    assert 'href="/manage/playbooks/rituals"' in page


def test_a_team_below_k_gets_no_recommendation(app, client, org):
    wave_id, ids, _fac = org
    sign_in(app, client, "fa@example.org")
    page = client.get(f"/manage/waves/{wave_id}/actions").get_data(as_text=True)
    assert [r[0] for r in recommendations(page)] == ["Alpha"]
    withheld = page[page.index('id="teams-withheld"') :]
    assert "Small" in withheld[: withheld.index("</section>")]
    assert 'id="teams-without-suggestions"' not in page  # Alpha has one, Small is withheld
    assert 'data-team="Small"' not in page


def test_a_facilitator_sees_only_their_teams_recommendations(app, client, org):
    wave_id, ids, _fac = org
    with app.app_context():
        make_user("facilitator", email="fb@example.org", teams=[db.session.get(Team, ids["Beta"])])
    sign_in(app, client, "fb@example.org")
    page = client.get(f"/manage/waves/{wave_id}/actions").get_data(as_text=True)
    assert recommendations(page) == []
    assert "Alpha" not in page and "Beta" in page


def test_the_list_is_in_chinese_for_a_chinese_reader(app, client, org):
    wave_id, _ids, _fac = org
    sign_in(app, client, "admin@example.org")
    page = client.get(f"/manage/waves/{wave_id}/actions?lang=zh_Hans").get_data(as_text=True)
    assert re.search(r"了解度 1\.\d\d，组织平均 3\.\d\d，低于量表中点 3\.00", page)


def test_an_open_wave_shows_no_recommendation(app, client, org, make_wave):
    _wave_id, ids, _fac = org
    open_id = make_wave([ids["Alpha"]], state="open")
    sign_in(app, client, "admin@example.org")
    page = client.get(f"/manage/waves/{open_id}/actions").get_data(as_text=True)
    assert recommendations(page) == []
    assert "once the wave has closed" in page


def test_a_team_withheld_to_protect_a_small_team_gets_no_recommendation(app, client):
    """One small team alone: the organisation's row minus the shown teams would give its
    mean, so the close withholds another team too; that team is low, yet nothing is said."""
    from surveys.models import TeamScaleResult

    ids = make_teams(app, {"Low": 6, "Mid": 9, "High": 9, "Small": 4})
    levels = {
        ids["Low"]: (6, {"familiarity": 1.8}),
        ids["Mid"]: (9, {}),
        ids["High"]: (9, {}),
        ids["Small"]: (4, {}),
    }
    wave_id = closed_wave(app, "Autumn", dt.date(2026, 9, 1), levels, seed=5)
    with app.app_context():
        make_user("admin")
        withheld = set(
            db.session.scalars(
                db.select(TeamScaleResult.team_id).where(
                    TeamScaleResult.wave_id == wave_id,
                    TeamScaleResult.suppressed.is_not(None),
                    TeamScaleResult.n >= 5,
                )
            )
        )
    assert withheld, "the close withheld no team beside the small one"
    sign_in(app, client, "admin@example.org")
    page = client.get(f"/manage/waves/{wave_id}/actions").get_data(as_text=True)
    names = {v: k for k, v in ids.items()}
    listed = page[page.index('id="teams-withheld"') :]
    listed = listed[: listed.index("</section>")]
    for team_id in withheld:
        assert f'data-team="{names[team_id]}"' not in page
        assert names[team_id] in listed


def test_the_team_page_of_interventions_shows_the_teams_recommendations(app, client, org):
    _wave_id, ids, _fac = org
    sign_in(app, client, "fa@example.org")
    page = client.get(f"/manage/teams/{ids['Alpha']}/interventions").get_data(as_text=True)
    assert recommendations(page) == [("Alpha", "rituals", "familiarity")]
    assert "Suggested from Autumn" in page
    assert f'href="/manage/interventions/new?team={ids["Alpha"]}&amp;playbook=rituals"' in page
    small = client.get(f"/manage/teams/{ids['Small']}/interventions").get_data(as_text=True)
    assert recommendations(small) == []


def _department_of(app, inside: dict[str, int], outside: dict[str, int]) -> dict[str, int]:
    """Teams of the given sizes, those ``inside`` under a department "Ops"; and an admin."""
    ids = make_teams(app, {"Ops": 0, **inside, **outside})
    with app.app_context():
        ops = db.session.get(Team, ids["Ops"])
        for name in inside:
            db.session.get(Team, ids[name]).parent = ops
        db.session.commit()
        make_user("admin")
    return ids


def _quiet(page: str) -> str:
    """The section listing the groups with nothing to suggest."""
    quiet = page[page.index('id="teams-without-suggestions"') :]
    return quiet[: quiet.index("</section>")]


def test_a_department_pools_its_small_teams_and_may_get_a_recommendation(app, client):
    """Two teams below k get nothing; their department, pooled to six answers, does."""
    ids = _department_of(app, {"Tiny": 4, "Tiny2": 4}, {"Big1": 9, "Big2": 9, "Big3": 9})
    levels = {
        ids["Tiny"]: (3, {"openness": 1.4}),
        ids["Tiny2"]: (3, {"openness": 1.4}),
        ids["Big1"]: (8, {}),
        ids["Big2"]: (8, {}),
        ids["Big3"]: (8, {}),
    }
    wave_id = closed_wave(app, "Autumn", dt.date(2026, 9, 1), levels, seed=8)
    sign_in(app, client, "admin@example.org")
    page = client.get(f"/manage/waves/{wave_id}/actions").get_data(as_text=True)
    assert ("Ops", "sunlight", "openness") in recommendations(page)
    assert not any(team.startswith("Tiny") for team, _p, _d in recommendations(page))
    assert "department, all its teams together" in page
    assert '/manage/interventions/new?playbook=sunlight"' in page  # no team preselected


def test_the_team_page_shows_its_recommendations_and_interventions(app, client, org):
    wave_id, ids, _fac = org
    sign_in(app, client, "fa@example.org")
    page = client.get(f"/manage/waves/{wave_id}/teams/{ids['Alpha']}").get_data(as_text=True)
    assert recommendations(page) == [("Alpha", "rituals", "familiarity")]
    assert 'id="interventions"' in page and "No intervention logged yet." in page
    small = client.get(f"/manage/waves/{wave_id}/teams/{ids['Small']}").get_data(as_text=True)
    assert recommendations(small) == []


def test_the_quiet_list_of_teams_alone_says_teams(app, client, org):
    wave_id, _ids, _fac = org
    sign_in(app, client, "admin@example.org")
    page = client.get(f"/manage/waves/{wave_id}/actions").get_data(as_text=True)
    quiet = _quiet(page)
    assert "Beta" in quiet and "No scale of these teams is" in quiet  # teams only


def test_a_quiet_department_is_not_called_a_team(app, client):
    ids = _department_of(app, {"Mid1": 8, "Mid2": 8}, {"Big1": 8, "Big2": 8})
    levels = {ids[name]: (8, {}) for name in ("Mid1", "Mid2", "Big1", "Big2")}
    wave_id = closed_wave(app, "Autumn", dt.date(2026, 9, 1), levels, seed=8)
    sign_in(app, client, "admin@example.org")
    page = client.get(f"/manage/waves/{wave_id}/actions").get_data(as_text=True)
    quiet = _quiet(page)
    assert "Ops" in quiet
    assert "No scale of these teams and departments is" in quiet
