"""The `trustsurvey create-user` command."""

from surveys.db import db
from surveys.models import User


def users(app):
    with app.app_context():
        return {u.email: u.role for u in db.session.scalars(db.select(User))}


def test_create_user_prompts_twice_and_stores_a_hash(app, runner):
    result = runner.invoke(
        args=["create-user", "First@Example.org", "--role", "admin", "--name", "Ada"],
        input="long enough pw\nlong enough pw\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin first@example.org" in result.output
    assert "long enough pw" not in result.output
    assert users(app) == {"first@example.org": "admin"}
    with app.app_context():
        user = db.session.scalar(db.select(User))
        assert user.name == "Ada"
        assert user.check_password("long enough pw")


def test_create_user_reads_password_from_stdin(app, runner):
    result = runner.invoke(
        args=["create-user", "f@example.org", "--role", "facilitator", "--password-stdin"],
        input="long enough pw\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(User)).check_password("long enough pw")


def test_create_user_asks_again_when_the_two_passwords_differ(app, runner):
    result = runner.invoke(
        args=["create-user", "a@example.org", "--role", "admin"],
        input="long enough pw\nother password\nlong enough pw\nlong enough pw\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output


def test_create_user_refuses_a_duplicate_email(app, runner):
    args = ["create-user", "a@example.org", "--role", "admin", "--password-stdin"]
    assert runner.invoke(args=args, input="long enough pw\n").exit_code == 0
    result = runner.invoke(args=args, input="long enough pw\n")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert users(app) == {"a@example.org": "admin"}


def test_create_user_refuses_an_unknown_role(app, runner):
    result = runner.invoke(
        args=["create-user", "a@example.org", "--role", "boss", "--password-stdin"],
        input="long enough pw\n",
    )
    assert result.exit_code == 1
    assert "role must be one of admin, facilitator, researcher" in result.output
    assert users(app) == {}


def test_create_user_refuses_a_short_password(app, runner):
    result = runner.invoke(
        args=["create-user", "a@example.org", "--role", "admin", "--password-stdin"],
        input="short\n",
    )
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert users(app) == {}


def test_create_user_refuses_a_bad_email(app, runner):
    result = runner.invoke(
        args=["create-user", "not-an-email", "--role", "admin", "--password-stdin"],
        input="long enough pw\n",
    )
    assert result.exit_code == 1
    assert "is not an email address" in result.output
