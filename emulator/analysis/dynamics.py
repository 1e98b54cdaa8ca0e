"""Learning dynamics: how a network's weight graph reorganizes during on-chip learning.

From weight snapshots taken every N steps of a :class:`~emulator.engine.Simulation`
(:func:`record_snapshots`), per snapshot:

* **modularity** ``Q`` of the weighted graph of one projection (Louvain or greedy community
  detection, networkx, seeded) and, as a baseline, the modularity of the same graph with its
  weights shuffled over its edges (:func:`null_modularity`);
* **weight-distribution entropy** (bits) of the histogram of the weights over the rule's range;

and over the series, the **flexibility** of module membership: after matching each snapshot's
community labels to the previous one's (maximum overlap, Hungarian), the fraction of
transitions in which a node changes module (Bassett et al. 2011, PNAS 108:7641).
See docs/analysis.md.
"""
from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["Snapshots", "synapse_pairs", "record_snapshots", "weight_graph", "modularity", "null_modularity",
           "partition_noise", "match_labels", "flexibility", "histogram_entropy", "weight_entropy", "DynamicsReport",
           "analyze", "plot_dynamics"]


# ------------------------------------------------------------------ snapshots
def synapse_pairs(image, source: str, target: str, plastic_only: bool = True):
    """(synapse indices, pre indices in ``source``, post indices in ``target``) of the synapses from
    ``source`` to ``target`` in a ChipImage, read from its axon and synapse tables (only the
    plastic ones with ``plastic_only``)."""
    src, tgt = image.population(source), image.population(target)
    ptr, axon = (image.host_out_ptr, image.host_out_axon) if src.on_host else (image.out_ptr, image.out_axon)
    plastic = image.plastic_synapses if plastic_only else None
    syn, pre, post = [], [], []
    for i in range(src.size):
        for a in axon[ptr[src.first_id + i]:ptr[src.first_id + i + 1]]:
            lo, hi = int(image.axon_syn_ptr[a]), int(image.axon_syn_ptr[a + 1])
            gid = image.neuron_ptr[image.axon_core[a]] + image.syn_target[lo:hi].astype(np.int64)
            sel = (gid >= tgt.first_id) & (gid < tgt.first_id + tgt.size)
            if plastic is not None:
                sel &= plastic[lo:hi]
            idx = np.arange(lo, hi)[sel]
            syn.append(idx)
            pre.append(np.full(idx.size, i, np.int64))
            post.append(gid[sel] - tgt.first_id)
    cat = (lambda parts: np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64))
    return cat(syn), cat(pre), cat(post)


@dataclass(eq=False)
class Snapshots:
    """Weights of one projection's synapses over time."""
    times: np.ndarray        #: (S,) timestep of each snapshot
    weights: np.ndarray      #: (S, n_synapses) weight mantissas
    pre: np.ndarray          #: (n_synapses,) source index of each synapse
    post: np.ndarray         #: (n_synapses,) target index
    n_pre: int
    n_post: int
    recurrent: bool          #: source and target are the same population (nodes are shared)
    lo: int                  #: weight range (the learning rule's wmin, wmax) for the entropy histogram
    hi: int
    phases: list = field(default_factory=list)   #: (kind, first step, end step) of each phase, if any

    def matrix(self, k: int) -> np.ndarray:
        """(n_pre, n_post) weights of snapshot k (0 where there is no synapse)."""
        w = np.zeros((self.n_pre, self.n_post))
        np.add.at(w, (self.pre, self.post), self.weights[k].astype(np.float64))
        return w


def _weight_range(image, syn: np.ndarray) -> tuple[int, int]:
    from ..learning.kernels import RULE_PARAMS
    rules = np.unique(np.repeat(image.axon_rule, np.diff(image.axon_syn_ptr))[syn]) if syn.size else []
    rules = [r for r in rules if r >= 0]
    if not rules:
        w = image.syn_weight[syn]
        return (int(w.min()), int(w.max())) if w.size else (0, 0)
    lo_i, hi_i = RULE_PARAMS.index("wmin"), RULE_PARAMS.index("wmax")
    return int(min(image.rule_param[r, lo_i] for r in rules)), int(max(image.rule_param[r, hi_i] for r in rules))


def record_snapshots(sim, source: str, target: str, every: int, steps: int | None = None, phases=None,
                     plastic_only: bool = True) -> Snapshots:
    """Run ``sim`` and copy the weights from ``source`` to ``target`` at its current step and then
    every ``every`` steps (and at the end of every phase).

    Either ``steps`` (the projection's own rules) or ``phases``: a list of
    :class:`emulator.learning.schedule.Phase`, each switching every plastic projection to its
    rule (``dw``; None: the image's rules) for its ``steps``. The run is cut into chunks of at most
    ``every`` steps; spikes and weights do not depend on how a run is cut.
    """
    if every < 1:
        raise ValueError("every must be >= 1")
    if (steps is None) == (phases is None):
        raise ValueError("give exactly one of steps or phases")
    from ..learning.schedule import Phase, phase_windows, use_rule
    plan = [Phase("run", steps)] if phases is None else list(phases)
    syn, pre, post = synapse_pairs(sim.image, source, target, plastic_only)
    lo, hi = _weight_range(sim.image, syn)
    times, weights = [sim.t], [sim.weights[syn].copy()]
    for p in plan:
        if phases is not None:
            use_rule(sim, p.dw)
        done = 0
        while done < p.steps:
            n = min(every, p.steps - done)
            sim.run(n)
            done += n
            times.append(sim.t)
            weights.append(sim.weights[syn].copy())
    if phases is not None:
        use_rule(sim, None)
    t0 = times[0]
    windows = [(k, lo_ + t0, hi_ + t0) for k, lo_, hi_ in phase_windows(plan)] if phases is not None else []
    return Snapshots(np.array(times, np.int64), np.stack(weights), pre, post, sim.image.population(source).size,
                     sim.image.population(target).size, source == target, lo, hi, windows)


# ------------------------------------------------------------------ graph measures
def weight_graph(w: np.ndarray, recurrent: bool = True):
    """Undirected weighted networkx graph of a weight matrix ``w`` (n_pre, n_post).

    Recurrent (square, shared nodes): edge i-j with weight ``w_ij + w_ji`` (self-loops dropped).
    Otherwise bipartite: pre nodes ``0..n_pre-1``, post nodes ``n_pre..``. Only positive weights
    make edges (modularity needs non-negative weights; inhibitory ones are left out)."""
    import networkx as nx
    w = np.maximum(np.asarray(w, np.float64), 0.0)
    if recurrent:
        if w.shape[0] != w.shape[1]:
            raise ValueError(f"a recurrent weight matrix must be square, got {w.shape}")
        a = w + w.T
        np.fill_diagonal(a, 0.0)
    else:
        n, m = w.shape
        a = np.zeros((n + m, n + m))
        a[:n, n:] = w
        a[n:, :n] = w.T
    return nx.from_numpy_array(a)


def _labels(communities, n: int) -> np.ndarray:
    """Community label of every node: communities ordered by size (largest first), then smallest node."""
    order = sorted(communities, key=lambda c: (-len(c), min(c)))
    out = np.full(n, -1, np.int64)
    for k, c in enumerate(order):
        out[list(c)] = k
    return out


def modularity(w: np.ndarray, recurrent: bool = True, seed: int = 0, method: str = "louvain",
               resolution: float = 1.0) -> tuple[float, np.ndarray]:
    """(Q, community label per node) of the weight graph of ``w`` (:func:`weight_graph`).

    ``Q = sum_c [L_c / m - (d_c / 2m)^2]`` (Newman 2006, weighted): L_c the weight inside community c,
    d_c its total degree, m the total weight. ``method``: ``louvain`` (networkx
    ``louvain_communities``, node order shuffled by ``seed``: same seed, same partition) or
    ``greedy`` (``greedy_modularity_communities``, deterministic). A graph without edges has Q = 0
    and every node alone."""
    import networkx as nx
    g = weight_graph(w, recurrent)
    n = g.number_of_nodes()
    if g.size(weight="weight") == 0:
        return 0.0, np.arange(n, dtype=np.int64)
    if method == "louvain":
        comms = nx.community.louvain_communities(g, weight="weight", resolution=resolution, seed=seed)
    elif method == "greedy":
        comms = nx.community.greedy_modularity_communities(g, weight="weight", resolution=resolution)
    else:
        raise ValueError(f"unknown community method {method!r}; louvain or greedy")
    q = nx.community.modularity(g, comms, weight="weight", resolution=resolution)
    return float(q), _labels(comms, n)


def null_modularity(w: np.ndarray, recurrent: bool = True, seed: int = 0, method: str = "louvain",
                    shuffles: int = 3) -> float:
    """Mean modularity of ``w`` with its non-zero weights shuffled over the same synapses
    (seeded): what the topology alone gives, without the learned arrangement of weights."""
    rng = np.random.default_rng(seed)
    nz = np.nonzero(w)
    qs = []
    for k in range(shuffles):
        s = np.zeros_like(w, dtype=np.float64)
        s[nz] = rng.permutation(np.asarray(w, np.float64)[nz])
        qs.append(modularity(s, recurrent, seed + k, method)[0])
    return float(np.mean(qs))


def partition_noise(w: np.ndarray, recurrent: bool = True, seeds: int = 4, method: str = "louvain") -> float:
    """How much community detection alone moves nodes on one graph: the mean fraction of nodes whose
    module (matched with :func:`match_labels`) differs between the partition of seed 0 and those of
    seeds 1 .. seeds-1. A flexibility near this level is what a graph without a clear modular
    structure gives even when nothing in it changes much (many near-optimal partitions)."""
    base = modularity(w, recurrent, 0, method)[1]
    diffs = [np.mean(match_labels(base, modularity(w, recurrent, s, method)[1]) != base) for s in range(1, seeds)]
    return float(np.mean(diffs)) if diffs else 0.0


def match_labels(reference: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``labels`` renamed to agree with ``reference`` as far as possible: the one-to-one pairing of
    communities with the largest total overlap (Hungarian, scipy ``linear_sum_assignment``); a
    community paired with none (or with no overlap) gets a new label, counting up from
    ``max(reference) + 1``."""
    from scipy.optimize import linear_sum_assignment
    reference, labels = np.asarray(reference, np.int64), np.asarray(labels, np.int64)
    ref_ids, ref_inv = np.unique(reference, return_inverse=True)
    new_ids, new_inv = np.unique(labels, return_inverse=True)
    overlap = np.zeros((ref_ids.size, new_ids.size), np.int64)
    np.add.at(overlap, (ref_inv, new_inv), 1)
    rows, cols = linear_sum_assignment(-overlap)
    rename = {}
    for r, c in zip(rows, cols):
        if overlap[r, c] > 0:
            rename[c] = ref_ids[r]
    fresh = int(reference.max(initial=-1)) + 1
    for c in range(new_ids.size):
        if c not in rename:
            rename[c] = fresh
            fresh += 1
    return np.array([rename[c] for c in range(new_ids.size)], np.int64)[new_inv]


def flexibility(label_series) -> np.ndarray:
    """Per node: the fraction of consecutive snapshots in which its module changes, after each
    snapshot's labels are matched to the previous (matched) ones with :func:`match_labels`.
    (S, n) labels -> (n,) values in [0, 1]; fewer than two snapshots -> zeros."""
    m = _match_series(label_series)
    if m.shape[0] < 2:
        return np.zeros(m.shape[1] if m.ndim == 2 else 0)
    return (m[1:] != m[:-1]).mean(axis=0)


def _match_series(label_series) -> np.ndarray:
    """(S, n) labels with every snapshot matched to the previous matched one."""
    series = np.asarray(label_series, np.int64)
    if series.shape[0] == 0:
        return series
    matched = [series[0]]
    for s in series[1:]:
        matched.append(match_labels(matched[-1], s))
    return np.stack(matched)


def histogram_entropy(counts) -> float:
    """Shannon entropy in bits of a histogram: ``-sum p log2 p`` with ``p = counts / sum`` (empty bins add 0)."""
    c = np.asarray(counts, np.float64).ravel()
    if c.sum() <= 0:
        return 0.0
    p = c[c > 0] / c.sum()
    return float(-(p * np.log2(p)).sum()) + 0.0


def weight_entropy(w, lo: int, hi: int, bins: int = 32) -> float:
    """Entropy (bits) of the histogram of integer weights ``w`` over ``bins`` equal bins of
    ``[lo, hi + 1)``: log2(bins) when flat, 0 when every weight sits in one bin (e.g. saturated)."""
    h, _ = np.histogram(np.asarray(w), bins=bins, range=(lo, hi + 1))
    return histogram_entropy(h)


# ------------------------------------------------------------------ the report
@dataclass
class DynamicsReport:
    """Every measure per snapshot, and the flexibility over the series."""
    times: list
    modularity: list
    null_modularity: list
    modules: list                #: number of communities with at least 2 nodes
    entropy_bits: list
    mean_weight: list
    flexibility_mean: float
    flexibility: list            #: per node
    partition_noise: list        #: per snapshot, see :func:`partition_noise` (the detection's own variability)
    labels: list                 #: (S, nodes) matched community labels
    method: str
    seed: int
    phases: list = field(default_factory=list)

    def summary(self) -> dict:
        d = asdict(self)
        del d["labels"], d["flexibility"]
        return d


def analyze(snaps: Snapshots, seed: int = 0, method: str = "louvain", null_shuffles: int = 3,
            bins: int = 32, noise_seeds: int = 4) -> DynamicsReport:
    """Modularity (and its shuffled-weight baseline), module count, weight entropy and partition
    noise of every snapshot, and the flexibility of module membership over the series
    (``null_shuffles`` / ``noise_seeds`` 0: skip those baselines, NaN)."""
    qs, nulls, mods, ents, means, labels, noise = [], [], [], [], [], [], []
    for k in range(snaps.times.size):
        w = snaps.matrix(k)
        q, lab = modularity(w, snaps.recurrent, seed, method)
        qs.append(q)
        nulls.append(null_modularity(w, snaps.recurrent, seed + 1000, method, null_shuffles) if null_shuffles else
                     float("nan"))
        noise.append(partition_noise(w, snaps.recurrent, noise_seeds, method) if noise_seeds > 1 else float("nan"))
        mods.append(int(np.sum(np.bincount(lab) >= 2)))
        ents.append(weight_entropy(snaps.weights[k], snaps.lo, snaps.hi, bins))
        means.append(float(snaps.weights[k].mean()) if snaps.weights.shape[1] else 0.0)
        labels.append(lab)
    matched = _match_series(np.stack(labels))
    flex = (matched[1:] != matched[:-1]).mean(axis=0) if len(labels) > 1 else np.zeros(matched.shape[1])
    return DynamicsReport([int(t) for t in snaps.times], qs, nulls, mods, ents, means, float(flex.mean()),
                          flex.tolist(), noise, matched.tolist(), method, seed,
                          [list(p) for p in snaps.phases])


def plot_dynamics(reports: dict, title: str = "") -> bytes:
    """PNG: modularity (solid) and its shuffled baseline (dotted), module count, weight entropy and
    mean weight over time, one colour per report; the per-node flexibility as histograms."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    ax_q, ax_m, ax_h, ax_w, ax_f, ax_l = axes.ravel()
    for k, (name, r) in enumerate(reports.items()):
        c = f"C{k}"
        ax_q.plot(r.times, r.modularity, "-", color=c, label=f"{name}")
        ax_q.plot(r.times, r.null_modularity, ":", color=c, label=f"{name}: weights shuffled")
        ax_m.plot(r.times, r.modules, "-", color=c, label=name)
        ax_h.plot(r.times, r.entropy_bits, "-", color=c, label=name)
        ax_w.plot(r.times, r.mean_weight, "-", color=c, label=name)
        ax_f.hist(r.flexibility, bins=20, range=(0, 1), alpha=0.5, color=c,
                  label=f"{name}: mean {r.flexibility_mean:.3f}")
        if np.isfinite(np.nanmean(r.partition_noise)):
            ax_f.axvline(np.nanmean(r.partition_noise), color=c, ls=":",
                         label=f"{name}: partition noise {np.nanmean(r.partition_noise):.3f}")
        for kind, lo, hi in r.phases:
            if kind == "sleep":
                for ax in (ax_q, ax_m, ax_h, ax_w):
                    ax.axvspan(lo, hi, color=c, alpha=0.04, lw=0)
    ax_q.set(ylabel="modularity Q", title="modularity of the weight graph")
    ax_m.set(ylabel="modules (>= 2 nodes)", title="number of modules")
    ax_h.set(ylabel="bits", title="weight-distribution entropy")
    ax_w.set(ylabel="mean weight mantissa", title="mean weight")
    ax_f.set(xlabel="flexibility (fraction of snapshots a node changes module)", ylabel="nodes",
             title="flexibility of module membership")
    for ax in (ax_q, ax_m, ax_h, ax_w):
        ax.set_xlabel("timestep")
    for ax in (ax_q, ax_m, ax_h, ax_w, ax_f):
        ax.legend(fontsize=7)
    last = list(reports.values())[-1]
    lab = np.asarray(last.labels)
    ax_l.imshow(lab.T, aspect="auto", interpolation="nearest", cmap="tab20",
                extent=[0, lab.shape[0], lab.shape[1], 0])
    ax_l.set(xlabel="snapshot", ylabel="node", title=f"{list(reports)[-1]}: matched module labels")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()
