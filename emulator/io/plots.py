"""Plots a person would rather look at than numbers (matplotlib, headless Agg backend)."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

_MAX_DOTS = 200_000


def raster_png(results) -> bytes:
    """Spike raster (one colour per population) over the per-timestep cycle count."""
    img = results.image
    fig, (ax, axc) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    dt = img.dt_ms
    t0 = results.t_start
    for p in img.populations:
        if p.on_host:
            continue
        t, i = results.spikes(p.name)
        if t.size > _MAX_DOTS:     # thin uniformly so huge runs still plot quickly
            keep = np.linspace(0, t.size - 1, _MAX_DOTS).astype(np.int64)
            t, i = t[keep], i[keep]
        ax.scatter(t * dt, i + p.first_id, s=1, marker="|", label=f"{p.name} ({results.population_rate(p.name):.1f} Hz)")
    ax.set_ylabel("neuron (global id)")
    ax.set_title(f"{results.timesteps} timesteps, {img.n_neurons} neurons on {img.n_cores} cores")
    ax.legend(loc="upper right", markerscale=8, fontsize=8)
    steps = np.arange(t0, t0 + results.step_cycles.size) * dt
    axc.plot(steps, results.step_cycles, lw=0.6)
    axc.set_ylabel("cycles / step")
    axc.set_xlabel("time (ms)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()
