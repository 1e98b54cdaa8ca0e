"""Plots of learning runs (docs/learning.md): learning curves, weight statistics over a schedule,
cue x action weights. Each returns PNG bytes (matplotlib, headless Agg backend)."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def learning_curve_png(x: np.ndarray, accuracy: np.ndarray, title: str, xlabel: str = "training images",
                       ylabel: str = "accuracy") -> bytes:
    """A score in [0, 1] against training progress."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(x, accuracy, marker="o")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def weight_stats_png(w0: np.ndarray, w1: np.ndarray, lo: int, hi: int, curve: np.ndarray) -> bytes:
    """Histogram of the plastic weights before and after, and their entropy and mean over time
    (``curve`` rows: timestep, entropy in bits, mean weight)."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.8))
    a.hist(w0, bins=32, range=(lo, hi + 1), alpha=0.6, label="before")
    a.hist(w1, bins=32, range=(lo, hi + 1), alpha=0.6, label="after")
    a.set_xlabel("weight mantissa")
    a.set_ylabel("synapses")
    a.legend()
    b.plot(curve[:, 0], curve[:, 1], color="C0")
    b.set_xlabel("timestep")
    b.set_ylabel("weight entropy (bits)", color="C0")
    b2 = b.twinx()
    b2.plot(curve[:, 0], curve[:, 2], color="C1", lw=0.8)
    b2.set_ylabel("mean weight", color="C1")
    fig.tight_layout()
    return _png(fig)


def weight_matrix_png(w: np.ndarray, cues: int, actions: int) -> bytes:
    """The learned input x output weights, with the cue groups and action groups marked."""
    fig, ax = plt.subplots(figsize=(6, 4))
    im = ax.imshow(w, aspect="auto", cmap="RdBu_r", vmin=-max(1, abs(w).max()), vmax=max(1, abs(w).max()))
    for c in range(1, cues):
        ax.axhline(c * w.shape[0] / cues - 0.5, color="k", lw=0.8)
    for a in range(1, actions):
        ax.axvline(a * w.shape[1] / actions - 0.5, color="k", lw=0.8)
    ax.set_ylabel(f"input neuron ({cues} cue groups)")
    ax.set_xlabel(f"output neuron ({actions} action groups)")
    fig.colorbar(im, ax=ax, label="weight mantissa")
    fig.tight_layout()
    return _png(fig)


def weight_mosaic_png(weights: np.ndarray, labels: np.ndarray | None = None, side: int | None = None) -> bytes:
    """Learned weights as images, one tile per output neuron (column of ``weights``, shape
    (pixels, neurons)), laid out in one mosaic (one image, so hundreds of tiles draw quickly),
    each tile labelled with its class in ``labels`` (-1: silent)."""
    n_pix, n = weights.shape
    side = side or int(round(np.sqrt(n_pix)))
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    cell = side + 1 + (side // 8 + 3 if labels is not None else 0)       # tile, gap, room for the label
    top = cell - side - 1
    mosaic = np.full((rows * cell, cols * (side + 1)), np.nan)
    for k in range(n):
        r, c = divmod(k, cols)
        mosaic[r * cell + top:r * cell + top + side, c * (side + 1):c * (side + 1) + side] = \
            weights[:, k].reshape(side, -1)
    fig, ax = plt.subplots(figsize=(min(16, 0.45 + cols * 0.55 * max(1, side / 14)),
                                    min(16, 0.45 + rows * 0.62 * max(1, side / 14))))
    cmap = plt.get_cmap("gray_r").with_extremes(bad="white")
    ax.imshow(mosaic, cmap=cmap, vmin=0, vmax=max(1, np.nanmax(weights)), interpolation="nearest")
    if labels is not None:
        for k in range(n):
            r, c = divmod(k, cols)
            ax.text(c * (side + 1) + side / 2, r * cell + top - 0.6, str(labels[k]), ha="center", va="bottom",
                    fontsize=6)
    ax.axis("off")
    fig.tight_layout()
    return _png(fig)
