"""Recording one anonymous response (anonymity invariant 1).

The invitation is consumed and the answers are stored in one transaction, so an answer is
never lost and never counted twice; afterwards nothing ties the two rows together: the
response has a random id, no time, and no column that points at the invitation or a person.

On PostgreSQL that transaction is a single statement, whose data-modifying WITH clauses
consume the invitation and insert what it consumed: one round trip to the database instead
of four (UPDATE, INSERT, INSERT, COMMIT). A statement is atomic on its own, so it needs no
BEGIN either when the session runs without one (:func:`surveys.db.statements_commit_themselves`).
SQLite has no data-modifying WITH, and no round trips: there the same happens in three
statements and a COMMIT.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa

from surveys.db import db
from surveys.models import Comment, Invitation, Response, random_id
from surveys.services.invitations import Link


def record_response(
    invitation: Invitation | Link, answers: dict[str, int], comment: str | None
) -> bool:
    """Consume ``invitation`` and store the answers (and the comment, if any) in one transaction.

    Returns False, and stores nothing, when the invitation was already used, including by a
    request that won a race a moment ago: the conditional UPDATE lets exactly one of them
    change the row, on SQLite (the writer's lock) and PostgreSQL (the row lock) alike.
    """
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            stored = _consume_and_store(invitation.id, answers, comment)
        else:
            stored = _consume_then_store(invitation, answers, comment)
        if not stored:
            db.session.rollback()
            return False
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def _consume_and_store(invitation_id: int, answers: dict[str, int], comment: str | None) -> bool:
    """PostgreSQL: one statement; True when it consumed the invitation (and so stored)."""
    params = {"invitation_id": invitation_id, "response_id": random_id(), "answers": answers}
    if comment:
        params |= {"comment_id": random_id(), "text": comment}
    return db.session.execute(_one_statement(bool(comment)), params).scalar_one() == 1


@functools.cache
def _one_statement(with_comment: bool) -> sa.Select:
    """WITH consumed AS (UPDATE invitation ... RETURNING wave_id, team_id), answered AS
    (INSERT INTO response SELECT ... FROM consumed RETURNING id) [, commented AS (INSERT INTO
    comment SELECT ... FROM consumed)] SELECT count(*) FROM answered.

    Under the UPDATE's row lock a second request for the same link waits, then finds it used:
    it consumes nothing, so it inserts nothing.
    """
    invitation, response, comment = Invitation.__table__, Response.__table__, Comment.__table__
    consumed = (
        sa.update(invitation)
        .where(invitation.c.id == sa.bindparam("invitation_id"), invitation.c.used.is_(False))
        .values(used=True)
        .returning(invitation.c.wave_id, invitation.c.team_id)
        .cte("consumed")
    )

    def insert_from_consumed(table, values: dict[str, sa.BindParameter]):
        columns = [*values, "wave_id", "team_id"]
        rows = sa.select(*values.values(), consumed.c.wave_id, consumed.c.team_id)
        return sa.insert(table).from_select(columns, rows)

    answered = (
        insert_from_consumed(
            response,
            {
                "id": sa.bindparam("response_id", type_=response.c.id.type),
                "answers": sa.bindparam("answers", type_=response.c.answers.type),
            },
        )
        .returning(response.c.id)
        .cte("answered")
    )
    statement = sa.select(sa.func.count()).select_from(answered)
    if with_comment:
        commented = insert_from_consumed(
            comment,
            {
                "id": sa.bindparam("comment_id", type_=comment.c.id.type),
                "text": sa.bindparam("text", type_=comment.c.text.type),
            },
        ).cte("commented")
        statement = statement.add_cte(commented)
    return statement


def _consume_then_store(
    invitation: Invitation | Link, answers: dict[str, int], comment: str | None
) -> bool:
    """SQLite: the conditional UPDATE, then the inserts; True when it consumed the invitation.

    SQLite's writer lock makes the UPDATE and what follows one writer's work until COMMIT.
    """
    wave_id, team_id = invitation.wave_id, invitation.team_id
    consumed = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used.is_(False))
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if consumed.rowcount != 1:
        return False
    db.session.add(
        Response(id=random_id(), wave_id=wave_id, team_id=team_id, answers=dict(answers))
    )
    if comment:
        db.session.add(Comment(id=random_id(), wave_id=wave_id, team_id=team_id, text=comment))
    return True
