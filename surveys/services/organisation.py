"""Organisation settings: the time zone of every date shown and entered, and whether
respondents see their team's results.

Times are stored in UTC (naive datetimes, as :func:`surveys.models.utcnow` makes them);
pages show them, and forms take them, in the organisation's zone, named beside them.

A request reads the settings once (:func:`settings`). The survey page reads them in the
same query as the invitation (:func:`first_organisation`, :func:`remember`): once that
query has answered, the page needs the database no more, so a connection lost afterwards
cannot fail it, and a submission makes one round trip fewer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import re
import zoneinfo
from pathlib import Path

import sqlalchemy as sa
from flask import g

from surveys.db import db
from surveys.models import Organisation

CHINA = "Asia/Shanghai"
HAN = re.compile(r"[\u3400-\u9fff]")


class TimeZoneError(ValueError):
    """A time zone name that the zone database does not know."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """The organisation's settings as pages use them (defaults filled in)."""

    time_zone: str  # an IANA zone name the zone database knows
    share_results_with_respondents: bool


def first_organisation() -> sa.ColumnElement[bool]:
    """The join condition that picks the organisation row (there is one; the first if more),
    for a query that reads it beside something else: ``outerjoin(Organisation, ...)``."""
    return Organisation.id == sa.select(sa.func.min(Organisation.id)).scalar_subquery()


def organisation() -> Organisation | None:
    return db.session.scalar(db.select(Organisation).where(first_organisation()))


def remember(org: Organisation | None) -> Settings:
    """Keep ``org``'s settings (None: no organisation row yet) for the rest of the request."""
    chosen = org.time_zone if org is not None else None
    g.organisation_settings = Settings(
        time_zone=chosen if chosen and is_time_zone(chosen) else default_time_zone(org),
        # On unless an admin turned it off.
        share_results_with_respondents=org is None or org.share_results_with_respondents,
    )
    return g.organisation_settings


def settings() -> Settings:
    """The organisation's settings, read from the database once per request."""
    if "organisation_settings" not in g:
        return remember(organisation())
    return g.organisation_settings


def server_time_zone() -> str:
    """The server's IANA zone: $TZ, /etc/timezone or the /etc/localtime link; else UTC.

    Python's own local zone has no IANA name (only an offset), which a setting needs.
    """
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    with contextlib.suppress(OSError):
        candidates.append(os.readlink("/etc/localtime").partition("zoneinfo/")[2])
    for name in candidates:
        if name and is_time_zone(name):
            return name
    return "UTC"


def default_time_zone(org: Organisation | None) -> str:
    """China's zone for an organisation with a Chinese name, the server's zone otherwise."""
    if org is not None and HAN.search(org.name or ""):
        return CHINA
    return server_time_zone()


# Debian's zone folder holds "localtime", a link to the server's own zone: a setting of that
# name would follow whatever machine the app runs on. "Factory" is a placeholder zone.
NOT_ZONES = frozenset({"localtime", "Factory"})


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


def is_time_zone(name: str) -> bool:
    """A zone the zone database knows by that exact name ('localtime' or a path is not)."""
    return name in _known_zones()


def forget() -> None:
    """Read the settings again at their next use in this request (after a change)."""
    g.pop("organisation_settings", None)


def time_zone_name() -> str:
    """The organisation's zone name."""
    return settings().time_zone


def time_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(time_zone_name())


def to_local(value: dt.datetime) -> dt.datetime:
    """A stored UTC time as a naive time in the organisation's zone."""
    return value.replace(tzinfo=dt.UTC).astimezone(time_zone()).replace(tzinfo=None)


def to_utc(value: dt.datetime) -> dt.datetime:
    """A naive time entered in the organisation's zone as a naive UTC time for storage.

    A time that a daylight-saving change skips or repeats takes the offset before the
    change (zoneinfo's fold=0).
    """
    return value.replace(tzinfo=time_zone()).astimezone(dt.UTC).replace(tzinfo=None)


def set_time_zone(name: str) -> None:
    """Store the organisation's zone and commit; :class:`TimeZoneError` for an unknown name."""
    name = name.strip()
    if not is_time_zone(name):
        raise TimeZoneError(name)
    org = organisation()
    if org is None:
        org = Organisation(name="")
        db.session.add(org)
    org.time_zone = name
    db.session.commit()
    forget()


def time_zone_choices() -> list[str]:
    """Every zone the zone database knows, sorted, for the settings form."""
    return sorted(_known_zones())


def local_time_text(value: dt.datetime | None) -> str:
    """A stored UTC time as "YYYY-MM-DD HH:MM" in the organisation's zone (tables, forms)."""
    return "" if value is None else to_local(value).strftime("%Y-%m-%d %H:%M")


def local_date_text(value: dt.datetime | None) -> str:
    """A stored UTC time as "YYYY-MM-DD", the date in the organisation's zone."""
    return "" if value is None else to_local(value).date().isoformat()
