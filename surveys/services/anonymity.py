"""Database-level measures for anonymity invariant 1 that the models alone cannot give.

PostgreSQL stamps every row version with the id of the transaction that wrote it (the
``xmin`` system column). Consuming an invitation and storing the answers happen in one
transaction, so until the rows are rewritten, a database administrator could pair an
invitation with its response by equal ``xmin``. :func:`blur_transaction_ids` rewrites all
of a wave's invitation, response and comment rows in one transaction, so that afterwards
they all carry the same transaction id. Closing a wave calls it; it can also be run at any
time (for example nightly while a wave is open).

Both databases also keep rows in the order they were written. A PostgreSQL table appends
each new row, and each new version of an updated row, so ``ORDER BY ctid`` lists responses
and comments in order of arrival and invitations in the order their links were used; pairing
the two orders pairs a response with a person. A SQLite page lists its cells in key order,
but writes their contents from the end of the page towards the start as they arrive, so the
raw file gives the arrival order back. :func:`rewrite_storage_order` rewrites the three tables
in primary-key order once a wave has closed.
"""

from __future__ import annotations

import sqlalchemy as sa

from surveys.db import db

TABLES = ("invitation", "response", "comment")


def blur_transaction_ids(wave_id: int) -> None:
    """Rewrite every row of the wave in invitation, response and comment (caller commits)."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in TABLES:
        db.session.execute(
            sa.text(f"UPDATE {table} SET wave_id = wave_id WHERE wave_id = :w"),  # noqa: S608
            {"w": wave_id},
        )


def rewrite_storage_order() -> None:
    """Rewrite invitation, response and comment in primary-key order, on a connection of its own.

    The keys say nothing about arrival or use: response and comment ids are random, and
    invitation ids follow the order links were issued in. Run it after
    :func:`blur_transaction_ids` has committed, so that the row versions the blur replaced
    are dead and are left behind.

    PostgreSQL: ``CLUSTER`` copies each table into a new file in primary-key order and rebuilds
    its indexes; the old file is deleted. The copies keep their ``xmin``, so the blur holds.
    Row versions that a transaction older than the blur can still see are copied too, and stay
    until a later ``VACUUM``. Each table is clustered in a transaction of its own, so that it
    is locked (against reads too) only while it is copied and no lock waits on another.

    SQLite: ``VACUUM`` rebuilds the whole file, every table inserted in key order into fresh
    pages, so no freed page or freed cell keeps old content (``PRAGMA secure_delete`` would add
    nothing). It cannot run inside a transaction, hence the autocommit connection. In WAL mode
    the rebuilt pages go to the write-ahead log, which also still holds the pages as they were
    written during the wave; the checkpoint copies them into the file and empties the log.
    """
    dialect = db.engine.dialect.name
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if dialect == "postgresql":
            for table in TABLES:
                index = sa.inspect(conn).get_pk_constraint(table)["name"]
                conn.exec_driver_sql(f'CLUSTER {table} USING "{index}"')
        elif dialect == "sqlite":
            conn.exec_driver_sql("VACUUM")
            if conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal":
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()[0]
                if busy:
                    raise RuntimeError("readers kept the write-ahead log from being emptied")
