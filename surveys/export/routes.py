"""Export views: a researcher's or admin's page of closed waves and one download."""

import tempfile

from flask import Blueprint, render_template, send_file
from flask_babel import gettext as _
from flask_login import current_user

from surveys.access import role_required
from surveys.export.forms import ExportForm
from surveys.services import export
from surveys.services import waves as wave_rules

bp = Blueprint("export", __name__, url_prefix="/export")


@bp.route("/", methods=["GET", "POST"])
@role_required("admin", "researcher")
def index():
    """Closed waves to choose from; the chosen ones download as one zip."""
    listed = export.exportable_waves()
    form = ExportForm()
    form.waves.choices = [(w.id, w.name) for w in listed]
    is_admin = current_user.role == "admin"
    if not is_admin:
        del form.small_teams
        del form.team_names
    if form.validate_on_submit():
        options = export.ExportOptions(
            comments=form.comments.data,
            small_teams=is_admin and form.small_teams.data,
            team_names=is_admin and form.team_names.data,
        )
        try:
            chosen = export.check(form.waves.data, options, current_user.role)
        except export.ExportError as error:
            form.waves.errors.append(_("This export cannot be made: %(why)s", why=str(error)))
        else:
            # A file on disk, not memory: a large export is as big as its responses.
            out = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it)
            export.to_zip(chosen, options, out)
            out.seek(0)
            return send_file(
                out,
                mimetype="application/zip",
                as_attachment=True,
                download_name=export.zip_name(chosen),
            )
    return render_template(
        "export/index.html",
        form=form,
        waves={w.id: w for w in listed},
        counts=wave_rules.response_totals(listed, None),
    )
