"""Traffic-aware placement (emulator/mapping/place.py) and its use by the mapper."""
import numpy as np
import pytest

import emulator as ne
from emulator.errors import MappingError
from emulator.mapping import map_network, place as pl


def _chain(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.zeros((n, n))
    t[np.arange(n - 1), np.arange(1, n)] = 10.0
    t[rng.integers(0, n, n), rng.integers(0, n, n)] += 3.0
    host = np.zeros(n)
    host[0] = 5.0
    return t, host


def test_swap_delta_matches_the_recomputed_cost():
    # refinement only ever takes swaps that lower the true cost: check it from random starts
    t, h = _chain(30, seed=1)
    pos = pl.grid(8, 8)
    sym = t + t.T
    dist = np.abs(pos[:, None] - pos[None]).sum(-1).astype(float)
    for seed in range(3):
        start = np.random.default_rng(seed).permutation(64)[:30]
        refined = pl._refine(sym, h, dist, start)
        assert len(set(refined.tolist())) == 30
        assert pl.cost(t, h, pos[refined]) < pl.cost(t, h, pos[start])


def test_strategies_order_and_determinism():
    t, h = _chain(40)
    costs = {s: pl.cost(t, h, pl.place(t, h, 8, 16, s)) for s in pl.STRATEGIES}
    assert costs["refine"] <= costs["greedy"] < costs["linear"]
    assert np.array_equal(pl.place(t, h, 8, 16), pl.place(t, h, 8, 16))
    assert np.array_equal(pl.place(t, h, 8, 16, "linear"), pl.grid(8, 16)[:40])


def test_a_chain_of_blocks_is_placed_on_neighbouring_routers():
    n = 6
    t = np.zeros((n, n))
    t[np.arange(n - 1), np.arange(1, n)] = 1.0
    xy = pl.place(t, np.eye(n)[0], 4, 4)
    hops = np.abs(np.diff(xy, axis=0)).sum(1)
    assert hops.tolist() == [1] * (n - 1) and xy[0].tolist() == [0, 0]


def test_unknown_strategy_lists_the_valid_ones():
    with pytest.raises(MappingError, match="unknown placement strategy 'best'; valid: linear, greedy, refine"):
        pl.place(np.zeros((2, 2)), np.zeros(2), 2, 2, "best")


def test_placement_moves_cores_but_never_spikes():
    cfg = ne.load_config("configs/examples/demo.yaml", overrides=["run.timesteps=60"])
    built = ne.build(cfg)
    net = built.network
    runs = {}
    for s in pl.STRATEGIES:
        image, report = map_network(net, cfg.chip, s)
        # the hop count of every output axon is the XY distance between its cores
        src = np.repeat(np.repeat(np.arange(image.n_cores), np.diff(image.neuron_ptr)), np.diff(image.out_ptr))
        dst = image.axon_core[image.out_axon]
        assert np.array_equal(image.out_hops, np.abs(image.core_xy[src] - image.core_xy[dst]).sum(1))
        assert report.hop_cost <= report.hop_cost_linear + 1e-9
        from emulator.engine import Simulation
        res = Simulation(image, built.stimulus).run(60)
        runs[s] = (res.spike_t, res.spike_id, int(res.counter_totals[:, 5].sum()))
    assert all(np.array_equal(runs["linear"][0], r[0]) and np.array_equal(runs["linear"][1], r[1])
               for r in runs.values())
    assert runs["refine"][2] <= runs["linear"][2]


def test_rates_weight_the_traffic_estimate():
    cfg = ne.load_config("configs/examples/demo.yaml", overrides=["run.timesteps=1"])
    net = ne.build(cfg).network
    _, full = map_network(net, cfg.chip)
    silent = {p.name: 0.0 for p in net.populations if not p.is_source}
    _, quiet = map_network(net, cfg.chip, rates=silent)
    assert full.traffic.sum() > 0 and quiet.traffic.sum() == 0
    assert np.array_equal(quiet.host_traffic, full.host_traffic)


def test_large_mesh_places_in_a_compact_corner_quickly():
    """A 128 x 128 mesh must not cost (16384 routers)^2: blocks go to a corner region of >= 2n routers."""
    import time
    from emulator.mapping.place import candidate_region, place
    assert candidate_region(17, 128, 128) == (6, 6)
    assert candidate_region(10, 4, 4) == (4, 4)          # 20 > 16 routers: the whole mesh
    rng = np.random.default_rng(0)
    traffic = rng.random((40, 40))
    start = time.perf_counter()
    xy = place(traffic, np.zeros(40), 128, 128)
    assert time.perf_counter() - start < 5.0
    rw, rh = candidate_region(40, 128, 128)
    assert xy[:, 0].max() < rw and xy[:, 1].max() < rh
    assert len({tuple(p) for p in xy}) == 40              # one block per router
