"""Instruments: versioned TOML files that describe scales, items and response scales.

One file is one instrument version. The same format describes the product's own
instruments and any external questionnaire given to ``trustsurvey analyze``::

    [instrument]
    key = "full"                        # stable identifier
    version = "1.0.0"
    name = { en = "...", zh = "..." }   # text tables: en and/or zh

    [response_scales.agree]
    min = 1                             # any integer range; 0-based is fine
    max = 5
    labels = { en = ["...", ...], zh = ["...", ...] }   # optional, max - min + 1 each

    [response_scales.hours]             # a continuous scale: any number in min..max
    continuous = true                   # (scores made elsewhere, hours, percentages)
    min = 0
    max = 24

    [[scales]]
    key = "familiarity"
    role = "driver"                     # driver | outcome | control
    response_scale = "agree"
    name = { en = "Familiarity", zh = "了解度" }

    [[scales.items]]
    key = "fam1"                        # also the CSV column name
    text = { en = "...", zh = "..." }
    reverse = false                     # optional, default false

:func:`load_instrument` validates everything and raises :class:`InstrumentError`
naming the file, the item (or section) and the problem. A key that the format does not
know (``rol`` for ``role``, ``revers`` for ``reverse``) is refused rather than ignored, so
that a typo cannot silently turn a reverse-keyed item into a plain one.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = [
    "LANGUAGES",
    "ROLES",
    "Instrument",
    "InstrumentError",
    "Item",
    "ResponseScale",
    "Scale",
    "load_instrument",
    "parse_instrument",
]

LANGUAGES = ("en", "zh")
ROLES = ("driver", "outcome", "control")
# The keys each kind of table may hold; anything else is refused as a likely typo.
TOP_KEYS = ("instrument", "response_scales", "scales")
INSTRUMENT_KEYS = ("key", "version", "name", "description")
RESPONSE_SCALE_KEYS = ("min", "max", "labels", "continuous")
SCALE_KEYS = ("key", "role", "response_scale", "name", "items")
ITEM_KEYS = ("key", "text", "reverse")


class InstrumentError(ValueError):
    """An instrument file is malformed; the message names the file, the place and the problem.

    The parts are kept as attributes too: ``source`` (the file), ``where`` (the item or
    section, empty when the whole file is at fault) and ``problem``, so that a caller can
    show them without the full path.
    """

    def __init__(self, source: str, where: str, problem: str):
        self.source, self.where, self.problem = source, where, problem
        super().__init__(f"{source}: {where}: {problem}" if where else f"{source}: {problem}")

    @property
    def detail(self) -> str:
        """The message without the file: ``where: problem``."""
        return f"{self.where}: {self.problem}" if self.where else self.problem


@dataclass(frozen=True)
class ResponseScale:
    key: str
    min: int | float
    max: int | float
    labels: MappingProxyType  # language -> tuple of labels, one per option
    continuous: bool = False  # any number in min..max, not only whole numbers

    @property
    def n_options(self) -> int:
        """Number of response options A (used by the rwg null distribution)."""
        if self.continuous:
            raise ValueError(f"response scale {self.key!r} is continuous: it has no options")
        return self.max - self.min + 1

    @property
    def null_variance(self) -> float:
        """Variance of the uniform ("no agreement") answer that rwg compares against.

        (A**2 - 1) / 12 for A options (James, Demaree & Wolf 1984,
        https://doi.org/10.1037/0021-9010.69.1.85); for a continuous scale the
        variance of the continuous uniform distribution on min..max,
        (max - min)**2 / 12, the limit of the discrete one as the options get finer.
        """
        if self.continuous:
            return (self.max - self.min) ** 2 / 12
        return (self.n_options**2 - 1) / 12


@dataclass(frozen=True)
class Item:
    key: str
    scale: str
    text: MappingProxyType  # language -> text
    reverse: bool


@dataclass(frozen=True)
class Scale:
    key: str
    role: str
    name: MappingProxyType
    response_scale: ResponseScale
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Instrument:
    key: str
    version: str
    name: MappingProxyType
    description: MappingProxyType
    response_scales: MappingProxyType  # key -> ResponseScale
    scales: tuple[Scale, ...]
    source: str

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item in file order."""
        return tuple(item for scale in self.scales for item in scale.items)

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    def scale(self, key: str) -> Scale:
        for scale in self.scales:
            if scale.key == key:
                return scale
        raise KeyError(key)

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def item_scale_index(self) -> np.ndarray:
        """Scale index (into ``scales``) of every item, in ``items`` order."""
        return np.repeat(np.arange(len(self.scales)), [len(s.items) for s in self.scales])

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lowest and highest allowed answer of every item, in ``items`` order."""
        lo = [s.response_scale.min for s in self.scales for _ in s.items]
        hi = [s.response_scale.max for s in self.scales for _ in s.items]
        return np.array(lo, dtype=float), np.array(hi, dtype=float)

    def continuous_mask(self) -> np.ndarray:
        """True for the items whose response scale is continuous, in ``items`` order."""
        return np.array([s.response_scale.continuous for s in self.scales for _ in s.items])

    def reverse_mask(self) -> np.ndarray:
        return np.array([item.reverse for item in self.items], dtype=bool)


def load_instrument(path: str | Path, *, require_languages: tuple[str, ...] = ()) -> Instrument:
    """Read and validate an instrument file.

    Parameters
    ----------
    path : str or Path
        The TOML file.
    require_languages : tuple of str
        Languages every text must exist in (the product's own instruments need
        ``("en", "zh")``; an external questionnaire may have no texts at all).

    Raises
    ------
    InstrumentError
        The file cannot be read, is not TOML, or breaks a rule; the message names
        the file, the item or section, and the problem.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "climate.toml"
    >>> _ = path.write_text('''
    ... [instrument]
    ... key = "climate"
    ... version = "1.0"
    ... name = "Team climate"
    ... [response_scales.zero4]
    ... min = 0
    ... max = 4
    ... [[scales]]
    ... key = "cohesion"
    ... response_scale = "zero4"
    ... [[scales.items]]
    ... key = "Q1"
    ... [[scales.items]]
    ... key = "Q2"
    ... reverse = true
    ... ''', encoding="utf-8")
    >>> instrument = load_instrument(path)
    >>> instrument.item_keys, instrument.reverse_mask().tolist()
    (('Q1', 'Q2'), [False, True])
    >>> load_instrument(path, require_languages=("en", "zh"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    trust.instrument.InstrumentError: .../climate.toml: [instrument] name: ...
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InstrumentError(
            str(path), "", f"cannot read the instrument file ({exc.strerror})"
        ) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InstrumentError(str(path), "", f"not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentError(str(path), "", f"not valid TOML: {exc}") from exc
    return parse_instrument(data, source=str(path), require_languages=require_languages)


def parse_instrument(
    data: dict[str, Any], *, source: str = "<instrument>", require_languages: tuple[str, ...] = ()
) -> Instrument:
    """Validate an already-parsed instrument table; see :func:`load_instrument`.

    Examples
    --------
    >>> table = {
    ...     "instrument": {"key": "climate", "version": "1.0", "name": "Team climate"},
    ...     "response_scales": {"agree": {"min": 1, "max": 5}},
    ...     "scales": [{"key": "cohesion", "response_scale": "agree", "items": [{"key": "Q1"}]}],
    ... }
    >>> parse_instrument(table).scale("cohesion").role
    'driver'
    >>> table["scales"][0]["items"].append({"key": "Q2", "revers": True})
    >>> parse_instrument(table, source="climate.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    trust.instrument.InstrumentError: climate.toml: item 'Q2': unknown key 'revers' (did you ...
    """
    v = _Validator(source, require_languages)
    v.known_keys(data, TOP_KEYS, "top level")
    head = v.table(data.get("instrument"), "[instrument]")
    v.known_keys(head, INSTRUMENT_KEYS, "[instrument]")
    key = v.identifier(head.get("key"), "[instrument] key")
    version = v.string(head.get("version"), "[instrument] version")
    name = v.texts(head.get("name"), "[instrument] name", required=True)
    description = v.texts(head.get("description"), "[instrument] description", required=False)

    scales_raw = data.get("response_scales")
    rs_table = v.table(scales_raw, "[response_scales]")
    if not rs_table:
        v.fail("[response_scales]", "at least one response scale is needed")
    response_scales = {k: v.response_scale(k, rs) for k, rs in rs_table.items()}

    scale_list = data.get("scales")
    if not isinstance(scale_list, list) or not scale_list:
        v.fail("[[scales]]", "at least one scale is needed")
    scales: list[Scale] = []
    seen_items: set[str] = set()
    seen_scales: set[str] = set()
    for i, sc in enumerate(scale_list, start=1):
        where = f"scale #{i}"
        sc = v.table(sc, where)
        # Typos are reported first, so a mistyped key is named as such, not as a missing one.
        v.known_keys(sc, SCALE_KEYS, _place("scale", sc, where))
        skey = v.identifier(sc.get("key"), f"{where} key")
        where = f"scale {skey!r}"
        if skey in seen_scales:
            v.fail(where, "duplicate scale key")
        seen_scales.add(skey)
        role = sc.get("role", "driver")
        if role not in ROLES:
            v.fail(where, f"role must be one of {', '.join(ROLES)}, not {role!r}")
        rs_key = sc.get("response_scale")
        if rs_key not in response_scales:
            v.fail(where, f"response_scale {rs_key!r} is not defined in [response_scales]")
        items_raw = sc.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            v.fail(where, "needs at least one [[scales.items]] entry")
        items = []
        for j, it in enumerate(items_raw, start=1):
            iwhere = f"{where} item #{j}"
            it = v.table(it, iwhere)
            v.known_keys(it, ITEM_KEYS, _place("item", it, iwhere))
            ikey = v.identifier(it.get("key"), f"{iwhere} key", allow_any=True)
            iwhere = f"item {ikey!r}"
            if ikey in seen_items:
                v.fail(iwhere, "duplicate item key")
            seen_items.add(ikey)
            reverse = it.get("reverse", False)
            if not isinstance(reverse, bool):
                v.fail(iwhere, f"reverse must be true or false, not {reverse!r}")
            text = v.texts(it.get("text"), f"{iwhere} text", required=False)
            items.append(Item(ikey, skey, text, reverse))
        scale_name = v.texts(sc.get("name"), f"{where} name", required=False)
        scales.append(Scale(skey, role, scale_name, response_scales[rs_key], tuple(items)))

    return Instrument(
        key=key,
        version=version,
        name=name,
        description=description,
        response_scales=MappingProxyType(response_scales),
        scales=tuple(scales),
        source=source,
    )


def _place(kind: str, table: dict, fallback: str) -> str:
    """``scale 'key'`` when the table has a usable key, else ``fallback`` (``scale #2``)."""
    key = table.get("key")
    return f"{kind} {key!r}" if isinstance(key, str) and key.strip() else fallback


class _Validator:
    """Small checks that all fail with one message format: ``source: where: problem``."""

    def __init__(self, source: str, require_languages: tuple[str, ...]):
        self.source = source
        self.require_languages = require_languages

    def fail(self, where: str, problem: str):
        raise InstrumentError(self.source, where, problem)

    def known_keys(self, value, known: tuple[str, ...], where: str) -> None:
        """Refuse keys the format does not have, suggesting the nearest known one."""
        if not isinstance(value, dict):
            return  # the caller's own check names what is wrong with a non-table
        unknown = [key for key in value if key not in known]
        if not unknown:
            return
        named = []
        for key in unknown:
            near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            named.append(f"{key!r} (did you mean {near[0]!r}?)" if near else repr(key))
        allowed = ", ".join(known)
        self.fail(
            where,
            f"unknown key{'s' if len(named) > 1 else ''} {', '.join(named)}; allowed: {allowed}",
        )

    def table(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(where, "missing or not a table")
        return value

    def string(self, value, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, "missing or empty")
        return value

    def identifier(self, value, where: str, allow_any: bool = False) -> str:
        value = self.string(value, where)
        if not allow_any and not value.replace("_", "").replace("-", "").isalnum():
            self.fail(where, f"{value!r} may hold only letters, digits, - and _")
        if value != value.strip():
            self.fail(where, f"{value!r} has leading or trailing spaces")
        return value

    def texts(self, value, where: str, required: bool) -> MappingProxyType:
        if value is None:
            if self.require_languages or required:
                self.fail(where, 'missing (a table such as { en = "...", zh = "..." })')
            return MappingProxyType({})
        if isinstance(value, str):
            value = {"en": value}
        if not isinstance(value, dict):
            self.fail(where, "must be a table of language = text")
        for lang, text in value.items():
            if lang not in LANGUAGES:
                self.fail(where, f"unknown language {lang!r} (use {', '.join(LANGUAGES)})")
            if not isinstance(text, str) or not text.strip():
                self.fail(where, f"the {lang} text is empty")
        for lang in self.require_languages:
            if lang not in value:
                self.fail(where, f"the {lang} text is missing")
        return MappingProxyType(dict(value))

    def response_scale(self, key: str, value) -> ResponseScale:
        where = f"response scale {key!r}"
        value = self.table(value, where)
        self.known_keys(value, RESPONSE_SCALE_KEYS, where)
        lo, hi = value.get("min"), value.get("max")
        continuous = value.get("continuous", False)
        if not isinstance(continuous, bool):
            self.fail(where, f"continuous must be true or false, not {continuous!r}")
        for bound, name in ((lo, "min"), (hi, "max")):
            if continuous:
                if not isinstance(bound, (int, float)) or isinstance(bound, bool):
                    self.fail(where, f"{name} must be a number, not {bound!r}")
                if bound != bound or bound in (float("inf"), float("-inf")):
                    self.fail(where, f"{name} must be a finite number, not {bound!r}")
            elif not isinstance(bound, int) or isinstance(bound, bool):
                self.fail(
                    where,
                    f"{name} must be an integer, not {bound!r} "
                    "(set continuous = true for a scale of any numbers)",
                )
        if hi <= lo:
            self.fail(where, f"max ({hi}) must be greater than min ({lo})")
        if continuous and "labels" in value:
            self.fail(where, "a continuous scale has no options to label")
        labels_raw = value.get("labels", {})
        if not isinstance(labels_raw, dict):
            self.fail(where, "labels must be a table of language = [labels]")
        labels = {}
        for lang, lab in labels_raw.items():
            if lang not in LANGUAGES:
                self.fail(where, f"unknown language {lang!r} in labels")
            if not isinstance(lab, list) or not all(isinstance(s, str) and s for s in lab):
                self.fail(where, f"{lang} labels must be a list of non-empty strings")
            if len(lab) != hi - lo + 1:
                self.fail(
                    where,
                    f"{lang} labels has {len(lab)} entries; {hi - lo + 1} needed for {lo}..{hi}",
                )
            labels[lang] = tuple(lab)
        for lang in self.require_languages:
            if lang not in labels and not continuous:
                self.fail(where, f"the {lang} labels are missing")
        return ResponseScale(key, lo, hi, MappingProxyType(labels), continuous)
