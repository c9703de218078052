"""The trust model in the app: calibrated on closed full waves, used to estimate pulse waves.

Once a wave whose instrument has both outcome scales (cognitive and affective trust) has
closed, the closer fits :func:`trust.fit_trust_model` to the respondents of every closed
full wave (:func:`surveys.services.waves.refresh_trust_model`) and stores the fit as a
:class:`TrustCalibration`. A pulse wave (drivers only) gets both
kinds of trust estimated from the latest calibration, or from the theory defaults
(:func:`trust.default_trust_model`), labelled uncalibrated, before there is one.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np

import trust
from surveys import instruments
from surveys.db import db
from surveys.models import (
    ESTIMATE_CALIBRATED,
    ESTIMATE_UNCALIBRATED,
    TrustCalibration,
    Wave,
)

OUTCOMES = ("cognitive_trust", "affective_trust")
# The five drivers of trust.DEFAULT_WEIGHTS, in its order: the model's column order.
DRIVERS = tuple(trust.DEFAULT_WEIGHTS["cognitive_trust"])
# Six predictors (five drivers and cognitive trust) need many more complete rows than that
# for weights that mean anything: with fewer respondents the organisation keeps the
# documented defaults, labelled uncalibrated.
MIN_RESPONDENTS = 40
BOOTSTRAP_RESAMPLES = 1000


def is_full(instrument: trust.Instrument) -> bool:
    keys = {scale.key for scale in instrument.scales}
    return set(OUTCOMES) <= keys and bool(keys & set(DRIVERS))


def drivers_of(instrument: trust.Instrument) -> tuple[str, ...]:
    keys = {scale.key for scale in instrument.scales}
    return tuple(d for d in DRIVERS if d in keys)


def scale_scores(answers: np.ndarray, instrument: trust.Instrument) -> np.ndarray:
    """Respondents' scale scores (respondents x instrument scales), half rule, reverse-keyed."""
    low, high = instrument.bounds()
    keyed = trust.reverse_key(answers, instrument.reverse_mask(), low, high)
    return trust.scale_scores(keyed, instrument.item_scale_index())


def fit(drivers: np.ndarray, cognitive, affective, names, teams) -> trust.TrustModel:
    """The one call of :func:`trust.fit_trust_model`: respondent level, resampled by team.

    The respondents of one team are not independent (they describe the same team), so
    the bootstrap resamples whole teams where ``trust`` offers it (a ``teams`` argument);
    else it resamples respondents.
    """
    options = {}
    if "teams" in inspect.signature(trust.fit_trust_model).parameters:
        options["teams"] = teams
    with warnings.catch_warnings():
        # Degenerate data (a driver without variance) gives NaN weights, which calibrate
        # treats as no calibration: the warning adds nothing to that.
        warnings.simplefilter("ignore", trust.DegenerateDataWarning)
        return trust.fit_trust_model(
            drivers,
            cognitive,
            affective,
            names=names,
            n_boot=BOOTSTRAP_RESAMPLES,
            random_state=0,
            **options,
        )


def _fit_dict(found: trust.RegressionFit) -> dict:
    def numbers(values) -> list:
        return [None if not math.isfinite(float(v)) else float(v) for v in values]

    def number(value):
        return None if not math.isfinite(float(value)) else float(value)

    return {
        "predictors": list(found.predictors),
        "weights": numbers(found.weights),
        "ci_low": numbers(found.ci_low),
        "ci_high": numbers(found.ci_high),
        "r_squared": number(found.r_squared),
        "r_squared_ci_low": number(found.r_squared_ci_low),
        "r_squared_ci_high": number(found.r_squared_ci_high),
        "intercept": number(found.intercept),
        "slopes": numbers(found.slopes),
        "n": int(found.n),
    }


def _fit_of(stored: dict) -> trust.RegressionFit:
    def array(values) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    def number(value) -> float:
        return np.nan if value is None else float(value)

    return trust.RegressionFit(
        tuple(stored["predictors"]),
        array(stored["weights"]),
        array(stored["ci_low"]),
        array(stored["ci_high"]),
        number(stored["r_squared"]),
        number(stored["r_squared_ci_low"]),
        number(stored["r_squared_ci_high"]),
        number(stored["intercept"]),
        array(stored["slopes"]),
        int(stored["n"]),
    )


def _full_waves() -> list[tuple[Wave, trust.Instrument]]:
    """Closed waves whose instrument has every driver and both outcomes, oldest first."""
    closed = db.session.scalars(
        db.select(Wave).where(Wave.closed_at.is_not(None)).order_by(Wave.closed_at, Wave.id)
    ).all()
    found = []
    for wave in closed:
        try:
            instrument = instruments.get(wave.instrument_key, wave.instrument_version)
        except instruments.InstrumentUnavailableError:
            continue  # an instrument file since removed: its wave cannot be read
        if is_full(instrument) and drivers_of(instrument) == DRIVERS:
            found.append((wave, instrument))
    return found


def closed_full_wave_ids() -> list[int]:
    return [wave.id for wave, _ in _full_waves()]


def calibrate(read_answers) -> TrustCalibration | None:
    """Fit the model to every closed full wave and add it (refresh_trust_model commits).

    ``read_answers(wave, item_keys)`` reads a wave's answers (results.answer_matrix).
    None, with nothing added, when the closed full waves have fewer than
    :data:`MIN_RESPONDENTS` respondents with every score, or the fit is undefined.
    """
    used, blocks, labels = [], [], []
    for wave, instrument in _full_waves():
        answers, teams = read_answers(wave, instrument.item_keys)
        if not len(teams):
            continue
        scores = scale_scores(answers, instrument)
        column = {scale.key: s for s, scale in enumerate(instrument.scales)}
        blocks.append(scores[:, [column[key] for key in (*DRIVERS, *OUTCOMES)]])
        labels.append(np.char.add(f"{wave.id}:", teams.astype(str)))
        used.append(wave.id)
    if not blocks:
        return None
    data = np.concatenate(blocks)
    complete = ~np.isnan(data).any(axis=1)
    if complete.sum() < MIN_RESPONDENTS:
        return None
    d = len(DRIVERS)
    model = fit(data[:, :d], data[:, d], data[:, d + 1], DRIVERS, np.concatenate(labels))
    if not np.isfinite(model.cognitive.weights).all():
        return None
    calibration = TrustCalibration(
        level=model.level,
        n=int(model.cognitive.n),
        drivers=list(model.drivers),
        wave_ids=used,
        cognitive=_fit_dict(model.cognitive),
        affective=_fit_dict(model.affective),
    )
    db.session.add(calibration)
    return calibration


def latest() -> TrustCalibration | None:
    return db.session.scalar(
        db.select(TrustCalibration).order_by(TrustCalibration.id.desc()).limit(1)
    )


def model_for(drivers: tuple[str, ...]) -> tuple[trust.TrustModel, str]:
    """The model that estimates trust from ``drivers``, and its label for the cells.

    The latest calibration when it was fitted on exactly these drivers; else the theory
    defaults for them, labelled uncalibrated.
    """
    stored = latest()
    if stored is not None and tuple(stored.drivers) == tuple(drivers):
        model = trust.TrustModel(
            tuple(stored.drivers),
            _fit_of(stored.cognitive),
            _fit_of(stored.affective),
            calibrated=True,
            level=stored.level,
        )
        return model, ESTIMATE_CALIBRATED
    return trust.default_trust_model(drivers), ESTIMATE_UNCALIBRATED
