"""The chip with the XY-router mesh (chip_top NOC = 1) against the emulator in cycle mode, packet for packet.

The bench is ``test_chip.py::chip_cosim`` (``emulator.bridge.cosim.run_job``); for a cycle-mode
image it also runs ``emulator.bridge.noc.ArrivalMonitor`` on the chip's arrival port, and the
scoreboard compares every packet's arrival cycle, destination core and axon, and source with
the emulator's own router model (``emulator.router.route`` via ``noc.route_run``), besides
spikes, registers, counters and cycles -- whose step cycles now include the router: stalled
cores and the last arrival.

* random programs (``random_programs.py``) in cycle mode, on both simulators: one-slot FIFOs and
  3-cycle hops (the settings of ``configs/examples/verify_noc.yaml``, so Verilator builds once)
  and, on Icarus, 4-slot FIFOs with 1-cycle hops;
* ``MUTANT_NOC_RR_RESET`` (the routers lose their arbiter pointers at every barrier): the model
  routing every timestep from fresh pointers predicts the RTL's every arrival, and the
  scoreboard's first divergence is that prediction's first difference;
* ``neuroemu verify configs/examples/verify_noc.yaml`` agrees on Icarus and Verilator;
* without a simulator: the bridge's cycle-mode expectations equal ``Simulation.run``'s, its
  checks name the field, and the packet comparison orders divergences as a monitor sees them.
"""
from __future__ import annotations

import dataclasses
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from simreq import need

N_RANDOM = int(os.environ.get("NEUROEMU_RTL_PROGRAMS", "200"))    #: random programs per simulator (test_chip.py)
N_NOC = max(4, N_RANDOM // 4)                                      #: cycle-mode random programs per run
EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "examples" / "verify_noc.yaml"


def cycle_mode(prog, depth: int, latency: int):
    """The program with the cycle-accurate router (chip.router) of the given settings."""
    from emulator.bridge.cosim import Program
    from emulator.config.types import RouterSpec
    chip = dataclasses.replace(prog.image.chip, router=RouterSpec("cycle", depth, latency))
    return Program(dataclasses.replace(prog.image, chip=chip), prog.stimulus, prog.timesteps, prog.name)


#: Three cores of 20 always-firing neurons, all sending to a fourth: every timestep the two cores
#: next to it deliver their first packets in the same cycle, so each output's first grant of a
#: timestep is contested and the arbiter pointers left by the previous timestep decide it (in
#: the random programs and verify_noc.yaml the first grant is almost never contested).
CONVERGENT = """
chip: {base: loihi1, mesh: [2, 2], limits: {neurons: 64, max_delay: 15}}
network:
  populations:
%s
  projections:
    - {source: a, target: d, connectivity: fixed_probability, p: 0.5, weight: 0.01}
    - {source: b, target: d, connectivity: fixed_probability, p: 0.5, weight: 0.01}
    - {source: c, target: d, connectivity: fixed_probability, p: 0.5, weight: 0.01}
run: {timesteps: 12, dt_ms: 1.0, seed: 1}
""" % "\n".join(f"    - {{name: {n}, size: 20, model: lif, params: {{tau_mem_ms: 20, threshold: 1.0, bias: 30.0, "
                 "refractory_ms: 0}}" for n in "abcd")


def convergent_program(folder: Path, depth: int, latency: int):
    """CONVERGENT with the cycle-accurate router of the given settings."""
    from emulator import api
    from emulator.bridge.cosim import Program
    path = Path(folder) / "convergent.yaml"
    path.write_text(CONVERGENT)
    cfg = api.load_config(path, overrides=["chip.router.mode=cycle", f"chip.router.fifo_depth={depth}",
                                           f"chip.router.hop_latency={latency}"])
    built = api.build(cfg)
    return Program(built.image, built.stimulus, cfg.run.timesteps, "convergent")


def _routed(prog, per_step: bool = False):
    """(Packets, Routed) of the program's run through the model; ``per_step``: every timestep routed
    alone, from fresh arbiter pointers (what MUTANT_NOC_RR_RESET does)."""
    from emulator.bridge.expected import emulate
    from emulator.bridge.noc import Packets, route_run
    img, T = prog.image, prog.timesteps
    want = emulate(img, prog.stimulus, T)
    hp, hi = prog.stimulus.window(0, T)
    t_ids, n_ids = np.nonzero(want.spikes)
    if not per_step:
        return route_run(img, t_ids, n_ids, want.deliver_cycles, hp, hi)
    parts = []
    for t in range(T):
        sel = t_ids == t
        p, _ = route_run(img, np.zeros(int(sel.sum()), np.int64), n_ids[sel], want.deliver_cycles[t:t + 1],
                         hp[t:t + 2] - hp[t], hi[hp[t]:hp[t + 1]])
        parts.append(p._replace(step=p.step + t))
    return Packets(*(np.concatenate([getattr(p, f) for p in parts]) for f in Packets._fields)), None


# ----------------------------------------------------------------------- with a simulator
@pytest.mark.rtl
@pytest.mark.parametrize("sim,depth,latency", [("icarus", 1, 3), ("verilator", 1, 3), ("icarus", 4, 1)])
def test_random_programs_cycle_mode_match_emulator(sim, depth, latency, tmp_path):
    """Random programs with the router in cycle mode agree exactly, every packet arrival included;
    the family must contend: cores stall on credit and the network sets the end of some timesteps."""
    need(sim)
    from emulator.bridge.cosim import run_job
    from emulator.bridge.memfiles import RtlChip
    from emulator.bridge.noc import Packets
    from random_programs import random_program
    n = N_NOC if (depth, latency) == (1, 3) else max(4, N_NOC // 2)
    programs = [convergent_program(tmp_path, depth, latency)]
    programs += [cycle_mode(random_program(seed), depth, latency) for seed in range(500, 500 + n)]
    start = time.perf_counter()
    res = run_job(sim, tmp_path / "job", programs, RtlChip.for_image(programs[0].image))
    bad = [p for p in res.programs if not p.ok]
    assert not bad, f"{len(bad)} of {len(programs)} programs diverge; {bad[0].name}: {bad[0].report}"
    packets = sum(Packets.from_extra(p.want.extra).step.size for p in res.programs)
    got = sum(Packets.from_extra(p.got.extra).step.size for p in res.programs)
    barrier = programs[0].image.chip.cycles.barrier
    noc_bound = sum(int((p.want.step_cycles > (p.want.deliver_cycles + p.want.update_cycles).max(axis=1)
                         + barrier).sum()) for p in res.programs)
    stalls = sum(int(_routed(prog)[1].core_stall.sum()) for prog in programs[:max(4, n // 4)])
    assert got == packets > 50 * n and noc_bound > n, (packets, got, noc_bound)
    kept = _routed(programs[0])[0].arrival != _routed(programs[0], per_step=True)[0].arrival
    assert kept.any(), "the arbiter pointers kept across timesteps decide no arrival"
    if depth == 1:
        assert stalls > 0, "no core waited for router credit"
    print(f"\n{sim} depth {depth} latency {latency}: CONVERGENT and {n} random programs, {res.rtl_cycles} chip cycles, "
          f"{packets} packet arrivals, {noc_bound} timesteps ended by the network: 0 mismatches in "
          f"{time.perf_counter() - start:.1f} s (RTL {res.rtl_cycles_per_s:,.0f} cycles/s)")


@pytest.mark.rtl
def test_mutation_rr_reset_is_caught(tmp_path):
    """Arbiter pointers reset at every barrier (MUTANT_NOC_RR_RESET), on CONVERGENT: the RTL delivers
    every packet exactly when the model routing each timestep from fresh pointers says, and the
    scoreboard reports the first packet where that differs from the model (timestep, cycle,
    source, destination, expected and RTL arrival)."""
    need("icarus")
    from emulator.bridge.cosim import run_job
    from emulator.bridge.memfiles import RtlChip
    from emulator.bridge.noc import Packets, compare_step
    prog = convergent_program(tmp_path, 1, 3)
    want, _ = _routed(prog)
    mutant, _ = _routed(prog, per_step=True)
    differs = np.flatnonzero(want.arrival != mutant.arrival)
    assert differs.size, "the planted defect changes nothing the model can see"
    m = compare_step(want, mutant, int(want.step[differs[0]]))    # the first difference a monitor sees
    res = run_job("icarus", tmp_path / "job", [prog], RtlChip.for_image(prog.image),
                  defines={"MUTANT_NOC_RR_RESET": 1}, tag="mutant-rr")
    r = res.programs[0]
    assert not r.ok, "the planted defect was not detected"
    got = Packets.from_extra(r.got.extra)
    order = np.lexsort((got.dst, got.arrival, got.step))
    expect = np.lexsort((mutant.dst, mutant.arrival, mutant.step))
    for f in ("step", "src", "dst", "axon", "arrival"):           # every packet as predicted
        assert np.array_equal(getattr(got, f)[order], getattr(mutant, f)[expect]), f
    d = r.divergence
    start = int(r.want.step_cycles[:m.step].sum())
    src = "host" if m.src == prog.image.n_cores else f"core {m.src}"
    assert (d["timestep"], d["cycle"], d["field"], d["core"], d["src"], d["expected"], d["got"]) == \
        (m.step, start + m.cycle, "arrival", m.dst, src, m.expected, m.got), r.report
    assert m.step == 1 and "<-- diverges" in r.report, r.report     # timestep 0 starts from fresh pointers
    print(f"\n{r.report}")


@pytest.mark.rtl
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_verify_noc_example_agrees(sim, capsys):
    """``neuroemu verify configs/examples/verify_noc.yaml`` agrees, packet arrivals included."""
    need(sim)
    from emulator.cli import main
    assert main(["verify", str(EXAMPLE), "--sim", sim]) == 0
    out = capsys.readouterr().out
    assert "agree: 200 timesteps x 140 neurons on 3 core(s)" in out and "all exact" in out, out
    m = re.search(r"; (\d+) packet arrival cycles", out)
    assert m and int(m.group(1)) > 1000, out
    rate = re.search(r"= ([\d,]+) cycles/s", out)
    assert rate and int(rate.group(1).replace(",", "")) > 0, out
    print(out)


# ----------------------------------------------------------------------- without a simulator
def test_expected_cycle_mode_equals_simulation():
    """The bridge's expectation in cycle mode is the emulator's: the step cycles of ``Simulation.run``,
    its packet count and each timestep's last arrival."""
    from emulator import api
    from emulator.bridge.expected import emulate
    from emulator.bridge.noc import Packets
    from emulator.engine import Simulation
    cfg = api.load_config(EXAMPLE, overrides=["run.timesteps=60"])
    built = api.build(cfg)
    want = emulate(built.image, built.stimulus, 60)
    res = Simulation(built.image, built.stimulus).run(60)
    assert np.array_equal(want.step_cycles, res.step_cycles)
    p = Packets.from_extra(want.extra)
    assert p.step.size == res.noc.packets and p.step.size > 0
    last = np.zeros(60, np.int64)
    np.maximum.at(last, p.step, p.arrival)
    assert np.array_equal(last, res.noc.noc_cycles)


def test_rtl_build_follows_the_router_mode():
    """``RtlChip.for_image`` picks the router mesh for cycle mode; ``check`` names what does not fit."""
    from emulator import api
    from emulator.bridge.memfiles import BridgeError, RtlChip
    img = api.build(api.load_config(EXAMPLE, overrides=["run.timesteps=2"])).image
    rtl = RtlChip.for_image(img)
    assert (rtl.NOC, rtl.NOC_DEPTH, rtl.NOC_LATENCY, rtl.MESH_W * rtl.MESH_H) == (1, 1, 3, rtl.NCORES)
    rtl.check(img)
    with pytest.raises(BridgeError, match="NOC_LATENCY = 2 but chip.router.hop_latency is 3"):
        dataclasses.replace(rtl, NOC_LATENCY=2).check(img)
    with pytest.raises(BridgeError, match="fixed-latency network"):
        dataclasses.replace(rtl, NOC=0).check(img)
    fast = dataclasses.replace(img, chip=dataclasses.replace(img.chip, router=dataclasses.replace(
        img.chip.router, mode="fast")))
    with pytest.raises(BridgeError, match="chip.router.mode is 'fast'"):
        rtl.check(fast)
    assert RtlChip.for_image(fast).NOC == 0
    far = dataclasses.replace(img, core_xy=np.array([[0, 0], [2, 0], [0, 1]], np.int32))
    with pytest.raises(BridgeError, match=r"core 1 sits at mesh \(2, 0\).*outside the RTL mesh"):
        rtl.check(far)


def test_placement_file(tmp_path):
    """noc_place.mem: image core k's router (y * MESH_W + x), then the unused cores on the free routers."""
    from emulator import api
    from emulator.bridge.memfiles import RtlChip
    from emulator.bridge.noc import write_placement
    img = api.build(api.load_config(EXAMPLE, overrides=["run.timesteps=2"])).image
    img = dataclasses.replace(img, core_xy=np.array([[1, 1], [0, 0], [1, 0]], np.int32))
    write_placement(img, tmp_path, RtlChip.for_image(img))
    assert (tmp_path / "noc_place.mem").read_text().split() == ["03", "00", "01", "02"]


def test_packet_comparison_order():
    """The first divergence is the one a monitor watching arrivals sees first: a late packet at the
    cycle it was due, an early or unexpected one at the cycle it came; a missing one names -1."""
    from emulator.bridge.noc import Packets, compare_step
    want = Packets.of_rows([(0, 0, 1, 5, 10), (0, 1, 1, 6, 12), (0, 1, 2, 6, 20), (1, 0, 2, 3, 7)])
    assert compare_step(want, want, 0) is None
    late = want._replace(arrival=np.array([10, 14, 20, 7]))
    m = compare_step(want, late, 0)
    assert (m.cycle, m.src, m.dst, m.axon, m.expected, m.got) == (12, 1, 1, 6, 12, 14)
    early = want._replace(arrival=np.array([10, 12, 15, 7]))       # seen at 15, before it was due at 20
    m = compare_step(want, early, 0)
    assert (m.cycle, m.dst, m.expected, m.got) == (15, 2, 20, 15)
    # the same cycle: the packet the model expects there comes before one the RTL delivered there
    swap = want._replace(arrival=np.array([12, 10, 20, 7]))
    m = compare_step(want, swap, 0)
    assert (m.cycle, m.src, m.expected, m.got) == (10, 0, 10, 12), m
    lost = Packets(*(a[[0, 2, 3]] for a in want))
    m = compare_step(want, lost, 0)
    assert (m.cycle, m.src, m.dst, m.expected, m.got) == (12, 1, 1, 12, -1)
    extra = Packets.of_rows([*zip(*want), (0, 0, 0, 9, 3)])
    m = compare_step(want, extra, 0)
    assert (m.cycle, m.dst, m.axon, m.expected, m.got) == (3, 0, 9, -1, 3)
    assert compare_step(want, late, 1) is None
