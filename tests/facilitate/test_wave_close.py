"""Closing a wave: once, by hand or when due, with every aggregate computed and stored."""

import re

import numpy as np
import pytest

import trust
from surveys import closer, instruments
from surveys.db import db
from surveys.models import (
    Invitation,
    Member,
    Response,
    ScaleResult,
    Team,
    TeamScaleResult,
    Wave,
    wave_team,
)
from surveys.services import anonymity, results, waves
from tests.helpers import issue_invitations

FULL = instruments.get("full", "1.0.0")
SCALE_FIELDS = (
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "omega_total",
    "icc1",
    "icc2",
    "mean_rwg_j",
)
TEAM_FIELDS = ("mean", "sd", "ci_low", "ci_high", "rwg_j")


def _stored(app, wave_id):
    with app.app_context():
        scales = {
            r.scale: {f: getattr(r, f) for f in (*SCALE_FIELDS, "n_respondents")}
            for r in db.session.scalars(
                db.select(ScaleResult).where(ScaleResult.wave_id == wave_id)
            )
        }
        teams = {
            (r.team_id, r.scale): {f: getattr(r, f) for f in (*TEAM_FIELDS, "n", "team_size")}
            for r in db.session.scalars(
                db.select(TeamScaleResult).where(TeamScaleResult.wave_id == wave_id)
            )
        }
        return scales, teams


def _closed_at(app, wave_id):
    with app.app_context():
        return db.session.get(Wave, wave_id).closed_at


def _direct_analysis(app, wave_id, team_size, teams=None):
    """trust.analyze on the wave's answers (of ``teams``, default all), built here
    independently of surveys.services.results."""
    with app.app_context():
        query = db.select(Response).where(Response.wave_id == wave_id)
        if teams is not None:
            query = query.where(Response.team_id.in_(teams))
        rows = db.session.scalars(query).all()
        answers = np.array(
            [[r.answers.get(k, np.nan) for k in FULL.item_keys] for r in rows], dtype=float
        )
        teams = [r.team_id for r in rows]
    return trust.analyze(answers, teams, FULL, team_size=team_size)


def _use_invitations(app, wave_id, team_id, n):
    """Mark ``n`` of the team's invitations used, as ``n`` answers through them would."""
    with app.app_context():
        found = db.session.scalars(
            db.select(Invitation)
            .where(
                Invitation.wave_id == wave_id,
                Invitation.team_id == team_id,
                Invitation.used.is_(False),
            )
            .order_by(Invitation.id)
            .limit(n)
        ).all()
        assert len(found) == n
        for invitation in found:
            invitation.used = True
        db.session.commit()


def _set_active(app, team_id, names, active):
    with app.app_context():
        for member in db.session.scalars(
            db.select(Member).where(Member.team_id == team_id, Member.name.in_(names))
        ):
            member.active = active
        db.session.commit()


@pytest.fixture
def closed_wave(app, client, world, epsilon, login, make_wave, add_responses):
    """Alpha (6 invited) with 6 responses, Beta (4 invited) with 4 and Epsilon with 2, k = 5,
    closed by hand."""
    wave_id = make_wave([world.alpha, world.beta, epsilon], k=5)
    login(world.admin)
    issue_invitations(client.application, wave_id)
    add_responses(wave_id, world.alpha, 6, seed=11)
    add_responses(wave_id, world.beta, 4, seed=12)
    _use_invitations(app, wave_id, world.alpha, 6)
    _use_invitations(app, wave_id, world.beta, 4)
    add_responses(wave_id, epsilon, 2, seed=13)
    response = client.post(f"/manage/waves/{wave_id}/close")
    assert response.status_code == 302
    return wave_id


def test_close_by_hand_sets_closed_at_and_stores_a_row_per_team_and_scale(
    app, world, epsilon, closed_wave
):
    assert _closed_at(app, closed_wave) is not None
    scales, teams = _stored(app, closed_wave)
    assert set(scales) == {s.key for s in FULL.scales}
    every = (world.alpha, world.beta, epsilon)
    assert set(teams) == {(t, s.key) for t in every for s in FULL.scales}


def test_stored_aggregates_match_a_direct_trust_analysis(app, world, closed_wave):
    expected = _direct_analysis(app, closed_wave, {world.alpha: 6, world.beta: 4})
    # Scale-level statistics come from the teams shown (Alpha; Beta is below k) only.
    shown = _direct_analysis(app, closed_wave, None, teams=[world.alpha])
    scales, teams = _stored(app, closed_wave)
    for scale in FULL.scales:
        for field in (*SCALE_FIELDS, "n_respondents"):
            want = shown["scales"][scale.key][field]  # ICCs of one shown team: undefined
            got = scales[scale.key][field]
            assert (
                got is None if want is None else got == pytest.approx(want, rel=1e-9, abs=1e-12)
            ), (scale.key, field)
        got = teams[(world.alpha, scale.key)]
        want = expected["teams"][str(world.alpha)]["scales"][scale.key]
        for field in TEAM_FIELDS:
            assert got[field] == pytest.approx(want[field], rel=1e-9), (scale.key, field)
        assert got["n"] == want["n"] and got["team_size"] == 6
    # A sanity anchor independent of trust: Alpha's familiarity mean by hand (reverse-keyed
    # fam4 mirrored as 6 - x, half rule: at least 3 of the 5 items answered).
    with app.app_context():
        rows = db.session.scalars(
            db.select(Response).where(
                Response.team_id == world.alpha, Response.wave_id == closed_wave
            )
        ).all()
        person_scores = []
        for r in rows:
            vals = [
                (6 - r.answers[k]) if k == "fam4" else r.answers[k]
                for k in ("fam1", "fam2", "fam3", "fam4", "fam5")
                if k in r.answers
            ]
            if len(vals) >= 2.5:
                person_scores.append(np.mean(vals))
    assert teams[(world.alpha, "familiarity")]["mean"] == pytest.approx(np.mean(person_scores))


def test_mean_rwg_j_leaves_out_teams_below_k(app, world, closed_wave):
    # Beta (4 answers, k = 5) is hidden. Averaged in, its rwg(j) would follow from the mean
    # and Alpha's shown value: 2 * mean - alpha (complementary suppression, invariant 2).
    expected = _direct_analysis(app, closed_wave, {world.alpha: 6, world.beta: 4})
    scales, teams = _stored(app, closed_wave)
    checked = 0
    for scale in FULL.scales:
        alpha_rwg = expected["teams"][str(world.alpha)]["scales"][scale.key]["rwg_j"]
        if alpha_rwg is None:
            assert scales[scale.key]["mean_rwg_j"] is None
            continue
        assert scales[scale.key]["mean_rwg_j"] == pytest.approx(alpha_rwg, rel=1e-12)
        assert teams[(world.alpha, scale.key)]["rwg_j"] == pytest.approx(alpha_rwg, rel=1e-12)
        checked += 1
    assert checked > 0


def test_team_below_k_is_stored_with_n_and_no_numbers(app, world, closed_wave):
    _, teams = _stored(app, closed_wave)
    for scale in FULL.scales:
        row = teams[(world.beta, scale.key)]
        assert row["n"] <= 4
        assert all(row[f] is None for f in TEAM_FIELDS)


def test_closed_wave_page_shows_stored_results_and_hides_teams_below_k(
    app, client, world, closed_wave
):
    _, teams = _stored(app, closed_wave)
    page = client.get(f"/manage/waves/{closed_wave}").get_data(as_text=True)
    assert f"{teams[(world.alpha, 'familiarity')]['mean']:.2f}" in page
    beta = re.search(r'<th scope="row"><a [^>]*>Beta</a></th>(.*?)</tr>', page, re.S).group(1)
    assert "fewer than k responses: hidden" in beta
    assert not re.search(r"\d\.\d", beta)
    assert "Scores stay hidden" not in page


def test_closed_wave_page_reads_only_the_stored_tables(
    app, client, world, closed_wave, monkeypatch
):
    def refuse(*args, **kwargs):
        raise AssertionError("a results page must not recompute")

    monkeypatch.setattr(trust, "analyze", refuse)
    with app.app_context():
        row = db.session.scalars(
            db.select(TeamScaleResult).where(
                TeamScaleResult.team_id == world.alpha, TeamScaleResult.scale == "familiarity"
            )
        ).one()
        row.mean = 4.321
        db.session.commit()
    page = client.get(f"/manage/waves/{closed_wave}").get_data(as_text=True)
    assert "4.32" in page


def test_second_close_does_nothing(app, client, closed_wave):
    first_closed_at = _closed_at(app, closed_wave)
    first = _stored(app, closed_wave)
    response = client.post(f"/manage/waves/{closed_wave}/close")
    assert response.status_code == 302
    assert _closed_at(app, closed_wave) == first_closed_at
    assert _stored(app, closed_wave) == first
    with app.app_context():
        assert waves.close(db.session.get(Wave, closed_wave)) is False
        assert db.session.scalar(db.select(db.func.count()).select_from(TeamScaleResult)) == len(
            first[1]
        )


def test_close_page_asks_for_confirmation_without_closing(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha])
    login(world.fac_a)
    page = client.get(f"/manage/waves/{wave_id}/close").get_data(as_text=True)
    assert "Close wave now" in page and 'method="post"' in page
    assert _closed_at(app, wave_id) is None


def test_close_without_csrf_token_is_refused(make_app, world, login, make_wave):
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    from tests.helpers import login_as, make_user

    with strict.app_context():
        from surveys.models import Team

        team = Team(name="Solo")
        db.session.add(team)
        db.session.commit()
        admin = make_user("admin")
        login_as(client, admin)
        wave = Wave(
            name="W",
            instrument_key="full",
            instrument_version="1.0.0",
            k=5,
            opens_at=waves.utcnow().replace(year=2020),
            closes_at=waves.utcnow().replace(year=2099),
            teams=[team],
        )
        db.session.add(wave)
        db.session.commit()
        wave_id = wave.id
    response = client.post(f"/manage/waves/{wave_id}/close")
    assert response.status_code == 400
    with strict.app_context():
        assert db.session.get(Wave, wave_id).closed_at is None


def test_scheduled_wave_cannot_be_closed(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="scheduled")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/close")
    assert _closed_at(app, wave_id) is None


def test_facilitator_cannot_close_a_wave_shared_with_another_facilitator(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.alpha, world.beta])
    login(world.fac_a)
    client.post(f"/manage/waves/{wave_id}/close")
    assert _closed_at(app, wave_id) is None


def test_facilitator_closes_a_wave_of_own_team(app, client, world, login, make_wave, add_responses):
    wave_id = make_wave([world.alpha])
    add_responses(wave_id, world.alpha, 5, seed=21)
    login(world.fac_a)
    client.post(f"/manage/waves/{wave_id}/close")
    assert _closed_at(app, wave_id) is not None
    _, teams = _stored(app, wave_id)
    assert teams[(world.alpha, "openness")]["mean"] is not None


def test_shared_wave_shows_each_facilitator_only_their_teams_rows(
    app, client, world, login, make_wave, add_responses
):
    wave_id = make_wave([world.alpha, world.beta], k=3)
    add_responses(wave_id, world.alpha, 5, seed=31)
    add_responses(wave_id, world.beta, 4, seed=32)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/close")
    _, teams = _stored(app, wave_id)
    beta_mean = f"{teams[(world.beta, 'similarity')]['mean']:.2f}"
    alpha_mean = f"{teams[(world.alpha, 'similarity')]['mean']:.2f}"
    assert alpha_mean != beta_mean
    login(world.fac_a)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert ">Alpha</a></th>" in page and ">Beta</a></th>" not in page
    assert alpha_mean in page
    login(world.fac_b)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert ">Beta</a></th>" in page and ">Alpha</a></th>" not in page
    assert beta_mean in page


def test_scale_below_k_within_a_team_is_hidden_on_its_own(
    app, client, world, login, make_wave, add_responses
):
    wave_id = make_wave([world.alpha], k=5)
    add_responses(wave_id, world.alpha, 5, seed=41, missing=0)
    with app.app_context():
        one = db.session.scalars(db.select(Response).where(Response.wave_id == wave_id)).first()
        one.answers = {k: v for k, v in one.answers.items() if not k.startswith("opn")}
        db.session.commit()
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/close")
    _, teams = _stored(app, wave_id)
    assert teams[(world.alpha, "openness")]["n"] == 4
    assert teams[(world.alpha, "openness")]["mean"] is None
    assert teams[(world.alpha, "familiarity")]["mean"] is not None
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert ">hidden<" in page


def test_wave_without_responses_closes_with_empty_rows(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha])
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/close")
    scales, teams = _stored(app, wave_id)
    assert all(s["n_respondents"] == 0 and s["alpha"] is None for s in scales.values())
    assert all(t["n"] == 0 and t["mean"] is None for t in teams.values())
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "fewer than k responses: hidden" in page


def test_population_is_the_invitations_issued_not_the_roster_at_close(
    app, client, world, login, make_wave, add_responses
):
    # Six invited, five answered; one who answered has left the roster since. The roster at
    # close (5) would equal n and give every interval zero width: a census that never was.
    wave_id = make_wave([world.alpha], k=3)
    login(world.admin)
    issue_invitations(client.application, wave_id)
    add_responses(wave_id, world.alpha, 5, seed=51, missing=0)
    _use_invitations(app, wave_id, world.alpha, 5)
    with app.app_context():
        answered = db.session.scalars(
            db.select(Member.name)
            .join(Invitation, Invitation.member_id == Member.id)
            .where(Invitation.wave_id == wave_id, Invitation.used.is_(True))
        ).first()
    _set_active(app, world.alpha, [answered], False)
    client.post(f"/manage/waves/{wave_id}/close")
    _, teams = _stored(app, wave_id)
    expected = _direct_analysis(app, wave_id, {world.alpha: 6})
    for scale in FULL.scales:
        row = teams[(world.alpha, scale.key)]
        want = expected["teams"][str(world.alpha)]["scales"][scale.key]
        assert row["team_size"] == 6 and row["n"] == 5
        assert row["ci_low"] == pytest.approx(want["ci_low"], rel=1e-9)
        assert row["ci_high"] == pytest.approx(want["ci_high"], rel=1e-9)
        if row["sd"]:
            assert row["ci_high"] - row["ci_low"] > 0, scale.key


def test_population_counts_withdrawn_invitations(
    app, client, world, login, make_wave, add_responses
):
    # One of six left the roster before answering, the five others answered: the team size
    # stays 6, as it would had the leaver answered, so it does not tell who answered; and the
    # interval keeps a width, being no census of the six who were asked.
    wave_id = make_wave([world.alpha], k=3)
    login(world.admin)
    issue_invitations(client.application, wave_id)
    _set_active(app, world.alpha, ["Ann 5"], False)
    add_responses(wave_id, world.alpha, 5, seed=52, missing=0)
    with app.app_context():
        for invitation in db.session.scalars(
            db.select(Invitation)
            .join(Member)
            .where(Invitation.wave_id == wave_id, Member.name != "Ann 5")
        ):
            invitation.used = True
        db.session.commit()
    client.post(f"/manage/waves/{wave_id}/close")
    _, teams = _stored(app, wave_id)
    row = teams[(world.alpha, "familiarity")]
    assert row["team_size"] == 6 and row["n"] == 5
    expected = _direct_analysis(app, wave_id, {world.alpha: 6})
    want = expected["teams"][str(world.alpha)]["scales"]["familiarity"]
    assert row["ci_low"] == pytest.approx(want["ci_low"], rel=1e-9)
    assert row["ci_high"] == pytest.approx(want["ci_high"], rel=1e-9)


def test_population_counts_a_used_invitation_of_a_member_who_left(
    app, client, world, login, make_wave, add_responses
):
    # Beta: four invited, four answered, then one left the roster (three active at close).
    wave_id = make_wave([world.beta], k=3)
    login(world.admin)
    issue_invitations(client.application, wave_id)
    add_responses(wave_id, world.beta, 4, seed=53)
    _use_invitations(app, wave_id, world.beta, 4)
    _set_active(app, world.beta, ["Bo 0"], False)
    client.post(f"/manage/waves/{wave_id}/close")
    _, teams = _stored(app, wave_id)
    assert {teams[(world.beta, s.key)]["team_size"] for s in FULL.scales} == {4}


def test_team_without_invitations_gets_no_population_correction(
    app, client, world, login, make_wave, add_responses
):
    # Answers that reached the database without invitations tell no population size.
    wave_id = make_wave([world.beta], k=3)
    add_responses(wave_id, world.beta, 4, seed=54)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/close")
    _, teams = _stored(app, wave_id)
    expected = _direct_analysis(app, wave_id, None)
    row = teams[(world.beta, "familiarity")]
    assert row["team_size"] is None
    want = expected["teams"][str(world.beta)]["scales"]["familiarity"]
    assert row["ci_low"] == pytest.approx(want["ci_low"])


def test_close_due_waves_command_closes_only_waves_past_their_close_date(
    app, runner, world, make_wave, add_responses
):
    due = make_wave([world.alpha], state="due", k=3)
    running = make_wave([world.beta], state="open")
    add_responses(due, world.alpha, 4, seed=61)
    result = runner.invoke(args=["close-due-waves"])
    assert result.exit_code == 0, result.output
    assert "1 wave(s) closed." in result.output
    assert _closed_at(app, due) is not None and _closed_at(app, running) is None
    _, teams = _stored(app, due)
    assert teams[(world.alpha, "reliability")]["mean"] is not None
    again = runner.invoke(args=["close-due-waves"])
    assert "0 wave(s) closed." in again.output
    assert _stored(app, due)[1] == teams


def test_a_page_view_never_closes_a_wave_past_its_close_date(
    app, client, world, login, make_wave, add_responses
):
    """A GET writes nothing: the due wave shows as closed, and its results wait for the closer."""
    wave_id = make_wave([world.alpha], state="due", k=3)
    add_responses(wave_id, world.alpha, 3, seed=71)
    login(world.fac_a)
    assert 'badge-closed">closed' in client.get("/manage/").get_data(as_text=True)
    client.get(f"/manage/waves/{wave_id}")
    assert _closed_at(app, wave_id) is None


def test_background_closer_closes_due_waves_once_the_app_serves(
    make_app, world_factory, make_wave, add_responses
):
    """With no cron and nobody closing by hand, a due wave closes within the interval."""
    import time

    app = make_app(CLOSE_DUE_INTERVAL=0.05)
    world = world_factory(app)
    wave_id = make_wave([world.alpha], state="due", k=3, app=app)
    add_responses(wave_id, world.alpha, 3, seed=72, app=app)
    app.test_client().get("/")  # the first request starts the closer
    deadline = time.monotonic() + 20
    while _closed_at(app, wave_id) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    app.extensions["closer_stop"].set()
    assert _closed_at(app, wave_id) is not None
    _, teams = _stored(app, wave_id)
    assert teams[(world.alpha, "familiarity")]["mean"] is not None


def test_close_that_lost_a_race_stores_nothing(app, world, make_wave, add_responses):
    """Another process closed the wave after this one loaded it: the conditional UPDATE
    claims nothing, so no second set of results is computed or stored."""
    wave_id = make_wave([world.alpha], k=3)
    add_responses(wave_id, world.alpha, 3, seed=81)
    with app.app_context():
        stale = db.session.get(Wave, wave_id)
        assert stale.closed_at is None
        with db.engine.begin() as other_process:
            other_process.execute(
                db.update(Wave).where(Wave.id == wave_id).values(closed_at=waves.utcnow())
            )
        assert waves.close(stale) is False
        assert stale.closed_at is not None
        assert db.session.scalars(db.select(TeamScaleResult)).all() == []


def test_close_stores_results_on_each_database(
    make_app, backend, world_factory, make_wave, add_responses
):
    """The conditional UPDATE, the JSON answers and the result rows on SQLite and PostgreSQL."""
    app = make_app(backend)
    ids = world_factory(app)
    with app.app_context():
        # Beta's 3 and Epsilon's 1 answers make k = 4 together (see the epsilon fixture).
        db.session.add(Team(name="Epsilon", members=[Member(name="Eps")]))
        db.session.commit()
        epsilon = db.session.scalar(db.select(Team.id).where(Team.name == "Epsilon"))
    wave_id = make_wave([ids.alpha, ids.beta, epsilon], k=4, app=app)
    add_responses(wave_id, ids.alpha, 5, seed=91, app=app)
    add_responses(wave_id, ids.beta, 3, seed=92, app=app)
    add_responses(wave_id, epsilon, 1, seed=93, app=app)
    with app.app_context():
        assert waves.close(db.session.get(Wave, wave_id)) is True
        assert waves.close(db.session.get(Wave, wave_id)) is False
    expected = _direct_analysis(app, wave_id, None)
    shown = _direct_analysis(app, wave_id, None, teams=[ids.alpha])  # Beta is below k
    scales, teams = _stored(app, wave_id)
    assert scales["openness"]["alpha"] == pytest.approx(shown["scales"]["openness"]["alpha"])
    assert teams[(ids.alpha, "openness")]["mean"] == pytest.approx(
        expected["teams"][str(ids.alpha)]["scales"]["openness"]["mean"]
    )
    assert teams[(ids.beta, "openness")]["mean"] is None


def test_close_due_waves_command_reports_a_failing_wave_and_closes_the_others(
    app, runner, world, make_wave, monkeypatch
):
    broken = make_wave([world.alpha], state="due", name="Broken")
    fine = make_wave([world.beta], state="due", name="Fine")
    real_store = results.store

    def store(wave):
        if wave.id == broken:
            raise RuntimeError("analysis failed")
        real_store(wave)

    monkeypatch.setattr(results, "store", store)
    result = runner.invoke(args=["close-due-waves"])
    assert result.exit_code == 1
    assert "Could not close wave" in result.output and "analysis failed" in result.output
    assert _closed_at(app, broken) is None and _closed_at(app, fine) is not None
    with app.app_context():
        assert (
            db.session.scalars(
                db.select(TeamScaleResult).where(TeamScaleResult.wave_id == broken)
            ).all()
            == []
        )


CLOSE_PATHS = {
    "by hand": lambda client, runner, wave_id: client.post(f"/manage/waves/{wave_id}/close"),
    "close-due-waves": lambda client, runner, wave_id: runner.invoke(args=["close-due-waves"]),
    "background closer": lambda client, runner, wave_id: closer.close_due_once(client.application),
}


@pytest.mark.parametrize("path", sorted(CLOSE_PATHS))
def test_every_way_of_closing_rewrites_storage_order_after_the_close_commits(
    app, client, runner, world, login, make_wave, monkeypatch, path
):
    wave_id = make_wave([world.alpha], state="due", k=3)
    seen = []

    def rewrite():
        # A connection of its own sees only what is committed.
        with db.engine.connect() as conn:
            seen.append(conn.scalar(db.select(Wave.closed_at).where(Wave.id == wave_id)))

    monkeypatch.setattr(anonymity, "rewrite_storage_order", rewrite)
    login(world.admin)
    CLOSE_PATHS[path](client, runner, wave_id)
    assert len(seen) == 1 and seen[0] is not None
    assert seen[0] == _closed_at(app, wave_id)


def test_a_failed_storage_rewrite_leaves_the_wave_closed_and_is_logged(
    app, client, world, login, make_wave, add_responses, monkeypatch, caplog
):
    wave_id = make_wave([world.alpha], state="due", k=3)
    add_responses(wave_id, world.alpha, 3, seed=101)

    def rewrite():
        raise RuntimeError("database is locked")

    monkeypatch.setattr(anonymity, "rewrite_storage_order", rewrite)
    login(world.admin)
    response = client.post(f"/manage/waves/{wave_id}/close", follow_redirects=True)
    assert response.status_code == 200
    assert "Wave closed" in response.get_data(as_text=True)
    assert _closed_at(app, wave_id) is not None
    assert _stored(app, wave_id)[1][(world.alpha, "familiarity")]["mean"] is not None
    assert any(
        "rewriting storage order failed" in r.getMessage() and r.exc_info for r in caplog.records
    )


def test_closing_stores_each_teams_invitations_of_this_wave_only(
    app, client, world, login, make_wave
):
    # Alpha has 6 active members, Beta 4; Beta's links are taken back before the close, and
    # another open wave of the same teams has links of its own: the counts stored at close
    # are this wave's, per team, with 0 (not NULL) for a team that was sent none.
    closing = make_wave([world.alpha, world.beta], k=3)
    other = make_wave([world.alpha, world.beta], k=3, name="Other")
    login(world.admin)
    issue_invitations(client.application, closing)
    issue_invitations(client.application, other)
    with app.app_context():
        db.session.execute(
            db.delete(Invitation).where(
                Invitation.wave_id == closing, Invitation.team_id == world.beta
            )
        )
        db.session.commit()
        waves.close(db.session.get(Wave, closing))
        stored = dict(
            db.session.execute(
                db.select(wave_team.c.team_id, wave_team.c.invitations_issued).where(
                    wave_team.c.wave_id == closing
                )
            ).all()
        )
        untouched = set(
            db.session.scalars(
                db.select(wave_team.c.invitations_issued).where(wave_team.c.wave_id == other)
            )
        )
    assert stored == {world.alpha: 6, world.beta: 0}
    assert untouched == {None}
