"""The organisation's time zone setting (issue 10, point 7)."""

from surveys.db import db
from surveys.models import Organisation
from tests.helpers import login_as, make_user


def _zone(app):
    with app.app_context():
        org = db.session.scalar(db.select(Organisation))
        return org.time_zone if org else None


def test_admin_sets_the_time_zone(app, admin_client):
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert '<option value="Asia/Shanghai">' in page
    response = admin_client.post("/admin/settings", data={"time_zone": " Europe/Berlin "})
    assert response.status_code == 302
    assert _zone(app) == "Europe/Berlin"
    assert 'value="Europe/Berlin"' in admin_client.get("/admin/settings").get_data(as_text=True)


def test_an_unknown_zone_is_refused_by_name_and_nothing_is_stored(app, admin_client):
    for bad in ("Mars/Olympus", "localtime", "../../etc/passwd", "asia/shanghai"):
        response = admin_client.post("/admin/settings", data={"time_zone": bad})
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert "is not a zone name of the time zone database" in text
        assert _zone(app) is None


def test_the_refusal_is_in_chinese_on_the_chinese_page(admin_client):
    response = admin_client.post("/admin/settings?lang=zh_Hans", data={"time_zone": "Mars/X"})
    assert "不是时区数据库中的时区名称" in response.get_data(as_text=True)


def test_only_admins_see_the_settings(app, client):
    with app.app_context():
        login_as(client, make_user("facilitator", email="f@example.org"))
    assert client.get("/admin/settings").status_code == 404
    assert client.post("/admin/settings", data={"time_zone": "UTC"}).status_code == 404
