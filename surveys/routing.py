"""URL converters of the app."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# The largest id an integer column holds on every supported database (PostgreSQL's integer).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in URLs: a number too large for any row id is not found (404), not a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
