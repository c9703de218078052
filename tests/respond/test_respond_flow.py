"""The respondent flow at /s/<token>: the survey page, recording once, and the state pages."""

from __future__ import annotations

import datetime as dt

import pytest
from markupsafe import escape

from surveys.db import db
from surveys.models import Wave
from surveys.services import organisation
from tests.respond.survey_setup import (
    FULL,
    checked_values,
    comments,
    create_survey,
    full_answers,
    responses,
)

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.8"}


@pytest.mark.parametrize(
    ("headers", "lang", "html_lang"), [(ZH, "zh", "zh-Hans"), (EN, "en", "en")]
)
def test_survey_page_shows_items_and_labels_in_the_browser_language(
    client, survey, headers, lang, html_lang
):
    page = client.get(f"/s/{survey.tokens[0]}", headers=headers).get_data(as_text=True)
    assert f'<html lang="{html_lang}">' in page
    for item in FULL.items:
        assert escape(item.text[lang]) in page
    for scale in FULL.scales:
        for label in scale.response_scale.labels[lang]:
            assert escape(label) in page
    assert escape(FULL.name[lang]) in page
    other = "en" if lang == "zh" else "zh"
    assert escape(FULL.item("fam1").text[other]) not in page


def test_language_switch_changes_the_item_language(client, survey):
    url = f"/s/{survey.tokens[0]}"
    page = client.get(url + "?lang=zh_Hans", headers=EN).get_data(as_text=True)
    assert FULL.item("fam1").text["zh"] in page
    page = client.get(url + "?lang=en", headers=ZH).get_data(as_text=True)
    assert FULL.item("fam1").text["en"] in page


def test_anonymity_statement_names_what_is_and_is_not_stored_and_k(make_app):
    app = make_app()
    survey = create_survey(app, k=7)
    page = app.test_client().get(f"/s/{survey.tokens[0]}", headers=EN).get_data(as_text=True)
    assert "What is stored:" in page
    assert "your answers, your team and this survey round" in page
    assert "What is not stored:" in page
    for word in (
        "name",
        "email address",
        "invitation link",
        "time you answer",
        "IP address",
        "browser",
    ):
        assert word in page
    assert "at least 7 responses" in page
    assert "only after the survey closes" in page
    assert "without dates and in random order" in page
    assert "Platform" in page  # the team
    assert "Spring 2026" in page
    assert "Then this link shows your team's results." in page


def test_survey_is_grouped_by_scale_with_progress(client, survey):
    page = client.get(f"/s/{survey.tokens[0]}", headers=EN).get_data(as_text=True)
    n = len(FULL.scales)
    assert page.count('<fieldset class="section"') == n + 1  # the scales and the comment
    for i in range(1, n + 1):
        assert f"<h2>Part {i} of {n}</h2>" in page
        assert f'<progress max="{n}" value="{i}"' in page
    # Every item is its own group of native radio buttons, one per response option.
    assert page.count('<fieldset class="item"') == len(FULL.items)
    assert page.count('type="radio"') == sum(
        s.response_scale.n_options * len(s.items) for s in FULL.scales
    )
    assert 'maxlength="2000"' in page
    assert 'src="/static/survey.js"' in page


@pytest.mark.parametrize(("headers", "lang"), [(ZH, "zh"), (EN, "en")])
def test_survey_page_names_no_construct_and_no_instrument_version(client, survey, headers, lang):
    # A heading such as 相似度 or 认知型信任 tells the respondent what is measured and can
    # steer the answers; the version number means nothing to them.
    page = client.get(f"/s/{survey.tokens[0]}", headers=headers).get_data(as_text=True)
    for scale in FULL.scales:
        assert str(escape(scale.name[lang])) not in page
        assert scale.name["en"] not in page
    assert FULL.version not in page
    assert "version" not in page.lower().replace('name="viewport"', "")


def test_script_is_served_and_the_page_allows_no_inline_script(client, survey):
    page = client.get(f"/s/{survey.tokens[0]}").get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page  # the CSP forbids both
    with client.get("/static/survey.js") as script:  # closes the file it sends
        assert script.status_code == 200


@pytest.mark.parametrize("headers", [ZH, EN])
def test_complete_answers_are_recorded_once_and_redirect_to_thanks(make_app, backend, headers):
    app = make_app(backend)
    survey = create_survey(app)
    client = app.test_client()
    answers = full_answers(2)
    answers["fam1"] = "5"
    sent = client.post(
        f"/s/{survey.tokens[0]}", data=answers | {"comment": " Good team. "}, headers=headers
    )
    assert sent.status_code == 303
    assert sent.location == "/s/thanks"
    [response] = responses(app)
    assert response.answers == {key: int(value) for key, value in answers.items()}
    assert (response.wave_id, response.team_id) == (survey.wave_id, survey.team_id)
    assert comments(app) == ["Good team."]
    assert survey.counts() == (1, 1, 1)
    thanks = client.get("/s/thanks", headers=headers)
    assert thanks.status_code == 200
    assert ("Thank you" if headers is EN else "谢谢") in thanks.get_data(as_text=True)


def test_empty_comment_stores_no_comment_row(client, survey):
    client.post(f"/s/{survey.tokens[0]}", data=full_answers() | {"comment": "  \r\n "})
    assert survey.counts() == (1, 0, 1)


def test_thank_you_page_carries_no_token(client, survey):
    token = survey.tokens[0]
    sent = client.post(f"/s/{token}", data=full_answers())
    assert token not in sent.location
    assert token not in client.get(sent.location).get_data(as_text=True)


def test_token_appears_only_in_the_form_action(client, survey):
    token = survey.tokens[0]
    page = client.get(f"/s/{token}").get_data(as_text=True)
    assert page.count(token) == 1
    assert f'action="/s/{token}"' in page


def test_unknown_token_gets_a_404_page(client, survey):
    response = client.get("/s/not-a-real-token", headers=EN)
    assert response.status_code == 404
    assert "Survey link not found" in response.get_data(as_text=True)
    zh = client.get("/s/not-a-real-token", headers=ZH)
    assert zh.status_code == 404 and "链接无效" in zh.get_data(as_text=True)


def test_unknown_token_post_stores_nothing(client, survey):
    assert client.post("/s/" + "x" * 24, data=full_answers()).status_code == 404
    assert survey.counts() == (0, 0, 0)


def test_used_token_shows_already_answered_and_records_nothing_more(client, survey):
    url = f"/s/{survey.tokens[0]}"
    assert client.post(url, data=full_answers(5)).status_code == 303
    page = client.get(url, headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "You have already answered" in text
    assert "Your answer was recorded once" in text
    again = client.post(url, data=full_answers(1), headers=EN)
    assert again.status_code == 409
    assert "Your answer was recorded once" in again.get_data(as_text=True)
    assert survey.counts() == (1, 0, 1)
    assert responses(survey.app)[0].answers["fam1"] == 5


def test_back_button_resubmission_records_exactly_one_response(client, survey):
    url = f"/s/{survey.tokens[0]}"
    form_page = client.get(url)
    assert form_page.status_code == 200
    first = client.post(url, data=full_answers(4))
    second = client.post(url, data=full_answers(4))  # same body again, as after Back + Send
    assert (first.status_code, second.status_code) == (303, 409)
    assert survey.counts() == (1, 0, 1)


def test_two_tabs_record_exactly_one_response(survey):
    url = f"/s/{survey.tokens[0]}"
    tab_a, tab_b = survey.app.test_client(), survey.app.test_client()
    assert tab_a.get(url).status_code == 200
    assert tab_b.get(url).status_code == 200  # both forms are open before either is sent
    a = tab_a.post(url, data=full_answers(3) | {"comment": "from tab a"})
    b = tab_b.post(url, data=full_answers(5) | {"comment": "from tab b"})
    assert (a.status_code, b.status_code) == (303, 409)
    assert survey.counts() == (1, 1, 1)
    assert comments(survey.app) == ["from tab a"]


def test_other_links_of_the_team_still_work_after_one_answer(client, survey):
    for token in survey.tokens[:3]:
        assert client.post(f"/s/{token}", data=full_answers()).status_code == 303
    assert survey.counts() == (3, 0, 3)


@pytest.mark.parametrize("method", ["get", "post"])
def test_scheduled_wave_says_when_it_opens(make_app, method):
    app = make_app()
    survey = create_survey(app, status="scheduled")
    response = getattr(app.test_client(), method)(
        f"/s/{survey.tokens[0]}", data=full_answers(), headers=EN
    )
    assert response.status_code == (200 if method == "get" else 409)
    text = response.get_data(as_text=True)
    assert "The survey is not open yet" in text
    assert "This survey opens on" in text and "(Etc/UTC)" in text  # the server's zone here
    assert FULL.item("fam1").text["en"] not in text
    assert survey.counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # 05:30 UTC is 13:30 in Shanghai; CLDR puts a narrow space before PM.
        (EN, "opens on March 4, 2099, 1:30\u202fPM (Asia/Shanghai)."),
        (ZH, "将于 2099年3月4日 13:30（Asia/Shanghai）开始"),
    ],
)
@pytest.mark.parametrize("babel_zone", ["UTC", "Europe/Berlin"])
def test_opening_time_is_a_localised_long_date_and_minutes_in_the_organisations_zone(
    make_app, headers, expected, babel_zone
):
    app = make_app(BABEL_DEFAULT_TIMEZONE=babel_zone)  # the organisation's zone wins
    survey = create_survey(app, status="scheduled")
    text = _page_in_shanghai(app, survey, headers, opens_at=dt.datetime(2099, 3, 4, 5, 30, 13))
    assert expected in text
    assert ":13" not in text


def _page_in_shanghai(app, survey, headers, **times: dt.datetime) -> str:
    """The survey page of the first link, its wave's times set (UTC) and the organisation's
    zone Asia/Shanghai."""
    with app.app_context():
        wave = db.session.get(Wave, survey.wave_id)
        for name, value in times.items():
            setattr(wave, name, value)
        db.session.commit()
        organisation.set_time_zone("Asia/Shanghai")
    return app.test_client().get(f"/s/{survey.tokens[0]}", headers=headers).get_data(as_text=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # 15:45 UTC is 23:45 in Shanghai: late on the last day there, seconds left out.
        (
            EN,
            '<dt>Open until</dt><dd>March 4, 2099, 11:45\u202fPM <span class="muted">Asia/Shanghai',
        ),
        (ZH, '<dt>开放至</dt><dd>2099年3月4日 23:45 <span class="muted">Asia/Shanghai'),
    ],
)
def test_the_survey_says_until_when_it_is_open_in_the_organisations_zone(
    make_app, headers, expected
):
    app = make_app()
    survey = create_survey(app)
    text = _page_in_shanghai(app, survey, headers, closes_at=dt.datetime(2099, 3, 4, 15, 45, 9))
    assert expected in text


@pytest.mark.parametrize("method", ["get", "post"])
def test_closed_wave_says_it_is_closed(make_app, method):
    app = make_app()
    survey = create_survey(app, status="closed")
    response = getattr(app.test_client(), method)(
        f"/s/{survey.tokens[0]}", data=full_answers(), headers=ZH
    )
    assert response.status_code == (200 if method == "get" else 409)
    text = response.get_data(as_text=True)
    assert "调查已结束" in text
    assert FULL.item("fam1").text["zh"] not in text
    assert survey.counts() == (0, 0, 0)


def test_missing_answers_are_named_and_given_answers_are_kept(client, survey):
    answers = full_answers(3)
    del answers["fam2"], answers["aff3"]
    response = client.post(f"/s/{survey.tokens[0]}", data=answers, headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"2 of {len(FULL.items)} questions still need an answer" in page
    assert page.count("Please choose an answer.") == 2
    assert 'id="q-fam2-err"' in page and 'id="q-aff3-err"' in page
    assert 'href="#q-fam2"' in page and 'href="#q-aff3"' in page
    assert checked_values(page) == answers
    assert survey.counts() == (0, 0, 0)


def test_missing_answers_message_in_chinese(client, survey):
    answers = full_answers(3)
    del answers["fam2"]
    page = client.post(f"/s/{survey.tokens[0]}", data=answers, headers=ZH).get_data(as_text=True)
    assert "请选择一个答案" in page
    assert FULL.item("fam2").text["zh"] in page


def test_pages_other_than_the_form_never_contain_the_token(make_app):
    app = make_app()
    client = app.test_client()
    used, fresh = create_survey(app).tokens[:2]
    closed = create_survey(app, status="closed", team="Closed team").tokens[0]
    scheduled = create_survey(app, status="scheduled", team="Later team").tokens[0]
    assert client.post(f"/s/{used}", data=full_answers()).status_code == 303
    pages = {
        "already answered (GET)": (used, client.get(f"/s/{used}")),
        "already answered (POST)": (used, client.post(f"/s/{used}", data=full_answers())),
        "closed": (closed, client.get(f"/s/{closed}")),
        "scheduled": (scheduled, client.get(f"/s/{scheduled}")),
        "unknown field": (fresh, client.post(f"/s/{fresh}", data={"x": "1"})),
        "too large": (fresh, client.post(f"/s/{fresh}", data={"comment": "x" * 70_000})),
        "not UTF-8": (
            fresh,
            client.post(
                f"/s/{fresh}", data=b"fam1=%FF", content_type="application/x-www-form-urlencoded"
            ),
        ),
    }
    for name, (token, response) in pages.items():
        assert response.status_code in (200, 400, 409, 413), name
        assert token not in response.get_data(as_text=True), name
    invalid = client.post(f"/s/{fresh}", data={"fam1": "9"}).get_data(as_text=True)
    assert invalid.count(fresh) == 1  # the re-shown form keeps only its action


def test_survey_page_sends_its_address_only_to_this_site(client, survey):
    survey_page = client.get(f"/s/{survey.tokens[0]}")
    # Same-origin lets the POST carry a same-site Referer (Flask-WTF checks it over HTTPS);
    # no other site ever receives the link.
    assert survey_page.headers["Referrer-Policy"] == "same-origin"
    assert survey_page.headers["Cache-Control"] == "no-store"
    assert client.get("/s/thanks").headers["Referrer-Policy"] == "same-origin"
