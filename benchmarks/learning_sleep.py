"""Sleep keeps recurrent STDP from saturating: the same network and wake input with and without
sleep phases; weight histograms before/after and weight entropy over time.

    .venv/bin/python benchmarks/learning_sleep.py configs/examples/sleep_recurrent.yaml [--out DIR]

Both runs are the config's own ``run.schedule`` executed by the learning runner (what
``neuroemu run`` does): "with_sleep" as written (wake phases: ``inp`` on, the projection's STDP;
sleep phases: ``noise`` on, decay toward a baseline plus weaker STDP), "wake_only" with the
schedule replaced by wake phases of the same total length (``--set run.schedule.phases=...``).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.api import build, load_config               # noqa: E402
from emulator.learning.runner import run_scheduled        # noqa: E402


def run(config, overrides, out_dir: Path, tag: str) -> dict:
    b = build(load_config(config, overrides=overrides))
    return run_scheduled(b, out_dir / tag, progress=False, tag=tag)["learning"]


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
    cycle = [f"run.schedule.repeat={a.cycles}", f"run.schedule.phases[0].steps={a.wake}",
             f"run.schedule.phases[1].steps={a.sleep}"]
    wake_only = [f"run.schedule.repeat={a.cycles}",
                 f"run.schedule.phases=[{{kind: wake, steps: {a.wake + a.sleep}, inputs: [inp]}}]"]
    res = {"wake_only": run(a.config, wake_only, out, "wake_only"), "with_sleep": run(a.config, cycle, out, "with_sleep")}
    report = {tag: {k: r[k] for k in ("entropy_before_bits", "entropy_after_bits", "entropy_mean_bits",
                                      "mean_weight_before", "mean_weight_after", "at_upper_bound_after",
                                      "at_lower_bound_after")} | {
        "entropy_min_bits": min(c["entropy_bits"] for c in r["curve"][1:])} for tag, r in res.items()}
    (out / "report.json").write_text(json.dumps(report, indent=2))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    for tag, r in res.items():
        c = np.array([(p["t"], p["entropy_bits"]) for p in r["curve"]])
        ax.plot(c[:, 0], c[:, 1], label=tag)
    ax.set_xlabel("timestep")
    ax.set_ylabel("weight entropy (bits)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "sleep.png", dpi=100)
    print(json.dumps(report, indent=2))
    print(f"histograms before/after: {out}/wake_only/learning.png, {out}/with_sleep/learning.png")


if __name__ == "__main__":
    main()
