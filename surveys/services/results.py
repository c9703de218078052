"""Aggregates of a closed wave: computed once at close with ``trust``, stored, then only read.

:func:`store` loads the wave's responses into one array in the instrument's item order,
calls :func:`trust.analyze` once for all teams (labels are team ids, team sizes are the
invitations issued, for the finite-population correction) and once more over the teams
that reached k for the scale-level statistics, and writes ``ScaleResult`` and
``TeamScaleResult`` rows. A team with fewer than the wave's k responses gets its row with
``n`` and NULL numbers, and adds nothing to any scale-level number, so no view and no
export can show what was never stored (anonymity invariant 2).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func

import trust
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
from surveys.services import invitations

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


def answer_matrix(wave: Wave, item_keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The wave's answers as floats (respondents x items, NaN where unanswered) and team ids.

    Rows follow the random response id, so their order says nothing about arrival.
    """
    rows = db.session.execute(
        db.select(Response.team_id, Response.answers)
        .where(Response.wave_id == wave.id)
        .order_by(Response.id)
    ).all()
    column = {key: j for j, key in enumerate(item_keys)}
    answers = np.full((len(rows), len(item_keys)), np.nan)
    for i, (_team_id, given) in enumerate(rows):
        for key, value in (given or {}).items():
            j = column.get(key)
            if j is not None and isinstance(value, int | float) and not isinstance(value, bool):
                answers[i, j] = value
    teams = np.array([team_id for team_id, _ in rows], dtype=np.int64)
    return answers, teams


def store(wave: Wave) -> None:
    """Compute and add the wave's ScaleResult and TeamScaleResult rows (the caller commits).

    A TeamScaleResult's ``n`` counts the team's respondents with a score on that scale;
    its numbers are stored only when both that ``n`` and the team's number of respondents
    reach the wave's k (the team is *shown* on that scale).

    A ScaleResult (alpha and its interval, omega, ICC(1), ICC(2), mean rwg(j), and
    ``n_respondents``) is computed over the respondents of the teams shown on that scale
    only. Computed over everyone, these numbers would constrain a hidden team's mean and
    spread: with few teams, ICC(1) and the shown team means pin down the hidden team's
    mean, and alpha its variance (anonymity invariant 2, complementary suppression). With
    no team shown, a scale stores ``n_respondents`` 0 and no numbers.

    The population of a team, for the finite-population correction of its intervals
    (``team_size``), is the number of invitations the wave issued to the team
    (:func:`surveys.services.invitations.issued_per_team`): the people the wave asked. It is never
    below the number of responses, since each response used one of them, whereas the active
    roster at close can be (a member who answered and left the roster since), which would
    give intervals too narrow, even of zero width. A team with no invitations (answers that
    reached the database by other means) gets no correction (``team_size`` NULL, wider and
    safer intervals), unless an import gave its size (:func:`team_sizes`).
    """
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    team_ids = [t.id for t in wave.teams]
    answers, teams = answer_matrix(wave, instrument.item_keys)
    answered = dict(zip(*np.unique(teams, return_counts=True), strict=True))
    sizes = {
        team_id: size
        for team_id, size in team_sizes(wave.id, team_ids).items()
        if size >= answered.get(team_id, 0)
    }
    if len(teams):
        analysis = trust.analyze(answers, teams, instrument, team_size=sizes)
    else:
        analysis = {"scales": {}, "teams": {}}

    shown_teams: dict[str, set[int]] = {scale.key: set() for scale in instrument.scales}
    for team_id in team_ids:
        found = analysis["teams"].get(str(team_id), {})
        team_n = int(found.get("n") or 0)
        for scale in instrument.scales:
            values = found.get("scales", {}).get(scale.key, {})
            n = int(values.get("n", team_n) or 0)
            shown = team_n >= wave.k and n >= wave.k
            if shown:
                shown_teams[scale.key].add(team_id)
            db.session.add(
                TeamScaleResult(
                    wave_id=wave.id,
                    team_id=team_id,
                    scale=scale.key,
                    n=n,
                    team_size=sizes.get(team_id),
                    # trust.analyze gives JSON numbers: a float, or None where undefined.
                    **{name: values.get(name) if shown else None for name in TEAM_FIELDS},
                )
            )

    for scale_key, found in _shown_scale_statistics(
        answers, teams, instrument, shown_teams
    ).items():
        db.session.add(
            ScaleResult(
                wave_id=wave.id,
                scale=scale_key,
                n_respondents=int(found.get("n_respondents") or 0),
                **{name: found.get(name) for name in SCALE_FIELDS},
            )
        )


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


def _shown_scale_statistics(
    answers: np.ndarray,
    teams: np.ndarray,
    instrument: trust.Instrument,
    shown_teams: dict[str, set[int]],
) -> dict[str, dict]:
    """Scale-level statistics of each scale over the respondents of its shown teams only.

    Scales that share a set of shown teams (usually all of them) share one analysis, so a
    wave costs one more call of :func:`trust.analyze`, rarely a few.
    """
    by_set: dict[frozenset[int], list[str]] = {}
    for scale_key, shown in shown_teams.items():
        by_set.setdefault(frozenset(shown), []).append(scale_key)
    out: dict[str, dict] = {}
    for shown, scale_keys in by_set.items():
        rows = np.isin(teams, list(shown))
        found = trust.analyze(answers[rows], teams[rows], instrument)["scales"] if shown else {}
        for scale_key in scale_keys:
            out[scale_key] = found.get(scale_key, {})
    return out


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
