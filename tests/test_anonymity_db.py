"""Invariant 1 at the database level: PostgreSQL transaction ids must not pair rows.

Consuming an invitation and storing its answers share one transaction, so on PostgreSQL
both rows carry that transaction's id in the ``xmin`` system column. Closing a wave
rewrites the wave's rows so that they all carry one transaction id.
"""

import sqlalchemy as sa

from surveys import invitations, waves
from surveys.db import db
from surveys.models import Wave
from surveys.respond.service import record_response
from tests.respond.survey_setup import FULL, create_survey


def xmins(table: str, wave_id: int) -> list[int]:
    rows = db.session.execute(
        sa.text(f"SELECT xmin::text::bigint FROM {table} WHERE wave_id = :w"), {"w": wave_id}
    )
    return [row[0] for row in rows]


def test_closing_a_wave_leaves_no_transaction_id_pairing_invitations_with_responses(make_app):
    app = make_app("postgres")
    survey = create_survey(app, members=6)
    answers = {item.key: 3 for item in FULL.items}
    with app.app_context():
        for token in survey.tokens[:5]:
            assert record_response(invitations.find(token), answers, "fine")
        used = set(
            db.session.scalars(
                sa.text("SELECT xmin::text::bigint FROM invitation WHERE used AND wave_id = :w"),
                {"w": survey.wave_id},
            )
        )
        # The pairing this test guards against exists before the close ...
        assert set(xmins("response", survey.wave_id)) == used
        assert len(used) == 5

        waves.close(db.session.get(Wave, survey.wave_id))

        after = {t: set(xmins(t, survey.wave_id)) for t in ("invitation", "response", "comment")}
        # ... and is gone after it: one transaction id for every row of the wave.
        assert len(after["invitation"] | after["response"] | after["comment"]) == 1
        assert not (after["response"] & used)
