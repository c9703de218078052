"""trust.read_survey_csv: which cells are numbers, and which row and line a message names."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.trust.helpers import make_instrument
from trust import SurveyTableError, is_whole_number, parse_instrument, read_survey_csv

INST = make_instrument({"s": ["q1", "q2"]}, low=0, high=4)


def _read(text):
    return read_survey_csv(text.encode("utf-8") if isinstance(text, str) else text, INST, "team")


def test_whole_numbers_in_ascii_digits_with_spaces_around_are_read():
    table = _read("team,q1,q2\nA, 3 ,4\nA,-0,0\nA,\t2 ,\n")
    np.testing.assert_array_equal(table.answers, [[3, 4], [0, 0], [2, np.nan]])


@pytest.mark.parametrize(
    "cell",
    [
        "+3",
        "4.",
        "2.000",
        ".0",
        "1_0",
        "\uff13",
        "\u0663",
        "\u09e9",
        "3e0",
        "0x3",
        "nan",
        "inf",
        "1.2.3",
        "-",
        ".",
        "+-1",
        "3 4",
        "1" + "0" * 400,
    ],
)
def test_anything_but_a_plain_ascii_number_is_refused(cell):
    # float() and numpy read '1_0' as 10, '\uff13' (full-width) and '\u0663' (Arabic-Indic)
    # as 3, '3e0' as 3, and 400 digits as inf
    expected = f"^row 3, column 'q2': {re.escape(repr(cell))} is not a number"
    with pytest.raises(SurveyTableError, match=expected):
        _read(f"team,q1,q2\nA,1,2\nA,1,{cell}\n")


def test_rows_count_records_as_a_spreadsheet_does():
    # header = row 1; a blank line is row 3; the quoted comment of row 4 spans two lines
    text = 'team,q1,q2,note\nA,1,2,\n\nA,3,4,"two\nlines"\nB,0,1,\n'
    table = _read(text)
    np.testing.assert_array_equal(table.rows, [2, 4, 5])
    with pytest.raises(SurveyTableError) as caught:
        _read(text.replace("B,0,1", "B,0,7"))
    assert str(caught.value) == "row 5 (line 6), column 'q2': 7 is outside the response scale 0..4"
    with pytest.raises(SurveyTableError) as caught:
        _read(text.replace("A,1,2", "A,1,7"))  # before the multi-line cell: line = row
    assert str(caught.value) == "row 2, column 'q2': 7 is outside the response scale 0..4"


def test_a_row_of_the_wrong_width_names_its_first_missing_or_extra_column():
    with pytest.raises(
        SurveyTableError,
        match=r"^row 2, column 'q1': the row ends before this "
        r"column \(1 cells; the header has 3 columns\)$",
    ):
        _read("team,q1,q2\nA\n")
    with pytest.raises(
        SurveyTableError,
        match=r"^row 3, column 4: a cell past the header's 3 "
        r"columns \(the row has 5 cells\)$",
    ):
        _read("team,q1,q2\nA,1,2\nA,1,2,x,y\n")


def test_a_non_utf8_byte_is_found_in_its_cell_past_quoted_commas_and_line_breaks():
    raw = 'team,q1,q2,note\n"A,B","1",2,"x,\ny"\n"A,B",1,\u00fc,\n'.encode("latin-1")
    with pytest.raises(
        SurveyTableError,
        match=r"^row 3 \(line 4\), column 'q2': not UTF-8 "
        r"text \(byte 0xfc\)",
    ):
        _read(raw)
    with pytest.raises(SurveyTableError, match=r"^row 2, column 4: not UTF-8"):
        _read("team,q1,q2\nA,1,2,\u00fc\n".encode("latin-1"))  # past the header's columns


def test_a_non_utf8_byte_in_a_file_that_is_no_csv_at_all_names_its_line():
    # A field past the csv module's size limit stops the parse: only the line is known.
    raw = b'team,q1,q2\nA,1,"' + b"x" * 200_000 + b'"\nA,\xfc,1\n'
    with pytest.raises(SurveyTableError, match=r"^line 3: not UTF-8 text \(byte 0xfc\)"):
        _read(raw)


def test_a_column_without_a_header_name_is_named_by_its_position():
    # The fourth header cell is blank: a message names "column 4", never "column ''".
    with pytest.raises(SurveyTableError) as caught:
        _read("team,q1,q2,\nA,1,2,x\nA,1,2\n")
    assert str(caught.value).startswith("row 3, column 4: the row ends before this column")
    with pytest.raises(SurveyTableError) as caught:
        _read(b"team,q1,q2,\nA,1,2,\xfc\n")
    assert str(caught.value).startswith("row 2, column 4: ")


@pytest.mark.parametrize(
    "text, whole",
    [
        ("3", True),
        ("-1", True),
        ("0", True),
        ("007", True),
        (" 3", False),
        ("3 ", False),
        ("+3", False),
        ("3.0", False),
        ("\uff13", False),  # full-width 3
        ("\u0663", False),  # Arabic-Indic 3
        ("1_0", False),
        ("-", False),
        ("3-", False),
        ("--3", False),
        ("", False),
    ],
)
def test_one_rule_for_an_answer_of_the_form_and_of_the_csv(text, whole):
    assert is_whole_number(text) is whole
    # The CSV reader applies it to the cell inside its padding.
    if not whole and text.strip() and not is_whole_number(text.strip()):
        with pytest.raises(SurveyTableError, match="is not a number"):
            _read(f"team,q1,q2\nA,1,{text}\n")


# Both readers on one file: a plain file goes through NumPy, the same file with its header
# quoted through the csv module, which is the reader that finds the culprit of an error.
MIXED = parse_instrument(
    {
        "instrument": {"key": "mixed", "version": "1", "name": "Mixed"},
        "response_scales": {
            "zero10": {"min": 0, "max": 10},
            "hours": {"min": -5, "max": 24, "continuous": True},
        },
        "scales": [
            {"key": "s", "response_scale": "zero10", "items": [{"key": "q1"}, {"key": "q2"}]},
            {"key": "h", "response_scale": "hours", "items": [{"key": "h1"}]},
        ],
    }
)
WHOLE = st.sampled_from(["", "0", "3", "7", "10", "007", "-0", " 4", "4 "])
HOURS = st.sampled_from(["", "0", "24", "-5", "2.5", "-2.25", ".5", "3.", " 1.5", "7"])
LABEL = st.sampled_from(["A", "B", "Team C", "\u961f\u4e00", "=1"])
SIZE = st.sampled_from(["", "12", "20", "3.0", "+20", " 20"])
# One cell of a file may be replaced by one of these: each is refused, or read as it is.
ODD = st.sampled_from(
    [
        "11",
        "-1",
        "+3",
        "2.5",
        "1.2.3",
        "-",
        "1e3",
        "nan",
        "x",
        "\u00e9",
        "1" + "0" * 20,
        "24.5",
        "3 4",
        "",
        " A",
        "0",
        "-2",
        "1",
        "1" + "0" * 16,
    ]
)


def _outcome(raw: bytes, size_column):
    try:
        t = read_survey_csv(raw, MIXED, "team", size_column)
    except SurveyTableError as exc:
        return str(exc)
    answers = [[None if np.isnan(v) else v for v in row] for row in t.answers.tolist()]
    return (answers, t.team.tolist(), t.team_size, t.rows.tolist())


@settings(max_examples=500, deadline=None)
@given(
    rows=st.lists(st.tuples(LABEL, WHOLE, WHOLE, HOURS), min_size=1, max_size=12),
    sizes=st.fixed_dictionaries({label: SIZE for label in LABEL.elements}),
    odd=st.none()
    | st.tuples(st.integers(0, 11), st.integers(0, 4), ODD)
    | st.tuples(st.integers(0, 11), st.integers(2, 4), ODD),
    with_size=st.booleans(),
    ragged=st.sampled_from(["", "", "", ",", ",x"]),
    crlf=st.booleans(),
)
def test_the_numpy_reader_and_the_csv_reader_agree_on_every_plain_file(
    rows, sizes, odd, with_size, ragged, crlf
):
    table = [[label, sizes[label], a, b, h] for label, a, b, h in rows]
    if odd is not None:
        table[min(odd[0], len(table) - 1)][odd[1]] = odd[2]
    lines = [",".join(row) for row in table]
    lines[-1] += ragged  # a cell too many, or an empty one
    body = "\n".join(lines) + "\n"
    if crlf:
        body = body.replace("\n", "\r\n")
    plain = ("team,size,q1,q2,h1\n" + body).encode("utf-8")
    quoted = ('"team",size,q1,q2,h1\n' + body).encode("utf-8")
    size_column = "size" if with_size else None
    assert _outcome(plain, size_column) == _outcome(quoted, size_column)


def test_the_numpy_reader_reads_a_file_larger_than_one_block_of_rows():
    rng = np.random.default_rng(1)
    n = 20_000  # past the reader's blocks of rows
    answers = rng.integers(0, 11, size=(n, 2)).astype(float)
    answers[rng.random((n, 2)) < 0.05] = np.nan
    hours = np.round(rng.uniform(-5, 24, n), 2)
    team = rng.choice(["A", "B", "C"], n)
    cells = [
        f"{t},{'' if np.isnan(a) else int(a)},{'' if np.isnan(b) else int(b)},{h}"
        for t, (a, b), h in zip(team, answers, hours, strict=True)
    ]
    body = "\n".join(cells) + "\n"
    plain = read_survey_csv(("team,q1,q2,h1\n" + body).encode(), MIXED, "team")
    quoted = read_survey_csv(('"team",q1,q2,h1\n' + body).encode(), MIXED, "team")
    expected = np.column_stack([answers, hours])
    np.testing.assert_array_equal(plain.answers, expected)
    np.testing.assert_array_equal(quoted.answers, expected)
    np.testing.assert_array_equal(plain.team, team)
    np.testing.assert_array_equal(plain.rows, np.arange(2, n + 2))


@pytest.mark.parametrize("cell", ["3\x00", "\x003", "3\x004"])
def test_a_nul_in_an_answer_is_refused_by_the_form_rule_and_named_by_the_csv_reader(cell):
    # numpy's str arrays drop a trailing NUL, so without a check of its own '3\x00' read as 3.
    assert is_whole_number(cell) is False
    with pytest.raises(SurveyTableError, match=r"row 3, column 'q2': a NUL character"):
        _read(f"team,q1,q2\nA,1,2\nA,1,{cell}\n")


def test_a_nul_in_a_team_name_does_not_make_it_another_team():
    with pytest.raises(SurveyTableError, match=r"row 2, column 'team': a NUL character"):
        _read("team,q1,q2\nA\x00,1,2\nA,1,2\n")
