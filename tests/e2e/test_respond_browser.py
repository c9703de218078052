"""A respondent in a real browser: languages, a phone screen, the keyboard, and counted once."""

from __future__ import annotations

import pytest

from surveys import instruments

pytestmark = pytest.mark.browser

PULSE = instruments.get("pulse", "1.0.0")
SUBMIT = "form#survey button[type=submit]"


def answer_every_question(page, option: int = 3) -> None:
    """Click the ``option``-th answer (1-based) of every question, as a person would."""
    for item in PULSE.items:
        page.locator(f"input[type=radio][name='{item.key}']").nth(option - 1).check()


def test_respondent_answers_in_chinese_with_a_chinese_browser(live_server, new_page):
    page = new_page(locale="zh-CN")
    page.goto(live_server.fresh_link())
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    for item in PULSE.items:
        assert page.get_by_text(item.text["zh"], exact=True).is_visible()
    before = live_server.responses()
    answer_every_question(page, option=4)
    page.click(SUBMIT)
    page.wait_for_url("**/s/thanks")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert live_server.responses() == before + 1


def test_respondent_switches_to_english_and_answers(live_server, new_page):
    page = new_page(locale="zh-CN")
    page.goto(live_server.fresh_link())
    page.locator("nav.lang button[lang=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text(PULSE.item("fam1").text["en"], exact=True).is_visible()
    assert page.get_by_text(PULSE.item("fam1").text["zh"], exact=True).count() == 0
    before = live_server.responses()
    answer_every_question(page, option=2)
    page.click(SUBMIT)
    page.wait_for_url("**/s/thanks")
    assert page.locator("html").get_attribute("lang") == "en"
    assert live_server.responses() == before + 1


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_switching_language_keeps_the_answers_and_the_comment(live_server, new_page, javascript):
    page = new_page(locale="zh-CN", java_script_enabled=javascript)
    page.goto(live_server.fresh_link())
    chosen = {"fam1": 5, "sim1": 1, "opn4": 2}  # 1-based option per item
    for key, option in chosen.items():
        page.locator(f"input[type=radio][name='{key}']").nth(option - 1).check()
    comment = "复盘很有用。\nReviews help."
    page.fill("textarea[name=comment]", comment)
    before = live_server.responses()
    with page.expect_navigation():
        page.locator("nav.lang button[lang=en]").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text(PULSE.item("fam1").text["en"], exact=True).is_visible()
    assert page.get_by_text(PULSE.item("fam1").text["zh"], exact=True).count() == 0
    assert page.locator(".error-summary, .error").count() == 0
    checked = page.eval_on_selector_all(
        "input[type=radio]:checked", "inputs => inputs.map(i => [i.name, i.value])"
    )
    options = {
        key: page.locator(f"input[type=radio][name='{key}']").nth(option - 1).get_attribute("value")
        for key, option in chosen.items()
    }
    assert dict(checked) == options
    assert page.input_value("textarea[name=comment]") == comment
    assert live_server.responses() == before  # switching records nothing

    for item in PULSE.items:
        if item.key not in chosen:
            page.locator(f"input[type=radio][name='{item.key}']").nth(2).check()
    page.click(SUBMIT)
    page.wait_for_url("**/s/thanks")
    assert page.locator("html").get_attribute("lang") == "en"
    assert live_server.responses() == before + 1


def test_language_switch_works_from_the_keyboard(live_server, new_page):
    page = new_page(locale="en-US")
    page.goto(live_server.fresh_link())
    page.locator("input[type=radio][name='fam1']").nth(3).check()
    for _ in range(5):
        page.keyboard.press("Shift+Tab")  # back from the answer, towards the page header
        if page.evaluate("document.activeElement.name") == "lang":
            break
    else:
        pytest.fail("the language switch was never reached with the keyboard")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("input[type=radio][name='fam1']").nth(3).is_checked()


def test_enter_on_an_answer_sends_the_form_rather_than_switching_language(live_server, new_page):
    page = new_page(locale="en-US")
    page.goto(live_server.fresh_link())
    before = live_server.responses()
    answer_every_question(page)
    with page.expect_navigation():
        page.locator("input[type=radio][name='fam1']").nth(2).press("Enter")
    page.wait_for_url("**/s/thanks")
    assert live_server.responses() == before + 1


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_phone_screen_has_no_horizontal_scroll_and_submit_is_reachable(
    live_server, new_page, locale
):
    page = new_page(
        locale=locale,
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page.goto(live_server.fresh_link())
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    button = page.locator(SUBMIT)
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert box["height"] >= 40  # a thumb-sized target
    centre = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.type",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert centre == "submit"  # nothing covers it
    answer_every_question(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_whole_survey_can_be_completed_with_the_keyboard_alone(live_server, new_page):
    page = new_page(locale="en-US")
    page.goto(live_server.fresh_link())
    before = live_server.responses()
    groups_answered = set()
    for _ in range(300):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return {tag: e.tagName, type: e.type || '', name: e.name || ''}; }"
        )
        if focused["type"] == "radio" and focused["name"] not in groups_answered:
            page.keyboard.press("Space")  # choose the first option
            page.keyboard.press("ArrowRight")  # and move the choice one option on
            groups_answered.add(focused["name"])
        elif focused["tag"] == "BUTTON" and focused["name"] == "submit":  # not the switch
            page.keyboard.press("Enter")
            break
    else:
        pytest.fail("the submit button was never reached with Tab")
    page.wait_for_url("**/s/thanks")
    assert groups_answered == set(PULSE.item_keys)
    assert live_server.responses() == before + 1


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_double_click_on_submit_records_exactly_one_response(live_server, new_page, javascript):
    page = new_page(locale="en-US", java_script_enabled=javascript)
    page.goto(live_server.fresh_link())
    answer_every_question(page)
    before = live_server.responses()
    page.dblclick(SUBMIT)
    page.wait_for_load_state()
    page.wait_for_function("() => !document.querySelector('form#survey')")
    assert live_server.responses() == before + 1
    assert page.locator("h1").inner_text() in ("Thank you", "You have already answered")


def test_back_button_and_resubmit_after_answering_adds_nothing(live_server, new_page):
    page = new_page(locale="en-US")
    link = live_server.fresh_link()
    page.goto(link)
    answer_every_question(page)
    before = live_server.responses()
    page.click(SUBMIT)
    page.wait_for_url("**/s/thanks")
    page.go_back()
    page.wait_for_load_state()
    if page.locator(SUBMIT).count():  # a cached copy of the form: send it again
        answer_every_question(page)
        page.click(SUBMIT)
        page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "You have already answered"
    page.goto(link)
    assert page.locator(SUBMIT).count() == 0
    assert live_server.responses() == before + 1


def test_same_link_in_two_tabs_records_one_response(live_server, new_page):
    first = new_page(locale="en-US")
    second = first.context.new_page()
    link = live_server.fresh_link()
    first.goto(link)
    second.goto(link)
    answer_every_question(first, option=5)
    answer_every_question(second, option=1)
    before = live_server.responses()
    first.click(SUBMIT)
    first.wait_for_url("**/s/thanks")
    second.click(SUBMIT)
    second.wait_for_load_state()
    assert second.locator("h1").inner_text() == "You have already answered"
    assert live_server.responses() == before + 1


def _covered_by_progress(page, item_key: str) -> bool:
    """Whether the sticky progress line of the question's part overlaps the question's top."""
    return page.evaluate(
        """key => {
            const item = document.getElementById('q-' + key);
            const bar = item.closest('fieldset.section').querySelector('.progress');
            const a = item.getBoundingClientRect(), b = bar.getBoundingClientRect();
            return a.top < b.bottom && a.bottom > b.top;
        }""",
        item_key,
    )


def _in_view(page, item_key: str) -> bool:
    return page.evaluate(
        """key => {
            const r = document.getElementById('q-' + key).getBoundingClientRect();
            return r.top >= 0 && r.top < window.innerHeight;
        }""",
        item_key,
    )


@pytest.mark.parametrize("viewport", [(375, 740), (1280, 900)], ids=["phone", "desktop"])
def test_language_switch_returns_to_the_question_the_respondent_was_at(
    live_server, new_page, viewport
):
    width, height = viewport
    page = new_page(locale="zh-CN", viewport={"width": width, "height": height})
    page.goto(live_server.fresh_link())
    last = PULSE.items[-1].key
    page.locator(f"input[type=radio][name='{last}']").nth(1).check()
    with page.expect_navigation():
        page.locator("nav.lang button[lang=en]").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"#q-{last}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(f"input[type=radio][name='{last}']").nth(1).is_checked()
    assert _in_view(page, last)
    assert not _covered_by_progress(page, last)


def test_back_after_two_language_switches_needs_no_resubmission(live_server, new_page):
    page = new_page(locale="en-US")
    page.goto(live_server.fresh_link())
    page.locator("input[type=radio][name='fam1']").nth(3).check()
    for lang in ("zh-Hans", "en"):
        with page.expect_navigation():
            page.locator(f"nav.lang button[lang={lang}]").click()
    page.go_back()
    page.wait_for_load_state()
    # The previous page is an ordinary GET: the survey again, not a resubmission prompt.
    assert page.locator("form#survey").is_visible()
    assert page.locator("input[type=radio][name='fam1']").nth(3).is_checked()


@pytest.mark.parametrize("viewport", [(375, 740), (1280, 900)], ids=["phone", "desktop"])
def test_after_an_error_focus_is_on_the_summary_and_its_links_show_the_question(
    live_server, new_page, viewport
):
    width, height = viewport
    page = new_page(locale="en-US", viewport={"width": width, "height": height})
    page.goto(live_server.fresh_link())
    for item in PULSE.items[:3]:
        page.locator(f"input[type=radio][name='{item.key}']").nth(2).check()
    with page.expect_navigation():
        page.click(SUBMIT)
    assert page.evaluate("document.activeElement.id") == "problems"
    later = PULSE.items[-1].key  # a question of the last part, under its sticky progress line
    page.locator(f"#problems a[href='#q-{later}']").click()
    page.wait_for_function(f"() => location.hash === '#q-{later}'")
    assert _in_view(page, later)
    assert not _covered_by_progress(page, later)


def _luminance(rgb: str) -> float:
    """WCAG 2 relative luminance of a computed CSS colour 'rgb(r, g, b)'."""
    channels = [int(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_skip_link_meets_four_and_a_half_to_one_contrast_when_focused(live_server, new_page):
    page = new_page(locale="en-US")
    page.goto(live_server.fresh_link())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    colour, background = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.color, s.backgroundColor]; }"
    )
    assert not background.startswith("rgba(0, 0, 0, 0)")  # its own background, not the page
    lighter, darker = sorted((_luminance(colour), _luminance(background)), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # on screen
