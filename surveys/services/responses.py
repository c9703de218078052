"""Recording one anonymous response (anonymity invariant 1).

The invitation is consumed and the answers are stored in one transaction, so an answer is
never lost and never counted twice; afterwards nothing ties the two rows together: the
response has a random id, no time, and no column that points at the invitation or a person.
"""

from __future__ import annotations

import sqlalchemy as sa

from surveys.db import db
from surveys.models import Comment, Invitation, Response


def record_response(invitation: Invitation, answers: dict[str, int], comment: str | None) -> bool:
    """Consume ``invitation`` and store the answers (and the comment, if any) in one transaction.

    Returns False, and stores nothing, when the invitation was already used, including by a
    request that won a race a moment ago: the conditional UPDATE lets exactly one of them
    change the row, on SQLite (the writer's lock) and PostgreSQL (the row lock) alike.
    """
    wave_id, team_id, invitation_id = invitation.wave_id, invitation.team_id, invitation.id
    try:
        consumed = db.session.execute(
            sa.update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.used.is_(False))
            .values(used=True)
            .execution_options(synchronize_session=False)
        )
        if consumed.rowcount != 1:
            db.session.rollback()
            return False
        db.session.add(Response(wave_id=wave_id, team_id=team_id, answers=dict(answers)))
        if comment:
            db.session.add(Comment(wave_id=wave_id, team_id=team_id, text=comment))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True
