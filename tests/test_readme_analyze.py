"""The README's `trustsurvey analyze` example prints what the README says it prints.

The instrument, the CSV and the JSON are read from README.md itself, so the example cannot
drift from the code again (its omega and loadings once showed an earlier omega's numbers).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from surveys.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _example() -> tuple[str, str, dict]:
    start = README.index("With `climate.csv`:")
    toml = re.findall(r"```toml\n(.*?)```", README[:start], re.S)[-1]
    data = re.search(r"```text\n(.*?)```", README[start:], re.S).group(1)
    shown = README.index("trustsurvey analyze climate.csv --instrument ext.toml")
    printed = re.search(r"```json\n(.*?)```", README[shown:], re.S).group(1)
    return toml, data, json.loads(printed)


def _same(shown, found, where="") -> None:
    """Every value the README shows is in the output; numbers as rounded to 3 places."""
    if isinstance(shown, dict):
        assert isinstance(found, dict), where
        for key, value in shown.items():
            assert key in found, f"{where}.{key}"
            _same(value, found[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(found, list) and len(found) == len(shown), where
        for i, (a, b) in enumerate(zip(shown, found, strict=True)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(shown, float):
        assert found == pytest.approx(shown, abs=5e-4), where
    else:
        assert found == shown, where


def test_the_readmes_analyze_example_prints_the_numbers_it_shows(tmp_path):
    toml, data, shown = _example()
    (tmp_path / "ext.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "climate.csv").write_text(data, encoding="utf-8")
    args = [
        "analyze", str(tmp_path / "climate.csv"), "--instrument", str(tmp_path / "ext.toml"),
        "--team-column", "dept", "--team-size-column", "size",
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    _same(shown, found)
    assert set(found["scales"]["cohesion"]) - set(shown["scales"]["cohesion"]) <= {"reasons"}
