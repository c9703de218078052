"""Complementary suppression: no set of respondents a viewer can compute is below k.

The check is independent of the residue logic in the module: every group is the sum of
its members' cells (each team's, or a department's own, respondents); a set of cells is
computable from the shown groups exactly when its indicator vector lies in the span of
the shown groups' vectors (numpy's matrix rank). Every such set must hold 0 or >= k.
"""

import itertools

import numpy as np
import pytest

from surveys.services.suppression import suppress

K = 5


def _computable_sizes(parent, own, shown):
    """Sizes of every set of cells in the span of the shown groups' indicator vectors."""
    nodes = list(parent)
    leaves_of = {node: {node} for node in nodes}
    for node in nodes:
        up = parent[node]
        while up is not None:
            leaves_of[up].add(node)
            up = parent[up]
    cells = [node for node in nodes if own[node] > 0]
    basis = np.array([[1.0 if c in leaves_of[s] else 0.0 for c in cells] for s in shown])
    rank = np.linalg.matrix_rank(basis) if len(shown) else 0
    sizes = []
    for pick in itertools.product((0, 1), repeat=len(cells)):
        vector = np.array(pick, dtype=float)
        if not vector.any() or not len(shown):
            continue
        if np.linalg.matrix_rank(np.vstack([basis, vector])) == rank:
            sizes.append(sum(own[c] for c, p in zip(cells, pick, strict=True) if p))
    return sizes


def _totals(parent, own):
    total = dict(own)
    for node in parent:
        up = parent[node]
        while up is not None:
            total[up] += own[node]
            up = parent[up]
    return total


def _random_tree(rng):
    parent = {"org": None}
    own = {"org": 0}
    for d in range(rng.integers(1, 4)):
        dept = f"d{d}"
        parent[dept], own[dept] = "org", 0
        for t in range(rng.integers(1, 4)):
            team = f"{dept}t{t}"
            parent[team], own[team] = dept, int(rng.integers(0, 12))
    if rng.random() < 0.3:  # a team straight under the organisation
        parent["loose"], own["loose"] = "org", int(rng.integers(0, 12))
    return parent, own


@pytest.mark.parametrize("seed", range(60))
def test_no_subtraction_of_shown_numbers_isolates_fewer_than_k(seed):
    parent, own = _random_tree(np.random.default_rng(seed))
    n = _totals(parent, own)
    reasons = suppress(parent, n, K)
    shown = [node for node, why in reasons.items() if why is None]
    assert all(size >= K for size in _computable_sizes(parent, own, shown))
    assert all(n[node] >= K for node in shown)
    assert all(reasons[node] == "below_k" for node in parent if n[node] < K)


def test_department_minus_visible_siblings_is_blocked_by_withholding_the_smallest_sibling():
    parent = {"org": None, "d": "org", "a": "d", "b": "d", "small": "d"}
    n = {"org": 23, "d": 23, "a": 12, "b": 8, "small": 3}
    reasons = suppress(parent, n, K)
    assert reasons["small"] == "below_k"
    assert reasons["b"] == "complementary"
    assert reasons["a"] is None and reasons["d"] is None and reasons["org"] is None


def test_organisation_minus_departments_is_blocked():
    parent = {"org": None, "d1": "org", "d2": "org", "t1": "d1", "t2": "d1", "t3": "d2"}
    n = {"org": 24, "d1": 20, "d2": 4, "t1": 10, "t2": 10, "t3": 4}
    reasons = suppress(parent, n, K)
    assert reasons["d2"] == "below_k" and reasons["t3"] == "below_k"
    # The organisation minus d1 would be d2: d1 is withheld, then the organisation minus
    # t1 and t2 would be d2 again, so one of them goes too.
    assert reasons["d1"] == "complementary"
    assert [reasons["t1"], reasons["t2"]].count("complementary") == 1
    assert reasons["org"] is None


def test_small_teams_that_reach_k_together_withhold_nothing_more():
    parent = {"org": None, "d": "org", "a": "d", "x": "d", "y": "d"}
    n = {"org": 16, "d": 16, "a": 10, "x": 3, "y": 3}
    reasons = suppress(parent, n, K)
    assert reasons == {"org": None, "d": None, "a": None, "x": "below_k", "y": "below_k"}


def test_a_cycle_in_the_tree_is_refused():
    with pytest.raises(ValueError, match="tree"):
        suppress({"a": "b", "b": "a"}, {"a": 5, "b": 5}, K)
