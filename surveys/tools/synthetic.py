"""Synthetic survey answers drawn from a stated trust model (for the demo and for tests).

The model
---------
Every respondent ``i`` in team ``t`` has eight latent scores on the 1-5 response metric,
one per scale of the full instrument.

Drivers ``d`` (familiarity, similarity, interaction, openness, reliability)::

    driver[i, d] = mu[d] + u[t, d] + shift[t, d] + g[i] * split[t] + e[i, d]
    u[t, d] ~ N(0, TEAM_SD^2)        team effect, the same for everyone in the team
    e[i, d] ~ N(0, PERSON_SD^2)      person-level noise
    g[i] in {-1, +1}                 subgroup, half the team each; ``split[t] > 0`` gives a
                                     team two camps (a fault line) and bimodal answers

Propensity to trust is a person-level disposition with no team effect::

    propensity[i] = mu[p] + e[i, p]

Cognition-based trust rests on evidence of reliability and on shared goals and ways of working
(McAllister 1995); affect-based trust grows from knowing each other and interacting, on top of
cognition-based trust (the seed: cognitive trust is the foundation of affective trust)::

    cognitive[i] = mu[c] + 0.50 (reliability - mu) + 0.25 (similarity - mu)
                   + 0.10 (propensity - mu) + shift[t, c] + e[i, c]
    affective[i] = mu[a] + 0.30 (familiarity - mu) + 0.25 (interaction - mu)
                   + 0.15 (openness - mu) + 0.40 (cognitive - mu) + shift[t, a] + e[i, a]

with ``e ~ N(0, OUTCOME_SD^2)``; ``shift[t, c]`` and ``shift[t, a]`` are team-level residuals
(a team whose members rely on each other's work but share little else has a negative affective
residual). Each item is its scale's latent score plus item noise, ``x = latent + N(0, ITEM_SD^2)``;
a reverse-keyed item is answered as ``min + max - x``; answers are rounded and clipped to the
response scale.

References
----------
.. [1] McAllister, D. J. (1995). Affect- and cognition-based trust as foundations for
   interpersonal cooperation in organizations. Academy of Management Journal, 38(1), 24-59.
   https://doi.org/10.2307/256727
"""

from __future__ import annotations

import numpy as np

from trust.instrument import Instrument

__all__ = ["DRIVERS", "LATENTS", "generate_answers", "latent_scores", "profile_shifts"]

DRIVERS = ("familiarity", "similarity", "interaction", "openness", "reliability")
LATENTS = (*DRIVERS, "propensity", "cognitive_trust", "affective_trust")

MEANS = np.array([3.6, 3.6, 3.5, 3.4, 3.8, 3.5, 3.7, 3.5])  # mu, in LATENTS order
TEAM_SD = 0.20
PERSON_SD = 0.45
OUTCOME_SD = 0.35
ITEM_SD = 0.55
COGNITIVE_WEIGHTS = {"reliability": 0.50, "similarity": 0.25, "propensity": 0.10}
AFFECTIVE_WEIGHTS = {
    "familiarity": 0.30,
    "interaction": 0.25,
    "openness": 0.15,
    "cognitive_trust": 0.40,
}

_COL = {name: j for j, name in enumerate(LATENTS)}


def profile_shifts(profiles: list[dict[str, float]]) -> np.ndarray:
    """Team shifts as an array (teams x LATENTS) from one {latent: shift} dict per team."""
    shifts = np.zeros((len(profiles), len(LATENTS)))
    for t, profile in enumerate(profiles):
        for name, value in profile.items():
            if name not in _COL:
                raise ValueError(f"profiles: unknown latent score {name!r}")
            shifts[t, _COL[name]] = value
    return shifts


def latent_scores(
    team_index: np.ndarray, shifts: np.ndarray, split: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Latent scores (respondents x LATENTS) under the model in the module docstring.

    Parameters
    ----------
    team_index : array of int, shape (n,)
        Each respondent's team, an index into the rows of ``shifts`` and ``split``.
    shifts : array, shape (teams, len(LATENTS))
        Team-level shifts of the driver means and of the outcome residuals.
    split : array, shape (teams,)
        Half the distance between a team's two subgroups on every driver (0: one group).
    rng : numpy.random.Generator
    """
    team_index = np.asarray(team_index, dtype=int)
    n, n_teams = team_index.size, shifts.shape[0]
    drivers = [_COL[d] for d in DRIVERS]
    u = rng.normal(0.0, TEAM_SD, size=(n_teams, len(DRIVERS)))
    g = np.where(rng.permutation(n) % 2 == 0, 1.0, -1.0)

    z = np.empty((n, len(LATENTS)))
    z[:, drivers] = (
        MEANS[drivers]
        + u[team_index]
        + shifts[team_index][:, drivers]
        + (g * split[team_index])[:, None]
        + rng.normal(0.0, PERSON_SD, size=(n, len(DRIVERS)))
    )
    p = _COL["propensity"]
    z[:, p] = MEANS[p] + rng.normal(0.0, PERSON_SD, size=n)
    for outcome, weights in (
        ("cognitive_trust", COGNITIVE_WEIGHTS),
        ("affective_trust", AFFECTIVE_WEIGHTS),
    ):
        c = _COL[outcome]
        z[:, c] = MEANS[c] + shifts[team_index, c] + rng.normal(0.0, OUTCOME_SD, size=n)
        for name, weight in weights.items():
            z[:, c] += weight * (z[:, _COL[name]] - MEANS[_COL[name]])
    return z


def generate_answers(
    instrument: Instrument, latent: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Integer answers (respondents x instrument items) from latent scores.

    Every scale of ``instrument`` must be one of ``LATENTS``; a pulse instrument simply uses
    fewer of them. Reverse-keyed items are answered reversed, so that scoring them reversed
    gives back the latent score.
    """
    missing = [s.key for s in instrument.scales if s.key not in _COL]
    if missing:
        raise ValueError(f"instrument: no latent score for scales {missing}")
    cols = np.array([_COL[item.scale] for item in instrument.items], dtype=int)
    lo, hi = instrument.bounds()
    x = latent[:, cols] + rng.normal(0.0, ITEM_SD, size=(latent.shape[0], cols.size))
    x = np.where(instrument.reverse_mask(), lo + hi - x, x)
    return np.clip(np.rint(x), lo, hi).astype(int)
