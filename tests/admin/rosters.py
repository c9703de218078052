"""Helpers for the roster tests: upload a file, read back the members and the error table."""

import html
import io
import re

from surveys.db import db
from surveys.models import Member, Team


def upload(client, data: bytes | str, deactivate=False, encoding=None, **headers):
    """Post ``data`` as the roster file; ``encoding`` is the form's choice (none: its default)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    form = {"file": (io.BytesIO(data), "roster.csv")}
    if encoding:
        form["encoding"] = encoding
    if deactivate:
        form["deactivate_missing"] = "y"
    return client.post(
        "/admin/roster", data=form, content_type="multipart/form-data", headers=headers
    )


def members(app):
    with app.app_context():
        rows = db.session.execute(
            db.select(Team.name, Member.name, Member.email, Member.active).join(Member.team)
        ).all()
        # No email sorts first (None and a str do not compare: two namesakes, one without).
        return sorted((tuple(r) for r in rows), key=lambda r: (r[0], r[1], r[2] or "", r[3]))


def error_rows(response) -> list[tuple[str, str, str]]:
    """(row, column, problem) of each row of the error table."""
    page = response.get_data(as_text=True)
    cells = re.findall(
        r'<tr class="roster-error"><td class="num">(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>',
        page,
    )
    return [(r, c, html.unescape(p)) for r, c, p in cells]


def flashes(client) -> str:
    """The messages the next page shows (the roster page, after a redirect to it)."""
    page = client.get("/admin/roster").get_data(as_text=True)
    return " ".join(
        html.unescape(m) for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', page)
    )
