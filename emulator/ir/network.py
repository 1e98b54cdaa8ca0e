"""Network IR: what the user means, in float (stage 2 of the build).

``build_network(RunConfig) -> Network`` materializes every projection's
connectivity, weights and delays from the run seed, so the IR is concrete:
the mapper (``emulator.mapping``) and the float reference simulator
(``emulator.ir.float_sim``) consume exactly the same synapses. Weights are in
the target's v units (physical targets) or raw mantissas (fixed targets);
delays are in timesteps.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from ..config.types import Distribution, ProjectionConfig, RunConfig
from ..errors import ConfigError
from ..neurons.models import SOURCE, FloatForm, get_model


@dataclass(frozen=True)
class Population:
    name: str
    size: int
    model: str                       #: a neuron model name, or "source"
    #: complete physical parameters; a numeric one may be a float64 array (size,) of per-neuron values
    #: (trained thresholds, biases, time constants from NIR import or ANN conversion)
    params: dict = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)    #: raw register values (fixed-point mode)
    max_per_core: int | None = None
    initial: dict = field(default_factory=dict)  #: variable name -> float64 array (size,)

    @property
    def is_source(self) -> bool:
        return self.model == SOURCE

    @property
    def is_fixed(self) -> bool:
        return bool(self.fixed)


@dataclass(frozen=True, eq=False)
class Projection:
    name: str
    source: str
    target: str
    pre: np.ndarray                  #: int32 source indices, one per synapse
    post: np.ndarray                 #: int32 target indices
    weight: np.ndarray               #: float64 (physical) or integer-valued mantissas (fixed)
    delay: np.ndarray                #: int32 timesteps
    weight_exp: int | None = None    #: given for fixed-point targets
    port: str = "auto"
    plasticity: object = None        #: emulator.learning.LearningSpec of a plastic projection, else None

    @property
    def n_synapses(self) -> int:
        return int(self.pre.size)


@dataclass(frozen=True)
class Network:
    populations: tuple[Population, ...]
    projections: tuple[Projection, ...]
    dt_ms: float
    seed: int = 0                    #: run seed (seeds the learning engine's LFSRs)

    def population(self, name: str) -> Population:
        for p in self.populations:
            if p.name == name:
                return p
        raise KeyError(f"no population {name!r}; have {', '.join(p.name for p in self.populations)}")

    @property
    def n_synapses(self) -> int:
        return sum(p.n_synapses for p in self.projections)

    def float_forms(self) -> dict:
        """FloatForm of every physical neuron population, by name."""
        return {p.name: population_float_form(p, self.dt_ms)
                for p in self.populations if not p.is_source and not p.is_fixed}


def population_float_form(pop: Population, dt_ms: float) -> FloatForm:
    """The model's FloatForm of ``pop``, with per-neuron parameter arrays allowed.

    Scalar parameters give the model's scalar FloatForm. With arrays, the
    model's ``float_form`` is evaluated once per distinct parameter
    combination and the numeric fields become float64 (or int64) arrays of
    length ``size``; the flags (``subtract``, ``dual``, ``adaptive``) stay
    population-wide.
    """
    model = get_model(pop.model)
    arrays = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (pop.size,))
              for k, v in pop.params.items() if isinstance(v, np.ndarray)}
    if not arrays:
        return model.float_form(pop.params, dt_ms)
    keys = sorted(arrays)
    combos, inverse = np.unique(np.stack([arrays[k] for k in keys], axis=1), axis=0, return_inverse=True)
    forms = [model.float_form({**pop.params, **{k: float(v) for k, v in zip(keys, row)}}, dt_ms) for row in combos]
    inverse = inverse.ravel()
    out = {}
    for f in fields(FloatForm):
        vals = [getattr(ff, f.name) for ff in forms]
        if isinstance(vals[0], bool):
            out[f.name] = vals[0]
        else:
            out[f.name] = np.asarray(vals)[inverse]
    return FloatForm(**out)


def projection_rng(seed: int, index: int) -> np.random.Generator:
    """Independent, reproducible stream for projection ``index`` of a run seeded ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([seed, 0x5EED, index]))


def population_rng(seed: int, index: int) -> np.random.Generator:
    """Independent stream for the initial state of population ``index``."""
    return np.random.default_rng(np.random.SeedSequence([seed, 0x1A17, index]))


def build_network(cfg: RunConfig) -> Network:
    """Materialize the validated config into the float Network IR."""
    pops = tuple(_with_params_file(
        Population(p.name, p.size, p.model, dict(p.params), dict(p.fixed), p.max_per_core,
                   {var: sample(dist, p.size, population_rng(cfg.run.seed, i))
                    for var, dist in sorted(p.initial.items())}), p.params_file)
        for i, p in enumerate(cfg.network.populations))
    sizes = {p.name: p.size for p in pops}
    dt = cfg.run.dt_ms
    projs = tuple(_materialize(pc, sizes[pc.source], sizes[pc.target], dt, projection_rng(cfg.run.seed, i),
                               Path(cfg.base_dir))
                  for i, pc in enumerate(cfg.network.projections))
    return Network(pops, projs, dt, cfg.run.seed)


def _with_params_file(pop: Population, file: str | None) -> Population:
    """``pop`` with the per-neuron arrays of its params file (checked by the loader) applied."""
    if not file:
        return pop
    params, initial = dict(pop.params), dict(pop.initial)
    with np.load(file) as z:
        for key in z.files:
            a = np.asarray(z[key], np.float64)
            if key.startswith("initial_"):
                initial[key[len("initial_"):]] = np.broadcast_to(a, (pop.size,)).copy()
            else:
                params[key] = a.copy() if a.ndim else float(a)
    return Population(pop.name, pop.size, pop.model, params, dict(pop.fixed), pop.max_per_core, initial)


def _materialize(pc: ProjectionConfig, n_pre: int, n_post: int, dt_ms: float,
                 rng: np.random.Generator, base: Path) -> Projection:
    weight = delay = None
    if pc.connectivity == "all_to_all":
        pre, post = np.divmod(np.arange(n_pre * n_post, dtype=np.int64), n_post)
    elif pc.connectivity == "one_to_one":
        pre = post = np.arange(n_pre, dtype=np.int64)
    elif pc.connectivity == "fixed_probability":
        pre, post = _fixed_probability(n_pre, n_post, pc.p, rng)
    elif pc.connectivity == "fixed_indegree":
        pre, post = _fixed_indegree(n_pre, n_post, pc.indegree, pc.allow_self and pc.source == pc.target, rng)
    elif pc.connectivity == "explicit":
        pre, post, weight, delay = _load_explicit(pc, n_pre, n_post, base)
    else:  # the loader rejects anything else
        raise ConfigError(pc.path + ".connectivity", f"unknown connectivity {pc.connectivity!r}")
    if not pc.allow_self and pc.source == pc.target:
        keep = pre != post
        pre, post = pre[keep], post[keep]
        weight = None if weight is None else weight[keep]
        delay = None if delay is None else delay[keep]
    n = pre.size
    if weight is None:
        weight = sample(pc.weight, n, rng)
    if delay is None:
        d = sample(pc.delay, n, rng)
        delay = np.rint(d / dt_ms) if pc.delay_unit == "ms" else d
    return Projection(pc.name, pc.source, pc.target, pre.astype(np.int32), post.astype(np.int32),
                      np.asarray(weight, dtype=np.float64), np.asarray(delay).astype(np.int32),
                      pc.weight_exp, pc.port, pc.plasticity)


def sample(dist: Distribution, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of a Distribution (a constant is broadcast, no draw is made)."""
    if dist.kind == "const":
        return np.full(n, dist.value, dtype=np.float64)
    if dist.kind == "uniform":
        return rng.uniform(dist.low, dist.high, n)
    if dist.kind == "normal":
        return rng.normal(dist.mean, dist.std, n)
    if dist.kind == "uniform_int":
        return rng.integers(int(dist.low), int(dist.high) + 1, n).astype(np.float64)
    raise ValueError(f"unknown distribution kind {dist.kind!r}")


def _fixed_probability(n_pre, n_post, p, rng):
    """Bernoulli(p) for every (pre, post) pair, in O(synapses) time and memory.

    The connected pairs of a Bernoulli process over the row-major pair index
    ``pre * n_post + post`` are spaced by independent Geometric(p) gaps, so the gaps
    are drawn instead of one number per pair (16 M pairs of the CUBA network: 0.3 M gaps).
    """
    total = n_pre * n_post
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    parts, last = [], -1
    while True:
        expect = (total - 1 - last) * p                    # connected pairs still to come
        gaps = rng.geometric(p, int(expect + 6 * np.sqrt(expect) + 16))
        idx = last + np.cumsum(gaps)
        if idx[-1] >= total:
            parts.append(idx[idx < total])
            break
        parts.append(idx)
        last = int(idx[-1])
    return np.divmod(np.concatenate(parts), n_post)


def _fixed_indegree(n_pre, n_post, k, exclude_self, rng):
    """Each target gets exactly ``k`` distinct random sources (not itself with ``exclude_self``).

    Vectorized: all ``n_post x k`` draws at once, then only the rows holding a
    duplicate are redrawn until none is left (rare when ``k`` << pool); small
    pools use one random permutation per row instead.
    """
    pool = n_pre - 1 if exclude_self else n_pre
    if 4 * k > pool:
        choice = rng.permuted(np.broadcast_to(np.arange(pool), (n_post, pool)), axis=1)[:, :k]
    else:
        choice = rng.integers(0, pool, size=(n_post, k))
        while True:
            srt = np.sort(choice, axis=1)
            bad = np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))
            if bad.size == 0:
                break
            choice[bad] = rng.integers(0, pool, size=(bad.size, k))
    if exclude_self:
        choice = choice + (choice >= np.arange(n_post)[:, None])
    return choice.ravel().astype(np.int64), np.repeat(np.arange(n_post, dtype=np.int64), k)


def _load_explicit(pc: ProjectionConfig, n_pre: int, n_post: int, base: Path):
    path = Path(pc.file) if Path(pc.file).is_absolute() else base / pc.file
    where = pc.path + ".file"
    try:
        data = np.load(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(where, f"cannot read {path}: {exc}") from None
    if isinstance(data, np.ndarray):
        if data.shape != (n_pre, n_post):
            raise ConfigError(where, f"{path.name} has shape {data.shape}; expected ({n_pre}, {n_post}) "
                              f"= ({pc.source} size, {pc.target} size)")
        pre, post = np.nonzero(data)
        return pre, post, data[pre, post].astype(np.float64), None
    with data:
        missing = {"pre", "post", "weight"} - set(data.files)
        if missing:
            raise ConfigError(where, f"{path.name} lacks arrays {sorted(missing)}; needs pre, post, weight")
        pre, post, w = (np.asarray(data[k]).ravel() for k in ("pre", "post", "weight"))
        delay = np.asarray(data["delay"]).ravel().astype(np.int64) if "delay" in data.files else None
    if not (pre.size == post.size == w.size) or (delay is not None and delay.size != pre.size):
        raise ConfigError(where, f"{path.name}: pre, post, weight (and delay) must have equal lengths")
    for arr, n, what in ((pre, n_pre, pc.source), (post, n_post, pc.target)):
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise ConfigError(where, f"{path.name}: index {int(arr.max())} out of range for "
                              f"population '{what}' of size {n}")
    return pre.astype(np.int64), post.astype(np.int64), w.astype(np.float64), delay
