"""Facilitator forms: waves."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from surveys import instruments
from surveys.config import MAX_K, MIN_K
from surveys.forms import CheckboxListField
from surveys.models import utcnow
from surveys.services import organisation, waves

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class ZonedDateTimeField(DateTimeLocalField):
    """A date and time entered and shown in the organisation's zone; ``data`` is naive UTC,
    as stored, so that validators and services compare it with :func:`utcnow`."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = organisation.to_utc(self.data)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return organisation.to_local(self.data).strftime(self.format[0]) if self.data else ""


def _name_zone(form) -> None:
    """Label the date fields with the zone they are entered in."""
    zone = organisation.time_zone_name()
    form.opens_at.label.text = _("Opens (%(zone)s)", zone=zone)
    form.closes_at.label.text = _("Closes (%(zone)s)", zone=zone)


def instrument_choices() -> list[tuple[str, str]]:
    """The newest version of every loaded instrument that a survey page can ask, as
    "key:version". An instrument with a ``continuous = true`` scale (scores made elsewhere,
    hours) has no answer options to show: it is for imports and ``analyze`` only."""
    from surveys.i18n import instrument_language

    lang = instrument_language()
    return [
        (f"{i.key}:{i.version}", f"{i.name.get(lang) or i.name.get('en') or i.key} ({i.version})")
        for i in instruments.latest()
        if not instruments.has_continuous_scale(i)
    ]


def split_instrument(value: str) -> tuple[str, str]:
    key, _, version = value.partition(":")
    return key, version


class WaveForm(FlaskForm):
    """Everything about a wave, while it is still scheduled."""

    name = StringField(_l("Wave name"), validators=[DataRequired(), Length(max=200)])
    instrument = SelectField(_l("Instrument"), validators=[DataRequired()])
    teams = CheckboxListField(_l("Teams"), coerce=int)
    opens_at = ZonedDateTimeField(
        _l("Opens"), format=DATETIME_FORMATS, validators=[InputRequired()]
    )
    closes_at = ZonedDateTimeField(
        _l("Closes"), format=DATETIME_FORMATS, validators=[InputRequired()]
    )
    k = IntegerField(
        _l("Group minimum k"),
        validators=[
            InputRequired(),
            NumberRange(
                min=MIN_K,
                message=_l("k must be at least %(min)s: smaller groups cannot stay anonymous."),
            ),
            NumberRange(max=MAX_K, message=_l("k can be at most %(max)s.")),
        ],
    )
    # Set by the warning's "save anyway" button: the user has read which teams can never
    # reach k (see surveys.services.waves.small_teams).
    accept_small_teams = BooleanField()
    submit = SubmitField(_l("Save"))

    def __init__(
        self, team_choices: list[tuple[int, str]], *args, pinned: str | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.instrument.choices = instrument_choices()
        if pinned and pinned not in dict(self.instrument.choices):
            # A scheduled wave keeps an older version it was created with, if asked to.
            key, version = split_instrument(pinned)
            self.instrument.choices.append((pinned, f"{key} ({version})"))
        self.teams.choices = team_choices
        _name_zone(self)

    def validate_teams(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one team."))

    def validate_closes_at(self, field):
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The close date must be after the open date."))
        if field.data and field.data <= utcnow():
            raise ValidationError(_l("The close date must be in the future."))

    def validate_instrument(self, field):
        key, version = split_instrument(field.data or "")
        try:
            instruments.get(key, version)
        except KeyError:
            raise ValidationError(_l("Unknown instrument.")) from None


class OpenWaveForm(FlaskForm):
    """A wave that has opened: only its name and close date may change.

    k, instrument, teams and the open date are locked. They are not rendered as inputs, but
    a POST that carries a different value anyway (the scheduled wave's form, submitted after
    the wave opened, or a hand-made request) is refused with a message instead of being
    silently ignored.
    """

    name = StringField(_l("Wave name"), validators=[DataRequired(), Length(max=200)])
    closes_at = ZonedDateTimeField(
        _l("Closes"), format=DATETIME_FORMATS, validators=[InputRequired()]
    )
    opens_at = ZonedDateTimeField(_l("Opens"), format=DATETIME_FORMATS)
    k = IntegerField(_l("Group minimum k"))
    instrument = StringField(_l("Instrument"))
    teams = SelectMultipleField(_l("Teams"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Save"))

    def __init__(self, wave, visible: set[int] | None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.wave = wave
        self.visible = visible
        _name_zone(self)

    def validate_closes_at(self, field):
        if field.data and field.data < utcnow():
            raise ValidationError(_l("The close date cannot be earlier than now."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        changed = waves.locked_changes(
            self.wave,
            k=self.k.data if self.k.raw_data else None,
            instrument=split_instrument(self.instrument.data) if self.instrument.data else None,
            team_ids=set(self.teams.data) if self.teams.raw_data else None,
            opens_at=self.opens_at.data,
            visible=self.visible,
        )
        for name in changed:
            message = OPENS_LOCKED_MESSAGE if name == "opens_at" else LOCKED_MESSAGE
            getattr(self, name).errors = [*getattr(self, name).errors, message]
        return ok and not changed


LOCKED_MESSAGE = _l("This wave has opened: k, the instrument and the teams can no longer change.")
OPENS_LOCKED_MESSAGE = _l(
    "This wave has opened: its open date can no longer change. Nothing was saved."
)


class ExportLinksForm(FlaskForm):
    """An admin's export of links, as CSV or printed cards; the audit log records it."""

    # Off unless ticked: the fewest links leave the product by hand.
    with_email_too = BooleanField(_l("Also members who have an email address"))


class CardPageForm(ExportLinksForm):
    """One page of one team's printed cards (both empty: every card, or the list of pages)."""

    team = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=1)])
    page = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=1)])
    # The team's number of cards when the list of pages was made: pages are cut by position,
    # so a roster that changed since would shift them and skip or repeat a card.
    of = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=1)])
