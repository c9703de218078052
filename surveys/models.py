"""Database models.

Anonymity invariant 1 shapes two tables: ``Response`` and ``Comment`` hold a random id, the
wave, the team and the answer, and nothing else: no invitation, person, time, IP or user agent.
Both are SQLite WITHOUT ROWID tables keyed by a random id, so that reads come in random-id
order, and views order them by that id too. Their physical storage keeps the order of arrival
until the wave closes (:func:`surveys.services.anonymity.rewrite_storage_order`).
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from collections.abc import Iterable
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveys.db import db
from surveys.security import password_hasher

USER_ROLES = ("admin", "facilitator", "researcher")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def random_id() -> str:
    return secrets.token_hex(16)


class Organisation(db.Model):
    """Organisation-wide settings (one row)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    default_k: Mapped[int] = mapped_column(default=5)
    # An IANA zone name (Asia/Shanghai) for every date shown and entered; NULL: the default
    # of surveys.services.organisation.default_time_zone.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # A respondent's own link shows their team's results after the wave closes (see
    # surveys.services.shared_results); an admin can turn it off.
    share_results_with_respondents: Mapped[bool] = mapped_column(
        default=True, server_default=true()
    )


team_facilitator = Table(
    "team_facilitator",
    db.metadata,
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", Integer, ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
)

wave_team = Table(
    "wave_team",
    db.metadata,
    Column("wave_id", Integer, ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", Integer, ForeignKey("team.id"), primary_key=True),
    # The team's population for a wave whose people the product did not invite (an import
    # of answers collected elsewhere); NULL for a live wave, whose invitations say it.
    Column("team_size", Integer, nullable=True),
    # The invitations the wave issued to the team, stored when the wave closes: closing
    # forgets which member each invitation was for and whether it was used (anonymity
    # invariant 7), and this count is what remains. NULL while the wave is open.
    Column("invitations_issued", Integer),
)


class User(UserMixin, db.Model):
    """A facilitator, researcher or admin account (never a respondent)."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated on logout and password change so that every earlier session cookie stops working.
    session_token: Mapped[str] = mapped_column(String(32), default=random_id)
    teams: Mapped[list[Team]] = relationship(
        secondary=team_facilitator, back_populates="facilitators"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = password_hasher().hash(password)

    def check_password(self, password: str) -> bool:
        """True if ``password`` matches; an outdated hash is upgraded in place (not committed)."""
        hasher = password_hasher()
        try:
            hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if hasher.check_needs_rehash(self.password_hash):
            self.password_hash = hasher.hash(password)
        return True

    def rotate_session(self) -> None:
        """End every session of this user: cookies carry the old token."""
        self.session_token = random_id()

    @property
    def is_active(self) -> bool:
        return self.active


def subtree_ids(root_ids: Iterable[int]) -> set[int]:
    """The teams ``root_ids`` and every team under them, one query per level of the tree."""
    ids: set[int] = set()
    frontier = set(root_ids)
    while frontier:
        ids |= frontier
        below = db.session.scalars(db.select(Team.id).where(Team.parent_id.in_(frontier)))
        frontier = set(below) - ids
    return ids


class Team(db.Model):
    """A team; a team with children is a department."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    archived: Mapped[bool] = mapped_column(default=False)
    parent: Mapped[Team | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Team]] = relationship(back_populates="parent")
    members: Mapped[list[Member]] = relationship(back_populates="team")
    facilitators: Mapped[list[User]] = relationship(
        secondary=team_facilitator, back_populates="teams"
    )


class Member(db.Model):
    """A roster entry: someone who gets an invitation. Never linked to an answer.

    A team may have two members of the same name. Who is who (the email when there is one,
    else the name) is decided by the roster import (``surveys.services.rosters``), not by a unique
    constraint: it depends on whether an email is given, and rosters stored before may hold
    emails that differ only in case.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(default=True)
    team: Mapped[Team] = relationship(back_populates="members")


class WaveStatus(enum.StrEnum):
    """Where a wave is in its life; a wave past its close date counts as closed."""

    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class Wave(db.Model):
    """One round of the survey: an instrument version, a set of teams, dates and k."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    instrument_key: Mapped[str] = mapped_column(String(64))
    instrument_version: Mapped[str] = mapped_column(String(32))
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    k: Mapped[int] = mapped_column(default=5)
    closed_at: Mapped[dt.datetime | None]
    teams: Mapped[list[Team]] = relationship(secondary=wave_team)

    def status(self, now: dt.datetime | None = None) -> WaveStatus:
        now = now or utcnow()
        if self.closed_at is not None or now >= self.closes_at:
            return WaveStatus.CLOSED
        return WaveStatus.OPEN if now >= self.opens_at else WaveStatus.SCHEDULED


class Invitation(db.Model):
    """A one-time link for one roster member. Only a hash of the token is stored.

    The token is an HMAC of ``nonce`` under the app's secret key, so links can be printed
    again for a mail-merge, while a copy of the database alone cannot answer as anyone.
    ``used`` is a flag, never a time. Closing the wave forgets the member, the nonce and the
    flag (:func:`surveys.services.invitations.forget_participation`): afterwards a row says
    only that a link with this hash belonged to this wave and team.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    nonce: Mapped[str] = mapped_column(String(32), default=random_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(default=False)
    wave: Mapped[Wave] = relationship()
    team: Mapped[Team] = relationship()
    member: Mapped[Member | None] = relationship()


class Response(db.Model):
    """One anonymous set of answers: {item key: integer answer}. See the module docstring."""

    __table_args__ = {"sqlite_with_rowid": False}
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)


class Comment(db.Model):
    """An optional free-text comment; not linked to its response, not dated."""

    __table_args__ = {"sqlite_with_rowid": False}
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    text: Mapped[str] = mapped_column(String(4000))


class ScaleResult(db.Model):
    """Scale-level statistics of a closed wave, computed once at close."""

    __table_args__ = (UniqueConstraint("wave_id", "scale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    scale: Mapped[str] = mapped_column(String(64))
    n_respondents: Mapped[int]
    alpha: Mapped[float | None]
    alpha_ci_low: Mapped[float | None]
    alpha_ci_high: Mapped[float | None]
    omega_total: Mapped[float | None]
    icc1: Mapped[float | None]
    icc2: Mapped[float | None]
    mean_rwg_j: Mapped[float | None]
    # {item key: corrected item-total r or None}, to name a likely cause of low reliability;
    # NULL for waves closed before it was stored.
    item_total_r: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# Why a stored cell shows no number (``suppressed``): the group itself has fewer than k
# respondents on the scale, or it reaches k but would let a viewer compute a group below k
# by subtraction (surveys.services.suppression).
SUPPRESSED_BELOW_K = "below_k"
SUPPRESSED_COMPLEMENTARY = "complementary"
# ``estimate`` of a stored trust cell that was not measured but estimated from the drivers.
ESTIMATE_CALIBRATED = "calibrated"
ESTIMATE_UNCALIBRATED = "uncalibrated"


class TeamScaleResult(db.Model):
    """A team's result on one scale in a closed wave, computed once at close.

    Rows exist for every team of the wave; a row with ``suppressed`` set shows no number
    and stores none (NULL). ``estimate`` is NULL for a measured scale, else how a
    cognitive or affective trust value was estimated from the drivers (pulse waves).
    ``change`` is the difference from ``previous_wave_id``'s value of the same team, with
    its interval, stored only when both values are shown.
    """

    __table_args__ = (UniqueConstraint("wave_id", "team_id", "scale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    scale: Mapped[str] = mapped_column(String(64))
    n: Mapped[int]
    team_size: Mapped[int | None]
    mean: Mapped[float | None]
    sd: Mapped[float | None]
    ci_low: Mapped[float | None]
    ci_high: Mapped[float | None]
    rwg_j: Mapped[float | None]
    estimate: Mapped[str | None] = mapped_column(String(16))
    suppressed: Mapped[str | None] = mapped_column(String(16))
    change: Mapped[float | None]
    change_ci_low: Mapped[float | None]
    change_ci_high: Mapped[float | None]
    previous_wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id", ondelete="SET NULL"))


GROUP_LEVELS = ("organisation", "department")


class GroupScaleResult(db.Model):
    """A department's or the organisation's result on one scale of a closed wave.

    It pools the responses of the wave's teams under it (``team_id`` is the department;
    NULL for the organisation), so a team too small to show still counts here. The fields
    mean what they mean on :class:`TeamScaleResult`.
    """

    __table_args__ = (UniqueConstraint("wave_id", "level", "team_id", "scale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    scale: Mapped[str] = mapped_column(String(64))
    n: Mapped[int]
    mean: Mapped[float | None]
    sd: Mapped[float | None]
    ci_low: Mapped[float | None]
    ci_high: Mapped[float | None]
    rwg_j: Mapped[float | None]
    estimate: Mapped[str | None] = mapped_column(String(16))
    suppressed: Mapped[str | None] = mapped_column(String(16))
    change: Mapped[float | None]
    change_ci_low: Mapped[float | None]
    change_ci_high: Mapped[float | None]
    previous_wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id", ondelete="SET NULL"))


class TrustCalibration(db.Model):
    """The driver model fitted to closed full waves (trust.fit_trust_model), once per close.

    ``cognitive`` and ``affective`` hold each regression's predictors, standardised
    weights with their bootstrap intervals, R^2 with its interval, and the raw-scale
    intercept and slopes used to estimate trust for pulse waves; ``wave_ids`` the closed
    full waves whose respondents it was fitted on, ``n`` their number.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    level: Mapped[str] = mapped_column(String(16))
    n: Mapped[int]
    drivers: Mapped[list[str]] = mapped_column(JSON)
    wave_ids: Mapped[list[int]] = mapped_column(JSON)
    cognitive: Mapped[dict[str, Any]] = mapped_column(JSON)
    affective: Mapped[dict[str, Any]] = mapped_column(JSON)


intervention_team = Table(
    "intervention_team",
    db.metadata,
    Column(
        "intervention_id",
        Integer,
        ForeignKey("intervention.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("team_id", Integer, ForeignKey("team.id"), primary_key=True),
)


class Intervention(db.Model):
    """What a facilitator did with one or more teams: a playbook, dates, who led it, notes.

    ``playbook_key`` names a playbook file; a key whose file is gone stays readable in the
    log (shown as the bare key). ``recorded_by`` is the account that logged it, kept so that
    nobody's record is mistaken for another's; it says nothing about respondents.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook_key: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    facilitated_by: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(String(4000), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    teams: Mapped[list[Team]] = relationship(secondary=intervention_team)
    recorded_by: Mapped[User | None] = relationship()


class AuditEvent(db.Model):
    """An audited act on a wave's links: who did it, for which team, how many links, when.

    Kept for good and shown on the wave page to every admin and facilitator of the team.
    It names no member: ``count`` links of ``team_id``.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(32))
    count: Mapped[int]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship()
    team: Mapped[Team] = relationship()


class Mailing(db.Model):
    """One batch of emails of a wave: its invitations, or a reminder.

    The counts are kept up to date as the batch runs and stay after close, when the
    per-member ``Delivery`` rows are deleted.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    planned: Mapped[int] = mapped_column(default=0)
    sent: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    unknown: Mapped[int] = mapped_column(default=0)
    user: Mapped[User] = relationship()


class Delivery(db.Model):
    """One email of a mailing, to the member of one invitation; deleted when the wave closes.

    ``status`` goes pending, then sending (committed before the message is handed to the
    server), then sent or failed; deferred after a temporary refusal, to be tried again. A
    delivery left in sending was interrupted: it may have gone out and is never sent again.
    """

    __table_args__ = (UniqueConstraint("mailing_id", "invitation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(
        ForeignKey("mailing.id", ondelete="CASCADE"), index=True
    )
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(String(500))
    # Names the message in its Message-ID and return path, so that a bounce finds it
    # (surveys/services/bounces.py); random, so that it tells nothing about other messages.
    tag: Mapped[str | None] = mapped_column(String(32), unique=True, default=random_id)
    invitation: Mapped[Invitation] = relationship()
