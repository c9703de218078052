"""The wave form names each chosen team that can never reach k and where its answers count
(issue 10, point 6)."""

import datetime as dt
import re

from surveys.db import db
from surveys.models import Team, Wave, utcnow


def _when(days: float) -> str:
    return (utcnow() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _form(teams, **overrides) -> dict:
    data = {
        "name": "Autumn pulse",
        "instrument": "pulse:1.0.0",
        "teams": [str(t) for t in teams],
        "opens_at": _when(1),
        "closes_at": _when(15),
        "k": "5",
    }
    data.update(overrides)
    return data


def _put_beta_in_sales(app, world):
    with app.app_context():
        sales = Team(name="Sales")
        db.session.add(sales)
        db.session.get(Team, world.beta).parent = sales
        db.session.commit()


def _wave_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(db.select(Wave)).all())


def test_a_team_below_k_is_named_with_its_department_before_the_wave_is_saved(
    app, client, world, login
):
    _put_beta_in_sales(app, world)
    login(world.admin)
    response = client.post("/manage/waves/new", data=_form([world.alpha, world.beta]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _wave_count(app) == 0
    warning = re.search(r'<div class="notice form-warning".*?</div>', html, re.S).group(0)
    assert "Beta (4 active members): its answers count in its department, Sales." in warning
    assert "Alpha" not in warning  # 6 active members reach k = 5
    assert 'name="accept_small_teams"' in warning

    again = client.post(
        "/manage/waves/new", data=_form([world.alpha, world.beta], accept_small_teams="y")
    )
    assert again.status_code == 302
    assert _wave_count(app) == 1


def test_a_team_without_department_counts_in_the_organisation(app, client, world, login):
    login(world.admin)
    html = client.post("/manage/waves/new", data=_form([world.beta])).get_data(as_text=True)
    assert "Beta (4 active members): its answers count only in the organisation" in html


def test_no_warning_when_every_team_can_reach_k(app, client, world, login):
    login(world.admin)
    response = client.post("/manage/waves/new", data=_form([world.alpha, world.beta], k="4"))
    assert response.status_code == 302


def test_the_warning_is_in_chinese_on_the_chinese_form(app, client, world, login):
    _put_beta_in_sales(app, world)
    login(world.admin)
    html = client.post("/manage/waves/new?lang=zh_Hans", data=_form([world.beta])).get_data(
        as_text=True
    )
    assert "Beta（4 名在职成员）" in html and "Sales" in html


def test_editing_a_scheduled_wave_warns_too(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="scheduled")
    login(world.admin)
    response = client.post(f"/manage/waves/{wave_id}/edit", data=_form([world.beta]))
    assert response.status_code == 200
    assert 'id="small-teams"' in response.get_data(as_text=True)
    with app.app_context():
        assert [t.id for t in db.session.get(Wave, wave_id).teams] == [world.alpha]


def test_the_form_carries_roster_sizes_for_the_live_warning(app, client, world, login):
    _put_beta_in_sales(app, world)
    login(world.admin)
    html = client.get("/manage/waves/new").get_data(as_text=True)
    assert f'data-team="{world.beta}" data-active="4" data-department="Sales"' in html
    assert f'data-team="{world.alpha}" data-active="6" data-department=""' in html
    assert "wave_form.js" in html
