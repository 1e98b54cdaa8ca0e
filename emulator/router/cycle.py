"""Cycle-accurate routing of each timestep's packets through the mesh (event-driven Numba kernel).

Cycles count from the start of the timestep. In every cycle ``t``, in this order:

1. **land**: packets granted an output port at ``t - hop_latency`` enter the next input FIFO;
2. **inject**: every source whose next packet is due writes it into its input FIFO if the
   FIFO has credit -- ``packets in it + packets in flight to it < fifo_depth``, as of the
   end of cycle ``t - 1`` -- else the source stalls this cycle;
3. **arbitrate**: at every router each output port grants one of the input FIFOs whose head
   packet routes to it (XY), round robin from the input after the one it granted last; a
   mesh port grants only when the neighbour's input FIFO has credit (the local port to the
   core never blocks). The packet leaves its FIFO and reaches the neighbour's FIFO -- or,
   through ``L``, its destination core -- at ``t + hop_latency``;
4. FIFO slots freed in cycle ``t`` give credit from cycle ``t + 1`` on.

A source writes at most one packet per cycle and stalls as a whole (the core's datapath
waits): its ``j``-th packet is due at ``max(ready_j + S_(j-1), a_(j-1) + 1)`` where
``a_(j-1)`` is the cycle the previous one was written and ``S = a - ready`` the stall
accumulated so far; the core finishes ``S`` of its last packet later than its nominal
``deliver + update`` cycles. So a lone packet ready at ``s``, ``h`` hops from its
destination, arrives at ``s + (h + 1) * hop_latency`` (it passes ``h + 1`` routers).

Statistics: ``stalls`` counts (cycle, input FIFO) pairs whose head packet requested an
output and was not granted; ``inj_stalls`` counts cycles a source waited for credit.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._jit import kernel
from .mesh import PORTS, L, neighbour, opposite, xy_port

HEAP_N, FL_HEAD, FL_COUNT = range(3)      # indices into Scratch.n
SRC_BITS = 20                             # heap key = due cycle << SRC_BITS | source


class Fabric(NamedTuple):
    width: int
    depth: int                 #: fifo_depth
    latency: int               #: hop_latency
    source_fifo: np.ndarray    #: int64 (n_sources,): input FIFO of each source (mesh.Mesh)
    rx: np.ndarray             #: int64 (n_routers,): x of each router (a lookup, not a division)
    ry: np.ndarray             #: int64 (n_routers,): y of each router


def make_fabric(mesh, spec) -> Fabric:
    """The kernel's view of a Mesh with a RouterSpec's FIFO depth and hop latency."""
    if mesh.source_fifo.size > 1 << SRC_BITS:
        raise ValueError(f"at most {(1 << SRC_BITS) - 1} cores")
    r = np.arange(mesh.width * mesh.height, dtype=np.int64)
    return Fabric(mesh.width, spec.fifo_depth, spec.hop_latency, mesh.source_fifo, r % mesh.width, r // mesh.width)


def _pow2(n: int) -> int:
    return 1 << max(0, int(n) - 1).bit_length()


class RouterState(NamedTuple):
    """Registers of every router; FIFO ``f = 5 * router + port``. Only ``rr`` outlives a timestep."""
    fifo: np.ndarray       #: int64 (n_fifos, 2^k >= depth): ring buffers of packet indices
    head: np.ndarray       #: int64 (n_fifos)
    count: np.ndarray      #: int64 (n_fifos): packets in the FIFO
    credit: np.ndarray     #: int64 (n_fifos): packets in it + in flight to it
    rr: np.ndarray         #: int64 (n_fifos): per output port, the input port it granted last
    load: np.ndarray       #: int64 (n_routers): packets in the router's FIFOs
    active: np.ndarray     #: int64 (n_routers + 1): routers with packets; active[-1] is their number
    is_active: np.ndarray  #: uint8 (n_routers)
    freed: np.ndarray      #: int64 (n_fifos): FIFOs popped this cycle

    @staticmethod
    def empty(n_routers: int, depth: int) -> RouterState:
        n = n_routers * PORTS
        z = [np.zeros(n, np.int64) for _ in range(4)]
        return RouterState(np.zeros((n, _pow2(depth)), np.int64), z[0], z[1], z[2], np.full(n, PORTS - 1, np.int64),
                           np.zeros(n_routers, np.int64), np.zeros(n_routers + 1, np.int64),
                           np.zeros(n_routers, np.uint8), z[3])


class Scratch(NamedTuple):
    """Event queues of one batch: the sources' due cycles (a binary heap) and packets in flight (a ring)."""
    heap: np.ndarray       #: int64 (n_sources): keys due_cycle << SRC_BITS | source
    nxt: np.ndarray        #: int64 (n_sources): next packet of each source
    end: np.ndarray        #: int64 (n_sources): one past its last packet
    stall: np.ndarray      #: int64 (n_sources): S, accumulated stall
    fl_time: np.ndarray    #: int64 (2^k >= cap): landing cycle
    fl_pkt: np.ndarray     #: int64 (cap)
    fl_fifo: np.ndarray    #: int64 (cap)
    n: np.ndarray          #: int64 (3): heap size, ring head, ring count
    port: np.ndarray       #: int64 (n_packets): output port each packet wants at its current router

    @staticmethod
    def empty(n_sources: int, cap: int, n_packets: int) -> Scratch:
        """Queues for ``n_sources`` sources and steps of at most ``cap`` packets."""
        z = [np.zeros(n_sources, np.int64) for _ in range(4)]
        f = [np.zeros(_pow2(max(cap, 1)), np.int64) for _ in range(3)]
        return Scratch(*z, *f, np.zeros(3, np.int64), np.zeros(n_packets, np.int64))


class Stats(NamedTuple):
    link_load: np.ndarray    #: int64 (n_fifos): packets sent per output port (accumulates)
    max_fifo: np.ndarray     #: int64 (n_fifos): most packets seen in each input FIFO (accumulates)
    arrival: np.ndarray      #: int64 (n_packets): cycle each packet reaches its core
    last_arrival: np.ndarray  #: int64 (steps,): last arrival of the step, 0 without packets
    core_stall: np.ndarray   #: int64 (steps, n_cores): stall S of each core
    stalls: np.ndarray       #: int64 (steps,)
    inj_stalls: np.ndarray   #: int64 (steps,)
    injected: np.ndarray     #: int64 (n_packets): cycle each packet entered its source FIFO
    trace: np.ndarray        #: int64 (cap, 4): (cycle, router, output port, packet) of each grant; cap may be 0
    n_trace: np.ndarray      #: int64 (1,): grants written to ``trace``

    @staticmethod
    def empty(n_routers: int, n_packets: int, steps: int, n_cores: int, trace_cap: int = 0) -> "Stats":
        """Zeroed statistics (arrivals -1 until delivered)."""
        z = [np.zeros(steps, np.int64) for _ in range(3)]
        return Stats(np.zeros(n_routers * PORTS, np.int64), np.zeros(n_routers * PORTS, np.int64),
                     np.full(n_packets, -1, np.int64), z[0], np.zeros((steps, n_cores), np.int64), z[1], z[2],
                     np.full(n_packets, -1, np.int64), np.zeros((trace_cap, 4), np.int64), np.zeros(1, np.int64))


# ------------------------------------------------------------------ small helpers
@kernel
def _heap_push(heap, n, key):
    """Insert ``key`` into the binary min-heap ``heap[0 .. n[HEAP_N] - 1]``."""
    i = n[HEAP_N]
    n[HEAP_N] = i + 1
    while i > 0 and heap[(i - 1) >> 1] > key:
        heap[i] = heap[(i - 1) >> 1]
        i = (i - 1) >> 1
    heap[i] = key


@kernel
def _heap_pop(heap, n):
    """Remove and return the smallest key."""
    top, size = heap[0], n[HEAP_N] - 1
    n[HEAP_N] = size
    key, i = heap[size], 0
    while 2 * i + 1 < size:
        c = 2 * i + 1
        if c + 1 < size and heap[c + 1] < heap[c]:
            c += 1
        if heap[c] >= key:
            break
        heap[i] = heap[c]
        i = c
    heap[i] = key
    return top


@kernel
def _enqueue(fifo, head, count, max_fifo, f, pkt):
    """Append ``pkt`` to FIFO ``f`` (a ring of power-of-two size); track its largest occupancy."""
    c = count[f] + 1
    fifo[f, (head[f] + c - 1) & (fifo.shape[1] - 1)] = pkt
    count[f] = c
    max_fifo[f] = max(max_fifo[f], c)


@kernel
def _wake(load, active, is_active, r):
    """One more packet at router ``r``; put it on the active list (``active[-1]`` entries)."""
    load[r] += 1
    if not is_active[r]:
        is_active[r] = 1
        active[active[-1]] = r
        active[-1] += 1


@kernel
def _bits(m):
    return (m & 1) + (m >> 1 & 1) + (m >> 2 & 1) + (m >> 3 & 1) + (m >> 4 & 1)


@kernel
def _round_robin(requests, last):
    """First requesting input port after ``last``: ``(last + 1) mod 5, (last + 2) mod 5, ...``."""
    for i in range(1, PORTS + 1):
        p = (last + i) % PORTS
        if requests >> p & 1:
            return p
    return -1


@kernel
def _trace(trace, n_trace, t, r, o, pkt):
    """Record a grant while ``trace`` has room (route(..., trace=True) sizes it for every hop)."""
    i = n_trace[0]
    if i < trace.shape[0]:
        trace[i, 0], trace[i, 1], trace[i, 2], trace[i, 3] = t, r, o, pkt
        n_trace[0] = i + 1


@kernel
def _start_sources(lo, hi, tr, sc):
    """Queue each source's first packet at its ready cycle (packets grouped by source)."""
    sc.stall[:] = 0
    p = lo
    while p < hi:
        s, q = tr.src[p], p + 1
        while q < hi and tr.src[q] == s:
            q += 1
        sc.nxt[s], sc.end[s] = p, q
        _heap_push(sc.heap, sc.n, tr.ready[p] << SRC_BITS | s)
        p = q


# ------------------------------------------------------------------ one timestep
@kernel
def _route_step(k, fab, tr, st, sc, out):
    """Route the packets of step k, phases 1-4 of every cycle (module docstring) until all arrive.

    Return False on deadlock (impossible under XY routing; a guard against bugs: with
    packets in the network some port must grant within ``hop_latency`` cycles). The
    cycle loop is one function on purpose: Numba reference-counts the arrays passed to
    every call it does not inline, and with the phases as separate kernels taking the
    state tuples, sparse traffic ran at half the speed (measured); the helpers it calls
    take a few arrays each.
    """
    lo, hi = tr.step_ptr[k], tr.step_ptr[k + 1]
    if hi == lo:
        return True
    _start_sources(lo, hi, tr, sc)
    fifo, head, count, credit, rr, load, active, is_active, freed = st
    heap, nxt, end, stall, fl_time, fl_pkt, fl_fifo, n, port = sc
    rx, ry, depth, lat, fl_mask = fab.rx, fab.ry, fab.depth, fab.latency, fl_time.size - 1
    t, left, idle, stalls = heap[0] >> SRC_BITS, hi - lo, 0, 0
    while True:
        # 1. land: packets granted at t - hop_latency enter their FIFO (credit already taken)
        while n[FL_COUNT] > 0 and fl_time[n[FL_HEAD]] == t:
            i = n[FL_HEAD]
            f, pkt = fl_fifo[i], fl_pkt[i]
            r, d = f // PORTS, tr.dst[pkt]
            _enqueue(fifo, head, count, out.max_fifo, f, pkt)
            port[pkt] = xy_port(rx[r], ry[r], rx[d], ry[d])
            _wake(load, active, is_active, r)
            n[FL_HEAD], n[FL_COUNT] = (i + 1) & fl_mask, n[FL_COUNT] - 1
        # 2. inject: due sources write their next packet if their FIFO has credit, else wait
        while n[HEAP_N] > 0 and heap[0] >> SRC_BITS <= t:
            s = _heap_pop(heap, n) & ((1 << SRC_BITS) - 1)
            j, f = nxt[s], fab.source_fifo[s]
            if credit[f] >= depth:
                out.inj_stalls[k] += 1
                _heap_push(heap, n, (t + 1) << SRC_BITS | s)
                continue
            r, d = f // PORTS, tr.dst[j]
            credit[f] += 1
            out.injected[j] = t
            _enqueue(fifo, head, count, out.max_fifo, f, j)
            port[j] = xy_port(rx[r], ry[r], rx[d], ry[d])
            _wake(load, active, is_active, r)
            stall[s], nxt[s] = t - tr.ready[j], j + 1
            if j + 1 < end[s]:
                _heap_push(heap, n, max(tr.ready[j + 1] + stall[s], t + 1) << SRC_BITS | s)
        # 3. arbitrate: per router and output port, one round-robin grant if there is credit
        n_active, n_freed, grants = active[-1], 0, 0
        for a in range(n_active):
            r = active[a]
            base, reqs = r * PORTS, 0        # bit 5 * o + p: the head of input p wants output o
            for p in range(PORTS):
                if count[base + p] > 0:
                    reqs |= 1 << (PORTS * port[fifo[base + p, head[base + p]]] + p)
            for o in range(PORTS):
                m = reqs >> (PORTS * o) & 31
                if m == 0:
                    continue
                nf = neighbour(fab.width, r, o) * PORTS + opposite(o) if o != L else -1
                if o != L and credit[nf] >= depth:      # backpressure: every requester waits
                    stalls += _bits(m)
                    continue
                p = _round_robin(m, rr[base + o])
                f = base + p
                pkt = fifo[f, head[f]]
                rr[base + o], head[f] = p, (head[f] + 1) & (fifo.shape[1] - 1)
                count[f], load[r], freed[n_freed] = count[f] - 1, load[r] - 1, f
                stalls, n_freed, grants = stalls + _bits(m) - 1, n_freed + 1, grants + 1
                out.link_load[base + o] += 1
                _trace(out.trace, out.n_trace, t, r, o, pkt)
                if o == L:                       # into the core: delivered after the last router
                    out.arrival[pkt] = t + lat
                    left -= 1
                else:
                    credit[nf] += 1
                    q = (n[FL_HEAD] + n[FL_COUNT]) & fl_mask
                    fl_time[q], fl_pkt[q], fl_fifo[q] = t + lat, pkt, nf
                    n[FL_COUNT] += 1
        # 4. credit of the slots freed this cycle counts from the next cycle on
        for i in range(n_freed):
            credit[freed[i]] -= 1
        m = 0
        for a in range(n_active):                # routers left empty go idle
            r = active[a]
            if load[r] > 0:
                active[m] = r
                m += 1
            else:
                is_active[r] = 0
        active[-1] = m
        if left == 0:
            break
        idle = 0 if grants or m == 0 else idle + 1
        if idle > lat + 1:
            return False
        t = t + 1 if m > 0 else min(fl_time[n[FL_HEAD]] if n[FL_COUNT] else np.iinfo(np.int64).max,
                                    heap[0] >> SRC_BITS if n[HEAP_N] else np.iinfo(np.int64).max)
    out.last_arrival[k] = t + lat
    out.stalls[k] += stalls
    out.core_stall[k, :] = stall[:out.core_stall.shape[1]]
    return True


def run(fab: Fabric, tr, st: RouterState, out: Stats) -> None:
    """Route every step of ``tr`` (trusted traffic) into ``out``; allocate the event queues."""
    cap = int(np.diff(tr.step_ptr).max()) if tr.step_ptr.size > 1 else 1
    bad = route_steps(fab, tr, st, Scratch.empty(fab.source_fifo.size, cap, tr.src.size), out)
    if bad >= 0:
        raise RuntimeError(f"NoC deadlock in step {bad}: XY routing cannot deadlock; this is a bug in "
                           "emulator/router/cycle.py")


@kernel
def route_steps(fab, tr, st, sc, out):
    """Route every step of ``tr`` in order; return -1, or the first step that deadlocked."""
    for k in range(tr.step_ptr.size - 1):
        if not _route_step(k, fab, tr, st, sc, out):
            return k
    return -1
