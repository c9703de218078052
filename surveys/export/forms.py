"""Export form: which closed waves, and what to add."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired

from surveys.forms import CheckboxListField


class ExportForm(FlaskForm):
    waves = CheckboxListField(
        _l("Closed waves"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose at least one wave."))],
    )
    comments = BooleanField(_l("Add comments (teams of at least k only, in random order)"))
    # Admins only: the view removes these two fields for everyone else.
    small_teams = BooleanField(
        _l("Include teams with fewer than k responses (the codebook will say so)")
    )
    team_names = BooleanField(_l("Label teams and departments by name instead of by code"))
    submit = SubmitField(_l("Download the export (zip)"))
