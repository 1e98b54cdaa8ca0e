"""The cycle-mode router in the co-simulation: each packet's expected arrival, its comparison, its monitor.

* ``route_run``: every packet of a run through the emulator's own cycle-accurate router
  (``emulator.router.route`` on the traffic ``emulator.router.traffic.build_traffic`` builds from
  the engine's spikes, as ``NocModel`` does); nothing of the model is re-implemented here;
* ``compare_step``: the first packet of a timestep whose arrival differs (the scoreboard calls it);
* ``ArrivalMonitor``: the cocotb monitor of ``chip_top``'s arrival port (simulator side only).

A packet is identified by its source (image core, or ``n_cores`` for the host), destination
core and input axon, and its rank among the step's packets with the same three (they follow
the same XY path through FIFOs, so they arrive in sending order). Divergences are ordered by
the cycle at which they become visible to a monitor watching the arrivals: a packet that comes
late at the cycle it was expected, one that comes early (or unexpected) at the cycle it came.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

HOST_SRC = 255          #: source field of a host packet in the RTL (chip_top: at most 255 cores)
EXTRA = "pkt_"          #: prefix of the packet arrays in ``Trace.extra``


# ----------------------------------------------------------------------- the RTL build
def rtl_parameters(image) -> dict:
    """``RtlChip`` fields for the image's router: the XY-router mesh in cycle mode, nothing in fast mode."""
    spec = image.chip.router
    if spec.mode != "cycle":
        return {}
    return {"NOC": 1, "NOC_DEPTH": int(spec.fifo_depth), "NOC_LATENCY": int(spec.hop_latency)}


def rtl_routers(image, rtl) -> np.ndarray:
    """int64 (n_cores,): the RTL router (index ``y * MESH_W + x``) of each image core, from ``core_xy``."""
    xy = np.asarray(image.core_xy, np.int64).reshape(-1, 2)
    return xy[:, 1] * rtl.MESH_W + xy[:, 0]


def check(image, rtl) -> None:
    """Raise BridgeError unless the image's router mode and settings match the build's network."""
    from .memfiles import BridgeError
    spec = image.chip.router
    if spec.mode == "cycle" and not rtl.NOC:
        raise BridgeError("chip.router.mode is 'cycle' but the RTL is built with the fixed-latency network "
                          "(NOC = 0): build it with the XY-router mesh (NOC = 1; RtlChip.for_image does) or "
                          "verify with --set chip.router.mode=fast")
    if spec.mode != "cycle" and rtl.NOC:
        raise BridgeError(f"chip.router.mode is {spec.mode!r} but the RTL is built with the XY-router mesh "
                          "(NOC = 1), whose timing only the 'cycle' mode models: use chip.router.mode: cycle "
                          "or a NOC = 0 build")
    if not rtl.NOC:
        return
    for name, want, key in (("NOC_DEPTH", spec.fifo_depth, "fifo_depth"), ("NOC_LATENCY", spec.hop_latency,
                                                                          "hop_latency")):
        if getattr(rtl, name) != want:
            raise BridgeError(f"RTL parameter {name} = {getattr(rtl, name)} but chip.router.{key} is {want}")
    if rtl.MESH_W * rtl.MESH_H != rtl.NCORES:
        raise BridgeError(f"RTL mesh MESH_W x MESH_H = {rtl.MESH_W} x {rtl.MESH_H} must hold NCORES = {rtl.NCORES} "
                          "cores, one per router")
    xy = np.asarray(image.core_xy, np.int64).reshape(-1, 2)
    for k, (x, y) in enumerate(xy):
        if x >= rtl.MESH_W or y >= rtl.MESH_H:
            raise BridgeError(f"core {k} sits at mesh ({x}, {y}) (image.core_xy), outside the RTL mesh of "
                              f"MESH_W x MESH_H = {rtl.MESH_W} x {rtl.MESH_H}")
    host = int(np.asarray(image.host_out_axon).size)
    if host > (1 << rtl.HOST_AW):
        raise BridgeError(f"up to {host} host packets per timestep exceed the host queue (2^HOST_AW = "
                          f"{1 << rtl.HOST_AW})")


def host_spikes_sent(stimulus, timesteps: int) -> list[np.ndarray]:
    """Host spike ids the driver sends before each timestep t of a NOC = 1 build: those emitted at t.

    They cross the mesh during timestep t (the model routes them there) and are delivered at
    t + 1, as the engine delivers them. Spikes emitted before timestep 0 would have to cross
    the mesh before the run starts; stimuli start at timestep 0, and anything else is refused.
    """
    from .expected import host_spikes_per_step
    from .memfiles import BridgeError
    per_step = host_spikes_per_step(stimulus, timesteps + 1)     # [t] = emitted at t - 1
    if per_step[0].size:
        raise BridgeError(f"{per_step[0].size} host spikes are emitted before timestep 0; the cycle-mode "
                          "RTL sends host spikes in the timestep that emits them")
    return per_step[1:]


def write_placement(image, folder: str | Path, rtl) -> None:
    """``noc_place.mem``: the router of every RTL core (image cores at ``core_xy``, the rest on the free routers)."""
    routers = [int(r) for r in rtl_routers(image, rtl)]
    free = [r for r in range(rtl.NCORES) if r not in set(routers)]
    place = routers + free[:rtl.NCORES - len(routers)]
    (Path(folder) / "noc_place.mem").write_text("".join(f"{r:02x}\n" for r in place))


class Packets(NamedTuple):
    """Packets of a run, one row each (expected: in the model's order; RTL: in arrival order)."""
    step: np.ndarray       #: int64 (n,): timestep it travelled in
    src: np.ndarray        #: int64 (n,): image core that sent it, or n_cores for the host
    dst: np.ndarray        #: int64 (n,): image core it reached
    axon: np.ndarray       #: int64 (n,): input axon, local to dst
    arrival: np.ndarray    #: int64 (n,): cycle (from its timestep's start) it entered dst's event FIFO

    @classmethod
    def empty(cls) -> "Packets":
        return cls(*(np.zeros(0, np.int64) for _ in cls._fields))

    @classmethod
    def of_rows(cls, rows) -> "Packets":
        a = np.asarray(rows, np.int64).reshape(-1, len(cls._fields))
        return cls(*(np.ascontiguousarray(a[:, i]) for i in range(len(cls._fields))))

    def to_extra(self) -> dict:
        """The arrays as ``Trace.extra`` entries (``pkt_<field>``; saved with the Trace)."""
        return {f"{EXTRA}{k}": v for k, v in self._asdict().items()}

    @classmethod
    def from_extra(cls, extra: dict) -> "Packets | None":
        """The packets a Trace carries, or None (no cycle-mode router in that run)."""
        if f"{EXTRA}step" not in extra:
            return None
        return cls(*(np.asarray(extra[f"{EXTRA}{k}"], np.int64) for k in cls._fields))


def route_run(image, spike_t, spike_id, deliver, host_ptr, host_ids):
    """(Packets, Routed): every packet of a run, routed by the emulator's cycle-mode model.

    ``spike_t/spike_id``: the run's spikes (any order); ``deliver``: int64 (steps, cores)
    deliver-phase cycles; ``host_ptr[k] .. host_ptr[k + 1]`` index the host ids (``host_ids``)
    *emitted* at step k, which travel during step k. ``Routed.last_arrival`` and
    ``Routed.core_stall`` are what ``accounting.step_cycles`` needs in cycle mode.
    """
    from ..router import make_mesh, route
    from ..router.traffic import build_traffic, out_tables
    chip = image.chip
    mesh = make_mesh(chip.mesh_width, chip.mesh_height, image.core_xy)
    spike_t, spike_id = np.asarray(spike_t, np.int64), np.asarray(spike_id, np.int64)
    order = np.lexsort((spike_id, spike_t))          # the order the cores' datapaths send them
    tr = build_traffic(out_tables(image, mesh.core_router), (chip.cycles.neuron_update, chip.cycles.spike_out), 0,
                       spike_t[order], spike_id[order], np.asarray(deliver, np.int64),
                       np.asarray(host_ptr, np.int64), np.asarray(host_ids, np.int64))
    routed = route(mesh, chip.router, tr)
    core_of_router = np.full(mesh.width * mesh.height, -1, np.int64)
    core_of_router[mesh.core_router] = np.arange(image.n_cores)
    dst = core_of_router[tr.dst]
    steps = np.repeat(np.arange(tr.step_ptr.size - 1, dtype=np.int64), np.diff(tr.step_ptr))
    axon = tr.axon - np.asarray(image.axon_ptr, np.int64)[dst]
    return Packets(steps, tr.src.copy(), dst, axon, routed.arrival.copy()), routed


class PacketMismatch(NamedTuple):
    """The first packet of a timestep whose arrival differs (cycles from the timestep's start)."""
    step: int
    cycle: int          #: when a monitor watching arrivals sees it: min(expected, got), or the one that exists
    src: int
    dst: int
    axon: int
    rank: int           #: among the step's packets with this source, destination and axon
    expected: int       #: arrival cycle in the model (-1: the model has no such packet)
    got: int            #: arrival cycle in the RTL (-1: it never arrived)

    def describe(self, n_cores: int) -> str:
        src = "host" if self.src == n_cores else f"core {self.src}"
        nth = f" (its {self.rank + 1}. to that axon)" if self.rank else ""
        return f"packet {src} -> core {self.dst} local axon {self.axon}{nth}"


def _keyed(p: Packets, rows: np.ndarray, order: np.ndarray) -> dict:
    """(src, dst, axon, rank) -> arrival, for the rows ``rows`` taken in ``order``."""
    out, seen = {}, {}
    for i in rows[order]:
        k = (int(p.src[i]), int(p.dst[i]), int(p.axon[i]))
        r = seen.get(k, 0)
        seen[k] = r + 1
        out[(*k, r)] = int(p.arrival[i])
    return out


def compare_step(want: Packets, got: Packets, t: int) -> PacketMismatch | None:
    """The first differing packet arrival of timestep ``t``, or None when every packet agrees.

    Expected packets are ranked in sending order, the RTL's in arrival order. Of all
    mismatches the one visible first is reported: ordered by cycle, then a packet the
    model expects at that cycle before one the RTL delivered there, then destination,
    source and axon.
    """
    w_rows = np.flatnonzero(want.step == t)
    g_rows = np.flatnonzero(got.step == t)
    w = _keyed(want, w_rows, np.arange(w_rows.size))
    g = _keyed(got, g_rows, np.lexsort((got.dst[g_rows], got.arrival[g_rows])))
    best = None
    for key in w.keys() | g.keys():
        a_w, a_g = w.get(key, -1), g.get(key, -1)
        if a_w == a_g:
            continue
        if a_g < 0 or (0 <= a_w <= a_g):
            order = (a_w, 0)            # the model's packet is missing at its cycle
        else:
            order = (a_g, 1)            # the RTL delivered a packet the model does not have there
        sort = (*order, key[1], key[0], key[2], key[3])
        if best is None or sort < best[0]:
            best = (sort, PacketMismatch(t, order[0], key[0], key[1], key[2], key[3], a_w, a_g))
    return None if best is None else best[1]


def first_mismatch(want: Packets, got: Packets, steps: int) -> PacketMismatch | None:
    """The first mismatch over timesteps ``0 .. steps - 1`` (router-level benches)."""
    for t in range(steps):
        m = compare_step(want, got, t)
        if m is not None:
            return m
    return None


def divergence(image, want_trace, got_trace, t: int, t0: int):
    """The scoreboard's packet check of timestep ``t`` (chip cycle ``t0`` at its start): a Divergence or None.

    Field ``arrival``: expected and got are cycles within the timestep (-1: no such packet);
    ``core`` is the destination, ``axon`` its global input axon, ``src`` the source.
    """
    from .scoreboard import Divergence
    want = Packets.from_extra(want_trace.extra)
    got = Packets.from_extra(got_trace.extra)
    if got is None:
        got = Packets.empty()
    m = compare_step(want, got, t)
    if m is None:
        return None
    n_cores = image.n_cores
    axon = int(image.axon_ptr[m.dst]) + m.axon if 0 <= m.dst < n_cores else None
    src = "host" if m.src == n_cores else f"core {m.src}"
    head = (f"  {m.describe(n_cores)}: arrival cycle (within timestep {t}) expected {m.expected}, got {m.got}"
            + (" (it never arrived)" if m.got < 0 else " (the model has no such packet)" if m.expected < 0 else ""))
    return Divergence(t, t0 + m.cycle, m.dst, None, None, "arrival", m.expected, m.got,
                      context=head + "\n" + context(want, got, m, n_cores), axon=axon, src=src)


def context(want: Packets, got: Packets, m: PacketMismatch, n_cores: int, k: int = 4) -> str:
    """The packets reaching ``m.dst`` in ``m.step`` around the divergence, expected vs RTL arrival."""
    w_rows = np.flatnonzero((want.step == m.step) & (want.dst == m.dst))
    g_rows = np.flatnonzero((got.step == m.step) & (got.dst == m.dst))
    w = _keyed(want, w_rows, np.arange(w_rows.size))
    g = _keyed(got, g_rows, np.argsort(got.arrival[g_rows], kind="stable"))
    keys = sorted(w.keys() | g.keys(), key=lambda q: (w.get(q, g.get(q)), q))
    mine = (m.src, m.dst, m.axon, m.rank)
    i = keys.index(mine) if mine in keys else 0
    rows = [f"  packets to core {m.dst} in timestep {m.step}:  {'source':>8} {'axon':>6} {'expected':>9} {'got':>6}"
            "   (local axon; arrival cycles, -1: none)"]
    for q in keys[max(0, i - k):i + k + 1]:
        src = "host" if q[0] == n_cores else f"core {q[0]}"
        a_w, a_g = w.get(q, -1), g.get(q, -1)
        mark = "   <-- diverges" if q == mine else ("   (differs)" if a_w != a_g else "")
        rows.append(f"  {'':39}{src:>8} {q[2]:>6} {a_w:>9} {a_g:>6}{mark}")
    return "\n".join(rows)


# ----------------------------------------------------------------------- simulator side
class ArrivalMonitor:
    """cocotb monitor of ``chip_top``'s arrival port ``arr`` (NOC = 1 builds), for one program.

    ``arr`` is one register that changes only in a cycle in which packets arrived (they entered
    core FIFOs at the edge before); LSB first: tick, valid[n] (core k got one), the cycle within
    the timestep, then per core src[8] (255: the host) and axon[16]. The monitor wakes on its
    value change and reads it whole; ``step`` is the timestep the bench is running.
    """

    def __init__(self, dut):
        import cocotb
        self.dut = dut
        self.step = -1
        self.rows: list[tuple[int, int, int, int, int]] = []
        self._task = cocotb.start_soon(self._watch())

    async def _watch(self):
        from cocotb.triggers import ValueChange
        port = self.dut.arr
        n = (len(port) - 33) // 25
        while True:
            await ValueChange(port)
            a = int(port.value.to_unsigned())
            valid = (a >> 1) & ((1 << n) - 1)
            cycle = (a >> (1 + n)) & 0xFFFFFFFF
            for k in range(n):
                if valid >> k & 1:
                    pk = a >> (33 + n + 24 * k)
                    self.rows.append((self.step, pk & 0xFF, k, (pk >> 8) & 0xFFFF, cycle))

    def finish(self, n_cores: int) -> Packets:
        """Stop watching; what arrived (source ``n_cores`` = the host), in arrival order."""
        self._task.cancel()
        rows = [(t, n_cores if src == HOST_SRC else src, dst, axon, cyc) for t, src, dst, axon, cyc in self.rows]
        return Packets.of_rows(rows) if rows else Packets.empty()
