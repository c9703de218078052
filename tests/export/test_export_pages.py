"""The export page: researchers and admins only, and the same files as the command line."""

from __future__ import annotations

import io
import json
import zipfile

from tests.export.conftest import TEAMS, closed_wave, exported
from tests.export.helpers import export_cli, read_csv


def _download(client, data: dict) -> dict[str, bytes]:
    # Closing the response closes the zip's temporary file, as a server does once it is sent.
    with client.post("/export/", data=data) as response:
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert response.mimetype == "application/zip"
        assert "attachment" in response.headers["Content-Disposition"]
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            return {name: archive.read(name) for name in archive.namelist()}


def test_a_researcher_lands_on_the_export_page(app, client, org):
    from tests.auth.test_login import sign_in

    response = sign_in(client, "researcher@example.org")
    assert response.status_code == 302 and response.headers["Location"].endswith("/export/")


def test_facilitators_get_404_and_anonymous_visitors_are_sent_to_sign_in(app, client, org, login):
    assert client.get("/export/").status_code == 302
    login(org.facilitator)
    assert client.get("/export/").status_code == 404
    assert client.post("/export/", data={"waves": "1"}).status_code == 404


def test_the_page_lists_closed_waves_only(app, client, org, login):
    from tests.export.conftest import open_wave

    closed_wave(app, org, seed=1, name="Closed-Spring")
    open_wave(app, org)
    login(org.researcher)
    page = client.get("/export/?lang=en").get_data(as_text=True)
    assert "Closed-Spring" in page and ">Open<" not in page
    assert "Include teams with fewer than k" not in page  # an admin's option


def test_page_and_command_line_give_the_same_files(app, client, org, login, tmp_path):
    first = closed_wave(app, org, seed=2, name="Spring")
    second = closed_wave(app, org, seed=3, name="Autumn", instrument="pulse")
    login(org.researcher)
    page = _download(client, {"waves": [str(first), str(second)], "comments": "y"})
    cli = export_cli(app, tmp_path / "out", str(first), str(second), "--comments")
    assert sorted(page) == sorted(cli)
    for name in cli:
        if name == "comments.csv":  # shuffled on every export: the same rows in any order
            key = lambda r: tuple(r.values())  # noqa: E731
            assert sorted(read_csv(page[name]), key=key) == sorted(read_csv(cli[name]), key=key)
        else:
            assert page[name] == cli[name], name


def test_a_researcher_cannot_get_small_teams_even_by_posting_the_option(app, client, org, login):
    wave = closed_wave(app, org, seed=4)
    login(org.researcher)
    files = _download(client, {"waves": str(wave), "small_teams": "y", "team_names": "y"})
    responses = read_csv(files["responses.csv"])
    assert len(responses) == sum(TEAMS[n][1] for n in exported(app, wave))
    assert {r["team"][0] for r in responses} == {"T"}
    assert json.loads(files["codebook.json"])["small_teams_included"] is False


def test_an_admin_who_ticks_the_option_gets_small_teams_and_the_codebook_says_so(
    app, client, org, login
):
    wave = closed_wave(app, org, seed=5)
    login(org.admin)
    assert "Include teams with fewer than k" in client.get("/export/?lang=en").get_data(
        as_text=True
    )
    files = _download(client, {"waves": str(wave), "small_teams": "y"})
    assert len(read_csv(files["responses.csv"])) == sum(n for _size, n in TEAMS.values())
    assert json.loads(files["codebook.json"])["small_teams_included"] is True


def test_no_wave_chosen_is_refused_with_a_message(app, client, org, login):
    closed_wave(app, org, seed=6)
    login(org.researcher)
    response = client.post("/export/?lang=en", data={})
    assert response.status_code == 200 and "Choose at least one wave." in response.get_data(
        as_text=True
    )


def test_the_page_gives_the_close_date_in_the_organisations_zone(app, client, org, login):
    import datetime as dt

    from surveys.db import db
    from surveys.models import Wave
    from surveys.services import organisation

    wave_id = closed_wave(app, org, seed=1, name="Late")
    with app.app_context():
        # 20:00 UTC on 30 June is 04:00 on 1 July in Shanghai.
        db.session.get(Wave, wave_id).closed_at = dt.datetime(2026, 6, 30, 20, 0)
        db.session.commit()
        organisation.set_time_zone("Asia/Shanghai")
    login(org.researcher)
    page = client.get("/export/?lang=en").get_data(as_text=True)
    assert "Dates are in Asia/Shanghai." in page
    assert '<td data-label="Closed">2026-07-01</td>' in page and "2026-06-30" not in page
