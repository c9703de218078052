"""Bounces that arrive after sending: delivery status notifications (RFC 3464) read from the
mailbox where the return path's mail lands.

A mail server that accepted a message may fail to deliver it later, and then mails a report
(``multipart/report; report-type=delivery-status``) to the message's envelope sender. Each
report is matched to its delivery by the random tag every message carries
(:attr:`surveys.models.Delivery.tag`): in the returned message's Message-ID, in the
report's Original-Envelope-Id, or, with VERP, in the address the report was sent to. A
report whose recipients failed marks the delivery ``bounced``, with the status and the
server's diagnostic: admins see it per member for the invitation mailing, facilitators see it
in the mailing's count of messages not delivered, as for a refusal at sending time.

Nothing new is stored: the tag names a delivery row, which closing the wave deletes with the
rest of who was invited (:func:`surveys.services.invitations.forget_participation`), so a
report read after close matches nothing and changes nothing. Reports of the product's own
messages are removed from the mailbox once read, unless asked to keep them: a returned
message holds the link it carried, which never reached its member and still works.
Everything else in the mailbox is left as it was.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import enum
import imaplib
import mailbox
import ssl
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

from surveys.db import db
from surveys.models import Delivery, Mailing
from surveys.services import delivery

# Headers of the report itself that may carry the address it was sent to (VERP).
ADDRESSED_TO = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")


class Outcome(enum.StrEnum):
    BOUNCED = "bounced"  # recorded now
    KNOWN = "known"  # the delivery had already failed or bounced
    FORGOTTEN = "forgotten"  # names no current delivery: its wave closed (or a made-up tag)
    NOT_FAILED = "not_failed"  # a report of delay, relay or delivery: nothing to record
    UNMATCHED = "unmatched"  # a report without a tag of this product
    NOT_A_REPORT = "not_a_report"  # any other message


@dataclass(frozen=True)
class Report:
    """What one delivery status notification says about the product's message."""

    tags: list[str]  # delivery tags named in the report, in the order found
    failed: bool
    reason: str  # status and diagnostic of the failed recipients, for the admin


def _header_blocks(part: Message) -> list[Message]:
    """The field groups of a ``message/delivery-status`` part: per message, then per recipient."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload
    text = payload if isinstance(payload, str) else ""
    return [HeaderParser().parsestr(block) for block in text.strip().split("\n\n") if block]


def _returned_headers(part: Message) -> str:
    """The Message-ID and References of the returned message or its headers, as text."""
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        original = payload[0] if isinstance(payload, list) and payload else None
    else:  # text/rfc822-headers
        original = HeaderParser().parsestr(part.get_payload(decode=True).decode("ascii", "replace"))
    if original is None:
        return ""
    return " ".join(str(original.get(name, "")) for name in ("Message-ID", "References"))


def parse(message: Message) -> Report | None:
    """The report a message is, or None when it is not a delivery status notification."""
    if message.get_content_type() != "multipart/report":
        return None
    if message.get_param("report-type", "").lower() != "delivery-status":
        return None
    blocks: list[Message] = []
    places = [str(message.get(name, "")) for name in ADDRESSED_TO]
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            blocks = _header_blocks(part)
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            places.append(_returned_headers(part))
    if not blocks:
        return None
    places.append(str(blocks[0].get("Original-Envelope-Id", "")))
    failed = [b for b in blocks[1:] if str(b.get("Action", "")).strip().lower() == "failed"]
    reason = "; ".join(
        " ".join(
            str(b.get(field, "")).strip()
            for field in ("Final-Recipient", "Status", "Diagnostic-Code")
            if b.get(field)
        )
        for b in failed
    )
    tags = [tag for text in places for tag in delivery.tags_in(text)]
    return Report(tags, bool(failed), reason)


def record(report: Report) -> Outcome:
    """Mark the report's delivery bounced when it says its message failed, and commit.

    Only a message the server took (sent) or may have taken (interrupted) can bounce; one
    refused at sending time already says so.
    """
    if not report.tags:
        return Outcome.UNMATCHED
    row = db.session.scalar(db.select(Delivery).where(Delivery.tag.in_(report.tags)).limit(1))
    if row is None:
        # Gone with its wave's close, or never ours: either way it changes nothing.
        return Outcome.FORGOTTEN
    if not report.failed:
        return Outcome.NOT_FAILED
    changed = db.session.execute(
        db.update(Delivery)
        .where(Delivery.id == row.id, Delivery.status.in_(("sent", "sending")))
        .values(status="bounced", error=report.reason[: delivery.ERROR_CHARS])
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not changed:
        return Outcome.KNOWN
    delivery.recount(db.session.get(Mailing, row.mailing_id))
    return Outcome.BOUNCED


def open_mailbox(path: Path) -> mailbox.Mailbox:
    """The Maildir (a folder with cur/, new/ and tmp/) or mbox (a file) at ``path``."""
    if path.is_dir():
        if not all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
            raise ValueError(f"{path}: a folder, but not a Maildir (no cur/, new/ and tmp/)")
        return mailbox.Maildir(path, factory=None, create=False)
    if path.is_file():
        return mailbox.mbox(path, factory=None, create=False)
    raise ValueError(f"{path}: no such Maildir or mbox")


def read_one(raw: bytes) -> Outcome:
    """Read one message as it came (bytes), record what it reports, and say what it was."""
    report = parse(email.message_from_bytes(raw, policy=email.policy.compat32))
    return Outcome.NOT_A_REPORT if report is None else record(report)


def _ours(outcome: Outcome) -> bool:
    """True for a report of the product's own email, which is removed once read."""
    return outcome not in (Outcome.NOT_A_REPORT, Outcome.UNMATCHED)


def read_mailbox(path: Path, keep: bool = False) -> Counter[Outcome]:
    """Read every message of the mailbox, record the bounces, and remove the product's own
    reports unless ``keep``; how many messages had each outcome."""
    box = open_mailbox(path)
    box.lock()
    try:
        outcomes: Counter[Outcome] = Counter()
        for key in list(box.keys()):
            outcome = read_one(box.get_bytes(key))
            outcomes[outcome] += 1
            if not keep and _ours(outcome):
                box.discard(key)
        box.flush()
    finally:
        box.unlock()
        box.close()
    return outcomes


def read_imap(config: Mapping, keep: bool = False) -> Counter[Outcome]:
    """:func:`read_mailbox` for the IMAP folder of ``config`` (the app's BOUNCE_IMAP_*).

    Messages are fetched without marking them read, so that other mail in the folder stays
    as it was; the product's own reports are flagged deleted and expunged unless ``keep``.
    """
    host, port = config["BOUNCE_IMAP_HOST"], config["BOUNCE_IMAP_PORT"]
    timeout = config.get("SMTP_TIMEOUT", 30)
    if config["BOUNCE_IMAP_SECURITY"] == "ssl":
        client = imaplib.IMAP4_SSL(
            host, port, ssl_context=ssl.create_default_context(), timeout=timeout
        )
    else:
        client = imaplib.IMAP4(host, port, timeout=timeout)
        if config["BOUNCE_IMAP_SECURITY"] == "starttls":
            client.starttls(ssl_context=ssl.create_default_context())
    outcomes: Counter[Outcome] = Counter()
    try:
        client.login(config["BOUNCE_IMAP_USERNAME"] or "", config["BOUNCE_IMAP_PASSWORD"] or "")
        _check(client.select(_quoted(config["BOUNCE_IMAP_FOLDER"])), "select the folder")
        found = _check(client.uid("SEARCH", None, "ALL"), "list the messages")
        for uid in found[0].split() if found and found[0] else []:
            fetched = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"), "fetch a message")
            raw = next(part[1] for part in fetched if isinstance(part, tuple))
            outcome = read_one(raw)
            outcomes[outcome] += 1
            if not keep and _ours(outcome):
                _check(client.uid("STORE", uid, "+FLAGS", "(\\Deleted)"), "remove a report")
        if not keep:
            client.expunge()
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()  # the work is stored; a connection lost at the end changes nothing
    return outcomes


def _quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string (names may hold spaces)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(reply: tuple[str, list], doing: str) -> list:
    status, data = reply
    if status != "OK":
        raise imaplib.IMAP4.error(f"could not {doing}: {status} {data!r}")
    return data
