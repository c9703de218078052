"""The instruments offered for waves: the shipped files and the instance folder's own.

Both folders are read and validated once, when the app is created (:func:`init_app`), never
while a request waits: a file that fails validation is refused and logged, and every other
instrument keeps working. Shipped files are read first and a repeated key and version is
refused, so a copy can never replace a version that waves have pinned. Outside an app
(scripts, tests) the lookups see the shipped instruments alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from flask import current_app, has_app_context

from trust.instrument import Instrument, InstrumentError, load_instrument

FOLDER = Path(__file__).parent
INSTANCE_FOLDER = "instruments"  # inside the app's instance folder
REQUIRED_LANGUAGES = ("en", "zh")
EXTENSION = "trustsurvey.instruments"


class InstrumentUnavailableError(KeyError):
    """No loaded instrument has this key and version (its file is gone or was refused)."""

    def __init__(self, key: str, version: str):
        super().__init__(key, version)
        self.key, self.version = key, version

    def __str__(self) -> str:
        # KeyError would show the bare tuple; close-due-waves prints this to the operator.
        return f"instrument {self.key!r} version {self.version!r} is not loaded"


@dataclass(frozen=True)
class Refusal:
    """A file that was not loaded, and why.

    ``detail`` is the problem without the file (``item 'rel3': reverse must be ...``); for a
    key and version that an earlier file already has, ``duplicate_of`` is that file.
    """

    path: Path
    detail: str
    key: str = ""
    version: str = ""
    duplicate_of: Path | None = None

    @property
    def duplicates_shipped(self) -> bool:
        return self.duplicate_of is not None and self.duplicate_of.parent == FOLDER

    def message(self) -> str:
        """One line for the log and the command line, naming every file involved."""
        return f"{self.path}: {self.detail}"


@dataclass(frozen=True)
class Catalogue:
    """Loaded instruments by (key, version), and the files that were refused."""

    instruments: Mapping[tuple[str, str], Instrument]
    refused: tuple[Refusal, ...] = ()

    def get(self, key: str, version: str) -> Instrument:
        try:
            return self.instruments[(key, version)]
        except KeyError:
            raise InstrumentUnavailableError(key, version) from None

    def latest(self) -> list[Instrument]:
        """The newest version of each instrument key."""
        newest: dict[str, Instrument] = {}
        for (key, version), inst in self.instruments.items():
            if key not in newest or _version(version) > _version(newest[key].version):
                newest[key] = inst
        return sorted(newest.values(), key=lambda i: i.key)


def load(folders: Iterable[Path]) -> Catalogue:
    """Every ``*.toml`` file of the folders, in order (files by name); a missing folder is empty.

    A file that fails validation, or whose key and version an earlier file already has, is
    refused; the first file of a key and version wins.
    """
    paths = [
        path for folder in folders if folder.is_dir() for path in sorted(folder.glob("*.toml"))
    ]
    results = check_files(paths, Catalogue(MappingProxyType({})))
    found = {(inst.key, inst.version): inst for _path, inst, refusal in results if refusal is None}
    refused = tuple(refusal for _path, _inst, refusal in results if refusal is not None)
    return Catalogue(MappingProxyType(found), refused)


def check(
    path: Path, loaded: Mapping[tuple[str, str], Instrument]
) -> tuple[Instrument | None, Refusal | None]:
    """Validate one file as the app does, against the instruments already ``loaded``.

    Returns the instrument and ``None``, or what was read (``None`` if nothing could be) and
    the refusal. A file is not its own duplicate: checking a file the app loaded passes.
    """
    try:
        inst = load_instrument(path, require_languages=REQUIRED_LANGUAGES)
    except InstrumentError as error:
        return None, Refusal(path, error.detail)
    too_long = _too_long_for_the_database(inst)
    if too_long:
        return None, Refusal(path, too_long)
    earlier = loaded.get((inst.key, inst.version))
    if earlier is None or Path(earlier.source).resolve() == path.resolve():
        return inst, None
    return inst, Refusal(
        path,
        f"instrument {inst.key!r} version {inst.version!r} is already defined in "
        f"{earlier.source}, so this file is not used; give it a new key or version",
        inst.key,
        inst.version,
        Path(earlier.source),
    )


# Column sizes of Wave.instrument_key, Wave.instrument_version and the results' scale.
KEY_MAX, VERSION_MAX, SCALE_KEY_MAX = 64, 32, 64


def _too_long_for_the_database(inst: Instrument) -> str | None:
    """Why the instrument's key, version or a scale key would not fit its column, or None.

    SQLite would store a longer value, PostgreSQL refuses it when a wave is created or
    closed: refused here, the file fails on every database alike and before any wave.
    """
    names = [("instrument key", inst.key, KEY_MAX), ("version", inst.version, VERSION_MAX)]
    names += [(f"scale {scale.key!r}: key", scale.key, SCALE_KEY_MAX) for scale in inst.scales]
    for what, value, limit in names:
        if len(value) > limit:
            return f"{what} is {len(value)} characters long; at most {limit} fit"
    return None


def check_files(
    paths: Iterable[Path], catalogue: Catalogue
) -> list[tuple[Path, Instrument | None, Refusal | None]]:
    """:func:`check` each file against the catalogue and the good files before it."""
    loaded = dict(catalogue.instruments)
    results = []
    for path in paths:
        inst, refusal = check(path, loaded)
        if refusal is None:
            loaded[(inst.key, inst.version)] = inst
        results.append((path, inst, refusal))
    return results


def folders(app) -> tuple[Path, Path]:
    """Where an app's instruments come from: the shipped folder, then the instance folder's."""
    return FOLDER, Path(app.instance_path) / INSTANCE_FOLDER


def init_app(app) -> None:
    catalogue = load(folders(app))
    for refusal in catalogue.refused:
        app.logger.error("Instrument file refused: %s", refusal.message())
    app.extensions[EXTENSION] = catalogue


@cache
def _shipped_catalogue() -> Catalogue:
    return load([FOLDER])


def current() -> Catalogue:
    """The current app's instruments; the shipped ones outside an app."""
    if has_app_context():
        return current_app.extensions[EXTENSION]
    return _shipped_catalogue()


def shipped() -> Mapping[tuple[str, str], Instrument]:
    """The instruments shipped with the product, by (key, version)."""
    return _shipped_catalogue().instruments


def get(key: str, version: str) -> Instrument:
    """The instrument a wave pinned; :class:`InstrumentUnavailableError` if none is loaded."""
    return current().get(key, version)


def latest() -> list[Instrument]:
    """The newest version of each instrument key."""
    return current().latest()


def has_continuous_scale(inst: Instrument) -> bool:
    """Whether a scale of ``inst`` takes any number in its range (``continuous = true``):
    such an instrument cannot be asked in the survey, which shows answer options; it is
    for imports."""
    return any(scale.response_scale.continuous for scale in inst.scales)


def refused() -> tuple[Refusal, ...]:
    """Files the current app did not load, to tell admins and facilitators why."""
    return current().refused


def _version(text: str) -> tuple:
    """A sort key: numeric parts as numbers; any other part (``0b1``) sorts before them.

    Every part is an (int, str) pair, so "1.0.0" and "1.0.0b1" compare instead of raising.
    """
    # isdigit() alone admits "²", which int() refuses.
    return tuple((int(p), "") if p.isascii() and p.isdigit() else (-1, p) for p in text.split("."))
