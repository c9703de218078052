"""Users: create, change role, deactivate (sessions end), set a password; admins only."""

from surveys.db import db
from surveys.models import Team, User
from tests.helpers import login_as, make_user

PASSWORD = "correct horse 9"


def user(app, email):
    with app.app_context():
        return db.session.scalar(db.select(User).where(User.email == email))


def test_admin_creates_a_user_who_can_sign_in(app, admin_client):
    response = admin_client.post(
        "/admin/users/new",
        data={
            "email": "New@Example.org",
            "name": "New",
            "role": "facilitator",
            "password": "long enough pw",
            "password_again": "long enough pw",
        },
    )
    assert response.status_code == 302
    created = user(app, "new@example.org")
    with app.app_context():
        assert created.role == "facilitator" and created.check_password("long enough pw")
    other = app.test_client()
    assert (
        other.post(
            "/auth/login", data={"email": "new@example.org", "password": "long enough pw"}
        ).status_code
        == 302
    )


def test_create_user_errors_are_shown_and_nothing_is_stored(app, admin_client):
    page = admin_client.post(
        "/admin/users/new",
        data={
            "email": "admin@example.org",
            "role": "admin",
            "password": "short",
            "password_again": "different",
        },
    ).get_data(as_text=True)
    assert "A user with this email already exists." in page
    assert "Use at least 10 characters." in page
    assert "The passwords differ." in page
    bad = admin_client.post(
        "/admin/users/new",
        data={
            "email": "x@y",
            "role": "boss",
            "password": "long enough pw",
            "password_again": "long enough pw",
        },
    ).get_data(as_text=True)
    assert "This is not an email address." in bad
    assert "Not a valid choice" in bad
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_users_page_lists_everyone_with_role(app, admin_client):
    with app.app_context():
        make_user("researcher")
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "researcher@example.org" in page and "Researcher" in page


def test_deactivating_a_user_ends_their_session_and_sign_in(app, admin_client):
    with app.app_context():
        target = make_user("facilitator").id
    victim = app.test_client()
    with app.app_context():
        login_as(victim, db.session.get(User, target))
    assert victim.get("/auth/").status_code == 200
    admin_client.post(f"/admin/users/{target}", data={"name": "F", "role": "facilitator"})
    assert not user(app, "facilitator@example.org").active
    assert victim.get("/auth/").status_code == 302
    assert (
        app.test_client()
        .post("/auth/login", data={"email": "facilitator@example.org", "password": PASSWORD})
        .status_code
        == 200
    )


def test_changing_role_away_from_facilitator_drops_team_assignments(app, admin_client):
    with app.app_context():
        team = Team(name="T")
        db.session.add(team)
        target = make_user("facilitator", teams=[team]).id
    admin_client.post(f"/admin/users/{target}", data={"role": "researcher", "active": "y"})
    changed = user(app, "facilitator@example.org")
    assert changed.role == "researcher" and changed.active
    with app.app_context():
        assert db.session.get(User, target).teams == []


def test_admin_sets_a_new_password_for_a_user(app, admin_client):
    with app.app_context():
        target = make_user("researcher").id
    admin_client.post(
        f"/admin/users/{target}",
        data={
            "role": "researcher",
            "active": "y",
            "password": "brand new password",
            "password_again": "brand new password",
        },
    )
    with app.app_context():
        assert user(app, "researcher@example.org").check_password("brand new password")


def test_admin_cannot_demote_or_deactivate_themselves(app, admin_client):
    me = user(app, "admin@example.org")
    page = admin_client.post(f"/admin/users/{me.id}", data={"role": "facilitator", "active": "y"})
    assert "You cannot remove your own admin access" in page.get_data(as_text=True)
    admin_client.post(f"/admin/users/{me.id}", data={"role": "admin"})
    again = user(app, "admin@example.org")
    assert again.role == "admin" and again.active
    assert admin_client.get("/admin/users").status_code == 200


def test_unknown_user_is_404(admin_client):
    assert admin_client.get("/admin/users/12345").status_code == 404


def test_password_fields_that_set_a_password_ask_browsers_not_to_autofill(app, client):
    # A saved password filled into "new password" on another user's page would become theirs.
    import re

    from tests.helpers import login_as, make_user

    with app.app_context():
        admin = make_user("admin")
        other = make_user("facilitator", email="other@example.org")
        login_as(client, admin)
        other_id = other.id
    for url in ("/admin/users/new", f"/admin/users/{other_id}", "/auth/password"):
        page = client.get(url).get_data(as_text=True)
        fields = re.findall(r'<input[^>]*type="password"[^>]*>', page)
        assert fields, url
        for field in fields:
            wanted = "current-password" if 'name="current_password"' in field else "new-password"
            assert f'autocomplete="{wanted}"' in field, (url, field)
