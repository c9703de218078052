"""The instruments shipped with the product, validated on load and looked up by key and version."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from trust.instrument import Instrument, load_instrument

FOLDER = Path(__file__).parent
REQUIRED_LANGUAGES = ("en", "zh")


@cache
def shipped() -> dict[tuple[str, str], Instrument]:
    """Every instrument file in this folder, by (key, version)."""
    found = {}
    for path in sorted(FOLDER.glob("*.toml")):
        inst = load_instrument(path, require_languages=REQUIRED_LANGUAGES)
        found[(inst.key, inst.version)] = inst
    return found


def get(key: str, version: str) -> Instrument:
    return shipped()[(key, version)]


def latest() -> list[Instrument]:
    """The newest version of each instrument key."""
    newest: dict[str, Instrument] = {}
    for (key, version), inst in shipped().items():
        if key not in newest or _version(version) > _version(newest[key].version):
            newest[key] = inst
    return sorted(newest.values(), key=lambda i: i.key)


def _version(text: str) -> tuple:
    """A sort key: numeric parts as numbers; any other part (``0b1``) sorts before them.

    Every part is an (int, str) pair, so "1.0.0" and "1.0.0b1" compare instead of raising.
    """
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in text.split("."))
