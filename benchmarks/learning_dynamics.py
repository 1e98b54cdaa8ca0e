"""How a network reorganizes while it learns on the chip: modularity, flexibility and weight
entropy from weight snapshots (docs/analysis.md); writes dynamics.json and dynamics.png.

    .venv/bin/python benchmarks/learning_dynamics.py CONFIG [--projection NAME] [--every 250] [--out DIR] [--set P=V]
    .venv/bin/python benchmarks/learning_dynamics.py configs/examples/sleep_recurrent.yaml --sleep-compare

Plain: runs CONFIG as written (its stimulus, ``run.timesteps``) and snapshots the weights of a
plastic projection (default: the first) every ``--every`` steps.

``--sleep-compare`` (for configs/examples/sleep_recurrent.yaml, docs/learning.md "Sleep"): the
same network twice for ``--cycles`` x (``--wake`` + ``--sleep``) steps: always awake (input
``--wake-input`` on, the projection's rule), and alternating wake with sleep phases (input off,
Poisson noise on ``--sleep-input``, the rule of benchmarks/learning_sleep.py). The inputs are
``encoded`` stimuli (the counter-hash rate code of docs/coding.md): same seed, same spikes.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from emulator.analysis import analyze, plot_dynamics, record_snapshots  # noqa: E402
from emulator.api import build                                          # noqa: E402
from emulator.config.loader import load                                 # noqa: E402
from emulator.config.schema import read_yaml                            # noqa: E402
from emulator.engine import Simulation                                  # noqa: E402
from emulator.learning.schedule import Phase                            # noqa: E402


def _projection(raw: dict, name: str | None) -> tuple[str, str, str]:
    """(name, source, target) of the plastic projection ``name`` (default: the first plastic one)."""
    projs = raw["network"].get("projections") or []
    plastic = [p for p in projs if p.get("plasticity")]
    for p in plastic:
        pname = p.get("name", f"{p['source']}_{p['target']}")
        if name is None or pname == name:
            return pname, p["source"], p["target"]
    names = [p.get("name", f"{p['source']}_{p['target']}") for p in plastic]
    raise SystemExit(f"no plastic projection {name!r}; plastic projections: {', '.join(names) or 'none'}")


def _gated_input(out: Path, size: int, cycles: int, on: int, off: int, first: int) -> dict:
    """An ``encoded`` rate stimulus that is on for ``on`` steps every ``on + off``, from step ``first``."""
    file = out / f"ones_{size}x{cycles}.npy"
    np.save(file, np.ones((cycles, size)))
    return {"type": "encoded", "encoder": "rate", "signal": {"file": str(file.resolve())},
            "start_step": first, "params": {"max_rate_hz": 0.0, "duration_steps": on, "rest_steps": off}}


def run_case(raw: dict, base_dir: Path, source: str, target: str, every: int, phases=None, stimulus=None,
             seed: int = 0, method: str = "louvain", overrides=()):
    if stimulus is not None:
        total = sum(p.steps for p in phases)
        raw = {**raw, "stimulus": stimulus, "run": {**raw.get("run", {}), "timesteps": total}}
    cfg = load(raw, overrides=list(overrides), base_dir=base_dir)
    b = build(cfg)
    sim = Simulation(b.image, b.stimulus)
    t0 = time.perf_counter()
    snaps = record_snapshots(sim, source, target, every, steps=None if phases else cfg.run.timesteps, phases=phases)
    run_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rep = analyze(snaps, seed=seed, method=method)
    return snaps, rep, {"run_s": run_s, "analysis_s": time.perf_counter() - t0, "synapses": int(snaps.pre.size),
                        "weight_range": [snaps.lo, snaps.hi]}


def _sleep_rule(raw: dict, base_dir: Path, projection: str) -> str:
    """The rule of the config's sleep phase (``run.schedule``) for ``projection``, its decay terms
    included: what ``neuroemu run`` loads for that phase (``runner.phase_rule``)."""
    from emulator.learning.runner import phase_rule
    cfg = load(raw, base_dir=base_dir)
    sched = cfg.run.schedule
    sleep = next((p for p in sched.phases if p.kind == "sleep"), None) if sched is not None else None
    if sleep is None:
        raise SystemExit("--sleep-compare needs a run.schedule with a sleep phase in the config")
    own = next(p.plasticity.dw for p in cfg.network.projections if p.name == projection)
    return phase_rule(own, sleep)


def _summary(rep, extra: dict) -> dict:
    q, qn = np.array(rep.modularity), np.array(rep.null_modularity)
    half = len(q) // 2
    return {**extra, "snapshots": len(rep.times),
            "modularity_first": q[0], "modularity_last": q[-1], "modularity_mean_second_half": float(q[half:].mean()),
            "null_modularity_first": qn[0], "null_modularity_last": qn[-1],
            "modules_first": rep.modules[0], "modules_last": rep.modules[-1],
            "entropy_first_bits": rep.entropy_bits[0], "entropy_last_bits": rep.entropy_bits[-1],
            "entropy_min_bits": float(np.min(rep.entropy_bits)),
            "mean_weight_first": rep.mean_weight[0], "mean_weight_last": rep.mean_weight[-1],
            "flexibility_mean": rep.flexibility_mean,
            "flexibility_max_node": float(np.max(rep.flexibility)),
            "partition_noise_mean": float(np.nanmean(rep.partition_noise)),
            "series": rep.summary()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--projection", help="plastic projection name (default: the first)")
    ap.add_argument("--every", type=int, default=250, help="timesteps between weight snapshots")
    ap.add_argument("--out", default="out/learning_dynamics")
    ap.add_argument("--method", choices=("louvain", "greedy"), default="louvain")
    ap.add_argument("--seed", type=int, default=0, help="community detection seed")
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="config override (repeatable)")
    ap.add_argument("--sleep-compare", action="store_true", help="wake only vs wake/sleep cycles")
    ap.add_argument("--cycles", type=int, default=24)
    ap.add_argument("--wake", type=int, default=500)
    ap.add_argument("--sleep", type=int, default=250)
    ap.add_argument("--wake-input", default="inp")
    ap.add_argument("--sleep-input", default="noise")
    ap.add_argument("--wake-rate-hz", type=float, default=50.0)
    ap.add_argument("--noise-rate-hz", type=float, default=20.0)
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    raw = read_yaml(a.config)
    base_dir = Path(a.config).parent
    pname, source, target = _projection(raw, a.projection)
    results = {}
    if a.sleep_compare:
        sleep_rule = _sleep_rule(raw, base_dir, pname)
        sizes = {p["name"]: p["size"] for p in raw["network"]["populations"]}
        w, s, c = a.wake, a.sleep, a.cycles

        def stim(on_wake, on_wake_rest, noise_on):
            inp = _gated_input(out, sizes[a.wake_input], c, on_wake, on_wake_rest, 0)
            inp["params"]["max_rate_hz"] = a.wake_rate_hz
            noise = _gated_input(out, sizes[a.sleep_input], c, max(noise_on, 1), w, w)
            noise["params"]["max_rate_hz"] = a.noise_rate_hz if noise_on else 0.0
            return {a.wake_input: inp, a.sleep_input: noise}

        cases = {"wake_only": ([Phase("wake", w + s)] * c, stim(w + s, 0, 0)),
                 "with_sleep": ([Phase("wake", w), Phase("sleep", s, sleep_rule)] * c, stim(w, s, s))}
        for tag, (phases, stimulus) in cases.items():
            _, rep, extra = run_case(raw, base_dir, source, target, a.every, phases, stimulus, a.seed, a.method,
                                     a.set)
            results[tag] = (rep, extra)
    else:
        _, rep, extra = run_case(raw, base_dir, source, target, a.every, seed=a.seed, method=a.method, overrides=a.set)
        results[Path(a.config).stem] = (rep, extra)
    report = {"config": a.config, "projection": pname, "source": source, "target": target, "every": a.every,
              "method": a.method, "seed": a.seed,
              "cases": {tag: _summary(rep, extra) for tag, (rep, extra) in results.items()}}
    (out / "dynamics.json").write_text(json.dumps(report, indent=2, default=float))
    title = f"{Path(a.config).name}: projection {pname} ({source} -> {target})"
    (out / "dynamics.png").write_bytes(plot_dynamics({t: r for t, (r, _) in results.items()}, title))
    brief = {tag: {k: v for k, v in case.items() if k != "series"} for tag, case in report["cases"].items()}
    print(json.dumps(brief, indent=2, default=float))
    print(f"wrote {out}/dynamics.json and dynamics.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
