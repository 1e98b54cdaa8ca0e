"""Sleep keeps recurrent STDP from saturating: the same network, the same wake input, with and
without sleep phases; weight histograms before/after and weight entropy over time.

    .venv/bin/python benchmarks/learning_sleep.py configs/examples/sleep_recurrent.yaml [--out DIR]

Wake phases: Poisson input on ``inp``, the recurrent projection's own rule (STDP).
Sleep phases: ``inp`` off, Poisson noise on ``noise`` (spontaneous activity), rule
``SLEEP_RULE`` (decay toward a baseline plus the same STDP pair terms, weaker).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.api import build                                           # noqa: E402
from emulator.config.loader import load                                  # noqa: E402
from emulator.config.schema import read_yaml                             # noqa: E402
from emulator.engine import Simulation                                   # noqa: E402
from emulator.learning.schedule import Phase, phase_windows, use_rule, weight_entropy  # noqa: E402

#: sleep: every epoch w moves 1/256 of the way to 48, plus STDP from spontaneous spikes
SLEEP_RULE = "2^-8*48 - 2^-8*w + 2^-6*x1*y0 - 2^-6*y1*x0"


def poisson(windows, size, rate, seed):
    rng = np.random.default_rng(seed)
    ts, ids = [], []
    for lo, hi in windows:
        m = rng.random((hi - lo, size)) < rate
        t, i = np.nonzero(m)
        ts.append(t + lo)
        ids.append(i)
    return np.concatenate(ts).astype(np.int64), np.concatenate(ids).astype(np.int64)


def run(config, phases, out_dir: Path, tag: str, rate_wake=0.05, rate_noise=0.02, sample_every=250):
    raw = read_yaml(config)
    wins = phase_windows(phases)
    total = wins[-1][2]
    for name, kind, rate in (("inp", "wake", rate_wake), ("noise", "sleep", rate_noise)):
        t, i = poisson([(lo, hi) for k, lo, hi in wins if k == kind] or [(0, 0)], 100, rate, hash(name) % 1000)
        np.savez(out_dir / f"{tag}_{name}.npz", times=t, indices=i)
    raw = {**raw, "stimulus": {n: {"type": "file", "file": str((out_dir / f"{tag}_{n}.npz").resolve())}
                               for n in ("inp", "noise")}, "run": {**raw["run"], "timesteps": total}}
    b = build(load(raw, base_dir=Path(config).parent))
    sim = Simulation(b.image, b.stimulus)
    plastic = b.image.plastic_synapses
    lo, hi = int(b.image.rule_param[0, 1]), int(b.image.rule_param[0, 2])
    before = sim.weights[plastic].copy()
    curve = []
    for p in phases:
        use_rule(sim, p.dw)
        done = 0
        while done < p.steps:
            n = min(sample_every, p.steps - done)
            sim.run(n)
            done += n
            curve.append((sim.t, weight_entropy(sim.weights[plastic], lo, hi), float(sim.weights[plastic].mean())))
    return before, sim.weights[plastic].copy(), np.array(curve), (lo, hi)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--out", default="out/learning_sleep")
    ap.add_argument("--cycles", type=int, default=24, help="wake/sleep cycles")
    ap.add_argument("--wake", type=int, default=500)
    ap.add_argument("--sleep", type=int, default=250)
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    wake_only = [Phase("wake", a.wake + a.sleep)] * a.cycles     # same total time, always awake
    with_sleep = [Phase("wake", a.wake), Phase("sleep", a.sleep, SLEEP_RULE)] * a.cycles
    res = {tag: run(a.config, ph, out, tag) for tag, ph in (("wake_only", wake_only), ("with_sleep", with_sleep))}
    report = {}
    for tag, (w0, w1, curve, (lo, hi)) in res.items():
        report[tag] = {"entropy_before_bits": weight_entropy(w0, lo, hi),
                       "entropy_after_bits": weight_entropy(w1, lo, hi),
                       "mean_before": float(w0.mean()), "mean_after": float(w1.mean()),
                       "at_upper_bound_after": float(np.mean(w1 >= hi)),
                       "at_lower_bound_after": float(np.mean(w1 <= lo)),
                       "entropy_mean_bits": float(curve[:, 1].mean()), "entropy_min_bits": float(curve[:, 1].min())}
    (out / "report.json").write_text(json.dumps(report, indent=2))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, (tag, (w0, w1, curve, (lo, hi))) in zip(axes[:2], res.items()):
        ax.hist(w0, bins=32, range=(lo, hi + 1), alpha=0.6, label="before")
        ax.hist(w1, bins=32, range=(lo, hi + 1), alpha=0.6, label="after")
        r = report[tag]
        ax.set_title(f"{tag}: entropy {r['entropy_before_bits']:.2f} -> {r['entropy_after_bits']:.2f} bits")
        ax.set_xlabel("weight mantissa")
        ax.legend()
    for tag, (_, _, curve, _) in res.items():
        axes[2].plot(curve[:, 0], curve[:, 1], label=tag)
    axes[2].set_xlabel("timestep")
    axes[2].set_ylabel("weight entropy (bits)")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(out / "sleep.png", dpi=100)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
