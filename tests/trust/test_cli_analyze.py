"""`trustsurvey analyze`: a survey CSV in, JSON or CSV out; a bad CSV exits 2 and writes nothing."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from surveys.cli import main

# An external questionnaire: 0-based 0..4 answers, arbitrary column names, no item texts.
INSTRUMENT = """
[instrument]
key = "ext"
version = "2.1"
name = "External"

[response_scales.zero]
min = 0
max = 4

[[scales]]
key = "cohesion"
response_scale = "zero"
[[scales.items]]
key = "Q1 cohesion"
[[scales.items]]
key = "Q2"
reverse = true
[[scales.items]]
key = "Q3"

[[scales]]
key = "voice"
response_scale = "zero"
[[scales.items]]
key = "V1"
[[scales.items]]
key = "V2"
"""

GOOD = (
    "dept,Q1 cohesion,Q2,Q3,V1,V2,size,comment\n"
    "A,3,1,3,4,3,4,ok\n"
    "A,4,0,4,3,3,4,\n"
    'A,2,2,3,2,,4,"quoted, comma"\n'
    "B,1,3,1,1,2,,\n"
    "B,0,4,1,2,1,,\n"
    "B,2,2,,1,1,,\n"
    "=HYPERLINK(),2,2,2,2,2,,\n"
)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "ext.toml").write_text(INSTRUMENT, encoding="utf-8")

    def write(content: bytes | str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return tmp_path, write


def run(tmp_path, data, *extra):
    args = [
        "analyze",
        str(data),
        "--instrument",
        str(tmp_path / "ext.toml"),
        "--team-column",
        "dept",
        *extra,
    ]
    return CliRunner().invoke(main, args)


def test_json_output_has_the_documented_shape(files):
    tmp_path, write = files
    result = run(tmp_path, write(GOOD), "--team-size-column", "size")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out["scales"]) == {"cohesion", "voice"}
    cohesion = out["scales"]["cohesion"]
    for key in (
        "alpha",
        "alpha_ci_low",
        "alpha_ci_high",
        "omega_total",
        "icc1",
        "icc2",
        "mean_rwg_j",
        "n_respondents",
    ):
        assert key in cohesion
    assert set(cohesion["items"]) == {"Q1 cohesion", "Q2", "Q3"}
    assert out["scales"]["voice"]["omega_total"] is None  # two items: not identified
    team_a = out["teams"]["A"]
    assert team_a["n"] == 3 and team_a["team_size"] == 4
    # A's cohesion: Q2 reversed on 0..4 (x' = 4 - x): (3+3+3)/3, (4+4+4)/3, (2+2+3)/3
    assert team_a["scales"]["cohesion"]["mean"] == pytest.approx((3 + 4 + 7 / 3) / 3)
    assert set(team_a["scales"]["voice"]) >= {"mean", "sd", "ci_low", "ci_high", "rwg_j"}


def test_csv_output_has_one_row_per_team_and_scale(files):
    tmp_path, write = files
    out_path = tmp_path / "out.csv"
    result = run(tmp_path, write(GOOD), "--format", "csv", "--output", str(out_path))
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out_path.read_text(encoding="utf-8"))))
    assert list(rows[0]) == [
        "team",
        "team_size",
        "team_n",
        "scale",
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "rwg_j",
    ]
    assert len(rows) == 3 * 2
    assert {row["team"] for row in rows} == {"A", "B", "'=HYPERLINK()"}
    solo = next(r for r in rows if r["team"] == "'=HYPERLINK()" and r["scale"] == "voice")
    assert solo["mean"] == "2.0" and solo["sd"] == "" and solo["team_size"] == ""


def test_json_output_file_is_written_whole(files):
    tmp_path, write = files
    out_path = tmp_path / "result.json"
    result = run(tmp_path, write(GOOD), "--output", str(out_path))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out_path.read_text(encoding="utf-8"))["n_respondents"] == 7
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


BAD = {
    "missing column": ("dept,Q1 cohesion,Q2,Q3,V1\nA,1,1,1,1\n", "row 1, column 'V2'"),
    "non-numeric": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,1,1,1\nA,1,two,1,1,1\n",
        "row 3, column 'Q2': 'two' is not a number",
    ),
    "out of range": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,1,1,5\n",
        "row 2, column 'V2': 5 is outside the response scale 0..4",
    ),
    "negative": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,-1,1,1,1,1\n",
        "row 2, column 'Q1 cohesion': -1 is outside",
    ),
    "not whole": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,2.5,1,1\n",
        "row 2, column 'Q3': '2.5' is not a number (an answer is a whole number",
    ),
    "nan text": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,nan,1,1\n",
        "row 2, column 'Q3': 'nan' is not a number",
    ),
    "empty file": ("", "row 1: the file is empty"),
    "header only": ("dept,Q1 cohesion,Q2,Q3,V1,V2\n", "row 2: no data rows"),
    "ragged": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,1,1,1\nA,1,1,1,1\n",
        "row 3, column 'V2': the row ends before this column (5 cells; the header has 6 columns)",
    ),
    "ragged short": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1\n",
        "row 2, column 'Q3': the row ends before this column (3 cells",
    ),
    "ragged long": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,1,1,1,,x\n",
        "row 2, column 7: a cell past the header's 6 columns (the row has 8 cells)",
    ),
    "underscore digits": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1_0,1,1,1,1\n",
        "row 2, column 'Q1 cohesion': '1_0' is not a number",
    ),
    "full-width digit": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,1,\uff13,1\n",
        "row 2, column 'V1': '\uff13' is not a number",
    ),
    "arabic-indic digit": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,1,1,\u0663\n",
        "row 2, column 'V2': '\u0663' is not a number",
    ),
    "exponent": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,3e0,1,1\n",
        "row 2, column 'Q3': '3e0' is not a number",
    ),
    "latin-1 after a quoted comma": (
        'dept,Q1 cohesion,Q2,Q3,V1,V2\n"A,B",1,\u00fc,3,1,1\n'.encode("latin-1"),
        "row 2, column 'Q2': not UTF-8 text (byte 0xfc)",
    ),
    "latin-1 in the header": (
        "dept,Q1 cohesion,Q\u00fc,Q3,V1,V2\nA,1,1,1,1,1\n".encode("latin-1"),
        "row 1, column 3: not UTF-8 text (byte 0xfc)",
    ),
    "latin-1 after a cell with a line break": (
        'dept,Q1 cohesion,Q2,Q3,V1,V2\n"A\nB",1,1,1,1,1\nA,1,1,1,1,Z\u00fc\n'.encode("latin-1"),
        "row 3 (line 4), column 'V2': not UTF-8 text (byte 0xfc)",
    ),
    "bad quoting after a cell with a line break": (
        'dept,Q1 cohesion,Q2,Q3,V1,V2\n"A\r\nB",1,1,1,1,1\nA,1,1,1,1,"1"x\n',
        "row 3 (line 4): not valid CSV",
    ),
    "empty team": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\n ,1,1,1,1,1\n",
        "row 2, column 'dept': the team label is empty",
    ),
    "duplicate column": (
        "dept,Q2,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,1,1,1,1\n",
        "row 1, column 'Q2': appears twice",
    ),
    "bom and a bad answer": (
        "\ufeffdept,Q1 cohesion,Q2,Q3,V1,V2\r\nA,1,1,1,1,1\r\nB,1,7,1,1,1\r\n",
        "row 3, column 'Q2': 7 is outside the response scale 0..4",
    ),
    "latin-1": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,1,1,1\nZ\u00fcrich,1,1,1,1,1\n".encode("latin-1"),
        "row 3, column 'dept': not UTF-8 text",
    ),
    "utf-16": (
        "dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,1,1,1\n".encode("utf-16"),
        "row 1: file is UTF-16",
    ),
    "bad quoting": ('dept,Q1 cohesion,Q2,Q3,V1,V2\nA,1,1,1,1,"1"x\n', "row 2: not valid CSV"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_csv_exits_2_names_row_and_column_and_writes_nothing(files, case):
    tmp_path, write = files
    content, message = BAD[case]
    out_path = tmp_path / "out.json"
    result = run(tmp_path, write(content), "--output", str(out_path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1  # one line
    assert not out_path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "ext.toml"]


SIZE_BAD = {
    "size varies in a team": (
        "A,1,1,1,1,1,4\nA,1,1,1,1,1,5\n",
        "row 3, column 'size': team 'A' has size 5 here but size 4 on row 2",
    ),
    "size missing on some rows": (
        "A,1,1,1,1,1,4\nA,1,1,1,1,1,\n",
        "row 3, column 'size': team 'A' has no size here",
    ),
    "size below respondents": (
        "A,1,1,1,1,1,1\nA,1,1,1,1,1,1\n",
        "row 2, column 'size': team 'A' has 2 rows but a team size of 1",
    ),
    "size not a count": ("A,1,1,1,1,1,2.5\n", "row 2, column 'size': '2.5' is not a positive"),
    "size zero": ("A,1,1,1,1,1,0\n", "row 2, column 'size': '0' is not a positive"),
    "size beyond any count": (
        "A,1,1,1,1,1,99999999999999999999999\n",
        "row 2, column 'size': '99999999999999999999999' is too large",
    ),
}


@pytest.mark.parametrize("case", sorted(SIZE_BAD))
def test_bad_team_size_column_exits_2(files, case):
    tmp_path, write = files
    body, message = SIZE_BAD[case]
    result = run(
        tmp_path, write("dept,Q1 cohesion,Q2,Q3,V1,V2,size\n" + body), "--team-size-column", "size"
    )
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_team_size_column_is_named(files):
    tmp_path, write = files
    result = run(tmp_path, write(GOOD), "--team-size-column", "roster")
    assert result.exit_code == 2
    assert "row 1, column 'roster': missing from the header" in result.stderr


def test_missing_data_file_exits_2(files):
    tmp_path, _ = files
    result = run(tmp_path, tmp_path / "nope.csv")
    assert result.exit_code == 2
    assert "cannot read" in result.stderr and "nope.csv" in result.stderr


def test_unwritable_output_fails_without_a_traceback(files):
    tmp_path, write = files
    result = run(tmp_path, write(GOOD), "--output", str(tmp_path / "missing-dir" / "out.json"))
    assert result.exit_code == 1
    assert "cannot write" in result.stderr


def test_bad_instrument_exits_2(files):
    tmp_path, write = files
    (tmp_path / "ext.toml").write_text("[instrument]\nkey = 'x'\n", encoding="utf-8")
    result = run(tmp_path, write(GOOD))
    assert result.exit_code == 2
    assert "ext.toml" in result.stderr


def test_console_script_runs_without_an_app_or_database(files):
    tmp_path, write = files
    data = write(GOOD)
    code = "from surveys.cli import main; main()"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "analyze",
            str(data),
            "--instrument",
            str(tmp_path / "ext.toml"),
            "--team-column",
            "dept",
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "TRUSTSURVEY_INSTANCE": str(tmp_path / "nowhere")},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("team,team_size,team_n,scale,")
    assert not (tmp_path / "nowhere").exists()


def test_windows_line_ends_quotes_and_blank_lines_are_read(files):
    tmp_path, write = files
    content = (
        'dept,"Q1 cohesion",Q2,Q3,V1,V2\r\n"A",1,2,3,4,0\r\n\r\nA, 2 ,1,3,,0\r\nB,4,0,4,4,4\r\n'
    )
    result = run(tmp_path, write(content), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1 + 2 * 2
    # blank line 3 still counts: an error on the next record names row 4
    bad = content.replace("A, 2 ,1,3,,0", "A,2,1,3,,9")
    result = run(tmp_path, write(bad))
    assert result.exit_code == 2 and "row 4, column 'V2'" in result.stderr


def test_rows_are_records_and_a_row_after_a_multi_line_cell_also_gives_its_line(files):
    tmp_path, write = files
    # Row 2's comment spans lines 2-4, so row 3 is line 5, as a spreadsheet shows it.
    content = (
        "dept,Q1 cohesion,Q2,Q3,V1,V2,comment\n"
        'A,1,2,3,4,0,"first line\nsecond line\r\nthird"\n'
        "A,2,1,3,,9,\n"
    )
    result = run(tmp_path, write(content))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: row 3 (line 5), column 'V2': 9 is outside the response scale 0..4\n"
    )
    fixed = run(tmp_path, write(content.replace(",9,", ",4,")), "--format", "csv")
    assert fixed.exit_code == 0, fixed.stderr


def test_a_byte_order_mark_is_read_as_utf8_and_changes_no_number(files):
    # Excel's "CSV UTF-8" and the product's exports start with one; an error still names row 2.
    tmp_path, write = files
    plain = run(tmp_path, write(GOOD), "--format", "csv")
    marked = run(tmp_path, write("\ufeff" + GOOD, "marked.csv"), "--format", "csv")
    assert marked.exit_code == 0, marked.stderr
    assert marked.stdout == plain.stdout
    bad = run(tmp_path, write("\ufeff" + GOOD.replace("A,3,1", "A,9,1"), "bad.csv"))
    assert bad.exit_code == 2 and "row 2, column 'Q1 cohesion'" in bad.stderr
    only = run(tmp_path, write("\ufeff", "only.csv"))
    assert only.exit_code == 2 and "the file is empty" in only.stderr


def test_a_byte_order_mark_and_excel_line_ends_are_read_as_without_them(files):
    # Excel's "CSV UTF-8" starts with a byte-order mark and ends lines with CR LF; the
    # product's own invitation CSV starts with the mark too.
    tmp_path, write = files
    plain = GOOD.replace(',"quoted, comma"', ",quoted")
    expected = run(tmp_path, write(plain, "plain.csv"), "--team-size-column", "size")
    excel = ("\ufeff" + plain).replace("\n", "\r\n")
    result = run(tmp_path, write(excel, "excel.csv"), "--team-size-column", "size")
    assert expected.exit_code == 0 and result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(expected.stdout)
    assert "A" in json.loads(result.stdout)["teams"]


def test_analyze_runs_without_importing_flask_or_the_app(files):
    # Flask and the app cost `analyze` a third of a second of its one-second budget
    # (bench/bench_analyze_cli.py); the analysis needs only trust/ and click.
    tmp_path, write = files
    data = write(GOOD)
    code = (
        "import sys\n"
        "from surveys.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    loaded = sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('flask', 'werkzeug', 'flask_sqlalchemy', 'sqlalchemy', 'jinja2')"
        " or m.startswith('surveys.') and m != 'surveys.cli')\n"
        "    print(loaded, file=sys.stderr)\n"
    )
    args = ["analyze", str(data), "--instrument", str(tmp_path / "ext.toml")]
    proc = subprocess.run(
        [sys.executable, "-c", code, *args, "--team-column", "dept"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n_teams"] == 3
    assert proc.stderr.strip() == "[]"


def test_other_commands_still_load_the_app_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    for command in ("analyze", "serve", "db", "create-user"):
        assert f"  {command} " in result.output


def test_analyze_in_a_longer_process_gives_back_the_garbage_collector(files):
    """The command pauses the cyclic collector for its run; a process that goes on after
    it (a notebook, this test session) gets it back, also after an error."""
    import gc

    tmp_path, write = files
    assert gc.isenabled()
    assert run(tmp_path, write("dept\n")).exit_code == 2  # no item columns: refused
    assert gc.isenabled()
