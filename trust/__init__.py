"""trust: the psychometric engine of the team-trust survey (NumPy and SciPy only).

Pure functions over arrays; nothing here knows about Flask or SQL.
"""

from trust.instrument import (
    Instrument,
    InstrumentError,
    Item,
    ResponseScale,
    Scale,
    load_instrument,
    parse_instrument,
)

__all__ = [
    "Instrument",
    "InstrumentError",
    "Item",
    "ResponseScale",
    "Scale",
    "load_instrument",
    "parse_instrument",
]
