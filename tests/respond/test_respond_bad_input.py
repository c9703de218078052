"""Bad input to /s/<token> gets a 4xx with a clear message and stores nothing."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from tests.respond.survey_setup import comments, create_survey, full_answers

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
FORM = "application/x-www-form-urlencoded"


def assert_nothing_stored(survey):
    """No Response, no Comment, and the invitation is still unused."""
    assert survey.counts() == (0, 0, 0)


@pytest.mark.parametrize("value", ["0", "6", "-1", "99"])
def test_out_of_range_answer_is_refused(client, survey, value):
    body = full_answers() | {"sim1": value}
    response = client.post(f"/s/{survey.tokens[0]}", data=body, headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Not one of the offered answers (1 to 5)." in page
    assert 'id="q-sim1-err"' in page
    assert_nothing_stored(survey)


@pytest.mark.parametrize(
    # " 3", "+3", full-width and Arabic-Indic 3: int() reads them, the analysis CSV refuses
    # them, and one rule (trust.is_whole_number) refuses them here too.
    "value",
    ["abc", "4.0", "", "1e3", " 3", "3 ", "+3", "\uff13", "\u0663"],
)
def test_non_integer_answer_is_refused(client, survey, value):
    body = full_answers() | {"cog2": value}
    response = client.post(f"/s/{survey.tokens[0]}", data=body, headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="q-cog2-err"' in page
    if value == "":
        assert "1 of 39 questions still need an answer" in page
        assert "not one of the offered options" not in page
    else:  # a value was given: it is named as invalid, not counted as unanswered
        assert "1 of 39 answers are not one of the offered options" in page
        assert "still need an answer" not in page
    expected = "Please choose an answer." if value == "" else "Not one of the offered answers."
    assert f'<p class="error" id="q-cog2-err">{expected}</p>' in page
    assert_nothing_stored(survey)


def test_all_answers_missing_names_every_item(client, survey):
    response = client.post(f"/s/{survey.tokens[0]}", data={"comment": "only this"}, headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "39 of 39 questions still need an answer" in page
    assert page.count("Please choose an answer.") == 39
    assert page.count('<li><a href="#q-') == 10  # the summary links the first ten
    assert "and 29 more" in page
    assert "only this" in page  # the comment is kept too
    assert_nothing_stored(survey)


@pytest.mark.parametrize("name", ["age", "member_id", "fam1 ", "FAM1", "answers"])
def test_unknown_field_is_refused_and_named(client, survey, name):
    body = full_answers() | {name: "3"}
    response = client.post(f"/s/{survey.tokens[0]}", data=body, headers=EN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Unknown form field" in page
    assert f"does not have: {name}." in page
    assert_nothing_stored(survey)


def test_unknown_field_message_in_chinese(client, survey):
    body = full_answers() | {"age": "3"}
    response = client.post(f"/s/{survey.tokens[0]}", data=body, headers=ZH)
    assert response.status_code == 400
    assert "本调查没有的字段：age" in response.get_data(as_text=True)


def test_answer_sent_twice_is_refused(client, survey):
    body = urlencode(list(full_answers().items()) + [("fam1", "1")])
    response = client.post(f"/s/{survey.tokens[0]}", data=body, content_type=FORM, headers=EN)
    assert response.status_code == 400
    assert "The field fam1 was sent more than once" in response.get_data(as_text=True)
    assert_nothing_stored(survey)


def test_comment_over_2000_characters_is_refused(client, survey):
    body = full_answers() | {"comment": "x" * 2001}
    response = client.post(f"/s/{survey.tokens[0]}", data=body, headers=EN)
    assert response.status_code == 422
    assert "Please keep the comment to 2000 characters." in response.get_data(as_text=True)
    assert_nothing_stored(survey)


def test_comment_of_exactly_2000_characters_is_kept(client, survey):
    text = "信" * 2000
    response = client.post(f"/s/{survey.tokens[0]}", data=full_answers() | {"comment": text})
    assert response.status_code == 303
    assert survey.counts() == (1, 1, 1)


def test_comment_with_control_characters_is_refused(client, survey):
    body = full_answers() | {"comment": "fine\x00not fine"}
    response = client.post(f"/s/{survey.tokens[0]}", data=body, headers=EN)
    assert response.status_code == 422
    assert "control characters" in response.get_data(as_text=True)
    assert_nothing_stored(survey)


@pytest.mark.parametrize(("headers", "expected"), [(EN, "Too much data"), (ZH, "数据过多")])
def test_oversize_body_gets_a_friendly_413(client, survey, headers, expected):
    body = full_answers() | {"comment": "x" * (70 * 1024)}  # MAX_CONTENT_LENGTH is 64 KiB
    response = client.post(f"/s/{survey.tokens[0]}", data=body, headers=headers)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert expected in page
    assert "<!doctype html>" in page  # the site's page, not a bare error
    assert_nothing_stored(survey)


@pytest.mark.parametrize(
    "body",
    [
        b"fam1=4&comment=\xff\xfe",  # raw bytes that are not UTF-8
        b"fam1=4&comment=%FF%FE",  # percent-escapes of bytes that are not UTF-8
        b"fam1=4&%C3%28=1",  # a field name that is not UTF-8
        b"fam1=4&comment=%ED%A0%80",  # an encoded UTF-16 surrogate
    ],
)
def test_body_that_is_not_utf8_is_refused(client, survey, body):
    body = urlencode(full_answers()).encode() + b"&" + body
    response = client.post(f"/s/{survey.tokens[0]}", data=body, content_type=FORM, headers=EN)
    assert response.status_code == 400
    assert "not valid UTF-8" in response.get_data(as_text=True)
    assert_nothing_stored(survey)


def test_valid_utf8_comment_survives_the_body_check(client, survey):
    body = urlencode(full_answers() | {"comment": "团队很好 ✓ + & = ok"}).encode()
    response = client.post(f"/s/{survey.tokens[0]}", data=body, content_type=FORM)
    assert response.status_code == 303
    assert comments(survey.app) == ["团队很好 ✓ + & = ok"]


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data"])
def test_body_that_is_not_a_web_form_is_refused(client, survey, content_type):
    data = b'{"fam1": 4}' if content_type != "multipart/form-data" else None
    if data is None:
        response = client.post(
            f"/s/{survey.tokens[0]}",
            data=full_answers(),
            headers=EN,
            content_type="multipart/form-data",
        )
    else:
        response = client.post(
            f"/s/{survey.tokens[0]}", data=data, content_type=content_type, headers=EN
        )
    assert response.status_code == 415
    assert "ordinary web form" in response.get_data(as_text=True)
    assert_nothing_stored(survey)


def csrf_token_of(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "the survey form carries a CSRF token"
    return match.group(1)


def test_csrf_token_is_required_when_csrf_is_enabled(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    survey = create_survey(app)
    client = app.test_client()
    url = f"/s/{survey.tokens[0]}"
    client.get(url)
    missing = client.post(url, data=full_answers(), headers=EN)
    assert missing.status_code == 400
    assert "The form has expired" in missing.get_data(as_text=True)
    forged = client.post(url, data=full_answers() | {"csrf_token": "forged"}, headers=EN)
    assert forged.status_code == 400
    assert_nothing_stored(survey)


def test_valid_csrf_token_lets_the_answer_through(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    survey = create_survey(app)
    client = app.test_client()
    url = f"/s/{survey.tokens[0]}"
    token = csrf_token_of(client.get(url).get_data(as_text=True))
    response = client.post(url, data=full_answers() | {"csrf_token": token})
    assert response.status_code == 303
    assert survey.counts() == (1, 0, 1)


def test_csrf_token_of_another_browser_is_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    survey = create_survey(app)
    url = f"/s/{survey.tokens[0]}"
    other = csrf_token_of(app.test_client().get(url).get_data(as_text=True))
    client = app.test_client()
    client.get(url)
    response = client.post(url, data=full_answers() | {"csrf_token": other})
    assert response.status_code == 400
    assert_nothing_stored(survey)


def test_submissions_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SUBMIT="2 per minute")
    survey = create_survey(app)
    client = app.test_client()
    bad = full_answers() | {"fam1": "9"}
    for _ in range(2):
        assert client.post(f"/s/{survey.tokens[0]}", data=bad).status_code == 422
    limited = client.post(f"/s/{survey.tokens[0]}", data=full_answers(), headers=EN)
    assert limited.status_code == 429
    assert "Please wait a minute" in limited.get_data(as_text=True)
    assert client.get(f"/s/{survey.tokens[0]}").status_code == 200  # reading is not limited
    assert_nothing_stored(survey)


def test_out_of_range_and_missing_answers_are_told_apart_in_the_summary(client, survey):
    body = full_answers() | {"fam1": "6", "fam2": "abc", "sim1": ""}
    response = client.post(f"/s/{survey.tokens[0]}", data=body, headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = page.split('id="problems"')[1].split("</div>")[0]
    assert "2 of 39 answers are not one of the offered options" in summary
    assert "1 of 39 questions still need an answer" in summary
    invalid, unanswered = summary.split("still need an answer")
    assert 'href="#q-fam1"' in invalid and 'href="#q-fam2"' in invalid
    assert 'href="#q-sim1"' in unanswered and 'href="#q-fam1"' not in unanswered
    assert "Not one of the offered answers (1 to 5)." in page
    assert_nothing_stored(survey)


def test_error_summary_can_take_the_focus(client, survey):
    body = {"comment": "only this"}
    page = client.post(f"/s/{survey.tokens[0]}", data=body, headers=EN).get_data(as_text=True)
    assert 'role="alert" id="problems" tabindex="-1"' in page
