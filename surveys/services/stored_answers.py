"""Stored answers, one JSON object per response, read as a matrix many responses at a time.

An export reads every answer of every response: 100,000 responses of 40 items are four
million values, and ``json.loads`` spends most of its time making a Python dict, string
and int for each. Answers as the product stores them (``{"fam1": 4, "fam3": 3}``: item
keys, whole numbers of a few digits or null, written by ``json.dumps``) are instead read
with NumPy over the bytes of many responses at once. Anything else that may sit in the
column (fractions, other separators, escapes, nested values) is read by ``json.loads``,
response by response as before, so the result is the same either way.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["matrix", "whole_numbers"]

DIGITS = 3  # the longest whole number read without json.loads
# Bytes of the JSON text.
QUOTE, COLON, SPACE, COMMA, CLOSE, OPEN, BACKSLASH = (ord(c) for c in '": ,}{\\')


def matrix(texts: Sequence[str | None], keys: Sequence[str]) -> np.ndarray:
    """The answers of ``texts`` as floats, a row per text and a column per key, in ``keys``
    order; NaN where an answer is missing or null, or the text is None (SQL NULL) or null.

    Keys of a text that are not in ``keys`` are ignored.
    """
    keys = tuple(keys)
    if not keys:
        return np.zeros((len(texts), 0))
    x = whole_numbers(texts, keys)
    return x if x is not None else _by_json(texts, keys)


def whole_numbers(texts: Sequence[str | None], keys: Sequence[str]) -> np.ndarray | None:
    """:func:`matrix` when every text holds whole numbers of at most :data:`DIGITS` digits or
    nulls, written by ``json.dumps``; None for any other text (the caller reads those its
    own way). ``keys`` must not be empty.
    """
    keys = tuple(keys)
    x = _same_layout(texts, keys)
    return x if x is not None else _small_whole_numbers(texts, keys)


# One key and its one-digit answer, as json.dumps writes them (a key with no escapes).
_ONE_DIGIT = re.compile(r'"([^"\\]*)": (\d)(?=[,}])')


def _same_layout(texts: Sequence[str | None], keys: tuple[str, ...]) -> np.ndarray | None:
    """:func:`matrix` when every text is the first one but for its one-digit answers, else
    None.

    That is the common case: one instrument's answers, every item answered on a scale of at
    most ten points, the keys in the order the survey wrote them. Each answer then sits at
    the same byte of every text, so the texts are one (n, length) array of bytes: the bytes
    between the answers must equal the first text's (the same keys in the same places), and
    the answers are read as whole columns.
    """
    n = len(texts)
    if n == 0 or None in texts:
        return None
    first = texts[0]
    fields = list(_ONE_DIGIT.finditer(first))
    if "{" + ", ".join(field.group(0) for field in fields) + "}" != first:
        return None
    width = len(first)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    if not (lengths == width).all():
        return None
    text = "".join(texts).encode()
    if len(text) != n * width:  # a character outside ASCII takes more than one byte
        return None
    buf = np.frombuffer(text, dtype=np.uint8).reshape(n, width)
    place = {field.group(1): i for i, field in enumerate(fields)}  # json.loads keeps the last
    answers = np.array([field.start(2) for field in fields], dtype=np.int64)
    differs = buf != buf[0]
    differs[:, answers] = False
    if differs.any():
        return None
    digits = buf[:, answers] - np.uint8(ord("0"))
    if not (digits < 10).all():
        return None
    x = np.full((n, len(keys)), np.nan)
    found = [(column, place[key]) for column, key in enumerate(keys) if key in place]
    if found:
        columns, at = zip(*found, strict=True)
        x[:, list(columns)] = digits[:, list(at)]
    return x


def _by_json(texts: Sequence[str | None], keys: tuple[str, ...]) -> np.ndarray:
    """:func:`matrix` through ``json.loads``, for any JSON object of numbers or nulls."""
    blank, pick = dict.fromkeys(keys, math.nan), itemgetter(*keys)
    given = json.loads("[" + ",".join(t or "{}" for t in texts) + "]")
    rows = [pick({**blank, **(g or {})}) for g in given]  # a JSON null: nothing answered
    shape = (len(rows), len(keys))
    try:
        cells = chain.from_iterable(rows) if len(keys) > 1 else rows
        return np.fromiter(cells, dtype=float, count=shape[0] * shape[1]).reshape(shape)
    except TypeError:  # a stored null: np.array reads None as NaN
        return np.array(rows, dtype=float).reshape(shape)


def _small_whole_numbers(texts: Sequence[str | None], keys: tuple[str, ...]) -> np.ndarray | None:
    """:func:`matrix` read from the bytes at once, or None if a text is not of the form
    ``{"key": 4, "key": null}`` (``json.dumps`` separators, no escapes, whole numbers of at
    most :data:`DIGITS` digits), which :func:`_by_json` reads instead.

    Every key is a pair of quotes followed by ``: `` and a value ending at ``,`` or ``}``. A
    text that is valid JSON and passes these checks holds nothing else: a string value
    would be a pair of quotes without a colon after it, and anything nested, a fraction,
    a sign, true or false fails the value's check.
    """
    n, k = len(texts), len(keys)
    text = "".join(t or "{}" for t in texts).encode()
    if b"\\" in text or text.count(b"{") != n:
        return None
    words = -(-max(len(key.encode()) for key in keys) // 8)  # 8-byte words of the longest key
    buf = np.frombuffer(text + b"\0" * max(8 * words, DIGITS + 6), dtype=np.uint8)
    quotes = np.flatnonzero(buf == QUOTE)
    if len(quotes) % 2:
        return None
    start, end = quotes[0::2] + 1, quotes[1::2]  # of each key's text, without its quotes

    # After each key: a colon, a space, 1 to DIGITS digits or null, a comma or the brace.
    # Answers are mostly one digit: read byte by byte; the others through a window.
    first = buf[end + 3] - np.int64(ord("0"))
    stop = buf[end + 4]
    number = (first >= 0) & (first < 10) & ((stop == COMMA) | (stop == CLOSE))
    number &= (buf[end + 1] == COLON) & (buf[end + 2] == SPACE)
    whole = first
    if not number.all():
        other = np.flatnonzero(~number)
        after = sliding_window_view(buf, DIGITS + 4)[end[other] + 1]
        value = after[:, 2:]
        digit = (value - np.uint8(ord("0"))) < 10
        ndigits = np.argmin(digit, axis=1)  # digits before the first other byte
        stop = value[np.arange(len(other)), ndigits]
        longer = (ndigits > 0) & (ndigits <= DIGITS) & ((stop == COMMA) | (stop == CLOSE))
        longer &= (after[:, 0] == COLON) & (after[:, 1] == SPACE)
        null = (after[:, :6] == np.frombuffer(b": null", np.uint8)).all(axis=1)
        null &= (after[:, 6] == COMMA) | (after[:, 6] == CLOSE)
        if not (longer | null).all():
            return None
        for place in range(1, DIGITS):
            more = ndigits > place
            whole[other[more]] = whole[other[more]] * 10 + (value[more, place] - ord("0"))
        number[other] = longer

    # Which column each key is: its bytes as 8-byte words, the bytes past its end zeroed,
    # looked up by the first word and then compared whole.
    table = np.zeros((k, 8 * words), dtype=np.uint8)
    for i, key in enumerate(keys):
        table[i, : len(key.encode())] = np.frombuffer(key.encode(), np.uint8)
    table = table.view(np.uint64)
    masks = (np.arange(8 * words) < np.arange(8 * words + 1)[:, None]).astype(np.uint8) * 255
    length = np.minimum(end - start, 8 * words)  # a longer key is no key of ``keys``
    found = sliding_window_view(buf, 8 * words)[start].view(np.uint64)
    found &= masks.view(np.uint64)[length]
    order = np.argsort(table[:, 0])
    at = order[np.minimum(np.searchsorted(table[order, 0], found[:, 0]), k - 1)]
    known = (table[at] == found).all(axis=1) & (end - start <= 8 * words) & number
    # Each key's response: keys before the next opening brace belong to the one before it.
    per_response = np.diff(np.searchsorted(start, np.flatnonzero(buf == OPEN)), append=len(start))
    row = np.repeat(np.arange(n), per_response)[known]
    cell = row * k + at[known]
    if len(cell) and np.bincount(cell, minlength=n * k).max() > 1:
        return None  # a key given twice: json.loads keeps the last one
    x = np.full(n * k, np.nan)
    x[cell] = whole[known]
    return x.reshape(n, k)
