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


def noc_heatmap_png(noc) -> bytes:
    """Link-load heatmap of the mesh (an ``emulator.router.NocStats``).

    Each directed router-to-router link is a bar beside the line joining the two routers
    (eastbound above westbound, northbound right of southbound), coloured by the packets
    it carried; each router's square is coloured by the packets delivered to its core.
    Only the routers that carried traffic are drawn (their bounding box, one router of margin).
    """
    from matplotlib.collections import LineCollection
    w, h = noc.width, noc.height
    load = noc.link_load
    ys, xs = np.nonzero(load.sum(axis=-1))
    x0, x1 = (max(0, xs.min() - 1), min(w - 1, xs.max() + 1)) if xs.size else (0, w - 1)
    y0, y1 = (max(0, ys.min() - 1), min(h - 1, ys.max() + 1)) if ys.size else (0, h - 1)
    segs, vals = [], []
    for y in range(y0, y1 + 1):
        for x in range(x0, x1 + 1):
            for o, (dx, dy) in enumerate(((0, 1), (1, 0), (0, -1), (-1, 0))):   # N, E, S, W
                if x0 <= x + dx <= x1 and y0 <= y + dy <= y1:
                    off = 0.1 if o in (0, 1) else -0.1            # the two directions side by side
                    px, py = (off, 0) if dx == 0 else (0, off)
                    segs.append([(x + 0.25 * dx + px, y + 0.25 * dy + py), (x + 0.75 * dx + px, y + 0.75 * dy + py)])
                    vals.append(load[y, x, o])
    bw, bh = x1 - x0 + 1, y1 - y0 + 1
    cell = min(0.8, 9.0 / max(bw, bh))
    fig, ax = plt.subplots(figsize=(max(5.0, cell * bw + 3.5), max(3.5, cell * bh + 1.2)))
    deliv = ax.imshow(load[y0:y1 + 1, x0:x1 + 1, 4], origin="lower", cmap="Blues", alpha=0.5,
                      extent=(x0 - 0.5, x1 + 0.5, y0 - 0.5, y1 + 0.5), vmin=0)
    if segs:
        cmap = plt.get_cmap("inferno_r").with_extremes(under="0.9")     # idle links in light grey
        lc = LineCollection(segs, cmap=cmap, linewidths=max(1.5, 24.0 / max(bw, bh)))
        lc.set_array(np.asarray(vals, dtype=float))
        lc.set_clim(0.5, max(1, max(vals)))
        ax.add_collection(lc)
        fig.colorbar(lc, ax=ax, label="packets per link", shrink=0.8)
    fig.colorbar(deliv, ax=ax, label="packets delivered to the core", shrink=0.8)
    ax.set_aspect("equal")
    ax.set_xlim(x0 - 0.5, x1 + 0.5)
    ax.set_ylim(y0 - 0.5, y1 + 0.5)
    ax.set_xlabel("x (east)")
    ax.set_ylabel("y (north)")
    busiest = noc.busiest_link()
    where = f"; busiest {busiest['from']} -> {busiest['to']}: {busiest['packets']}" if busiest else ""
    shown = "" if (bw, bh) == (w, h) else f" (routers x {x0}-{x1}, y {y0}-{y1} of the {w} x {h} mesh)"
    ax.set_title(f"NoC link load ({noc.spec.mode} mode){shown}\n{noc.packets} packets, {noc.hops} hops{where}",
                 fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


# ---- learning (docs/learning.md) ------------------------------------------------
def weight_images_png(weights: np.ndarray, labels: np.ndarray | None = None, side: int | None = None) -> bytes:
    """Learned weights as images: one tile per target neuron (column of ``weights``, shape
    (pixels, neurons)), titled with its class in ``labels`` (-1: silent)."""
    n_pix, n = weights.shape
    side = side or int(round(np.sqrt(n_pix)))
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 1.0), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            ax.imshow(weights[:, k].reshape(side, -1), cmap="gray_r", vmin=0, vmax=max(1, weights.max()))
            if labels is not None:
                ax.set_title(str(labels[k]), fontsize=7)
    fig.tight_layout()
    return _png(fig)


def learning_curve_png(steps: np.ndarray, accuracy: np.ndarray, title: str = "accuracy over training") -> bytes:
    """Test accuracy (or any score in [0, 1]) against training images seen."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(steps, accuracy, marker="o")
    ax.set_xlabel("training images")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()
