"""Build the zh-Hans message catalog from its parts, and find strings that lack a translation.

Translations are kept in ``translations/zh_Hans/parts/*.po`` (one file per area, so that
work on different areas never edits the same file); ``python -m surveys.i18n_catalog``
merges them into ``messages.po`` and compiles ``messages.mo``, which Flask-Babel reads.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(__file__).parent
LOCALE_DIR = PACKAGE / "translations" / "zh_Hans"
PARTS = LOCALE_DIR / "parts"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
# A fixed header date keeps the compiled catalog identical when the parts are.
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def extracted() -> dict[str, list[str]]:
    """Every translatable message in the package, with the places it occurs."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE, METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def merged() -> Catalog:
    """All parts in one catalog; a msgid translated twice keeps the first part's text."""
    catalog = Catalog(
        locale="zh_Hans", project="trustsurvey", creation_date=EPOCH, revision_date=EPOCH
    )
    for part in sorted(PARTS.glob("*.po")):
        with part.open("rb") as f:
            for message in read_po(f, locale="zh_Hans"):
                if message.id and message.id not in catalog:
                    catalog.add(message.id, message.string, locations=message.locations)
    return catalog


def compiled_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def missing(catalog: Catalog | None = None) -> dict[str, list[str]]:
    """Extracted messages with no zh-Hans translation, with where they occur."""
    catalog = catalog or merged()
    return {
        msgid: places
        for msgid, places in extracted().items()
        if msgid not in catalog or not catalog[msgid].string
    }


def build() -> int:
    catalog = merged()
    out = LOCALE_DIR / "LC_MESSAGES"
    out.mkdir(parents=True, exist_ok=True)
    with (out / "messages.po").open("wb") as f:
        write_po(f, catalog, omit_header=False, sort_output=True)
    (out / "messages.mo").write_bytes(compiled_bytes(catalog))
    gaps = missing(catalog)
    for msgid, places in sorted(gaps.items()):
        print(f"untranslated: {msgid!r} at {', '.join(places)}", file=sys.stderr)
    print(f"{len(catalog)} messages compiled, {len(gaps)} untranslated")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(build())
