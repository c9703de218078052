"""Links by email: a real SMTP server (aiosmtpd) on loopback, and what it received.

Each member gets their own link in both languages; a reminder reaches only the links not yet
used, and no user sees who got it; refused addresses are reported per member to admins
without stopping the batch, and facilitators see counts only; an interrupted batch resumes
and nobody gets a message twice.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import threading

import pytest

from surveys import instruments
from surveys.db import db
from surveys.models import Delivery, Invitation, Mailing, Member, Team, User, Wave
from surveys.services import delivery, invitations, organisation, waves
from surveys.services.responses import record_response
from tests.helpers import issue_invitations
from tests.served import free_port

FULL = instruments.get("full", "1.0.0")
ANSWERS = {key: 3 for key in FULL.item_keys}


def _links_by_email(app, wave_id) -> dict[str, str]:
    with app.app_context():
        rows = db.session.scalars(db.select(Invitation).where(Invitation.wave_id == wave_id))
        return {inv.member.email: invitations.link(invitations.token_of(inv)) for inv in rows}


def _reminded(app):
    """Wait for the reminders sending in the background (they are sent after the request)."""
    with app.app_context():
        delivery.finish_background(timeout=30)


def _answer(app, wave_id, emails):
    with app.app_context():
        for inv in db.session.scalars(db.select(Invitation).where(Invitation.wave_id == wave_id)):
            if inv.member.email in emails:
                assert record_response(inv, ANSWERS, None)


def test_each_member_gets_their_own_link_by_email_in_both_languages(
    app, client, world, login, make_wave, smtp
):
    wave_id = make_wave([world.alpha, world.beta])
    issue_invitations(app, wave_id)
    links = _links_by_email(app, wave_id)
    login(world.fac_a)
    page = client.post(f"/manage/waves/{wave_id}/mail/invitation", follow_redirects=True)
    text = page.get_data(as_text=True)
    # Only the facilitator's team, one message per member, each with that member's link.
    assert smtp.recipients() == sorted(f"ann{i}@example.org" for i in range(6))
    for rcpt, message in smtp.received:
        body = message.get_content()
        assert message["To"] == rcpt[0]
        assert links[rcpt[0]] in body
        assert sum("/s/" in line for line in body.splitlines()) == 2  # once per language
        assert "anonymous survey about trust in your team (Alpha)" in body
        assert "诚邀你参加一项关于团队信任的匿名调查" in body
        assert "Ann" not in body  # no name: the link is the only personal thing
        assert message["From"] == "survey@example.org"
    # The facilitator sees counts, never a link or an address.
    assert "Invitation emails: 6 sent, 0 not delivered, 0 interrupted." in text
    assert "/s/" not in text and "ann0@example.org" not in text
    # A second click sends nobody anything again.
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    assert len(smtp.received) == 6


def test_a_reminder_reaches_only_unused_links_and_nobody_sees_who_got_it(
    app, client, world, login, make_wave, smtp
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    _answer(app, wave_id, {"ann1@example.org", "ann4@example.org"})
    for who in (world.fac_a, world.admin):
        login(who)
        page = client.post(f"/manage/waves/{wave_id}/mail/reminder", follow_redirects=True)
        _reminded(app)
        text = page.get_data(as_text=True)
        assert "The reminder is being sent." in text
        # Nothing on the page names a recipient or counts them.
        assert not any(f"ann{i}@example.org" in text for i in range(6))
        assert not re.search(r"Ann \d", text)
    assert smtp.recipients() == sorted(2 * [f"ann{i}@example.org" for i in (0, 2, 3, 5)]), (
        "two reminders, each to the four links not used"
    )
    subject = smtp.received[0][1]["Subject"]
    assert subject.startswith("提醒") and "Reminder: Spring" in subject


def test_refused_addresses_are_reported_per_member_to_admins_and_the_batch_goes_on(
    app, client, world, login, make_wave, smtp
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    smtp.refuse = {
        "ann2@example.org": "550 5.1.1 No such user",
        "ann3@example.org": "450 4.2.1 Mailbox busy, try later",
    }
    login(world.fac_a)
    text = client.post(f"/manage/waves/{wave_id}/mail/invitation", follow_redirects=True).get_data(
        as_text=True
    )
    assert smtp.recipients() == [f"ann{i}@example.org" for i in (0, 1, 4, 5)]
    assert "Invitation emails: 4 sent, 1 not delivered, 0 interrupted." in text
    assert "Ann 2" not in text and "ann2@example.org" not in text  # counts only
    login(world.admin)
    text = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    problems = text[text.index("Invitation emails that did not arrive") :]
    assert re.search(r"Ann 2.*?ann2@example.org.*?refused: 550 5.1.1 No such user", problems, re.S)
    assert re.search(r"Ann 3.*?delayed, tried again on the next send: 450", problems, re.S)
    # The busy mailbox is tried again on the next send, the refused one and the sent are not.
    smtp.refuse = {"ann2@example.org": "550 5.1.1 No such user"}
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    assert smtp.recipients() == [f"ann{i}@example.org" for i in (0, 1, 3, 4, 5)]


def test_an_interrupted_batch_resumes_and_sends_nobody_twice(
    app, world, make_wave, smtp, monkeypatch
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    real_send = smtplib.SMTP.send_message
    sent = []

    def crash_after_third(self, message, *args, **kwargs):
        result = real_send(self, message, *args, **kwargs)
        sent.append(message["To"])
        if len(sent) == 3:
            raise KeyboardInterrupt  # the process dies after the server took the message
        return result

    monkeypatch.setattr(smtplib.SMTP, "send_message", crash_after_third)
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        admin = db.session.get(User, world.admin)
        mailing = delivery.start(wave, [world.alpha], admin, delivery.Kind.INVITATION)
        with pytest.raises(KeyboardInterrupt):
            delivery.run(mailing)
    assert len(smtp.received) == 3
    monkeypatch.setattr(smtplib.SMTP, "send_message", real_send)

    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert smtp.recipients() == sorted(f"ann{i}@example.org" for i in range(6))
    assert len(smtp.received) == 6, "each member exactly once"
    with app.app_context():
        statuses = sorted(db.session.scalars(db.select(Delivery.status)))
        assert statuses == ["sending"] + 5 * ["sent"]  # the third: may or may not have gone
        problems = delivery.invitation_problems(db.session.get(Wave, wave_id))
        third = f"Ann {sent[2][3]}"  # messages go out in the order of their random tags
        assert [(p.member, p.status) for p in problems] == [(third, "sending")]


def test_an_unreachable_server_sends_nothing_and_leaves_the_batch_to_resume(
    app, client, world, login, make_wave, smtp
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()  # nobody listens there
    login(world.fac_a)
    text = client.post(f"/manage/waves/{wave_id}/mail/invitation", follow_redirects=True).get_data(
        as_text=True
    )
    assert "could not be reached" in text
    app.config["SMTP_PORT"] = port
    text = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "Continue sending" in text
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    assert smtp.recipients() == sorted(f"ann{i}@example.org" for i in range(6))


def test_closing_deletes_deliveries_and_keeps_the_mailings_counts(
    app, client, world, login, make_wave, smtp
):
    wave_id = make_wave([world.alpha], k=3)
    issue_invitations(app, wave_id)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    _answer(app, wave_id, {"ann0@example.org"})
    client.post(f"/manage/waves/{wave_id}/mail/reminder")
    _reminded(app)
    with app.app_context():
        waves.close(db.session.get(Wave, wave_id))
        assert db.session.scalars(db.select(Delivery)).all() == []
        counts = sorted((m.kind, m.planned, m.sent) for m in db.session.scalars(db.select(Mailing)))
    assert counts == [("invitation", 6, 6), ("reminder", 5, 5)]
    # The closed wave's page keeps the record and offers nothing to send.
    section = _email_section(client.get(f"/manage/waves/{wave_id}").get_data(as_text=True))
    assert "The wave is closed: no more invitations or reminders go out." in section
    assert "/mail/" not in section and "gets their own link by email" not in section
    assert section.count("<tr>") == 1 + 2  # the heading row, the invitations, the reminder


def _email_section(page: str) -> str:
    start = page.index('id="email"')
    return page[start : page.index("</section>", start)]


def test_a_closed_wave_that_sent_no_email_has_no_email_section(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.alpha], k=3)
    issue_invitations(app, wave_id)
    with app.app_context():
        waves.close(db.session.get(Wave, wave_id))
    login(world.admin)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert 'id="email"' not in page and "Members with an invitation but no email" not in page
    assert "closed" in page  # the page itself is shown


def test_pages_say_when_email_is_not_set_up(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha])
    login(world.fac_a)
    assert "Email is not set up" in client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    text = client.post(f"/manage/waves/{wave_id}/mail/invitation", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Email is not set up for this installation" in text


def test_a_reminder_when_every_emailed_member_has_answered_looks_like_any_other(
    app, client, world, login, make_wave, smtp
):
    """Beside the response count, "nobody to remind" would say that the one member without
    email (reached by a printed card) is the one who has not answered."""
    with app.app_context():
        db.session.add(Member(team_id=world.beta, name="Paper Only"))
        db.session.commit()
    wave_id = make_wave([world.beta])
    issue_invitations(app, wave_id)
    login(world.fac_b)
    pages = []
    for answered in ({"bo0@example.org"}, {f"bo{i}@example.org" for i in (1, 2, 3)}):
        _answer(app, wave_id, answered)
        page = client.post(
            f"/manage/waves/{wave_id}/mail/reminder",
            headers={"Accept-Language": "en"},
            follow_redirects=True,
        ).get_data(as_text=True)
        _reminded(app)
        pages.append(page)
    assert len(smtp.received) == 3  # the first reminder: three links not used
    for page in pages:
        assert "The reminder is being sent." in page
        assert "Nobody to send to" not in page
    reminder = r'<td data-label="What">reminder</td>\s*<td class="num" data-label="Sent">(.*?)</td>'
    rows = [re.findall(reminder, p) for p in pages]
    assert rows[0] == ["–"] and rows[1] == ["–", "–"]


def test_a_facilitator_does_not_continue_or_see_another_facilitators_unfinished_batch(
    app, client, world, login, make_wave, smtp
):
    wave_id = make_wave([world.alpha, world.beta])
    issue_invitations(app, wave_id)
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        fac_a = db.session.get(User, world.fac_a)
        delivery.start(wave, [world.alpha], fac_a, delivery.Kind.INVITATION)  # not yet sent
    login(world.fac_b)
    page = client.post(
        f"/manage/waves/{wave_id}/mail/invitation",
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "email batch for this wave is not finished yet" in page
    assert smtp.received == [] and "6 sent" not in page
    # Its own sender continues it; then the other facilitator sends to their own team.
    login(world.fac_a)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    assert smtp.recipients() == sorted(f"ann{i}@example.org" for i in range(6))
    login(world.fac_b)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    assert sorted(r for r in smtp.recipients() if r.startswith("bo")) == [
        f"bo{i}@example.org" for i in range(4)
    ]


def test_a_reminders_request_returns_before_any_message_goes_out(
    app, client, world, login, make_wave, smtp
):
    """The time a reminder's request took would count its recipients (one message each);
    beside the response count it tells whether the members reached only by printed card
    answered. So the request returns before the mail server has taken a single message."""
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    _answer(app, wave_id, {"ann1@example.org", "ann4@example.org"})
    login(world.fac_a)
    smtp.gate = threading.Event()  # the server holds every message until the gate opens
    try:
        page = client.post(f"/manage/waves/{wave_id}/mail/reminder", follow_redirects=True)
        # A request that waited for its four messages would find them all received here.
        assert smtp.received == []
        assert "The reminder is being sent." in page.get_data(as_text=True)
    finally:
        smtp.gate.set()
        _reminded(app)
    assert smtp.recipients() == [f"ann{i}@example.org" for i in (0, 2, 3, 5)]


def test_with_the_mail_server_down_a_reminder_to_four_reads_as_one_to_nobody(
    app, client, world, login, make_wave
):
    """Sending in the request, a reminder to nobody never connected, so a server that was
    down told "sent" from "could not be reached", which is nobody left from someone left.
    Sent in the background, a batch that waits for the server stayed unfinished, and the
    wave page offered "Continue sending" only when somebody had been left to remind."""
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_SECURITY="none", SMTP_USERNAME=None,
        MAIL_FROM="survey@example.org", BASE_URL="https://trust.example.com",
    )  # fmt: skip
    with app.app_context():
        emails = {m.email for m in db.session.get(Team, world.alpha).members if m.email}
    login(world.fac_a)
    seen = []
    for answered in (set(), emails):  # four or more left to remind, then nobody
        wave_id = make_wave([world.alpha])
        issue_invitations(app, wave_id)
        _answer(app, wave_id, answered)
        client.post(f"/manage/waves/{wave_id}/mail/reminder", headers={"Accept-Language": "en"})
        _reminded(app)
        text = client.get(f"/manage/waves/{wave_id}", headers={"Accept-Language": "en"}).get_data(
            as_text=True
        )
        flashes = re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', text, re.S)
        start = text.index('id="email"')
        section = text[start : text.index("</section>", start)]
        section = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", section)
        seen.append((flashes, re.sub(r"/waves/\d+/", "/waves/N/", section)))
    assert "The reminder is being sent." in seen[0][0][0]
    assert "Continue sending" not in seen[0][1] and "Send a reminder" in seen[0][1]
    assert seen[0] == seen[1]
    with app.app_context():  # the first reminder's messages wait for the server
        pending = db.select(db.func.count()).select_from(Delivery)
        assert db.session.scalar(pending.where(Delivery.status == "pending")) >= 4


def test_a_second_reminder_sends_what_the_first_could_not_and_nobody_twice(
    app, client, world, login, make_wave, smtp
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    _answer(app, wave_id, {"ann1@example.org", "ann4@example.org"})
    login(world.fac_a)
    port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()  # nobody listens there
    client.post(f"/manage/waves/{wave_id}/mail/reminder")
    _reminded(app)
    assert smtp.received == []
    app.config["SMTP_PORT"] = port
    client.post(f"/manage/waves/{wave_id}/mail/reminder")
    _reminded(app)
    # The first reminder's four, sent by the second click, which planned nobody again.
    assert smtp.recipients() == [f"ann{i}@example.org" for i in (0, 2, 3, 5)]
    with app.app_context():
        planned = sorted(m.planned for m in db.session.scalars(db.select(Mailing)))
    assert planned == [0, 4]


def test_emails_and_the_wave_page_give_times_in_the_organisations_zone(
    app, client, world, login, make_wave, smtp
):
    wave_id = make_wave([world.alpha])
    issue_invitations(app, wave_id)
    with app.app_context():
        organisation.set_time_zone("Asia/Shanghai")
        closes_at = db.session.get(Wave, wave_id).closes_at
    # Shanghai is UTC+8 all year: the close time in the email is 8 hours past the stored one.
    local = closes_at + dt.timedelta(hours=8)
    login(world.fac_a)
    client.post(f"/manage/waves/{wave_id}/mail/invitation")
    body = smtp.received[0][1].get_content()
    assert body.count("(Asia/Shanghai)") == 1 and body.count("（Asia/Shanghai）") == 1
    assert "UTC" not in body
    assert f"{local:%H:%M}" in body or f"{local:%-I:%M}" in body
    page = client.get(f"/manage/waves/{wave_id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "When (Asia/Shanghai)" in text and "When (UTC)" not in text
    with app.app_context():
        sent_at = db.session.scalar(db.select(Mailing.created_at))
    assert f'<th scope="row">{sent_at + dt.timedelta(hours=8):%Y-%m-%d %H:%M}</th>' in text
