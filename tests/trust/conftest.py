"""Fixtures for the trust/ tests: small instruments and data with an exactly known structure."""

from __future__ import annotations

import numpy as np
import pytest

from trust import parse_instrument


def make_instrument(scales, low=1, high=5):
    """An instrument from ``{scale key: [item keys]}``; items named ``r*`` are reverse-keyed."""
    return parse_instrument({
        "instrument": {"key": "test", "version": "1", "name": "Test"},
        "response_scales": {"agree": {"min": low, "max": high}},
        "scales": [
            {"key": key, "response_scale": "agree",
             "items": [{"key": item, "reverse": item.startswith("r")} for item in items]}
            for key, items in scales.items()
        ],
    })


def with_correlation(corr, n, seed=0):
    """n rows whose sample correlation matrix is exactly ``corr`` (whitened, then recoloured)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, corr.shape[0]))
    z -= z.mean(axis=0)
    whiten = np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False)))
    return z @ whiten.T @ np.linalg.cholesky(corr).T


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
