"""The demo organisation: its shape, its reuse, and the patterns its synthetic answers carry."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from surveys import instruments
from surveys.db import db
from surveys.models import (
    Comment,
    Invitation,
    Organisation,
    Response,
    Team,
    TeamScaleResult,
    User,
    Wave,
    utcnow,
)
from surveys.services import invitations, waves
from surveys.tools import demo


@pytest.fixture
def seeded(app):
    with app.app_context():
        info = demo.seed_if_empty()
        yield info


def _leaf_teams():
    return db.session.scalars(db.select(Team).where(Team.parent_id.is_not(None))).all()


def _closed_wave(index: int = 0) -> Wave:
    """A closed full wave of the demo, oldest first: 0 is before the logged intervention."""
    return db.session.scalars(
        db.select(Wave).where(Wave.instrument_key == "full").order_by(Wave.opens_at)
    ).all()[index]


def _scale_scores(wave: Wave):
    """Team id per response and scale scores (mean of reverse-keyed items), computed here."""
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    rows = db.session.execute(
        db.select(Response.team_id, Response.answers).where(Response.wave_id == wave.id)
    ).all()
    teams = np.array([team_id for team_id, _ in rows])
    scores = {}
    for scale in instrument.scales:
        lo, hi = scale.response_scale.min, scale.response_scale.max
        cols = [
            [(lo + hi - a[item.key]) if item.reverse else a[item.key] for item in scale.items]
            for _, a in rows
        ]
        scores[scale.key] = np.asarray(cols, dtype=float).mean(axis=1)
    return teams, scores


def _team_id(name_start: str) -> int:
    return db.session.scalar(db.select(Team.id).where(Team.name.startswith(name_start)))


def test_seeding_twice_reuses_the_existing_organisation(app, seeded):
    with app.app_context():
        again = demo.seed_if_empty()
        assert seeded["created"] is True
        assert again["created"] is False
        assert db.session.scalar(db.select(db.func.count()).select_from(Organisation)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(Wave)) == 3


def test_seed_does_nothing_when_another_organisation_exists(app):
    with app.app_context():
        db.session.add(Organisation(name="Real company"))
        db.session.commit()
        info = demo.seed_if_empty()
        assert info["created"] is False
        assert db.session.scalar(db.select(db.func.count()).select_from(Team)) == 0


def test_fifteen_teams_of_three_to_fourteen_in_three_departments(app, seeded):
    with app.app_context():
        departments = db.session.scalars(db.select(Team).where(Team.parent_id.is_(None))).all()
        teams = _leaf_teams()
        sizes = [len(t.members) for t in teams]
        assert len(departments) == 3
        assert all(d.children for d in departments)
        assert len(teams) == 15
        assert min(sizes) >= 3 and max(sizes) <= 14
        assert sum(size < demo.K for size in sizes) >= 2
        names = [m.name for t in teams for m in t.members]
        assert len(names) == len(set(names)) and all(names)


def test_demo_accounts_have_argon2_hashes_and_the_facilitator_has_some_teams(app, seeded):
    with app.app_context():
        users = {u.role: u for u in db.session.scalars(db.select(User))}
        assert {"admin", "facilitator"} <= set(users)
        assert all(u.password_hash.startswith("$argon2") for u in users.values())
        assigned = users["facilitator"].teams
        assert 0 < len(assigned) < 3


@pytest.mark.parametrize("index", [0, 1])
def test_closed_wave_is_closed_with_used_invitations_and_stored_aggregates(app, seeded, index):
    with app.app_context():
        wave = _closed_wave(index)
        assert wave.status() == "closed" and wave.closed_at is not None
        assert wave.instrument_version == "1.0.0"
        responses = db.session.scalar(
            db.select(db.func.count()).select_from(Response).where(Response.wave_id == wave.id)
        )
        # Closing reduced who was invited and who answered to per-team counts.
        remembered = db.session.scalar(
            db.select(db.func.count())
            .select_from(Invitation)
            .where(
                Invitation.wave_id == wave.id,
                Invitation.used.is_(True) | Invitation.member_id.is_not(None),
            )
        )
        issued = sum(invitations.issued_per_team(wave.id, [t.id for t in wave.teams]).values())
        assert remembered == 0
        assert issued > responses > 60
        assert (
            db.session.scalar(
                db.select(db.func.count())
                .select_from(TeamScaleResult)
                .where(TeamScaleResult.wave_id == wave.id)
            )
            == 15 * 8
        )
        assert db.session.scalar(
            db.select(db.func.count()).select_from(Comment).where(Comment.wave_id == wave.id)
        )


def test_answers_are_whole_numbers_on_the_response_scale(app, seeded):
    with app.app_context():
        wave = _closed_wave()
        instrument = instruments.get("full", "1.0.0")
        stored = db.session.scalars(db.select(Response.answers).where(Response.wave_id == wave.id))
        for answers in stored:
            assert set(answers) == set(instrument.item_keys)
            assert all(isinstance(v, int) and 1 <= v <= 5 for v in answers.values())


@pytest.mark.parametrize("index", [0, 1])
def test_low_openness_team_is_lower_on_openness_than_the_organisation(app, seeded, index):
    with app.app_context():
        teams, scores = _scale_scores(_closed_wave(index))
        own = teams == _team_id("Mobile")
        assert scores["openness"][own].mean() < scores["openness"][~own].mean() - 0.7


@pytest.mark.parametrize("index", [0, 1])
def test_low_familiarity_team_is_lower_on_familiarity_than_the_organisation(app, seeded, index):
    with app.app_context():
        teams, scores = _scale_scores(_closed_wave(index))
        own = teams == _team_id("Supply Chain")
        assert scores["familiarity"][own].mean() < scores["familiarity"][~own].mean() - 0.7


def test_cognitive_high_affective_low_team_shows_the_gap_before_the_intervention(app, seeded):
    with app.app_context():
        teams, scores = _scale_scores(_closed_wave())
        own = teams == _team_id("Data")
        assert scores["cognitive_trust"][own].mean() > scores["cognitive_trust"][~own].mean()
        assert scores["affective_trust"][own].mean() < scores["affective_trust"][~own].mean() - 0.5


@pytest.mark.parametrize("index", [0, 1])
def test_split_team_has_the_widest_disagreement_and_two_camps(app, seeded, index):
    with app.app_context():
        teams, scores = _scale_scores(_closed_wave(index))
        drivers = np.column_stack([scores[d] for d in ("familiarity", "similarity", "openness")])
        person = drivers.mean(axis=1)
        spread = {
            t: person[teams == t].std(ddof=1)
            for t in np.unique(teams)
            if (teams == t).sum() >= demo.K
        }
        split = _team_id("East China Sales")
        assert max(spread, key=spread.get) == split
        # two camps: few answers near the team's own mean
        own = person[teams == split]
        assert np.mean(np.abs(own - own.mean()) < 0.4) < 0.35


def test_the_same_seed_gives_the_same_answers(make_app):
    snapshots = []
    for _ in range(2):
        app = make_app()
        with app.app_context():
            demo.seed_if_empty()
            rows = db.session.execute(
                db.select(Team.name, Response.answers).join(Team, Team.id == Response.team_id)
            ).all()
            snapshots.append(sorted((name, sorted(a.items())) for name, a in rows))
    assert snapshots[0] == snapshots[1]


def test_printed_links_open_unused_invitations_of_the_open_wave(app, seeded):
    with app.app_context():
        text = demo.describe(seeded, "http://127.0.0.1:5000")
        links = [w for w in text.split() if w.startswith("http://127.0.0.1:5000/s/")]
        assert len(links) >= 5
        sizes = set()
        for link in links:
            invitation = invitations.find(link.rsplit("/", 1)[1])
            assert invitation is not None and not invitation.used
            assert invitation.wave.status() == "open"
            sizes.add(len(db.session.get(Team, invitation.team_id).members))
        assert min(sizes) < demo.K <= max(sizes)
        assert "facilitator@demo.example" in text and "demo-facilitator-2026" in text
        assert "admin@demo.example" in text
        assert app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///") in text


def test_demo_command_seeds_and_prints_without_serving(runner, app):
    result = runner.invoke(args=["demo", "--no-serve", "--port", "5055"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5055/s/" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Organisation)) == 1


def test_demo_seeds_on_both_databases(make_app, backend):
    app = make_app(backend)
    with app.app_context():
        assert demo.seed_if_empty()["created"]
        assert len(_leaf_teams()) == 15


def test_demo_command_serves_the_app_on_the_given_host_and_port(runner, app, monkeypatch):
    """Flask's app.run() silently refuses to serve inside a CLI command; the demo must serve."""
    served = []
    monkeypatch.setattr(
        "werkzeug.serving.run_simple",
        lambda host, port, wsgi, **kw: served.append((host, port, wsgi)),
    )
    result = runner.invoke(args=["demo", "--host", "127.0.0.2", "--port", "5077"])
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.2", 5077, app)]


@pytest.mark.parametrize(
    ("host", "base"),
    [
        ("0.0.0.0", "http://127.0.0.1:5000"),
        ("::", "http://127.0.0.1:5000"),
        ("", "http://127.0.0.1:5000"),
        ("127.0.0.1", "http://127.0.0.1:5000"),
        ("192.168.1.20", "http://192.168.1.20:5000"),
        ("::1", "http://[::1]:5000"),
        ("localhost", "http://localhost:5000"),
        ("survey.example.org", "http://survey.example.org:5000"),
    ],
)
def test_printed_address_is_one_a_browser_can_open(host, base):
    assert demo.link_base(host, 5000) == base


def test_demo_on_every_address_serves_there_and_prints_loopback_links(runner, app, monkeypatch):
    served = []
    monkeypatch.setattr(
        "werkzeug.serving.run_simple",
        lambda host, port, wsgi, **kw: served.append((host, port, wsgi)),
    )
    result = runner.invoke(args=["demo", "--host", "0.0.0.0", "--port", "5078"])
    assert result.exit_code == 0, result.output
    assert served == [("0.0.0.0", 5078, app)]
    assert "http://0.0.0.0" not in result.output
    assert "Sign in at http://127.0.0.1:5078/auth/login" in result.output
    links = [w for w in result.output.split() if w.startswith("http://127.0.0.1:5078/s/")]
    assert len(links) >= 5
    assert "in place of 127.0.0.1" in result.output


def _pulse_wave() -> Wave:
    return db.session.scalar(db.select(Wave).where(Wave.instrument_key == "pulse"))


@pytest.mark.parametrize("how", ["past its close date", "closed by hand"])
def test_reused_demo_whose_open_wave_closed_opens_a_new_pulse_wave(app, seeded, how):
    with app.app_context():
        old = _pulse_wave()
        if how == "closed by hand":
            waves.close(old)
        else:  # as four weeks after the first run
            old.closes_at = utcnow() - dt.timedelta(days=1)
            db.session.commit()
        old_id, old_closes, old_teams = old.id, old.closes_at, {t.id for t in old.teams}
        assert demo._open_wave() is None

        info = demo.seed_if_empty()
        assert info["created"] is False and info["new_wave"].startswith("Pulse ")
        new = demo._open_wave()
        assert new is not None and new.id != old_id
        assert (new.instrument_key, new.instrument_version, new.k) == ("pulse", "1.0.0", demo.K)
        assert {t.id for t in new.teams} == old_teams
        assert new.closes_at - new.opens_at == dt.timedelta(days=28)
        old = db.session.get(Wave, old_id)
        assert old.status() == "closed" and old.closes_at == old_closes  # never reopened
        assert not db.session.scalar(
            db.select(db.func.count()).select_from(Response).where(Response.wave_id == new.id)
        )

        text = demo.describe(info, "http://127.0.0.1:5000")
        assert f"a new pulse wave '{info['new_wave']}' was opened" in text
        links = [w for w in text.split() if w.startswith("http://127.0.0.1:5000/s/")]
        assert len(links) >= 5
        for link in links:
            invitation = invitations.find(link.rsplit("/", 1)[1])
            assert invitation.wave_id == new.id and not invitation.used

        again = demo.seed_if_empty()  # the new wave is open: nothing more to do
        assert "new_wave" not in again
        assert db.session.scalar(db.select(db.func.count()).select_from(Wave)) == 4


def test_reused_database_of_another_organisation_gets_no_new_wave(app, seeded):
    with app.app_context():
        db.session.scalar(db.select(Organisation)).name = "Real company"
        _pulse_wave().closes_at = utcnow() - dt.timedelta(days=1)
        db.session.commit()
        info = demo.seed_if_empty()
        assert "new_wave" not in info
        assert db.session.scalar(db.select(db.func.count()).select_from(Wave)) == 3
        assert "No open wave with unused invitations." in demo.describe(info, "http://h:1")


def test_stored_aggregates_show_the_patterns_and_hide_small_teams(app, seeded):
    """The aggregates stored at close (not only the raw answers) carry the demo's story."""
    with app.app_context():
        wave = _closed_wave()
        rows = db.session.execute(
            db.select(
                Team.name,
                TeamScaleResult.scale,
                TeamScaleResult.n,
                TeamScaleResult.mean,
                TeamScaleResult.rwg_j,
            )
            .join(Team, Team.id == TeamScaleResult.team_id)
            .where(TeamScaleResult.wave_id == wave.id)
        ).all()
        hidden = {name for name, _s, n, _m, _r in rows if n < wave.k}
        assert hidden and all(mean is None for name, _s, _n, mean, _r in rows if name in hidden)
        shown = [r for r in rows if r.name not in hidden]

        def lowest(scale, column):
            values = [(getattr(r, column), r.name) for r in shown if r.scale == scale]
            return min(values)[1]

        assert lowest("openness", "mean").startswith("Mobile")
        assert lowest("familiarity", "mean").startswith("Supply Chain")
        assert lowest("affective_trust", "mean").startswith("Data")
        agreement = {}
        for r in shown:
            if r.scale in ("familiarity", "similarity", "interaction", "openness", "reliability"):
                agreement.setdefault(r.name, []).append(r.rwg_j)
        least = min(agreement, key=lambda name: np.mean(agreement[name]))
        assert least.startswith("East China Sales")
        assert np.mean(agreement[least]) < 0.7


def test_demo_prints_links_under_the_base_url_when_one_is_set(runner, app):
    app.config["BASE_URL"] = "https://trust.example.com"
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "https://trust.example.com/s/" in result.output
    assert "127.0.0.1" not in result.output


def test_the_intervention_logged_between_the_closed_waves_measures_a_rise_in_affect(app, seeded):
    """The demo's loop: Data's affect-based trust rose more than the comparison teams'."""
    from surveys.models import Intervention
    from surveys.services import effects

    with app.app_context():
        before, after = _closed_wave(0), _closed_wave(1)
        logged = db.session.scalars(db.select(Intervention).order_by(Intervention.starts_on)).all()
        assert [(i.playbook_key, [t.name for t in i.teams]) for i in logged] == [
            ("rituals", ["Data 数据组"]),
            ("sunlight", ["Mobile 移动端组"]),
        ]
        assert before.closes_at.date() <= logged[0].starts_on
        assert logged[0].ends_on < after.opens_at.date()
        effect = effects.measure(logged[0])
        assert (effect.before.id, effect.after.id) == (before.id, after.id)
        [affect] = [s for s in effect.scales if s.scale == "affective_trust"]
        assert affect.n_comparison >= 5 and affect.ci_low > 0
        assert effects.measure(logged[1]) is None  # no wave has closed after it yet


def test_the_latest_closed_wave_recommends_on_the_demos_weak_spots(app, seeded):
    from surveys.services import team_profiles

    with app.app_context():
        found = {
            (entry.team, rec.signal)
            for entry in team_profiles.wave_recommendations(_closed_wave(1), None)
            for rec in entry.recommendations
        }
        assert ("Supply Chain 供应链组", "familiarity") in found
        assert ("Mobile 移动端组", "openness") in found
        assert ("East China Sales 华东销售组", "agreement") in found
        assert not any(team == "Data 数据组" for team, _signal in found)
        text = demo.describe(seeded, "http://127.0.0.1:5000")
        assert f"http://127.0.0.1:5000/manage/waves/{_closed_wave(1).id}/actions" in text
        assert "http://127.0.0.1:5000/manage/interventions" in text


def test_reused_demo_opens_its_new_pulse_wave_for_its_own_teams_not_the_last_waves(app, seeded):
    with app.app_context():
        demo_teams = {t.id for t in _pulse_wave().teams}
        _pulse_wave().closes_at = utcnow() - dt.timedelta(days=1)
        # Someone trying the product made a team and a wave of their own after the demo's.
        own = Team(name="My own team")
        db.session.add(own)
        db.session.flush()
        waves.create(
            name="Tried out",
            instrument_key="pulse",
            instrument_version="1.0.0",
            teams=[own],
            opens_at=utcnow() - dt.timedelta(days=2),
            closes_at=utcnow() - dt.timedelta(hours=1),
            k=5,
        )
        db.session.commit()

        info = demo.seed_if_empty()
        new = demo._open_wave()
        assert new is not None and new.name == info["new_wave"]
        assert {t.id for t in new.teams} == demo_teams
