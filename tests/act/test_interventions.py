"""The intervention log: a facilitator records, edits and deletes on their own teams only."""

from __future__ import annotations

import re

from surveys.db import db
from surveys.models import Intervention, Team


def csrf(page: str) -> str:
    """The form's token; the test app turns CSRF off, so usually none."""
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return found.group(1) if found else ""


def log(client, team_ids, playbook="rituals", **extra):
    page = client.get("/manage/interventions/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf(page),
        "playbook": playbook,
        "teams": [str(t) for t in team_ids],
        "starts_on": "2026-10-05",
        "ends_on": "2026-10-05",
        "facilitated_by": "Li Na (HRBP)",
        "notes": "Quarterly venting session; two fixes agreed.",
        **extra,
    }
    return client.post("/manage/interventions/new", data=data)


def stored(app) -> list[tuple[str, list[str], str]]:
    with app.app_context():
        rows = db.session.scalars(db.select(Intervention).order_by(Intervention.id)).all()
        return [(i.playbook_key, sorted(t.name for t in i.teams), i.notes) for i in rows]


def test_a_facilitator_logs_an_intervention_on_their_team_and_the_team_page_lists_it(
    app, client, world, login
):
    login(world.fac_a)
    response = log(client, [world.alpha])
    assert response.status_code == 302
    assert stored(app) == [("rituals", ["Alpha"], "Quarterly venting session; two fixes agreed.")]
    page = client.get(f"/manage/teams/{world.alpha}/interventions").get_data(as_text=True)
    assert 'data-playbook="rituals"' in page
    assert "Li Na (HRBP)" in page and "2026-10-05" in page


def test_a_facilitator_cannot_log_on_a_team_they_do_not_see(app, client, world, login):
    login(world.fac_a)
    page = log(client, [world.beta]).get_data(as_text=True)
    assert "is not a valid choice" in page
    assert stored(app) == []
    page = client.get("/manage/interventions/new").get_data(as_text=True)
    assert "Beta" not in page and "Alpha" in page


def test_another_facilitator_neither_sees_nor_edits_nor_deletes_an_intervention(
    app, client, world, login
):
    login(world.fac_a)
    log(client, [world.alpha])
    with app.app_context():
        entry_id = db.session.scalar(db.select(Intervention.id))
    token = csrf(client.get(f"/manage/interventions/{entry_id}/edit").get_data(as_text=True))

    login(world.fac_b)
    assert client.get(f"/manage/interventions/{entry_id}/edit").status_code == 404
    assert client.get(f"/manage/interventions/{entry_id}/delete").status_code == 404
    assert client.get(f"/manage/teams/{world.alpha}/interventions").status_code == 404
    listed = client.get("/manage/interventions").get_data(as_text=True)
    assert "data-intervention=" not in listed
    response = client.post(f"/manage/interventions/{entry_id}/delete", data={"csrf_token": token})
    assert response.status_code == 404
    assert len(stored(app)) == 1


def test_an_intervention_on_two_teams_is_hidden_from_a_facilitator_of_one(
    app, client, world, login
):
    """Seeing one of its teams is not enough: the entry would tell of the other team."""
    login(world.admin)
    assert log(client, [world.alpha, world.beta]).status_code == 302
    login(world.fac_b)
    page = client.get(f"/manage/teams/{world.beta}/interventions").get_data(as_text=True)
    assert "data-intervention=" not in page
    assert "Alpha" not in page


def test_the_facilitator_edits_and_then_deletes_their_intervention(app, client, world, login):
    login(world.fac_a)
    log(client, [world.alpha])
    with app.app_context():
        entry_id = db.session.scalar(db.select(Intervention.id))
    page = client.get(f"/manage/interventions/{entry_id}/edit").get_data(as_text=True)
    assert 'value="Li Na (HRBP)"' in page
    response = client.post(
        f"/manage/interventions/{entry_id}/edit",
        data={
            "csrf_token": csrf(page),
            "playbook": "sunlight",
            "teams": [str(world.alpha)],
            "starts_on": "2026-10-05",
            "ends_on": "2026-10-19",
            "facilitated_by": "External coach",
            "notes": "",
        },
    )
    assert response.status_code == 302
    assert stored(app) == [("sunlight", ["Alpha"], "")]
    # The edit page's delete is a link to a page that says what goes, and deletes nothing.
    page = client.get(f"/manage/interventions/{entry_id}/edit").get_data(as_text=True)
    assert f'action="/manage/interventions/{entry_id}/delete' not in page
    assert f'href="/manage/interventions/{entry_id}/delete' in page
    page = client.get(f"/manage/interventions/{entry_id}/delete").get_data(as_text=True)
    assert "It cannot be undone." in page and "External coach" in page
    assert 'id="delete-intervention"' in page
    assert stored(app) == [("sunlight", ["Alpha"], "")]
    response = client.post(
        f"/manage/interventions/{entry_id}/delete", data={"csrf_token": csrf(page)}
    )
    assert response.status_code == 302
    assert stored(app) == []
    with app.app_context():
        assert db.session.get(Team, world.alpha) is not None  # the team stays


def test_the_last_day_before_the_first_is_refused_and_nothing_is_stored(app, client, world, login):
    login(world.fac_a)
    page = log(client, [world.alpha], starts_on="2026-10-05", ends_on="2026-10-01").get_data(
        as_text=True
    )
    assert "The last day cannot come before the first day." in page
    assert stored(app) == []


def test_a_researcher_has_no_intervention_log(client, world, login):
    login(world.researcher)
    assert client.get("/manage/interventions").status_code == 404
    assert client.get("/manage/playbooks").status_code == 404


def test_the_teams_field_points_to_its_error_only_when_there_is_one(client, world, login):
    # WTForms writes an attribute given as None as the text "None": aria-describedby="None"
    # sent screen readers to an element that does not exist.
    login(world.fac_a)
    page = client.get("/manage/interventions/new").get_data(as_text=True)
    assert "aria-describedby" not in re.search(r'<ul[^>]*id="teams"[^>]*>', page).group(0)
    page = log(client, []).get_data(as_text=True)
    assert 'aria-describedby="teams-err"' in re.search(r'<ul[^>]*id="teams"[^>]*>', page).group(0)
    assert 'id="teams-err"' in page
    page = client.get("/manage/waves/new").get_data(as_text=True)
    assert 'aria-describedby="None"' not in page
