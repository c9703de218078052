"""Wave dates are entered and shown in the organisation's zone, named beside them, and
stored in UTC (issue 10, point 7)."""

import datetime as dt

from surveys.db import db
from surveys.models import Wave
from surveys.services import organisation


def _shanghai(app):
    with app.app_context():
        organisation.set_time_zone("Asia/Shanghai")


def test_dates_entered_in_shanghai_are_stored_in_utc(app, client, world, login):
    _shanghai(app)
    login(world.admin)
    response = client.post(
        "/manage/waves/new",
        data={
            "name": "Spring",
            "instrument": "pulse:1.0.0",
            "teams": [str(world.alpha)],
            "opens_at": "2099-01-10T09:00",
            "closes_at": "2099-01-24T18:00",
            "k": "5",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        wave = db.session.scalar(db.select(Wave))
        assert wave.opens_at == dt.datetime(2099, 1, 10, 1, 0)
        assert wave.closes_at == dt.datetime(2099, 1, 24, 10, 0)


def test_wave_page_form_and_dashboard_show_local_times_and_name_the_zone(
    app, client, world, login, make_wave
):
    _shanghai(app)
    wave_id = make_wave([world.alpha], state="scheduled")
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        wave.opens_at = dt.datetime(2099, 1, 10, 1, 0)
        wave.closes_at = dt.datetime(2099, 1, 24, 10, 0)
        db.session.commit()
    login(world.admin)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "2099-01-10 09:00" in page and "2099-01-24 18:00" in page
    assert "Asia/Shanghai" in page
    form = client.get(f"/manage/waves/{wave_id}/edit").get_data(as_text=True)
    assert 'value="2099-01-10T09:00"' in form
    assert "Opens (Asia/Shanghai)" in form and "Closes (Asia/Shanghai)" in form
    dashboard = client.get("/manage/").get_data(as_text=True)
    assert "2099-01-10 09:00" in dashboard and "Times are in Asia/Shanghai." in dashboard


def test_resaving_an_unchanged_form_keeps_the_stored_times(app, client, world, login, make_wave):
    _shanghai(app)
    wave_id = make_wave([world.alpha], state="scheduled")
    with app.app_context():
        before = db.session.get(Wave, wave_id)
        opens, closes = before.opens_at.replace(second=0), before.closes_at.replace(second=0)
    login(world.admin)
    form = client.get(f"/manage/waves/{wave_id}/edit").get_data(as_text=True)
    import re

    values = dict(re.findall(r'name="(opens_at|closes_at)"[^>]*value="([^"]+)"', form))
    response = client.post(
        f"/manage/waves/{wave_id}/edit",
        data={
            "name": "Spring",
            "instrument": "full:1.0.0",
            "teams": [str(world.alpha)],
            "k": "5",
            **values,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        after = db.session.get(Wave, wave_id)
        assert (after.opens_at, after.closes_at) == (opens, closes)
