"""One-time invitation links.

A token is an HMAC of the invitation's random nonce under the app's secret key; the
database stores only a SHA-256 hash of it. Links can therefore be printed again for a
mail-merge, but a copy of the database alone cannot be used to answer as anyone.

An unused invitation of a member who has left the roster (deactivated, for instance by a
re-import with "deactivate missing") is *withdrawn*: its link takes no answer and it is
left out of link lists. This is decided when invitations are read, from ``Member.active``,
never stored, so reactivating the member makes the same link work again. Response rates and
team sizes still count it (:func:`issued_per_team`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass

import segno
import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, gettext
from markupsafe import Markup
from sqlalchemy import func

from surveys.db import db
from surveys.i18n import format_date_time
from surveys.models import (
    Delivery,
    Invitation,
    Mailing,
    Member,
    Organisation,
    Team,
    User,
    Wave,
    random_id,
    wave_team,
)
from surveys.services import audit, organisation


def token_for(nonce: str, secret: str | None = None) -> str:
    secret = secret or current_app.config["SECRET_KEY"]
    digest = hmac.new(secret.encode(), b"invitation:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()  # 144 bits, 24 URL-safe characters


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(invitation: Invitation) -> str:
    return token_for(invitation.nonce)


def link(token: str) -> str:
    """The survey address of a token, under TRUSTSURVEY_BASE_URL when it is set.

    Without it the link uses the host of the current request, which is whatever address the
    facilitator happened to open (an internal name, a port-forward) and may not work for
    the people the link is printed for.
    """
    base = current_app.config.get("BASE_URL")
    if not base:
        return url_for("respond.survey", token=token, _external=True)
    # The route's path from the application root; the base URL carries any prefix.
    return base + current_app.url_map.bind("").build("respond.survey", {"token": token})


def qr_svg(text: str) -> Markup:
    """A QR code of ``text`` as an inline SVG element, made here: nothing is fetched.

    A full QR code (phone cameras do not all read Micro QR) at error correction level M
    (segno raises it when the version has room), the standard quiet zone of four modules,
    and no size, so the style sheet sizes it. segno draws with presentation attributes
    only, which the page's CSP allows (it forbids style attributes).
    """
    code = segno.make(text, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None)
    return Markup(svg)  # noqa: S704  (segno's markup: the text becomes path data, never copied)


# Every language a printed card speaks, as (locale, HTML lang tag).
CARD_LANGUAGES = (("zh_Hans", "zh-Hans"), ("en", "en"))


def card_lines(wave: Wave) -> list[tuple[str, str]]:
    """The invitation text of a printed card in every language, as (HTML lang tag, text).

    A card is handed out before anyone knows which language its holder reads, so it says
    everything in both, whatever language the facilitator printed it in.
    """
    lines = []
    for locale, tag in CARD_LANGUAGES:
        with force_locale(locale):
            closes = format_date_time(organisation.to_local(wave.closes_at))
            lines.append(
                (
                    tag,
                    gettext(
                        "You are invited to an anonymous survey about trust in your team. Scan the "
                        "code or type the link below; it works once, until %(closes)s (%(zone)s). "
                        "Your answers are never linked to you.",
                        closes=closes,
                        zone=organisation.time_zone_name(),
                    ),
                )
            )
    return lines


@dataclass(frozen=True)
class Link:
    """A respondent's link as the survey pages need it, read in one query by :func:`find`.

    ``id``, ``wave_id`` and ``team_id`` are the invitation's, under the names of
    :class:`~surveys.models.Invitation`'s columns, so either can be recorded against.
    """

    id: int
    token_hash: str
    used: bool
    withdrawn: bool  # unused, and its member is no longer active (see the module doc)
    wave: Wave
    wave_id: int
    team_id: int
    team_name: str


def _find_statement() -> sa.Select:
    return (
        db.select(
            Wave,
            Invitation.id,
            Invitation.used,
            Invitation.team_id,
            Team.name.label("team_name"),
            Member.active.label("member_active"),
            Organisation,
        )
        .join(Invitation, Invitation.wave_id == Wave.id)
        .join(Team, Team.id == Invitation.team_id)
        .outerjoin(Member, Member.id == Invitation.member_id)
        .outerjoin(Organisation, organisation.first_organisation())
        .where(Invitation.token_hash == sa.bindparam("token_hash"))
    )


def find(token: str) -> Link | None:
    """The link a token belongs to, or None (also for malformed tokens).

    One query reads everything the survey page and the checks before a submission use (the
    invitation, its wave, team and member, and the organisation's settings, kept for the
    rest of the request by :func:`surveys.services.organisation.remember`): the page then
    needs the database no more, and it loads one model object, the wave, where loading the
    invitation with its wave, team and member took twice the time.
    """
    if not token or len(token) > 64:
        return None
    token_hash = hash_token(token)
    row = db.session.execute(_FIND, {"token_hash": token_hash}).first()
    if row is None:
        return None
    organisation.remember(row.Organisation)
    return Link(
        id=row.id,
        token_hash=token_hash,
        used=row.used,
        withdrawn=not row.used and row.member_active is False,
        wave=row.Wave,
        wave_id=row.Wave.id,
        team_id=row.team_id,
        team_name=row.team_name,
    )


_FIND = _find_statement()


def issue(
    wave: Wave, members: list[Member], audited_by: User | None = None
) -> list[tuple[Invitation, str]]:
    """Create one invitation per member who has none in this wave, commit, and return them
    with their tokens.

    ``audited_by``: the admin who confirmed invitations after the wave opened; the audit log
    records how many each team got, in the same transaction.
    """
    have = set(
        db.session.scalars(
            db.select(Invitation.member_id).where(Invitation.wave_id == wave.id)
        ).all()
    )
    issued = []
    for member in members:
        if member.id in have:
            continue
        nonce = random_id()
        token = token_for(nonce)
        invitation = Invitation(
            wave=wave,
            team_id=member.team_id,
            member=member,
            nonce=nonce,
            token_hash=hash_token(token),
        )
        db.session.add(invitation)
        issued.append((invitation, token))
    if audited_by is not None:
        per_team = Counter(invitation.team_id for invitation, _token in issued)
        audit.add_events(wave, audited_by, audit.Action.ISSUED_AFTER_OPEN, per_team)
    db.session.commit()
    return issued


def issued_per_team(wave_id: int, team_ids: list[int]) -> dict[int, int]:
    """How many invitations the wave issued, by team id (teams with none are absent).

    This is the population the wave invited: every response used one of these invitations,
    so a team's count is never below its number of responses. Withdrawn invitations count
    too: if a member's leaving took their invitation out only when it was unused, the count
    would drop or stay put with the member's leaving and so tell whether they had answered.

    Once the wave has closed the count is read from ``wave_team.invitations_issued``, stored
    by :func:`forget_participation`; before, from the invitation rows.
    """
    if not team_ids:
        return {}
    stored = dict(
        db.session.execute(
            db.select(wave_team.c.team_id, wave_team.c.invitations_issued).where(
                wave_team.c.wave_id == wave_id,
                wave_team.c.team_id.in_(team_ids),
                wave_team.c.invitations_issued.is_not(None),
            )
        ).all()
    )
    live = [t for t in team_ids if t not in stored]
    counted = {}
    if live:
        counted = dict(
            db.session.execute(
                db.select(Invitation.team_id, func.count())
                .where(Invitation.wave_id == wave_id, Invitation.team_id.in_(live))
                .group_by(Invitation.team_id)
            ).all()
        )
    counted.update({team: n for team, n in stored.items() if n})
    return counted


def forget_participation(wave_id: int) -> None:
    """Reduce who was invited and who answered to per-team counts (the caller commits).

    Stores each team's number of invitations in ``wave_team.invitations_issued``, then
    clears every invitation row of the wave down to its token hash, wave and team: no
    member, no nonce (the link can no longer be recreated) and ``used`` false for all, so
    that nothing in the database says whether a given person took part. The email
    deliveries of the wave, which name invitations (a reminder went to those who had not
    answered), are deleted; their mailings keep only counts. A closed link still belongs
    to its wave and team, so its holder can be shown that team's results later.
    """
    # One grouped count and one batch of updates by primary key: a count correlated with
    # each wave_team row would scan the wave's invitations once per team (the invitation
    # table is indexed by wave only), minutes for a wave of thousands of teams.
    issued = dict(
        db.session.execute(
            db.select(Invitation.team_id, func.count())
            .where(Invitation.wave_id == wave_id)
            .group_by(Invitation.team_id)
        ).all()
    )
    team_ids = db.session.scalars(
        db.select(wave_team.c.team_id).where(wave_team.c.wave_id == wave_id)
    ).all()
    if team_ids:
        db.session.execute(
            db.update(wave_team)
            .where(
                wave_team.c.wave_id == wave_id,
                wave_team.c.team_id == db.bindparam("team"),
            )
            .values(invitations_issued=db.bindparam("issued")),
            [{"team": team, "issued": issued.get(team, 0)} for team in team_ids],
        )
    db.session.execute(
        db.delete(Delivery)
        .where(Delivery.mailing_id.in_(db.select(Mailing.id).where(Mailing.wave_id == wave_id)))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        db.update(Invitation)
        .where(Invitation.wave_id == wave_id)
        .values(member_id=None, used=False, nonce="")
        .execution_options(synchronize_session=False)
    )
