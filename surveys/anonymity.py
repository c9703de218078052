"""Database-level measures for anonymity invariant 1 that the models alone cannot give.

PostgreSQL stamps every row version with the id of the transaction that wrote it (the
``xmin`` system column). Consuming an invitation and storing the answers happen in one
transaction, so until the rows are rewritten, a database administrator could pair an
invitation with its response by equal ``xmin``. :func:`blur_transaction_ids` rewrites all
of a wave's invitation, response and comment rows in one transaction, so that afterwards
they all carry the same transaction id. Closing a wave calls it; it can also be run at any
time (for example nightly while a wave is open).
"""

from __future__ import annotations

import sqlalchemy as sa

from surveys.db import db


def blur_transaction_ids(wave_id: int) -> None:
    """Rewrite every row of the wave in invitation, response and comment (caller commits)."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("invitation", "response", "comment"):
        db.session.execute(
            sa.text(f"UPDATE {table} SET wave_id = wave_id WHERE wave_id = :w"),  # noqa: S608
            {"w": wave_id},
        )
