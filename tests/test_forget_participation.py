"""Invariant 7 at the database level: after close nothing says who was invited or answered.

The attacks of issue 13, run on the database: ``invitation.used`` beside ``member_id`` named
the respondents of a closed wave (in a team with one respondent, whose answers the stored
response is), and on PostgreSQL a long comment stored out of line kept a TOAST value id
that gave submission order through the rewrite at close.
"""

import random
import string
from pathlib import Path

import sqlalchemy as sa

from surveys.db import db
from surveys.models import Wave, random_id
from surveys.services import invitations, waves
from surveys.services import responses as service
from surveys.services.responses import record_response
from tests.respond.survey_setup import FULL, create_survey
from tests.sqlite_file import DatabaseFile

ANSWERS = {item.key: 3 for item in FULL.items}


def test_closing_forgets_which_member_was_invited_and_who_answered(make_app, backend):
    app = make_app(backend)
    survey = create_survey(app, members=3, k=3)
    with app.app_context():
        assert record_response(invitations.find(survey.tokens[1]), ANSWERS, None)
        # The attack: before close, the database names the one respondent ...
        named = db.session.execute(
            sa.text(
                "SELECT m.name FROM invitation i JOIN member m ON m.id = i.member_id "
                "WHERE i.used AND i.wave_id = :w"
            ),
            {"w": survey.wave_id},
        ).all()
        assert named == [("Member 1",)]

        waves.close(db.session.get(Wave, survey.wave_id))

        # ... and after it no invitation row holds a member, a nonce or a used flag.
        rows = db.session.execute(
            sa.text("SELECT member_id, nonce, used FROM invitation WHERE wave_id = :w"),
            {"w": survey.wave_id},
        ).all()
        assert rows == [(None, "", False)] * 3
        # What remains: per-team counts, and each link still belongs to its wave and team.
        assert invitations.issued_per_team(survey.wave_id, [survey.team_id]) == {survey.team_id: 3}
        found = invitations.find(survey.tokens[1])
        assert (found.wave_id, found.team_id) == (survey.wave_id, survey.team_id)


def test_closing_keeps_the_team_size_of_results_from_the_stored_count(make_app, backend):
    app = make_app(backend)
    survey = create_survey(app, members=6, k=3)
    with app.app_context():
        for token in survey.tokens[:4]:
            assert record_response(invitations.find(token), ANSWERS, None)
        waves.close(db.session.get(Wave, survey.wave_id))
        stored = db.session.execute(
            sa.text("SELECT invitations_issued FROM wave_team WHERE wave_id = :w"),
            {"w": survey.wave_id},
        ).scalar()
        sizes = set(
            db.session.scalars(
                sa.text("SELECT team_size FROM team_scale_result WHERE wave_id = :w"),
                {"w": survey.wave_id},
            )
        )
    assert stored == 6
    assert sizes == {6}


def toast_order(table: str) -> list[str]:
    """The first characters of each out-of-line comment, in the order of their TOAST value ids.

    The comments are random letters, which do not compress, so each value's first chunk
    starts with the text itself.
    """
    toast = db.session.scalar(
        sa.text(
            "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = CAST(:t AS regclass)"
        ),
        {"t": table},
    )
    rows = db.session.execute(
        sa.text(
            f"SELECT convert_from(substring(chunk_data from 1 for 8), 'UTF8') FROM {toast} "
            "WHERE chunk_seq = 0 ORDER BY chunk_id"
        )
    ).all()
    return [row[0] for row in rows]


def test_closing_gives_long_comments_storage_ids_that_say_nothing_of_arrival_on_postgres(
    make_app, monkeypatch
):
    app = make_app("postgres")
    survey = create_survey(app, members=8)
    # Comments arrive in the reverse of their id order, so arrival and id order differ.
    # Each response takes two ids (its answers' row, then its comment's).
    ids = iter(sorted((random_id() for _ in range(16)), reverse=True))
    monkeypatch.setattr(service, "random_id", lambda: next(ids))
    rng = random.Random(13)
    texts = {}
    with app.app_context():
        for i, token in enumerate(survey.tokens):
            prefix = f"c{i:02d}"
            body = "".join(rng.choices(string.ascii_letters, k=3990))
            assert record_response(invitations.find(token), ANSWERS, f"{prefix}{body}"[:4000])
            texts[prefix] = i
        arrival = [f"c{i:02d}" for i in range(8)]
        by_id = [
            text[:3] for text in db.session.scalars(sa.text("SELECT text FROM comment ORDER BY id"))
        ]
        assert by_id == arrival[::-1]
        # The attack: TOAST value ids list the comments in order of arrival ...
        assert [p[:3] for p in toast_order("comment")] == arrival

        waves.close(db.session.get(Wave, survey.wave_id))

        # ... and after the close in random-id order, with no old copy left behind.
        assert [p[:3] for p in toast_order("comment")] == by_id
        texts_after = db.session.scalars(sa.text("SELECT text FROM comment")).all()
        assert sorted(t[:3] for t in texts_after) == sorted(arrival)


def test_the_sqlite_file_keeps_no_member_nonce_or_used_flag_of_a_closed_wave(make_app):
    app = make_app()
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    survey = create_survey(app, members=4, k=3)
    with app.app_context():
        nonces = list(db.session.scalars(sa.text("SELECT nonce FROM invitation")))
        for token in survey.tokens[:3]:
            assert record_response(invitations.find(token), ANSWERS, None)
        waves.close(db.session.get(Wave, survey.wave_id))
    file = DatabaseFile(path)
    records = [cell.record for cell in file.rows(file.root("invitation"))]
    # (id, wave_id, team_id, member_id, nonce, token_hash, used): no old version anywhere.
    assert [(r[3], r[4], r[6]) for r in records] == [(None, "", 0)] * 4
    data = Path(path).read_bytes()
    assert not any(nonce.encode() in data for nonce in nonces)
