"""Playbooks: shipped files load; a bad file is refused naming its file and field."""

from __future__ import annotations

import logging

import pytest

from surveys import playbooks
from surveys.db import db
from surveys.models import User
from tests.helpers import login_as, make_user

DESIGN_INTERVENTIONS = {
    "heart_to_heart_conflict",
    "heart_to_heart_new_leader",
    "heart_to_heart_isolated_leader",
    "group_review",
    "goal_sharing",
    "co_creation",
    "sunlight",
    "rituals",
}


def shipped_text(key: str) -> str:
    return (playbooks.FOLDER / f"{key}.toml").read_text(encoding="utf-8")


def write(folder, name: str, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_intervention_of_the_design_ships_as_a_playbook_in_both_languages():
    catalogue = playbooks.load([playbooks.FOLDER])
    assert catalogue.refused == ()
    assert set(catalogue.playbooks) == DESIGN_INTERVENTIONS
    for playbook in catalogue.listed():
        for field in playbooks.TEXTS:
            assert playbook.text(field, "en") != playbook.text(field, "zh")
        assert len(playbook.entries("steps", "en")) >= 3


def test_heart_to_heart_cautions_put_safety_first_and_forbid_forced_disclosure():
    for key in ("heart_to_heart_conflict", "heart_to_heart_new_leader"):
        cautions = " ".join(playbooks.get(key).entries("cautions", "en"))
        assert "safety" in cautions and "facilitator" in cautions and "force" in cautions
        zh = " ".join(playbooks.get(key).entries("cautions", "zh"))
        assert "心理安全" in zh and "强迫" in zh


def test_every_signal_of_the_recommendations_has_a_playbook():
    catalogue = playbooks.load([playbooks.FOLDER])
    for signal in playbooks.SIGNALS:
        assert catalogue.for_signal(signal) is not None, signal


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('drivers = ["openness"]', 'drivers = ["openess"]'), "drivers: 'openess' is not one of"),
        (("\nwhy = {", "\nwhi = {"), "[playbook] whi: unknown field (did you mean 'why'?)"),
        (('zh = "团队约定', 'fr = "团队约定'), "summary: unknown language 'fr'"),
        (("cautions = { en = [", 'cautions = { en = ["extra", '), "cautions: en has 4 entries"),
        (('key = "sunlight"', 'key = "sun light"'), "key: missing, or not made of letters"),
        (("[playbook]", "[playbok]"), "top level: unknown table 'playbok'"),
        (('= "Say it to my face', '= "Say it to my face\n'), "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_field(tmp_path, change, message):
    text = shipped_text("sunlight")
    assert change[0] in text
    path = write(tmp_path, "sunlight.toml", text.replace(*change, 1))
    with pytest.raises(playbooks.PlaybookError) as caught:
        playbooks.load_playbook(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_missing_language_is_named(tmp_path):
    text = shipped_text("rituals").replace(
        'purpose = { en = "Help team members get to know each other beyond their task lists, '
        'and build the everyday care that affect-based trust rests on.", zh',
        "purpose = { zh",
    )
    path = write(tmp_path, "rituals.toml", text)
    with pytest.raises(playbooks.PlaybookError, match="purpose: the en text is missing"):
        playbooks.load_playbook(path)


@pytest.fixture
def own(tmp_path):
    """The instance folder's playbooks/ (conftest's make_app puts the instance here)."""
    return tmp_path / "instance" / "playbooks"


def page(app, path: str, status: int = 200) -> str:
    client = app.test_client()
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.role == "admin"))
        login_as(client, admin or make_user("admin"))
    response = client.get(path)
    assert response.status_code == status
    return response.get_data(as_text=True)


def test_an_organisations_file_replaces_the_wording_of_a_shipped_playbook(make_app, own):
    text = shipped_text("goal_sharing").replace("Open goal sharing", "Our quarterly goal fair")
    write(own, "goals.toml", text)
    app = make_app()
    assert "Our quarterly goal fair" in page(app, "/manage/playbooks/goal_sharing")
    listing = page(app, "/manage/playbooks")
    assert listing.count('data-playbook="goal_sharing"') == 1


def test_a_bad_instance_file_is_logged_and_shown_while_the_others_keep_working(
    make_app, own, caplog
):
    bad = write(own, "broken.toml", shipped_text("sunlight").replace("steps = {", "step = {"))
    with caplog.at_level(logging.ERROR):
        app = make_app()
    [record] = [r for r in caplog.records if "broken.toml" in r.getMessage()]
    assert f"{bad}: [playbook] step: unknown field (did you mean 'steps'?)" in record.getMessage()
    listing = page(app, "/manage/playbooks")
    assert 'id="refused-playbooks"' in listing and "broken.toml" in listing
    assert 'data-playbook="sunlight"' in listing  # the shipped one stays


def test_a_playbook_page_shows_every_part_in_chinese(make_app):
    app = make_app()
    text = page(app, "/manage/playbooks/heart_to_heart_isolated_leader?lang=zh_Hans")
    found = playbooks.get("heart_to_heart_isolated_leader")
    for field in ("purpose", "why", "when", "when_not", "duration"):
        assert found.text(field, "zh") in text
    for field in ("roles", "preparation", "steps", "cautions"):
        for entry in found.entries(field, "zh"):
            assert entry in text


def test_an_unknown_playbook_is_not_found(make_app):
    page(make_app(), "/manage/playbooks/nothing_here", status=404)


def test_check_playbook_names_a_bad_file_and_passes_a_good_one(make_app, tmp_path):
    good = write(tmp_path, "goals.toml", shipped_text("goal_sharing"))
    bad = write(tmp_path, "bad.toml", shipped_text("sunlight").replace("steps = {", "step = {"))
    runner = make_app().test_cli_runner()
    result = runner.invoke(args=["check-playbook", str(good)])
    assert result.exit_code == 0
    assert f"OK: {good}: playbook goal_sharing (replaces the loaded one of that key)." in (
        result.output
    )
    result = runner.invoke(args=["check-playbook", str(good), str(bad)])
    assert result.exit_code == 2
    assert f"Error: {bad}: [playbook] step: unknown field (did you mean 'steps'?)" in (
        result.output
    )
