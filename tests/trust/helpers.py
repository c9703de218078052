"""Helpers for the trust/ tests: small instruments and data with an exactly known structure."""

from __future__ import annotations

import numpy as np

from trust import parse_instrument


def make_instrument(scales, low=1, high=5):
    """An instrument from ``{scale key: [item keys]}``; items named ``r*`` are reverse-keyed."""
    return parse_instrument(
        {
            "instrument": {"key": "test", "version": "1", "name": "Test"},
            "response_scales": {"agree": {"min": low, "max": high}},
            "scales": [
                {
                    "key": key,
                    "response_scale": "agree",
                    "items": [{"key": item, "reverse": item.startswith("r")} for item in items],
                }
                for key, items in scales.items()
            ],
        }
    )


def with_correlation(corr, n, seed=0):
    """n rows whose sample correlation matrix is exactly ``corr`` (whitened, then recoloured)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, corr.shape[0]))
    z -= z.mean(axis=0)
    whiten = np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False)))
    return z @ whiten.T @ np.linalg.cholesky(corr).T
