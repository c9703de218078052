"""Form pieces shared by every blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxListField(SelectMultipleField):
    """A list of checkboxes (usable without JavaScript, unlike a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmForm(FlaskForm):
    """A button and its CSRF token, for actions that need nothing else (close, archive, ...)."""

    submit = SubmitField(_l("Confirm"))
