"""Invariant 4: comments only for teams of at least k, only after close, random order, undated."""

from surveys.db import db
from surveys.models import Comment, Wave
from surveys.services import results, waves


def _comment(app, wave_id, team_id, texts):
    with app.app_context():
        db.session.add_all([Comment(wave_id=wave_id, team_id=team_id, text=t) for t in texts])
        db.session.commit()


def test_comments_appear_only_for_teams_at_or_above_k_after_close(
    app, client, world, login, make_wave, add_responses
):
    wave_id = make_wave([world.alpha, world.beta], k=5)
    add_responses(wave_id, world.alpha, 5, seed=1)
    add_responses(wave_id, world.beta, 4, seed=2)
    _comment(app, wave_id, world.alpha, ["alpha says hello", "alpha again"])
    _comment(app, wave_id, world.beta, ["beta secret"])
    login(world.admin)

    open_page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "alpha says hello" not in open_page

    client.post(f"/manage/waves/{wave_id}/close")
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "alpha says hello" in page and "alpha again" in page
    assert "beta secret" not in page


def test_facilitator_sees_comments_of_own_teams_only(
    app, client, world, login, make_wave, add_responses
):
    wave_id = make_wave([world.alpha, world.beta], k=3)
    add_responses(wave_id, world.alpha, 3, seed=3)
    add_responses(wave_id, world.beta, 3, seed=4)
    _comment(app, wave_id, world.alpha, ["from alpha"])
    _comment(app, wave_id, world.beta, ["from beta"])
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/close")
    login(world.fac_b)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "from beta" in page and "from alpha" not in page


def test_comment_order_is_shuffled_on_every_reading(app, world, make_wave, add_responses):
    wave_id = make_wave([world.alpha], k=3)
    add_responses(wave_id, world.alpha, 3, seed=5)
    texts = [f"comment {i}" for i in range(12)]
    _comment(app, wave_id, world.alpha, texts)
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        waves.close(wave)
        orders = {tuple(results.team_comments(wave, None)[0][1]) for _ in range(5)}
    assert all(sorted(order) == sorted(texts) for order in orders)
    # 12! orderings: five identical draws would happen with probability (1/12!)^4.
    assert len(orders) > 1
