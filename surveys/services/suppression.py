"""Complementary suppression over the organisation's tree (anonymity invariant 2).

The rule (README, "Anonymity"): a group's number is shown only if the group has at least
k respondents, and, for every shown group, the respondents it holds beyond its nearest
shown groups below it are either none or at least k.

Why that is enough: a department's and the organisation's numbers pool their teams'
responses, so what a viewer can compute from shown numbers (and the respondent counts,
which are public) are sums over sets of respondents: the shown groups, and their
differences. Groups of one tree are nested or disjoint, so every set a viewer can compute
by adding and subtracting shown groups is a union of *residues*: a shown group minus its
nearest shown groups below it. The rule keeps every residue empty or at least k, so every
computable group is empty or at least k: department minus its visible teams, organisation
minus its departments, and any longer chain. Every viewer sees a subset of the shown
numbers, which can only make fewer sets computable. Numbers from different waves cover
different respondents, so a subtraction across waves isolates nobody; a change between
waves is shown only where both of its values are.

This module is pure: it knows nodes, parents and counts, not the database.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

from surveys.models import SUPPRESSED_BELOW_K, SUPPRESSED_COMPLEMENTARY

__all__ = ["residues", "suppress"]


def _children(parent: Mapping[Hashable, Hashable | None]) -> dict[Hashable, list[Hashable]]:
    children: dict[Hashable, list[Hashable]] = {node: [] for node in parent}
    for node, up in parent.items():
        if up is not None:
            if up not in children:
                raise ValueError(f"parent: node {node!r} has parent {up!r}, which is not a node")
            children[up].append(node)
    return children


def _post_order(parent, children) -> list[Hashable]:
    """Every node after all of its descendants; refuses a cycle."""
    order: list[Hashable] = []
    roots = [node for node, up in parent.items() if up is None]
    stack = [(root, False) for root in roots]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children[node])
    if len(order) != len(parent):
        raise ValueError("parent: the nodes do not form a tree (a cycle, or no root)")
    return order


def _nearest_shown(node, children, hidden) -> list[Hashable]:
    """The shown nodes below ``node`` with no shown node between them and ``node``."""
    found, stack = [], list(children[node])
    while stack:
        below = stack.pop()
        if below in hidden:
            stack.extend(children[below])
        else:
            found.append(below)
    return found


def residues(
    parent: Mapping[Hashable, Hashable | None],
    n: Mapping[Hashable, int],
    hidden: Iterable[Hashable],
) -> dict[Hashable, int]:
    """Respondents of each shown node beyond its nearest shown nodes below it.

    These are the smallest groups a viewer of every shown number can compute (see the
    module docstring); the suppression rule keeps each one 0 or at least k.
    """
    hidden = set(hidden)
    children = _children(parent)
    return {
        node: n[node] - sum(n[below] for below in _nearest_shown(node, children, hidden))
        for node in parent
        if node not in hidden
    }


def suppress(
    parent: Mapping[Hashable, Hashable | None],
    n: Mapping[Hashable, int],
    k: int,
    below_k: Iterable[Hashable] = (),
) -> dict[Hashable, str | None]:
    """Why each node's number is withheld (None: shown), under the rule of the module.

    Parameters
    ----------
    parent : mapping
        Every node's parent (None for a root): teams under departments under the
        organisation.
    n : mapping
        Respondents of every node, pooled over everything below it (a node may hold
        respondents of its own too).
    k : int
        The group minimum.
    below_k : iterable, optional
        Nodes to withhold as below k whatever their ``n`` (a team with k respondents of
        whom fewer than k have a score on the scale, for instance).

    Returns
    -------
    dict
        ``"below_k"`` for a node with fewer than k respondents (or listed in ``below_k``),
        ``"complementary"`` for a node withheld so that no subtraction reveals a group
        below k, None for a shown node.

    Notes
    -----
    Children are settled before their parents. A shown node whose residue is between 1
    and k - 1 withholds, one at a time, the nearest shown node below it that adds the
    most respondents to the residue for the fewest withheld (the smallest node with a
    residue of its own; else the smallest), until the residue reaches k. It never
    withholds the node itself: a parent has at least as many respondents as any node
    below it, and the organisation's row is the reference every colour is read against.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    missing = [node for node in parent if node not in n]
    if missing:
        raise ValueError(f"n: no count for node(s) {missing[:5]!r}")
    children = _children(parent)
    reason: dict[Hashable, str | None] = {node: None for node in parent}
    for node in set(below_k) | {node for node in parent if n[node] < k}:
        if node in reason:
            reason[node] = SUPPRESSED_BELOW_K
    hidden = {node for node, why in reason.items() if why}

    def residue(node) -> int:
        return n[node] - sum(n[b] for b in _nearest_shown(node, children, hidden))

    for node in _post_order(parent, children):
        if node in hidden:
            continue
        left = residue(node)
        while 0 < left < k:
            below = _nearest_shown(node, children, hidden)
            # Shown nodes below always exist here: with none, the residue is n[node] >= k.
            gaining = [b for b in below if residue(b) > 0]
            pick = min(gaining or below, key=lambda b: (n[b], str(b)))
            reason[pick] = SUPPRESSED_COMPLEMENTARY
            hidden.add(pick)
            left = residue(node)
    return reason
