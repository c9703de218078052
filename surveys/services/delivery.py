"""Email delivery of invitation links and reminders (anonymity invariant 7).

Links travel from the product to the person: each member with an email address gets their
own link by email, in both languages (the member's language is not known), and no user sees
it. A *mailing* is one batch, the wave's invitations or a reminder to those who have not
answered; it plans one ``Delivery`` per member and then sends them one at a time.

Sending is resumable and at most once. Each delivery is claimed (``pending`` to ``sending``,
a conditional UPDATE, committed) before its message is handed to the server, and marked
``sent`` or ``failed`` after. An interruption between the two (a crash, a lost connection
during the message) leaves it ``sending``: it may have gone out, so it is never sent again,
and it is reported as unknown. Running a mailing again (the wave page, or
``trustsurvey send-mail``) continues with the deliveries still pending. Two processes running
one mailing at once each claim different deliveries.

A refused address (a 5xx reply to the recipient or the message) fails that delivery alone and
the batch goes on; a temporary refusal (4xx) defers it to the next run. Bounces that arrive
later, as delivery status notifications in the return path's mailbox, are read by
:mod:`surveys.services.bounces`: every message carries its delivery's random tag (in its
Message-ID, and with VERP in its envelope sender), so a bounce is matched to the delivery
by a value that cannot be guessed, says nothing about the roster's order or the size of the
batch (a serial number would: a member's place among those reminded), and means nothing once
the wave has closed and its deliveries are gone. A batch goes out in the order of these tags,
not of the roster, so that the sending times of two messages say nothing about who is between.

Who learns what: facilitators see counts only. Admins see, per member, the failures of the
invitation mailing, to correct an address or hand over a printed card. A reminder's
recipients are those who have not answered, so its failures are counted and never listed, and
its number of recipients is not shown to anyone: beside the response count it would tell
whether the members reached only by printed card had answered. Closing the wave deletes the
deliveries and keeps the mailings' counts
(:func:`surveys.services.invitations.forget_participation`).
"""

from __future__ import annotations

import enum
import re
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func

from surveys.db import db
from surveys.i18n import format_date_time
from surveys.models import Delivery, Invitation, Mailing, Member, User, Wave, WaveStatus
from surveys.services import invitations, organisation

# The languages of every message, in this order: the organisation's first language first.
MESSAGE_LANGUAGES = ("zh_Hans", "en")
ERROR_CHARS = 500  # Delivery.error
UNDELIVERED = ("failed", "bounced")  # refused when sent, or bounced later


class Kind(enum.StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"


# The tag of one delivery in its Message-ID and return path: ``ts-`` and its random tag.
TAG = re.compile(r"\bts-([0-9a-f]{32})\b")


def message_tag(row: Delivery) -> str | None:
    """``ts-`` and the delivery's tag; None for a delivery planned before tags existed."""
    return f"ts-{row.tag}" if row.tag else None


def tags_in(text: str) -> list[str]:
    """The delivery tags (:attr:`Delivery.tag`) named in ``text``, in order."""
    return TAG.findall(text or "")


def return_path(tag: str | None) -> str:
    """The envelope sender of a message: where its bounce goes (VERP adds its tag)."""
    config = current_app.config
    address = config.get("MAIL_RETURN_PATH") or config["MAIL_FROM"]
    if not config.get("MAIL_VERP") or tag is None:
        return address
    local, at, domain = address.rpartition("@")
    return f"{local}+{tag}{at}{domain}" if at else f"{address}+{tag}"


class MailServerError(RuntimeError):
    """The mail server could not be reached or refused the sender: nothing more was sent."""


def configured() -> bool:
    """True when the app has a mail server, a sender address and its public address.

    Without TRUSTSURVEY_BASE_URL a link would carry whatever host the sender's browser used,
    and ``trustsurvey send-mail`` has no request to take one from.
    """
    config = current_app.config
    return bool(config.get("SMTP_HOST") and config.get("MAIL_FROM") and config.get("BASE_URL"))


def unfinished(wave: Wave, kind: Kind | None = None) -> Mailing | None:
    """The wave's oldest mailing (of ``kind``, if given) with deliveries still to try, or None.

    Pages ask only about invitations: a reminder still sending says that it had somebody to
    remind, and for how long, how many (see :func:`run_in_background`).
    """
    query = db.select(Mailing).where(
        Mailing.wave_id == wave.id,
        Mailing.id.in_(
            db.select(Delivery.mailing_id).where(Delivery.status.in_(("pending", "deferred")))
        ),
    )
    if kind is not None:
        query = query.where(Mailing.kind == str(kind))
    return db.session.scalar(query.order_by(Mailing.id).limit(1))


def _targets(wave: Wave, team_ids: list[int], kind: Kind) -> list[int]:
    """Invitation ids a new mailing of ``kind`` goes to, in the order of issue."""
    query = (
        db.select(Invitation.id)
        .join(Member, Invitation.member_id == Member.id)
        .where(
            Invitation.wave_id == wave.id,
            Invitation.team_id.in_(team_ids),
            Member.active.is_(True),
            Member.email.is_not(None),
            Member.email != "",
        )
        .order_by(Invitation.id)
    )
    invited = db.select(Delivery.invitation_id).join(Mailing, Delivery.mailing_id == Mailing.id)
    invited = invited.where(Mailing.wave_id == wave.id, Mailing.kind == str(Kind.INVITATION))
    undelivered = invited.where(Delivery.status.in_(UNDELIVERED))
    if kind is Kind.INVITATION:
        # Once each: a failed invitation is tried again (its address may have been corrected).
        query = query.where(
            Invitation.id.not_in(invited.where(Delivery.status.not_in(UNDELIVERED)))
        )
    else:
        # Not to an address whose invitation did not arrive: an admin sees whose invitation
        # failed, and its reminders would fail too. Not twice to a link an earlier reminder
        # still has to reach.
        delivered = invited.where(Delivery.status == "sent")
        reminding = (
            db.select(Delivery.invitation_id)
            .join(Mailing, Delivery.mailing_id == Mailing.id)
            .where(
                Mailing.wave_id == wave.id,
                Mailing.kind == str(Kind.REMINDER),
                Delivery.status.in_(("pending", "deferred")),
            )
        )
        query = query.where(
            Invitation.used.is_(False),
            Invitation.id.not_in(undelivered) | Invitation.id.in_(delivered),
            Invitation.id.not_in(reminding),
        )
    return list(db.session.scalars(query))


def start(wave: Wave, team_ids: list[int], user: User, kind: Kind) -> Mailing | None:
    """Plan a mailing of ``kind`` to the wave's teams ``team_ids`` and commit it; None when
    nobody is left to send an invitation to (a reminder is planned even for nobody).

    An invitation mailing that is still unfinished is returned instead of a new one, so a
    second click continues the first batch rather than sending twice. A reminder is always
    planned anew (its page must not say that an earlier one is still sending), to the links
    that no earlier reminder still has to reach; :func:`run_in_background` sends them all.
    """
    if wave.status() is WaveStatus.CLOSED:
        raise ValueError("the wave is closed")
    if kind is Kind.INVITATION:
        pending = unfinished(wave, kind)
        if pending is not None:
            return pending
    targets = _targets(wave, team_ids, kind)
    # A reminder to nobody looks like any other (a mailing with its counts): "nobody to
    # remind" beside the response count would say whether the members reached only by
    # printed card had answered.
    if not targets and kind is Kind.INVITATION:
        return None
    mailing = Mailing(wave_id=wave.id, kind=str(kind), user_id=user.id, planned=len(targets))
    db.session.add(mailing)
    db.session.flush()
    db.session.add_all(Delivery(mailing_id=mailing.id, invitation_id=i) for i in targets)
    db.session.commit()
    return mailing


def message(wave: Wave, invitation: Invitation, kind: Kind, tag: str | None = None) -> EmailMessage:
    """The email of one invitation: its link, in every language, never the member's name;
    ``tag`` (:func:`message_tag`) makes its Message-ID."""
    config = current_app.config
    link = invitations.link(invitations.token_of(invitation))
    subjects, parts = [], []
    zone = organisation.time_zone_name()
    for locale in MESSAGE_LANGUAGES:
        with force_locale(locale):
            closes = format_date_time(organisation.to_local(wave.closes_at))
            if kind is Kind.INVITATION:
                subjects.append(gettext("Anonymous team survey: %(wave)s", wave=wave.name))
                text = gettext(
                    "You are invited to an anonymous survey about trust in your team "
                    "(%(team)s). Open your own link below; it works once, until %(closes)s "
                    "(%(zone)s). Your answers are never linked to you, and nobody learns whether "
                    "you answered.",
                    team=invitation.team.name,
                    closes=closes,
                    zone=zone,
                )
            else:
                subjects.append(gettext("Reminder: %(wave)s", wave=wave.name))
                text = gettext(
                    "A reminder of the anonymous survey about trust in your team (%(team)s): "
                    "it is open until %(closes)s (%(zone)s). This reminder went out automatically "
                    "to the links not yet used; nobody saw who got it. Your link:",
                    team=invitation.team.name,
                    closes=closes,
                    zone=zone,
                )
            parts.append(f"{text}\n\n{link}\n")
    email = EmailMessage()
    email["Subject"] = " / ".join(subjects)
    email["From"] = config["MAIL_FROM"]
    email["To"] = invitation.member.email
    email["Date"] = formatdate(localtime=False)
    domain = config["MAIL_FROM"].rpartition("@")[2] or None
    email["Message-ID"] = f"<{tag}@{domain or 'localhost'}>" if tag else make_msgid(domain=domain)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content("\n---\n\n".join(parts))
    return email


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    try:
        if config["SMTP_SECURITY"] == "ssl":
            server = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
            if config["SMTP_SECURITY"] == "starttls":
                server.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            server.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
    except (OSError, smtplib.SMTPException) as error:
        raise MailServerError(f"{host}:{port}: {error}") from error
    return server


def _claim(delivery_id: int) -> bool:
    claimed = db.session.execute(
        db.update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.in_(("pending", "deferred")))
        .values(status="sending")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _finish(delivery_id: int, status: str, error: str | None = None) -> None:
    db.session.execute(
        db.update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status=status, error=error[:ERROR_CHARS] if error else None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _refusal(error: smtplib.SMTPException) -> tuple[str, str]:
    """(status, reason) of a refusal the server gave for one message."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
    else:
        code, text = getattr(error, "smtp_code", 0), getattr(error, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    status = "deferred" if 400 <= code < 500 else "failed"
    return status, f"{code} {text}".strip()


def run(mailing: Mailing) -> Mailing:
    """Send the mailing's pending and deferred deliveries, each at most once; commit each.

    Raises :class:`MailServerError` when the server cannot be reached (nothing more is sent;
    run again later). The counts on the mailing are brought up to date in any case.
    """
    wave = db.session.get(Wave, mailing.wave_id)
    kind = Kind(mailing.kind)
    todo = list(
        db.session.scalars(
            db.select(Delivery.id)
            .where(Delivery.mailing_id == mailing.id, Delivery.status.in_(("pending", "deferred")))
            .order_by(Delivery.tag, Delivery.id)
        )
    )
    server = None
    try:
        for delivery_id in todo:
            if server is None:
                server = _connect()  # before the claim: a refused connection sends nothing
            if not _claim(delivery_id):
                continue  # another process has it
            row = db.session.get(Delivery, delivery_id)
            invitation = row.invitation
            member = invitation.member
            if member is None or not member.active or not member.email:
                _finish(delivery_id, "failed", "no longer on the roster with an email address")
                continue
            tag = message_tag(row)
            try:
                email = message(wave, invitation, kind, tag)
            except ValueError as error:  # an address no header can carry
                _finish(delivery_id, "failed", f"address not usable: {error}")
                continue
            try:
                server.send_message(email, from_addr=return_path(tag))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                _finish(delivery_id, *_refusal(error))
                continue
            except smtplib.SMTPSenderRefused as error:
                _finish(delivery_id, *_refusal(error))
                raise MailServerError(f"the server refused the sender: {error}") from error
            except (OSError, smtplib.SMTPException):
                # The connection broke during the message: it may have been accepted, so it
                # stays "sending" (unknown) and is not sent again; the next one reconnects.
                server = None
                continue
            _finish(delivery_id, "sent")
    finally:
        if server is not None:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                server.close()
        recount(mailing)
    return mailing


def run_in_background(mailing: Mailing) -> threading.Thread:
    """Send the mailing, and every other unfinished one of its wave and kind (oldest first),
    from a thread of its own, so that the request that started it returns at once.

    A reminder is sent this way: a request that waited for it would take as long as the
    number of members who had not answered (one message each, and no connection at all for
    nobody), and that time beside the response count would tell whether the members reached
    only by printed card had answered. For the same reason no page shows whether a reminder
    is still sending (a batch that waits for a mail server that is down means somebody was
    left to remind), nor its counts. The thread commits as :func:`run` does; if the process
    stops first, or the server cannot be reached, the deliveries left stay planned for the
    next reminder or ``trustsurvey send-mail``.
    """
    app = current_app._get_current_object()
    wave_id, kind = mailing.wave_id, Kind(mailing.kind)

    def send() -> None:
        with app.app_context():
            wave = db.session.get(Wave, wave_id)
            tried: set[int] = set()
            while (pending := unfinished(wave, kind)) is not None and pending.id not in tried:
                tried.add(pending.id)
                try:
                    run(pending)
                except MailServerError:
                    app.logger.exception(
                        "mailing %s stopped; what was not sent stays planned", pending.id
                    )
                    return
                except Exception:  # the database may be away: the deliveries stay planned
                    app.logger.exception("mailing %s failed", pending.id)
                    return

    thread = threading.Thread(target=send, name=f"mailing-{mailing.id}")
    senders = app.extensions.setdefault("mail_senders", [])
    senders[:] = [t for t in senders if t.is_alive()]
    senders.append(thread)
    thread.start()
    return thread


def finish_background(timeout: float | None = None) -> None:
    """Wait for the mailings sending in the background of this process. (The threads are
    not daemons, so a process that exits waits for them anyway.)"""
    for thread in list(current_app.extensions.get("mail_senders", [])):
        thread.join(timeout)


def recount(mailing: Mailing) -> None:
    """Bring the mailing's counts up to date from its deliveries, and commit."""
    by_status = dict(
        db.session.execute(
            db.select(Delivery.status, func.count())
            .where(Delivery.mailing_id == mailing.id)
            .group_by(Delivery.status)
        ).all()
    )
    if not by_status and mailing.planned:
        return  # the wave closed: the deliveries are gone, the counts stay as they were
    # A bounce read later turns a sent (or interrupted) message into one not delivered.
    mailing.sent = by_status.get("sent", 0)
    mailing.failed = by_status.get("failed", 0) + by_status.get("bounced", 0)
    mailing.unknown = by_status.get("sending", 0)
    db.session.commit()


def resume_all() -> list[tuple[Mailing, Exception | None]]:
    """Run every unfinished mailing of waves that are not closed (``trustsurvey send-mail``)."""
    done = []
    for wave in db.session.scalars(db.select(Wave).where(Wave.closed_at.is_(None))).all():
        if wave.status() is WaveStatus.CLOSED:
            continue
        while (mailing := unfinished(wave)) is not None:
            try:
                run(mailing)
            except MailServerError as error:
                done.append((mailing, error))
                break
            done.append((mailing, None))
            if unfinished(wave) is mailing:
                break  # only deferred deliveries left: try them on the next run
    return done


def mailings(wave: Wave) -> list[Mailing]:
    """The wave's mailings, newest first."""
    return list(
        db.session.scalars(
            db.select(Mailing).where(Mailing.wave_id == wave.id).order_by(Mailing.id.desc())
        )
    )


@dataclass(frozen=True)
class Problem:
    """An invitation email that did not arrive, or may not have (for an admin)."""

    member: str
    email: str
    team: str
    status: str  # failed, bounced (later), deferred or sending (unknown)
    error: str


def invitation_problems(wave: Wave) -> list[Problem]:
    """Per member, the invitation emails of the wave that failed, wait or may not have gone.

    For admins only. Reminders are left out: their recipients are those who had not answered.
    """
    rows = db.session.execute(
        db.select(Member.name, Member.email, Delivery.status, Delivery.error, Invitation.team_id)
        .join(Invitation, Delivery.invitation_id == Invitation.id)
        .join(Member, Invitation.member_id == Member.id)
        .join(Mailing, Delivery.mailing_id == Mailing.id)
        .where(
            Mailing.wave_id == wave.id,
            Mailing.kind == str(Kind.INVITATION),
            Delivery.status.in_(("failed", "bounced", "deferred", "sending")),
        )
        .order_by(Member.name)
    ).all()
    teams = {t.id: t.name for t in wave.teams}
    return [
        Problem(name, email or "", teams.get(team_id, ""), status, error or "")
        for name, email, status, error, team_id in rows
    ]


def without_email(wave: Wave, team_ids: list[int]) -> int:
    """How many active members of these teams have an invitation but no email address."""
    return db.session.scalar(
        db.select(func.count())
        .select_from(Invitation)
        .join(Member, Invitation.member_id == Member.id)
        .where(
            Invitation.wave_id == wave.id,
            Invitation.team_id.in_(team_ids),
            Member.active.is_(True),
            (Member.email.is_(None)) | (Member.email == ""),
        )
    )
