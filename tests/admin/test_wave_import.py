"""Importing answers collected elsewhere: a closed wave like a live one, or nothing at all."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from surveys import instruments
from surveys.db import db
from surveys.models import Team, TeamScaleResult, Wave, WaveStatus
from surveys.services import organisation
from tests.export.conftest import TEAMS, build_org, closed_wave, exported
from tests.export.helpers import export_cli, read_csv
from tests.helpers import HOURS, login_as, pulse_copy

FULL = instruments.get("full", "1.0.0")
TABLES = ("wave", "wave_team", "response", "team_scale_result", "scale_result")


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            t: db.session.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar()  # noqa: S608
            for t in TABLES
        }


def _csv(rows: list[list[str]]) -> bytes:
    header = ["team", "team_size", *FULL.item_keys]
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _row(team: str, size: str = "", answer: str = "3", **cells: str) -> list[str]:
    return [team, size, *[cells.get(k, answer) for k in FULL.item_keys]]


BAD = _csv(
    [
        _row("East", "8"),
        _row("Nowhere", "8"),  # row 3: unknown team
        _row("East", "8", fam2="6"),  # row 4: outside 1..5
        _row("East", "8", rel1="x", aff5="2.5"),  # row 5: two bad cells
        _row("Sales", ""),  # row 6: a department
        _row("East", "9"),  # row 7: another size for East
        _row("West", "", answer=""),  # row 8: no answer at all
    ]
)
EXPECTED = {
    (3, "team"),
    (4, "fam2"),
    (5, "rel1"),
    (5, "aff5"),
    (6, "team"),
    (7, "team_size"),
    (8, ""),
}


def test_an_import_with_bad_rows_changes_nothing_and_names_every_bad_row_and_column(app, tmp_path):
    org = build_org(app)
    closed_wave(app, org, seed=1)
    before = _counts(app)
    data = tmp_path / "bad.csv"
    data.write_bytes(BAD)
    result = app.test_cli_runner().invoke(
        args=[
            "import",
            str(data),
            "--instrument",
            FULL.source,
            "--team-column",
            "team",
            "--team-size-column",
            "team_size",
            "--name",
            "Old survey",
        ]
    )
    assert result.exit_code == 1
    assert "nothing imported: 7 problem(s)" in result.output
    for row, column in EXPECTED:
        where = f"row {row}, column {column!r}:" if column else f"row {row}:"
        assert where in result.output, where
    assert _counts(app) == before

    client = app.test_client()
    with app.app_context():
        from surveys.models import User

        login_as(client, db.session.get(User, org.admin))
    response = client.post(
        "/admin/waves/import?lang=en",
        data={
            "file": (io.BytesIO(BAD), "bad.csv"),
            "instrument": "full\t1.0.0",
            "team_column": "team",
            "team_size_column": "team_size",
            "name": "Old survey",
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing was imported: 7 problem(s)" in page
    assert page.count('class="import-error"') == 7
    assert "unknown team “Nowhere”" in page and "“6” is not an answer from 1 to 5" in page
    assert _counts(app) == before


def test_an_instrument_file_that_differs_from_the_apps_is_refused(app, tmp_path):
    build_org(app)
    before = _counts(app)
    data = tmp_path / "data.csv"
    data.write_bytes(_csv([_row("East")] * 5))
    changed = pulse_copy(tmp_path, "pulse.toml", change=("reverse = true", "reverse = false"))
    result = app.test_cli_runner().invoke(
        args=["import", str(data), "--instrument", str(changed), "--team-column", "team"]
        + ["--name", "X"]
    )
    assert result.exit_code == 1
    # Named by the instrument file, not the data file: the data is not at fault.
    assert f"{changed}: the instrument file differs from the app's pulse version 1.0.0" in (
        result.output
    )
    assert _counts(app) == before


def _values(row: dict[str, str]) -> list:
    out = []
    for value in row.values():
        try:
            out.append(float(value))
        except ValueError:
            out.append(value)
    return out


def _key(values: list) -> str:
    return str([round(v, 4) if isinstance(v, float) else v for v in values])


def test_an_exported_wave_imported_again_gives_the_same_results(make_app, backend, tmp_path):
    # The import goes through the same close as a live wave: same teams, answers and sizes,
    # the same stored numbers, seen here through an export of each.
    app = make_app(backend)
    org = build_org(app)
    live = closed_wave(app, org, seed=2)
    first = export_cli(app, tmp_path / "live", str(live), "--team-names")
    with app.app_context():
        organisation.set_time_zone("Asia/Shanghai")
    result = app.test_cli_runner().invoke(
        args=[
            "import",
            str(tmp_path / "live" / "responses.csv"),
            "--instrument",
            str(tmp_path / "live" / "instrument.toml"),
            "--team-column",
            "team",
            "--team-size-column",
            "team_size",
            "--name",
            "Imported",
            "--closed-on",
            "2025-06-30",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        wave = db.session.scalar(db.select(Wave).where(Wave.name == "Imported"))
        assert wave.status() is WaveStatus.CLOSED
        # The date entered is the organisation's: noon in Shanghai is 04:00 UTC that day.
        assert wave.closed_at.isoformat() == "2025-06-30T04:00:00"
        imported = wave.id
    again = export_cli(app, tmp_path / "again", str(imported), "--team-names")
    for name in ("teams.csv", "scales.csv", "responses.csv", "scores.csv"):
        rows = read_csv(again[name])
        expected = read_csv(first[name])
        assert len(rows) == len(expected) > 0
        for row in (*rows, *expected):
            row.pop("wave")
            row.pop("response_id", None)
        # Rows come in the order of new random ids, so sums run in another order and omega's
        # iterative fit stops at another step: the last digits of a float may differ.
        got = sorted(map(_values, rows), key=_key)
        for row, want in zip(got, sorted(map(_values, expected), key=_key), strict=True):
            for value, wanted in zip(row, want, strict=True):
                if isinstance(wanted, float):
                    assert value == pytest.approx(wanted, rel=1e-6), name
                else:
                    assert value == wanted, name
    sizes = {r["team"]: r["team_size"] for r in read_csv(again["teams.csv"])}
    assert sizes == {n: str(TEAMS[n][0]) for n in exported(app, live)}
    codebook = json.loads(again["codebook.json"])
    assert codebook["waves"][0]["closed_on"] == "2025-06-30"
    assert codebook["time_zone"] == "Asia/Shanghai"


def test_an_admin_imports_on_the_page_and_others_get_404(app, client):
    org = build_org(app)
    from surveys.models import User

    good = _csv([_row("East", "8", fam1=str(1 + i % 5)) for i in range(6)] + [_row("Tiny", "")])
    with app.app_context():
        login_as(client, db.session.get(User, org.facilitator))
    assert client.get("/admin/waves/import").status_code == 404
    with app.app_context():
        login_as(client, db.session.get(User, org.admin))
    page = client.get("/admin/waves/import?lang=zh_Hans").get_data(as_text=True)
    assert "团队信任调查（完整版） (full 1.0.0)" in page  # the instrument's Chinese name
    response = client.post(
        "/admin/waves/import?lang=en",
        data={
            "file": (io.BytesIO(good), "old.csv"),
            "instrument": "full\t1.0.0",
            "team_column": "team",
            "team_size_column": "team_size",
            "name": "Old survey",
            "closed_on": "2024-03-31",
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Wave “Old survey” imported and closed" in response.get_data(as_text=True)
    with app.app_context():
        wave = db.session.scalar(db.select(Wave).where(Wave.name == "Old survey"))
        assert wave.status() is WaveStatus.CLOSED and wave.closed_at.year == 2024
        assert sorted(t.name for t in wave.teams) == ["East", "Tiny"]
    counts = _counts(app)
    assert counts["response"] == 7 and counts["team_scale_result"] == 2 * len(FULL.scales)


def test_decimal_answers_on_a_continuous_scale_import_and_whole_ones_elsewhere_do_not(
    make_app, tmp_path
):
    """`trustsurvey analyze` reads 10.25 on a `continuous = true` scale; so does the import
    (it refused every decimal, "not an answer from 0 to 60")."""
    own = tmp_path / "instance" / "instruments"
    own.mkdir(parents=True)
    (own / "hours.toml").write_text(HOURS, encoding="utf-8")
    app = make_app()
    build_org(app)
    answers = [(40.5, 38.25), (45.0, 44.75), (0.5, 12.0), (39.0, 41.5), (50.0, 47.25)]
    lines = ["team,H1,H2"] + [f"East,{a},{b}" for a, b in answers]
    lines[3] = "East,.5,+12"  # plain decimals as analyze takes them
    data = tmp_path / "hours.csv"
    data.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    args = ["import", str(data), "--instrument", str(own / "hours.toml"), "--team-column", "team"]
    result = app.test_cli_runner().invoke(args=[*args, "--name", "Hours"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        wave = db.session.scalar(db.select(Wave).where(Wave.name == "Hours"))
        (row,) = db.session.scalars(
            db.select(TeamScaleResult).where(TeamScaleResult.wave_id == wave.id)
        ).all()
    # By hand: each respondent's score is the mean of H1 and H2; the team's, their mean.
    assert row.n == 5 and row.mean == pytest.approx(sum(a + b for a, b in answers) / 10, abs=1e-12)

    bad = tmp_path / "bad.csv"
    bad.write_text("team,H1,H2\r\nEast,60.5,3\r\nEast,1e3,3\r\nEast,１,3\r\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(bad), *args[2:], "--name", "Bad"])
    assert result.exit_code == 1
    for row_number, value in ((2, "60.5"), (3, "1e3"), (4, "１")):
        assert f"row {row_number}, column 'H1': “{value}” is not an answer" in result.output


def test_an_export_with_a_team_name_a_spreadsheet_would_run_imports_as_it_is(app, tmp_path):
    """The export writes "=East" as "'=East" (so Excel does not run it); the import reads
    its own export back: the team was "unknown" on every row."""
    org = build_org(app)
    live = closed_wave(app, org, seed=3)
    with app.app_context():
        db.session.get(Team, org.teams["East"]).name = "=East"
        db.session.commit()
    files = export_cli(app, tmp_path / "live", str(live), "--team-names")
    assert "'=East" in {r["team"] for r in read_csv(files["teams.csv"])}
    result = app.test_cli_runner().invoke(
        args=[
            "import", str(tmp_path / "live" / "responses.csv"),
            "--instrument", str(tmp_path / "live" / "instrument.toml"),
            "--team-column", "team", "--team-size-column", "team_size", "--name", "Again",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with app.app_context():
        wave = db.session.scalar(db.select(Wave).where(Wave.name == "Again"))
        assert org.teams["East"] in {t.id for t in wave.teams}


def test_a_message_about_a_cell_writes_its_control_characters_as_escapes(app, tmp_path):
    """A NUL went into the admin page's HTML, and a terminal's escape sequence (here: set
    the window title) to the command line, as they were."""
    build_org(app)
    rows = [_row("\x1b]0;owned\x07East"), _row("East", fam1="1\x00")]
    data = tmp_path / "control.csv"
    data.write_bytes(_csv(rows))
    result = app.test_cli_runner().invoke(
        args=["import", str(data), "--instrument", FULL.source, "--team-column", "team",
              "--name", "Controls"]
    )  # fmt: skip
    assert result.exit_code == 1
    assert "unknown team “\\x1b]0;owned\\x07East”" in result.output
    assert "row 3, column 'fam1': “1\\x00” is not an answer" in result.output
    assert (
        "\x1b" not in result.output and "\x00" not in result.output and "\x07" not in result.output
    )


def test_a_byte_that_is_not_utf8_is_named_by_row_and_column(app, tmp_path):
    """A comment spanning two lines comes first, so counting lines would name the wrong row;
    the cell is found as the CSV reads once the file is saved as UTF-8."""
    build_org(app)
    before = _counts(app)
    header = ",".join(["team", "note", *FULL.item_keys])
    rows = [
        ",".join(["East", '"two\r\nlines"', *["3"] * len(FULL.item_keys)]),
        ",".join(["East", "ok", "3", "3", "Ren\xe9e", *["3"] * (len(FULL.item_keys) - 3)]),
    ]
    data = tmp_path / "cp1252.csv"
    data.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("cp1252"))
    result = app.test_cli_runner().invoke(
        args=["import", str(data), "--instrument", FULL.source, "--team-column", "team",
              "--name", "Latin-1"]
    )  # fmt: skip
    assert result.exit_code == 1
    third = FULL.item_keys[2]
    assert f"row 3, column {third!r}: the file is not UTF-8 (first on row 3)" in result.output
    assert _counts(app) == before
