"""Survey CSV files: read and validate them into arrays, write the analysis as CSV.

Pure functions over bytes and text, used by ``trustsurvey analyze``. Every error is a
:class:`SurveyTableError` whose one-line message names the row and, where there is one,
the column. Rows are counted as a spreadsheet shows them: the header is row 1 and every
CSV record is one row, a blank line too, while a quoted cell with line breaks stays in
its row. Where a row starts on another line of the file, the message gives that line as
well: ``row 5 (line 7), column 'Q2': ...``. A column is named by its header, or by its
position (``column 7``) where the header has no name for it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from trust._common import team_index
from trust.instrument import Instrument

__all__ = [
    "CSV_COLUMNS",
    "SurveyTable",
    "SurveyTableError",
    "analysis_csv",
    "is_whole_number",
    "neutralise_csv_cell",
    "read_survey_csv",
]

# Past 2**53 a float no longer tells whole numbers apart; no team is that large anyway.
MAX_TEAM_SIZE = 2**53
# Columns of analysis_csv, one row per team x scale.
CSV_COLUMNS = (
    "team",
    "team_size",
    "team_n",
    "scale",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "rwg_j",
)


class SurveyTableError(ValueError):
    """A survey CSV cannot be used; the message names the row and column and how to fix it."""


class SurveyTable(NamedTuple):
    answers: np.ndarray  # (n_respondents, n_items) float, instrument item order, NaN missing
    team: np.ndarray  # team label (str) of every respondent
    team_size: dict | None  # {team label: roster size} from the team-size column
    rows: np.ndarray  # row (CSV record) number of every respondent; the header is row 1


class _RowError(Exception):
    """A problem in a row; turned into a SurveyTableError once the row's line is known."""

    def __init__(self, row: int, problem: str, column=None):
        super().__init__(row, problem, column)
        self.row, self.problem, self.column = row, problem, column


def _message(row: int, problem: str, column=None, line: int | None = None) -> str:
    where = f"row {row}" if line is None or line == row else f"row {row} (line {line})"
    if isinstance(column, int):  # a position, where the header names no column
        where += f", column {column}"
    elif column is not None:
        where += f", column {column!r}"
    return f"{where}: {problem}"


def _fail(row, problem, column=None):
    raise _RowError(int(row), problem, column)


def _line_breaks(record: list[str]) -> int:
    """Line breaks inside a record's quoted cells (\\r\\n, \\n or \\r, as the reader splits)."""
    return sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in record)


def _start_line(records: list[list[str]], row: int) -> int:
    """The file line on which row ``row`` (1-based: records[row - 1]) starts."""
    return row + sum(_line_breaks(rec) for rec in records[: row - 1])


def _records(text: str, strict: bool = True) -> list[list[str]]:
    """Every CSV record of ``text``; on malformed CSV, a SurveyTableError naming the row."""
    try:
        return list(csv.reader(io.StringIO(text, newline=""), strict=strict))
    except csv.Error as exc:
        # Only on the error path: read again, one record at a time, to count the good ones.
        done = []
        with contextlib.suppress(csv.Error):
            for record in csv.reader(io.StringIO(text, newline=""), strict=strict):
                done.append(record)
        row = len(done) + 1
        raise SurveyTableError(
            _message(row, f"not valid CSV ({exc})", line=_start_line(done, row))
        ) from None


_BOM = b"\xef\xbb\xbf"
# What errors="surrogateescape" turns an undecodable byte into.
_SURROGATE = re.compile("[\udc80-\udcff]")


def _first_surrogate(records: list[list[str]]) -> tuple[int, int] | None:
    """Row and 0-based column of the first cell holding an undecodable byte (a surrogate)."""
    for r, rec in enumerate(records, start=1):  # only on the error path
        if _SURROGATE.search("".join(rec)):
            return r, next(c for c, cell in enumerate(rec) if _SURROGATE.search(cell))
    return None


def _decode(raw: bytes) -> str:
    if not raw.strip():
        raise SurveyTableError(
            _message(1, "the file is empty; a header row naming the columns is expected")
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SurveyTableError(_message(1, "file is UTF-16 text; save it as UTF-8"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        # Undecodable bytes become lone surrogates, so the CSV parses as it will once fixed
        # (quoted commas and line breaks included) and the first surrogate marks the cell.
        text = raw.decode("utf-8", "surrogateescape")
        try:
            records = _records(text, strict=False)
        except SurveyTableError:
            records = []
        found = _first_surrogate(records)
        if found is None:  # not even loosely CSV: say where the byte is in the file
            line = (
                raw.count(b"\n", 0, exc.start)
                + raw.count(b"\r", 0, exc.start)
                - raw.count(b"\r\n", 0, exc.start)
                + 1
            )
            raise SurveyTableError(f"line {line}: {problem}") from None
        row, c = found
        names = records[0] if row > 1 else []
        column = names[c].strip() if c < len(names) and names[c].strip() else c + 1
        raise SurveyTableError(_message(row, problem, column, _start_line(records, row))) from None


# Characters of a plain number once the cell is stripped: ASCII digits, sign, decimal point,
# and the NUL that pads numpy's fixed-width strings. float() also takes '1_0', '１', '١',
# 'nan', '1e3', which no survey tool writes for an answer.
_PLAIN = np.zeros(128, dtype=bool)
_PLAIN[[0, ord("+"), ord("-"), ord(".")]] = True
_PLAIN[ord("0") : ord("9") + 1] = True


def _plain(stripped: np.ndarray) -> np.ndarray:
    """Cells of a stripped str array made only of the characters of a plain number."""
    if stripped.size == 0:
        return np.ones(stripped.shape, dtype=bool)
    codes = np.ascontiguousarray(stripped).view(np.uint32).reshape(*stripped.shape, -1)
    # Every code past ASCII lands on 127 (DEL), which is not plain.
    return _PLAIN[np.minimum(codes, 127)].all(axis=-1)


def _whole(texts: np.ndarray) -> np.ndarray:
    """Which strings of a numpy str array are whole numbers: ASCII digits, at least one, with
    at most a leading minus; nothing else (no space, no plus, no point, no other script's
    digits). The one rule for an answer, of a survey form and of a survey CSV alike."""
    if texts.size == 0:
        return np.ones(texts.shape, dtype=bool)
    codes = np.ascontiguousarray(texts).view(np.uint32).reshape(*texts.shape, -1)
    inside = np.arange(codes.shape[-1]) < np.char.str_len(texts)[..., None]
    digit = (codes >= ord("0")) & (codes <= ord("9"))
    minus = codes == ord("-")
    minus[..., 1:] = False  # a minus only in first place
    return np.where(inside, digit | minus, True).all(axis=-1) & (digit & inside).any(axis=-1)


def is_whole_number(text: str) -> bool:
    """True if ``text`` is a whole number in plain ASCII digits (``3``, ``-1``, ``0``).

    The rule for an answer, shared by the survey form and :func:`read_survey_csv`: ``' 3'``,
    ``'+3'``, ``'3.0'``, ``'1_0'``, full-width ``'３'`` and Arabic-Indic ``'٣'`` are not,
    though Python's ``int()`` reads them all as numbers.

    Parameters
    ----------
    text : str
        A form value or a CSV cell without its padding.

    Returns
    -------
    bool
        True for ASCII digits, at least one, with at most a leading minus.

    Examples
    --------
    >>> is_whole_number("3"), is_whole_number("-2"), is_whole_number("+3"), is_whole_number("３")
    (True, True, False, False)
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    # numpy's str arrays drop a trailing NUL, so '3\x00' must be refused before one is made.
    return bool(_whole(np.array([text]))[0]) if text and "\x00" not in text else False


def _parse_numbers(cells: np.ndarray, rows: np.ndarray, names: list[str], what: str):
    """Floats of a string array (empty -> NaN); the first bad cell fails with row and column.

    A number is plain ASCII: optional sign, digits, optional decimal point (``3``, ``-1``,
    ``2.5``, ``.5``), with whitespace around it.
    """
    stripped = np.char.strip(cells)
    empty = stripped == ""
    plain = _plain(stripped)
    values = None
    if plain.all():
        # ValueError: plain characters in a wrong order, such as '1.2.3' or '-'
        with contextlib.suppress(ValueError):
            values = np.where(empty, "nan", stripped).astype(float)
    # A few hundred digits overflow to inf.
    if values is None or (~empty & ~np.isfinite(values)).any():
        for r, c in np.argwhere(~empty):  # only on the error path: find the first culprit
            try:
                if plain[r, c] and np.isfinite(float(stripped[r, c])):
                    continue
            except ValueError:
                pass
            _fail(rows[r], f"{str(stripped[r, c])!r} is not a number ({what})", names[c])
    return values


def read_survey_csv(
    source, instrument: Instrument, team_column: str, team_size_column: str | None = None
) -> SurveyTable:
    """Read a survey CSV (one respondent a row, one item a column) and validate it.

    Parameters
    ----------
    source : bytes or str or Path
        The file's bytes, or its path.
    instrument : Instrument
        Item keys are the column names; answers must be whole numbers in their
        response scale's range, written in plain ASCII digits with at most a leading
        minus (:func:`is_whole_number`, the survey form's rule too: ``3``, ``-1``;
        not ``+3``, ``3.0``, ``1_0``, full-width or other scripts' digits, ``3e0``,
        ``nan``), whitespace around them allowed. Empty cells are missing answers.
    team_column : str
        Column holding each respondent's team label (never empty).
    team_size_column : str, optional
        Column holding the roster size of the respondent's team: a positive whole
        number, the same on every row of a team, at least the team's number of rows
        (or empty on every row of a team whose size is unknown).

    Returns
    -------
    SurveyTable
        ``rows`` holds every respondent's row number: the header is row 1, every CSV
        record a row (blank lines too, which are otherwise skipped), as a spreadsheet
        numbers them.

    Raises
    ------
    SurveyTableError
        Empty file, byte-order mark, not UTF-8, malformed CSV, duplicate or missing
        column, no data rows, a row with too few or too many cells, non-numeric
        cell, answer outside the response scale, empty team label, bad or
        inconsistent team size. The message is one line naming the row and the
        column (the first missing or extra one of a short or long row); when a
        quoted cell with line breaks came before, the row starts on a later line of
        the file, and the message gives that line too: ``row 5 (line 7), ...``.

    Examples
    --------
    >>> from trust import parse_instrument, read_survey_csv
    >>> inst = parse_instrument({
    ...     "instrument": {"key": "mini", "version": "1", "name": "Mini"},
    ...     "response_scales": {"zero": {"min": 0, "max": 4}},
    ...     "scales": [{"key": "s", "response_scale": "zero",
    ...                 "items": [{"key": "q1"}, {"key": "q2"}]}]})
    >>> table = read_survey_csv(b"team,q1,q2\\nA,0,4\\nA,3,\\n", inst, "team")
    >>> table.answers
    array([[ 0.,  4.],
           [ 3., nan]])
    >>> read_survey_csv(b"team,q1,q2\\nA,0,9\\n", inst, "team")
    Traceback (most recent call last):
    ...
    trust.table.SurveyTableError: row 2, column 'q2': 9 is outside the response scale 0..4
    """
    if isinstance(source, (str, Path)):
        try:
            source = Path(source).read_bytes()
        except OSError as exc:
            raise SurveyTableError(f"cannot read {source} ({exc.strerror})") from exc
    if not isinstance(source, (bytes, bytearray)):
        raise TypeError(f"source must be bytes or a path, not {type(source).__name__}")
    source = bytes(source)
    # Excel's "CSV UTF-8" and the product's own CSV files start with a byte-order mark.
    if source.startswith(_BOM):
        source = source[len(_BOM) :]
    found = _read_fast(source, instrument, team_column, team_size_column)
    if found is not None:
        return found
    records = _records(_decode(source))
    try:
        if b"\x00" in source:
            _refuse_nul(records)
        return _read_records(records, instrument, team_column, team_size_column)
    except _RowError as exc:
        line = _start_line(records, exc.row)
        raise SurveyTableError(_message(exc.row, exc.problem, exc.column, line)) from None


def _refuse_nul(records) -> None:
    """Fail at the first cell holding a NUL: numpy's str arrays drop a trailing one, so
    '3\\x00' would read as 3 and 'A\\x00' as team A."""
    header = [name.strip() for name in records[0]]
    for r, rec in enumerate(records, start=1):
        for c, cell in enumerate(rec):
            if "\x00" in cell:
                column = header[c] if c < len(header) and header[c] else c + 1
                _fail(r, "a NUL character (\\x00) in the cell", column)


def _read_records(records, instrument, team_column, team_size_column) -> SurveyTable:
    header = [name.strip() for name in records[0]]
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            _fail(1, f"appears twice in the header (columns {seen[name] + 1} and {i + 1})", name)
        seen[name] = i
    needed = [team_column] + ([team_size_column] if team_size_column else [])
    needed += list(instrument.item_keys)
    missing = [name for name in needed if name not in seen]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        _fail(1, f"missing from the header{more}", missing[0])
    numbered = [(r, rec) for r, rec in enumerate(records[1:], start=2) if rec]
    if not numbered:
        _fail(2, "no data rows after the header")
    width = len(header)
    for r, rec in numbered:
        if len(rec) < width:
            _fail(
                r,
                f"the row ends before this column ({len(rec)} cells; the header has "
                f"{width} columns)",
                header[len(rec)] or len(rec) + 1,
            )
        if len(rec) > width:
            _fail(
                r,
                f"a cell past the header's {width} columns (the row has {len(rec)} cells)",
                width + 1,
            )
    rows = np.array([r for r, _ in numbered])
    cells = np.array([rec for _, rec in numbered], dtype=str).reshape(len(numbered), width)

    item_cols = [seen[key] for key in instrument.item_keys]
    given = np.char.strip(cells[:, item_cols])  # a CSV cell's padding is not part of it
    # Whole-number scales take plain ASCII digits only, as the survey form does.
    not_whole = (given != "") & ~_whole(given) & ~instrument.continuous_mask()
    if not_whole.any():
        r, c = np.argwhere(not_whole)[0]
        _fail(
            rows[r],
            f"{str(given[r, c])!r} is not a number (an answer is a whole number in ASCII digits)",
            instrument.item_keys[c],
        )
    answers = _parse_numbers(given, rows, list(instrument.item_keys), "an answer")
    _check_answers(answers, instrument, rows)

    team = np.char.strip(cells[:, seen[team_column]])
    if (team == "").any():
        _fail(rows[np.argmax(team == "")], "the team label is empty", team_column)
    sizes = None
    if team_size_column:
        sizes = _team_sizes(cells[:, seen[team_size_column]], team, rows, team_size_column)
    return SurveyTable(answers, team, sizes, rows)


def _shown(value: float) -> str:
    """A number as the file would have it: ``3``, ``2.5``, ``1000000``."""
    return str(int(value)) if value % 1 == 0 and abs(value) < 1e15 else f"{value:.15g}"


def _gather(buf: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The bytes buf[start:end] of every cell as one fixed-width bytes array."""
    width = int((end - start).max()) if start.size else 0
    if width == 0:
        return np.zeros(start.shape, dtype="S1")
    at = start[:, None] + np.arange(width)
    chars = np.where(at < end[:, None], buf[np.minimum(at, buf.size - 1)], 0).astype(np.uint8)
    return chars.view(f"S{width}")[:, 0]


# Digits a float holds exactly: a longer run of digits goes through the string reader.
_EXACT_DIGITS = 15


def _digit_runs(buf, start, end) -> np.ndarray | None:
    """Values of cells made only of 1 to 15 ASCII digits; None if any cell is something else."""
    length = end - start
    width = int(length.max())
    if width > _EXACT_DIGITS or length.min() < 1:
        return None
    # right-aligned: the last digit of every cell in the last column, zeros in front
    at = end[:, None] - width + np.arange(width)
    inside = at >= start[:, None]
    digits = buf[np.maximum(at, 0)].astype(np.int64) - ord("0")
    if not ((digits >= 0) & (digits <= 9) | ~inside).all():
        return None
    return (np.where(inside, digits, 0) @ 10 ** np.arange(width - 1, -1, -1)).astype(float)


def _fast_numbers(buf, start, end, continuous: bool = False) -> tuple[np.ndarray, bool] | None:
    """Floats of the cells buf[start:end] (empty -> NaN); None if any is not a number by the
    rule of its column, which the full reader then names.

    A single digit, which is nearly every answer, is read from its byte; a run of digits
    (``10``, a team size) from its bytes; anything else (padding, a minus, decimals of a
    continuous scale) through the same rules and parser as :func:`_parse_numbers`. The
    second value says whether every cell was digits only (a whole number, not negative).
    """
    length = end - start
    first = buf[np.minimum(start, buf.size - 1)]
    digit = (length == 1) & (first >= ord("0")) & (first <= ord("9"))
    values = np.where(digit, first - 48.0, np.nan)
    hard = ~digit & (length > 0)
    if not hard.any():
        return values, True
    runs = _digit_runs(buf, start[hard], end[hard])
    if runs is not None:
        values[hard] = runs
        return values, True
    try:
        cells = np.char.strip(_gather(buf, start[hard], end[hard]).astype(str))
    except UnicodeDecodeError:  # no number has a byte past ASCII
        return None
    empty = cells == ""
    rule = _plain(cells) if continuous else _whole(cells)
    if not (empty | rule).all():
        return None
    try:
        parsed = np.where(empty, "nan", cells).astype(float)
    except ValueError:  # plain characters in a wrong order, such as '1.2.3' or '-'
        return None
    if (~empty & ~np.isfinite(parsed)).any():
        return None
    values[hard] = parsed
    return values, False


def _read_fast(raw: bytes, instrument, team_column, team_size_column) -> SurveyTable | None:
    """Read a plain file (no quotes, no blank lines, UTF-8, all checks passed) with NumPy.

    None for anything else, and at the first problem of any kind: the csv-module reader
    then reads the file again and names the row and column. The fast path never
    reports an error itself, so both paths give the same messages.
    """
    if b'"' in raw or b"\x00" in raw:
        return None
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
        if b"\r" in raw:
            return None
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not raw.endswith(b"\n"):
        raw += b"\n"
    if b"\n\n" in raw or raw.startswith(b"\n"):
        return None
    head_end = raw.index(b"\n")
    header = [name.strip() for name in raw[:head_end].decode("utf-8").split(",")]
    seen = {name: i for i, name in enumerate(header)}
    needed = [team_column, *([team_size_column] if team_size_column else []), *instrument.item_keys]
    if len(seen) != len(header) or any(name not in seen for name in needed):
        return None
    buf = np.frombuffer(raw, dtype=np.uint8)[head_end + 1 :]
    line_end = np.flatnonzero(buf == ord("\n"))
    n = line_end.size
    if n == 0:
        return None
    # Filled one item a row, returned transposed (a view): the caller sees respondents x items.
    answers = np.empty((len(instrument.item_keys), n))
    labels_at = np.empty((2, n), dtype=np.int64)  # where each team label starts and ends
    sizes_at = np.empty((2, n), dtype=np.int64)
    columns = [seen[key] for key in instrument.item_keys]
    continuous = instrument.continuous_mask().tolist()
    digits_only = True
    # A block of rows at a time: the working arrays stay a few MB (and are reused) whatever
    # the file's size; on this machine fresh memory costs more time than the arithmetic.
    for first in range(0, n, _ROWS_A_BLOCK):
        last = min(first + _ROWS_A_BLOCK, n)
        lo = line_end[first - 1] + 1 if first else np.int64(0)  # 64-bit: cuts + lo
        cuts = _cell_bounds(buf[lo : line_end[last - 1] + 1], last - first, len(header))
        if cuts is None:
            return None
        for j, c in enumerate(columns):
            found = _fast_numbers(buf, cuts[c] + 1 + lo, cuts[c + 1] + lo, continuous[j])
            if found is None:
                return None
            answers[j, first:last], digits = found
            digits_only &= digits
        c = seen[team_column]
        labels_at[:, first:last] = cuts[c] + 1 + lo, cuts[c + 1] + lo
        if team_size_column:
            c = seen[team_size_column]
            sizes_at[:, first:last] = cuts[c] + 1 + lo, cuts[c + 1] + lo
    answers = answers.T
    rows = np.arange(2, n + 2)
    labels, inv = np.unique(_gather(buf, *labels_at), return_inverse=True)
    text = np.array([label.decode("utf-8") for label in labels.tolist()], dtype=str)
    if any(label == "" or label != label.strip() for label in text.tolist()):
        return None
    team = text[inv]
    try:
        _check_answers(answers, instrument, rows, whole_known=digits_only)
        sizes = None
        if team_size_column:
            found = _fast_numbers(buf, *sizes_at, continuous=True)
            if found is None:
                return None
            sizes = _sizes_by_team(found[0], (text, inv), rows, team_size_column, str)
    except _RowError:
        return None
    return SurveyTable(answers, team, sizes, rows)


# Rows of a block in the fast reader: working arrays of a few MB for 40-odd columns.
_ROWS_A_BLOCK = 8192


def _cell_bounds(block: np.ndarray, n: int, width: int) -> np.ndarray | None:
    """Where the cells of ``n`` whole lines of a plain CSV end: cell c of line r is
    block[cuts[c, r] + 1 : cuts[c + 1, r]]. None unless every line has ``width`` cells.

    One column a row of the result (32-bit positions), so that a column is read whole.
    """
    is_sep = block == ord(",")
    is_sep |= block == ord("\n")
    sep = np.flatnonzero(is_sep).astype(np.int32)
    # n * width separators of which every width-th is a line break: as the block holds
    # n line breaks, no line has more or fewer cells.
    if sep.size != n * width or (block[sep[width - 1 :: width]] != ord("\n")).any():
        return None
    cuts = np.empty((width + 1, n), dtype=np.int32)
    cuts[1:] = sep.reshape(n, width).T
    cuts[0, 0] = -1
    cuts[0, 1:] = cuts[width, :-1]
    return cuts


def _check_answers(
    answers: np.ndarray, instrument: Instrument, rows: np.ndarray, whole_known: bool = False
) -> None:
    """Fail at the first answer outside its response scale, or with decimals on a scale
    of whole numbers (not looked for when ``whole_known``: every answer was a digit)."""
    low, high = instrument.bounds()
    whole = ~instrument.continuous_mask() & (not whole_known)
    # fmin/fmax skip NaN: two passes without temporaries; the culprit is found only on error.
    if not answers.size:
        return
    wrong = (np.fmin.reduce(answers, axis=0) < low) | (np.fmax.reduce(answers, axis=0) > high)
    if whole.any():
        with np.errstate(invalid="ignore"):
            wrong |= whole & (np.abs(np.fmod(answers, 1)) > 0).any(axis=0)
    if not wrong.any():
        return
    with np.errstate(invalid="ignore"):
        outside = (answers < low) | (answers > high) | (whole & (np.abs(np.fmod(answers, 1)) > 0))
    r, c = np.argwhere(outside)[0]
    value = _shown(answers[r, c])
    scale = f"{_shown(low[c])}..{_shown(high[c])}"
    if low[c] <= answers[r, c] <= high[c]:
        problem = f"{value} is not a whole number of the response scale {scale}"
    else:
        problem = f"{value} is outside the response scale {scale}"
    _fail(rows[r], problem, instrument.item_keys[c])


def _team_sizes(column: np.ndarray, team: np.ndarray, rows: np.ndarray, name: str) -> dict:
    size = _parse_numbers(column[:, None], rows, [name], "a team size")[:, 0]
    teams = team_index(team, team.shape[0])
    return _sizes_by_team(size, teams, rows, name, lambda r: str(column[r]).strip())


def _sizes_by_team(size, teams, rows, name, cell) -> dict:
    """{team label: roster size} from every row's size (NaN where empty), checked:
    positive, whole, the same on every row of a team, at least the team's rows.
    ``teams`` is (sorted labels, every row's index into them); ``cell(r)`` gives the
    text of row ``r``'s cell for a message."""
    known = ~np.isnan(size)
    bad = known & ((size < 1) | (size % 1 != 0))
    if bad.any():
        r = np.argmax(bad)
        _fail(rows[r], f"{cell(r)!r} is not a positive whole number", name)
    huge = known & (size > MAX_TEAM_SIZE)
    if huge.any():
        r = np.argmax(huge)
        _fail(rows[r], f"{cell(r)!r} is too large for a team size", name)
    labels, inv = teams
    first = np.full(labels.shape[0], -1)
    first[inv[::-1]] = np.arange(inv.shape[0])[::-1]  # first row of every team
    reference = size[first][inv]
    differs = ~((size == reference) | (np.isnan(size) & np.isnan(reference)))
    if differs.any():
        r = np.argmax(differs)
        here = "no size" if np.isnan(size[r]) else f"size {int(size[r])}"
        there = "no size" if np.isnan(reference[r]) else f"size {int(reference[r])}"
        origin = rows[first[inv[r]]]
        _fail(
            rows[r],
            f"team {str(labels[inv[r]])!r} has {here} here but {there} on row {origin}",
            name,
        )
    count = np.bincount(inv, minlength=labels.shape[0])
    per_team = size[first]
    over = ~np.isnan(per_team) & (count > per_team)
    if over.any():
        t = np.argmax(over)
        _fail(
            rows[first[t]],
            f"team {str(labels[t])!r} has {count[t]} rows but a team size of {int(per_team[t])}",
            name,
        )
    keep = ~np.isnan(per_team)
    return dict(zip(labels[keep].tolist(), per_team[keep].astype(int).tolist(), strict=True))


def neutralise_csv_cell(value):
    """Prefix a quote to text that a spreadsheet would run as a formula (= + - @, tab, CR).

    Examples
    --------
    >>> neutralise_csv_cell("=1+1"), neutralise_csv_cell("team A"), neutralise_csv_cell(-1)
    ("'=1+1", 'team A', -1)
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_csv_cell(value)
    return repr(value)


def analysis_csv(result: dict) -> str:
    """The per-team part of :func:`trust.analyze`'s result as CSV, one row per team x scale.

    Parameters
    ----------
    result : dict
        What :func:`trust.analyze` returned (only its ``"teams"`` part is read).

    Returns
    -------
    str
        CSV text with ``\\n`` line ends and a header row. Columns
        (:data:`CSV_COLUMNS`): ``team``, ``team_size`` (roster size, empty if unknown),
        ``team_n`` (respondents of the team), ``scale``, ``n`` (respondents with a score
        on the scale), ``mean``, ``sd``, ``ci_low``, ``ci_high``, ``rwg_j``; an empty
        cell is an undefined value. Team labels that a spreadsheet would read as a
        formula get a leading apostrophe.

    Examples
    --------
    >>> from trust import analysis_csv
    >>> result = {"teams": {"A": {"n": 2, "team_size": None, "scales": {"s": {
    ...     "n": 2, "mean": 3.5, "sd": 0.5, "ci_low": None, "ci_high": None, "rwg_j": 0.8}}}}}
    >>> print(analysis_csv(result), end="")
    team,team_size,team_n,scale,n,mean,sd,ci_low,ci_high,rwg_j
    A,,2,s,2,3.5,0.5,,,0.8
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(
        [
            _cell(label),
            _cell(info["team_size"]),
            _cell(info["n"]),
            _cell(scale),
            _cell(s["n"]),
            _cell(s["mean"]),
            _cell(s["sd"]),
            _cell(s["ci_low"]),
            _cell(s["ci_high"]),
            _cell(s["rwg_j"]),
        ]
        for label, info in result["teams"].items()
        for scale, s in info["scales"].items()
    )
    return out.getvalue()
