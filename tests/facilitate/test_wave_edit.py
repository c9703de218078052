"""Creating and changing waves: validation, defaults, and the fields locked once a wave opens."""

import datetime as dt
import re

import pytest

from surveys.db import db
from surveys.models import Invitation, Organisation, Team, Wave, utcnow
from surveys.services import waves


def _when(days: float) -> str:
    return (utcnow() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _form(teams, **overrides) -> dict:
    data = {
        "name": "Autumn pulse",
        "instrument": "pulse:1.0.0",
        "teams": [str(t) for t in teams],
        "opens_at": _when(1),
        "closes_at": _when(15),
        "k": "5",
    }
    data.update(overrides)
    return data


def _k_input(page: str) -> str:
    return re.search(r'<input[^>]* name="k"[^>]*>', page).group(0)


def _wave(app, wave_id) -> Wave:
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        db.session.expunge(wave)
        return wave


def _waves(app) -> list[Wave]:
    with app.app_context():
        return list(db.session.scalars(db.select(Wave)))


def test_facilitator_creates_a_wave_for_own_team(app, client, world, login):
    login(world.fac_a)
    response = client.post("/manage/waves/new", data=_form([world.alpha], k="4"))
    assert response.status_code == 302
    with app.app_context():
        wave = db.session.scalars(db.select(Wave)).one()
        assert (wave.name, wave.instrument_key, wave.instrument_version, wave.k) == (
            "Autumn pulse",
            "pulse",
            "1.0.0",
            4,
        )
        assert [t.id for t in wave.teams] == [world.alpha]
        assert wave.status() == "scheduled"
        assert response.headers["Location"].endswith(f"/manage/waves/{wave.id}")


def test_new_wave_form_offers_the_latest_instruments_and_only_visible_active_teams(
    client, world, login
):
    login(world.fac_a)
    page = client.get("/manage/waves/new").get_data(as_text=True)
    assert 'value="full:1.0.0"' in page and 'value="pulse:1.0.0"' in page
    assert "Alpha" in page
    assert "Beta" not in page  # another facilitator's team
    assert "Gamma" not in page  # archived


def test_k_defaults_to_the_organisation_setting(app, client, world, login):
    with app.app_context():
        db.session.add(Organisation(name="Org", default_k=7))
        db.session.commit()
    login(world.admin)
    page = client.get("/manage/waves/new").get_data(as_text=True)
    assert _k_input(page).endswith('value="7">')


def test_k_defaults_to_five_without_organisation_settings(client, world, login):
    login(world.admin)
    page = client.get("/manage/waves/new").get_data(as_text=True)
    assert _k_input(page).endswith('value="5">')


def test_k_below_three_is_refused(app, client, world, login):
    login(world.admin)
    response = client.post("/manage/waves/new", data=_form([world.alpha], k="2"))
    assert response.status_code == 400
    assert "k must be at least 3" in response.get_data(as_text=True)
    assert _waves(app) == []


@pytest.mark.parametrize("k", ["1001", "9" * 30])
def test_k_above_the_maximum_is_refused_with_a_message(app, client, world, login, k):
    login(world.admin)
    response = client.post("/manage/waves/new", data=_form([world.alpha], k=k))
    assert response.status_code == 400
    assert "k can be at most 1000" in response.get_data(as_text=True)
    assert _waves(app) == []


def test_close_before_open_is_refused(app, client, world, login):
    login(world.admin)
    response = client.post(
        "/manage/waves/new", data=_form([world.alpha], opens_at=_when(5), closes_at=_when(4))
    )
    assert response.status_code == 400
    assert "The close date must be after the open date." in response.get_data(as_text=True)
    assert _waves(app) == []


def test_close_date_in_the_past_is_refused(app, client, world, login):
    login(world.admin)
    response = client.post(
        "/manage/waves/new", data=_form([world.alpha], opens_at=_when(-5), closes_at=_when(-1))
    )
    assert response.status_code == 400
    assert _waves(app) == []


def test_wave_without_teams_is_refused(app, client, world, login):
    login(world.admin)
    response = client.post("/manage/waves/new", data=_form([]))
    assert response.status_code == 400
    assert "Choose at least one team." in response.get_data(as_text=True)
    assert _waves(app) == []


def test_foreign_team_in_post_is_refused(app, client, world, login):
    login(world.fac_a)
    response = client.post("/manage/waves/new", data=_form([world.alpha, world.beta]))
    assert response.status_code == 400
    assert _waves(app) == []


def test_archived_team_in_post_is_refused(app, client, world, login):
    login(world.fac_a)
    response = client.post("/manage/waves/new", data=_form([world.gamma]))
    assert response.status_code == 400
    assert _waves(app) == []


def test_unknown_instrument_is_refused(app, client, world, login):
    login(world.admin)
    response = client.post("/manage/waves/new", data=_form([world.alpha], instrument="full:0.1"))
    assert response.status_code == 400
    assert _waves(app) == []


def test_scheduled_wave_can_change_everything(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="scheduled", instrument="full")
    login(world.admin)
    form = client.get(f"/manage/waves/{wave_id}/edit").get_data(as_text=True)
    assert 'value="full:1.0.0" selected' in form or 'selected value="full:1.0.0"' in form
    response = client.post(
        f"/manage/waves/{wave_id}/edit", data=_form([world.beta], name="Renamed", k="3")
    )
    assert response.status_code == 302
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        assert (wave.name, wave.k, wave.instrument_key) == ("Renamed", 3, "pulse")
        assert [t.id for t in wave.teams] == [world.beta]


def test_open_wave_shows_locked_fields_as_text_not_inputs(client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="open")
    login(world.admin)
    page = client.get(f"/manage/waves/{wave_id}/edit").get_data(as_text=True)
    assert 'name="name"' in page and 'name="closes_at"' in page
    assert 'name="k"' not in page and 'name="teams"' not in page
    assert 'name="instrument"' not in page
    assert "can no longer change" in page


def test_open_wave_refuses_a_change_of_k(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="open", k=5)
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit", data={"name": "New name", "closes_at": _when(10), "k": "3"}
    )
    assert response.status_code == 400
    assert "can no longer change" in response.get_data(as_text=True)
    wave = _wave(app, wave_id)
    assert (wave.k, wave.name) == (5, "Spring")


def test_open_wave_refuses_a_change_of_instrument(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="open", instrument="full")
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit",
        data={"name": "x", "closes_at": _when(10), "instrument": "pulse:1.0.0"},
    )
    assert response.status_code == 400
    assert _wave(app, wave_id).instrument_key == "full"


def test_open_wave_refuses_a_change_of_teams(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="open")
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit",
        data={"name": "x", "closes_at": _when(10), "teams": [str(world.alpha), str(world.beta)]},
    )
    assert response.status_code == 400
    with app.app_context():
        assert [t.id for t in db.session.get(Wave, wave_id).teams] == [world.alpha]


def test_open_wave_accepts_unchanged_locked_values(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="open", k=5)
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit",
        data={
            "name": "Same k",
            "closes_at": _when(10),
            "k": "5",
            "teams": [str(world.alpha)],
            "instrument": "full:1.0.0",
        },
    )
    assert response.status_code == 302
    assert _wave(app, wave_id).name == "Same k"


def test_open_wave_can_change_name_and_close_date(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="open")
    login(world.fac_a)
    response = client.post(
        f"/manage/waves/{wave_id}/edit", data={"name": "Extended", "closes_at": _when(20)}
    )
    assert response.status_code == 302
    wave = _wave(app, wave_id)
    assert wave.name == "Extended"
    assert abs(wave.closes_at - (utcnow() + dt.timedelta(days=20))) < dt.timedelta(minutes=2)


def test_open_wave_refuses_a_close_date_earlier_than_now(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="open")
    before = _wave(app, wave_id).closes_at
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit", data={"name": "Spring", "closes_at": _when(-0.5)}
    )
    assert response.status_code == 400
    assert "cannot be earlier than now" in response.get_data(as_text=True)
    assert _wave(app, wave_id).closes_at == before


def test_facilitator_cannot_edit_a_wave_shared_with_another_facilitator(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.alpha, world.beta], state="scheduled")
    login(world.fac_a)
    response = client.post(f"/manage/waves/{wave_id}/edit", data=_form([world.alpha]))
    assert response.status_code == 302
    with app.app_context():
        assert {t.id for t in db.session.get(Wave, wave_id).teams} == {world.alpha, world.beta}


def test_scheduled_wave_edit_refuses_k_below_three(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="scheduled", k=5)
    login(world.admin)
    response = client.post(f"/manage/waves/{wave_id}/edit", data=_form([world.alpha], k="1"))
    assert response.status_code == 400
    assert _wave(app, wave_id).k == 5


def test_scheduled_wave_edit_refuses_close_before_open(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="scheduled")
    before = _wave(app, wave_id).closes_at
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit",
        data=_form([world.alpha], opens_at=_when(9), closes_at=_when(3)),
    )
    assert response.status_code == 400
    assert _wave(app, wave_id).closes_at == before


def test_closed_wave_cannot_be_edited(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="due")
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit", data={"name": "Reopened", "closes_at": _when(10)}
    )
    assert response.status_code == 302
    assert _wave(app, wave_id).name == "Spring"


def test_shared_wave_page_offers_a_facilitator_no_edit_or_close(client, world, login, make_wave):
    wave_id = make_wave([world.alpha, world.beta])
    login(world.fac_a)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert f"/manage/waves/{wave_id}/edit" not in page
    assert f"/manage/waves/{wave_id}/close" not in page
    login(world.admin)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert f"/manage/waves/{wave_id}/edit" in page and f"/manage/waves/{wave_id}/close" in page


def test_wave_pages_speak_chinese(client, world, login, make_wave):
    wave_id = make_wave([world.alpha])
    login(world.fac_a)
    page = client.get(f"/manage/waves/{wave_id}?lang=zh_Hans").get_data(as_text=True)
    assert "只有管理员可以补发邀请" in page and "最低人数 k" in page
    login(world.admin)
    page = client.get(f"/manage/waves/{wave_id}?lang=zh_Hans").get_data(as_text=True)
    assert "生成邀请" in page
    form = client.get("/manage/waves/new").get_data(as_text=True)
    assert "新建轮次" in form


def test_new_wave_form_suggests_dates_two_weeks_apart(client, world, login):
    login(world.admin)
    page = client.get("/manage/waves/new").get_data(as_text=True)
    opens = re.search(r'name="opens_at"[^>]*value="([^"]+)"', page).group(1)
    closes = re.search(r'name="closes_at"[^>]*value="([^"]+)"', page).group(1)
    opens, closes = (dt.datetime.strptime(v, "%Y-%m-%dT%H:%M") for v in (opens, closes))
    assert closes - opens == dt.timedelta(days=14)
    assert opens > utcnow()


def test_scheduled_wave_keeps_an_older_instrument_version_on_edit(
    app, client, world, login, make_wave, monkeypatch
):
    from surveys import instruments

    wave_id = make_wave([world.alpha], state="scheduled", instrument="full")
    newer = dict(instruments.shipped())
    old = newer[("full", "1.0.0")]
    newer[("full", "2.0.0")] = type(old)(**{**old.__dict__, "version": "2.0.0"})
    monkeypatch.setitem(app.extensions, instruments.EXTENSION, instruments.Catalogue(newer))
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit",
        data=_form([world.alpha], instrument="full:1.0.0", name="Kept"),
    )
    assert response.status_code == 302
    wave = _wave(app, wave_id)
    assert (wave.name, wave.instrument_version) == ("Kept", "1.0.0")


def test_removing_a_team_from_a_scheduled_wave_voids_its_invitations(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.alpha, world.beta], state="scheduled", k=5)
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations")
    with app.app_context():
        issued = db.session.scalars(db.select(Invitation.team_id)).all()
    assert world.beta in issued and world.alpha in issued
    wave = _wave(app, wave_id)
    response = client.post(
        f"/manage/waves/{wave_id}/edit",
        data=_form([world.alpha], instrument=f"{wave.instrument_key}:{wave.instrument_version}"),
    )
    assert response.status_code == 302
    with app.app_context():
        left = set(
            db.session.scalars(
                db.select(Invitation.team_id).where(Invitation.wave_id == wave_id)
            ).all()
        )
    # A link of a team no longer in the wave must not take answers the wave never counts.
    assert left == {world.alpha}


@pytest.mark.parametrize("field", ["k", "instrument", "teams", "opens_at"])
def test_update_refuses_locked_changes_once_the_wave_opened_after_the_form_was_shown(
    app, client, world, login, make_wave, field
):
    # The form was shown while the wave was scheduled; by the time it is submitted the wave
    # has opened. The service must refuse on its own: the view checked before it opened.
    wave_id = make_wave([world.alpha], state="scheduled", k=5, instrument="full")
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/invitations")
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        before = (wave.name, wave.k, wave.instrument_key, wave.opens_at, wave.closes_at)
        changes = {
            "k": {"k": 3},
            "instrument": {"instrument": ("pulse", "1.0.0")},
            "teams": {"teams": [db.session.get(Team, world.beta)]},
            "opens_at": {"opens_at": wave.opens_at + dt.timedelta(days=2)},
        }[field]
        after_opening = wave.opens_at + dt.timedelta(minutes=1)
        with pytest.raises(waves.WaveLockedError, match=field):
            waves.update(
                wave,
                name="Changed",
                closes_at=wave.closes_at + dt.timedelta(days=1),
                now=after_opening,
                **changes,
            )
        db.session.rollback()
        wave = db.session.get(Wave, wave_id)
        assert (wave.name, wave.k, wave.instrument_key, wave.opens_at, wave.closes_at) == before
        assert [t.id for t in wave.teams] == [world.alpha]
        assert db.session.scalar(db.select(db.func.count()).select_from(Invitation)) == 6


def test_update_of_an_open_wave_accepts_unchanged_locked_values(app, world, make_wave):
    wave_id = make_wave([world.alpha], state="open", k=5, instrument="full")
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        waves.update(
            wave,
            name="Renamed",
            closes_at=wave.closes_at,
            opens_at=wave.opens_at,
            k=5,
            instrument=("full", "1.0.0"),
            teams=list(wave.teams),
        )
        db.session.commit()
        assert db.session.get(Wave, wave_id).name == "Renamed"


def test_open_wave_refuses_a_posted_open_date_with_a_message(app, client, world, login, make_wave):
    wave_id = make_wave([world.alpha], state="open")
    before = _wave(app, wave_id)
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit",
        data={"name": "Moved", "closes_at": _when(10), "opens_at": _when(1)},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "its open date can no longer change" in page
    assert "Wave saved." not in page
    after = _wave(app, wave_id)
    assert (after.name, after.opens_at, after.closes_at) == (
        before.name,
        before.opens_at,
        before.closes_at,
    )
    zh = client.post(
        f"/manage/waves/{wave_id}/edit?lang=zh_Hans",
        data={"name": "Moved", "closes_at": _when(10), "opens_at": _when(1)},
    )
    assert "开始时间" in zh.get_data(as_text=True)


def test_scheduled_form_submitted_after_opening_saves_name_with_unchanged_values(
    app, client, world, login, make_wave
):
    wave_id = make_wave([world.alpha], state="open", k=5, instrument="full")
    wave = _wave(app, wave_id)
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit",
        data={
            "name": "Renamed",
            "instrument": "full:1.0.0",
            "teams": [str(world.alpha)],
            "k": "5",
            "opens_at": wave.opens_at.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": _when(10),
        },
    )
    assert response.status_code == 302
    assert _wave(app, wave_id).name == "Renamed"


def test_wave_that_opens_while_its_scheduled_form_is_saved_keeps_its_locked_fields(
    app, client, world, login, make_wave, monkeypatch
):
    # The view still finds the wave scheduled; the service, a moment later, finds it open.
    wave_id = make_wave([world.alpha], state="open", k=5, instrument="full")
    real_is_locked = waves.is_locked
    checks = []

    def opens_after_the_views_check(wave, now=None):
        checks.append(wave.id)
        return len(checks) > 1 and real_is_locked(wave, now)

    monkeypatch.setattr(waves, "is_locked", opens_after_the_views_check)
    login(world.admin)
    response = client.post(
        f"/manage/waves/{wave_id}/edit",
        data=_form([world.alpha], name="Changed", k="3", instrument="full:1.0.0"),
        follow_redirects=True,
    )
    assert len(checks) >= 2
    assert (
        "This wave opened meanwhile: its open date, k, the instrument and the teams can no "
        "longer change. Nothing was saved." in response.get_data(as_text=True)
    )
    wave = _wave(app, wave_id)
    assert (wave.name, wave.k) == ("Spring", 5)
