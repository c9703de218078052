"""Backup and restore as the README documents it: pg_dump of the deployment's database,
pg_restore into a fresh PostgreSQL server, and the results pages read the same there."""

from __future__ import annotations

import re
import subprocess

import pytest

from bench.postgres import Cluster, _bin
from surveys import create_app
from surveys.db import db
from surveys.models import User, Wave
from surveys.services import waves
from tests.facilitate.conftest import _add_responses, _make_wave, build_world
from tests.helpers import login_as

pytestmark = pytest.mark.postgres


def results_page(app, world, wave_id: int) -> str:
    """The admin's results page of the wave, with the per-session CSRF tokens taken out."""
    client = app.test_client()
    with app.app_context():
        login_as(client, db.session.get(User, world.admin))
    reply = client.get(f"/manage/waves/{wave_id}")
    assert reply.status_code == 200
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", reply.get_data(as_text=True))


def test_a_dump_restored_into_a_fresh_server_gives_the_same_results_pages(make_app, tmp_path):
    source = make_app("postgres")
    world = build_world(source)
    wave_id = _make_wave(source, [world.alpha, world.beta], state="due")
    _add_responses(source, wave_id, world.alpha, 6, seed=11)
    _add_responses(source, wave_id, world.beta, 5, seed=12)
    with source.app_context():
        assert waves.close(db.session.get(Wave, wave_id))
    before = results_page(source, world, wave_id)
    assert "Alpha" in before and re.search(r"\b\d\.\d\d\b", before)  # team scores shown

    dump = tmp_path / "trust.dump"
    url = source.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", "")
    subprocess.run(
        [str(_bin() / "pg_dump"), "--format=custom", "--no-owner", f"--file={dump}", url],
        check=True,
    )
    with Cluster(fsync=False) as fresh:
        subprocess.run(
            [str(_bin() / "pg_restore"), "--no-owner", f"--dbname={fresh.url()}", str(dump)],
            check=True,
        )
        restored = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": fresh.url().replace(
                    "postgresql://", "postgresql+psycopg://"
                ),
                "SECRET_KEY": source.config["SECRET_KEY"],
                "CLOSE_DUE_INTERVAL": 0,
                "TESTING": True,
            }
        )
        try:
            assert results_page(restored, world, wave_id) == before
        finally:
            with restored.app_context():
                db.engine.dispose()
