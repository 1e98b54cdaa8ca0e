"""Spike encoders and decoders on real signals (docs/coding.md); writes PNGs and a JSON.

    .venv/bin/python benchmarks/encoders_demo.py [--out out/encoders_demo] [--no-chip]

1. digits (scikit-learn's bundled 8x8 set) through the rate and latency codes, decoded back;
2. a sound (a generated chirp plus a vowel-like harmonic mix, 1 s at 16 kHz) through the
   filterbank code, its spikes and the reconstructed cochleagram;
3. reconstruction error of the cochleagram against spike rate, for the send-on-delta and the
   integrate-and-fire codes (a sweep over target rates): a table and a plot;
4. (unless --no-chip) configs/examples/encode_delta_sine.yaml on the emulated chip: the
   integrator neuron's probed v against the delta decoder.
Nothing is downloaded.
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

from emulator.io import decoders as D                                         # noqa: E402
from emulator.io.encoders import filterbank_encode, latency_encode, rate_encode  # noqa: E402
from emulator.io.encoders_signals import digits_images, generate               # noqa: E402

DT_MS = 1.0
RATES_HZ = (2, 5, 10, 20, 50, 100, 200)
IF_WINDOWS = (1, 3, 5, 9, 17, 33, 65, 129, 257)


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def digits_demo(out: Path, seed: int = 1) -> dict:
    """Digits 0..4 through rate (100 steps at 200 Hz) and latency (30 steps) codes and back."""
    idx = [0, 1, 2, 3, 4]
    img = digits_images(idx)
    d_rate, rest = 100, 20
    rate = rate_encode(img, 200.0, DT_MS, seed, d_rate, rest)
    x_rate = D.rate_decode(rate, 200.0, DT_MS, len(idx), d_rate, rest)
    d_lat = 30
    lat = latency_encode(img, d_lat, rest_steps=10)
    x_lat = D.latency_decode(lat, d_lat, frames=len(idx), rest_steps=10)
    plt = _plt()
    fig = plt.figure(figsize=(13, 8))
    grid = fig.add_gridspec(4, len(idx), height_ratios=[1, 1, 1, 1.4])
    for k in range(len(idx)):
        for row, (pic, title) in enumerate([(img[k], f"digit {idx[k]}"), (x_rate[k], "rate decoded"),
                                            (x_lat[k], "latency decoded")]):
            ax = fig.add_subplot(grid[row, k])
            ax.imshow(pic.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_title(title, fontsize=9)
            ax.axis("off")
    ax = fig.add_subplot(grid[3, :3])
    ax.scatter(rate.times, rate.indices, s=1, marker="|", c="k")
    ax.set(xlabel="timestep", ylabel="pixel", title=f"rate code: {rate.times.size} spikes "
                                                    f"(200 Hz * pixel, {d_rate} steps + {rest} rest)")
    ax = fig.add_subplot(grid[3, 3:])
    ax.scatter(lat.times, lat.indices, s=6, c=img[lat.times // (d_lat + 10), lat.indices], cmap="viridis",
               vmin=0, vmax=1)
    ax.set(xlabel="timestep", ylabel="pixel", title=f"latency code: {lat.times.size} spikes, brighter = earlier")
    fig.tight_layout()
    fig.savefig(out / "digits_codes.png", dpi=100)
    plt.close(fig)
    on = img > 0
    return {"images": idx, "rate": {"max_rate_hz": 200.0, "duration_steps": d_rate, "spikes": int(rate.times.size),
                                    "mean_abs_error": float(np.abs(x_rate - img).mean())},
            "latency": {"duration_steps": d_lat, "spikes": int(lat.times.size),
                        "max_abs_error_spiking_pixels": float(np.abs(x_lat - img)[on].max()),
                        "bound": 0.5 / (d_lat - 1)}}


def _if_best(fc) -> tuple[float, int, np.ndarray]:
    """The integrate-and-fire decoder with the best of IF_WINDOWS (an oracle choice, reported)."""
    best = None
    for w in IF_WINDOWS:
        rec = D.if_decode(fc.train, fc.threshold, w, steps=fc.envelope.shape[0])
        e = D.nrmse(fc.envelope, rec)
        if best is None or e < best[0]:
            best = (e, w, rec)
    return best


def audio_demo(out: Path, channels: int = 32) -> dict:
    """The filterbank code of the demo sound: a figure at 20 Hz and the sweep over target rates."""
    sound = generate("chirp_vowel", duration_ms=1000.0, sample_rate_hz=16000.0)
    rows = []
    codes = {}
    for code in ("delta", "if"):
        for r in RATES_HZ:
            t0 = time.perf_counter()
            fc = filterbank_encode(sound, DT_MS, channels, code=code, target_rate_hz=float(r))
            if code == "delta":
                rec, window = D.delta_decode(fc.train, fc.threshold, steps=fc.envelope.shape[0]), None
                err = D.nrmse(fc.envelope, rec)
                bound_ok = bool(np.all(np.abs(fc.envelope - rec) < fc.threshold))
            else:
                err, window, rec = _if_best(fc)
                bound_ok = None
            rows.append({"code": code, "target_rate_hz": r, "rate_hz": fc.rate_hz, "spikes": int(fc.train.times.size),
                         "threshold": fc.threshold, "nrmse": err, "snr_db": -20 * np.log10(err),
                         "if_window_steps": window, "error_below_delta_everywhere": bound_ok,
                         "encode_s": time.perf_counter() - t0})
            if r == 20:
                codes[code] = (fc, rec)
    plt = _plt()
    fc, rec = codes["delta"]
    fci, reci = codes["if"]
    steps = fc.envelope.shape[0]
    fig, axes = plt.subplots(5, 1, figsize=(12, 14), sharex=True,
                             gridspec_kw={"height_ratios": [0.7, 1.2, 1.2, 1.2, 1.2]})
    t_audio = np.arange(sound.data.size) / sound.sample_rate_hz * 1000.0
    axes[0].plot(t_audio, sound.data, lw=0.3)
    axes[0].set(ylabel="amplitude", title="sound: chirp 100 Hz -> 4 kHz + vowel-like harmonic mix /a/ /i/ /u/, "
                                          "4 Hz syllables (16 kHz)")
    ext = [0, steps * DT_MS, 0, channels]
    axes[1].imshow(fc.envelope.T, aspect="auto", origin="lower", extent=ext, cmap="magma")
    axes[1].set(ylabel="channel (low -> high)", title=f"cochleagram: {channels} ERB-spaced channels "
                f"{fc.centers_hz[0]:.0f} Hz .. {fc.centers_hz[-1]:.0f} Hz, compressed envelopes")
    up = fc.train.indices % 2 == 0
    axes[2].scatter(fc.train.times[up], fc.train.indices[up] // 2, s=2, c="tab:red", marker="|", label="up")
    axes[2].scatter(fc.train.times[~up], fc.train.indices[~up] // 2 + 0.4, s=2, c="tab:blue", marker="|",
                    label="down")
    axes[2].set(ylabel="channel", ylim=(0, channels),
                title=f"send-on-delta spikes: {fc.train.times.size} at {fc.rate_hz:.1f} Hz per neuron "
                      f"(delta = {fc.threshold:.4f})")
    axes[2].legend(loc="upper right", markerscale=4)
    axes[3].imshow(rec.T, aspect="auto", origin="lower", extent=ext, cmap="magma", vmin=0, vmax=1)
    axes[3].set(ylabel="channel", title=f"delta reconstruction (integrated up/down spikes): NRMSE "
                                        f"{D.nrmse(fc.envelope, rec):.3f}")
    axes[4].imshow(reci.T, aspect="auto", origin="lower", extent=ext, cmap="magma", vmin=0, vmax=1)
    axes[4].set(ylabel="channel", xlabel="time (ms)",
                title=f"integrate-and-fire code at {fci.rate_hz:.1f} Hz, decoded: "
                      f"NRMSE {D.nrmse(fci.envelope, reci):.3f}")
    fig.tight_layout()
    fig.savefig(out / "audio_filterbank.png", dpi=100)
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    labels = {"delta": f"send-on-delta ({2 * channels} neurons: up/down)",
              "if": f"integrate-and-fire ({channels} neurons, best window)"}
    for code, style in (("delta", "o-"), ("if", "s--")):
        rr = [r for r in rows if r["code"] == code]
        err = [r["nrmse"] for r in rr]
        axes[0].loglog([r["rate_hz"] for r in rr], err, style, label=labels[code])
        axes[1].loglog([r["spikes"] for r in rr], err, style, label=labels[code])
    axes[0].set(xlabel="mean spike rate per neuron (Hz)", ylabel="cochleagram NRMSE",
                title=f"reconstruction error vs spike rate ({channels} channels, 1 s)")
    axes[1].set(xlabel="spikes per second, all neurons", title="... vs total spikes (the cost on the chip)")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "audio_rate_sweep.png", dpi=100)
    plt.close(fig)
    return {"channels": channels, "sound": "chirp_vowel 1000 ms at 16 kHz", "dt_ms": DT_MS,
            "centers_hz": [round(float(c), 1) for c in fc.centers_hz], "sweep": rows}


def chip_demo(out: Path) -> dict:
    """configs/examples/encode_delta_sine.yaml on the chip: the integrator's v against the decoder."""
    import emulator as ne
    cfg = ne.load_config(ROOT / "configs" / "examples" / "encode_delta_sine.yaml")
    built = ne.build(cfg)
    res = ne.simulate(built)
    steps = cfg.run.timesteps
    delta = cfg.stimulus[0].encoding.params["delta"]
    train = D.train_from_stimulus(built.stimulus, "sensor", 0, steps)
    rec = D.delta_decode(train, delta, steps=steps)[:, 0]
    v = D.membrane_readout(res, "integ", physical=False)[:, 0] / 4096 * delta
    x = np.sin(2 * np.pi * 2.0 * np.arange(steps) * cfg.run.dt_ms / 1000.0)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(13, 4))
    ax.plot(x, lw=1, label="signal (2 Hz sine)")
    ax.step(np.arange(steps), rec, where="post", lw=1, label=f"delta decoder (delta {delta})")
    ax.plot(np.arange(steps) - 1, v, "k:", lw=1.5, label="chip: integrator v / 4096 * delta, one step earlier")
    up = train.indices == 0
    ax.plot(train.times[up], np.full(up.sum(), -1.15), "|", c="tab:red", label="up spikes")
    ax.plot(train.times[~up], np.full((~up).sum(), -1.25), "|", c="tab:blue", label="down spikes")
    ax.set(xlabel="timestep", title="send-on-delta on the chip: membrane readout = decoder, bit for bit")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    fig.savefig(out / "delta_sine_chip.png", dpi=100)
    plt.close(fig)
    return {"spikes": int(train.times.size), "max_abs_error": float(np.abs(x - rec).max()), "delta": delta,
            "chip_readout_equals_decoder": bool(np.array_equal(v[1:], rec[:-1]))}


def markdown_table(rows: list[dict]) -> str:
    lines = ["| code | target (Hz) | rate (Hz) | spikes | threshold | NRMSE | SNR (dB) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        code = r["code"] + (f" (w={r['if_window_steps']})" if r["if_window_steps"] else "")
        lines.append(f"| {code} | {r['target_rate_hz']} | {r['rate_hz']:.2f} | {r['spikes']} | {r['threshold']:.4g} "
                     f"| {r['nrmse']:.3f} | {r['snr_db']:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="out/encoders_demo")
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--no-chip", action="store_true", help="skip the run on the emulated chip")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"digits": digits_demo(out), "audio": audio_demo(out, a.channels)}
    if not a.no_chip:
        report["chip_delta_sine"] = chip_demo(out)
    (out / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "audio"}, indent=2))
    print(markdown_table(report["audio"]["sweep"]))
    print(f"wrote {out}/report.json and PNGs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
