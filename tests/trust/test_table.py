"""trust.read_survey_csv: which cells are numbers, and which row and line a message names."""

import re

import numpy as np
import pytest

from tests.trust.helpers import make_instrument
from trust import SurveyTableError, is_whole_number, read_survey_csv

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
