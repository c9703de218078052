"""Playbooks: how to run each intervention, as bilingual TOML files (shipped and the instance's).

One file is one playbook::

    [playbook]
    key = "group_review"                 # stable identifier, used in links and the log
    name = { en = "...", zh = "..." }
    summary = { en = "...", zh = "..." } # one line for lists
    drivers = ["reliability"]            # the scales it works on (scale keys)
    recommend_for = ["reliability"]      # optional: signals that suggest it (scale keys,
                                         # or "agreement" for low within-team agreement)
    purpose = { en = "...", zh = "..." }
    why = { en = "...", zh = "..." }     # how it moves those drivers
    when = { en = "...", zh = "..." }
    when_not = { en = "...", zh = "..." }
    duration = { en = "...", zh = "..." }
    roles = { en = ["...", ...], zh = ["...", ...] }        # lists: as many entries in each
    preparation = { en = ["...", ...], zh = ["...", ...] }  # language
    steps = { en = ["...", ...], zh = ["...", ...] }
    cautions = { en = ["...", ...], zh = ["...", ...] }

Both folders are read and validated once, when the app is created, as instruments are
(:mod:`surveys.instruments`): a bad file is refused with its file and field named, logged,
and every other playbook keeps working. A file in the instance folder's ``playbooks/`` with
the key of a shipped playbook replaces it (an organisation's own wording); a new key adds a
playbook. Outside an app the shipped playbooks alone are seen.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from flask import current_app, has_app_context

FOLDER = Path(__file__).parent
INSTANCE_FOLDER = "playbooks"
LANGUAGES = ("en", "zh")
EXTENSION = "trustsurvey.playbooks"
KEY_MAX = 64  # Intervention.playbook_key
# Scales a playbook may name: the drivers and outcomes of the shipped instruments.
SCALES = (
    "familiarity",
    "similarity",
    "interaction",
    "openness",
    "reliability",
    "cognitive_trust",
    "affective_trust",
)
SIGNALS = (*SCALES, "agreement")
TEXTS = ("name", "summary", "purpose", "why", "when", "when_not", "duration")
LISTS = ("roles", "preparation", "steps", "cautions")
KEYS = ("key", "drivers", "recommend_for", *TEXTS, *LISTS)


class PlaybookError(ValueError):
    """A playbook file is malformed; ``where`` names the field, ``detail`` drops the file."""

    def __init__(self, source: str, where: str, problem: str):
        self.source, self.where, self.problem = source, where, problem
        super().__init__(f"{source}: {where}: {problem}" if where else f"{source}: {problem}")

    @property
    def detail(self) -> str:
        return f"{self.where}: {self.problem}" if self.where else self.problem


@dataclass(frozen=True)
class Playbook:
    key: str
    drivers: tuple[str, ...]
    recommend_for: tuple[str, ...]
    texts: Mapping[str, Mapping[str, str]]  # field -> language -> text
    lists: Mapping[str, Mapping[str, tuple[str, ...]]]  # field -> language -> entries
    source: str

    def text(self, field: str, lang: str) -> str:
        return self.texts[field][lang]

    def entries(self, field: str, lang: str) -> tuple[str, ...]:
        return self.lists[field][lang]


@dataclass(frozen=True)
class Refusal:
    path: Path
    detail: str

    def message(self) -> str:
        return f"{self.path}: {self.detail}"


@dataclass(frozen=True)
class Catalogue:
    """Loaded playbooks by key, and the files that were refused."""

    playbooks: Mapping[str, Playbook]
    refused: tuple[Refusal, ...] = ()

    def get(self, key: str) -> Playbook | None:
        return self.playbooks.get(key)

    def listed(self) -> list[Playbook]:
        return sorted(self.playbooks.values(), key=lambda p: p.key)

    def for_signal(self, signal: str) -> Playbook | None:
        """The playbook suggested for a signal: the last loaded file that names it.

        Instance files load after shipped ones, so an organisation's own playbook that
        names a signal takes it over.
        """
        found = None
        for playbook in self.playbooks.values():
            if signal in playbook.recommend_for:
                found = playbook
        return found


def load_playbook(path: Path) -> Playbook:
    """Read and validate one file; :class:`PlaybookError` names the file, field and problem."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise PlaybookError(source, "", f"cannot read the file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise PlaybookError(source, "", f"not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(source, "", f"not valid TOML: {exc}") from exc
    return parse_playbook(data, source=source)


def parse_playbook(data: dict, *, source: str = "<playbook>") -> Playbook:
    """Validate an already-parsed playbook; see :func:`load_playbook`."""

    def fail(where: str, problem: str):
        raise PlaybookError(source, where, problem)

    extra = [key for key in data if key != "playbook"]
    if extra:
        fail("top level", f"unknown table {extra[0]!r}; a file holds one [playbook] table")
    head = data.get("playbook")
    if not isinstance(head, dict):
        fail("[playbook]", "missing or not a table")
    for key in head:
        if key not in KEYS:
            near = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            fail(f"[playbook] {key}", f"unknown field{hint}; allowed: {', '.join(KEYS)}")
    key = head.get("key")
    if not isinstance(key, str) or not key or not key.replace("_", "").replace("-", "").isalnum():
        fail("key", "missing, or not made of letters, digits, - and _")
    if len(key) > KEY_MAX:
        fail("key", f"{len(key)} characters long; at most {KEY_MAX} fit")
    drivers = _names(head, "drivers", SCALES, fail, required=True)
    recommend_for = _names(head, "recommend_for", SIGNALS, fail, required=False)
    texts = {}
    for name in TEXTS:
        value = head.get(name)
        if not isinstance(value, dict):
            fail(name, 'missing (a table such as { en = "...", zh = "..." })')
        texts[name] = MappingProxyType({lang: _text(value, lang, name, fail) for lang in LANGUAGES})
    lists = {}
    for name in LISTS:
        value = head.get(name)
        if not isinstance(value, dict):
            fail(name, 'missing (a table such as { en = ["..."], zh = ["..."] })')
        lists[name] = MappingProxyType({lang: _list(value, lang, name, fail) for lang in LANGUAGES})
        sizes = {lang: len(entries) for lang, entries in lists[name].items()}
        if len(set(sizes.values())) > 1:
            fail(name, f"en has {sizes['en']} entries and zh {sizes['zh']}; give each the same")
    return Playbook(
        key, drivers, recommend_for, MappingProxyType(texts), MappingProxyType(lists), source
    )


def _names(head, field, allowed, fail, required) -> tuple[str, ...]:
    value = head.get(field, None if required else [])
    if not isinstance(value, list) or (required and not value):
        fail(field, "must be a list of scale keys" + (", at least one" if required else ""))
    for name in value:
        if name not in allowed:
            fail(field, f"{name!r} is not one of {', '.join(allowed)}")
    return tuple(value)


def _text(value: dict, lang: str, field: str, fail) -> str:
    unknown = [key for key in value if key not in LANGUAGES]
    if unknown:
        fail(field, f"unknown language {unknown[0]!r} (use {', '.join(LANGUAGES)})")
    text = value.get(lang)
    if not isinstance(text, str) or not text.strip():
        fail(field, f"the {lang} text is missing or empty")
    return text.strip()


def _list(value: dict, lang: str, field: str, fail) -> tuple[str, ...]:
    unknown = [key for key in value if key not in LANGUAGES]
    if unknown:
        fail(field, f"unknown language {unknown[0]!r} (use {', '.join(LANGUAGES)})")
    entries = value.get(lang)
    if not isinstance(entries, list) or not entries:
        fail(field, f"the {lang} list is missing or empty")
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, str) or not entry.strip():
            fail(field, f"{lang} entry {i} is empty or not text")
    return tuple(entry.strip() for entry in entries)


def load(folders: Iterable[Path]) -> Catalogue:
    """Every ``*.toml`` of the folders in order; a later file of the same key replaces it.

    Within one folder a second file of a key is refused: which one would win would depend
    on file names alone.
    """
    found: dict[str, Playbook] = {}
    refused: list[Refusal] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        seen: dict[str, Path] = {}
        for path in sorted(folder.glob("*.toml")):
            try:
                playbook = load_playbook(path)
            except PlaybookError as error:
                refused.append(Refusal(path, error.detail))
                continue
            if playbook.key in seen:
                refused.append(
                    Refusal(
                        path, f"key: {playbook.key!r} is already defined in {seen[playbook.key]}"
                    )
                )
                continue
            seen[playbook.key] = path
            found.pop(playbook.key, None)  # re-insert, so that load order stays file order
            found[playbook.key] = playbook
    return Catalogue(MappingProxyType(found), tuple(refused))


def folders(app) -> tuple[Path, Path]:
    return FOLDER, Path(app.instance_path) / INSTANCE_FOLDER


def init_app(app) -> None:
    catalogue = load(folders(app))
    for refusal in catalogue.refused:
        app.logger.error("Playbook file refused: %s", refusal.message())
    app.extensions[EXTENSION] = catalogue


@cache
def _shipped_catalogue() -> Catalogue:
    return load([FOLDER])


def current() -> Catalogue:
    if has_app_context():
        return current_app.extensions[EXTENSION]
    return _shipped_catalogue()


def get(key: str) -> Playbook | None:
    return current().get(key)


def listed() -> list[Playbook]:
    return current().listed()


def refused() -> tuple[Refusal, ...]:
    return current().refused
