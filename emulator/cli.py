"""``neuroemu`` command line: a thin layer over ``emulator.api``.

Bad input never prints a traceback: every NeuroemuError becomes one line
``neuroemu: error: <what and where>`` and exit status 2.
"""
from __future__ import annotations

import argparse
import sys
import time
from importlib import resources
from pathlib import Path

from . import __version__, api
from .errors import NeuroemuError

DEFAULT_CONFIG = "demo"


def builtin_example(name: str) -> Path:
    """Path of an example config shipped inside the package (``emulator/data/examples``)."""
    return Path(str(resources.files("emulator") / "data" / "examples" / f"{name}.yaml"))


def _config_path(arg: str | None) -> Path:
    if arg is None:
        return builtin_example(DEFAULT_CONFIG)
    path = Path(arg)
    if not path.exists() and not path.suffix and builtin_example(arg).exists():
        return builtin_example(arg)
    return path


def _overrides(args) -> list[str]:
    extra = list(args.set or [])
    if getattr(args, "timesteps", None) is not None:
        extra.append(f"run.timesteps={args.timesteps}")
    if getattr(args, "seed", None) is not None:
        extra.append(f"run.seed={args.seed}")
    return extra


def _load(args):
    path = _config_path(args.config)
    return path, api.load_config(path, overrides=_overrides(args))


# ---------------------------------------------------------------------- commands
def cmd_run(args) -> int:
    t_start = time.perf_counter()
    path, cfg = _load(args)
    out = Path(args.output) if args.output else Path("runs") / path.stem
    built = api.build(cfg)
    ckpt = out / "checkpoint.npz"
    if not args.quiet:
        print(f"neuroemu {__version__}: {path} -> {out}/  ({built.image.n_neurons} neurons, "
              f"{built.image.n_synapses} synapses on {built.image.n_cores} cores)", file=sys.stderr)
    if api.is_learning_run(cfg):       # task:, run.schedule or a third factor (docs/learning.md)
        from .learning.runner import check_supported, describe
        check_supported(args.resume)
        report = api.learn(built, out, progress=not args.quiet and not args.no_progress, threads=args.threads)
        if not args.quiet:
            print(describe(report))
        return 0
    results = api.simulate(built, progress=not args.quiet and not args.no_progress, checkpoint=ckpt,
                           resume=args.resume, threads=args.threads, delivery=args.delivery)
    o = cfg.run.outputs
    report = results.save(out, spikes=o.spikes, probes=o.probes, raster=o.raster,
                          report_extra={"config": str(path), "seed": cfg.run.seed,
                                        "command_wall_s": time.perf_counter() - t_start})
    if ckpt.exists():
        ckpt.unlink()       # the run finished: its results supersede the checkpoint
    if not args.quiet:
        print(format_summary(report))
    return 0


def cmd_validate(args) -> int:
    path, cfg = _load(args)
    built = api.build(cfg)
    img = built.image
    print(f"{path}: OK: {len(cfg.network.populations)} populations, {len(cfg.network.projections)} projections, "
          f"{img.n_synapses} synapses; fits on {img.n_cores} of {cfg.chip.n_cores} cores of chip '{cfg.chip.name}'")
    return 0


def cmd_info(args) -> int:
    path, cfg = _load(args)
    built = api.build(cfg)
    print(format_mapping(built))
    return 0


def cmd_map(args) -> int:
    """``neuroemu map MODEL --chip CHIP -o OUT``: import, map, (check), write OUT/ (issue #7)."""
    from .config.loader import load_chip
    from .ir.nir_import import ImportOptions
    from .mapping.map_model import format_result, map_model, write_outputs
    chip = load_chip(args.chip, path="--chip")
    options = ImportOptions(dt_s=args.dt, reset=args.reset, discretization=args.discretization)
    result = map_model(args.model, chip, options, args.strategy, args.check, args.calibrate, args.timesteps)
    files = write_outputs(result, args.output)
    print(format_result(result))
    print("  wrote " + ", ".join(files.values()))
    return 0


def _timesteps_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated timestep counts, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"timestep counts must be >= 1, got {text!r}")
    return values


# ---------------------------------------------------------------------- formatting
def format_summary(r: dict) -> str:
    e = r["energy_pj"]
    rows = [
        ("timesteps", f"{r['timesteps']}  ({r['biological_time_s']:.3f} s at dt = {r['dt_ms']} ms)"),
        ("neurons / synapses / cores", f"{r['neurons']} / {r['synapses']} / {r['cores']}"),
        ("spikes", f"{r['spikes']}"),
        ("mean rate", f"{r['mean_rate_hz']:.3f} Hz  (" + ", ".join(f"{k} {v:.2f}" for k, v in r["rates_hz"].items())
         + ")"),
        ("synaptic ops", f"{r['synaptic_ops']}"),
        ("cycles per timestep", f"max {r['cycles_per_timestep_max']}, mean {r['cycles_per_timestep_mean']:.1f} "
                                f"(slowest core + barrier); core mean {r['core_cycles_per_timestep_mean']:.1f}"),
        ("chip time", f"{r['chip_time_s'] * 1e3:.3f} ms at the chip clock"),
        ("energy", f"{e['total'] / 1e6:.3f} uJ  (synops {e['synops'] / 1e6:.3f}, neurons "
                   f"{e['neuron_updates'] / 1e6:.3f}, spikes {e['spikes'] / 1e6:.3f}, hops {e['hops'] / 1e6:.3f})"),
        ("wall time", f"{r['wall_s']:.3f} s emulation, {r['jit_s']:.2f} s JIT/cache load, "
                      f"{r['command_wall_s']:.2f} s command"),
        ("synaptic events/s", f"{r['synaptic_events_per_s']:.3e}"),
        *_learning_rows(r),
        *_noc_rows(r.get("noc")),
        ("results", ", ".join(f"{v}" for v in [*r["files"].values(), "report.json"])),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _learning_rows(r: dict) -> list[tuple[str, str]]:
    """Summary lines of the learn phase (docs/learning.md), only when something learned."""
    c = r["counters"]
    if not c.get("learn_synapses") and not c.get("trace_updates"):
        return []
    return [("learning", f"{c['learn_synapses']} plastic synapse updates, {c['trace_updates']} trace updates, "
                         f"{c['learn_epochs']} core epochs; {r['energy_pj']['learning'] / 1e6:.3f} uJ")]


def _noc_rows(n: dict | None) -> list[tuple[str, str]]:
    """Summary rows of the router (report.json ``noc``; docs/router.md)."""
    if not n:
        return []
    b = n["busiest_link"]
    busiest = f"{b['from']} -> {b['to']} {b['packets']}" if b else "-"
    rows = [("NoC packets / hops", f"{n['packets']} / {n['hops']} ({n['mode']} mode; host {n['host_packets']}); "
                                   f"link load max {n['link_load_max']}, mean {n['link_load_mean']:.1f}; "
                                   f"busiest {busiest}")]
    if n["mode"] == "cycle":
        rows.append(("NoC cycles per timestep",
                     f"max {n['noc_cycles_per_timestep_max']}, mean {n['noc_cycles_per_timestep_mean']:.1f} "
                     f"(last arrival); network-bound steps {n['noc_bound_timesteps']}; max FIFO "
                     f"{n['max_fifo_occupancy']}/{n['fifo_depth']}; stalls {n['stall_cycles']} router, "
                     f"{n['injection_stall_cycles']} injection"))
    return rows


def format_mapping(built) -> str:
    img, rep = built.image, built.report
    lim = img.chip.limits
    lines = [f"chip '{img.chip.name}': {img.chip.mesh_width} x {img.chip.mesh_height} mesh, {img.n_cores} cores used",
             "", "populations:"]
    for p in img.populations:
        where = "host (stimulus source)" if p.on_host else f"cores {_ranges(p.cores)}"
        lines.append(f"  {p.name:<12} {p.model:<7} {p.size:>8} neurons  {where}")
    lines += ["", "projections:"]
    for pr in rep.projections:
        snr = "exact" if pr.snr_db == float("inf") else f"{pr.snr_db:.1f} dB"
        wraps = _wrap_text(pr)
        lines.append(f"  {pr.name:<16} {pr.synapses:>9} synapses  weight exp {pr.weight_exp:+d}  port {pr.port}  "
                     f"quantization SNR {snr}  {wraps}")
    lines += ["", f"per core (limits: neurons {lim.neurons}, input axons {lim.input_axons}, output axons "
                  f"{lim.output_axons}, synapse memory {lim.synapse_memory_bits} bits):",
              f"  {'core':>4} {'xy':>7}  {'neurons':>13} {'input axons':>13} {'output axons':>13} "
              f"{'synapse bits':>18}  populations"]
    for row, xy in zip(rep.utilization(), img.core_xy):
        lines.append(f"  {row['core']:>4} {f'({xy[0]},{xy[1]})':>7}  "
                     + " ".join(f"{row[k]:>7} {100 * row[k + '_frac']:>4.0f}%" for k in
                                ("neurons", "input_axons", "output_axons"))
                     + f" {row['synapse_bits']:>11} {100 * row['synapse_bits_frac']:>4.0f}%  "
                     + ", ".join(row["populations"]))
    return "\n".join(lines)


def _wrap_text(pr) -> str:
    """How many of a projection's spikes per step wrap its target's 24-bit input (docs/chip.md)."""
    once, steady, n = pr.wrap_spikes, pr.wrap_spikes_sustained, pr.max_fan_in
    if steady is None:
        return "24-bit input cannot wrap"
    if once is None:
        return f"24-bit input wraps at {steady} of {n} spikes/step sustained"
    if steady == once:
        return f"24-bit input wraps at {once} of {n} spikes/step"
    return f"24-bit input wraps at {once} of {n} spikes in one step, {steady}/step sustained"


def _ranges(cores) -> str:
    cores = list(cores)
    if not cores:
        return "-"
    return f"{cores[0]}" if len(cores) == 1 else f"{cores[0]}-{cores[-1]}"


# ---------------------------------------------------------------------- parser
def make_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="neuroemu", description="Bit- and cycle-exact neuromorphic chip emulator.")
    ap.add_argument("--version", action="version", version=f"neuroemu {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p, optional_config=False):
        p.add_argument("config", nargs="?" if optional_config else None, metavar="CONFIG",
                       help="run config YAML" + (f" (default: the built-in '{DEFAULT_CONFIG}' example)"
                                                 if optional_config else ""))
        p.add_argument("--set", action="append", metavar="PATH=VALUE",
                       help="override a config field, e.g. --set run.timesteps=100 (repeatable)")
        p.add_argument("--timesteps", type=int, metavar="N", help="same as --set run.timesteps=N")
        p.add_argument("--seed", type=int, metavar="S", help="same as --set run.seed=S")

    run = sub.add_parser("run", help="build and emulate a config, write results")
    common(run, optional_config=True)
    run.add_argument("-o", "--output", metavar="DIR", help="results folder (default: runs/<config name>)")
    run.add_argument("--resume", action="store_true", help="continue from DIR/checkpoint.npz if present")
    run.add_argument("--threads", type=int, default=1, metavar="N",
                     help="emulate groups of cores on N threads (0: all CPUs); results do not depend on N")
    run.add_argument("--delivery", choices=("auto", "source", "core"), default="auto",
                     help="synapse tables the engine reads: source-major copy (fast, static networks), the "
                          "chip's per-core rows (least memory), or auto (source when nothing learns and the copy, 8 "
                          "bytes per synapse, fits a quarter of the memory)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("-q", "--quiet", action="store_true", help="print nothing; only write results")
    run.set_defaults(func=cmd_run)
    val = sub.add_parser("validate", help="check a config and that it fits the chip, without running")
    common(val)
    val.set_defaults(func=cmd_validate)
    info = sub.add_parser("info", help="print the mapping: population -> cores, utilization of each limit")
    common(info)
    info.set_defaults(func=cmd_info)
    mp = sub.add_parser("map", help="map a trained NIR graph or ONNX ReLU network onto the chip (docs/mapping.md)")
    mp.add_argument("model", metavar="MODEL", help="a .nir graph, or a .onnx ReLU network to convert")
    mp.add_argument("--chip", default="loihi1", metavar="CHIP", help="built-in chip name or chip YAML (default loihi1)")
    mp.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder")
    mp.add_argument("--dt", type=float, metavar="SECONDS", help="timestep in seconds (needed for time constants)")
    mp.add_argument("--strategy", default="refine", choices=("linear", "greedy", "refine"),
                    help="placement on the mesh (default refine: greedy start plus swaps)")
    mp.add_argument("--reset", default="zero", choices=("zero", "subtract"),
                    help="NIR spiking neurons reset to v_reset (zero, default) or subtract the threshold")
    mp.add_argument("--discretization", default="euler", choices=("euler", "exact"),
                    help="decay per step: dt/tau (euler, default) or 1-exp(-dt/tau)")
    mp.add_argument("--check", metavar="DATA.npz", help="run float reference and chip on this data and compare")
    mp.add_argument("--calibrate", metavar="DATA.npz", help="ANN conversion: calibration inputs (default: --check)")
    mp.add_argument("--timesteps", type=_timesteps_list, default=(8, 16, 32, 64), metavar="T1,T2,...",
                    help="ANN conversion: timestep counts to check (default 8,16,32,64)")
    mp.set_defaults(func=cmd_map)
    ver = sub.add_parser("verify", help="run a config on the RTL (Icarus/Verilator) and the emulator, compare exactly")
    common(ver)
    ver.add_argument("--sim", required=True, choices=("icarus", "verilator"), help="HDL simulator")
    ver.add_argument("--waves", action="store_true", help="write a waveform file of the RTL run")
    ver.set_defaults(func=_cmd_verify)
    return ap


def _cmd_verify(args) -> int:
    from .bridge.verify import cmd_verify    # imported on use: cocotb is only needed here
    return cmd_verify(args)


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except NeuroemuError as exc:
        print(f"neuroemu: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("neuroemu: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
