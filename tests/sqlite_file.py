"""Read a SQLite database file's b-tree pages byte by byte, as someone with a copy of it could.

Only what the anonymity tests need: walk a table's b-tree from its root page and report, for
every cell, the page it sits on, its content offset inside the page, and its key (the first
column of the record: a WITHOUT ROWID table's primary key, or a rowid table's rowid).
Format: https://www.sqlite.org/fileformat2.html (sections 1.3, 1.6 and 2.1).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

# Page types (the first byte of a b-tree page header).
INDEX_INTERIOR, TABLE_INTERIOR, INDEX_LEAF, TABLE_LEAF = 2, 5, 10, 13


@dataclass(frozen=True)
class Cell:
    page: int  # 1-based page number
    offset: int  # where the cell's content starts inside the page
    leaf: bool  # on a leaf page
    key: object  # rowid (table b-tree) or first record column (index b-tree)
    record: tuple | None  # the decoded record (None for a table b-tree's interior cells)


def varint(data: bytes, pos: int) -> tuple[int, int]:
    """A SQLite varint at ``pos``: (value, position after it)."""
    value = 0
    for i in range(9):
        byte = data[pos + i]
        if i == 8:
            return (value << 8) | byte, pos + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos + i + 1
    raise AssertionError("unreachable")


def record(payload: bytes) -> tuple:
    """Decode a record (file format section 2.1) whose payload is complete."""
    header_size, pos = varint(payload, 0)
    types = []
    while pos < header_size:
        serial, pos = varint(payload, pos)
        types.append(serial)
    values, pos = [], header_size
    widths = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in widths:
            n = widths[serial]
            values.append(int.from_bytes(payload[pos : pos + n], "big", signed=True))
            pos += n
        elif serial == 7:
            values.append(struct.unpack(">d", payload[pos : pos + 8])[0])
            pos += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            n = (serial - 12) // 2
            raw = payload[pos : pos + n]
            values.append(raw.decode() if serial % 2 else bytes(raw))
            pos += n
        else:
            raise ValueError(f"reserved serial type {serial}")
    return tuple(values)


class DatabaseFile:
    """A SQLite database file, read from disk without the SQLite library."""

    def __init__(self, path: str | Path):
        self.data = Path(path).read_bytes()
        if self.data[:16] != b"SQLite format 3\x00":
            raise ValueError(f"{path} is not a SQLite 3 database")
        size = struct.unpack(">H", self.data[16:18])[0]
        self.page_size = 65536 if size == 1 else size
        self.reserved = self.data[20]
        self.usable = self.page_size - self.reserved

    def page(self, number: int) -> tuple[bytes, int]:
        """The page's bytes and where its b-tree header starts (page 1 has the file header)."""
        start = (number - 1) * self.page_size
        return self.data[start : start + self.page_size], 100 if number == 1 else 0

    def cells(self, root: int) -> list[Cell]:
        """Every cell of the b-tree rooted at ``root``, interior cells included, in key order."""
        found: list[Cell] = []
        self._walk(root, found)
        return found

    def rows(self, root: int) -> list[Cell]:
        """A table's rows (or an index's entries), in key order.

        A rowid table keeps its rows on leaf pages only; its interior cells hold copies of
        keys. An index b-tree, which is also how a WITHOUT ROWID table is stored, keeps every
        entry exactly once, on a leaf or an interior page.
        """
        return [cell for cell in self.cells(root) if cell.leaf or cell.record is not None]

    def _walk(self, number: int, found: list[Cell]) -> None:
        page, head = self.page(number)
        kind = page[head]
        if kind not in (INDEX_INTERIOR, TABLE_INTERIOR, INDEX_LEAF, TABLE_LEAF):
            raise ValueError(f"page {number} is not a b-tree page (type {kind})")
        leaf = kind in (INDEX_LEAF, TABLE_LEAF)
        count = struct.unpack(">H", page[head + 3 : head + 5])[0]
        pointers = head + (8 if leaf else 12)
        for i in range(count):
            offset = struct.unpack(">H", page[pointers + 2 * i : pointers + 2 * i + 2])[0]
            pos = offset
            if not leaf:
                self._walk(struct.unpack(">I", page[pos : pos + 4])[0], found)
                pos += 4
            if kind == TABLE_INTERIOR:
                found.append(Cell(number, offset, leaf, varint(page, pos)[0], None))
                continue
            size, pos = varint(page, pos)
            rowid = None
            if kind == TABLE_LEAF:
                rowid, pos = varint(page, pos)
            rec = record(self._payload(kind, page, pos, size))
            found.append(Cell(number, offset, leaf, rec[0] if rowid is None else rowid, rec))
        if not leaf:
            self._walk(struct.unpack(">I", page[head + 8 : head + 12])[0], found)

    def _payload(self, kind: int, page: bytes, pos: int, size: int) -> bytes:
        """A cell's whole payload: the part on the page, then its overflow pages (section 1.6)."""
        u = self.usable
        x = u - 35 if kind == TABLE_LEAF else (u - 12) * 64 // 255 - 23
        if size <= x:
            return page[pos : pos + size]
        m = (u - 12) * 32 // 255 - 23
        k = m + (size - m) % (u - 4)
        local = k if k <= x else m
        payload = bytearray(page[pos : pos + local])
        following = struct.unpack(">I", page[pos + local : pos + local + 4])[0]
        while following:
            overflow, _ = self.page(following)
            following = struct.unpack(">I", overflow[:4])[0]
            payload += overflow[4:u]
        return bytes(payload[:size])

    def schema(self) -> list[tuple]:
        """sqlite_schema rows: (type, name, tbl_name, rootpage, sql)."""
        return [cell.record for cell in self.rows(1)]

    def root(self, name: str) -> int:
        """The root page of the table or index called ``name``."""
        for kind, entry, _table, rootpage, _sql in self.schema():
            if entry == name and kind in ("table", "index"):
                return rootpage
        raise KeyError(name)
