"""Reading an export back: CSV files with their byte-order mark, as rows of dicts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

BOM = b"\xef\xbb\xbf"


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def header(data: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def folder_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def export_cli(app, folder: Path, *args: str) -> dict[str, bytes]:
    """Run ``trustsurvey export`` into ``folder`` and return the files it wrote."""
    result = app.test_cli_runner().invoke(args=["export", *args, "--output", str(folder)])
    assert result.exit_code == 0, result.output
    return folder_files(folder)
