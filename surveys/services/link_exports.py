"""An admin's export of links: a CSV for a mail-merge, and printed cards (anonymity invariant 7).

Links are for the members they name; whoever holds one can answer with it, and can tell
whether it was used. Only admins export them, and every export is recorded in the audit log,
per team with its number of links, before the links leave (:mod:`surveys.services.audit`).

Cards come in pages of at most :data:`CARDS_PER_PAGE`, one team at a time: each card draws a
QR code on the server, and 6,000 of them in one request took half a minute and 16 MB, near a
worker's timeout. Every page is an export of its own, recorded with its own count, so the log
says exactly how many links were printed for which team, even when only some pages were.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func

from surveys.db import db
from surveys.models import Invitation, Member, Team, User, Wave
from surveys.services import audit, invitations
from surveys.services.waves import wave_team_ids
from trust.table import neutralise_csv_cell

# Printed cards per page: a card's QR code takes a few milliseconds to draw, so a page of
# this many comes out in about a second and a few hundred kilobytes.
CARDS_PER_PAGE = 200


@dataclass(frozen=True)
class InvitationRow:
    team_id: int
    member: str
    email: str
    team: str
    link: str


@dataclass(frozen=True)
class CardPage:
    """One printable page of a team's cards: cards ``first`` to ``last`` of the team's ``of``."""

    team_id: int
    team: str
    page: int
    first: int
    last: int
    of: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1


def _listed(query, wave: Wave, team_ids: list[int], without_email_only: bool):
    """``query`` over the invitations a list or a card shows: of these teams, of members still
    on the roster (see :func:`invitation_rows`), optionally only those without email."""
    query = (
        query.join(Member, Invitation.member_id == Member.id)
        .join(Team, Invitation.team_id == Team.id)
        .where(
            Invitation.wave_id == wave.id, Invitation.team_id.in_(team_ids), Member.active.is_(True)
        )
    )
    if without_email_only:
        query = query.where((Member.email.is_(None)) | (Member.email == ""))
    return query


def invitation_rows(
    wave: Wave,
    visible: set[int] | None,
    without_email_only: bool = False,
    page: CardPage | None = None,
) -> list[InvitationRow]:
    """Every invitation of the wave's visible teams with its link, by team and member name;
    with ``page``, only the cards of that page.

    Whether an invitation was used is left out on purpose: who has answered is nobody's
    business, and a list of who has not would invite pressure. For the same reason members
    who left the roster are left out whether or not their invitation was used: listing only
    the used ones would tell who answered, and an unused one is withdrawn. A closed wave has
    none: closing forgot which member each invitation was for.
    """
    team_ids = wave_team_ids(wave, visible)
    if page is not None:
        team_ids = [t for t in team_ids if t == page.team_id]
    if not team_ids:
        return []
    query = _listed(
        db.select(Invitation, Member.name, Member.email, Team.name),
        wave,
        team_ids,
        without_email_only,
    )
    # The invitation id breaks ties between namesakes, so that pages never overlap.
    query = query.order_by(Team.name, Member.name, Invitation.id)
    if page is not None:
        query = query.offset(page.first - 1).limit(page.count)
    return [
        InvitationRow(
            team_id=inv.team_id,
            member=name,
            email=email or "",
            team=team,
            link=invitations.link(invitations.token_of(inv)),
        )
        for inv, name, email, team in db.session.execute(query).all()
    ]


def card_pages(wave: Wave, without_email_only: bool) -> list[CardPage]:
    """The printable pages of the wave's cards, team by team in name order, without making a
    card or a link (one COUNT query)."""
    team_ids = wave_team_ids(wave, None)
    if not team_ids:
        return []
    query = db.select(Team.id, Team.name, func.count()).select_from(Invitation)
    counts = db.session.execute(
        _listed(query, wave, team_ids, without_email_only)
        .group_by(Team.id, Team.name)
        .order_by(Team.name)
    ).all()
    return [
        CardPage(team_id, name, number, start + 1, min(start + CARDS_PER_PAGE, count), count)
        for team_id, name, count in counts
        for number, start in enumerate(range(0, count, CARDS_PER_PAGE), start=1)
    ]


def export_links(
    wave: Wave,
    user: User,
    action: audit.Action,
    without_email_only: bool,
    page: CardPage | None = None,
) -> list[InvitationRow]:
    """An admin's export of links (all of them, or one page of one team's cards), recorded in
    the audit log, per team with its count, and committed before the links are returned."""
    if user.role != "admin":
        raise PermissionError("only admins export links")
    rows = invitation_rows(wave, None, without_email_only, page)
    audit.record(wave, user, action, Counter(row.team_id for row in rows))
    return rows


INVITATION_CSV_COLUMNS = ("member", "email", "team", "link")


def invitations_csv(rows: list[InvitationRow]) -> bytes:
    """Invitation links as CSV for a mail-merge, one row per :func:`invitation_rows` row.

    UTF-8 with a byte-order mark: Excel, which most mail-merges start from, reads a CSV
    without one in the system code page and garbles Chinese names; Word, Outlook, Python's
    utf-8-sig and LibreOffice all accept it. Cells a spreadsheet would run as a formula are
    neutralised.
    """
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(INVITATION_CSV_COLUMNS)
    for row in rows:
        writer.writerow([neutralise_csv_cell(getattr(row, c)) for c in INVITATION_CSV_COLUMNS])
    return buf.getvalue().encode("utf-8")
