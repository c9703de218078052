"""Fixtures for the trust/ tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def survey():
    """60 respondents in 6 teams of varied size answering two 4-item scales on 1..5."""
    rng = np.random.default_rng(7)
    sizes = [4, 6, 8, 10, 14, 18]
    team = np.repeat(np.array(["t1", "t2", "t3", "t4", "t5", "t6"]), sizes)
    level = rng.normal(0, 0.6, size=(6, 2))[np.repeat(np.arange(6), sizes)]
    person = np.repeat(level + rng.normal(0, 0.7, size=(60, 2)), 4, axis=1)
    answers = np.clip(np.round(3 + person + rng.normal(0, 0.6, size=(60, 8))), 1, 5)
    return answers, team
