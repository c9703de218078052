"""Invariant 1 at the database level: neither transaction ids nor storage order may pair rows.

Consuming an invitation and storing its answers share one transaction, so on PostgreSQL
both rows carry that transaction's id in the ``xmin`` system column. Closing a wave
rewrites the wave's rows so that they all carry one transaction id.

Both databases also store rows in the order they are written: PostgreSQL appends them (and
every new version of an updated invitation), SQLite writes each page's cell contents from the
end of the page backwards. Closing a wave rewrites the tables in primary-key order. The tests
make rows arrive in the reverse of their key order, so that the two orders cannot coincide.
"""

from pathlib import Path

import pytest
import sqlalchemy as sa

from surveys.db import db
from surveys.models import Wave, random_id
from surveys.services import invitations, waves
from surveys.services import responses as service
from surveys.services.responses import record_response
from tests.respond.survey_setup import FULL, create_survey
from tests.sqlite_file import DatabaseFile


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


def submit_in_reverse_id_order(app, survey, monkeypatch) -> tuple[list[str], list[str]]:
    """Answer every link, with a comment, last link first; return (response ids, comment ids).

    The rows get ids chosen in advance, largest first, so arrival order is the reverse of
    key order; invitations are used in the reverse of the order they were issued in.
    """
    ids = iter(sorted((random_id() for _ in range(2 * len(survey.tokens))), reverse=True))
    monkeypatch.setattr(service, "random_id", lambda: next(ids))
    answers = {item.key: 3 for item in FULL.items}
    with app.app_context():
        for i, token in enumerate(reversed(survey.tokens)):
            assert record_response(invitations.find(token), answers, f"comment {i}")
        arrived = {
            table: list(db.session.scalars(sa.text(f"SELECT id FROM {table} ORDER BY id DESC")))
            for table in ("response", "comment")
        }
    return arrived["response"], arrived["comment"]


def ctid_order(table: str, wave_id: int) -> list:
    """Ids in physical order, as anyone who can query the table could list them."""
    return list(
        db.session.scalars(
            sa.text(f"SELECT id FROM {table} WHERE wave_id = :w ORDER BY ctid"), {"w": wave_id}
        )
    )


def test_closing_a_wave_stores_rows_in_key_order_not_arrival_or_use_order_on_postgres(
    make_app, monkeypatch
):
    app = make_app("postgres")
    survey = create_survey(app, members=6)
    arrived = dict(
        zip(
            ("response", "comment"),
            submit_in_reverse_id_order(app, survey, monkeypatch),
            strict=True,
        )
    )
    with app.app_context():
        issued = list(db.session.scalars(sa.text("SELECT id FROM invitation ORDER BY id")))
        arrived["invitation"] = issued[::-1]  # order of use
        # The leak this test guards against: physical order is arrival (or use) order ...
        for table, order in arrived.items():
            assert ctid_order(table, survey.wave_id) == order, table

        waves.close(db.session.get(Wave, survey.wave_id))

        # ... and after the close it is key order: random ids, or the order links were issued.
        for table, order in arrived.items():
            assert ctid_order(table, survey.wave_id) == sorted(order), table


def test_closing_a_wave_leaves_no_old_row_versions_on_postgres_pages(make_app, monkeypatch):
    app = make_app("postgres")
    survey = create_survey(app, members=6)
    submit_in_reverse_id_order(app, survey, monkeypatch)
    with app.app_context():
        waves.close(db.session.get(Wave, survey.wave_id))
        db.session.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        for table in ("invitation", "response", "comment"):
            # Every tuple on every page, dead or alive, as the raw table file holds them.
            on_pages = (
                db.session.execute(
                    sa.text(
                        "SELECT p.t_xmin::text::bigint FROM generate_series(0, "
                        f"pg_relation_size('{table}') / current_setting('block_size')::int - 1) "
                        "AS b, "
                        f"heap_page_items(get_raw_page('{table}', b::int)) AS p WHERE p.lp_len > 0"
                    )
                )
                .scalars()
                .all()
            )
            # Only the live rows, all with the close's transaction id: no version written
            # while the wave was open survives to pair an invitation with a response.
            assert len(on_pages) == 6, table
            assert set(on_pages) == set(xmins(table, survey.wave_id)), table
            assert len(set(on_pages)) == 1, table


def written_order(path: str, name: str) -> list[str]:
    """Ids of a table's (or index's) rows in the order their cells were written, from the file.

    A page fills its cell contents from its end towards its start, so on one page a cell
    written later sits at a lower offset.
    """
    file = DatabaseFile(path)
    cells = file.rows(file.root(name))
    assert len({cell.page for cell in cells}) == 1, "the rows must share one page to compare"
    by_offset = sorted(cells, key=lambda cell: cell.offset, reverse=True)
    # A table's key is its id; an index entry ends with the primary key of its row.
    return [cell.record[-1] if name.startswith("ix_") else cell.key for cell in by_offset]


@pytest.mark.parametrize("journal_mode", ["delete", "wal"])
def test_closing_a_wave_leaves_no_arrival_order_in_the_sqlite_file(
    make_app, monkeypatch, journal_mode
):
    app = make_app()
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with app.app_context(), db.engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA journal_mode = {journal_mode}")
    survey = create_survey(app, members=6)
    response_ids, comment_ids = submit_in_reverse_id_order(app, survey, monkeypatch)
    arrived = {
        "response": response_ids,
        "ix_response_wave_id": response_ids,
        "comment": comment_ids,
        "ix_comment_wave_id": comment_ids,
    }
    with app.app_context():
        with db.engine.connect() as conn:  # the write-ahead log into the file, to read it
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        # The leak this test guards against: the file holds the order of arrival ...
        for name, order in arrived.items():
            assert written_order(path, name) == order, name

        waves.close(db.session.get(Wave, survey.wave_id))

    # ... and after the close only key order, with no stale copy of a row anywhere in the
    # file (once in its table, once in its wave_id index) and nothing left in the log.
    for name, order in arrived.items():
        assert written_order(path, name) == sorted(order), name
    data = Path(path).read_bytes()
    for row_id in response_ids + comment_ids:
        assert data.count(row_id.encode()) == 2
    assert not Path(path + "-journal").exists()
    assert not Path(path + "-wal").exists() or Path(path + "-wal").stat().st_size == 0
