"""The wave page's scale table explains its numbers (issue 10, point 5)."""

from __future__ import annotations

import re

from surveys import instruments
from surveys.db import db
from surveys.models import Member, Response, ScaleResult, Team

FULL = instruments.get("full", "1.0.0")
FAMILIARITY = FULL.scale("familiarity")


def _responses(app, wave_id, team_id, rows):
    with app.app_context():
        for answers in rows:
            db.session.add(Response(wave_id=wave_id, team_id=team_id, answers=answers))
        db.session.commit()


def _row(wave_id, score, against):
    """Every item at 3, familiarity at ``score``, except its last item at ``against``."""
    answers = {key: 3 for key in FULL.item_keys}
    items = FAMILIARITY.items
    for item in items[:-1]:
        answers[item.key] = 6 - score if item.reverse else score
    last = items[-1]
    answers[last.key] = 6 - against if last.reverse else against
    return answers


def _scale_row(html, key):
    return re.search(rf'<tr data-scale="{key}"[^>]*>.*?</tr>', html, re.S).group(0)


def test_low_alpha_names_the_item_against_the_scale_and_negative_icc1_reads_as_no_difference(
    app, client, world, login, make_wave
):
    with app.app_context():
        delta = Team(name="Delta", members=[Member(name=f"D{i}") for i in range(5)])
        db.session.add(delta)
        db.session.commit()
        delta_id = delta.id
    login(world.admin)
    wave_id = make_wave([world.alpha, delta_id], k=5)
    # The last familiarity item runs against the others: its corrected item-total r is
    # negative. Both teams answer alike, so ICC(1) is below 0 (between-team mean square 0).
    pairs = [(1, 5), (2, 4), (3, 3), (4, 2), (5, 1)]
    for team_id in (world.alpha, delta_id):
        _responses(app, wave_id, team_id, [_row(wave_id, s, a) for s, a in pairs])
    client.post(f"/manage/waves/{wave_id}/close")
    with app.app_context():
        stored = db.session.scalar(
            db.select(ScaleResult).where(
                ScaleResult.wave_id == wave_id, ScaleResult.scale == "familiarity"
            )
        )
        last = FAMILIARITY.items[-1].key
        assert stored.item_total_r[last] < 0
        assert stored.icc1 < 0 and stored.alpha < 0.6

    html = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    familiarity = _scale_row(html, "familiarity")
    assert 'data-reading="unreliable"' in familiarity
    assert f"({last})" in familiarity
    assert 'data-reading="no-team-differences"' in familiarity
    # Every statistic's header carries its definition.
    for name in ("Alpha", "Omega", "ICC(1)", "ICC(2)"):
        assert re.search(rf'<abbr title="[^"]+" tabindex="0">{re.escape(name)}</abbr>', html)
    assert '<details class="glossary">' in html


def test_readings_are_in_chinese_on_the_chinese_page(app, client, world, login, make_wave):
    login(world.admin)
    wave_id = make_wave([world.alpha], k=5)
    _responses(app, wave_id, world.alpha, [_row(wave_id, s, a) for s, a in [(1, 5)] * 6])
    client.post(f"/manage/waves/{wave_id}/close")
    html = client.get(f"/manage/waves/{wave_id}?lang=zh_Hans").get_data(as_text=True)
    assert "各项数字的含义" in html


def test_team_page_warns_beside_a_dimension_that_is_not_reliable_in_the_wave(
    app, client, world, login, make_wave
):
    login(world.admin)
    wave_id = make_wave([world.alpha], k=5)
    pairs = [(1, 5), (2, 4), (3, 3), (4, 2), (5, 1)]
    _responses(app, wave_id, world.alpha, [_row(wave_id, s, a) for s, a in pairs])
    client.post(f"/manage/waves/{wave_id}/close")
    html = client.get(f"/manage/waves/{wave_id}/teams/{world.alpha}").get_data(as_text=True)
    familiarity = _scale_row(html, "familiarity")
    assert 'data-reading="unreliable"' in familiarity
    assert f"({FAMILIARITY.items[-1].key})" in familiarity
    assert 'data-reading="unreliable"' not in _scale_row(html, "openness")


# Alpha .87 and omega .95 pass, yet fam5 runs against the other four items (item-total r
# -.67): the pattern of a reverse-keyed item scored the wrong way round.
PASSING_WITH_ONE_AGAINST = [(1, 3), (2, 4), (3, 3), (4, 2), (5, 3)]
PASSING_WITH_ONE_AGAINST_TOO = [(1, 4), (2, 3), (3, 3), (4, 3), (5, 2)]
LAST = FAMILIARITY.items[-1]


def _close_with_an_item_against_a_reliable_scale(app, client, world, login, make_wave):
    login(world.admin)
    with app.app_context():
        delta = Team(name="Delta", members=[Member(name=f"D{i}") for i in range(5)])
        db.session.add(delta)
        db.session.commit()
        delta_id = delta.id
    wave_id = make_wave([world.alpha, delta_id], k=5)
    for team_id, pairs in (
        (world.alpha, PASSING_WITH_ONE_AGAINST),
        (delta_id, PASSING_WITH_ONE_AGAINST_TOO),
    ):
        _responses(app, wave_id, team_id, [_row(wave_id, s, a) for s, a in pairs])
    client.post(f"/manage/waves/{wave_id}/close")
    with app.app_context():
        stored = db.session.scalar(
            db.select(ScaleResult).where(
                ScaleResult.wave_id == wave_id, ScaleResult.scale == "familiarity"
            )
        )
        assert stored.alpha >= 0.6 and stored.omega_total >= 0.6
        assert stored.item_total_r[LAST.key] < 0
        assert all(r > 0 for key, r in stored.item_total_r.items() if key != LAST.key)
    return wave_id


def test_an_item_against_a_reliable_scale_is_named_on_the_wave_page_in_both_languages(
    app, client, world, login, make_wave
):
    wave_id = _close_with_an_item_against_a_reliable_scale(app, client, world, login, make_wave)
    for lang, text, words in (
        ("en", LAST.text["en"], "pull against the rest of the scale"),
        ("zh_Hans", LAST.text["zh"], "与量表其余题目方向相反"),
    ):
        html = client.get(f"/manage/waves/{wave_id}?lang={lang}").get_data(as_text=True)
        familiarity = _scale_row(html, "familiarity")
        assert 'data-reading="item-against"' in familiarity
        assert 'data-reading="unreliable"' not in familiarity
        assert words in familiarity and text in familiarity
        assert f"({LAST.key})" in familiarity
        # the other scales have no item against them
        assert 'data-reading="item-against"' not in _scale_row(html, "openness")


def test_an_item_against_a_reliable_scale_is_named_on_the_team_page(
    app, client, world, login, make_wave
):
    wave_id = _close_with_an_item_against_a_reliable_scale(app, client, world, login, make_wave)
    for lang, text in (("en", LAST.text["en"]), ("zh_Hans", LAST.text["zh"])):
        page = f"/manage/waves/{wave_id}/teams/{world.alpha}?lang={lang}"
        familiarity = _scale_row(client.get(page).get_data(as_text=True), "familiarity")
        assert 'data-reading="item-against"' in familiarity
        assert text in familiarity and f"({LAST.key})" in familiarity


def test_a_facilitator_without_the_scale_table_gets_no_definitions_of_its_statistics(
    app, client, world, login, make_wave
):
    # The wave has a team the facilitator does not see, so its scale-level statistics (over
    # every shown team) are not theirs to read; the glossary then defines only what is shown.
    wave_id = make_wave([world.alpha, world.beta], k=5)
    _responses(app, wave_id, world.alpha, [_row(wave_id, s, a) for s, a in [(4, 4)] * 6])
    login(world.admin)
    client.post(f"/manage/waves/{wave_id}/close")
    admin_page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    login(world.fac_a)
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    glossary = re.search(r'<details class="glossary">.*?</details>', page, re.S).group(0)
    assert "Scale reliability" not in page and "Scale reliability" in admin_page
    assert "Cronbach" not in glossary and "ICC" not in glossary
    assert "Cronbach" in re.search(
        r'<details class="glossary">.*?</details>', admin_page, re.S
    ).group(0)
