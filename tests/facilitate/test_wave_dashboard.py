"""The dashboard and who may reach the facilitator pages at all (invariant 6)."""

import pytest


def test_dashboard_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/manage/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/manage/",
        "/manage/waves/new",
        "/manage/waves/{w}",
        "/manage/waves/{w}/edit",
        "/manage/waves/{w}/close",
    ],
)
def test_researcher_gets_404_on_every_facilitator_page(client, world, login, make_wave, path):
    wave_id = make_wave([world.alpha])
    login(world.researcher)
    assert client.get(path.format(w=wave_id)).status_code == 404


@pytest.mark.parametrize("path", ["invitations.csv", "invitations/print"])
@pytest.mark.parametrize("who", ["researcher", "fac_a"])
def test_only_admins_export_links(client, world, login, make_wave, path, who):
    wave_id = make_wave([world.alpha])
    login(getattr(world, who))
    assert client.post(f"/manage/waves/{wave_id}/{path}").status_code == 404


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/manage/waves/{w}"),
        ("get", "/manage/waves/{w}/edit"),
        ("post", "/manage/waves/{w}/edit"),
        ("post", "/manage/waves/{w}/invitations"),
        ("get", "/manage/waves/{w}/close"),
        ("post", "/manage/waves/{w}/close"),
    ],
)
def test_facilitator_gets_404_for_a_wave_of_another_teams(
    client, world, login, make_wave, method, path
):
    wave_id = make_wave([world.beta])
    login(world.fac_a)
    response = getattr(client, method)(path.format(w=wave_id))
    assert response.status_code == 404


def test_unknown_wave_is_404_for_an_admin_too(client, world, login):
    login(world.admin)
    assert client.get("/manage/waves/999").status_code == 404


def test_dashboard_lists_only_waves_of_the_facilitators_teams(client, world, login, make_wave):
    make_wave([world.alpha], name="Alpha wave")
    make_wave([world.beta], name="Beta wave")
    make_wave([world.alpha, world.beta], name="Shared wave")
    login(world.fac_a)
    page = client.get("/manage/").get_data(as_text=True)
    assert "Alpha wave" in page and "Shared wave" in page
    assert "Beta wave" not in page


def test_admin_dashboard_lists_every_wave_with_its_status(client, world, login, make_wave):
    make_wave([world.alpha], state="scheduled", name="Later wave")
    make_wave([world.beta], state="open", name="Running wave")
    login(world.admin)
    page = client.get("/manage/").get_data(as_text=True)
    assert "Later wave" in page and "Running wave" in page
    assert 'badge-scheduled">scheduled' in page
    assert 'badge-open">open' in page


def test_dashboard_counts_only_the_facilitators_own_teams(
    client, world, login, make_wave, add_responses
):
    wave_id = make_wave([world.alpha, world.beta])
    add_responses(wave_id, world.alpha, 2, seed=1)
    add_responses(wave_id, world.beta, 3, seed=2)
    login(world.fac_b)
    page = client.get("/manage/").get_data(as_text=True)
    assert '<td class="num" data-label="Responses">3</td>' in page
    assert '<td class="num" data-label="Responses">5</td>' not in page
    login(world.admin)
    assert '<td class="num" data-label="Responses">5</td>' in client.get("/manage/").get_data(
        as_text=True
    )
