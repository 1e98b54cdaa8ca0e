"""``neuroemu verify CONFIG --sim icarus|verilator``: the config on the RTL and on the emulator.

Builds the config's ChipImage, writes its memory files, runs ``rtl_models/chip_top.v`` under
the simulator and the emulator on the same image and stimulus, and compares them timestep by
timestep (``emulator.bridge.scoreboard``). On agreement it prints what was compared and the
speeds (RTL cycles/s, the emulator's, the speed-up); on a mismatch the first divergence with
context, and it writes a waveform of the run up to just past that timestep. Exit status 0 when
they agree, 1 when they diverge, 2 for bad input (a config or an image that does not fit).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .. import api
from ..engine import Simulation
from .cosim import Program, run_job
from .learning import fixed_reward
from .memfiles import BridgeError, RtlChip
from .scoreboard import summary
from .sim import build_root, missing


def verify(config: str | Path, sim: str, timesteps: int | None = None, waves: bool = False,
           overrides: list[str] | tuple = (), out=None, defines: dict | None = None,
           rtl_dir: str | Path | None = None) -> int:
    """Run and compare; print the outcome to ``out``; return the exit status.

    ``defines``: Verilog defines of the build (e.g. a planted ``MUTANT_*`` defect);
    ``rtl_dir``: another folder of Verilog sources with the same top-level ports (``chip_top``).
    """
    out = out or sys.stdout
    why = missing(sim)
    if why:
        raise BridgeError(f"--sim {sim}: {why}")
    path = Path(config)
    cfg = api.load_config(path, overrides=list(overrides))
    built = api.build(cfg)
    image = built.image
    T = timesteps if timesteps is not None else cfg.run.timesteps
    rtl = RtlChip.for_image(image)
    rtl.check(image)
    reward = fixed_reward(cfg, image)           # a constant third factor r of plastic projections
    sources = sorted(str(p) for p in Path(rtl_dir).glob("*.v")) if rtl_dir else None
    job = build_root() / "verify" / f"{path.stem}-{sim}"
    print(f"neuroemu verify: {path} on {sim}: {image.n_neurons} neurons, {image.n_synapses} synapses on "
          f"{image.n_cores} of {rtl.NCORES} RTL cores, {T} timesteps", file=out, flush=True)
    res = run_job(sim, job, [Program(image, built.stimulus, T, path.stem, reward)], rtl, waves=waves,
                  tag="waves" if waves else "", quiet=True, defines=defines, sources=sources)
    p = res.programs[0]
    if not p.ok:
        print(p.report, file=out)
        if not waves and p.divergence:
            # the waveform of the failing run, up to just past the divergence
            upto = min(T, int(p.divergence["timestep"]) + 2)
            wres = run_job(sim, job.with_name(job.name + "-waves"), [Program(image, built.stimulus, upto, path.stem, reward)],
                           rtl, waves=True, tag="waves", quiet=True, defines=defines, sources=sources)
            res.waves = wres.waves
        for w in res.waves:
            print(f"waveform: {w}", file=out)
        return 1
    # the emulator's own speed on the same run (no probes, kernels compiled beforehand)
    emu = Simulation(image, built.stimulus)
    emu._compile()
    start = time.perf_counter()
    emu.run(T)
    emu_s = time.perf_counter() - start
    cycles = res.rtl_cycles
    rtl_rate = res.rtl_cycles_per_s
    emu_rate = cycles / emu_s if emu_s > 0 else float("inf")
    print(f"agree: {summary(image, p.want)}", file=out)
    print(f"RTL ({sim}): {cycles} cycles in {res.rtl_sim_s:.2f} s of simulation = {rtl_rate:,.0f} cycles/s "
          f"({res.rtl_total_s:.1f} s with loading and monitors)", file=out)
    print(f"emulator: {T} timesteps in {emu_s * 1e3:.1f} ms = {emu_rate:,.0f} chip cycles/s, "
          f"{emu_rate / rtl_rate:,.0f}x the RTL on {sim}" if rtl_rate > 0 else "", file=out)
    for w in res.waves:
        print(f"waveform: {w}", file=out)
    return 0


def cmd_verify(args) -> int:
    """The CLI subcommand (``emulator.cli`` only parses the arguments)."""
    overrides = list(args.set or []) + ([f"run.seed={args.seed}"] if args.seed is not None else [])
    return verify(args.config, args.sim, timesteps=args.timesteps, waves=args.waves, overrides=overrides)
