"""trust.read_survey_csv: which cells are numbers."""

import re

import numpy as np
import pytest

from tests.trust.helpers import make_instrument
from trust import SurveyTableError, read_survey_csv

INST = make_instrument({"s": ["q1", "q2"]}, low=0, high=4)


def _read(text):
    return read_survey_csv(text.encode("utf-8") if isinstance(text, str) else text, INST, "team")


def test_plain_ascii_numbers_with_sign_point_and_spaces_are_read():
    table = _read("team,q1,q2\nA, +3 ,4.\nA,-0,.0\nA,\t2.000 ,\n")
    np.testing.assert_array_equal(table.answers, [[3, 4], [0, 0], [2, np.nan]])


@pytest.mark.parametrize("cell", ["1_0", "\uff13", "\u0663", "\u09e9", "3e0", "0x3", "nan",
                                  "inf", "1.2.3", "-", ".", "+-1", "3 4", "1" + "0" * 400])
def test_anything_but_a_plain_ascii_number_is_refused(cell):
    # float() and numpy read '1_0' as 10, '\uff13' (full-width) and '\u0663' (Arabic-Indic)
    # as 3, '3e0' as 3, and 400 digits as inf
    expected = f"^row 3, column 'q2': {re.escape(repr(cell))} is not a number"
    with pytest.raises(SurveyTableError, match=expected):
        _read(f"team,q1,q2\nA,1,2\nA,1,{cell}\n")
