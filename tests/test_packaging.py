"""Packaging: a wheel carries everything the app reads at run time, and an install serves CSS."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from surveys import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from the checkout, as ``pip install .`` builds it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        check=True,
        cwd=out,
    )
    (found,) = out.glob("trustsurvey-*.whl")
    return found


def test_wheel_carries_static_files_instruments_translations_templates_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "surveys/static/style.css",
        "surveys/instruments/full.toml",
        "surveys/instruments/pulse.toml",
        "surveys/services/codebook.toml",
        "surveys/translations/zh_Hans/LC_MESSAGES/messages.mo",
        "surveys/templates/base.html",
        "surveys/templates/respond/index.html",
        "surveys/migrations/env.py",
        "surveys/migrations/alembic.ini",
        "surveys/migrations/script.py.mako",
        "surveys/tools/demo.py",
        "surveys/services/waves.py",
        "trust/__init__.py",
    }
    assert expected <= names
    assert any(n.startswith("surveys/migrations/versions/") and n.endswith(".py") for n in names)
    # Every file of the source tree the app may read, whatever its kind (an .svg template
    # once went missing from the wheel because only *.html was listed).
    shipped = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "surveys").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".po~"}
    }
    shipped |= {f"surveys/static/{p.name}" for p in (ROOT / "static").iterdir() if p.is_file()}
    assert sorted(shipped - names) == []
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "trustsurvey = surveys.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_serves_the_stylesheet(wheel, tmp_path):
    """Install the wheel into a bare folder and serve /static/style.css from that copy."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    script = (
        "import surveys, sys\n"
        f"assert surveys.__file__.startswith({str(target)!r}), surveys.__file__\n"
        "app = surveys.create_app({'TESTING': True, 'SECRET_KEY': 'x',\n"
        f"    'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/db.sqlite3'}})\n"
        "r = app.test_client().get('/static/style.css')\n"
        "print(r.status_code, len(r.data), app.static_folder)\n"
    )
    env = {
        "PYTHONPATH": str(target),
        "TRUSTSURVEY_INSTANCE": str(tmp_path / "instance"),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    status, size, folder = done.stdout.split()
    assert status == "200" and int(size) > 100
    assert folder == str(target / "surveys" / "static")


def test_source_checkout_serves_the_stylesheet_from_top_level_static(tmp_path, monkeypatch):
    """``pip install -e .`` leaves static/ at the top level; the app must find it there."""
    monkeypatch.setenv("TRUSTSURVEY_INSTANCE", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db.sqlite3",
        }
    )
    assert (Path(app.static_folder) / "style.css").is_file()
    with app.test_client().get("/static/style.css") as response:  # closes the file it sends
        assert response.status_code == 200 and b"--accent" in response.data
