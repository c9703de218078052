"""The intervention log's form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from surveys import playbooks
from surveys.forms import CheckboxListField


def playbook_choices(lang: str, keep: str | None = None) -> list[tuple[str, str]]:
    """Every loaded playbook by name; ``keep`` (an entry's own key) even if its file is gone."""
    choices = [(p.key, p.text("name", lang)) for p in playbooks.listed()]
    if keep and keep not in dict(choices):
        choices.append((keep, keep))
    return choices


class InterventionForm(FlaskForm):
    playbook = SelectField(_l("Playbook"), validators=[DataRequired()])
    teams = CheckboxListField(_l("Teams"), coerce=int)
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day"), validators=[InputRequired()])
    facilitated_by = StringField(_l("Facilitated by"), validators=[DataRequired(), Length(max=200)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Save"))

    def __init__(self, team_choices, playbook_options, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams.choices = team_choices
        self.playbook.choices = playbook_options

    def validate_teams(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one team."))

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot come before the first day."))
