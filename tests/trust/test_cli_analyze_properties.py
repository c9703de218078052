"""Hostile survey CSVs for `trustsurvey analyze`, by property: it either analyses, or exits 2
with one "Error:" line and writes nothing; it never ends in a traceback."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.trust.test_cli_analyze import GOOD, INSTRUMENT, run

COLUMNS = ["dept", "Q1 cohesion", "Q2", "Q3", "V1", "V2", "size", "comment", "", "x"]
cells = st.one_of(
    st.sampled_from(["", "0", "1", "4", "5", "-1", "2.5", "NaN", "inf", "1e9", " 3", "A", "B"]),
    st.text(max_size=8),
)
tables = st.builds(
    lambda header, rows: "\n".join(",".join(r) for r in [header, *rows]),
    st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=9),
    st.lists(st.lists(cells, min_size=0, max_size=9), max_size=12),
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(tmp_path, content: bytes):
    (tmp_path / "ext.toml").write_text(INSTRUMENT, encoding="utf-8")
    data = tmp_path / "data.csv"
    data.write_bytes(content)
    output = tmp_path / "out.json"
    output.unlink(missing_ok=True)
    result = run(tmp_path, data, "--team-size-column", "size", "--output", str(output))
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.output.startswith("Error: "), result.output
        assert not output.exists()
    else:
        assert output.exists()


@SETTINGS
@given(text=tables)
def test_any_csv_made_of_plausible_cells_is_analysed_or_refused_by_name(tmp_path, text):
    check(tmp_path, text.encode("utf-8"))


@SETTINGS
@given(raw=st.binary(max_size=400), cut=st.integers(min_value=0, max_value=len(GOOD)))
def test_broken_bytes_and_cut_files_are_analysed_or_refused_by_name(tmp_path, raw, cut):
    check(tmp_path, GOOD.encode("utf-8")[:cut] + raw)
