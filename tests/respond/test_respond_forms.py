"""The survey form built from an instrument, and the raw-body check."""

from __future__ import annotations

import pytest

from surveys.respond.forms import body_problem, survey_form
from tests.respond.survey_setup import FULL
from trust.instrument import parse_instrument

FORM = "application/x-www-form-urlencoded"


def instrument_with_item(key: str):
    return parse_instrument(
        {
            "instrument": {"key": "tiny", "version": "1", "name": "Tiny"},
            "response_scales": {
                "agree": {"min": 0, "max": 2, "labels": {"en": ["No", "Maybe", "Yes"]}}
            },
            "scales": [
                {"key": "s", "response_scale": "agree", "items": [{"key": key, "text": "Q"}]}
            ],
        }
    )


def test_form_has_one_field_per_item_with_the_scale_values(app):
    with app.test_request_context():
        form = survey_form(FULL, "en")
        assert [f.name for f in form.item_fields()] == list(FULL.item_keys)
        assert form.item_fields()[0].options[0] == (1, "Strongly disagree")


def test_zero_based_response_scale_accepts_zero(app):
    with app.test_request_context(method="POST", data={"q1": "0"}):
        form = survey_form(instrument_with_item("q1"), "en")
        assert form.validate()
        assert form.answers() == {"q1": 0}


@pytest.mark.parametrize("key", ["comment", "submit", "csrf_token", "lang", "data", "validate"])
def test_item_key_that_the_form_needs_is_refused_by_name(app, key):
    with app.test_request_context(), pytest.raises(ValueError, match=f"item '{key}'"):
        survey_form(instrument_with_item(key), "en")


@pytest.mark.parametrize(
    ("mimetype", "body", "problem"),
    [
        (FORM, b"a=1&b=%E4%BF%A1", None),
        (FORM, "a=信".encode(), None),
        (FORM, b"", None),
        (FORM, b"a=%E4%BF", "utf-8"),  # a cut-off character
        (FORM, b"a=\xc0\xaf", "utf-8"),  # an overlong encoding of "/"
        ("multipart/form-data", b"", "encoding"),
        ("application/json", b"{}", "encoding"),
    ],
)
def test_body_problem(mimetype, body, problem):
    assert body_problem(mimetype, body) == problem


@pytest.mark.parametrize("value", ["0\x00", "1\x00", "３", " 1", "+1", "1.0"])
def test_an_answer_that_is_not_a_plain_whole_number_is_named_not_offered(app, value):
    with app.test_request_context(method="POST", data={"q1": value}):
        form = survey_form(instrument_with_item("q1"), "en")
        assert not form.validate()
        assert form.errors == {"q1": ["Not one of the offered answers."]}
        assert [field.name for field in form.invalid()] == ["q1"]
