"""Two simultaneous submissions with one token: exactly one response, on a real database."""

from __future__ import annotations

import threading

import pytest

from surveys.services import invitations
from tests.respond.survey_setup import create_survey, full_answers, responses


@pytest.fixture
def both_see_unused(monkeypatch):
    """Hold each request after it has looked up its invitation, until both have.

    Both requests then believe the invitation unused, so only the atomic consume in the
    database can keep the second one from recording a response: the race is forced, not hoped for.
    """
    barrier = threading.Barrier(2, timeout=30)
    real_find = invitations.find

    def find(token):
        invitation = real_find(token)
        barrier.wait()
        return invitation

    monkeypatch.setattr(invitations, "find", find)
    return barrier


def submit_twice_at_once(app, url):
    results = [None, None]

    def submit(i):
        client = app.test_client()
        results[i] = client.post(url, data=full_answers(i + 2) | {"comment": f"tab {i}"})

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_concurrent_submissions_with_one_token_record_exactly_one(
    make_app, backend, both_see_unused
):
    app = make_app(backend)
    survey = create_survey(app)
    results = submit_twice_at_once(app, f"/s/{survey.tokens[0]}")
    assert sorted(r.status_code for r in results) == [303, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert "Your answer was recorded once" in loser.get_data(as_text=True)
    assert survey.counts() == (1, 1, 1)
    winner = results.index(next(r for r in results if r.status_code == 303))
    [response] = responses(app)
    assert response.answers["fam1"] == winner + 2  # the stored answers are the winner's, whole


def test_concurrent_submissions_with_two_tokens_both_count(make_app, backend, both_see_unused):
    app = make_app(backend)
    survey = create_survey(app)
    results = [None, None]

    def submit(i):
        results[i] = app.test_client().post(f"/s/{survey.tokens[i]}", data=full_answers())

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r.status_code for r in results] == [303, 303]
    assert survey.counts() == (2, 0, 2)
