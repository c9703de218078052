"""Security headers, CSRF, rate limits, password hashing, and keeping respondents out of logs."""

from __future__ import annotations

import logging
import re
import threading
import time
from urllib.parse import unquote

from argon2 import PasswordHasher
from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from limits.storage import MemoryStorage

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class ProcessMemoryStorage(MemoryStorage):
    """limits' in-memory counters, with expired ones removed by the requests themselves.

    limits' own memory storage starts a thread 10 ms after a hit to remove expired counters,
    which under load is a new thread for nearly every request; and two requests that both find
    the last one ended can start the same new one, and one of them fails with a 500 ("threads
    can only be started once", seen under the load bench). A counter's expiry is checked
    whenever it is read anyway, so this only frees memory: a hit at least ``SWEEP_SECONDS``
    after the last sweep removes what has expired, in the request's own thread.
    ``memory://`` (the default) means this storage.
    """

    STORAGE_SCHEME = ["process-memory"]
    SWEEP_SECONDS = 10.0

    def __init__(self, uri: str | None = None, **options):
        super().__init__(uri, **options)
        self._next_sweep = time.monotonic() + self.SWEEP_SECONDS
        self._sweeping = threading.Lock()

    # Replaces MemoryStorage's private scheduler (name-mangled), which incr, decr and
    # acquire_entry call on every hit; tests/test_security.py fails if that changes.
    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (the mangled name)
        if time.monotonic() < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = time.monotonic() + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()
        finally:
            self._sweeping.release()


def password_hasher() -> PasswordHasher:
    """argon2id at the app's ``PASSWORD_HASH_*`` cost (inside an app context).

    A stored hash made at another cost still verifies (the hash names its own cost), and is
    rehashed at this one on the next sign-in.
    """
    config = current_app.config
    return PasswordHasher(
        time_cost=config["PASSWORD_HASH_TIME_COST"],
        memory_cost=config["PASSWORD_HASH_MEMORY_COST"],
        parallelism=config["PASSWORD_HASH_PARALLELISM"],
    )


# The respondent's link carries the token; a log line with it and an address and a time
# would tie a person's request to an invitation. A request line holds the path as the client
# sent it, and the router also serves encoded or doubled forms of it (/%73/<token>,
# /s%2F<token>, //s/<token>), so each word of a line is read as the router would read it.
_PATH_WORD = re.compile(r'[^\s"]*/[^\s"]*')
_SCHEME_AND_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/+[^/]*")
_RESPONDENT_PREFIX = "/s/"
_ASSET_PREFIXES = ("/static/", "/favicon.ico")
_ADDRESS_AND_TIME = re.compile(r"^\S+ - - \[[^\]]*\] ")

HSTS_MAX_AGE = 365 * 24 * 3600

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def routed_path(word: str) -> str:
    """A request target as the router matches it: percent-decoded (repeatedly, so that an
    encoded % cannot hide a slash), without scheme and host, runs of slashes made one.

    >>> routed_path("/%73%2F%2541bc?x=1")
    '/s/Abc?x=1'
    >>> routed_path("http://example.org//s//Abc")
    '/s/Abc'
    """
    for _ in range(5):
        decoded = unquote(word)
        if decoded == word:
            break
        word = decoded
    return re.sub(r"/{2,}", "/", _SCHEME_AND_HOST.sub("", word.replace("\\", "/")))


class RespondentLogFilter(logging.Filter):
    """Rewrite request log lines about respondent pages: no token, no client address."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        found = False

        def scrub(match: re.Match) -> str:
            nonlocal found
            path = routed_path(match.group())
            if path.startswith(_RESPONDENT_PREFIX):
                found = True
                return "/s/[token]"
            # Assets a respondent's browser fetches around its survey request lose the
            # address and time too, or they would give them back to the cleaned line
            # beside them.
            found = found or path.startswith(_ASSET_PREFIXES)
            return match.group()

        message = _PATH_WORD.sub(scrub, message)
        if found:
            record.msg, record.args = _ADDRESS_AND_TIME.sub("- - - [-] ", message), None
        return True


# Endpoints that take a file upload, with the config key of their largest file. Form parsing
# starts before the view (the CSRF check reads the form), so the limit is set before that.
UPLOAD_LIMITS = {
    "admin.roster_import": "MAX_ROSTER_BYTES",
    "admin.wave_import": "MAX_IMPORT_BYTES",
}


def upload_body_limit():
    """Raise this request's body limit on an upload endpoint: its file plus the form around it."""
    key = UPLOAD_LIMITS.get(request.endpoint or "")
    if key is not None:
        request.max_content_length = current_app.config[key] + 64 * 1024


def init_app(app):
    app.before_request(upload_body_limit)  # before CSRFProtect's own hook, which parses the form
    if app.config.get("PROXY_FIX"):
        # Behind a load balancer: take the client address and scheme from its headers, so
        # rate limits count clients, not the balancer.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    csrf.init_app(app)
    if app.config.get("RATELIMIT_STORAGE_URI", "memory://") == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = "process-memory://"
    limiter.init_app(app)
    log_filter = RespondentLogFilter()
    # gunicorn.error names the request line of a request that failed ("Error handling
    # request GET /s/<token>") next to a time.
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", app.logger.name):
        logging.getLogger(name).addFilter(log_filter)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Never send a page's address (a respondent's link holds its token) to another site;
        # same-origin keeps Flask-WTF's HTTPS referrer check working on our own forms.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            # Cookies only over HTTPS means the site is served over HTTPS: browsers then
            # refuse a downgrade to plain HTTP for a year, where a session could be taken.
            response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
