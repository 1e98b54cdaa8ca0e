"""rtl_models/chip_top.v (cores, network, barrier) against the emulator, timestep by timestep.

``chip_cosim`` (cocotb, inside the simulator) runs a job written by
``emulator.bridge.cosim.prepare``: for each program it pulses ``load`` (memories from the
program's $readmemh files, registers reset), then per timestep drives the host packets
(``drivers.send_packets``), pulses ``step``, waits for ``busy`` to fall and samples, through the
debug port, every neuron's registers and spike bit and every core's counters (the monitor).
The emulator's Trace of the same ChipImage (``emulator.bridge.expected.emulate``) is the model
and ``emulator.bridge.scoreboard.compare`` the checker: spikes, u, u_inh, v, th of every neuron
after every update, per-core axon events, synaptic ops, neuron updates, spikes, packets,
deliver and update cycles, and the cycles of every timestep, all exact.

The pytest entry points run many seeded random programs per simulator in one simulation each,
and plant defects (``MUTANT_*`` defines) to show the scoreboard names the right timestep and unit.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from simreq import need

N_RANDOM = int(os.environ.get("NEUROEMU_RTL_PROGRAMS", "200"))    #: random programs per simulator




# ----------------------------------------------------------------------- pytest entry points
@pytest.mark.rtl
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_random_programs_match_emulator(sim, tmp_path):
    """N_RANDOM seeded random programs (1-4 cores, edges included) agree exactly, in one simulation."""
    need(sim)
    from emulator.bridge.cosim import run_job
    from emulator.bridge.memfiles import RtlChip
    from random_programs import random_program
    programs = [random_program(seed) for seed in range(N_RANDOM)]
    start = time.perf_counter()
    res = run_job(sim, tmp_path / "job", programs, RtlChip())
    bad = [p for p in res.programs if not p.ok]
    assert not bad, f"{len(bad)} of {len(programs)} programs diverge; {bad[0].name}: {bad[0].report}"
    # the family must exercise the datapath, or agreement proves little
    spikes = sum(int(p.want.spikes.sum()) for p in res.programs)
    multi = sum(p.want.deliver_cycles.shape[1] > 1 for p in res.programs)
    saturated = sum(int((np.abs(p.want.state["v"]) == 2 ** 23 - 1).any()) for p in res.programs)
    assert spikes > 20 * N_RANDOM and multi > N_RANDOM // 4 and saturated > N_RANDOM // 20, (spikes, multi, saturated)
    steps = sum(p.want.timesteps for p in res.programs)
    print(f"\n{sim}: {len(programs)} random programs, {steps} timesteps, {res.rtl_cycles} chip cycles, "
          f"{spikes} spikes: 0 mismatches in {time.perf_counter() - start:.1f} s "
          f"(RTL {res.rtl_cycles_per_s:,.0f} cycles/s)")


@pytest.mark.rtl
def test_other_cycle_costs_match_emulator(tmp_path):
    """The costs are RTL parameters: a chip YAML with other costs (1-cycle neuron updates and axon
    events, 2-cycle synops, 3-cycle packets, the shortest barrier) still agrees cycle for cycle."""
    need("icarus")
    import dataclasses

    from emulator.bridge.cosim import Program, run_job
    from emulator.bridge.memfiles import RtlChip
    from emulator.config.types import CycleCosts
    from random_programs import random_program
    costs = CycleCosts(axon_event=1, synop=2, neuron_update=1, spike_out=3, barrier=2)
    programs = []
    for seed in range(3000, 3040):
        p = random_program(seed)
        img = dataclasses.replace(p.image, chip=dataclasses.replace(p.image.chip, cycles=costs))
        programs.append(Program(img, p.stimulus, p.timesteps, p.name))
    res = run_job("icarus", tmp_path / "job", programs, RtlChip.for_image(programs[0].image), tag="costs")
    bad = [p for p in res.programs if not p.ok]
    assert not bad, f"{len(bad)} of {len(programs)} programs diverge; {bad[0].name}: {bad[0].report}"


def _first_inexact_negative_v_decay(prog, want):
    """Where a floor-rounding v decay first differs from round-toward-zero: (timestep, neuron).

    The voltage update of neuron n at timestep t decays v(t-1) (the initial v at t = 0) unless
    the neuron is refractory; floor and truncation differ exactly when v < 0 and the product
    v * (4096 - dv) is not a multiple of 4096.
    """
    img = prog.image
    v_prev = img.init_v.astype(np.int64)
    ref = np.zeros(img.n_neurons, np.int64)
    refractory = img.params.refractory.astype(np.int64)
    for t in range(want.timesteps):
        prod = v_prev * (4096 - img.params.dv.astype(np.int64))
        hit = (ref == 0) & (v_prev < 0) & (prod % 4096 != 0)
        if hit.any():
            return t, int(np.flatnonzero(hit)[0])
        ref = np.where(ref > 0, ref - 1, np.where(want.spikes[t], refractory, 0))
        v_prev = want.state["v"][t]
    return None


@pytest.mark.rtl
def test_mutation_decay_rounding_is_caught(tmp_path):
    """A v decay that floors instead of truncating toward zero diverges exactly where first exercised."""
    need("icarus")
    from emulator.bridge.cosim import run_job
    from emulator.bridge.memfiles import RtlChip
    from random_programs import random_program
    progs = []
    for seed in range(1000, 1100):
        p = random_program(seed)
        from emulator.bridge.expected import emulate
        where = _first_inexact_negative_v_decay(p, emulate(p.image, p.stimulus, p.timesteps))
        if where is not None:
            progs.append((p, where))
        if len(progs) == 3:
            break
    res = run_job("icarus", tmp_path / "job", [p for p, _ in progs], RtlChip(),
                  defines={"MUTANT_DECAY_FLOOR": 1}, tag="mutant-decay")
    for (prog, (t, n)), r in zip(progs, res.programs):
        assert not r.ok, f"{r.name}: the planted defect was not detected"
        d = r.divergence
        core = int(np.searchsorted(prog.image.neuron_ptr, n, side="right") - 1)
        assert (d["timestep"], d["core"], d["neuron"]) == (t, core, n), r.report
        assert d["field"] in ("v", "spike"), r.report


@pytest.mark.rtl
def test_mutation_fifo_drop_is_caught(tmp_path):
    """A FIFO that drops host packets written while it holds 3 events loses them: the scoreboard
    reports core c's deliver phase (axon_events, with the predicted count) at the first timestep."""
    need("icarus")
    from emulator.bridge.cosim import run_job
    from emulator.bridge.expected import emulate, host_spikes_per_step
    from emulator.bridge.memfiles import RtlChip, host_packets
    from random_programs import random_program
    progs = []
    for seed in range(2000, 2100):
        p = random_program(seed)
        want = emulate(p.image, p.stimulus, p.timesteps)
        img = p.image
        axon_core = img.axon_core
        first = None
        for t, hosts in enumerate(host_spikes_per_step(p.stimulus, p.timesteps)):
            # events queued per core before the host writes: the packets of timestep t-1's spikes
            queued = np.zeros(img.n_cores, np.int64)
            if t > 0:
                for n in np.flatnonzero(want.spikes[t - 1]):
                    for e in range(img.out_ptr[n], img.out_ptr[n + 1]):
                        queued[axon_core[img.out_axon[e]]] += 1
            for c, _ in host_packets(img, hosts):
                if queued[c] == 3:          # the defective FIFO loses this one (and keeps 3 events)
                    first = first or (t, c)
                elif first is None or first[1] != c:
                    queued[c] += 1
            if first:
                first = (*first, int(queued[first[1]]))    # the events the defective core delivers
                break
        if first:
            progs.append((p, first))
        if len(progs) == 3:
            break
    assert progs, "no random program exercises the planted defect"
    res = run_job("icarus", tmp_path / "job", [p for p, _ in progs], RtlChip(),
                  defines={"MUTANT_FIFO_DROP": 1}, tag="mutant-fifo")
    for (prog, (t, c, events)), r in zip(progs, res.programs):
        assert not r.ok, f"{r.name}: the planted defect was not detected"
        d = r.divergence
        assert (d["timestep"], d["core"], d["field"], d["got"]) == (t, c, "axon_events", events), r.report
        assert d["got"] < d["expected"], r.report


# ----------------------------------------------------------------------- inside the simulator
try:
    import cocotb
except ImportError:
    cocotb = None

if cocotb is not None:
    from cocotb.triggers import FallingEdge, RisingEdge

    async def run_program(dut, image, meta):
        """Drive one loaded program; return its RTL Trace and the wall time spent in simulated cycles."""
        from emulator.bridge.drivers import DebugPort, send_packets, settle, signed
        from emulator.bridge.expected import COUNTERS, STATE_FIELDS, Trace
        from emulator.bridge.memfiles import DBG_COUNTERS, DBG_STATE, NSTATE_FIELDS, RTL_COUNTERS, unpack
        T, n, cores = meta["timesteps"], image.n_neurons, image.n_cores
        spikes = np.zeros((T, n), bool)
        state = {f: np.zeros((T, n), np.int64) for f in STATE_FIELDS}
        ctr = {name: np.zeros((T, cores), np.int64) for name in RTL_COUNTERS}
        steps = np.zeros(T, np.int64)
        sim_s = 0.0
        signed_fields = {"u": 24, "u_inh": 24, "v": 24}
        dbg = DebugPort(dut)
        from emulator.bridge.learning import LearnMonitor, learns
        learn = LearnMonitor(image, T) if learns(image) else None     # traces, weights, learn counters
        from emulator.bridge.noc import ArrivalMonitor
        noc = ArrivalMonitor(dut) if image.chip.router.mode == "cycle" else None   # every packet's arrival
        for t in range(T):
            await send_packets(dut, meta["host_packets"][t])
            if noc is not None:
                noc.step = t
            dut.step.value = 1
            await RisingEdge(dut.clk)
            dut.step.value = 0
            t0 = time.perf_counter()
            await FallingEdge(dut.busy)
            sim_s += time.perf_counter() - t0
            await settle()              # every register of that edge updated, not only busy
            steps[t] = int(dut.step_cycles.value.to_unsigned())
            for c in range(cores):
                for k, name in enumerate(RTL_COUNTERS):
                    ctr[name][t, c] = await dbg.read(c, DBG_COUNTERS, k)
                lo = int(image.neuron_ptr[c])
                for local in range(int(image.neuron_ptr[c + 1]) - lo):
                    f = unpack(NSTATE_FIELDS, await dbg.read(c, DBG_STATE, local))
                    spikes[t, lo + local] = bool(f["spiked"])
                    for name in STATE_FIELDS:
                        x = f[name]
                        state[name][t, lo + local] = signed(x, signed_fields[name]) if name in signed_fields else x
            if learn is not None:
                await learn.sample(dbg, t)
        got = Trace(spikes, state, {name: ctr[name] for name, _ in COUNTERS}, ctr["deliver_cycles"],
                    ctr["update_cycles"], steps, sim_s, extra={**(learn.extra if learn is not None else {}),
                                                               **(noc.finish(cores).to_extra() if noc else {})})
        return got, int(ctr["fifo_overflow"].max(initial=0))

    @cocotb.test()
    async def chip_cosim(dut):
        """Every program of the job: RTL trace == emulator trace (the first divergence fails the test)."""
        from emulator.bridge.drivers import pulse, start_clock
        from emulator.bridge.expected import Trace
        from emulator.bridge.scoreboard import compare
        from emulator.image import ChipImage

        job = Path(os.environ["NEUROEMU_JOB"])
        meta = json.loads((job / "job.json").read_text())
        for name in ("rst", "load", "step", "host_valid", "dbg_sel"):
            getattr(dut, name).value = 0
        dut.load_prog.value = 0
        dut.host_core.value = 0
        dut.host_axon.value = 0
        dut.dbg_core.value = 0
        dut.dbg_addr.value = 0
        start_clock(dut)
        await RisingEdge(dut.clk)
        results, cycles, sim_s = [], 0, 0.0
        for i, pm in enumerate(meta["programs"]):
            folder = job / f"p{i}"
            image = ChipImage.load(folder / "image.npz")
            want = Trace.from_npz(np.load(folder / "expected.npz"))
            dut.load_prog.value = i
            await pulse(dut, "load")
            await RisingEdge(dut.clk)
            got, overflow = await run_program(dut, image, pm)
            sim_s += got.wall_s
            cycles += int(got.step_cycles.sum())
            np.savez(folder / "got.npz", **got.to_npz())
            d = compare(image, want, got)
            report = d.format() if d else ""
            if overflow:
                report = "input-axon FIFO overflow (events lost): raise FIFO_AW\n" + report
            results.append({"name": pm["name"], "ok": d is None and not overflow, "report": report,
                            "divergence": {k: v for k, v in d.__dict__.items() if k != "context"} if d else None})
        (job / "result.json").write_text(json.dumps({"programs": results, "rtl_cycles": cycles, "rtl_sim_s": sim_s}))
        bad = [r for r in results if not r["ok"]]
        assert not bad, f"{len(bad)} of {len(results)} programs diverge; {bad[0]['name']}: {bad[0]['report']}"
