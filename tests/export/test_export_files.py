"""What an export holds: every column described, small teams left out, the same numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from surveys import instruments
from surveys.cli import main
from surveys.db import db
from surveys.models import Member, TeamScaleResult, User, Wave
from surveys.services import audit, export
from tests.export.conftest import TEAMS, build_org, closed_wave, exported, withheld
from tests.export.helpers import BOM, export_cli, folder_files, header, read_csv

FULL = instruments.get("full", "1.0.0")


def test_codebook_describes_every_column_of_every_file(app, org, tmp_path):
    wave = closed_wave(app, org, seed=1)
    files = export_cli(app, tmp_path / "out", str(wave), "--comments")
    book = json.loads(files["codebook.json"])
    rows = read_csv(files["codebook.csv"])
    csv_names = [name for name in files if name.endswith(".csv")]
    assert set(csv_names) == {
        "responses.csv",
        "scores.csv",
        "teams.csv",
        "scales.csv",
        "comments.csv",
        "codebook.csv",
    }
    for name in csv_names:
        columns = header(files[name])
        described = [c["name"] for c in book["files"][name]["columns"]]
        assert described == columns, name
        assert [r["column"] for r in rows if r["file"] == name] == columns, name
        for c in book["files"][name]["columns"]:
            assert c["description"]["en"] and c["description"]["zh"], (name, c["name"])
    items = {c["name"]: c for c in book["files"]["responses.csv"]["columns"]}
    for item in FULL.items:
        found = items[item.key]
        assert found["text"] == dict(item.text) and found["reverse"] == item.reverse
        assert found["scale"] == item.scale
        labels = FULL.scale(item.scale).response_scale.labels
        assert list(found["values"]["zh"].values()) == list(labels["zh"])
    assert book["format"]["missing_value"] == ""
    (listed,) = book["instruments"]
    assert (listed["key"], listed["version"], listed["file"]) == (
        "full",
        "1.0.0",
        "instrument.toml",
    )
    (described_wave,) = book["waves"]
    assert described_wave["k"] == 5
    assert files["instrument.toml"] == Path(FULL.source).read_bytes()


def test_teams_below_k_are_left_out_of_every_file_and_the_codebook_says_why(app, org, tmp_path):
    wave = closed_wave(app, org, seed=2)
    files = export_cli(app, tmp_path / "out", str(wave), "--comments")
    responses = read_csv(files["responses.csv"])
    teams = read_csv(files["teams.csv"])
    kept = exported(app, wave)
    hidden = withheld(app, wave)
    # The close withholds a team of at least k to keep Tiny from the organisation's numbers.
    assert hidden and not hidden & kept
    assert len(responses) == sum(TEAMS[n][1] for n in kept)
    assert len(read_csv(files["scores.csv"])) == len(responses)
    assert len(teams) == len(kept) == len({r["team"] for r in responses})
    # Tiny (3 responses, 4 invited) is nowhere: no row has its size with 3 responses.
    assert sorted(int(r["n"]) for r in teams) == sorted(TEAMS[n][1] for n in kept)
    assert {c["team"] for c in read_csv(files["comments.csv"])} <= {r["team"] for r in teams}
    assert len(read_csv(files["comments.csv"])) == len(kept)
    book = json.loads(files["codebook.json"])
    left = {x["what"]: (x["teams"], x["responses"]) for x in book["waves"][0]["left_out"]}
    assert left == {
        "below_k": (1, 3),
        "withheld": (len(hidden), sum(TEAMS[n][1] for n in hidden)),
    }
    assert book["small_teams_included"] is False
    # No name, email or invitation anywhere: only codes stand for teams and departments.
    text = b"".join(v for k, v in files.items() if k != "instrument.toml").decode("utf-8")
    for name in [*TEAMS, "Sales"]:
        assert name not in text
    with app.app_context():
        people = db.session.scalars(db.select(Member.name)).all()
        emails = db.session.scalars(db.select(User.email)).all()
    assert not any(p in text for p in people + emails)
    assert {r["team"][0] for r in responses} == {"T"}
    sales = {n for n in kept if n in ("East", "West", "North")}
    assert {r["department"][:1] for r in responses} == {"D"} | ({""} if kept - sales else set())


def test_an_admin_who_asks_gets_small_teams_and_the_codebook_records_it(app, org, tmp_path):
    wave = closed_wave(app, org, seed=3)
    files = export_cli(app, tmp_path / "out", str(wave), "--include-small-teams", "--comments")
    responses = read_csv(files["responses.csv"])
    assert len(responses) == sum(answered for _size, answered in TEAMS.values())
    for name in ["Tiny", *withheld(app, wave)]:
        row = [r for r in read_csv(files["teams.csv"]) if r["n"] == str(TEAMS[name][1])]
        assert len(row) == 1 and row[0]["familiarity_mean"] == ""  # never shown
    # Comments stay at k whatever the option.
    assert len(read_csv(files["comments.csv"])) == len(TEAMS) - 1
    book = json.loads(files["codebook.json"])
    assert book["small_teams_included"] is True
    assert [x["what"] for x in book["waves"][0]["left_out"]] == ["nothing"]


def test_only_admins_may_ask_for_small_teams_or_names_and_only_closed_waves_go_out(app, org):
    wave = closed_wave(app, org, seed=4)
    with app.app_context():
        with pytest.raises(export.ExportError, match="only an admin"):
            export.check([wave], export.ExportOptions(small_teams=True), role="researcher")
        with pytest.raises(export.ExportError, match="only an admin"):
            export.check([wave], export.ExportOptions(team_names=True), role="researcher")
        with pytest.raises(export.ExportError, match="researchers and admins"):
            export.check([wave], export.ExportOptions(), role="facilitator")
        with pytest.raises(export.ExportError, match="does not exist"):
            export.check([wave + 1], export.ExportOptions(), role="admin")
        assert export.check([wave], export.ExportOptions(), role="researcher")[0].id == wave


def test_team_size_is_the_invitations_issued_and_teams_keep_one_code_across_waves(
    app, org, tmp_path
):
    first = closed_wave(app, org, seed=5, name="Spring")
    second = closed_wave(app, org, seed=6, name="Autumn", instrument="pulse")
    files = export_cli(app, tmp_path / "out", str(first), str(second))
    responses = read_csv(files["responses.csv"])
    sizes = {(r["wave"], r["team"]): r["team_size"] for r in responses}
    by_n = {}
    for r in read_csv(files["teams.csv"]):
        by_n.setdefault(r["wave"], {})[r["n"]] = r["team"]
        assert sizes[(r["wave"], r["team"])] == r["team_size"]
    for name, (invited, answered) in TEAMS.items():
        if name in exported(app, first) & exported(app, second):
            code = by_n[str(first)][str(answered)]
            assert sizes[(str(first), code)] == str(invited)
            assert by_n[str(second)][str(answered)] == code  # the same team, the same code
    # The full instrument holds every pulse item; Autumn's (pulse) rows leave the others empty.
    autumn = [r for r in responses if r["wave"] == str(second)]
    assert all(r["aff1"] == "" for r in autumn)
    assert len(json.loads(files["codebook.json"])["instruments"]) == 2
    assert "instrument_pulse_1.0.0.toml" in files and "instrument_full_1.0.0.toml" in files


def test_scores_are_reverse_keyed_means_with_the_half_rule(app, org, tmp_path):
    wave = closed_wave(app, org, seed=7)
    files = export_cli(app, tmp_path / "out", str(wave))
    answers = read_csv(files["responses.csv"])
    scores = {r["response_id"]: r for r in read_csv(files["scores.csv"])}
    for row in answers:
        for scale in FULL.scales:
            # By hand, independently of trust.scoring: min + max - x for reverse items,
            # the mean of the answered ones if at least half were answered.
            rs = scale.response_scale
            given = [
                (rs.min + rs.max - int(row[i.key])) if i.reverse else int(row[i.key])
                for i in scale.items
                if row[i.key] != ""
            ]
            got = scores[row["response_id"]][scale.key]
            if 2 * len(given) < len(scale.items):
                assert got == ""
            else:
                assert float(got) == pytest.approx(sum(given) / len(given), abs=1e-12)


def test_text_cells_are_utf8_with_a_byte_order_mark_and_formulas_are_neutralised(
    app, org, tmp_path
):
    wave = closed_wave(app, org, seed=8)
    files = export_cli(app, tmp_path / "out", str(wave), "--comments", "--team-names")
    for name, data in files.items():
        if name.endswith(".csv"):
            assert data.startswith(BOM) and b"\r\n" in data, name
    comments = read_csv(files["comments.csv"])
    assert comments and all(c["text"].startswith("'=note ") for c in comments)
    # Names only because the command (an admin's act) asked for them.
    teams = read_csv(files["teams.csv"])
    assert {r["team"] for r in teams} == exported(app, wave)
    assert {r["department"] for r in teams if r["team"] in ("East", "West", "North")} == {"Sales"}


def test_export_list_prints_id_status_and_name_tab_separated(app, org):
    wave = closed_wave(app, org, seed=9, name="Spring 2026")
    result = app.test_cli_runner().invoke(args=["export", "--list"])
    assert result.exit_code == 0
    assert result.output == f"{wave}\tclosed\tSpring 2026\n"


def test_export_of_an_open_wave_fails_and_writes_nothing(app, org, tmp_path):
    from tests.export.conftest import open_wave

    wave = open_wave(app, org)
    result = app.test_cli_runner().invoke(
        args=["export", str(wave), "--output", str(tmp_path / "o")]
    )
    assert result.exit_code == 1 and f"wave {wave} (Open) is not closed" in result.output
    assert not (tmp_path / "o").exists()


def _numbers(row: dict, keys) -> list:
    return [None if row[k] == "" else float(row[k]) for k in keys]


def test_analyze_on_the_export_reproduces_teams_csv_and_scales_csv(make_app, backend, tmp_path):
    app = make_app(backend)
    org = build_org(app)
    wave = closed_wave(app, org, seed=10)
    out = tmp_path / "out"
    files = export_cli(app, out, str(wave))
    result = CliRunner().invoke(
        main,
        [
            "analyze",
            str(out / "responses.csv"),
            "--instrument",
            str(out / "instrument.toml"),
            "--team-column",
            "team",
            "--team-size-column",
            "team_size",
        ],
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    teams = read_csv(files["teams.csv"])
    assert {r["team"] for r in teams} == set(found["teams"])
    fields = ("n", "mean", "sd", "ci_low", "ci_high", "rwg_j")
    compared = 0
    for row in teams:
        team = found["teams"][row["team"]]
        assert int(row["n"]) == team["n"] and int(row["team_size"]) == team["team_size"]
        for scale in FULL.scales:
            exported = _numbers(row, [f"{scale.key}_{f}" for f in fields])
            again = [team["scales"][scale.key][f] for f in fields]
            assert exported == pytest.approx(again, rel=1e-12, abs=1e-12), (row["team"], scale.key)
            compared += sum(v is not None for v in exported)
    assert len(teams) >= 3 and compared == len(teams) * len(FULL.scales) * len(fields)
    scale_fields = ("alpha", "alpha_ci_low", "alpha_ci_high", "omega_total", "icc1", "icc2")
    for row in read_csv(files["scales.csv"]):
        again = found["scales"][row["scale"]]
        assert int(row["n"]) == again["n_respondents"]
        keys = [*scale_fields, "mean_rwg_j"]
        assert _numbers(row, keys) == pytest.approx([again[k] for k in keys], rel=1e-12)
    # And teams.csv holds the stored numbers the product shows, not a recomputation.
    with app.app_context():
        stored = db.session.scalars(
            db.select(TeamScaleResult.mean).where(
                TeamScaleResult.wave_id == wave, TeamScaleResult.mean.is_not(None)
            )
        ).all()
    exported_means = [float(r[f"{s.key}_mean"]) for r in teams for s in FULL.scales]
    assert sorted(exported_means) == sorted(stored)
    assert not np.isnan(exported_means).any()


def test_a_stored_null_or_fraction_is_written_as_stored(app, org, tmp_path):
    # The respond rules store whole numbers only; answers that reached the database another
    # way are still exported as they are, not rounded and not dropped.
    from surveys.models import Response

    wave = closed_wave(app, org, seed=11)
    with app.app_context():
        row = db.session.scalars(
            db.select(Response).where(
                Response.wave_id == wave, Response.team_id == org.teams["East"]
            )
        ).first()
        row.answers = {**row.answers, "fam1": None, "fam2": 2.5, "fam3": 4}
        db.session.commit()
    files = export_cli(app, tmp_path / "out", str(wave))
    rows = read_csv(files["responses.csv"])
    odd = [r for r in rows if r["fam2"] == "2.5"]
    assert len(odd) == 1 and odd[0]["fam1"] == "" and odd[0]["fam3"] == "4"
    assert all(r["fam2"] in {"", "1", "2", "3", "4", "5"} for r in rows if r is not odd[0])


def test_zip_holds_the_same_files_as_the_folder_and_no_export_time(app, org, tmp_path):
    import zipfile

    wave = closed_wave(app, org, seed=12)
    folder = export_cli(app, tmp_path / "folder", str(wave))
    result = app.test_cli_runner().invoke(
        args=["export", str(wave), "--zip", "--output", str(tmp_path / "x.zip")]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "x.zip") as archive:
        assert {i.filename: archive.read(i) for i in archive.infolist()} == folder
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_teams_csv_counts_the_invitations_issued_after_opening(app, org, tmp_path):
    """A team given invitations after the wave opened may have been pushed past k with
    invented members; the product marks it (†) on every page, and the export says so too."""
    wave = closed_wave(app, org, seed=7)
    with app.app_context():
        audit.record(
            db.session.get(Wave, wave),
            db.session.get(User, org.admin),
            audit.Action.ISSUED_AFTER_OPEN,
            {org.teams["East"]: 2},
        )
    files = export_cli(app, tmp_path / "out", str(wave))
    late = {r["n"]: r["issued_after_open"] for r in read_csv(files["teams.csv"])}
    east, others = str(TEAMS["East"][1]), set(late) - {str(TEAMS["East"][1])}
    assert late[east] == "2" and others and {late[n] for n in others} == {"0"}
    book = json.loads(files["codebook.json"])
    columns = book["files"]["teams.csv"]["columns"]
    (described,) = [c for c in columns if c["name"] == "issued_after_open"]
    assert "after the wave had opened" in described["description"]["en"]


def test_an_export_into_a_folder_that_holds_files_is_refused_and_changes_nothing(
    app, org, tmp_path
):
    """An earlier export's comments.csv (under other team codes) would otherwise stay
    beside the new files, looking like part of them."""
    first, second = closed_wave(app, org, seed=8), closed_wave(app, org, seed=9, name="Autumn")
    out = tmp_path / "out"
    before = export_cli(app, out, str(first), "--comments")
    result = app.test_cli_runner().invoke(args=["export", str(second), "--output", str(out)])
    assert result.exit_code == 1
    assert f"the folder {out} is not empty" in result.output
    assert folder_files(out) == before
