"""Instruments in the instance folder: loaded when the app is created, a bad file refused alone."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from surveys import instruments
from tests.helpers import HOURS, login_as, make_user, pulse_copy
from tests.respond.survey_setup import FULL, create_survey

TYPO = ('key = "sim4"\n', 'key = "sim4"\nrevers = true\n')


@pytest.fixture
def own(tmp_path):
    """The instance folder's instruments/ (conftest's make_app puts the instance here)."""
    return tmp_path / "instance" / "instruments"


def new_wave_page(app, role: str = "admin") -> str:
    client = app.test_client()
    with app.app_context():
        login_as(client, make_user(role, email=f"{role}@example.org"))
    response = client.get("/manage/waves/new")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_instrument_in_the_instance_folder_is_offered_for_new_waves(make_app, own):
    path = pulse_copy(own, "team_pulse.toml", key="team_pulse", version="2.1")
    app = make_app()
    with app.app_context():
        assert instruments.get("team_pulse", "2.1").source == str(path)
        assert instruments.refused() == ()
    page = new_wave_page(app)
    assert 'value="team_pulse:2.1"' in page
    assert 'value="full:1.0.0"' in page
    assert "refused-instruments" not in page


def test_a_bad_file_is_logged_and_shown_while_shipped_waves_keep_working(make_app, own, caplog):
    bad = pulse_copy(own, "typo.toml", key="typo_pulse", change=TYPO)
    with caplog.at_level(logging.ERROR):
        app = make_app()
    [record] = [r for r in caplog.records if "typo.toml" in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert f"{bad}: item 'sim4': unknown key 'revers'" in record.getMessage()

    survey = create_survey(app)
    response = app.test_client().get(f"/s/{survey.tokens[0]}")
    assert response.status_code == 200
    for role in ("admin", "facilitator"):
        page = new_wave_page(app, role)
        assert "refused-instruments" in page
        assert "typo.toml: <code>item &#39;sim4&#39;: unknown key &#39;revers&#39;" in page
        assert 'value="full:1.0.0"' in page and 'value="typo_pulse' not in page


def test_a_copy_with_a_shipped_key_and_version_does_not_replace_what_waves_asked(
    make_app, own, caplog
):
    pulse_copy(own, "pulse.toml", change=("两道题", "三道题"))
    with caplog.at_level(logging.ERROR):
        app = make_app()
    shipped = str(instruments.FOLDER / "pulse.toml")
    assert any(
        str(own / "pulse.toml") in r.getMessage() and shipped in r.getMessage()
        for r in caplog.records
    )
    with app.app_context():
        assert instruments.get("pulse", "1.0.0").source == shipped
    page = new_wave_page(app)
    assert (
        "pulse.toml: instrument pulse version 1.0.0 already ships with the product "
        "(pulse.toml), so this copy is not used."
    ) in page


def test_a_wave_whose_instrument_is_not_loaded_says_so_instead_of_failing(make_app, own):
    app = make_app()
    gone = dataclasses.replace(FULL, key="retired", version="0.9")
    survey = create_survey(app, instrument=gone)
    response = app.test_client().get(f"/s/{survey.tokens[0]}", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 503
    assert "（retired，版本 0.9）" in response.get_data(as_text=True)
    client = app.test_client()
    with app.app_context():
        login_as(client, make_user("admin"))
    response = client.get(f"/manage/waves/{survey.wave_id}")
    assert response.status_code == 503
    assert "(retired, version 0.9) is not available" in response.get_data(as_text=True)


def test_check_instrument_accepts_a_good_file_and_says_where_it_goes(make_app, own, tmp_path):
    path = pulse_copy(tmp_path / "drafts", "mine.toml", key="mine")
    result = make_app().test_cli_runner().invoke(args=["check-instrument", str(path)])
    assert result.exit_code == 0, result.output
    assert f"OK: {path}: instrument mine version 1.0.0, 5 scales, 10 items." in result.output
    assert f"copy it to {own}/ and restart the app" in result.output


def test_check_instrument_passes_a_file_the_app_loaded_from_its_folder(make_app, own):
    path = pulse_copy(own, "mine.toml", key="mine")
    result = make_app().test_cli_runner().invoke(args=["check-instrument", str(path)])
    assert result.exit_code == 0, result.output
    assert "copy it to" not in result.output


def test_check_instrument_refuses_a_bad_file_naming_file_item_and_problem(make_app, tmp_path):
    path = pulse_copy(tmp_path / "drafts", "typo.toml", key="typo", change=TYPO)
    result = make_app().test_cli_runner().invoke(args=["check-instrument", str(path)])
    assert result.exit_code == 2
    assert (
        f"Error: {path}: item 'sim4': unknown key 'revers' (did you mean 'reverse'?)"
        in result.output
    )


def test_check_instrument_refuses_a_key_and_version_already_in_use(make_app, tmp_path):
    drafts = tmp_path / "drafts"
    copy = pulse_copy(drafts, "copy.toml")
    first, second = (
        pulse_copy(drafts, "a.toml", key="mine"),
        pulse_copy(drafts, "b.toml", key="mine"),
    )
    runner = make_app().test_cli_runner()
    result = runner.invoke(args=["check-instrument", str(copy)])
    assert result.exit_code == 2
    assert (
        f"Error: {copy}: instrument 'pulse' version '1.0.0' is already defined in "
        f"{instruments.FOLDER / 'pulse.toml'}" in result.output
    )
    result = runner.invoke(args=["check-instrument", str(first), str(second)])
    assert result.exit_code == 2
    assert f"OK: {first}" in result.output
    assert (
        f"Error: {second}: instrument 'mine' version '1.0.0' is already defined in "
        f"{first}" in result.output
    )


def test_instruments_are_read_once_when_the_app_is_created(make_app, own):
    app = make_app()
    pulse_copy(own, "later.toml", key="later")
    with app.app_context():
        # A file added while the app runs waits for a restart: pages never read files.
        assert ("later", "1.0.0") not in instruments.current().instruments


def test_a_key_or_version_too_long_for_the_database_is_refused_on_every_database(make_app, own):
    # SQLite would store it; PostgreSQL would fail when a wave is created or closed.
    pulse_copy(own, "long.toml", key="k" * 65, version="1")
    pulse_copy(own, "long_version.toml", key="long_version", version="1." + "0" * 31)
    app = make_app()
    with app.app_context():
        messages = sorted(r.message() for r in instruments.refused())
    assert len(messages) == 2
    assert "instrument key is 65 characters long; at most 64 fit" in messages[0]
    assert "version is 33 characters long; at most 32 fit" in messages[1]


def test_a_version_with_superscript_digits_sorts_instead_of_failing_the_new_wave_page(
    make_app, own
):
    pulse_copy(own, "odd.toml", key="pulse", version="1.²")
    app = make_app()
    assert 'value="pulse:1.0.0"' in new_wave_page(app)


def test_an_instrument_with_a_continuous_scale_serves_imports_not_new_waves(make_app, own):
    """A survey page shows answer options, which a continuous scale has none of: offered
    for a live wave, its links would fail. It is loaded for imports and analyze."""
    own.mkdir(parents=True)
    (own / "hours.toml").write_text(HOURS, encoding="utf-8")
    app = make_app()
    with app.app_context():
        assert instruments.has_continuous_scale(instruments.get("hours", "1.0"))
        assert not instruments.has_continuous_scale(FULL)
    page = new_wave_page(app)
    assert 'value="full:1.0.0"' in page and 'value="hours:1.0"' not in page
    result = app.test_cli_runner().invoke(args=["check-instrument", str(own / "hours.toml")])
    assert result.exit_code == 0 and "it serves imports (trustsurvey import)" in result.output
