"""The organisation's time zone: its default, and conversions to and from UTC."""

import datetime as dt

import pytest

from surveys.db import db
from surveys.models import Organisation
from surveys.services import organisation


def test_an_organisation_with_a_chinese_name_defaults_to_shanghai(app):
    with app.app_context():
        db.session.add(Organisation(name="Songhe Technology 松禾科技"))
        db.session.commit()
        assert organisation.time_zone_name() == "Asia/Shanghai"


def test_other_organisations_default_to_the_servers_zone(app, monkeypatch):
    monkeypatch.setenv("TZ", "America/Chicago")
    with app.app_context():
        db.session.add(Organisation(name="Example Ltd"))
        db.session.commit()
        assert organisation.time_zone_name() == "America/Chicago"


def test_an_unknown_server_zone_falls_back_to_the_system_files_or_utc(monkeypatch):
    monkeypatch.setenv("TZ", "Nowhere/Land")
    assert organisation.is_time_zone(organisation.server_time_zone())


def test_the_setting_wins_over_the_default(app):
    with app.app_context():
        db.session.add(Organisation(name="松禾科技", time_zone="Europe/Berlin"))
        db.session.commit()
        assert organisation.time_zone_name() == "Europe/Berlin"


def test_times_convert_between_the_zone_and_utc_across_daylight_saving(app):
    with app.app_context():
        organisation.set_time_zone("Europe/Berlin")
        winter, summer = dt.datetime(2027, 1, 10, 9, 0), dt.datetime(2027, 7, 10, 9, 0)
        assert organisation.to_utc(winter) == dt.datetime(2027, 1, 10, 8, 0)  # CET, UTC+1
        assert organisation.to_utc(summer) == dt.datetime(2027, 7, 10, 7, 0)  # CEST, UTC+2
        assert organisation.to_local(dt.datetime(2027, 7, 10, 7, 0)) == summer


def test_setting_an_unknown_zone_raises_and_changes_nothing(app):
    with app.app_context():
        with pytest.raises(organisation.TimeZoneError):
            organisation.set_time_zone("Mars/Olympus")
        assert db.session.scalar(db.select(Organisation)) is None
