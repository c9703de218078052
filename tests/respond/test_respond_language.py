"""The language switch on the survey page: it posts the form, so no answer is lost.

The answers come back through the signed session cookie and a redirect (POST-redirect-GET),
so Back after a switch is an ordinary page, not the browser's "confirm resubmission".
"""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from surveys.respond.routes import DRAFT, DRAFT_COMMENT_MAX
from tests.respond.survey_setup import FULL, checked_values, create_survey, full_answers

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.8"}
COMMENT = "Mostly good; <b>reviews</b> & 复盘 help."


def some_answers() -> dict[str, str]:
    """A few answered items, as a respondent has before switching."""
    return {"fam1": "5", "fam2": "1", "sim1": "3", "aff3": "2"}


def switch(client, url: str, body: dict, headers=None):
    """Post the switch, check that it redirects back to the survey, and follow it."""
    posted = client.post(url, data=body, headers=headers)
    assert posted.status_code == 303
    assert posted.headers["Location"].split("#")[0] == url
    return client.get(url, headers=headers)


def comment_shown(page: str) -> str:
    """The text in the comment box of a rendered survey page."""
    match = re.search(r'<textarea id="comment"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert match, "the page has a comment box"
    # Jinja's textarea starts with a newline, which browsers drop.
    return match.group(1).removeprefix("\r\n").removeprefix("\n")


@pytest.mark.parametrize(
    ("headers", "switch_to", "html_lang", "lang", "other"),
    [(ZH, "en", "en", "en", "zh"), (EN, "zh_Hans", "zh-Hans", "zh", "en")],
)
def test_switch_keeps_answers_and_comment_and_shows_the_other_language(
    client, survey, headers, switch_to, html_lang, lang, other
):
    url = f"/s/{survey.tokens[0]}"
    assert client.get(url, headers=headers).status_code == 200
    body = some_answers() | {"comment": COMMENT, "lang": switch_to}
    response = switch(client, url, body, headers)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{html_lang}">' in page
    assert escape(FULL.item("fam1").text[lang]) in page
    assert escape(FULL.item("fam1").text[other]) not in page
    assert escape(FULL.name[lang]) in page
    assert checked_values(page) == some_answers()
    assert comment_shown(page) == str(escape(COMMENT))
    assert survey.counts() == (0, 0, 0)


@pytest.mark.parametrize("comment", ["x" * 2001, "short"])
def test_switch_shows_no_validation_errors_and_stores_nothing(client, survey, comment):
    url = f"/s/{survey.tokens[0]}"
    body = some_answers() | {"comment": comment, "cog1": "9", "lang": "en"}
    response = client.post(url, data=body, headers=ZH)
    if len(comment) <= DRAFT_COMMENT_MAX:
        response = client.get(response.headers["Location"], headers=ZH)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "error-summary" not in page and 'class="error"' not in page
    assert "Please choose an answer." not in page
    assert survey.counts() == (0, 0, 0)


def test_switch_with_every_answer_given_records_nothing_and_the_link_still_works(client, survey):
    url = f"/s/{survey.tokens[0]}"
    answers = full_answers(4) | {"fam1": "1"}
    switched = switch(client, url, answers | {"comment": "kept", "lang": "en"}, ZH)
    assert switched.status_code == 200
    assert checked_values(switched.get_data(as_text=True)) == answers
    assert survey.counts() == (0, 0, 0)  # no response, no comment, the invitation unused
    sent = client.post(url, data=answers | {"comment": "kept"})
    assert sent.status_code == 303
    assert survey.counts() == (1, 1, 1)
    with client.session_transaction() as session:  # the kept answers went with the sending
        assert DRAFT not in session


def test_switch_after_a_validation_error_keeps_the_answers(client, survey):
    url = f"/s/{survey.tokens[0]}"
    answers = some_answers()
    refused = client.post(url, data=answers | {"comment": COMMENT}, headers=EN)
    assert refused.status_code == 422
    assert "Please choose an answer." in refused.get_data(as_text=True)
    # The re-shown form posts the same answers back, now with the switch's name and value.
    switched = switch(client, url, answers | {"comment": COMMENT, "lang": "zh_Hans"}, EN)
    assert switched.status_code == 200
    page = switched.get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert checked_values(page) == answers
    assert comment_shown(page) == str(escape(COMMENT))
    assert "请选择一个答案" not in page and "error-summary" not in page
    assert survey.counts() == (0, 0, 0)


def test_switched_language_is_remembered_over_the_browser_language(client, survey):
    url = f"/s/{survey.tokens[0]}"
    client.post(url, data={"lang": "en"}, headers=ZH)
    page = client.get(url, headers=ZH).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Thank you" in client.get("/s/thanks", headers=ZH).get_data(as_text=True)


def test_unknown_language_value_keeps_the_language_and_the_answers(client, survey):
    response = switch(client, f"/s/{survey.tokens[0]}", some_answers() | {"lang": "fr"}, ZH)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert checked_values(page) == some_answers()
    assert survey.counts() == (0, 0, 0)


def test_switch_still_goes_through_the_body_checks(client, survey):
    url = f"/s/{survey.tokens[0]}"
    unknown = client.post(url, data=some_answers() | {"age": "3", "lang": "en"}, headers=ZH)
    assert unknown.status_code == 400
    assert '<html lang="zh-Hans">' in unknown.get_data(as_text=True)  # refused: no switch
    not_utf8 = client.post(
        url, data=b"lang=en&comment=%FF", content_type="application/x-www-form-urlencoded"
    )
    assert not_utf8.status_code == 400
    too_large = client.post(url, data={"lang": "en", "comment": "x" * 70_000})
    assert too_large.status_code == 413
    twice = client.post(
        url, data=b"lang=en&lang=zh_Hans", content_type="application/x-www-form-urlencoded"
    )
    assert twice.status_code == 400
    # None of the refused switches took effect.
    assert '<html lang="zh-Hans">' in client.get(url, headers=ZH).get_data(as_text=True)
    assert survey.counts() == (0, 0, 0)


def test_switch_needs_the_csrf_token_when_csrf_is_enabled(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    survey = create_survey(app)
    client = app.test_client()
    url = f"/s/{survey.tokens[0]}"
    page = client.get(url, headers=ZH).get_data(as_text=True)
    assert client.post(url, data={"lang": "en"}, headers=ZH).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    switched = switch(client, url, some_answers() | {"lang": "en", "csrf_token": token}, ZH)
    assert switched.status_code == 200
    assert checked_values(switched.get_data(as_text=True)) == some_answers()
    assert survey.counts() == (0, 0, 0)


def test_switch_on_the_survey_page_is_a_button_of_the_form_and_spells_no_token(client, survey):
    token = survey.tokens[0]
    for response in (
        client.get(f"/s/{token}", headers=ZH),
        switch(client, f"/s/{token}", some_answers() | {"lang": "en"}),
    ):
        page = response.get_data(as_text=True)
        assert page.count(token) == 1 and f'action="/s/{token}"' in page
        assert "?lang=" not in page
        buttons = re.findall(r'<button [^>]*name="lang"[^>]*>', page)
        assert len(buttons) == 1
        assert 'type="submit"' in buttons[0] and 'form="survey"' in buttons[0]
        assert "formnovalidate" in buttons[0] and "formaction" not in buttons[0]


def test_enter_in_the_form_still_sends_the_answers_rather_than_switching(client, survey):
    # Implicit submission (Enter on a radio button) uses the form's first submit button in
    # document order, and the switch in the header comes before the form.
    page = client.get(f"/s/{survey.tokens[0]}").get_data(as_text=True)
    first = re.search(r'<button type="submit" form="survey"[^>]*>', page).group(0)
    assert 'name="submit" value="send"' in first and "hidden" in first


@pytest.mark.parametrize("status", ["scheduled", "closed"])
def test_pages_without_the_form_keep_the_link_switch(make_app, status):
    app = make_app()
    survey = create_survey(app, status=status)
    page = app.test_client().get(f"/s/{survey.tokens[0]}", headers=EN).get_data(as_text=True)
    assert 'href="?lang=zh_Hans"' in page
    assert 'name="lang"' not in page


@pytest.mark.parametrize(("at", "fragment"), [("sim1", "#q-sim1"), ("", ""), ("nope", "")])
def test_switch_returns_to_the_question_the_respondent_was_at(client, survey, at, fragment):
    url = f"/s/{survey.tokens[0]}"
    posted = client.post(url, data=some_answers() | {"lang": "en", "at": at}, headers=ZH)
    assert posted.status_code == 303
    assert posted.headers["Location"] == url + fragment
    page = client.get(url, headers=ZH).get_data(as_text=True)
    assert 'id="q-sim1"' in page and '<input type="hidden" name="at" value="">' in page


def test_answers_kept_for_one_link_do_not_fill_another_links_form(client, make_app):
    app = make_app()
    survey = create_survey(app)
    client = app.test_client()
    switch(client, f"/s/{survey.tokens[0]}", some_answers() | {"lang": "en"})
    other = client.get(f"/s/{survey.tokens[1]}").get_data(as_text=True)
    assert checked_values(other) == {}
    again = client.get(f"/s/{survey.tokens[0]}").get_data(as_text=True)
    assert checked_values(again) == some_answers()


def test_kept_answers_are_never_stored_in_the_database(client, survey):
    # Only the signed cookie holds them: the browser's own copy of the page it had.
    switch(client, f"/s/{survey.tokens[0]}", full_answers(2) | {"lang": "en", "comment": "c"})
    assert survey.counts() == (0, 0, 0)
    with client.session_transaction() as session:
        assert session[DRAFT]["answers"] == {key: 2 for key in FULL.item_keys}
        assert session[DRAFT]["comment"] == "c"


def test_a_long_comment_is_shown_again_directly_instead_of_kept_in_the_cookie(client, survey):
    comment = "很" * (DRAFT_COMMENT_MAX + 1)
    url = f"/s/{survey.tokens[0]}"
    response = client.post(url, data=some_answers() | {"comment": comment, "lang": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert comment_shown(page) == comment and checked_values(page) == some_answers()
    with client.session_transaction() as session:
        assert DRAFT not in session


def test_session_cookie_with_the_longest_kept_comment_fits_a_browser(client, survey):
    # Browsers drop a cookie over 4096 bytes; answers in Chinese escape to six bytes a
    # character before compression, the worst case for the comment.
    comment = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(DRAFT_COMMENT_MAX))
    body = full_answers(5) | {"comment": comment, "lang": "zh_Hans"}
    posted = client.post(f"/s/{survey.tokens[0]}", data=body)
    assert posted.status_code == 303
    cookie = posted.headers["Set-Cookie"].split(";")[0]
    assert len(cookie) < 4000
