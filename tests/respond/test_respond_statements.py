"""What a respondent's requests send to PostgreSQL: one lookup for the page, and one more
statement to store the answers, each its own transaction (no BEGIN, no COMMIT round trip).

Every statement is a round trip under load; a lazy load or a second settings read added to
the survey page shows up here as one statement too many.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from surveys.db import db
from tests.respond.survey_setup import full_answers

pytestmark = pytest.mark.postgres


@pytest.fixture
def sent(make_survey):
    """A survey on PostgreSQL and the statements its requests send, with whether the
    connection ran them without a transaction of its own (autocommit)."""
    survey = make_survey("postgres")
    statements: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement.split()[0].upper(), cursor.connection.autocommit))

    with survey.app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", record)
    return survey, statements


def test_opening_the_survey_sends_one_statement_outside_a_transaction(sent):
    survey, statements = sent
    client = survey.app.test_client()
    client.get(f"/s/{survey.tokens[1]}")  # the pool's first connection asks about the server
    statements.clear()
    assert client.get(f"/s/{survey.tokens[0]}").status_code == 200
    assert statements == [("SELECT", True)]


@pytest.mark.parametrize("comment", ["", "with a comment"])
def test_storing_answers_sends_one_statement_that_is_its_own_transaction(sent, comment):
    survey, statements = sent
    client = survey.app.test_client()
    client.get(f"/s/{survey.tokens[1]}")
    statements.clear()
    body = full_answers(3) | {"comment": comment}
    assert client.post(f"/s/{survey.tokens[0]}", data=body).status_code == 303
    assert statements == [("SELECT", True), ("WITH", True)]
    assert survey.counts() == (1, 1 if comment else 0, 1)


def test_an_answer_on_a_used_link_is_refused_after_the_lookup_alone(sent):
    survey, statements = sent
    client = survey.app.test_client()
    url = f"/s/{survey.tokens[0]}"
    assert client.post(url, data=full_answers(3)).status_code == 303
    statements.clear()
    assert client.post(url, data=full_answers(4)).status_code == 409
    assert statements == [("SELECT", True)]  # the lookup finds it used
    assert survey.counts() == (1, 0, 1)


def test_the_connection_goes_back_to_the_pool_with_transactions_on(sent):
    survey, _statements = sent
    app = survey.app
    assert app.test_client().get(f"/s/{survey.tokens[0]}").status_code == 200
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
        connection = db.session.connection().connection.dbapi_connection
        assert connection.autocommit is False  # the next request's writes are transactions
