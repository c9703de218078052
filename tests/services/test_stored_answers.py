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
