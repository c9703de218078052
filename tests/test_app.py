"""The app factory, static files, security headers and languages."""

import pytest

from surveys.db import db


def test_landing_page_follows_browser_language(client):
    zh = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    en = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="zh-Hans">' in zh.get_data(as_text=True)
    assert "团队信任调查" in zh.get_data(as_text=True)
    assert "Team trust survey" in en.get_data(as_text=True)


def test_language_switch_sticks_for_the_session(client):
    client.get("/?lang=zh_Hans", headers={"Accept-Language": "en"})
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "团队信任调查" in page


def test_stylesheet_is_served_from_static(client):
    with client.get("/static/style.css") as response:  # closes the file it sends
        assert response.status_code == 200
        assert b".options" in response.data


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_form_fields_carry_aria_attributes_only_when_invalid(client):
    page = client.post("/auth/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert 'aria-invalid="None"' not in page and 'aria-describedby="None"' not in page
    assert 'aria-invalid="true"' in page
    fresh = client.get("/auth/login").get_data(as_text=True)
    assert "aria-invalid" not in fresh


def test_templates_use_no_inline_styles_or_scripts_the_csp_would_block():
    # The CSP says style-src 'self' and script-src 'self': a browser ignores style="..."
    # attributes, <style> blocks and inline handlers, so a page relying on them breaks.
    import re
    from pathlib import Path

    import surveys

    blocked = re.compile(r"\sstyle=|<style|\son[a-z]+=|<script(?![^>]*\bsrc=)")
    found = [
        f"{path.name}: {line.strip()[:60]}"
        for path in (Path(surveys.__file__).parent / "templates").rglob("*.html")
        for line in path.read_text(encoding="utf-8").splitlines()
        if blocked.search(line)
    ]
    assert found == []


def test_team_tree_indents_departments_with_classes(app, client):
    from surveys.db import db
    from surveys.models import Team
    from tests.helpers import login_as, make_user

    with app.app_context():
        department = Team(name="Dept")
        db.session.add_all([department, Team(name="Child", parent=department)])
        db.session.commit()
        login_as(client, make_user("admin"))
    page = client.get("/admin/teams").get_data(as_text=True)
    assert 'class="tree-depth-0"' in page and 'class="tree-depth-1"' in page
    assert "style=" not in page


def test_base_url_comes_from_the_environment_without_its_trailing_slash(make_app, monkeypatch):
    monkeypatch.setenv("TRUSTSURVEY_BASE_URL", " https://trust.example.com/ ")
    assert make_app().config["BASE_URL"] == "https://trust.example.com"
    monkeypatch.delenv("TRUSTSURVEY_BASE_URL")
    assert make_app().config["BASE_URL"] is None


@pytest.mark.parametrize(
    "value",
    ["trust.example.com", "ftp://trust.example.com", "https://", "https://trust.example.com/?x=1"],
)
def test_a_base_url_that_would_print_broken_links_stops_the_app(make_app, monkeypatch, value):
    monkeypatch.setenv("TRUSTSURVEY_BASE_URL", value)
    with pytest.raises(ValueError, match="TRUSTSURVEY_BASE_URL"):
        make_app()


def test_sqlite_connections_wait_30_seconds_for_a_lock(make_app):
    # Closing a wave rewrites the SQLite file; a submission meanwhile waits, not fails.
    app = make_app()
    with app.app_context():
        assert db.session.execute(db.text("PRAGMA busy_timeout")).scalar() == 30_000
