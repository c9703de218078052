"""responses.csv and scores.csv of a research export: one row per response, streamed.

A wave of 100,000 responses of 40 items is four million cells, so nothing here works cell by
cell in Python. Responses are read a chunk at a time, their answers read into a matrix at
once (:mod:`surveys.services.stored_answers`); every cell's text is looked up in a table of
the chunk's distinct values (answers are a few small integers, scores a few hundred
fractions); and the lines are assembled as one byte matrix per chunk: each cell padded with
NUL bytes to a common width, a comma after it, the NULs dropped at the end. The files are
the same, byte for byte, as csv.writer would write: numbers and hex ids never need
quoting, and the team and department labels, which may, are quoted once per team by
csv.writer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from hashlib import blake2b
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa

import trust
from surveys.db import db
from surveys.models import Response, Wave
from surveys.services import stored_answers

if TYPE_CHECKING:
    from surveys.services.export import Plan

ROW_COLUMNS = ("response_id", "wave", "team", "department", "team_size")
CHUNK = 5000  # responses read and written at a time
BOM = "\ufeff".encode()
ID_BYTES = 10  # of an exported response id: 20 hex digits
HEX = np.array([f"{b:02x}".encode() for b in range(256)], dtype="S2")


def csv_line(cells: list) -> str:
    """One CSV line (without its line end) of cells that may need quoting."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def _chunks(
    wave: Wave, team_ids: list[int], keys: tuple[str, ...]
) -> Iterator[tuple[list[str], list[int], np.ndarray]]:
    """The wave's responses of ``team_ids`` in chunks of (ids, team ids, answers), in
    random-id order (never arrival); answers as floats in ``keys`` order, NaN if missing.
    """
    query = (
        db.select(Response.id, Response.team_id, sa.cast(Response.answers, sa.Text))
        .where(Response.wave_id == wave.id, Response.team_id.in_(team_ids))
        .order_by(Response.id)
    )
    connection = db.session.connection().execution_options(stream_results=True)
    for part in connection.execute(query).partitions(CHUNK):
        ids, teams, texts = zip(*part, strict=True)
        yield list(ids), list(teams), stored_answers.matrix(texts, keys)


def _answer_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _answer_cells(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """:func:`_cells` of answers, which are whole numbers of a known small range: looked up
    by value without sorting them (any other stored value goes the general way)."""
    missing = np.isnan(x)
    filled = np.where(missing, low, x)
    base, top = int(low.min()), int(high.max())
    if (
        top - base > 1000
        or not ((filled == np.round(filled)) & (filled >= low) & (filled <= high)).all()
    ):
        return _cells(x, _answer_text)
    table = np.array([str(v).encode() for v in range(base, top + 1)] + [b""], dtype=bytes)
    return table[np.where(missing, -1, filled - base).astype(np.int64)]  # -1: the empty one


def _cells(values: np.ndarray, text) -> np.ndarray:
    """The text of every cell as a NUL-padded bytes array; NaN (missing) as empty."""
    distinct, inverse = np.unique(values, return_inverse=True)
    table = np.array(
        [b"" if v != v else text(v).encode() for v in distinct.tolist()] or [b""],
        dtype=bytes,
    )
    return table[inverse.reshape(values.shape)]


def _spread(cells: np.ndarray, at: list[int], width: int) -> np.ndarray:
    """One instrument's columns placed at their columns of the export (others empty)."""
    if at == list(range(width)):
        return cells
    out = np.zeros((cells.shape[0], width), dtype=cells.dtype)
    out[:, at] = cells
    return out


def _lines(head: np.ndarray, cells: np.ndarray) -> bytes:
    """CSV lines ``head + cell,cell,...,cell\\r\\n`` of every row, as UTF-8 bytes.

    Heads and cells never hold a NUL byte (hex ids, numbers, labels without control
    characters), so NUL padding can be dropped from the whole block at once.
    """
    n, k = cells.shape
    w = cells.dtype.itemsize
    hw = head.dtype.itemsize
    out = np.zeros((n, hw + k * (w + 1) + 1), dtype=np.uint8)
    out[:, :hw] = head.view(np.uint8).reshape(n, hw)
    body = out[:, hw:-1].reshape(n, k, w + 1)
    body[:, :, :w] = cells.view(np.uint8).reshape(n, k, w)
    body[:, :, w] = ord(",")
    body[:, -1, w] = ord("\r")
    out[:, -1] = ord("\n")
    flat = out.ravel()
    return flat[flat != 0].tobytes()


def _exported_ids(ids: list[str], keyed) -> np.ndarray:
    """The exported response ids: the keyed hash of each stored id, in hex (``S20``).

    ``keyed`` is the hash with its key already absorbed; copying it is cheaper than keying
    a new one per response.
    """
    digests = []
    for stored in ids:
        h = keyed.copy()
        h.update(stored.encode())
        digests.append(h.digest())
    return HEX[np.frombuffer(b"".join(digests), np.uint8)].view(f"S{2 * ID_BYTES}").ravel()


def write(plan: Plan, folder: Path, id_key: bytes, label_cell) -> None:
    """responses.csv and scores.csv in one pass over the responses, a chunk at a time.

    ``id_key`` keys the hash that turns a stored random id into the exported one (as random,
    and not the database's key); ``label_cell`` makes a label safe for a CSV cell.
    """
    with (
        open(folder / "responses.csv", "wb") as answers,
        open(folder / "scores.csv", "wb") as scores,
    ):
        answers.write(BOM + (csv_line([*ROW_COLUMNS, *plan.item_keys]) + "\r\n").encode())
        scores.write(BOM + (csv_line([*ROW_COLUMNS, *plan.scale_keys]) + "\r\n").encode())
        for wave in plan.waves:
            if not plan.kept[wave.id]:
                continue
            inst = plan.instruments[wave.id]
            keys = inst.item_keys
            low, high = inst.bounds()
            rev, index = inst.reverse_mask(), inst.item_scale_index()
            item_at = [plan.item_keys.index(k) for k in keys]
            scale_at = [plan.scale_keys.index(s.key) for s in inst.scales]
            # The cells after the response id, one line part per team, found by team id.
            team_ids = np.array(sorted(plan.kept[wave.id]))
            labels = np.array(
                [
                    (
                        ","
                        + csv_line(
                            [
                                wave.id,
                                label_cell(plan.team_label[t]).replace("\0", ""),
                                label_cell(plan.department_label[t]).replace("\0", ""),
                                label_cell(plan.team_size[(wave.id, t)]),
                            ]
                        )
                        + ","
                    ).encode()
                    for t in team_ids.tolist()
                ],
                dtype=bytes,
            )
            keyed = blake2b(key=id_key, digest_size=ID_BYTES)
            for ids, teams, x in _chunks(wave, plan.kept[wave.id], keys):
                score = trust.scale_scores(trust.reverse_key(x, rev, low, high), index)
                hashed = _exported_ids(ids, keyed)
                heads = np.strings.add(hashed, labels[np.searchsorted(team_ids, teams)])
                given = _spread(_answer_cells(x, low, high), item_at, len(plan.item_keys))
                scored = _spread(_cells(score, repr), scale_at, len(plan.scale_keys))
                answers.write(_lines(heads, given))
                scores.write(_lines(heads, scored))
