"""Waves: the rules for creating, changing, opening and closing them, and their response counts.

A wave is editable while it is scheduled. Once it opens, its group minimum k, its instrument
and its teams are locked: respondents were told them (the respondent page states k), and
results of one wave must come from one instrument and one set of teams. Name and close date
may still change. Closing happens once (by hand, by ``trustsurvey close-due-waves`` or by the
background closer of :mod:`surveys.closer`) and stores every aggregate
(:mod:`surveys.services.results`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func

from surveys.config import DEFAULT_K, MAX_K, MIN_K
from surveys.db import db
from surveys.models import (
    Invitation,
    Member,
    Organisation,
    Response,
    Team,
    User,
    Wave,
    WaveStatus,
    utcnow,
    wave_team,
)
from surveys.services import anonymity, audit, calibration, invitations, results

LOCKED_FIELDS = ("k", "instrument", "teams")
DEFAULT_DURATION = dt.timedelta(days=14)  # suggested on the new-wave form


class WaveLockedError(ValueError):
    """A change to a field that is locked once the wave opens."""


def default_k() -> int:
    """The organisation's default group minimum, never below the floor of 3."""
    org = db.session.scalar(db.select(Organisation).order_by(Organisation.id).limit(1))
    k = org.default_k if org is not None and org.default_k else DEFAULT_K
    return min(max(k, MIN_K), MAX_K)


def is_locked(wave: Wave, now: dt.datetime | None = None) -> bool:
    """k, instrument and teams can no longer change (the wave has opened)."""
    return wave.status(now) is not WaveStatus.SCHEDULED


def visible_waves(team_ids: set[int] | None) -> list[Wave]:
    """Waves that include at least one of ``team_ids`` (None: every wave), newest first."""
    query = db.select(Wave).order_by(Wave.opens_at.desc(), Wave.id.desc())
    if team_ids is not None:
        query = query.where(
            Wave.id.in_(db.select(wave_team.c.wave_id).where(wave_team.c.team_id.in_(team_ids)))
        )
    return list(db.session.scalars(query))


def create(
    *,
    name: str,
    instrument_key: str,
    instrument_version: str,
    teams: list[Team],
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    k: int,
) -> Wave:
    """A new scheduled wave, committed."""
    _check_dates(opens_at, closes_at)
    _check_k(k)
    wave = Wave(
        name=name,
        instrument_key=instrument_key,
        instrument_version=instrument_version,
        teams=list(teams),
        opens_at=opens_at,
        closes_at=closes_at,
        k=k,
    )
    db.session.add(wave)
    db.session.commit()
    return wave


def update(
    wave: Wave,
    *,
    name: str,
    closes_at: dt.datetime,
    opens_at: dt.datetime | None = None,
    k: int | None = None,
    instrument: tuple[str, str] | None = None,
    teams: list[Team] | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Change a wave and commit; :class:`WaveLockedError` for a locked field that differs once
    the wave is open, and nothing changes.

    Arguments left as None are not changed.
    """
    now = now or utcnow()
    # Checked here and not only by the form: the wave may open between the form being shown
    # (scheduled, every field editable) and being submitted.
    if is_locked(wave, now):
        changed = locked_changes(
            wave,
            k=k,
            instrument=instrument,
            opens_at=opens_at,
            team_ids=None if teams is None else {t.id for t in teams},
        )
        if changed:
            db.session.rollback()
            raise WaveLockedError(", ".join(changed))
        if closes_at < now:
            raise ValueError("closes_at is in the past")
        _check_dates(wave.opens_at, closes_at)
    else:
        _check_dates(opens_at or wave.opens_at, closes_at)
        if k is not None:
            _check_k(k)
            wave.k = k
        if instrument is not None:
            wave.instrument_key, wave.instrument_version = instrument
        if teams is not None:
            # Links issued to a team that leaves the wave would take answers that the wave's
            # counts and results never include; the wave has not opened, so none is used.
            kept = [t.id for t in teams]
            db.session.execute(
                db.delete(Invitation)
                .where(Invitation.wave_id == wave.id, Invitation.team_id.not_in(kept))
                .execution_options(synchronize_session=False)
            )
            wave.teams = list(teams)
        if opens_at is not None:
            wave.opens_at = opens_at
    wave.name = name
    wave.closes_at = closes_at
    db.session.commit()


def locked_changes(
    wave: Wave,
    *,
    k: int | None = None,
    instrument: tuple[str, str] | None = None,
    team_ids: set[int] | None = None,
    opens_at: dt.datetime | None = None,
    visible: set[int] | None = None,
) -> list[str]:
    """Names of the locked fields (and ``opens_at``) whose given value differs from the wave's.

    ``visible`` limits the comparison of teams to the teams the user can see (None: all).
    Open dates are compared to the minute, the precision of the form that sends them.
    """
    changed = []
    if opens_at is not None and _minute(opens_at) != _minute(wave.opens_at):
        changed.append("opens_at")
    if k is not None and k != wave.k:
        changed.append("k")
    pinned = (wave.instrument_key, wave.instrument_version)
    if instrument is not None and tuple(instrument) != pinned:
        changed.append("instrument")
    if team_ids is not None:
        current = {t.id for t in wave.teams}
        if visible is not None:
            current &= visible
        if set(team_ids) != current:
            changed.append("teams")
    return changed


def _minute(when: dt.datetime) -> dt.datetime:
    return when.replace(second=0, microsecond=0)


def _check_dates(opens_at: dt.datetime, closes_at: dt.datetime) -> None:
    if closes_at <= opens_at:
        raise ValueError("closes_at must be after opens_at")


def _check_k(k: int) -> None:
    if k < MIN_K:
        raise ValueError(f"k must be at least {MIN_K}")
    if k > MAX_K:
        raise ValueError(f"k can be at most {MAX_K}")


@dataclass(frozen=True)
class SmallTeam:
    """A team whose active roster is below k: it can never show results of its own."""

    team_id: int
    team: str
    active: int
    department: str | None  # where its answers count; None: the organisation only


def small_teams(teams: list[Team], k: int) -> list[SmallTeam]:
    """The ``teams`` whose active roster is smaller than ``k``, by name (one COUNT query).

    Such a team can never reach k, so its own page stays empty; its answers still count in
    its department's pooled figures (and the organisation's).
    """
    active = active_roster_sizes([t.id for t in teams])
    return [
        SmallTeam(t.id, t.name, active.get(t.id, 0), t.parent.name if t.parent else None)
        for t in sorted(teams, key=lambda t: t.name)
        if active.get(t.id, 0) < k
    ]


def active_roster_sizes(team_ids: list[int]) -> dict[int, int]:
    """Active members per team, for the new-wave form's live warning."""
    if not team_ids:
        return {}
    return dict(
        db.session.execute(
            db.select(Member.team_id, func.count())
            .where(Member.team_id.in_(team_ids), Member.active.is_(True))
            .group_by(Member.team_id)
        ).all()
    )


def wave_team_ids(wave: Wave, visible: set[int] | None) -> list[int]:
    """Ids of the wave's teams that ``visible`` allows (None: all)."""
    return [t.id for t in wave.teams if visible is None or t.id in visible]


def can_manage(wave: Wave, visible: set[int] | None) -> bool:
    """Editing and closing touch every team of a wave, so they need every team to be visible."""
    return visible is None or all(t.id in visible for t in wave.teams)


class AdminConfirmationError(PermissionError):
    """Invitations for an open wave need an admin (anonymity invariant 7)."""


def members_without_invitation(wave: Wave, visible: set[int] | None) -> list[Member]:
    """Active members of the wave's (visible) teams who have no invitation in it yet."""
    team_ids = wave_team_ids(wave, visible)
    if not team_ids:
        return []
    invited = db.select(Invitation.member_id).where(
        Invitation.wave_id == wave.id, Invitation.member_id.is_not(None)
    )
    return list(
        db.session.scalars(
            db.select(Member)
            .where(
                Member.team_id.in_(team_ids),
                Member.active.is_(True),
                Member.id.not_in(invited),
            )
            .order_by(Member.team_id, Member.name)
        )
    )


def generate_invitations(
    wave: Wave, visible: set[int] | None, user: User, now: dt.datetime | None = None
) -> int:
    """Issue an invitation to every active member of the wave's (visible) teams who has none.

    Idempotent: members who already have one are skipped, so members added to a roster
    later get theirs on the next call. Returns how many were issued (committed).

    Before the wave opens any manager of its teams may do this. Once it is open, only an
    admin, and every invitation is recorded in the audit log and marks its team: a member
    added after opening gets a link only when an admin confirms it, so that nobody can push a
    small team over k with invented members (:class:`AdminConfirmationError` otherwise).
    """
    status = wave.status(now)
    if status is WaveStatus.CLOSED:
        raise ValueError("the wave is closed")
    late = status is WaveStatus.OPEN
    if late and user.role != "admin":
        raise AdminConfirmationError
    members = members_without_invitation(wave, visible)
    return len(invitations.issue(wave, members, audited_by=user if late else None))


@dataclass(frozen=True)
class TeamCount:
    team_id: int
    team: str
    responses: int
    invitations: int
    issued_after_open: int = 0  # confirmed by an admin; the team is marked

    @property
    def rate(self) -> float | None:
        """Responses per invitation issued; None before any invitation exists.

        Withdrawn invitations (their member left the roster before answering) stay in the
        denominator, so that a member's leaving does not show whether they had answered.
        """
        return self.responses / self.invitations if self.invitations else None


def response_counts(wave: Wave, visible: set[int] | None) -> list[TeamCount]:
    """Responses and invitations issued per visible team of the wave, by COUNT queries.

    Never scores (anonymity invariant 3).
    """
    team_ids = wave_team_ids(wave, visible)
    if not team_ids:
        return []
    responses = dict(
        db.session.execute(
            db.select(Response.team_id, func.count())
            .where(Response.wave_id == wave.id, Response.team_id.in_(team_ids))
            .group_by(Response.team_id)
        ).all()
    )
    issued = invitations.issued_per_team(wave.id, team_ids)
    late = audit.issued_after_open([wave.id], set(team_ids)).get(wave.id, {})
    teams = sorted((t for t in wave.teams if t.id in team_ids), key=lambda t: t.name)
    return [
        TeamCount(t.id, t.name, responses.get(t.id, 0), issued.get(t.id, 0), late.get(t.id, 0))
        for t in teams
    ]


def response_totals(listed: list[Wave], visible: set[int] | None) -> dict[int, tuple[int, int]]:
    """(responses, invitations issued) per wave id over its visible teams, in two queries.

    Never scores (anonymity invariant 3).
    """
    if not listed:
        return {}
    wave_ids = [w.id for w in listed]

    def per_wave(model):
        query = db.select(model.wave_id, func.count()).where(model.wave_id.in_(wave_ids))
        if visible is not None:
            query = query.where(model.team_id.in_(visible))
        return dict(db.session.execute(query.group_by(model.wave_id)).all())

    responses, issued = per_wave(Response), per_wave(Invitation)
    return {i: (responses.get(i, 0), issued.get(i, 0)) for i in wave_ids}


def close(wave: Wave, now: dt.datetime | None = None) -> bool:
    """Close the wave and store its aggregates, once; False if it was already closed.

    The conditional UPDATE makes closing safe against a second process doing the same at
    the same moment: only the one whose UPDATE changes the row computes and stores results,
    in the same transaction, which also reduces the wave's invitations to per-team counts
    (:func:`surveys.services.invitations.forget_participation`). Commits, then rewrites the
    anonymous tables' storage order (:func:`surveys.services.anonymity.rewrite_storage_order`);
    if that fails the wave stays closed and the error is logged.
    """
    now = now or utcnow()
    wave_id = wave.id
    claimed = db.session.execute(
        db.update(Wave)
        .where(Wave.id == wave_id, Wave.closed_at.is_(None))
        .values(closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        db.session.refresh(wave)
        return False
    db.session.refresh(wave)
    try:
        results.store(wave)
        invitations.forget_participation(wave_id)
        anonymity.renew_out_of_line_values(wave_id)
        anonymity.blur_transaction_ids(wave_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    # After the commit: VACUUM cannot run inside a transaction, and CLUSTER drops the row
    # versions that the blur replaced only once the blur has committed.
    try:
        anonymity.rewrite_storage_order()
    except Exception:
        # The results are stored and the wave must stay closed; the next close retries the
        # rewrite, which covers every wave's rows.
        current_app.logger.exception("wave %s closed, but rewriting storage order failed", wave_id)
    return True


# Sets of closed full waves (by database) this process tried to fit the model to and could
# not (too few respondents): the closer asks every minute and must not re-read them each time.
_unfittable: set[tuple[str, frozenset[int]]] = set()


def refresh_trust_model() -> bool:
    """Fit the trust model again if a full wave closed since the latest fit; True if it did.

    Run by the closer after closing due waves (and by ``trustsurvey close-due-waves``),
    not by a close itself: the bootstrap takes seconds on a large organisation, a
    facilitator's close should not wait for it, and a failed fit must neither reopen a
    wave nor lose its results. Commits its own work.
    """
    wanted = frozenset(calibration.closed_full_wave_ids())
    latest = calibration.latest()
    tried = (str(db.engine.url), wanted)
    if not wanted or tried in _unfittable:
        return False
    if latest is not None and frozenset(latest.wave_ids) == wanted:
        return False
    if calibration.calibrate(results.answer_matrix) is None:
        _unfittable.add(tried)
        return False
    db.session.commit()
    return True


def close_due(now: dt.datetime | None = None) -> tuple[list[Wave], list[tuple[Wave, Exception]]]:
    """Close every wave past its close date.

    Returns the waves this call closed, and the waves whose closing failed with the error;
    one failing wave does not keep the others open.
    """
    now = now or utcnow()
    due = db.session.scalars(
        db.select(Wave).where(Wave.closed_at.is_(None), Wave.closes_at <= now).order_by(Wave.id)
    ).all()
    closed, failed = [], []
    for wave in due:
        try:
            if close(wave, now):
                closed.append(wave)
        except Exception as error:  # reported to the caller; this wave stays open
            failed.append((wave, error))
    try:
        refresh_trust_model()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("fitting the trust model failed")
    return closed, failed
