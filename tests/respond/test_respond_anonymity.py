"""Anonymity invariant 1: nothing links a response to an invitation, a person, a time or an address.

Checked four ways: the table schemas (no column could hold a link), the logs written while
a response is recorded (no line holds the token, the address or the answers), the ids (random,
not derived from the invitation), and the ordering (the SQLite tables are read in random-id
order; tests/test_anonymity_db.py checks the order rows are stored in).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.request
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from surveys.db import db
from surveys.models import Comment, Invitation, Response
from surveys.security import RespondentLogFilter
from surveys.services import invitations
from tests.respond.survey_setup import create_survey, full_answers, responses

ALLOWED = {
    "response": {"id", "wave_id", "team_id", "answers"},
    "comment": {"id", "wave_id", "team_id", "text"},
}
FORBIDDEN_NAME = re.compile(
    r"ip|agent|invitation|member|time|created|date|user|token|email|name", re.IGNORECASE
)


@pytest.mark.parametrize("table", sorted(ALLOWED))
def test_response_and_comment_tables_hold_only_the_allowed_columns(make_app, backend, table):
    app = make_app(backend)  # the schema as the migrations build it
    with app.app_context():
        inspector = sa.inspect(db.engine)
        columns = inspector.get_columns(table)
        names = {column["name"] for column in columns}
        assert names == ALLOWED[table]
        for column in columns:
            assert not FORBIDDEN_NAME.search(column["name"]), column["name"]
            assert not isinstance(column["type"], (sa.Date, sa.DateTime, sa.Time, sa.Interval)), (
                f"{table}.{column['name']} is a date/time column"
            )
        targets = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        assert targets == {"wave", "team"}


@pytest.mark.parametrize("model", ["Response", "Comment"])
def test_models_declare_no_time_or_link_columns(model):
    from surveys import models

    table = getattr(models, model).__table__
    assert set(table.columns.keys()) == ALLOWED[table.name]
    for column in table.columns:
        assert not isinstance(column.type, (sa.Date, sa.DateTime, sa.Time, sa.Interval))
        assert column.server_default is None and column.onupdate is None


def test_sqlite_tables_are_without_rowid(app):
    with app.app_context():
        for table in ALLOWED:
            sql = db.session.scalar(
                sa.text("SELECT sql FROM sqlite_master WHERE type='table' AND name=:n"),
                {"n": table},
            )
            assert "WITHOUT ROWID" in sql.upper()
            with pytest.raises(sa.exc.OperationalError):
                db.session.execute(sa.text(f"SELECT rowid FROM {table}"))
            db.session.rollback()


def test_response_ids_are_random_and_reads_come_in_id_order_not_arrival_order(make_app):
    app = make_app()
    survey = create_survey(app, members=10)
    client = app.test_client()
    arrival = []
    for i, token in enumerate(survey.tokens):
        assert client.post(f"/s/{token}", data=full_answers(1 + i % 5)).status_code == 303
        with app.app_context():
            new = set(
                db.session.scalars(sa.select(sa.text("id")).select_from(sa.table("response")))
            ) - set(arrival)
        arrival.extend(new)
    assert len(set(arrival)) == 10
    for response_id in arrival:
        assert re.fullmatch(r"[0-9a-f]{32}", response_id)  # 128 random bits, not a counter
    # Ten random ids come in increasing order with probability 1/10! (about 3e-7).
    assert arrival != sorted(arrival)
    with app.app_context():
        stored = list(db.session.scalars(sa.text("SELECT id FROM response")))
    # A WITHOUT ROWID table is read in primary-key order: the random id, not arrival. (The
    # file still holds arrival order until the wave closes; see tests/test_anonymity_db.py.)
    assert stored == sorted(arrival)
    assert {r.id for r in responses(app)} == set(arrival)


def test_response_and_comment_ids_cannot_be_derived_from_the_invitation(make_app):
    """The same invitation answered the same way in two fresh databases gives other ids.

    Everything a derivation could start from is identical in both: the invitation's id,
    nonce, token and hash, the secret key, the wave, the team, the answers and the comment.
    """
    nonce = "0123456789abcdef0123456789abcdef"
    stored = []
    for _ in range(2):
        app = make_app()  # a fresh database file, the same SECRET_KEY
        create_survey(app, members=6)
        with app.app_context():
            invitation = db.session.scalar(sa.select(Invitation).order_by(Invitation.id))
            token = invitations.token_for(nonce)
            invitation.nonce, invitation.token_hash = nonce, invitations.hash_token(token)
            db.session.commit()
            invitation_row = (
                invitation.id,
                invitation.wave_id,
                invitation.team_id,
                invitation.member_id,
                invitation.nonce,
                invitation.token_hash,
            )
        sent = app.test_client().post(f"/s/{token}", data=full_answers(3) | {"comment": "Same."})
        assert sent.status_code == 303
        with app.app_context():
            (response_id,) = db.session.scalars(sa.select(Response.id)).all()
            (comment_id,) = db.session.scalars(sa.select(Comment.id)).all()
        stored.append((invitation_row, response_id, comment_id))
    (first, response_1, comment_1), (second, response_2, comment_2) = stored
    assert first == second
    assert response_1 != response_2
    assert comment_1 != comment_2
    assert comment_1 != response_1 and comment_2 != response_2


@pytest.fixture
def served(make_app):
    """The app behind a real HTTP server, so that werkzeug writes its request log lines."""
    app = make_app()
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_logs_of_a_submission_hold_no_token_address_or_answers(served, caplog):
    app, base = served
    survey = create_survey(app)
    token = survey.tokens[0]
    answers = full_answers(4) | {"fam1": "2", "aff1": "5"}
    comment = "Distinctive comment 7f3e"
    # Every logger at DEBUG, including those that the migrations' logging config quietened
    # (sqlalchemy.engine), so that SQL and its parameters are logged if they ever could be.
    for name in ["", *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name)
    request = urllib.request.Request(
        f"{base}/s/{token}",
        data=urlencode(answers | {"comment": comment}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:  # follows the 303 to thanks
        assert reply.status == 200
        assert reply.url == f"{base}/s/thanks"
    assert survey.counts() == (1, 1, 1)

    lines = [record.getMessage() for record in caplog.records]
    assert any("POST /s/[token]" in line for line in lines), lines  # werkzeug's request line
    assert any("INSERT INTO response" in line for line in lines)  # SQL was logged too
    stored = json.dumps({k: int(v) for k, v in answers.items()})
    for line in lines:
        assert token not in line
        assert "127.0.0.1" not in line
        assert comment not in line
        assert stored not in line and '"fam1": 2' not in line
        assert not re.search(r"\bfam1\b|\baff1\b", line), line


def test_werkzeug_request_line_loses_token_and_address_through_the_filter():
    # The exact record werkzeug.serving.WSGIRequestHandler.log_request writes.
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '203.0.113.9 - - [23/Nov/2026 18:00:00] "%s" %s %s',
        ("POST /s/AbCdEf0123456789_-XyZ HTTP/1.1", "303", "-"),
        None,
    )
    assert RespondentLogFilter().filter(record)
    message = record.getMessage()
    assert "AbCdEf0123456789_-XyZ" not in message
    assert "203.0.113.9" not in message and "18:00:00" not in message
    assert "POST /s/[token]" in message


@pytest.mark.parametrize(
    "target",
    [
        "/%73/AbCdEf0123456789_-XyZ",  # the router decodes the path before matching it
        "/s%2FAbCdEf0123456789_-XyZ",
        "/%2573%252FAbCdEf0123456789_-XyZ",  # encoded twice
        "//s//AbCdEf0123456789_-XyZ",  # redirected to /s/<token>, the token still in the line
        "http://example.org/s/AbCdEf0123456789_-XyZ",  # absolute form
        "/s/AbCdEf0123456789_-XyZ?lang=zh",
    ],
)
def test_encoded_and_doubled_respondent_paths_lose_token_address_and_time(target):
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '203.0.113.9 - - [23/Nov/2026 18:00:00] "%s" %s %s',
        (f"GET {target} HTTP/1.1", "200", "-"),
        None,
    )
    assert RespondentLogFilter().filter(record)
    message = record.getMessage()
    assert "AbCdEf0123456789" not in message
    assert "203.0.113.9" not in message and "18:00:00" not in message
    assert "GET /s/[token] HTTP/1.1" in message


def test_a_percent_encoded_survey_link_served_over_http_leaves_no_token_in_the_log(served, caplog):
    app, base = served
    token = create_survey(app).tokens[0]
    caplog.set_level(logging.INFO, logger="werkzeug")
    with urllib.request.urlopen(f"{base}/%73/{token}", timeout=30) as reply:
        assert reply.status == 200  # the survey page: the router read it as /s/<token>
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("GET /s/[token]" in line for line in lines), lines
    for line in lines:
        assert token not in line and "127.0.0.1" not in line


@pytest.mark.parametrize("path", ["/static/style.css", "/static/survey.js", "/favicon.ico"])
def test_asset_request_lines_lose_address_and_time(path):
    # A respondent's browser fetches these right around its /s/ request: with an address and
    # a time they would stand next to the cleaned line and give both back.
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '203.0.113.9 - - [23/Nov/2026 18:00:00] "%s" %s %s',
        (f"GET {path} HTTP/1.1", "200", "-"),
        None,
    )
    assert RespondentLogFilter().filter(record)
    message = record.getMessage()
    assert "203.0.113.9" not in message and "18:00:00" not in message
    assert path in message


def test_gunicorn_error_lines_about_a_respondent_request_lose_the_token(app):
    # gunicorn logs a request that failed as "Error handling request GET /s/<token>", with a
    # time; the app's filter sits on that logger too (the served app is this app).
    record = logging.LogRecord(
        "gunicorn.error",
        logging.ERROR,
        __file__,
        1,
        "Error handling request %s",
        ("GET /s/AbCdEf0123456789_-XyZ",),
        None,
    )
    assert logging.getLogger("gunicorn.error").filter(record)
    message = record.getMessage()
    assert "AbCdEf0123456789_-XyZ" not in message
    assert "/s/[token]" in message
