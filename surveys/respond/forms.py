"""The survey form, built from a wave's pinned instrument, and checks on the raw request body.

Every item is required: a scale score needs at least half of its items, and a person who
skips silently would be counted with less weight than they meant. Missing answers are named
next to each item and counted at the top of the page, and the answers already given are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from markupsafe import Markup
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from trust import is_whole_number
from trust.instrument import Instrument

COMMENT_MAX = 2000
# The language switch's buttons on the survey page post the form under this name.
LANGUAGE_FIELD = "lang"
# survey.js fills it with the question the respondent was at when switching language.
AT_FIELD = "at"
# Form fields that are not items; every other posted name must be an item of the instrument.
OTHER_FIELDS = ("comment", "csrf_token", "submit", LANGUAGE_FIELD, AT_FIELD)
FORM_ENCODING = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class ItemSpec:
    """One item as its form field shows it, made once per instrument and language."""

    name: str  # the item's key, also the posted field's name
    text: str  # the question, in the form's language
    options: tuple[tuple[int, str], ...]  # (value, label) of each radio button
    offered: dict[str, int]  # {posted text: value}, e.g. {"1": 1}
    item: object
    scale: object
    # The item's radio buttons as HTML, by the value shown as chosen (None: none is): a page
    # has a few hundred, and escaping each name, value and label took a third of its time.
    radios: dict[int | None, Markup] = field(default_factory=dict)

    def __post_init__(self):
        for chosen in (None, *self.offered.values()):
            self.radios[chosen] = Markup("").join(
                Markup(
                    '<label><input type="radio" name="{}" value="{}"{}><span>{}</span></label>'
                ).format(self.name, value, Markup(" checked") if value == chosen else "", label)
                for value, label in self.options
            )


class ItemField:
    """One item's radio buttons: what was posted, the answer read from it, and its errors.

    Not a WTForms field: a page has one per item, and binding WTForms fields took most of the
    CPU a stored answer cost. The rules are WTForms' own for a required radio field: an item
    must be answered (InputRequired), with a whole number (the rule `trustsurvey analyze`
    applies to a survey CSV; ``int()`` would also take ' 3', '+3', '３' and '٣') that is one
    of the offered values.
    """

    __slots__ = ("spec", "raw_data", "data", "errors")

    def __init__(self, spec: ItemSpec, formdata=None, data=None):
        self.spec = spec
        self.errors: list[str] = []
        # A draft kept across a language switch: only an offered answer is shown as chosen.
        self.data = data if data in spec.offered.values() else None
        self.raw_data: list[str] = []
        if formdata is not None:
            self.raw_data = formdata.getlist(spec.name)
            self._read(self.raw_data)

    # A value not offered ("6") shows no button as chosen.
    radios = property(lambda self: self.spec.radios.get(self.data, self.spec.radios[None]))
    name = property(lambda self: self.spec.name)
    text = property(lambda self: self.spec.text)
    options = property(lambda self: self.spec.options)
    item = property(lambda self: self.spec.item)
    scale = property(lambda self: self.spec.scale)

    def _read(self, values: list[str]) -> None:
        if not values:
            return
        value = values[0]
        answer = self.spec.offered.get(value)
        if answer is not None:
            self.data = answer
        elif value == "":
            self.data = None  # unanswered: validate() says so
        else:
            self.data = _whole_number(value)
            if self.data is None:
                self.errors.append(gettext("Not one of the offered answers."))

    def validate(self) -> bool:
        if not (self.raw_data and self.raw_data[0]):
            self.errors = [gettext("Please choose an answer.")]
        elif self.data is not None and self.data not in self.spec.offered.values():
            rs = self.scale.response_scale
            self.errors.append(
                gettext(
                    "Not one of the offered answers (%(low)d to %(high)d).",
                    low=rs.min,
                    high=rs.max,
                )
            )
        return not self.errors

    @property
    def given(self) -> bool:
        """Whether something other than nothing was posted for it."""
        return bool(self.raw_data) and self.raw_data[0] != ""


def _whole_number(text: str) -> int | None:
    """The number a posted answer writes by the one rule for answers, else None."""
    return int(text) if is_whole_number(text) else None


def _no_control_characters(form, field):
    if field.data and any(ord(c) < 32 and c not in "\t\r\n" for c in field.data):
        raise ValidationError(
            gettext("The comment contains control characters that cannot be stored.")
        )


class SurveyFormBase(FlaskForm):
    """Fields every survey has, and one :class:`ItemField` per item of ``items``, set per
    instrument and language by :func:`survey_form`."""

    comment = TextAreaField(
        _l("Comment (optional)"),
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[
            Optional(),
            Length(max=COMMENT_MAX, message=_l("Please keep the comment to %(max)d characters.")),
            _no_control_characters,
        ],
    )
    submit = SubmitField(_l("Send my answers"))

    instrument: Instrument
    language: str
    items: tuple[ItemSpec, ...] = ()

    def __init__(self, formdata=_Auto, data=None, **kwargs):
        super().__init__(formdata=formdata, data=data, **kwargs)
        posted = self.meta.wrap_formdata(self, formdata)
        data = data or {}
        self._items = [ItemField(spec, posted, data.get(spec.name)) for spec in self.items]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return all([field.validate() for field in self._items]) and valid

    @property
    def errors(self) -> dict:
        errors = dict(super().errors)
        errors.update({field.name: field.errors for field in self._items if field.errors})
        return errors

    def item_fields(self) -> list[ItemField]:
        return self._items

    def sections(self) -> list[tuple[object, list[ItemField]]]:
        """(scale, its item fields) in instrument order."""
        by_key = {field.name: field for field in self._items}
        return [
            (scale, [by_key[item.key] for item in scale.items]) for scale in self.instrument.scales
        ]

    def answers(self) -> dict[str, int]:
        """{item key: answer} of a validated form."""
        return {field.name: int(field.data) for field in self._items}

    def unanswered(self) -> list[ItemField]:
        """Items left without an answer after validation, in page order."""
        return [field for field in self._items if field.errors and not field.given]

    def invalid(self) -> list[ItemField]:
        """Items whose posted value is not one of the offered answers ("6", "abc")."""
        return [field for field in self._items if field.errors and field.given]

    def draft(self) -> dict[str, int]:
        """{item key: answer} of the items answered with an offered value so far."""
        return {
            field.name: field.data
            for field in self._items
            if field.data in field.spec.offered.values()
        }


def _text(texts, language: str) -> str:
    """A text in the chosen language, else English, else any."""
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


# (id of the instrument, language) -> (the instrument, its form class). Building the class
# (one spec per item) is done once; the instrument is kept beside its class so that a reused
# id never picks another's class.
_FORM_CLASSES: dict[tuple[int, str], tuple[Instrument, type]] = {}


def survey_form(instrument: Instrument, language: str, **kwargs) -> SurveyFormBase:
    """A form with one required radio field per item, labelled in ``language`` ('en' or 'zh').

    The form neither makes nor checks a CSRF token: the view checks a POST's token before it
    builds the form (``csrf.protect``), and the page writes the token itself, so a stored
    answer costs one token check and no signing.
    """
    cached = _FORM_CLASSES.get((id(instrument), language))
    if cached is None or cached[0] is not instrument:
        cached = (instrument, _form_class(instrument, language))
        _FORM_CLASSES[(id(instrument), language)] = cached
    form = cached[1](meta={"csrf": False}, **kwargs)
    form.instrument = instrument
    form.language = language
    return form


def _form_class(instrument: Instrument, language: str) -> type:
    reserved = set(OTHER_FIELDS) | set(dir(SurveyFormBase))
    items = []
    for scale in instrument.scales:
        rs = scale.response_scale
        labels = rs.labels.get(language) or rs.labels.get("en")
        values = range(rs.min, rs.max + 1)
        options = tuple((v, labels[v - rs.min] if labels else str(v)) for v in values)
        offered = {str(v): v for v in values}
        for item in scale.items:
            if item.key in reserved:
                raise ValueError(
                    f"{instrument.source}: item {item.key!r}: the survey form reserves this key"
                )
            text = _text(item.text, language) or item.key
            items.append(ItemSpec(item.key, text, options, offered, item, scale))
    return type("SurveyForm", (SurveyFormBase,), {"items": tuple(items)})


def unknown_fields(form: SurveyFormBase, formdata) -> list[str]:
    """Posted names that are neither an item, the comment, the CSRF token nor a button."""
    allowed = set(OTHER_FIELDS) | {field.name for field in form.item_fields()}
    return sorted(name for name in formdata if name not in allowed)


def repeated_fields(formdata) -> list[str]:
    """Posted names that carry more than one value (an answer must be one value)."""
    return sorted(name for name in formdata if len(formdata.getlist(name)) > 1)


def body_problem(mimetype: str, body: bytes) -> str | None:
    """Why a survey POST body cannot be read, or None.

    Werkzeug silently drops a URL-encoded body that is not UTF-8 and keeps bad percent-escapes
    as literal text, so the body is checked here, before anything parses it.
    """
    if mimetype != FORM_ENCODING:
        return "encoding"
    # Decoded whole: '&' and '=' are ASCII, so no UTF-8 character spans them, and the body is
    # valid UTF-8 exactly when each name and value is.
    try:
        unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return "utf-8"
    return None
