#!/usr/bin/env python
"""neuroemu on the CUBA benchmark family; prints ONE JSON line like the peer scripts.

    python benchmarks/neuroemu_bench.py [--neurons N --fanin K] [--threads T] [--duration-ms 1000]

Default: configs/examples/cuba.yaml (4000 neurons, p = 0.02). With --neurons/--fanin
the scaled network of benchmarks/peers (exactly K inputs per neuron, 80 % from the
excitatory population, weights times 80 / K) on the `bench` chip (configs/chips/
bench.yaml: relaxed per-core axon limits, since random connectivity at this scale
does not fit Loihi's 4096 input axons per core).
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

T_START = time.perf_counter()

import numpy as np  # noqa: E402

import emulator as ne  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REF_FANIN = 80.0


def scaled_config(neurons: int, fanin: int, seed: int, duration_ms: float) -> dict:
    """The scaled CUBA network as a config dict (same model as the peer scripts)."""
    n_exc = int(round(0.8 * neurons))
    k_exc = int(round(0.8 * fanin))
    scale = REF_FANIN / fanin
    params = {"tau_mem_ms": 20, "tau_syn_ms": 5, "tau_syn_inh_ms": 10, "threshold": 10.0, "bias": 11.0,
              "refractory_ms": 5, "reset": "zero"}
    pops = [{"name": name, "size": size, "model": "lif", "params": params,
             "initial": {"v": {"uniform": [0.0, 10.0]}}}
            for name, size in (("exc", n_exc), ("inh", neurons - n_exc))]
    projs = [{"name": f"{s}{t}", "source": s, "target": t, "connectivity": "fixed_indegree",
              "indegree": k, "weight": w * scale}
             for s, k, w in (("exc", k_exc, 1.62), ("inh", fanin - k_exc, -9.0)) for t in ("exc", "inh")]
    return {"chip": str(ROOT / "configs" / "chips" / "bench.yaml"),
            "network": {"populations": pops, "projections": projs},
            "run": {"timesteps": int(round(duration_ms / 0.1)), "dt_ms": 0.1, "seed": seed}}


def local_config(neurons: int, fanin: int, local: int, seed: int, duration_ms: float, folder: Path) -> dict:
    """The scaled network with local inputs: every neuron draws its inputs from the
    ``local`` nearest neurons (80 % / 20 % of them excitatory / inhibitory), written as
    explicit projections. Neurons of both populations are spread evenly on a ring."""
    from emulator.ir.network import _fixed_indegree
    cfg = scaled_config(neurons, fanin, seed, duration_ms)
    sizes = {p["name"]: p["size"] for p in cfg["network"]["populations"]}
    rng = np.random.default_rng(seed)
    for proj in cfg["network"]["projections"]:
        n_src, n_tgt, k = sizes[proj["source"]], sizes[proj["target"]], proj.pop("indegree")
        window = max(k, int(round(local * n_src / neurons)))
        offset, post = _fixed_indegree(window, n_tgt, k, False, rng)
        start = np.rint(post * (n_src / n_tgt)).astype(np.int64) - window // 2
        path = folder / f"{proj['name']}.npz"
        np.savez(path, pre=((start + offset) % n_src).astype(np.int32), post=post.astype(np.int32),
                 weight=np.full(post.size, proj.pop("weight")))
        proj.update(connectivity="explicit", file=str(path))
    return cfg


def table_bytes(image) -> int:
    """Bytes of every table the engine reads (synapses, rows, output axons, parameters)."""
    arrays = [getattr(image, k) for k in image._ARRAYS] + list(image.params)
    return int(sum(a.nbytes for a in arrays))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--neurons", type=int)
    ap.add_argument("--fanin", type=int, default=80)
    ap.add_argument("--local", type=int, default=0, help="inputs from the N nearest neurons (0: uniform)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--delivery", choices=("auto", "source", "core"), default="auto",
                    help="engine synapse tables (source-major copy or the chip's rows)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.neurons and args.local:
        import tempfile
        tmp = tempfile.TemporaryDirectory()
        cfg = ne.load_config(local_config(args.neurons, args.fanin, args.local, args.seed, args.duration_ms,
                                          Path(tmp.name)))
    elif args.neurons:
        cfg = ne.load_config(scaled_config(args.neurons, args.fanin, args.seed, args.duration_ms))
    else:
        cfg = ne.load_config(ROOT / "configs" / "examples" / "cuba.yaml",
                             overrides=[f"run.seed={args.seed}",
                                        f"run.timesteps={int(round(args.duration_ms / 0.1))}"])
    built = ne.build(cfg)
    build_s = time.perf_counter() - t0
    before_run = time.perf_counter() - T_START
    res = ne.simulate(built, threads=args.threads, delivery=args.delivery)
    s = res.summary()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "simulator": "neuroemu" + (f"-{args.threads}t" if args.threads != 1 else ""),
        "neurons": s["neurons"], "synapses": s["synapses"], "cores": s["cores"],
        "build_s": build_s, "jit_s": res.jit_s, "loop_s": res.wall_s,
        "first_step_s": before_run + res.jit_s,    # process start -> first timestep (imports, build, JIT load)
        "total_s": time.perf_counter() - T_START,
        "spikes": s["spikes"], "mean_rate_hz": s["mean_rate_hz"], "syn_events": s["synaptic_ops"],
        "syn_events_per_s": s["synaptic_ops"] / res.wall_s if res.wall_s else 0.0,
        "peak_rss_mb": rss, "table_bytes_per_synapse": table_bytes(built.image) / max(1, s["synapses"]),
        "engine_copy_bytes_per_synapse": res.engine_bytes / max(1, s["synapses"]),
        "cycles_per_step_mean": s["cycles_per_timestep_mean"], "energy_uj": s["energy_pj"]["total"] / 1e6,
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
