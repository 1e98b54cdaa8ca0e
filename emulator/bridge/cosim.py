"""Co-simulation jobs: many programs (ChipImage + stimulus + timesteps) in one RTL simulation.

``run_job`` writes every program's memory files and the emulator's expected Trace into a job
folder, builds (or reuses) ``chip_top`` for the simulator, and runs the cocotb bench
``rtl_models/tests/test_chip.py::chip_cosim`` once. The bench loads program after program
(the ``load`` pulse re-reads the memory files and resets the chip), drives the host spikes,
steps the chip, samples every neuron and counter through the debug port after every timestep,
and hands both traces to ``emulator.bridge.scoreboard.compare``. Its verdicts come back in
``result.json``; ``JobResult`` carries them with the RTL traces.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..image import ChipImage
from ..io.stimulus import Stimulus
from . import sim as rtlsim
from .expected import Trace, emulate, host_spikes_per_step
from .learning import write_learning
from .memfiles import RtlChip, host_packets, write_program


@dataclass
class Program:
    image: ChipImage
    stimulus: Stimulus | None
    timesteps: int
    name: str = ""
    reward: np.ndarray | None = None     #: learning: r of every neuron for the whole run (default 0)


@dataclass
class ProgramResult:
    name: str
    ok: bool
    report: str                      #: first divergence (empty when ok)
    divergence: dict | None          #: the Divergence's fields
    want: Trace
    got: Trace | None


@dataclass
class JobResult:
    sim: str
    programs: list[ProgramResult]
    rtl_cycles: int                  #: chip cycles the RTL simulated (sum of step cycles)
    rtl_sim_s: float                 #: wall time the simulator spent running those cycles
    rtl_total_s: float               #: wall time of the whole simulation (with monitors and loading)
    emulator_s: float                #: wall time of the emulator's kernel for the same programs
    waves: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.programs)

    @property
    def rtl_cycles_per_s(self) -> float:
        return self.rtl_cycles / self.rtl_sim_s if self.rtl_sim_s > 0 else 0.0

    def first_failure(self) -> ProgramResult | None:
        return next((p for p in self.programs if not p.ok), None)


def prepare(job_dir: Path, programs: list[Program], rtl: RtlChip) -> list[Trace]:
    """Write memory files, host packets and the emulator's Trace of every program into ``job_dir``."""
    job_dir = Path(job_dir)
    if job_dir.exists():
        shutil.rmtree(job_dir)
    job_dir.mkdir(parents=True)
    meta, wants = [], []
    for i, prog in enumerate(programs):
        write_program(prog.image, job_dir / f"p{i}", rtl)
        if prog.reward is not None:
            write_learning(prog.image, job_dir / f"p{i}", rtl, prog.reward)
        want = emulate(prog.image, prog.stimulus, prog.timesteps, prog.reward)
        wants.append(want)
        hosts = host_spikes_per_step(prog.stimulus, prog.timesteps) if prog.stimulus else \
            [np.zeros(0, np.int64)] * prog.timesteps
        if rtl.NOC and prog.stimulus:            # the mesh carries a host spike in the step that emits it
            from .noc import host_spikes_sent
            hosts = host_spikes_sent(prog.stimulus, prog.timesteps)
        prog.image.save(job_dir / f"p{i}" / "image.npz")
        np.savez(job_dir / f"p{i}" / "expected.npz", **want.to_npz())
        meta.append({"name": prog.name or f"program {i}", "timesteps": prog.timesteps,
                     "neuron_ptr": [int(x) for x in prog.image.neuron_ptr],
                     "host_packets": [host_packets(prog.image, h) for h in hosts]})
    (job_dir / "job.json").write_text(json.dumps({"programs": meta, "rtl": rtl.parameters()}))
    return wants


def run_job(sim: str, job_dir: str | Path, programs: list[Program], rtl: RtlChip, waves: bool = False,
            defines: dict | None = None, tag: str = "", quiet: bool = False,
            sources: list[str] | None = None) -> JobResult:
    """Build ``chip_top`` with ``rtl`` (and ``defines``, e.g. a planted defect), run every program.

    ``quiet``: the compiler's and the simulator's output go to ``build.log`` and ``sim.log`` in
    ``job_dir`` instead of the console. ``sources``: Verilog files (default: ``rtl_models/*.v``).
    """
    job_dir = Path(job_dir).resolve()
    wants = prepare(job_dir, programs, rtl)
    bench = rtlsim.build(sim, "chip_top", sources, parameters=rtl.parameters(), defines=defines or {}, waves=waves,
                         tag=tag, log_file=job_dir / "build.log" if quiet else None)
    start = time.perf_counter()
    try:
        rtlsim.run(bench, "test_chip", env={"NEUROEMU_JOB": job_dir}, test_dir=job_dir / "sim",
                   plusargs=[f"+NEUROEMU_MEMDIR={job_dir}"], testcase="chip_cosim",
                   log_file=job_dir / "sim.log" if quiet else None)
    except SystemExit:
        pass            # a failing comparison: the verdicts are in result.json
    total = time.perf_counter() - start
    res_path = job_dir / "result.json"
    if not res_path.exists():
        raise RuntimeError(f"the {sim} simulation ended without results; see {job_dir / 'sim.log'} "
                           "(or the output above)")
    res = json.loads(res_path.read_text())
    out = []
    for i, (prog, want) in enumerate(zip(programs, wants)):
        r = res["programs"][i] if i < len(res["programs"]) else {"ok": False, "report": "not run", "divergence": None}
        got_path = job_dir / f"p{i}" / "got.npz"
        got = Trace.from_npz(np.load(got_path)) if got_path.exists() else None
        out.append(ProgramResult(prog.name or f"program {i}", bool(r["ok"]), r["report"], r["divergence"], want, got))
    wave_files = [str(p) for p in (job_dir / "sim").glob("*.vcd")] + [str(p) for p in bench.build_dir.glob("*.fst")]
    return JobResult(sim, out, int(res["rtl_cycles"]), float(res["rtl_sim_s"]), total,
                     sum(w.wall_s for w in wants), wave_files)
