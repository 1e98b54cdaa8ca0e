"""Placement picture: the mesh with each core's populations and the estimated traffic between cores."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

_MAX_LINKS = 400     #: draw at most this many of the heaviest core-to-core links


def placement_png(report) -> bytes:
    """PNG of ``report`` (a MappingReport): routers as a grid, used cores coloured by their first
    population and labelled with the core index and neuron count, lines between cores with a width
    proportional to the estimated packets per timestep, and the host's traffic from router (0, 0)."""
    chip = report.chip
    w, h = chip.mesh_width, chip.mesh_height
    xy = report.core_xy
    pops = sorted({p for core in report.core_populations for p in core[:1]})
    colors = {p: plt.cm.tab20(i % 20) for i, p in enumerate(pops)}
    scale = max(w, h)
    fig, ax = plt.subplots(figsize=(min(3 + 0.6 * w, 16), min(2 + 0.6 * h, 16)))
    ax.set_xlim(-1, w)
    ax.set_ylim(h, -1.5)
    ax.set_aspect("equal")
    gx, gy = np.meshgrid(np.arange(w), np.arange(h))
    ax.scatter(gx.ravel(), gy.ravel(), s=4, c="0.8", zorder=1)
    t = report.traffic if report.traffic is not None else np.zeros((len(xy), len(xy)))
    links = np.argwhere((t + t.T) > 0)
    links = links[links[:, 0] < links[:, 1]]
    if links.size:
        weight = (t + t.T)[links[:, 0], links[:, 1]]
        keep = np.argsort(-weight)[:_MAX_LINKS]
        links, weight = links[keep], weight[keep]
        widths = 0.5 + 5 * weight / weight.max()
        for (a, b), lw in zip(links, widths):
            ax.plot([xy[a, 0], xy[b, 0]], [xy[a, 1], xy[b, 1]], color="tab:red", alpha=0.35, lw=lw, zorder=2)
    host = report.host_traffic if report.host_traffic is not None else np.zeros(len(xy))
    if host.sum() > 0:
        ax.scatter([-0.6], [-0.9], marker="s", s=120, c="black", zorder=4)
        ax.annotate("host", (-0.6, -0.9), xytext=(6, -4), textcoords="offset points", fontsize=7)
        for c in np.flatnonzero(host):
            ax.plot([-0.6, xy[c, 0]], [-0.9, xy[c, 1]], color="black", alpha=0.2,
                    lw=0.5 + 3 * host[c] / host.max(), zorder=2)
    for c, (x, y) in enumerate(xy):
        first = report.core_populations[c][0] if report.core_populations[c] else ""
        ax.add_patch(plt.Rectangle((x - 0.4, y - 0.4), 0.8, 0.8, color=colors.get(first, "0.6"), zorder=3))
        if scale <= 24:
            ax.text(x, y, f"{c}\n{int(report.neurons[c])}", ha="center", va="center", fontsize=6, zorder=5)
    for p in pops:
        ax.scatter([], [], marker="s", color=colors[p], label=p)
    if pops:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, title="population", title_fontsize=7)
    ax.set_title(f"{len(xy)} cores on the {w} x {h} mesh ({report.strategy} placement): "
                 f"{report.hop_cost:.0f} packet-hops/step (row-major: {report.hop_cost_linear:.0f})", fontsize=8)
    ax.set_xticks(range(w))
    ax.set_yticks(range(h))
    ax.tick_params(labelsize=6)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


__all__ = ["placement_png"]
