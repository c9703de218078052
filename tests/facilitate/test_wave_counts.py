"""While a wave is open: response counts and rates per team, never a score (invariant 3)."""

import re

import numpy as np

from surveys import instruments
from surveys.db import db
from surveys.models import Response, ScaleResult, TeamScaleResult
from tests.helpers import issue_invitations

DECIMAL = re.compile(r"\d\.\d")

ALL = {"with_email_too": "y"}  # every member's link, not only those without email


def _row(page: str, team: str) -> list[str]:
    match = re.search(rf'<th scope="row">{team}</th>(.*?)</tr>', page, re.S)
    assert match, f"no row for {team}"
    return re.findall(r'<td class="num" data-label="[^"]+">(.*?)</td>', match.group(1))


def test_open_wave_shows_responses_invitations_and_rate_per_team(
    client, world, login, make_wave, add_responses
):
    wave_id = make_wave([world.alpha, world.beta])
    login(world.admin)
    issue_invitations(client.application, wave_id)
    add_responses(wave_id, world.alpha, 3, seed=1)
    add_responses(wave_id, world.beta, 1, seed=2)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert _row(page, "Alpha") == ["3", "6", "50%"]
    assert _row(page, "Beta") == ["1", "4", "25%"]


def test_rate_is_a_dash_before_any_invitation_exists(client, world, login, make_wave):
    wave_id = make_wave([world.alpha])
    login(world.admin)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert _row(page, "Alpha") == ["0", "0", "–"]


def test_facilitator_sees_counts_of_own_teams_only(client, world, login, make_wave, add_responses):
    wave_id = make_wave([world.alpha, world.beta])
    add_responses(wave_id, world.beta, 2, seed=3)
    login(world.fac_a)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert _row(page, "Alpha") == ["0", "0", "–"]
    assert "Beta" not in page


def test_open_wave_pages_contain_no_scores(app, client, world, login, make_wave, add_responses):
    wave_id = make_wave([world.alpha, world.beta], k=3)
    add_responses(wave_id, world.alpha, 6, seed=4)
    add_responses(wave_id, world.beta, 4, seed=5)
    login(world.admin)
    issue_invitations(app, wave_id)
    pages = [
        client.get(path).get_data(as_text=True)
        for path in (
            "/manage/",
            f"/manage/waves/{wave_id}",
            f"/manage/waves/{wave_id}/edit",
            f"/manage/waves/{wave_id}/close",
        )
    ]
    pages.append(
        client.post(f"/manage/waves/{wave_id}/invitations/print", data=ALL).get_data(as_text=True)
    )
    full = instruments.get("full", "1.0.0")
    with app.app_context():
        answers = [r.answers for r in db.session.scalars(db.select(Response))]
        # Nothing was computed or stored either.
        assert db.session.scalars(db.select(TeamScaleResult)).all() == []
        assert db.session.scalars(db.select(ScaleResult)).all() == []
    item_means = [np.mean([a[k] for a in answers if k in a]) for k in full.item_keys]
    for page in pages:
        text = re.sub(r"<[^>]+>", " ", page).replace(full.version, "")
        assert not DECIMAL.search(text), "a decimal number (a score) on an open wave's page"
        assert not any(f"{m:.2f}" in text for m in item_means)
        assert "Results" not in text
