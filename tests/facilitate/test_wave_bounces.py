"""Bounces that arrive after sending: delivery status notifications (RFC 3464) in a real
Maildir or mbox on disk, about messages a real SMTP server (aiosmtpd) received.

Admins see which invitation emails bounced, per member; facilitators see counts; a reminder
skips an address whose invitation bounced; nothing is matched or kept after close.
"""

from __future__ import annotations

import mailbox
import os
import re

import pytest

from surveys.db import db
from surveys.models import Delivery, Mailing, Wave
from surveys.services import bounces, delivery, waves
from tests import imap_server
from tests.helpers import issue_invitations

EN = {"Accept-Language": "en"}


@pytest.fixture
def imap(app):
    """A real IMAP server (Dovecot) on loopback, and the app set to read bounces from it."""
    if not imap_server.available():
        if os.environ.get("TRUSTSURVEY_REQUIRE_SERVICES") == "1":
            pytest.fail("dovecot is not installed but scripts/test requires it")
        pytest.skip("dovecot is not installed (scripts/test installs dovecot-imapd)")
    with imap_server.dovecot() as server:
        app.config.update(
            BOUNCE_MAILBOX=None,
            BOUNCE_IMAP_HOST="127.0.0.1",
            BOUNCE_IMAP_PORT=server.port,
            BOUNCE_IMAP_SECURITY="none",
            BOUNCE_IMAP_USERNAME=server.username,
            BOUNCE_IMAP_PASSWORD=server.password,
            BOUNCE_IMAP_FOLDER="INBOX",
        )
        yield server


def _dsn(
    sent: bytes,
    recipient: str,
    *,
    action: str = "failed",
    status: str = "5.1.1",
    returned: str | None = "headers",
    to: str = "survey@example.org",
) -> bytes:
    """A delivery status notification as Postfix writes one (RFC 3464 and RFC 6522):
    a human-readable part, the machine-readable ``message/delivery-status`` part (per-message
    fields, a blank line, per-recipient fields), and the returned message or its headers."""
    headers, _, _body = sent.replace(b"\r\n", b"\n").partition(b"\n\n")
    if returned == "headers":
        third = b"Content-Type: text/rfc822-headers\n\n" + headers + b"\n"
    elif returned == "full":
        third = b"Content-Type: message/rfc822\n\n" + sent.replace(b"\r\n", b"\n")
    else:
        third = b""
    boundary = b"B0UNDARY.1764590000/mx.example.net"
    parts = [
        b"Content-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
        b"This is the mail system at host mx.example.net.\n\nI'm sorry to have to inform you "
        b"that your message could not\nbe delivered to one or more recipients.\n",
        b"Content-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        b"Reporting-MTA: dns; mx.example.net\nArrival-Date: Tue, 1 Dec 2026 10:00:00 +0000\n\n"
        b"Final-Recipient: rfc822; " + recipient.encode() + b"\n"
        b"Original-Recipient: rfc822;" + recipient.encode() + b"\n"
        b"Action: " + action.encode() + b"\nStatus: " + status.encode() + b"\n"
        b"Remote-MTA: dns; mail.example.org\n"
        b"Diagnostic-Code: smtp; 550 " + status.encode() + b" <" + recipient.encode() + b">: "
        b"Recipient address rejected: User unknown in local recipient table\n",
    ]
    if third:
        parts.append(b"Content-Description: Undelivered Message Headers\n" + third)
    body = b"".join(b"--" + boundary + b"\n" + part + b"\n" for part in parts)
    return (
        b"Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
        b"To: " + to.encode() + b"\nDate: Tue, 1 Dec 2026 10:05:00 +0000\n"
        b"Subject: Undelivered Mail Returned to Sender\n"
        b"Message-Id: <20261201100500.4F2A1@mx.example.net>\nAuto-Submitted: auto-replied\n"
        b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;\n"
        b'\tboundary="' + boundary + b'"\n\n'
        b"This is a MIME-encapsulated message.\n\n" + body + b"--" + boundary + b"--\n"
    )


def _sent_to(smtp, address: str) -> tuple[str, bytes]:
    """(envelope sender, message) of the last message the server took for ``address``."""
    found = [
        envelope
        for (rcpt, _m), envelope in zip(smtp.received, smtp.envelopes, strict=True)
        if address in rcpt
    ]
    return found[-1]


def _maildir(tmp_path, *messages: bytes) -> mailbox.Maildir:
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    for message in messages:
        box.add(message)
    return box


def _read(app, path) -> str:
    result = app.test_cli_runner().invoke(args=["read-bounces", "--mailbox", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def _statuses(app) -> dict[str, str]:
    with app.app_context():
        rows = db.session.scalars(db.select(Delivery).order_by(Delivery.id))
        return {row.invitation.member.email: row.status for row in rows}


def test_a_later_bounce_is_shown_per_member_to_admins_and_as_a_count_to_facilitators(
    app, client, world, login, make_wave, smtp, tmp_path
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    login(world.fac_a)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    _sender, sent = _sent_to(smtp, "ann2@example.org")
    _sender, other = _sent_to(smtp, "ann4@example.org")
    someone_elses = other.replace(b"Message-ID: <ts-", b"Message-ID: <not-ours-")
    box = _maildir(
        tmp_path,
        _dsn(sent, "ann2@example.org"),
        _dsn(someone_elses, "ann4@example.org"),  # a bounce of a message not sent by us
        b"From: hr@example.org\nTo: survey@example.org\nSubject: question\n\nHello\n",
    )
    output = _read(app, box._path)
    assert "1 bounces recorded" in output
    assert "1 reports not of this product, 1 other messages" in output
    assert _statuses(app)["ann2@example.org"] == "bounced"
    assert sorted(s for s in _statuses(app).values()) == ["bounced"] + 5 * ["sent"]
    # Read once: the product's report left the mailbox, the others stayed.
    assert len(mailbox.Maildir(box._path, create=False)) == 2

    # The facilitator sees counts only.
    page = client.get(f"/manage/waves/{wave_id}", headers=EN).get_data(as_text=True)
    row = re.search(
        r'<td data-label="What">invitations</td>\s*<td class="num" data-label="Sent">(\d+)</td>'
        r'\s*<td class="num" data-label="Not delivered">(\d+)</td>',
        page,
    )
    assert row.groups() == ("5", "1")
    assert "ann2@example.org" not in page and "Ann 2" not in page
    # The admin sees whose invitation came back, and why.
    login(world.admin)
    page = client.get(f"/manage/waves/{wave_id}", headers=EN).get_data(as_text=True)
    problems = page[page.index("Invitation emails that did not arrive") :]
    assert re.search(
        r"Ann 2.*?ann2@example.org.*?returned by the mail server after sending "
        r"\(rfc822; ann2@example.org 5\.1\.1 smtp; 550 5\.1\.1",
        problems,
        re.S,
    )
    assert "Ann 4" not in problems
    # Reading again records nothing twice.
    assert "0 bounces recorded" in _read(app, box._path)


def test_a_bounce_in_an_mbox_is_matched_by_its_returned_message_or_by_verp(
    app, client, world, login, make_wave, smtp, tmp_path
):
    app.config.update(MAIL_RETURN_PATH="bounces@example.org", MAIL_VERP=True)
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    sender, full = _sent_to(smtp, "ann1@example.org")
    assert re.fullmatch(r"bounces\+ts-[0-9a-f]{32}@example\.org", sender)
    verp_sender, headerless = _sent_to(smtp, "ann3@example.org")
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(path, create=True)
    box.add(_dsn(full, "ann1@example.org", returned="full", to="bounces@example.org"))
    # Nothing of the message came back: only the address the report went to names it.
    box.add(_dsn(headerless, "ann3@example.org", returned=None, to=verp_sender))
    box.flush()
    box.close()
    assert "2 bounces recorded" in _read(app, path)
    statuses = _statuses(app)
    assert statuses["ann1@example.org"] == statuses["ann3@example.org"] == "bounced"
    assert sorted(statuses.values()).count("sent") == 4
    left = mailbox.mbox(path, create=False)
    assert len(left) == 0
    left.close()


def test_a_made_up_or_delayed_report_changes_nothing(
    app, client, world, login, make_wave, smtp, tmp_path
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    _sender, sent = _sent_to(smtp, "ann0@example.org")
    made_up = re.sub(rb"Message-ID: <ts-[0-9a-f]{32}", b"Message-ID: <ts-" + 32 * b"a", sent)
    box = _maildir(
        tmp_path,
        _dsn(made_up, "ann0@example.org"),
        _dsn(sent, "ann0@example.org", action="delayed", status="4.4.1"),
    )
    output = _read(app, box._path)
    assert "0 bounces recorded" in output and "1 delays or other reports" in output
    assert "1 of no current email" in output
    assert set(_statuses(app).values()) == {"sent"}


def test_after_close_a_bounce_matches_nothing_and_the_counts_stay(
    app, client, world, login, make_wave, smtp, tmp_path
):
    wave_id = make_wave([world.alpha], k=3)
    issue_invitations(app, wave_id)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    _sender, sent = _sent_to(smtp, "ann5@example.org")
    with app.app_context():
        waves.close(db.session.get(Wave, wave_id))
    box = _maildir(tmp_path, _dsn(sent, "ann5@example.org"))
    assert "1 of no current email (closed waves)" in _read(app, box._path)
    with app.app_context():
        assert db.session.scalars(db.select(Delivery)).all() == []
        mailing = db.session.scalar(db.select(Mailing))
        assert (mailing.sent, mailing.failed) == (6, 0)
    assert len(mailbox.Maildir(box._path, create=False)) == 0  # it held a link: removed


def test_a_reminder_skips_an_address_whose_invitation_bounced_and_lists_no_one(
    app, client, world, login, make_wave, smtp, tmp_path
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    _sender, sent = _sent_to(smtp, "ann2@example.org")
    _read(app, _maildir(tmp_path, _dsn(sent, "ann2@example.org"))._path)
    before = len(smtp.received)
    client.post(f"/manage/waves/{wave_id}/mail/reminder")
    with app.app_context():
        delivery.finish_background(timeout=30)  # reminders are sent after the request
    reminded = sorted(rcpt[0] for rcpt, _m in smtp.received[before:])
    assert reminded == [f"ann{i}@example.org" for i in (0, 1, 3, 4, 5)]
    # A reminder's bounce is recorded but not shown: its recipients are those who had not
    # answered, so even its count would say something of them beside the response count.
    _sender, reminder = _sent_to(smtp, "ann4@example.org")
    _read(app, _maildir(tmp_path, _dsn(reminder, "ann4@example.org"))._path)
    page = client.get(f"/manage/waves/{wave_id}", headers=EN).get_data(as_text=True)
    problems = page[page.index("Invitation emails that did not arrive") :]
    assert "Ann 2" in problems and "Ann 4" not in problems
    assert re.search(
        r'<td data-label="What">reminder</td>(\s*<td class="num" data-label="[^"]+">–</td>){3}',
        page,
    )
    with app.app_context():
        kinds = {m.kind: m.failed for m in db.session.scalars(db.select(Mailing))}
    assert kinds == {"invitation": 1, "reminder": 1}


def test_messages_carry_random_tags_and_go_out_in_their_order_not_the_rosters(
    app, client, world, login, make_wave, smtp
):
    """A serial number in a Message-ID, or the roster's order of sending, would let two
    members who compare their reminders tell how many between them had not answered."""
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    with app.app_context():
        tags = {
            row.invitation.member.email: row.tag for row in db.session.scalars(db.select(Delivery))
        }
    assert all(re.fullmatch(r"[0-9a-f]{32}", tag) for tag in tags.values())
    sent = [(rcpt[0], message["Message-ID"]) for rcpt, message in smtp.received]
    assert [m for _to, m in sent] == [f"<ts-{tags[to]}@example.org>" for to, _m in sent]
    assert [to for to, _m in sent] == sorted(tags, key=tags.get)


def test_a_message_that_is_not_a_delivery_report_is_not_read_as_one():
    assert bounces.parse(mailbox.Message(b"Subject: hello\n\nhi\n")) is None
    feedback = b"Content-Type: multipart/report; report-type=feedback-report; boundary=x\n\n--x--\n"
    assert bounces.parse(mailbox.Message(feedback)) is None


def test_a_bounce_in_an_imap_folder_is_recorded_and_other_mail_is_left_unread(
    app, client, world, login, make_wave, smtp, imap
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    _sender, sent = _sent_to(smtp, "ann2@example.org")
    _sender, other = _sent_to(smtp, "ann4@example.org")
    someone_elses = other.replace(b"Message-ID: <ts-", b"Message-ID: <not-ours-")
    mail = imap.connect()
    for message in (
        _dsn(sent, "ann2@example.org"),
        _dsn(someone_elses, "ann4@example.org"),
        b"From: hr@example.org\nTo: survey@example.org\nSubject: question\n\nHello\n",
    ):
        mail.append("INBOX", None, None, message.replace(b"\n", b"\r\n"))
    mail.logout()

    result = app.test_cli_runner().invoke(args=["read-bounces"])
    assert result.exit_code == 0, result.output
    assert "1 bounces recorded" in result.output
    assert "1 reports not of this product, 1 other messages" in result.output
    assert sorted(_statuses(app).values()) == ["bounced"] + 5 * ["sent"]
    assert _statuses(app)["ann2@example.org"] == "bounced"
    mail = imap.connect()
    mail.select("INBOX")
    _status, flags = mail.fetch("1:*", "(FLAGS)")
    mail.logout()
    assert len(flags) == 2  # the product's report was expunged, the other two stayed ...
    assert not any(b"\\Seen" in line for line in flags)  # ... and were not marked read


def test_a_refused_imap_sign_in_is_one_clear_line(app, imap):
    app.config["BOUNCE_IMAP_PASSWORD"] = "wrong"
    result = app.test_cli_runner().invoke(args=["read-bounces"])
    assert result.exit_code == 1
    assert f"127.0.0.1:{imap.port}:" in result.output and "Traceback" not in result.output
