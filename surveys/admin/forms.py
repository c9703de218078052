"""Admin forms: teams, facilitators, users, roster import."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from surveys.auth.forms import NEW_PASSWORD
from surveys.db import db
from surveys.forms import CheckboxListField
from surveys.models import User
from surveys.services.accounts import EMAIL, MIN_PASSWORD_LENGTH, ROLE_LABELS, normalise_email


def role_choices():
    return list(ROLE_LABELS.items())


class TeamForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    parent = SelectField(_l("Part of department"), coerce=int, default=0)
    submit = SubmitField(_l("Save"))


class FacilitatorsForm(FlaskForm):
    facilitators = CheckboxListField(_l("Facilitators of this team"), coerce=int)
    submit = SubmitField(_l("Save facilitators"))


def _password_pair(required: bool):
    first = [DataRequired()] if required else [Optional()]
    new = PasswordField(
        _l("Password") if required else _l("New password (leave empty to keep)"),
        validators=[
            *first,
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=1024,
                message=_l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
            ),
        ],
        render_kw=NEW_PASSWORD,
    )
    again = PasswordField(
        _l("Password again"),
        validators=[EqualTo("password", message=_l("The passwords differ."))],
        render_kw=NEW_PASSWORD,
    )
    return new, again


class UserCreateForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices)
    password, password_again = _password_pair(required=True)
    submit = SubmitField(_l("Create user"))

    def validate_email(self, field):
        email = normalise_email(field.data or "")
        if not EMAIL.match(email):
            raise ValidationError(_l("This is not an email address."))
        if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
            raise ValidationError(_l("A user with this email already exists."))


class UserEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices)
    active = BooleanField(_l("Active (may sign in)"))
    password, password_again = _password_pair(required=False)
    submit = SubmitField(_l("Save"))


class RosterForm(FlaskForm):
    file = FileField(_l("Roster CSV file"), validators=[FileRequired()])
    # Chosen, not guessed: GB18030 decodes almost any bytes, so a guess turns a file in any
    # other encoding into garbled names. A file with UTF-8's byte order mark is UTF-8 anyway.
    encoding = SelectField(
        _l("Encoding"),
        choices=[
            SelectChoice("utf-8", "UTF-8"),
            SelectChoice(
                "gb18030", _l("GB18030 (GBK), as Excel on Chinese Windows saves “CSV (逗号分隔)”")
            ),
        ],
        default="utf-8",
    )
    deactivate_missing = BooleanField(
        _l("Deactivate members of the teams in this file who are not in it")
    )
    submit = SubmitField(_l("Import"))
