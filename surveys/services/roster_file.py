"""Reading a roster CSV file: its encoding, header and rows, each bad row named.

The file has a header row naming its columns ``team``, ``name`` and optionally ``email``
(``团队``, ``姓名``, ``邮箱`` work too), in any order. It is in the encoding the importer chose:
UTF-8, or GB18030, which Excel on Chinese Windows writes for "CSV (逗号分隔)" (GB18030 is a
superset of GBK and GB2312); a file that starts with the byte order mark Excel writes for
"CSV UTF-8" is UTF-8 whatever was chosen. Rows are numbered as a spreadsheet
shows them: the header is row 1. A row may stop before a trailing email column, as a
spreadsheet writes a row whose last cell is empty.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from surveys.models import Team
from surveys.services.accounts import EMAIL, normalise_email

HEADERS = {
    "team": "team",
    "团队": "team",
    "name": "name",
    "姓名": "name",
    "email": "email",
    "邮箱": "email",
}
REQUIRED = ("team", "name")
MAX_NAME = 200
UTF8 = "UTF-8"
GB18030 = "GB18030 (GBK)"
# The encodings an importer may choose (the form's values): the codec, and the name shown.
ENCODINGS = {"utf-8": ("utf-8", UTF8), "gb18030": ("gb18030", GB18030)}

# Chinese rosters pad two-character names to line up with three-character ones (王　伟).
_HAN_GAP = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])\s+(?=[\u3400-\u9fff\uf900-\ufaff])")


def normalise_name(name: str) -> str:
    """A name as stored: each run of whitespace (full-width spaces too) as one space."""
    return " ".join(name.split())


def name_key(name: str) -> str:
    """What makes two names the same person's: no case, no spaces between Chinese characters."""
    return _HAN_GAP.sub("", normalise_name(name)).casefold()


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row: ``row`` 1 is the header, 0 the file as a whole."""

    row: int
    column: str
    problem: str


@dataclass(frozen=True)
class RosterRow:
    row: int
    team: Team
    name: str
    email: str | None


@dataclass(frozen=True)
class RosterFile:
    """The valid rows of a file, whether it has an email column, and the encoding it was in."""

    rows: list[RosterRow]
    has_email: bool
    encoding: str


class RosterRejectedError(ValueError):
    """The file was not imported; ``errors`` names every bad row and why."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the roster")
        self.errors = sorted(errors, key=lambda e: e.row)


def _decode(data: bytes, encoding: str) -> tuple[str, str]:
    """The text and the name of its encoding; ``encoding`` is a key of ``ENCODINGS``.

    Nothing is guessed and nothing is decoded loosely: GB18030 accepts almost any bytes, so a
    UTF-8 file with one stray byte, or a cp1252 or Big5 file, read as GB18030 would import
    garbled names (王伟 as 鐜嬩紵) over the stored ones, or add garbled members.
    """
    # Both decode NUL bytes, but a file with any is UTF-16 (Excel's "Unicode text") or a
    # workbook, not CSV text.
    if b"\0" in data:
        message = _l(
            "this is not CSV text in UTF-8 or GB18030 (GBK); "
            "save the file as “CSV UTF-8” and import it again"
        )
        raise RosterRejectedError([RowError(0, "", message)])
    marked = data.startswith(codecs.BOM_UTF8)
    if marked:
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    codec, name = ENCODINGS[encoding]
    try:
        return data.decode(codec), name
    except UnicodeDecodeError as error:
        found = undecodable_cell(data, codec, error.start)
        row, column = found.line, found.column  # rows are numbered by their first line here
    if marked:
        message = _l(
            "the file starts with the mark of UTF-8 but is not UTF-8 (first on row %(row)s); "
            "save it as “CSV UTF-8” and import it again",
            row=row,
        )
    elif codec == "utf-8":
        message = _l(
            "the file is not UTF-8 (first on row %(row)s); if it was saved by Excel on Chinese "
            "Windows, choose the encoding GB18030 (GBK) and import it again",
            row=row,
        )
    else:
        message = _l(
            "the file is not GB18030 (GBK) (first on row %(row)s); choose the encoding it was "
            "saved in (UTF-8 for “CSV UTF-8”) and import it again",
            row=row,
        )
    raise RosterRejectedError([RowError(row, column, message)])


_ESCAPED = re.compile("[\udc80-\udcff]")  # a byte the codec could not read, kept aside


@dataclass(frozen=True)
class Undecodable:
    """Where the first byte a codec cannot read lies: its record (the header is 1), the line
    its record starts on, and its column by the header's name ('' in the header itself)."""

    record: int
    line: int
    column: str


def undecodable_cell(data: bytes, codec: str, start: int) -> Undecodable:
    """Find the first byte at or after ``start`` that ``codec`` cannot read, by row and column.

    The unreadable bytes are kept aside as lone surrogates, so the CSV parses as it will once
    the file is saved right, quoted commas and line breaks included. Text that is not even
    loosely CSV gives the line of the byte, counted from 1, and no column.
    """
    text = data.decode(codec, "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    line = 0
    try:
        for record, cells in enumerate(reader, start=1):
            if record == 1:
                header = cells  # an empty first line names no column
            for index, cell in enumerate(cells):
                if _ESCAPED.search(cell):
                    name = header[index].strip() if record > 1 and index < len(header) else ""
                    return Undecodable(record, line + 1, "" if _ESCAPED.search(name) else name)
            line = reader.line_num
    except csv.Error:
        pass
    line = len(re.findall(rb"\r\n|\r|\n", data[:start])) + 1
    return Undecodable(line, line, "")


def _header(cells: list[str]) -> list[str]:
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    columns = [HEADERS.get(c.strip().lower(), "") for c in cells]
    problems = [
        RowError(1, cell.strip(), _l("unknown column “%(column)s”", column=cell.strip()))
        for cell, column in zip(cells, columns, strict=True)
        if not column
    ]
    problems += [
        RowError(1, needed, _l("the header row has no “%(column)s” column", column=needed))
        for needed in REQUIRED
        if needed not in columns
    ]
    problems += [
        RowError(1, column, _l("the column “%(column)s” appears twice", column=column))
        for column in sorted({c for c in columns if c and columns.count(c) > 1})
    ]
    if problems:
        raise RosterRejectedError(problems)
    return columns


def _column_letter(index: int) -> str:
    """A spreadsheet's name for the column at 0-based ``index``: A, ..., Z, AA, ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _cells(number: int, cells: list[str], columns: list[str]) -> dict[str, str] | RowError:
    """The row's values by column, or what is wrong with its length."""
    while len(cells) > len(columns) and not cells[-1].strip():
        cells = cells[:-1]
    if len(cells) > len(columns):
        return RowError(
            number,
            _column_letter(len(columns)),
            _l(
                "%(found)s columns where the header has %(expected)s",
                found=len(cells),
                expected=len(columns),
            ),
        )
    missing = [c for c in columns[len(cells) :] if c in REQUIRED]
    if missing:
        return RowError(
            number, missing[0], _l("the row ends before the “%(column)s” column", column=missing[0])
        )
    values = {c: v.strip() for c, v in zip(columns, cells, strict=False)}
    if any("\n" in v or "\r" in v for v in values.values()):
        # A quoted cell that runs over a line break has taken in the line after it.
        column = next(c for c, v in values.items() if "\n" in v or "\r" in v)
        return RowError(
            number,
            column,
            _l("the cell runs over a line break; is a quote in it closed too late?"),
        )
    values["name"] = normalise_name(values["name"])
    return values


def _check_row(number: int, values: dict[str, str], teams: dict[str, Team]) -> list[RowError]:
    errors = []
    team_name = values["team"]
    team = teams.get(team_name)
    if not team_name:
        errors.append(RowError(number, "team", _l("the team is empty")))
    elif team is None:
        errors.append(RowError(number, "team", _l("unknown team “%(team)s”", team=team_name)))
    elif team.archived:
        errors.append(
            RowError(number, "team", _l("the team “%(team)s” is archived", team=team_name))
        )
    elif team.children:
        errors.append(
            RowError(
                number,
                "team",
                _l("“%(team)s” is a department; name one of its teams", team=team_name),
            )
        )
    if not values["name"]:
        errors.append(RowError(number, "name", _l("the name is empty")))
    elif len(values["name"]) > MAX_NAME:
        errors.append(
            RowError(number, "name", _l("the name is longer than %(n)s characters", n=MAX_NAME))
        )
    email = values.get("email", "")
    if email and (len(email) > 254 or not EMAIL.match(email)):
        errors.append(
            RowError(number, "email", _l("“%(email)s” is not an email address", email=email))
        )
    return errors


class _SameMemberCheck:
    """Within a team, one email is one member, and a name given twice needs two emails."""

    def __init__(self):
        self.emails: dict[tuple[str, str], int] = {}
        self.names: dict[tuple[str, str], tuple[int, bool]] = {}

    def check(self, number: int, values: dict[str, str]) -> list[RowError]:
        errors = []
        team, name, email = values["team"], values["name"], values.get("email", "")
        if email:
            first = self.emails.setdefault((team, normalise_email(email)), number)
            if first != number:
                errors.append(
                    RowError(
                        number,
                        "email",
                        _l("the same email as row %(row)s: one email is one member", row=first),
                    )
                )
        if name:
            key = (team, name_key(name))
            first, first_has_email = self.names.setdefault(key, (number, bool(email)))
            if first != number and not (email and first_has_email):
                errors.append(
                    RowError(
                        number,
                        "name",
                        _l(
                            "“%(name)s” is also on row %(row)s: if they are two people, give "
                            "each their own email; if one, remove a row",
                            name=name,
                            row=first,
                        ),
                    )
                )
        return errors


def read_roster(data: bytes, teams: dict[str, Team], encoding: str = "utf-8") -> RosterFile:
    """Validated rows of a roster file in ``encoding`` (a key of ``ENCODINGS``).

    ``teams`` maps the names the importing user may use to their teams; any other name is
    an unknown team, whether or not it exists. Raises RosterRejectedError listing every problem.
    """
    text, encoding = _decode(data, encoding)
    # strict: a stray quote is an error, not the start of a cell that swallows the rows after it.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0
    try:
        header = next(reader, None)
        if header is None:
            raise RosterRejectedError([RowError(0, "", _l("the file is empty"))])
        columns = _header(header)
        errors: list[RowError] = []
        rows: list[RosterRow] = []
        same_member = _SameMemberCheck()
        line = reader.line_num
        for cells in reader:
            number, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            values = _cells(number, cells, columns)
            if isinstance(values, RowError):
                errors.append(values)
                continue
            row_errors = _check_row(number, values, teams) + same_member.check(number, values)
            errors += row_errors
            if not row_errors:
                email = values.get("email") or None
                rows.append(RosterRow(number, teams[values["team"]], values["name"], email))
    except csv.Error as error:
        if text.count('"') % 2:
            # An odd number of quotes: one opens a cell that never ends. Quotes inside a
            # cell are doubled, so they come in pairs.
            problem = _l(
                "a quote opens a cell here and is never closed, so every row after it would "
                "be read into that cell; close the quote or remove it"
            )
            raise RosterRejectedError([RowError(line + 1, "", problem)]) from None
        problem = _l("the row is not valid CSV: %(error)s", error=str(error))
        raise RosterRejectedError([RowError(reader.line_num, "", problem)]) from None
    if errors:
        raise RosterRejectedError(errors)
    if not rows:
        raise RosterRejectedError([RowError(0, "", _l("the file has no members"))])
    return RosterFile(rows, "email" in columns, encoding)
