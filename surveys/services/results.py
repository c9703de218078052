"""Aggregates of a closed wave: computed once at close with ``trust``, stored, then only read.

:func:`store` loads the wave's responses into one array in the instrument's item order,
decides what is shown (:func:`surveys.services.cells.measured`: department and
organisation figures, then complementary suppression), calls :func:`trust.analyze` once
over the teams shown (labels are team ids, team sizes are the invitations issued, for the
finite-population correction) for their numbers and the scale-level statistics, and
writes ``ScaleResult``, ``TeamScaleResult`` and ``GroupScaleResult`` rows. A team with
fewer than the wave's k responses gets its row with ``n`` and NULL numbers, and adds
nothing to any scale-level number, so no view and no export can show what was never
stored (anonymity invariant 2).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import aggregate_order_by

from surveys import instruments
from surveys.db import db
from surveys.models import (
    Comment,
    Response,
    ScaleResult,
    Team,
    TeamScaleResult,
    Wave,
    wave_team,
)
from surveys.services import calibration, cells, changes, invitations, rollups, stored_answers
from surveys.services import heatmap as heatmap_rows

SCALE_FIELDS = (
    "alpha",
    "alpha_ci_low",
    "alpha_ci_high",
    "omega_total",
    "icc1",
    "icc2",
    "mean_rwg_j",
)
TEAM_FIELDS = ("mean", "sd", "ci_low", "ci_high", "rwg_j")


def answer_matrix(
    wave: Wave, item_keys: tuple[str, ...], team_id: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The wave's answers as floats (respondents x items, NaN where unanswered) and team ids.

    ``team_id`` limits them to one team. Rows follow the random response id, so their order
    says nothing about arrival.

    The stored texts are read as they are and parsed by NumPy when they hold whole numbers
    and nulls only, as the survey writes them (:func:`stored_answers.whole_numbers`; most
    often every text has the same keys in the same places, and the answers are read as
    columns of bytes). Answers stored any other way are read again by the database, where
    an answer that is not a number counts as missing: it picks the items out of every
    response's JSON into one JSON array per response (SQLite's json_extract, PostgreSQL's
    json_build_array) and joins them all, without their brackets, into one text (and the
    team ids into another): one row crosses to Python, and one ``json.loads`` makes the
    matrix, with no Python loop over respondents or answers.
    """
    if not item_keys:
        return np.zeros((0, 0)), np.zeros(0, dtype=np.int64)
    stored = db.select(Response.team_id, sa.cast(Response.answers, sa.Text)).where(
        Response.wave_id == wave.id
    )
    if team_id is not None:
        stored = stored.where(Response.team_id == team_id)
    rows = db.session.connection().execute(stored.order_by(Response.id)).all()
    if rows:
        team_ids, texts = zip(*rows, strict=True)
        answers = stored_answers.whole_numbers(texts, item_keys)
        if answers is not None:
            return answers, np.array(team_ids, dtype=np.int64)
        del team_ids, texts
    del rows
    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        paths = [f'$."{key}"' for key in item_keys]
        picked = func.json_extract(Response.answers, *paths)
        if len(item_keys) == 1:  # one path gives the value itself, not an array
            picked = func.json_array(picked)
    else:
        picked = func.json_build_array(*(Response.answers.op("->")(key) for key in item_keys))
    query = db.select(
        Response.id,
        sa.cast(Response.team_id, sa.Text).label("team"),
        sa.cast(picked, sa.Text).label("row"),
    ).where(Response.wave_id == wave.id)
    if team_id is not None:
        query = query.where(Response.team_id == team_id)
    ordered = query.order_by(Response.id).subquery()
    values = func.substr(ordered.c.row, 2, func.length(ordered.c.row) - 2)
    if sqlite:
        # Both texts come from the same pass over the same rows, so they stay aligned.
        joined = [func.group_concat(column, ",") for column in (ordered.c.team, values)]
    else:
        joined = [
            func.string_agg(column, aggregate_order_by(sa.literal(","), ordered.c.id))
            for column in (ordered.c.team, values)
        ]
    teams_text, answers_text = db.session.connection().execute(db.select(*joined)).one()
    teams = np.array(json.loads(f"[{teams_text or ''}]"), dtype=np.int64)
    flat = json.loads(f"[{answers_text or ''}]")
    if _NOT_NUMBERS.search(answers_text or ""):
        answers = _numbers_only(flat, len(teams), len(item_keys))
    else:
        answers = np.array(flat, dtype=float).reshape(len(teams), len(item_keys))
    return answers, teams


# A character that no JSON number or null has: text, true/false, a list or an object is
# among the answers. NumPy would read "2" or true as a number; such an answer is missing.
_NOT_NUMBERS = re.compile(r"[^-+0-9.eE,nul ]")


def _numbers_only(given: list, rows: int, width: int) -> np.ndarray:
    """Answers that are not numbers (text, true/false) as missing: never a score."""
    cells = np.empty(len(given), dtype=object)
    cells[:] = given  # element by element: an answer that is itself a list stays one cell
    cells = cells.reshape(rows, width)
    numeric = np.vectorize(
        lambda v: isinstance(v, int | float) and not isinstance(v, bool), otypes=[bool]
    )(cells)
    cells[~numeric] = np.nan
    return cells.astype(float)


def store(wave: Wave) -> None:
    """Compute and add the wave's results (the caller, :func:`waves.close`, commits).

    Team, department and organisation rows per scale (``TeamScaleResult``,
    ``GroupScaleResult``), with complementary suppression (:mod:`.suppression`); for a
    pulse wave, both kinds of trust estimated from the drivers; for a full wave, a new
    calibration of the trust model (:mod:`.calibration`); the change from the previous
    wave of the same teams (:mod:`.changes`); and the scale-level statistics
    (``ScaleResult``).

    A team's cell counts as below k when the team has fewer than k respondents or fewer
    than k with a score on the scale. A withheld cell stores its ``n`` and the reason,
    never its numbers, so no view and no export can show what was never stored.

    A ScaleResult (alpha and its interval, omega, ICC(1), ICC(2), mean rwg(j), and
    ``n_respondents``) is computed over the respondents of the teams shown on that scale
    only. Computed over everyone, these numbers would constrain a hidden team's mean and
    spread: with few teams, ICC(1) and the shown team means pin down the hidden team's
    mean, and alpha its variance (anonymity invariant 2). With no team shown, a scale
    stores ``n_respondents`` 0 and no numbers.

    The population of a team, for the finite-population correction of its intervals
    (``team_size``), is the number of invitations the wave issued to the team
    (:func:`surveys.services.invitations.issued_per_team`): the people the wave asked. It is
    never below the number of responses, since each response used one of them, whereas the
    active roster at close can be (a member who answered and left the roster since), which
    would give intervals too narrow, even of zero width. A team with no invitations
    (answers that reached the database by other means) gets no correction (``team_size``
    NULL, wider and safer intervals), unless an import gave its size (:func:`team_sizes`); a
    department's population is the sum of its teams' when every one of them is known.
    """
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    team_ids = db.session.scalars(
        db.select(wave_team.c.team_id).where(wave_team.c.wave_id == wave.id)
    ).all()
    answers, teams = answer_matrix(wave, instrument.item_keys)
    answered = dict(zip(*np.unique(teams, return_counts=True), strict=True))
    issued = team_sizes(wave.id, team_ids)
    sizes = {t: size for t, size in issued.items() if size >= answered.get(t, 0)}
    # A team that was sent nothing and answered nothing adds no one to a department.
    population = {**{t: 0 for t in team_ids if not answered.get(t) and t not in issued}, **sizes}
    tree = rollups.wave_tree(team_ids)

    table, scale_statistics = cells.measured(
        wave, instrument, answers, teams, tree, sizes, population
    )
    if not calibration.is_full(instrument) and calibration.drivers_of(instrument):
        model, label = calibration.model_for(calibration.drivers_of(instrument))
        cells.add_estimates(table, model, label)
    changes.add_changes(wave, instrument, answers, teams, tree, table, answer_matrix)
    cells.write(wave, table, sizes)
    for scale_key, found in scale_statistics.items():
        db.session.add(
            ScaleResult(
                wave_id=wave.id,
                scale=scale_key,
                n_respondents=int(found.get("n_respondents") or 0),
                item_total_r=_item_total_r(found),
                **{name: found.get(name) for name in SCALE_FIELDS},
            )
        )


def _item_total_r(found: dict) -> dict[str, float | None] | None:
    """{item key: corrected item-total r} of a scale's analysis, None when it had none."""
    items = found.get("items")
    if not items:
        return None
    return {key: values.get("item_total_r") for key, values in items.items()}


def team_sizes(wave_id: int, team_ids: list[int]) -> dict[int, int]:
    """Each team's population in the wave, by team id (teams of unknown size are absent).

    The invitations the wave issued (:func:`surveys.services.invitations.issued_per_team`);
    for a team with none, the size an import declared (``wave_team.team_size``), since
    answers collected elsewhere come without invitations.
    """
    if not team_ids:
        return {}
    declared = db.session.execute(
        db.select(wave_team.c.team_id, wave_team.c.team_size).where(
            wave_team.c.wave_id == wave_id,
            wave_team.c.team_id.in_(team_ids),
            wave_team.c.team_size.is_not(None),
        )
    ).all()
    return {**dict(declared), **invitations.issued_per_team(wave_id, team_ids)}


@dataclass(frozen=True)
class TeamRow:
    team_id: int
    team: str
    n: int  # respondents with a score on any scale
    scales: dict[str, TeamScaleResult]

    def hidden(self, k: int) -> bool:
        """Below k on every scale: the whole row is withheld."""
        return all(r.n < k for r in self.scales.values())


def team_table(wave: Wave, visible: set[int] | None) -> list[TeamRow]:
    """Stored team results of a closed wave for the visible teams, by team name.

    Rows below k carry no numbers: they were never stored.
    """
    query = (
        db.select(TeamScaleResult, Team.name)
        .join(Team, TeamScaleResult.team_id == Team.id)
        .where(TeamScaleResult.wave_id == wave.id)
        .order_by(Team.name, TeamScaleResult.scale)
    )
    if visible is not None:
        query = query.where(TeamScaleResult.team_id.in_(visible))
    by_team: dict[int, tuple[str, dict[str, TeamScaleResult]]] = {}
    for result, name in db.session.execute(query).all():
        by_team.setdefault(result.team_id, (name, {}))[1][result.scale] = result
    return [
        TeamRow(team_id, name, max((r.n for r in scales.values()), default=0), scales)
        for team_id, (name, scales) in by_team.items()
    ]


def heatmap(
    wave: Wave, visible: set[int] | None, expand: set[int] | None = None
) -> list[heatmap_rows.HeatRow]:
    """The stored heatmap of a closed wave for a viewer who sees ``visible`` (None: all).

    Rows of the organisation, departments and teams (``level``, ``team_id``, ``name``,
    ``depth``) with one cell per scale (mean, interval, SD, n, rwg(j), ``estimate``,
    ``suppressed`` reason, change from the previous wave); ``expand`` limits team rows to
    those directly under the given departments: see :mod:`surveys.services.heatmap`.
    """
    return heatmap_rows.heatmap(wave, visible, expand)


def scale_table(wave: Wave) -> dict[str, ScaleResult]:
    """Stored scale-level results of a closed wave, by scale key."""
    rows = db.session.scalars(db.select(ScaleResult).where(ScaleResult.wave_id == wave.id))
    return {row.scale: row for row in rows}


def team_comments(wave: Wave, visible: set[int] | None) -> list[tuple[str, list[str]]]:
    """Comments of a closed wave's visible teams that had at least k responses, by team name.

    Anonymity invariant 4: never for an open wave or a team below k; undated (comments have
    no date to show); shuffled on every call, so neither storage nor page order says anything.
    """
    if wave.closed_at is None:
        return []
    counts = dict(
        db.session.execute(
            db.select(Response.team_id, func.count())
            .where(Response.wave_id == wave.id)
            .group_by(Response.team_id)
        ).all()
    )
    shown = {
        team_id
        for team_id, n in counts.items()
        if n >= wave.k and (visible is None or team_id in visible)
    }
    by_team: dict[str, list[str]] = {}
    rows = db.session.execute(
        db.select(Team.name, Comment.text)
        .join(Team, Comment.team_id == Team.id)
        .where(Comment.wave_id == wave.id, Comment.team_id.in_(shown))
    ).all()
    for name, text in rows:
        by_team.setdefault(name, []).append(text)
    shuffle = secrets.SystemRandom().shuffle
    for texts in by_team.values():
        shuffle(texts)
    return sorted(by_team.items())
