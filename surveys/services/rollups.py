"""Department and organisation roll-ups of a wave: the tree, and respondents by group.

A department's row pools the responses of every team of the wave under it (at any depth),
and the organisation's row pools them all, so a team too small to be shown still counts
somewhere. The tree is the team tree at close; its nodes are keyed ``("team", id)``,
``("department", id)`` and ``("organisation", None)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surveys.db import db
from surveys.models import Team

ORGANISATION = ("organisation", None)

Node = tuple[str, int | None]


@dataclass(frozen=True)
class WaveTree:
    """The wave's teams under their departments under the organisation."""

    parent: dict[Node, Node | None]  # every node's parent; the organisation's is None
    groups_of_team: dict[int, list[Node]]  # each wave team's departments, nearest first, + org

    @property
    def groups(self) -> list[Node]:
        return [node for node in self.parent if node[0] != "team"]


def wave_tree(team_ids: list[int]) -> WaveTree:
    """The departments above ``team_ids`` (one query for the whole team table)."""
    parent_of = dict(db.session.execute(db.select(Team.id, Team.parent_id)).all())
    parent: dict[Node, Node | None] = {ORGANISATION: None}
    groups_of_team: dict[int, list[Node]] = {}
    for team_id in team_ids:
        chain: list[Node] = []
        up = parent_of.get(team_id)
        seen = {team_id}
        while up is not None and up not in seen:  # a cycle in a broken tree stops here
            seen.add(up)
            chain.append(("department", up))
            up = parent_of.get(up)
        chain.append(ORGANISATION)
        groups_of_team[team_id] = chain
        parent[("team", team_id)] = chain[0]
        for below, above in zip(chain, chain[1:], strict=False):
            parent[below] = above
    return WaveTree(parent, groups_of_team)


def group_label(node: Node) -> str:
    return node[0] if node[1] is None else f"{node[0]}:{node[1]}"


def expand_to_groups(teams: np.ndarray, tree: WaveTree) -> tuple[np.ndarray, np.ndarray, list]:
    """Respondent rows repeated once per group above their team, with the groups' codes.

    Returns ``(rows, codes, labels)``: index into the respondents, each copy's group as an
    integer code, and the group label of each code (:func:`group_label`), so that
    :func:`trust.team_summary` and :func:`trust.rwg_j` describe every department and the
    organisation at once (a respondent counts in each group above their team). Integer
    codes, not text, because grouping sorts the labels of every copy.
    """
    labels = [group_label(g) for g in tree.groups]
    code_of = {label: c for c, label in enumerate(labels)}
    team_list = list(tree.groups_of_team)
    if not len(teams) or not team_list:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), labels
    position = {team_id: t for t, team_id in enumerate(team_list)}
    chains = [[code_of[group_label(g)] for g in tree.groups_of_team[t]] for t in team_list]
    lengths = np.array([len(chain) for chain in chains])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    flat = np.array([code for chain in chains for code in chain], dtype=np.int64)
    organisation = code_of[group_label(ORGANISATION)]
    # Respondents of a team no longer in the wave's list count in the organisation only.
    unique, inverse = np.unique(teams, return_inverse=True)
    pos = np.array([position.get(int(t), -1) for t in unique])[inverse]
    known = pos >= 0
    reps = np.where(known, lengths[np.maximum(pos, 0)], 1)
    rows = np.repeat(np.arange(teams.shape[0]), reps)
    within = np.arange(rows.shape[0]) - np.repeat(np.cumsum(reps) - reps, reps)
    base = np.repeat(np.where(known, offsets[np.maximum(pos, 0)], -1), reps)
    codes = np.where(base >= 0, flat[np.maximum(base + within, 0)], organisation)
    return rows, codes, labels


def group_sizes(tree: WaveTree, team_sizes: dict[int, int]) -> dict[str, int]:
    """Invitations issued under each group, where every team under it has a known number.

    A group with a team of unknown size gets none (no finite-population correction).
    """
    total: dict[Node, int] = {}
    unknown: set[Node] = set()
    for team_id, chain in tree.groups_of_team.items():
        size = team_sizes.get(team_id)
        for group in chain:
            if size is None:
                unknown.add(group)
            else:
                total[group] = total.get(group, 0) + size
    return {group_label(g): n for g, n in total.items() if g not in unknown}
