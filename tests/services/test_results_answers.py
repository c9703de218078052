"""Reading a wave's answers into one matrix (surveys.services.results.answer_matrix)."""

from __future__ import annotations

import numpy as np

from surveys.db import db
from surveys.models import Response, Team, Wave, utcnow
from surveys.services import results

KEYS = ("q1", "q2", "q3")


def _wave_and_teams():
    red, blue = Team(name="Red"), Team(name="Blue")
    wave = Wave(
        name="W",
        instrument_key="full",
        instrument_version="1.0.0",
        opens_at=utcnow(),
        closes_at=utcnow(),
        k=3,
    )
    db.session.add_all([red, blue, wave])
    db.session.flush()
    return wave, red, blue


def test_answers_come_back_by_response_id_with_their_teams_and_non_numbers_missing(
    make_app, backend
):
    app = make_app(backend)
    with app.app_context():
        wave, red, blue = _wave_and_teams()
        # Ids out of insertion order: the matrix follows the ids, not the arrival.
        given = [
            ("c" * 32, blue.id, {"q1": 1, "q2": 2, "q3": 3}),
            ("a" * 32, red.id, {"q3": 5, "q1": 4}),  # q2 unanswered, keys in another order
            ("b" * 32, blue.id, {"q1": "2", "q2": True, "q3": 3}),  # text and true: missing
            ("e" * 32, blue.id, {"q1": [1, 2], "q2": {"x": 1}, "q3": 4}),
            ("d" * 32, red.id, {"q1": 2.5, "q2": None, "q3": 1, "extra": 9}),
        ]
        for response_id, team_id, answers in given:
            db.session.add(
                Response(id=response_id, wave_id=wave.id, team_id=team_id, answers=answers)
            )
        db.session.commit()

        answers, teams = results.answer_matrix(wave, KEYS)
        only_red, red_teams = results.answer_matrix(wave, KEYS, team_id=red.id)
        expected_teams = [red.id, blue.id, blue.id, red.id, blue.id]

    nan = np.nan
    expected = np.array(
        [[4, nan, 5], [nan, nan, 3], [1, 2, 3], [2.5, nan, 1], [nan, nan, 4]], dtype=float
    )
    assert teams.tolist() == expected_teams
    np.testing.assert_array_equal(answers, expected)
    assert red_teams.tolist() == [expected_teams[0], expected_teams[3]]
    np.testing.assert_array_equal(only_red, expected[[0, 3]])


def test_answers_as_the_survey_stores_them_come_back_by_response_id(make_app, backend):
    # Every response with the same keys in the same order and one digit each (the survey's
    # own texts, read by columns), then one answer of two digits (read another way).
    app = make_app(backend)
    with app.app_context():
        wave, red, blue = _wave_and_teams()
        given = [
            ("c" * 32, blue.id, {"q2": 2, "q1": 1, "q3": 3, "q9": 9}),
            ("a" * 32, red.id, {"q2": 5, "q1": 4, "q3": 7, "q9": 0}),
            ("b" * 32, blue.id, {"q2": 1, "q1": 6, "q3": 2, "q9": 1}),
        ]
        for response_id, team_id, answers in given:
            db.session.add(
                Response(id=response_id, wave_id=wave.id, team_id=team_id, answers=answers)
            )
        db.session.commit()
        same, teams = results.answer_matrix(wave, KEYS)
        only_blue, _ = results.answer_matrix(wave, KEYS, team_id=blue.id)
        db.session.add(Response(id="d" * 32, wave_id=wave.id, team_id=red.id, answers={"q1": 10}))
        db.session.commit()
        longer, _ = results.answer_matrix(wave, KEYS)
        expected_teams = [red.id, blue.id, blue.id]

    expected = np.array([[4, 5, 7], [6, 1, 2], [1, 2, 3]], dtype=float)
    assert teams.tolist() == expected_teams
    np.testing.assert_array_equal(same, expected)
    np.testing.assert_array_equal(only_blue, expected[[1, 2]])
    np.testing.assert_array_equal(longer, np.vstack([expected, [[10, np.nan, np.nan]]]))
