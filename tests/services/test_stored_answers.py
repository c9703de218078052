"""Stored answers read as a matrix: the same numbers ``json.loads`` reads, whatever the text.

The expected matrix is built cell by cell from ``json.loads`` and ``dict.get``, with none of
the module's code; hypothesis writes the texts, both as the product stores them and in the
forms the NumPy reading leaves to ``json.loads``.
"""

from __future__ import annotations

import json
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.services import stored_answers

KEYS = ("fam1", "fam2", "sim1", "a", "rel10", "affect_long_key_12")
OTHER = ("unknown", "fam", "fam11", "affect_long_key_1", "")


def expected(texts, keys):
    rows = []
    for text in texts:
        given = (json.loads(text) if text is not None else None) or {}
        rows.append([math.nan if given.get(k) is None else float(given[k]) for k in keys])
    return np.array(rows, dtype=float).reshape(len(texts), len(keys))


stored = st.dictionaries(
    st.sampled_from(KEYS + OTHER),
    st.one_of(st.integers(0, 999), st.none()),
)


@given(st.lists(st.one_of(stored.map(json.dumps), st.none(), st.just("null")), max_size=30))
@settings(max_examples=300, deadline=None)
def test_answers_as_the_product_stores_them_are_read_exactly(texts):
    got = stored_answers.matrix(texts, KEYS)
    np.testing.assert_array_equal(got, expected(texts, KEYS))


odd_value = st.one_of(
    st.integers(-5, 10**6),
    st.integers(990, 1010),
    st.floats(-10, 10, allow_nan=False),
    st.none(),
    st.booleans(),
    st.text(max_size=3),
)
odd = st.dictionaries(st.sampled_from(KEYS + OTHER + ('fa"m', "fám", "x{")), odd_value)
dumps = st.sampled_from(
    [
        json.dumps,
        lambda d: json.dumps(d, separators=(",", ":")),
        lambda d: json.dumps(d, ensure_ascii=False),
        lambda d: json.dumps(d, indent=1),
    ]
)


@given(st.lists(st.tuples(odd, dumps), max_size=20))
@settings(max_examples=300, deadline=None)
def test_answers_stored_any_other_way_are_read_as_json_reads_them(pairs):
    # Only numbers and nulls are answers; anything else would fail as it did before.
    texts = [
        write({k: v for k, v in d.items() if not isinstance(v, str | bool)}) for d, write in pairs
    ]
    got = stored_answers.matrix(texts, KEYS)
    np.testing.assert_array_equal(got, expected(texts, KEYS))


def test_the_product_format_is_read_without_json_loads_and_others_are_not():
    # The NumPy reading is what makes a large export fast: it must take the product's own
    # texts, and it must leave to json.loads every text it cannot read exactly.
    product = [json.dumps({"fam1": 4, "sim1": None, "rel10": 123}), None, "{}"]
    assert stored_answers._small_whole_numbers(product, KEYS) is not None
    for text in (
        '{"fam1": 2.5}',
        '{"fam1": -1}',
        '{"fam1": 1000}',
        '{"fam1":4}',
        '{"fam1": 4, "fam1": 5}',
        '{"f\\u00e1m": 4}',
        '{"fam1": true}',
    ):
        assert stored_answers._small_whole_numbers([text], KEYS) is None, text
        np.testing.assert_array_equal(
            stored_answers.matrix([text], KEYS), expected([text], KEYS), err_msg=text
        )


layout = st.lists(st.sampled_from(KEYS + OTHER), unique=True, max_size=8)
one_digit_rows = st.lists(st.lists(st.integers(0, 9), min_size=8, max_size=8), max_size=12)
# What may differ in one text: another answer, or a null, or the keys in another order.
change = st.sampled_from(["none", "two digits", "null", "reversed", "missing", "non-ASCII"])


@given(layout, one_digit_rows, change, st.integers(0, 11))
@settings(max_examples=300, deadline=None)
def test_texts_of_one_layout_are_read_as_json_reads_them(keys, rows, how, which):
    # Texts as the survey writes them: the same keys in the same order, one digit each; one
    # of them possibly changed so that its answers no longer sit where the others' do.
    dicts = [dict(zip(keys, row, strict=False)) for row in rows]
    if dicts and keys:
        changed = dicts[which % len(dicts)]
        key = keys[0]
        if how == "two digits":
            changed[key] = 10
        elif how == "null":
            changed[key] = None
        elif how == "reversed":
            dicts[which % len(dicts)] = dict(reversed(changed.items()))
        elif how == "missing":
            del changed[key]
        elif how == "non-ASCII":
            changed["fám"] = 1
    texts = [json.dumps(d) for d in dicts]
    got = stored_answers.matrix(texts, KEYS)
    np.testing.assert_array_equal(got, expected(texts, KEYS))
    fast = stored_answers._same_layout(texts, KEYS)
    if how == "none" and texts:
        assert fast is not None  # the common case is read by columns
    if fast is not None:
        np.testing.assert_array_equal(fast, expected(texts, KEYS))


def test_one_layout_is_read_by_columns_and_anything_else_is_not():
    same = [
        json.dumps({"fam1": 4, "sim1": 2, "rel10": 5}),
        json.dumps({"fam1": 1, "sim1": 7, "rel10": 0}),
    ]
    np.testing.assert_array_equal(stored_answers._same_layout(same, KEYS), expected(same, KEYS))
    for other in (
        '{"sim1": 4, "fam1": 2, "rel10": 5}',  # the same length, another order
        '{"fam1": 4, "sim1": 2, "rel11": 5}',  # another key
        '{"fam1": 4, "sim1": 2, "rel10": x}',  # not a digit
        '{"fam1": 4, "sim1": 2, "rel10":5}',  # another separator
        None,
    ):
        texts = [same[0], other]
        assert stored_answers._same_layout(texts, KEYS) is None, other
    # A key given twice: json.loads keeps the last answer.
    twice = ['{"fam1": 4, "fam1": 5}'] * 2
    np.testing.assert_array_equal(stored_answers.matrix(twice, KEYS), expected(twice, KEYS))
