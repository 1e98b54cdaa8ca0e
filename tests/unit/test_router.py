"""Analytic and property tests of the cycle-accurate mesh router (emulator/router).

Conventions (docs/router.md): router r at (r % W, r // W); ports N=0 (+y), E=1, S=2, W=3,
L=4; arbiters start as if L was granted last, so the first priority order is N, E, S, W, L.
A lone packet ready at cycle s, h hops away, arrives at s + (h + 1) * hop_latency.
"""
import numpy as np
import pytest

from emulator.config.types import RouterSpec
from emulator.router import PORTS, Traffic, make_mesh, route
from emulator.router.cycle import make_fabric
from emulator.router.traffic import count_links

N, E, S, W, L = range(5)


def full_mesh(w, h):
    """One core per router, core c at router c."""
    r = np.arange(w * h)
    return make_mesh(w, h, np.stack([r % w, r // w], 1))


def traffic(steps):
    """Traffic from a list of steps, each a list of (source, destination router, ready), sources ascending."""
    ptr, cols = [0], [[], [], []]
    for packets in steps:
        for p in packets:
            for col, v in zip(cols, p):
                col.append(v)
        ptr.append(len(cols[0]))
    n = len(cols[0])
    return Traffic(np.array(ptr), *(np.array(c, np.int64) for c in cols), np.arange(n, dtype=np.int64))


def cycle(depth=4, latency=1):
    return RouterSpec("cycle", fifo_depth=depth, hop_latency=latency)


def loads(routed, w, h):
    return routed.link_load.reshape(h, w, PORTS)


# ---------------------------------------------------------------- single packets
@pytest.mark.parametrize("latency", [1, 2, 5])
@pytest.mark.parametrize("src, dst", [(0, 0), (0, 11), (11, 0), (5, 6), (7, 4), (3, 8)])
def test_lone_packet_arrives_after_hops_plus_one_router_latencies(src, dst, latency):
    mesh = full_mesh(4, 3)
    hops = abs(src % 4 - dst % 4) + abs(src // 4 - dst // 4)
    got = route(mesh, cycle(latency=latency), traffic([[(src, dst, 17)]]))
    assert got.arrival.tolist() == [17 + (hops + 1) * latency]
    assert got.last_arrival.tolist() == [17 + (hops + 1) * latency]
    assert got.stalls.sum() == got.inj_stalls.sum() == got.core_stall.sum() == 0
    ll = loads(got, 4, 3)
    assert ll[..., :L].sum() == hops and ll[..., L].sum() == 1 and ll[dst // 4, dst % 4, L] == 1


def test_lone_packet_goes_x_first_then_y_one_router_per_hop_latency():
    # (0, 0) -> (2, 2) on a 3 x 3 mesh, ready 3, latency 2: E at router 0 (cycle 3) and 1 (5),
    # N at 2 (7) and 5 (9), L at 8 (11); it reaches the core at 13 = 3 + (4 + 1) * 2
    got = route(full_mesh(3, 3), cycle(latency=2), traffic([[(0, 8, 3)]]), trace=True)
    assert got.trace.tolist() == [[3, 0, E, 0], [5, 1, E, 0], [7, 2, N, 0], [9, 5, N, 0], [11, 8, L, 0]]
    assert got.injected.tolist() == [3] and got.arrival.tolist() == [13]
    used = {(int(y), int(x), int(o)) for y, x, o in zip(*np.nonzero(loads(got, 3, 3)))}
    assert used == {(0, 0, E), (0, 1, E), (0, 2, N), (1, 2, N), (2, 2, L)}


def test_host_packets_enter_the_west_port_of_router_00_one_per_cycle():
    # the host is the last source; 3 packets ready at 0, 1, 2 to (2, 1) on a 3 x 2 mesh: 3 hops, latency 2
    mesh = full_mesh(3, 2)
    host = mesh.source_fifo.size - 1
    got = route(mesh, cycle(latency=2), traffic([[(host, 5, 0), (host, 5, 1), (host, 5, 2)]]))
    assert got.arrival.tolist() == [8, 9, 10]              # ready + (3 + 1) * 2, pipelined
    assert got.max_fifo.reshape(6, PORTS)[0, W] == 1      # they waited in router 0's west FIFO, one at a time


# ---------------------------------------------------------------- contention, derived by hand
def test_two_flows_sharing_a_link():
    """Flow A: core 0 -> router 3, flow B: core 1 -> router 3, on a 4 x 1 mesh, latency 1.

    A0, B0 ready at 0; A1, B1 ready at 1. They share links 1->2 and 2->3.
    cycle 0: A0 leaves r0 (E), B0 leaves r1 (E).
    cycle 1: A0 in r1.W and B1 in r1.L both want E; after L, W has priority: A0 goes, B1 stalls.
             A1 leaves r0; B0 leaves r2.
    cycle 2: r1: A1 (W) and B1 (L) want E; last grant W, so L: B1 goes, A1 stalls.
             A0 leaves r2; B0 ejects at r3 -> arrives 3.
    cycle 3: A1 leaves r1; B1 leaves r2; A0 ejects -> arrives 4.
    cycle 4: A1 leaves r2; B1 ejects -> 5.     cycle 5: A1 ejects -> 6.
    Uncontended they would arrive at 4, 5 (A) and 3, 4 (B); two stall cycles.
    """
    got = route(full_mesh(4, 1), cycle(), traffic([[(0, 3, 0), (0, 3, 1), (1, 3, 0), (1, 3, 1)]]))
    assert got.arrival.tolist() == [4, 6, 3, 5]
    assert got.stalls.tolist() == [2] and got.inj_stalls.tolist() == [0]
    assert got.last_arrival.tolist() == [6]
    assert loads(got, 4, 1)[0, :, E].tolist() == [2, 4, 4, 0]


def test_hotspot_ejection_port_serializes():
    """Cores at the centre (1, 1) of a 3 x 3 mesh and its four neighbours each send one packet,
    ready at 0, to the centre; latency 1.

    cycle 0: the centre's own packet ejects (arrives 1); the neighbours' leave toward it.
    cycle 1: its N, E, S, W inputs all want L; after L the order is N, E, S, W:
             N ejects (arrives 2), 3 stall; cycle 2: E (3), 2 stall; cycle 3: S (4), 1 stall; cycle 4: W (5).
    North neighbour = router 7 (arrives through input N), east = 5, south = 1, west = 3.
    """
    got = route(full_mesh(3, 3), cycle(), traffic([[(1, 4, 0), (3, 4, 0), (4, 4, 0), (5, 4, 0), (7, 4, 0)]]))
    assert got.arrival.tolist() == [4, 5, 1, 3, 2]         # sources 1 (S), 3 (W), 4 (local), 5 (E), 7 (N)
    assert got.stalls.tolist() == [3 + 2 + 1]
    assert loads(got, 3, 3)[1, 1, L] == 5


def test_backpressure_credit_loop_with_one_slot_fifos():
    """Depth 1, latency 2: core 0 sends P0, P1, P2 (ready 0, 1, 2) to router 2 of a 3 x 1 mesh.

    A slot freed at cycle t gives credit from t + 1, so a link carries one packet per 3 cycles:
    cycle 0: P0 injected and leaves r0 (lands r1.W at 2).
    cycle 1: P1 injected; r1.W has no credit (P0 in flight): stall.
    cycle 2: P0 lands, leaves r1 (lands r2.W at 4); P1 stalls; P2 due, r0.L full: injection stall.
    cycle 3: P1 leaves r0 (lands r1.W at 5); P2 injection stall.
    cycle 4: P2 injected (2 cycles late: the core's stall); r1.W reserved for P1: stall; P0 ejects -> 6.
    cycle 5: P1 lands and leaves r1; P2 stalls.   cycle 6: P2 leaves r0 (lands r1.W at 8).
    cycle 7: P1 ejects -> 9.   cycle 8: P2 leaves r1.   cycle 10: P2 ejects -> 12.
    Router stalls at r0: cycles 1, 2, 4, 5.
    """
    got = route(full_mesh(3, 1), cycle(depth=1, latency=2), traffic([[(0, 2, 0), (0, 2, 1), (0, 2, 2)]]))
    assert got.arrival.tolist() == [6, 9, 12] and got.injected.tolist() == [0, 1, 4]
    assert got.stalls.tolist() == [4] and got.inj_stalls.tolist() == [2]
    assert got.core_stall[0].tolist() == [2, 0, 0]
    assert got.max_fifo.max() == 1


def test_a_source_writes_one_packet_per_cycle():
    # spike_out = 0 makes three packets ready at the same cycle 5; they leave at 5, 6, 7 (no credit stall)
    got = route(full_mesh(2, 1), cycle(), traffic([[(0, 0, 5), (0, 0, 5), (0, 0, 5)]]))
    assert got.arrival.tolist() == [6, 7, 8] and got.injected.tolist() == [5, 6, 7]
    assert got.core_stall[0].tolist() == [2, 0] and got.inj_stalls.tolist() == [0]


def test_arbiter_pointers_persist_across_timesteps():
    """Core 0 -> router 2 (A) and core 1 -> router 2 (B) on a 3 x 1 mesh, latency 1.

    Step 0: only A, ready 0: r1's E port grants its W input, so its pointer is now W.
    Step 1: A ready 0, B ready 1: at cycle 1 A (r1.W) and B (r1.L) both want E; after W
    comes L, so B goes (arrives 1 + 2 = 3) and A waits a cycle (arrives 4). Were the pointer
    reset at the barrier, W would win as in the first priority order (A 3, B 4).
    """
    got = route(full_mesh(3, 1), cycle(), traffic([[(0, 2, 0)], [(0, 2, 0), (1, 2, 1)]]))
    assert got.arrival.tolist() == [3, 4, 3]
    assert got.rr.reshape(3, PORTS)[1, E] == W


# ---------------------------------------------------------------- heavy random traffic
def random_traffic(rng, w, h, steps, per_step, span):
    n_src = w * h + 1
    out = []
    for _ in range(steps):
        src = np.sort(rng.integers(0, n_src, per_step))
        ready = rng.integers(0, span, per_step)
        order = np.lexsort((ready, src))
        out.append(list(zip(src[order], rng.integers(0, w * h, per_step), ready[order])))
    return traffic(out)


@pytest.mark.parametrize("depth, latency", [(1, 1), (1, 3), (2, 2), (4, 1)])
def test_heavy_traffic_delivers_every_packet_exactly_once(depth, latency):
    rng = np.random.default_rng(depth * 10 + latency)
    w, h = 6, 5
    mesh = full_mesh(w, h)
    tr = random_traffic(rng, w, h, steps=4, per_step=3000, span=50)
    got = route(mesh, cycle(depth, latency), tr)
    src_router = mesh.source_fifo[tr.src] // PORTS
    hops = np.abs(src_router % w - tr.dst % w) + np.abs(src_router // w - tr.dst // w)
    # each packet ejected exactly once: one arrival each, and as many ejections as packets, at the right routers
    assert (got.arrival >= tr.ready + (hops + 1) * latency).all()
    ll = got.link_load.reshape(-1, PORTS)
    assert np.array_equal(ll[:, L], np.bincount(tr.dst, minlength=w * h))
    assert ll[:, :L].sum() == hops.sum()
    # the cycle-accurate loads are those of the XY routes (what fast mode counts)
    fast = np.zeros(w * h * PORTS, np.int64)
    assert count_links(w, mesh.source_fifo, tr, fast) == hops.sum()
    assert np.array_equal(fast, got.link_load)
    assert got.stalls.sum() > 0 and got.max_fifo.max() == depth       # it really was congested
    for k in range(4):
        lo, hi = tr.step_ptr[k], tr.step_ptr[k + 1]
        assert got.last_arrival[k] == got.arrival[lo:hi].max()


@pytest.mark.parametrize("latency", [1, 2, 4])
def test_no_deadlock_under_xy_with_single_slot_fifos(latency):
    # all-to-all at once: every core (and the host) sends to every router at cycle 0
    w = h = 4
    mesh = full_mesh(w, h)
    packets = [(s, d, 0) for s in range(w * h + 1) for d in range(w * h)]
    got = route(mesh, cycle(1, latency), traffic([packets]))
    assert (got.arrival > 0).all() and got.link_load.reshape(-1, PORTS)[:, L].tolist() == [w * h + 1] * (w * h)


def test_traffic_is_validated():
    mesh = full_mesh(2, 2)
    with pytest.raises(ValueError, match="grouped by ascending source"):
        route(mesh, cycle(), traffic([[(1, 0, 0), (0, 0, 0)]]))
    with pytest.raises(ValueError, match="ready cycles must not decrease"):
        route(mesh, cycle(), traffic([[(0, 0, 5), (0, 0, 4)]]))
    with pytest.raises(ValueError, match="destinations in"):
        route(mesh, cycle(), traffic([[(0, 9, 0)]]))
    with pytest.raises(ValueError, match="do not fit"):
        make_mesh(2, 2, np.array([[2, 0]]))
    with pytest.raises(ValueError, match="share a router"):
        make_mesh(2, 2, np.array([[1, 1], [1, 1]]))


def test_fabric_lookups_match_the_mesh():
    fab = make_fabric(full_mesh(5, 3), cycle())
    assert fab.rx.tolist() == [0, 1, 2, 3, 4] * 3 and fab.ry.tolist() == [0] * 5 + [1] * 5 + [2] * 5
