"""Sign in, sign out, change password, rate limit, CSRF (issue 3, item 1)."""

import re

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from surveys import create_app
from surveys.db import db
from surveys.models import User
from surveys.security import password_hasher
from tests.helpers import login_as, make_user

PASSWORD = "correct horse 9"


def sign_in(client, email, password=PASSWORD, next_url=None, **headers):
    url = "/auth/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password}, headers=headers)


def test_login_with_right_password_signs_in_and_goes_home(app, client):
    with app.app_context():
        make_user("admin")
    response = sign_in(client, "admin@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/teams"
    assert client.get("/auth/").status_code == 200


def test_login_email_is_case_insensitive(app, client):
    with app.app_context():
        make_user("admin")
    assert sign_in(client, "  Admin@Example.ORG ").status_code == 302


@pytest.mark.parametrize(
    "email, password",
    [
        ("admin@example.org", "wrong password 1"),
        ("nobody@example.org", PASSWORD),
    ],
)
def test_login_failure_says_the_same_whether_or_not_the_email_exists(app, client, email, password):
    with app.app_context():
        make_user("admin")
    response = sign_in(client, email, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Email or password is incorrect." in page
    assert "nobody" not in page.replace('value="nobody@example.org"', "")
    assert client.get("/auth/").status_code == 302


def test_inactive_user_cannot_sign_in(app, client):
    with app.app_context():
        user = make_user("facilitator")
        user.active = False
        db.session.commit()
    response = sign_in(client, "facilitator@example.org")
    assert "Email or password is incorrect." in response.get_data(as_text=True)


def test_login_error_is_translated(app, client):
    with app.app_context():
        make_user("admin")
    response = sign_in(
        client, "admin@example.org", "nope nope nope", **{"Accept-Language": "zh-CN"}
    )
    assert "邮箱或密码不正确。" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/admin/users", "/admin/users"),
        ("/manage/?x=1", "/manage/?x=1"),
        ("https://evil.example/", "/admin/teams"),
        ("//evil.example/", "/admin/teams"),
        ("/\\evil.example/", "/admin/teams"),
        ("javascript:alert(1)", "/admin/teams"),
    ],
)
def test_login_redirects_only_to_a_path_on_this_site(app, client, target, expected):
    with app.app_context():
        make_user("admin")
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": "admin@example.org", "password": PASSWORD},
    )
    assert response.headers["Location"] == expected


def test_protected_page_sends_anonymous_to_login_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_login_is_rate_limited_with_a_bilingual_page(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
    client = app.test_client()
    with app.app_context():
        make_user("admin")
    codes = [sign_in(client, "admin@example.org", "wrong password 1").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    en = sign_in(client, "admin@example.org", PASSWORD, **{"Accept-Language": "en"})
    zh = sign_in(client, "admin@example.org", PASSWORD, **{"Accept-Language": "zh-CN"})
    assert en.status_code == 429 and zh.status_code == 429
    assert "Too many attempts" in en.get_data(as_text=True)
    assert "尝试次数太多" in zh.get_data(as_text=True)
    # Even the right password does not get through while limited.
    assert client.get("/auth/").status_code == 302


def test_login_form_is_refused_without_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        make_user("admin")
    response = sign_in(client, "admin@example.org", **{"Accept-Language": "zh-CN"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert client.get("/auth/").status_code == 302


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_login_with_csrf_token_works_when_csrf_is_on(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        make_user("admin")
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login",
        data={"email": "admin@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert client.get("/auth/").status_code == 200


def test_logout_ends_the_session_even_for_a_replayed_cookie(app, client):
    with app.app_context():
        make_user("facilitator")
    sign_in(client, "facilitator@example.org")
    old_cookie = client.get_cookie("session").value
    assert client.get("/auth/").status_code == 200

    assert client.post("/auth/logout").headers["Location"] == "/auth/login"
    assert client.get("/auth/").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    response = replay.get("/auth/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_logout_is_post_only(app, client):
    with app.app_context():
        make_user("admin")
    sign_in(client, "admin@example.org")
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/auth/").status_code == 200


def test_logout_without_csrf_token_is_refused_and_session_survives(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        user = make_user("admin")
        login_as(client, user)
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/auth/").status_code == 200


def test_nav_has_sign_out_form_with_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        login_as(client, make_user("admin"))
    page = client.get("/auth/").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/auth/logout".*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form
    token = re.search(r'value="([^"]+)"', form).group(1)
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/auth/").status_code == 302


def change(client, current, new, again=None):
    return client.post(
        "/auth/password",
        data={
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
        },
    )


def test_password_change_keeps_this_session_and_ends_the_others(app, client):
    with app.app_context():
        make_user("researcher")
    sign_in(client, "researcher@example.org")
    other = app.test_client()
    sign_in(other, "researcher@example.org")
    response = change(client, PASSWORD, "a much better one")
    assert response.status_code == 302
    assert client.get("/auth/").status_code == 200
    assert other.get("/auth/").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh, "researcher@example.org").status_code == 200  # old password: refused
    assert sign_in(fresh, "researcher@example.org", "a much better one").status_code == 302


@pytest.mark.parametrize(
    "current, new, again, message",
    [
        ("wrong password 1", "a much better one", None, "The current password is wrong."),
        (PASSWORD, "short", None, "Use at least 10 characters."),
        (PASSWORD, "a much better one", "a much better two", "The passwords differ."),
    ],
)
def test_password_change_errors_leave_the_password_alone(app, client, current, new, again, message):
    with app.app_context():
        make_user("admin")
    sign_in(client, "admin@example.org")
    response = change(client, current, new, again)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(db.select(User))
        assert user.check_password(PASSWORD)


def test_password_is_stored_as_argon2_hash(app):
    with app.app_context():
        user = make_user("admin")
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_outdated_hash_is_upgraded_on_sign_in_to_the_configured_cost(app, client):
    with app.app_context():
        user = make_user("admin")
        user.password_hash = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(
            PASSWORD
        )
        db.session.commit()
        weak = user.password_hash
    assert sign_in(client, "admin@example.org").status_code == 302
    with app.app_context():
        stored = db.session.scalar(db.select(User.password_hash))
        assert stored != weak
        assert extract_parameters(stored) == extract_parameters(password_hasher().hash("x"))


def test_password_hash_cost_defaults_to_argon2s_recommended_profile(tmp_path, monkeypatch):
    """Tests lower the cost; an app configured by nothing else hashes at RFC 9106's profile."""
    monkeypatch.setenv("TRUSTSURVEY_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db.sqlite3"})
    with app.app_context():
        stored = extract_parameters(password_hasher().hash(PASSWORD))
    assert (stored.time_cost, stored.memory_cost, stored.parallelism) == (
        RFC_9106_LOW_MEMORY.time_cost,
        RFC_9106_LOW_MEMORY.memory_cost,
        RFC_9106_LOW_MEMORY.parallelism,
    )
    assert stored.type is Type.ID


def test_stored_password_hash_has_the_configured_cost(make_app):
    app = make_app(PASSWORD_HASH_TIME_COST=2, PASSWORD_HASH_MEMORY_COST=16)
    with app.app_context():
        stored = extract_parameters(make_user("admin").password_hash)
    assert (stored.time_cost, stored.memory_cost, stored.parallelism) == (2, 16, 1)


def test_unknown_email_is_checked_against_a_hash_of_the_configured_cost(make_app, monkeypatch):
    """A miss must cost what a wrong password costs, or timing tells which emails exist."""
    app = make_app(PASSWORD_HASH_TIME_COST=2, PASSWORD_HASH_MEMORY_COST=16)
    verified = []
    real_verify = PasswordHasher.verify

    def verify(hasher, hash, password):
        verified.append(extract_parameters(hash))
        return real_verify(hasher, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    with app.app_context():
        make_user("admin")
    assert sign_in(app.test_client(), "nobody@example.org").status_code == 200
    assert sign_in(app.test_client(), "admin@example.org", "wrong password 1").status_code == 200
    assert [(p.time_cost, p.memory_cost) for p in verified] == [(2, 16), (2, 16)]


def test_account_page_names_the_user_and_links_password_change(app, client):
    with app.app_context():
        login_as(client, make_user("researcher"))
    page = client.get("/auth/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "researcher@example.org" in page
    assert "研究员" in page
    assert "/auth/password" in page
