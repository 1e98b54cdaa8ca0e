"""Connectivity generators of the Network IR: exact in-degrees, no duplicates, seeded."""
import numpy as np
import pytest

from emulator.ir.network import _fixed_indegree, _fixed_probability


@pytest.mark.parametrize("n_pre, n_post, k, exclude_self", [
    (10, 10, 9, True), (100, 50, 30, False), (1000, 2000, 80, True), (5, 3, 5, False), (300, 300, 1, True)])
def test_fixed_indegree_is_exact_and_distinct(n_pre, n_post, k, exclude_self):
    pre, post = _fixed_indegree(n_pre, n_post, k, exclude_self, np.random.default_rng(3))
    assert np.array_equal(np.bincount(post, minlength=n_post), np.full(n_post, k))
    pairs = pre * n_post + post
    assert np.unique(pairs).size == pairs.size                     # no multapses
    assert pre.min() >= 0 and pre.max() < n_pre
    if exclude_self:
        assert not np.any(pre == post)


def test_fixed_indegree_sources_are_uniform():
    # 2000 targets x 80 draws from 1000 sources: each source is picked ~160 times (sd ~12.6)
    pre, _ = _fixed_indegree(1000, 2000, 80, False, np.random.default_rng(4))
    counts = np.bincount(pre, minlength=1000)
    assert abs(counts.mean() - 160) < 1e-9 and counts.std() < 20 and counts.min() > 90


def test_fixed_probability_density_and_seed():
    a = _fixed_probability(400, 300, 0.05, np.random.default_rng(1))
    b = _fixed_probability(400, 300, 0.05, np.random.default_rng(1))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    # 120000 pairs at p = 0.05: 6000 expected, sd 75
    assert abs(a[0].size - 6000) < 5 * 75
    pairs = a[0] * 300 + a[1]
    assert np.all(np.diff(pairs) > 0) and a[0].max() < 400 and a[1].max() < 300   # distinct, in range
    # every pair equally likely: 400 draws of a 20 x 30 grid at p = 0.3 -> 120 per pair expected (sd 9.2)
    hits = np.zeros(600, np.int64)
    for seed in range(400):
        pre, post = _fixed_probability(20, 30, 0.3, np.random.default_rng(seed))
        np.add.at(hits, pre * 30 + post, 1)
    assert abs(hits.mean() - 120) < 2 and hits.min() > 120 - 5 * 9.2 and hits.max() < 120 + 5 * 9.2
    # rows and columns are independent: the per-pre counts of a large draw are binomial(n_post, p)
    pre, _ = _fixed_probability(2000, 500, 0.1, np.random.default_rng(7))
    per_row = np.bincount(pre, minlength=2000)
    assert abs(per_row.mean() - 50) < 0.5 and abs(per_row.std() - np.sqrt(500 * 0.1 * 0.9)) < 0.5


def test_fixed_probability_one_connects_every_pair():
    pre, post = _fixed_probability(7, 5, 1.0, np.random.default_rng(0))
    assert np.array_equal(pre * 5 + post, np.arange(35))
