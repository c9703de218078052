"""Roster import: all or nothing, every bad row named, re-imports update in place.

Who is who: within a team, a member is the same person as a row by the email when the row has
one (case does not count), else by the name (whitespace runs count as one space, spaces between
Chinese characters as none, and case does not count). A row is matched with a known member of
its team, active or not, in this order:

1. a row with an email: the member with that email; else the active member of that name who
   has no email yet (the email was added later); else nobody, and it is a new member, even
   where a member of that name has another email (two 王伟 in one team) or has left: a
   departed 王伟 without email is not the new 王伟, who gets a record and invitation of
   their own;
2. a row without an email (an empty cell, or no email column): the member of that name.

Where several members fit, the one whose name is spelled exactly as in the row is taken, then
an active one; if several still fit, the row is refused as ambiguous. Two rows that fit one
member are refused too. The file itself may not hold one email twice in a team, nor one name
twice in a team unless both rows have (different) emails (see ``roster_file``).

A re-import adds the new members, updates the name and email of the known ones (an empty email
cell clears it; a file with no email column leaves emails alone), reactivates known members
that were deactivated, and never deletes anyone: members of the file's teams who are missing
from it are deactivated only when asked to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from surveys.db import db
from surveys.models import Invitation, Member, Team, User, Wave, utcnow
from surveys.services import audit
from surveys.services.accounts import normalise_email
from surveys.services.roster_file import (
    RosterRejectedError,
    RosterRow,
    RowError,
    name_key,
    read_roster,
)

__all__ = [
    "ImportReport",
    "RosterRejectedError",
    "RowError",
    "deactivate_members",
    "import_roster",
]

# How a row found its member; a member two rows fit goes to the row with the surer match.
_BY_EMAIL, _EMAIL_ADDED, _BY_NAME = range(3)


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    teams: set[int] = field(default_factory=set)
    encoding: str = ""
    # "name (team)" of members added beside a known member of that name with another email:
    # a second 王伟, or the same person with a new email, which only the importer can tell.
    namesakes: list[str] = field(default_factory=list)


def _pick(row: RosterRow, candidates: list[Member]) -> list[Member]:
    """The candidates left after preferring the exact spelling of the name, then active ones."""
    for prefer in (lambda m: m.name == row.name, lambda m: m.active):
        if len(candidates) > 1:
            candidates = [m for m in candidates if prefer(m)] or candidates
    return candidates


def _match(rows: list[RosterRow], known: list[Member]) -> dict[int, Member]:
    """The known member each row is (by row number); rows of new members are left out."""
    by_email: dict[tuple[int, str], list[Member]] = defaultdict(list)
    by_name: dict[tuple[int, str], list[Member]] = defaultdict(list)
    for member in known:
        if member.email:
            by_email[member.team_id, normalise_email(member.email)].append(member)
        by_name[member.team_id, name_key(member.name)].append(member)

    errors: list[RowError] = []
    fits: list[tuple[int, RosterRow, Member]] = []
    for row in rows:
        same_name = by_name[row.team.id, name_key(row.name)]
        if row.email and by_email[row.team.id, normalise_email(row.email)]:
            how, candidates = _BY_EMAIL, by_email[row.team.id, normalise_email(row.email)]
        elif row.email:
            # Only an active member: reactivating a departed namesake would hand the newcomer
            # the leaver's record, and revive the leaver's invitation link instead of theirs.
            how, candidates = _EMAIL_ADDED, [m for m in same_name if not m.email and m.active]
        else:
            how, candidates = _BY_NAME, same_name
        candidates = _pick(row, candidates)
        if len(candidates) == 1:
            fits.append((how, row, candidates[0]))
        elif len(candidates) > 1:
            errors.append(_ambiguous(row, how, candidates))

    matched: dict[int, Member] = {}
    first_row: dict[int, RosterRow] = {}
    for how, row, member in sorted(fits, key=lambda f: (f[0], f[1].row)):
        other = first_row.setdefault(member.id, row)
        if other is row:
            matched[row.row] = member
        elif how == _EMAIL_ADDED:
            errors.append(
                RowError(
                    row.row,
                    "email",
                    _l(
                        "this row and row %(row)s could both be “%(name)s”, who has no email "
                        "yet: import that member's row on its own first, then this row adds "
                        "someone new",
                        row=other.row,
                        name=member.name,
                    ),
                )
            )
        else:
            errors.append(
                RowError(
                    row.row,
                    "name",
                    _l(
                        "row %(row)s is already the member “%(name)s”; if this row is someone "
                        "else, give them their own email",
                        row=other.row,
                        name=member.name,
                    ),
                )
            )
    if errors:
        raise RosterRejectedError(errors)
    return matched


def _ambiguous(row: RosterRow, how: int, candidates: list[Member]) -> RowError:
    if how == _BY_NAME:
        return RowError(
            row.row,
            "name",
            _l(
                "%(n)s members of “%(team)s” are called “%(name)s”; give the email of the one "
                "this row is",
                n=len(candidates),
                team=row.team.name,
                name=row.name,
            ),
        )
    # Only rosters stored before member identity was the email can get here.
    return RowError(
        row.row,
        "email",
        _l(
            "%(n)s members of “%(team)s” fit this row; spell the name as the team page shows "
            "the one this row is",
            n=len(candidates),
            team=row.team.name,
        ),
    )


def import_roster(
    data: bytes,
    teams: list[Team],
    *,
    encoding: str = "utf-8",
    deactivate_missing: bool = False,
    max_bytes: int | None = None,
    imported_by: User | None = None,
) -> ImportReport:
    """Validate every row, then store all of them in one transaction (or nothing).

    ``encoding`` is the one the importer chose, a key of ``roster_file.ENCODINGS``.
    ``imported_by``: the admin importing; a change of the email of a member invited to an
    open wave is recorded in that wave's audit log under their name (see
    :func:`_audit_email_changes`).
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise RosterRejectedError(
            [RowError(0, "", _l("the file is larger than %(kb)s KB", kb=max_bytes // 1024))]
        )
    roster = read_roster(data, {t.name: t for t in teams}, encoding)
    report = ImportReport(teams={r.team.id for r in roster.rows}, encoding=roster.encoding)
    # No unique constraint can say who is who (that depends on whether an email is given), so
    # two imports into one team at once must not both add the same person: the second must
    # read the members only after the first has committed. A no-op write to the teams is the
    # lock on both databases. SELECT ... FOR UPDATE is not: SQLite ignores it, and pysqlite
    # begins no transaction for a read. The UPDATE, as the transaction's first statement,
    # takes SQLite's write lock at once (the other import waits out the busy timeout), and
    # on PostgreSQL it row-locks the teams until the commit.
    db.session.execute(
        db.update(Team)
        .where(Team.id.in_(report.teams))
        .values(name=Team.name)
        .execution_options(synchronize_session=False)
    )
    known = list(db.session.scalars(db.select(Member).where(Member.team_id.in_(report.teams))))
    try:
        matched = _match(roster.rows, known)
    except RosterRejectedError:
        db.session.rollback()
        raise
    known_names = {(m.team_id, name_key(m.name)) for m in known}
    email_changed: list[Member] = []
    for row in roster.rows:
        member = matched.get(row.row)
        if member is None:
            db.session.add(Member(team=row.team, name=row.name, email=row.email, active=True))
            report.added += 1
            if (row.team.id, name_key(row.name)) in known_names:
                report.namesakes.append(f"{row.name} ({row.team.name})")
            continue
        email = row.email if roster.has_email else member.email
        if member.active and member.name == row.name and member.email == email:
            report.unchanged += 1
        else:
            report.updated += 1
        if normalise_email(member.email or "") != normalise_email(email or ""):
            email_changed.append(member)
        member.active, member.name, member.email = True, row.name, email
    if deactivate_missing:
        found = {m.id for m in matched.values()}
        for member in known:
            if member.id not in found and member.active:
                member.active = False
                report.deactivated += 1
    if imported_by is not None:
        _audit_email_changes(email_changed, imported_by)
    db.session.commit()
    return report


def _audit_email_changes(members: list[Member], user: User) -> None:
    """Record, per open wave and team, how many invited members got another email address.

    While a wave is open, the product emails reminders to the members who have not answered
    and counts the addresses that failed. An admin who pointed one member's address at a
    dead mailbox would learn from that count whether the member had answered; the change
    cannot be refused (people do change addresses), so it is shown instead, beside the link
    exports, to every facilitator and admin of the team. The event names no member.
    """
    if not members:
        return
    now = utcnow()
    rows = db.session.execute(
        db.select(Invitation.wave_id, Invitation.team_id, Invitation.member_id)
        .join(Wave, Wave.id == Invitation.wave_id)
        .where(
            Invitation.member_id.in_([m.id for m in members]),
            Wave.closed_at.is_(None),
            Wave.opens_at <= now,
            Wave.closes_at > now,
        )
    ).all()
    per_wave: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for wave_id, team_id, _member_id in rows:
        per_wave[wave_id][team_id] += 1
    for wave_id, per_team in per_wave.items():
        audit.add_events(db.session.get(Wave, wave_id), user, audit.Action.EMAIL_CHANGED, per_team)


def deactivate_members(team: Team) -> int:
    """Deactivate every active member of ``team``; how many were active."""
    active = [m for m in team.members if m.active]
    for member in active:
        member.active = False
    db.session.commit()
    return len(active)
