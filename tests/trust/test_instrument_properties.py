"""Hostile instrument files, by property: the loader refuses with an InstrumentError that
names the file, or loads; it never fails any other way."""

from __future__ import annotations

import tomllib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trust
from surveys import instruments

SHIPPED = tomllib.loads((instruments.FOLDER / "full.toml").read_text(encoding="utf-8"))

toml_values = st.recursive(
    st.none().filter(lambda _: False)
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def paths(data, prefix=()):
    """Every (path, value) in a parsed TOML document."""
    yield prefix, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from paths(value, (*prefix, i))


SHIPPED_PATHS = [path for path, _value in paths(SHIPPED) if path]


def replaced(data, path, value):
    if not path:
        return value
    head, *rest = path
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[head] = replaced(data[head], rest, value)
    return copy


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=300))
def test_any_bytes_load_or_are_refused_naming_the_file(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("inst") / "hostile.toml"
    path.write_bytes(raw)
    try:
        trust.load_instrument(path)
    except trust.InstrumentError as error:
        assert str(path) in str(error)


@settings(max_examples=80, deadline=None)
@given(path=st.sampled_from(SHIPPED_PATHS), value=toml_values)
def test_one_changed_value_in_the_shipped_file_loads_or_names_what_is_wrong(path, value):
    data = replaced(SHIPPED, path, value)
    try:
        trust.parse_instrument(data, source="edited.toml", require_languages=("en", "zh"))
    except trust.InstrumentError as error:
        message = str(error)
        assert message.startswith("edited.toml")
        assert len(message) > len("edited.toml: ")  # says what, not only where
