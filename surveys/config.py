"""Configuration from environment variables, with safe defaults for a single-machine install."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from argon2.profiles import RFC_9106_LOW_MEMORY

UI_LANGUAGES = {"en": "English", "zh_Hans": "简体中文"}
MIN_K = 3
DEFAULT_K = 5
# A group minimum above any team's size would hide everything; this also keeps k in range
# of every database's integer column.
MAX_K = 1000


def database_url(instance_path: str) -> str:
    """DATABASE_URL if set (postgres:// and postgresql:// use psycopg 3), else SQLite.

    The SQLite file lives in the instance folder.
    """
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "trustsurvey.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(instance_path: str) -> str:
    """TRUSTSURVEY_SECRET_KEY if set, else a random key kept in the instance folder.

    The key must outlive restarts: invitation links are derived from it.
    """
    key = os.environ.get("TRUSTSURVEY_SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def base_url() -> str | None:
    """TRUSTSURVEY_BASE_URL without its trailing slash, or None when unset.

    The public address of the application's root (scheme, host and any path prefix), used
    for invitation links instead of whatever host the facilitator happened to use. A value
    that is not an http(s) address with a host stops the app from starting: every link
    printed from it would be broken.
    """
    value = os.environ.get("TRUSTSURVEY_BASE_URL", "").strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            "TRUSTSURVEY_BASE_URL must be an address such as "
            f"https://trust.example.com, not {value!r}"
        )
    return value


SMTP_SECURITY = ("starttls", "ssl", "none")


def smtp_settings() -> dict:
    """The mail server that sends invitation links, from TRUSTSURVEY_SMTP_* and _MAIL_FROM.

    Unset host: no email (the pages say so). The connection is encrypted unless
    TRUSTSURVEY_SMTP_SECURITY=none says otherwise (a relay on the same machine), since every
    message carries a one-time link. A security mode it does not know stops the app.
    """
    env = os.environ.get
    security = env("TRUSTSURVEY_SMTP_SECURITY", "starttls").strip().lower()
    if security not in SMTP_SECURITY:
        raise ValueError(
            f"TRUSTSURVEY_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, not {security!r}"
        )
    port = env("TRUSTSURVEY_SMTP_PORT", "").strip()
    return {
        "SMTP_HOST": env("TRUSTSURVEY_SMTP_HOST", "").strip() or None,
        "SMTP_PORT": int(port) if port else {"ssl": 465, "starttls": 587, "none": 25}[security],
        "SMTP_SECURITY": security,
        "SMTP_USERNAME": env("TRUSTSURVEY_SMTP_USERNAME") or None,
        "SMTP_PASSWORD": env("TRUSTSURVEY_SMTP_PASSWORD") or None,
        "SMTP_TIMEOUT": float(env("TRUSTSURVEY_SMTP_TIMEOUT", 30)),
        "MAIL_FROM": env("TRUSTSURVEY_MAIL_FROM", "").strip() or None,
        # Where bounces go (the envelope sender), and whether each message's own tag is
        # added to it (VERP), so that a bounce names its message even without its headers.
        "MAIL_RETURN_PATH": env("TRUSTSURVEY_MAIL_RETURN_PATH", "").strip() or None,
        "MAIL_VERP": env("TRUSTSURVEY_MAIL_VERP", "").strip() == "1",
        # The Maildir (a folder) or mbox (a file) where the return path's mail lands.
        "BOUNCE_MAILBOX": env("TRUSTSURVEY_BOUNCE_MAILBOX", "").strip() or None,
        # Or the IMAP mailbox it lands in; the connection is encrypted unless told otherwise.
        **imap_settings(env),
    }


IMAP_SECURITY = ("ssl", "starttls", "none")


def imap_settings(env) -> dict:
    """The IMAP mailbox of bounces, from TRUSTSURVEY_BOUNCE_IMAP_*; unset host: none."""
    security = env("TRUSTSURVEY_BOUNCE_IMAP_SECURITY", "ssl").strip().lower()
    if security not in IMAP_SECURITY:
        raise ValueError(
            "TRUSTSURVEY_BOUNCE_IMAP_SECURITY must be one of "
            f"{', '.join(IMAP_SECURITY)}, not {security!r}"
        )
    port = env("TRUSTSURVEY_BOUNCE_IMAP_PORT", "").strip()
    return {
        "BOUNCE_IMAP_HOST": env("TRUSTSURVEY_BOUNCE_IMAP_HOST", "").strip() or None,
        "BOUNCE_IMAP_PORT": int(port) if port else (993 if security == "ssl" else 143),
        "BOUNCE_IMAP_SECURITY": security,
        "BOUNCE_IMAP_USERNAME": env("TRUSTSURVEY_BOUNCE_IMAP_USERNAME") or None,
        "BOUNCE_IMAP_PASSWORD": env("TRUSTSURVEY_BOUNCE_IMAP_PASSWORD") or None,
        "BOUNCE_IMAP_FOLDER": env("TRUSTSURVEY_BOUNCE_IMAP_FOLDER", "").strip() or "INBOX",
    }


def defaults(instance_path: str) -> dict:
    return {
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        # hide_parameters: SQL logging (any DEBUG root logger) must not show answers or ids.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # Survey answers are small; anything bigger is not a survey.
        "MAX_CONTENT_LENGTH": int(os.environ.get("TRUSTSURVEY_MAX_BODY", 64 * 1024)),
        "MAX_ROSTER_BYTES": 2 * 1024 * 1024,
        # An imported wave of responses collected elsewhere: about 100,000 rows of 40 items.
        "MAX_IMPORT_BYTES": 32 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("TRUSTSURVEY_SECURE_COOKIES", "") == "1",
        "REMEMBER_COOKIE_DURATION": 0,
        # argon2id cost of stored passwords: argon2-cffi's default, RFC 9106's low-memory
        # profile (memory in KiB). A hash takes about a tenth of a second; tests lower it.
        "PASSWORD_HASH_TIME_COST": RFC_9106_LOW_MEMORY.time_cost,
        "PASSWORD_HASH_MEMORY_COST": RFC_9106_LOW_MEMORY.memory_cost,
        "PASSWORD_HASH_PARALLELISM": RFC_9106_LOW_MEMORY.parallelism,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "RATELIMIT_STORAGE_URI": os.environ.get("TRUSTSURVEY_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_LOGIN": os.environ.get("TRUSTSURVEY_RATELIMIT_LOGIN", "10 per minute"),
        # Per account, whatever the address: slow enough for guessing from many addresses,
        # short enough that someone locked out by another's guesses waits minutes, not hours.
        "RATELIMIT_LOGIN_ACCOUNT": os.environ.get(
            "TRUSTSURVEY_RATELIMIT_LOGIN_ACCOUNT", "20 per 10 minutes"
        ),
        # Per address: a whole office behind one NAT address may answer on launch morning, and
        # a link's token (about 144 random bits) cannot be guessed at any rate.
        "RATELIMIT_SUBMIT": os.environ.get("TRUSTSURVEY_RATELIMIT_SUBMIT", "300 per minute"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "PROXY_FIX": os.environ.get("TRUSTSURVEY_PROXY_FIX", "") == "1",
        "BASE_URL": base_url(),
        # Seconds between background closes of waves past their close date (0: off; cron
        # can run `trustsurvey close-due-waves` instead).
        "CLOSE_DUE_INTERVAL": float(os.environ.get("TRUSTSURVEY_CLOSE_DUE_INTERVAL", 60)),
        **smtp_settings(),
    }
