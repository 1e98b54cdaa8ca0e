"""The research neuron models of issue #8 on the chip, in figures and numbers (docs/neurons.md).

    .venv/bin/python benchmarks/neuron_models.py [--out DIR] [--steps N]

1. Noise: firing rate against a constant input (the bias register) for LIF neurons with no
   noise and with LFSR noise of two amplitudes on v: the deterministic curve has a hard
   rheobase, the noisy ones fire below it and smooth the onset.
2. Two compartments: output rate against the rate of the dendritic input for ``lif2c``, with
   and without somatic input, against a point neuron (``lif``) receiving the same synapses on
   its soma: the dendrite's threshold and plateau make the response a coincidence detector.

Writes ``neuron_models.json`` and ``noise_fi.png``, ``two_compartment.png`` into ``--out``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.api import build, load_config                  # noqa: E402
from emulator.engine import Simulation                        # noqa: E402
from emulator.image import atomic_write                       # noqa: E402

THETA_MANT = 100          #: threshold mantissa: spike when v > 100 << 6 = 6400
DV = 410                  #: voltage decay: v_inf = bias * 4096 / 410 ~ 10 * bias; rheobase bias ~ 641
NOISE_MANTS = (0, 8, 24)  #: noise amplitude mantissas (exp 0): peak |noise| = 255 * mant counts


def noise_fi_curves(steps: int, seed: int = 1) -> dict:
    """Rate (spikes per step) of 41 neurons with bias 0..1280 each, for each noise mantissa."""
    bias = np.arange(0, 1281, 32)
    out = {"bias": bias.tolist(), "rheobase_bias": THETA_MANT * 64 * DV / 4096, "rates": {}}
    for mant in NOISE_MANTS:
        cfg = load_config({
            "network": {"populations": [{"name": "n", "size": bias.size, "model": "lif", "fixed": {
                "du": 4095, "dv": DV, "vth": THETA_MANT, "noise_mant": mant, "noise_exp": 0,
                "noise_target": "v"}}]},
            "run": {"timesteps": steps, "dt_ms": 1.0, "seed": seed}})
        b = build(cfg)
        b.image.params.bias[:] = bias            # one constant input per neuron (the bias register)
        res = Simulation(b.image).run(steps)
        counts = np.bincount(res.spike_id, minlength=bias.size)
        out["rates"][str(mant)] = (counts / steps).tolist()
    return out


def two_compartment_curves(steps: int) -> dict:
    """Output rate (Hz) against dendritic input rate, for lif2c with/without somatic drive and a point LIF."""
    from emulator.config.schema import read_yaml
    two = read_yaml(Path(__file__).resolve().parents[1] / "configs" / "examples" / "two_compartment.yaml")
    # the point neuron: the same synapses, all on the soma, no dendritic compartment
    point = read_yaml(Path(__file__).resolve().parents[1] / "configs" / "examples" / "two_compartment.yaml")
    pyr = point["network"]["populations"][2]
    pyr["model"] = "lif"
    for key in ("tau_dend_ms", "dend_threshold", "dend_plateau"):
        pyr["params"].pop(key)
    point["network"]["projections"][1]["port"] = "exc"
    point["run"].pop("probes")
    dend_rates = [0, 10, 20, 30, 40, 50, 60, 80]
    curves = {"dend_rate_hz": dend_rates, "lif2c + soma input": [], "lif2c, dendrite only": [],
              "point lif + soma input": []}
    for r in dend_rates:
        for label, raw, sets in (("lif2c + soma input", two, []),
                                 ("lif2c, dendrite only", two, ["stimulus.soma_in.rate_hz=0"]),
                                 ("point lif + soma input", point, [])):
            cfg = load_config(raw, [f"stimulus.dend_in.rate_hz={r}", f"run.timesteps={steps}", *sets])
            b = build(cfg)
            res = Simulation(b.image, b.stimulus).run(steps)
            curves[label].append(res.spike_id.size / b.image.n_neurons / (steps * cfg.run.dt_ms / 1000.0))
    return curves


def _plot_curves(x, curves: dict, xlabel: str, ylabel: str, title: str, path: Path, vline=None) -> None:
    """One line per entry of ``curves`` (label -> y values over ``x``), written atomically as a PNG."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for label, y in curves.items():
        ax.plot(x, y, marker="o", ms=3, label=label)
    if vline is not None:
        ax.axvline(vline[0], color="grey", ls=":", lw=1, label=vline[1])
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    atomic_write(path, lambda f: f.write(buf.getvalue()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="out/neuron_models")
    ap.add_argument("--steps", type=int, default=4000)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fi = noise_fi_curves(args.steps)
    tc = two_compartment_curves(min(args.steps, 2000))
    _plot_curves(fi["bias"], {("no noise" if m == "0" else f"noise on v, peak {255 * int(m)} counts"): r
                              for m, r in fi["rates"].items()},
                 "constant input (bias register, v counts per step)", "spikes per timestep",
                 "LIF firing rate vs input: LFSR noise smooths the onset", out / "noise_fi.png",
                 vline=(fi["rheobase_bias"], "deterministic rheobase"))
    _plot_curves(tc["dend_rate_hz"], {k: v for k, v in tc.items() if k != "dend_rate_hz"},
                 "dendritic input rate per source (Hz)", "output rate (Hz)",
                 "two-compartment neuron: thresholded, saturating dendrite", out / "two_compartment.png")
    report = json.dumps({"noise_fi": fi, "two_compartment": tc}, indent=1).encode()
    atomic_write(out / "neuron_models.json", lambda f: f.write(report))
    below = [i for i, b in enumerate(fi["bias"]) if b < fi["rheobase_bias"]]
    for mant, rates in fi["rates"].items():
        print(f"noise mant {mant:>2}: rate below rheobase (mean over {len(below)} inputs) "
              f"{np.mean([rates[i] for i in below]):.4f}/step, at the largest input {rates[-1]:.3f}/step")
    for label, rates in tc.items():
        if label != "dend_rate_hz":
            print(f"{label:24s} " + " ".join(f"{r:6.1f}" for r in rates) + "  Hz")
    print(f"wrote {out}/noise_fi.png, two_compartment.png, neuron_models.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
