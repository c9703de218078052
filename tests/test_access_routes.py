"""Anonymity invariant 6, route by route: every URL of the app, as every role.

The walk reads ``app.url_map`` at run time, so a route added tomorrow is walked too: it
fails here unless it is public (listed below) or checks who is asking. URL variables are
filled with objects of team B, which the facilitator of team A must not see: a team, its
wave, member, invitation and facilitator. A variable the walk does not know fails the walk,
so whoever adds a new kind of object also says here which object of team B to use.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from surveys.db import db
from surveys.models import Intervention, Invitation, Member, Team, User, Wave, utcnow
from tests.helpers import login_as, make_user

# Reachable without signing in. Everything else needs a signed-in user.
PUBLIC_ENDPOINTS = {"static", "auth.login"}
PUBLIC_BLUEPRINTS = {"respond"}
# Pages about one's own account: any signed-in user, no team data.
OWN_ACCOUNT = {"auth.account", "auth.password", "auth.logout"}
# The researcher's own area (exports of anonymised data).
RESEARCHER_BLUEPRINTS = {"export"}
# Values for URL variables that name no object.
PLAIN_VALUES = {
    "lang": "en",
    "fmt": "csv",
    "format": "csv",
    "scale": "familiarity",
    "key": "rituals",  # a playbook: the same for everyone, no team data
    "kind": "invitation",
}
NOWHERE = 999_999

# Words that appear only in team B's data: none may reach the facilitator of team A.
SECRETS = (
    "Bravo-Hidden-Team",
    "Zed-Hidden-Member",
    "zed.hidden@example.org",
    "Hidden-Wave-B",
    "fac-b@example.org",
    "Hidden-Intervention-Note",
)


@pytest.fixture
def world(app):
    """Team A (facilitated by fac-a) and team B with a member, an open wave and an invitation."""
    with app.app_context():
        team_a = Team(name="Alpha-Visible")
        team_b = Team(name="Bravo-Hidden-Team")
        db.session.add_all([team_a, team_b])
        db.session.add(Member(team=team_a, name="Ann Alpha", email="ann@example.org"))
        member_b = Member(team=team_b, name="Zed-Hidden-Member", email="zed.hidden@example.org")
        db.session.add(member_b)
        now = utcnow()
        wave_b = Wave(
            name="Hidden-Wave-B",
            instrument_key="full",
            instrument_version="1.0.0",
            opens_at=now - dt.timedelta(days=1),
            closes_at=now + dt.timedelta(days=7),
            k=5,
            teams=[team_b],
        )
        db.session.add(wave_b)
        db.session.flush()
        invitation_b = Invitation(wave=wave_b, team=team_b, member=member_b, token_hash="f" * 64)
        db.session.add(invitation_b)
        intervention_b = Intervention(
            playbook_key="rituals",
            teams=[team_b],
            starts_on=dt.date(2026, 10, 1),
            ends_on=dt.date(2026, 10, 1),
            facilitated_by="Coach",
            notes="Hidden-Intervention-Note",
        )
        db.session.add(intervention_b)
        db.session.commit()
        users = {
            "admin": make_user("admin").id,
            "researcher": make_user("researcher").id,
            "facilitator": make_user("facilitator", "fac-a@example.org", teams=[team_a]).id,
        }
        fac_b = make_user("facilitator", "fac-b@example.org", teams=[team_b])
        return SimpleNamespace(
            users=users,
            ids={
                "team_id": team_b.id,
                "wave_id": wave_b.id,
                "member_id": member_b.id,
                "invitation_id": invitation_b.id,
                "user_id": fac_b.id,
                "intervention_id": intervention_b.id,
            },
            team_a=team_a.id,
        )


def is_public(rule) -> bool:
    return rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS


def private_rules(app):
    rules = [r for r in app.url_map.iter_rules() if not is_public(r)]
    assert rules, "the walk found no routes at all"
    return sorted(rules, key=lambda r: r.rule)


def methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def object_arguments(rule) -> set[str]:
    return {name for name in rule.arguments if name not in PLAIN_VALUES}


def url(app, rule, ids: dict[str, int]) -> str:
    """The rule's URL with each object variable set from ``ids`` (an unknown one fails)."""
    values = {}
    for name in rule.arguments:
        if name in PLAIN_VALUES:
            values[name] = PLAIN_VALUES[name]
        elif name in ids:
            values[name] = ids[name]
        else:
            pytest.fail(
                f"{rule.endpoint} ({rule.rule}) has a URL variable {name!r} the access walk "
                "does not know: add which object of team B it names to tests/test_access_routes.py"
            )
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def request(client, method: str, path: str):
    return client.open(path, method=method, data={} if method != "GET" else None)


def leaks(response) -> list[str]:
    body = response.get_data(as_text=True)
    return [s for s in SECRETS if s in body]


def signed_in(app, world, role):
    client = app.test_client()
    with app.app_context():
        login_as(client, db.session.get(User, world.users[role]))
    return client


def test_every_route_has_a_known_shape(app, world):
    """Fails for a new URL variable the walk cannot fill (see the module docstring)."""
    for rule in private_rules(app):
        assert url(app, rule, world.ids).startswith("/")


def anonymous_problems(app, world) -> list[str]:
    client = app.test_client()
    problems = []
    for rule in private_rules(app):
        for method in methods(rule):
            path = url(app, rule, world.ids)
            response = request(client, method, path)
            to_login = response.status_code == 302 and response.headers["Location"].startswith(
                "/auth/login"
            )
            if not (to_login or response.status_code == 404):
                problems.append(f"{method} {path} ({rule.endpoint}): {response.status_code}")
    return problems


def researcher_problems(app, world) -> list[str]:
    client = signed_in(app, world, "researcher")
    problems = []
    for rule in private_rules(app):
        if rule.endpoint in OWN_ACCOUNT or rule.endpoint.split(".")[0] in RESEARCHER_BLUEPRINTS:
            continue
        for method in methods(rule):
            path = url(app, rule, world.ids)
            response = request(client, method, path)
            if response.status_code != 404 or leaks(response):
                problems.append(f"{method} {path} ({rule.endpoint}): {response.status_code}")
    return problems


def facilitator_object_problems(app, world) -> tuple[list[str], int]:
    """Every route naming an object of team B, as the facilitator of team A: 404 only."""
    client = signed_in(app, world, "facilitator")
    problems = []
    walked = 0
    for rule in private_rules(app):
        if rule.endpoint in OWN_ACCOUNT or not object_arguments(rule):
            continue
        for method in methods(rule):
            path = url(app, rule, world.ids)
            response = request(client, method, path)
            walked += 1
            if response.status_code != 404 or leaks(response):
                problems.append(f"{method} {path} ({rule.endpoint}): {response.status_code}")
    return problems, walked


def facilitator_page_problems(app, world) -> list[str]:
    """Every route without ids, as the facilitator of team A: nothing of team B, no 403."""
    client = signed_in(app, world, "facilitator")
    problems = []
    for rule in private_rules(app):
        if rule.endpoint in OWN_ACCOUNT or object_arguments(rule):
            continue
        for method in methods(rule):
            path = url(app, rule, world.ids)
            response = request(client, method, path)
            if response.status_code in (403, 500) or leaks(response):
                problems.append(
                    f"{method} {path} ({rule.endpoint}): {response.status_code} {leaks(response)}"
                )
    return problems


def test_anonymous_is_sent_to_sign_in_or_gets_404_on_every_private_route(app, world):
    assert anonymous_problems(app, world) == []


def test_researcher_gets_404_on_every_admin_and_facilitator_route(app, world):
    assert researcher_problems(app, world) == []


def test_facilitator_gets_404_for_every_object_of_another_team(app, world):
    problems, walked = facilitator_object_problems(app, world)
    assert walked >= 5  # the admin team and user pages at least
    assert problems == []


def test_facilitator_pages_without_ids_never_show_another_teams_data(app, world):
    assert facilitator_page_problems(app, world) == []


def test_walk_catches_a_route_added_without_a_check(app, world):
    """The walk itself can fail: routes with no access check are reported for every role."""
    from surveys.access import role_required

    def rogue_team(team_id):
        return db.session.get(Team, team_id).name

    @role_required("admin", "facilitator")
    def rogue_list():
        return ", ".join(db.session.scalars(db.select(Team.name)))

    app.add_url_rule("/manage/rogue/<int:team_id>", "rogue_team", rogue_team)
    app.add_url_rule("/manage/rogue-list", "rogue_list", rogue_list)
    assert any("(rogue_team): 200" in p for p in anonymous_problems(app, world))
    assert any("(rogue_team): 200" in p for p in researcher_problems(app, world))
    assert any("(rogue_team): 200" in p for p in facilitator_object_problems(app, world)[0])
    assert any("(rogue_list): 200" in p for p in facilitator_page_problems(app, world))


def test_walk_as_facilitator_changes_nothing_of_another_team(app, world):
    client = signed_in(app, world, "facilitator")
    with app.app_context():
        before = snapshot(world)
    for rule in private_rules(app):
        if rule.endpoint in OWN_ACCOUNT:
            continue
        for method in methods(rule):
            if method != "GET":
                request(client, method, url(app, rule, world.ids))
    with app.app_context():
        assert snapshot(world) == before


def snapshot(world):
    team = db.session.get(Team, world.ids["team_id"])
    wave = db.session.get(Wave, world.ids["wave_id"])
    fac_b = db.session.get(User, world.ids["user_id"])
    return (
        team.name,
        team.parent_id,
        team.archived,
        sorted(u.id for u in team.facilitators),
        sorted((m.name, m.email, m.active) for m in team.members),
        wave.name,
        wave.k,
        wave.closed_at,
        wave.opens_at,
        wave.closes_at,
        sorted(t.id for t in wave.teams),
        db.session.scalar(db.select(db.func.count(Invitation.id))),
        fac_b.role,
        fac_b.active,
        fac_b.session_token,
        [
            (i.playbook_key, sorted(t.id for t in i.teams), i.notes)
            for i in db.session.scalars(db.select(Intervention).order_by(Intervention.id))
        ],
    )


def test_admin_reaches_every_object_route_the_walk_fills(app, world):
    """The walk's ids name real objects: an admin gets a page, not a 404 or an error."""
    client = signed_in(app, world, "admin")
    problems = []
    for rule in private_rules(app):
        if "GET" not in rule.methods or rule.endpoint in OWN_ACCOUNT:
            continue
        path = url(app, rule, world.ids)
        response = client.get(path)
        if response.status_code not in (200, 302):
            problems.append(f"GET {path} ({rule.endpoint}): {response.status_code}")
    assert problems == []


def test_admin_gets_404_for_objects_that_do_not_exist(app, world):
    client = signed_in(app, world, "admin")
    nowhere = dict.fromkeys(world.ids, NOWHERE)
    problems = []
    for rule in private_rules(app):
        if not object_arguments(rule):
            continue
        for method in methods(rule):
            path = url(app, rule, nowhere)
            response = request(client, method, path)
            if response.status_code != 404:
                problems.append(f"{method} {path} ({rule.endpoint}): {response.status_code}")
    assert problems == []


def test_facilitator_sees_own_team_page(app, world):
    """The 404s above come from access rules, not from a page that never works."""
    client = signed_in(app, world, "facilitator")
    response = client.get(f"/admin/teams/{world.team_a}")
    assert response.status_code == 200
    assert "Alpha-Visible" in response.get_data(as_text=True)


def test_every_form_post_needs_a_csrf_token(make_app):
    """With CSRF on (as in production) every POST outside the respondent pages is refused
    without a token, before any access check or change: a view exempted from CSRF fails here."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        login_as(client, make_user("admin"))
    nowhere = {
        name: NOWHERE
        for name in (
            "team_id",
            "wave_id",
            "member_id",
            "invitation_id",
            "user_id",
            "intervention_id",
        )
    }
    posts = [
        r
        for r in app.url_map.iter_rules()
        if "POST" in r.methods and r.endpoint.split(".")[0] not in PUBLIC_BLUEPRINTS
    ]
    assert any(r.endpoint == "auth.login" for r in posts)
    problems = []
    for rule in posts:
        path = url(app, rule, nowhere)
        response = client.post(path, data={})
        if response.status_code != 400:
            problems.append(f"POST {path} ({rule.endpoint}): {response.status_code}")
    assert problems == []
    assert client.get("/auth/").status_code == 200  # the logout attempt was refused too
