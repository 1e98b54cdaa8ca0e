"""NIR graph -> Network IR (``from_nir``): neuron nodes become populations, chains of linear
nodes between them become projections.

Every neuron node (LIF, CubaLIF, IF, LI, CubaLI, I, Threshold) becomes one
population; every top-level Input node a host ``source`` population. The
linear nodes between them (Affine, Linear, Scale, Conv1d, Conv2d, SumPool2d,
AvgPool2d, Flatten, Delay) are composed into one sparse matrix per
(source population, delay) -- the explicit synapses of one projection -- plus
a bias vector that becomes the target neurons' bias. Recurrent edges are just
projections whose target is their source (or an earlier layer).

The continuous-time neuron equations become the chip's per-step recurrence
for the chosen ``dt`` (docs/mapping.md, "Discretization"):

* decay per step ``g = dt/tau`` (``euler``, capped at 1) or ``1 - exp(-dt/tau)`` (``exact``);
* CubaLIF: ``I <- (1-g_s) I + g_s w_in x``, ``v <- (1-g_m) v + g_m (v_leak + r I)`` (the voltage
  uses the updated current, as snnTorch and Lava do) -> ``lif`` with u = r I, synaptic weight
  ``r w_in g_s W``, bias ``v_leak + r w_in b``;
* LIF: ``v <- (1-g) v + g (v_leak + r x)`` -> ``lif`` with ``tau_syn = 0``, weight ``r W``;
* IF and I (integrator): ``v <- v + r x`` per step (the convention of the libraries that export
  them: no dt factor) -> ``if``;
* LI, CubaLI, I do not spike: a chip threshold at their worst-case voltage, read out through
  the probed ``v``;
* Threshold: ``z = x > threshold`` with no memory -> ``lif`` with ``tau_mem = dt``.

``v_reset`` shifts the voltage (the chip resets to 0); whether a neuron resets to
``v_reset`` or subtracts its threshold is not in NIR: ``ImportOptions.reset``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .. import fixed as fx
from ..neurons.models import SOURCE, get_model
from . import linear_ops as lo
from .network import Network, Population, Projection
from .nir_graph import FlatGraph, GraphError, evaluation_order, flatten

RESETS = ("zero", "subtract")
DISCRETIZATIONS = ("euler", "exact")
NEURON_KINDS = ("LIF", "CubaLIF", "IF", "LI", "CubaLI", "I", "Threshold")
LINEAR_KINDS = ("Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten", "Delay")


@dataclass(frozen=True)
class ImportOptions:
    dt_s: float | None = None           #: timestep in seconds; required when a node has time constants
    reset: str = "zero"                 #: 'zero' (v <- v_reset, NIR's equations) or 'subtract'
    discretization: str = "euler"       #: 'euler' (dt/tau) or 'exact' (1 - exp(-dt/tau))
    integrator_steps: int = 256         #: horizon assumed when sizing an I (integrator) readout's v range


@dataclass(frozen=True)
class Readout:
    """What a NIR Output node reads: spikes of a population, or its voltage (non-spiking nodes)."""
    node: str
    population: str
    kind: str               #: 'spikes' or 'v'
    shape: tuple[int, ...]


@dataclass(frozen=True)
class ImportedModel:
    network: Network
    graph: FlatGraph
    options: ImportOptions
    inputs: dict            #: Input node name -> (population name, shape)
    readouts: tuple[Readout, ...]
    populations: dict       #: neuron node name -> population name
    latency: dict           #: population -> steps the chip lags the float reference there (synaptic hops)
    notes: tuple[str, ...] = ()


@dataclass
class _Neuron:
    """A neuron node translated to a chip model, before its synapses are known."""
    model: str
    params: dict
    shape: tuple[int, ...]
    weight_factor: np.ndarray       #: per neuron: synaptic weight = factor * (composed NIR weight)
    bias_factor: np.ndarray         #: per neuron: neuron bias += factor * (composed NIR bias)
    spiking: bool = True
    initial_v: np.ndarray | None = None
    u_decay: np.ndarray | float = 1.0   #: for the non-spiking voltage bound
    integrator: bool = False
    bias_transient: bool = False        #: a bias into it is applied at its steady state (CubaLIF, CubaLI)


@dataclass
class _Expr:
    """A layer's input as sum over (source population, delay) of sparse matrices, plus a bias."""
    terms: dict = field(default_factory=dict)     #: (population, delay) -> csr (n x n_src)
    bias: np.ndarray = None
    shape: tuple = ()

    def apply(self, lm: lo.LinearMap) -> "_Expr":
        terms = {k: (lm.matrix @ m).tocsr() for k, m in self.terms.items()}
        return _Expr(terms, lm.matrix @ self.bias + lm.bias, lm.out_shape)


def linear_map(node, kind: str, in_shape: tuple) -> lo.LinearMap:
    """The LinearMap of one linear NIR node (not Delay) applied to an input of shape ``in_shape``."""
    if kind == "Affine":
        return lo.dense(node.weight, node.bias, in_shape)
    if kind == "Linear":
        return lo.dense(node.weight, None, in_shape)
    if kind == "Scale":
        return lo.scale(node.scale, in_shape)
    if kind == "Flatten":
        return lo.flatten(np.asarray(node.start_dim).item(), np.asarray(node.end_dim).item(), in_shape)
    if kind in ("SumPool2d", "AvgPool2d"):
        return lo.pool2d(node.kernel_size, node.stride, node.padding, in_shape, kind == "AvgPool2d")
    conv = lo.conv2d if kind == "Conv2d" else lo.conv1d
    nd = 2 if kind == "Conv2d" else 1
    if len(in_shape) == nd:                 # a single channel without its dimension
        in_shape = (1, *in_shape)
    return conv(node.weight, node.bias, in_shape, node.stride, node.padding, node.dilation, node.groups)


def step_fraction(tau_s, dt_s: float, discretization: str) -> np.ndarray:
    """Fraction of the state lost per step: ``min(dt/tau, 1)`` (euler) or ``1 - exp(-dt/tau)`` (exact)."""
    tau = np.asarray(tau_s, np.float64)
    if discretization == "exact":
        return -np.expm1(-dt_s / tau)
    return np.minimum(dt_s / tau, 1.0)


def from_nir(graph, options: ImportOptions = ImportOptions()) -> ImportedModel:
    """Translate a NIR graph (``nir.NIRGraph``, nested subgraphs allowed) into the Network IR."""
    if options.reset not in RESETS:
        raise GraphError(f"unknown reset {options.reset!r}; valid: {', '.join(RESETS)}")
    if options.discretization not in DISCRETIZATIONS:
        raise GraphError(f"unknown discretization {options.discretization!r}; valid: {', '.join(DISCRETIZATIONS)}")
    g = flatten(graph)
    return _Importer(g, options).run()


class _Importer:
    def __init__(self, g: FlatGraph, options: ImportOptions):
        self.g, self.opt = g, options
        self.notes: list[str] = []
        self._check_kinds()
        self.dt_s = self._dt()
        self.names = _unique_identifiers([n for n in g.nodes if self._kind(n) in NEURON_KINDS or n in g.inputs])
        order, _ = evaluation_order(g)
        self.neurons = {n: self._neuron(n) for n in order if self._kind(n) in NEURON_KINDS}
        self._out_cache, self._in_cache, self._stack = {}, {}, []

    # ---------------------------------------------------------------- checks
    def _kind(self, name: str) -> str:
        return self.g.kind(name)

    def _check_kinds(self) -> None:
        valid = (*NEURON_KINDS, *LINEAR_KINDS, "Input", "Output")
        for name in self.g.nodes:
            if self._kind(name) not in valid:
                raise GraphError(f"node '{name}' ({self._kind(name)}): not supported by the chip; supported "
                                 f"node types: {', '.join(valid)}")
        if not self.g.inputs:
            raise GraphError("the graph has no Input node")
        if not self.g.outputs:
            raise GraphError("the graph has no Output node")
        for a, b in self.g.edges:
            if self._kind(b) == "Input":
                raise GraphError(f"edge '{a}' -> '{b}': an Input node cannot receive edges")
            if self._kind(a) == "Output":
                raise GraphError(f"edge '{a}' -> '{b}': an Output node cannot send edges")

    def _dt(self) -> float:
        timed = [n for n in self.g.nodes if self._kind(n) in ("LIF", "CubaLIF", "LI", "CubaLI", "Delay")]
        dt = self.opt.dt_s
        if dt is None:
            if timed:
                raise GraphError(f"node '{timed[0]}' ({self._kind(timed[0])}) has time constants: give the "
                                 "timestep (--dt, in seconds) to discretize them")
            return 1e-3
        if not dt > 0:
            raise GraphError(f"dt must be positive, got {dt}")
        return float(dt)

    # ---------------------------------------------------------------- neurons
    def _param(self, name: str, attr: str, shape=None, positive=False) -> np.ndarray:
        node = self.g.nodes[name]
        value = getattr(node, attr, None)
        if value is None:
            raise GraphError(f"node '{name}' ({self._kind(name)}): parameter {attr} is missing")
        a = np.asarray(value, np.float64)
        if shape is not None:
            try:
                a = np.broadcast_to(a, shape)
            except ValueError:
                raise GraphError(f"node '{name}' ({self._kind(name)}): parameter {attr} has shape {a.shape}, "
                                 f"the node has shape {shape}") from None
        if not np.all(np.isfinite(a)):
            raise GraphError(f"node '{name}' ({self._kind(name)}): parameter {attr} is not finite")
        if positive and np.any(a <= 0):
            raise GraphError(f"node '{name}' ({self._kind(name)}): {attr} = {float(a.min()):g} must be > 0")
        return a

    def _neuron(self, name: str) -> _Neuron:
        kind = self._kind(name)
        main = {"LIF": "tau", "CubaLIF": "tau_mem", "IF": "r", "LI": "tau", "CubaLI": "tau_mem", "I": "r",
                "Threshold": "threshold"}[kind]
        shape = tuple(int(x) for x in np.shape(getattr(self.g.nodes[name], main))) or (1,)
        p = lambda attr, **kw: self._param(name, attr, shape, **kw).ravel()  # noqa: E731
        n = int(np.prod(shape))
        dt, disc, dt_ms = self.dt_s, self.opt.discretization, self.dt_s * 1e3
        ones = np.ones(n)
        if kind == "Threshold":
            return _Neuron("lif", {"tau_mem_ms": dt_ms, "tau_syn_ms": 0.0, "threshold": p("threshold"),
                                   "reset": "zero"}, shape, ones, ones)
        r = p("r")
        spiking = kind in ("LIF", "CubaLIF", "IF")
        v_reset = p("v_reset") if spiking and getattr(self.g.nodes[name], "v_reset", None) is not None \
            else np.zeros(n)
        threshold = None
        if spiking:
            threshold = p("v_threshold") - v_reset
            if np.any(threshold < 0):
                i = int(np.argmin(threshold))
                raise GraphError(f"node '{name}' ({kind}): neuron {i} has v_threshold - v_reset = "
                                 f"{threshold[i]:g} < 0; the chip's threshold is unsigned")
        init_v = -v_reset if np.any(v_reset != 0) else None
        if kind in ("IF", "I"):
            params = {"threshold": threshold, "bias": 0.0, "reset": self.opt.reset}
            return _Neuron("if", params, shape, r, r, spiking, init_v, integrator=True)
        tau_key = "tau" if kind in ("LIF", "LI") else "tau_mem"
        g_m = step_fraction(p(tau_key, positive=True), dt, disc)
        params = {"tau_mem_ms": dt_ms / g_m, "tau_syn_ms": 0.0, "threshold": threshold,
                  "bias": p("v_leak") - v_reset, "reset": self.opt.reset}
        if kind in ("LIF", "LI"):
            return _Neuron("lif", params, shape, r, r, spiking, init_v)
        w_in = p("w_in")
        g_s = step_fraction(p("tau_syn", positive=True), dt, disc)
        params["tau_syn_ms"] = dt_ms / g_s
        return _Neuron("lif", params, shape, r * w_in * g_s, r * w_in, spiking, init_v, u_decay=g_s,
                       bias_transient=bool(np.any(g_s < 1)))

    # ---------------------------------------------------------------- expressions
    def _shape_out(self, name: str) -> tuple:
        if name in self.neurons:
            return self.neurons[name].shape
        if name in self.g.inputs:
            t = getattr(self.g.nodes[name], "input_type", {}) or {}
            shape = t.get("input", t.get("output")) if isinstance(t, dict) else None
            if shape is None:
                raise GraphError(f"Input node '{name}' has no shape")
            return tuple(int(x) for x in np.asarray(shape).ravel())
        return self._expr_out(name).shape

    def _expr_out(self, name: str) -> _Expr:
        """The value a node sends along its out-edges, as an expression over populations."""
        if name in self.neurons or name in self.g.inputs:
            shape = self._shape_out(name)
            n = int(np.prod(shape))
            return _Expr({(self.names[name], 0): sp.identity(n, format="csr")}, np.zeros(n), shape)
        if name in self._out_cache:
            return self._out_cache[name]
        if name in self._stack:
            cyc = self._stack[self._stack.index(name):]
            raise GraphError(f"cycle through linear nodes only ({' -> '.join(cyc + [name])}): a recurrent "
                             "edge must pass through a neuron node")
        self._stack.append(name)
        x = self._expr_in(name)
        kind = self._kind(name)
        try:
            out = self._delay(name, x) if kind == "Delay" else x.apply(linear_map(self.g.nodes[name], kind, x.shape))
        except lo.ShapeError as exc:
            raise GraphError(f"node '{name}' ({kind}): {exc}") from None
        self._stack.pop()
        self._out_cache[name] = out
        return out

    def _expr_in(self, name: str) -> _Expr:
        """Sum of everything arriving at ``name`` (NIR sums the inputs of a node)."""
        if name in self._in_cache:
            return self._in_cache[name]
        preds = self.g.preds(name)
        if not preds:
            raise GraphError(f"node '{name}' ({self._kind(name)}) has no incoming edge")
        total = None
        for pred in preds:
            e = self._expr_out(pred)
            if total is None:
                total = _Expr(dict(e.terms), e.bias.copy(), e.shape)
                continue
            if int(np.prod(e.shape)) != int(np.prod(total.shape)):
                raise GraphError(f"node '{name}' ({self._kind(name)}): its inputs have shapes {total.shape} and "
                                 f"{e.shape} (from '{pred}'); summed inputs must have the same size")
            for k, m in e.terms.items():
                total.terms[k] = (total.terms[k] + m).tocsr() if k in total.terms else m
            total.bias = total.bias + e.bias
        self._in_cache[name] = total
        return total

    def _delay(self, name: str, x: _Expr) -> _Expr:
        d = np.broadcast_to(self._param(name, "delay"), x.shape).ravel() / self.dt_s
        steps = np.rint(d).astype(np.int64)
        if np.any(steps < 0):
            raise GraphError(f"node '{name}' (Delay): negative delay {float(d.min()) * self.dt_s:g} s")
        if np.any(np.abs(d - steps) > 1e-6 * np.maximum(1, np.abs(d))):
            self.notes.append(f"node '{name}' (Delay): delays rounded to whole timesteps of dt = {self.dt_s:g} s")
        terms: dict = {}
        for (pop, base), m in x.terms.items():
            for s in np.unique(steps):
                part = (sp.diags((steps == s).astype(np.float64)) @ m).tocsr()
                part.eliminate_zeros()
                if part.nnz:
                    key = (pop, base + int(s))
                    terms[key] = (terms[key] + part).tocsr() if key in terms else part
        worst = max((k[1] for k in terms), default=0)
        if worst > fx.MAX_DELAY:
            raise GraphError(f"node '{name}' (Delay): {worst} timesteps of delay on one path exceed the chip's "
                             f"{fx.MAX_DELAY}-step axonal delay; use a larger dt")
        return _Expr(terms, x.bias, x.shape)

    # ---------------------------------------------------------------- assembly
    def run(self) -> ImportedModel:
        populations, projections = [], []
        inputs = {}
        for name in self.g.inputs:
            shape = self._shape_out(name)
            inputs[name] = (self.names[name], shape)
            populations.append(Population(self.names[name], int(np.prod(shape)), SOURCE))
        for name, nrn in self.neurons.items():
            pop = self.names[name]
            n = int(np.prod(nrn.shape))
            bias = np.zeros(n)
            in_abs = np.zeros(n)
            if self.g.preds(name):
                x = self._expr_in(name)
                if int(np.prod(x.shape)) != n:
                    raise GraphError(f"node '{name}' ({self._kind(name)}) has {n} neurons {nrn.shape} but its "
                                     f"input has {int(np.prod(x.shape))} values {x.shape}")
                bias = nrn.bias_factor * x.bias
                if nrn.bias_transient and np.any(bias != 0):
                    self.notes.append(f"node '{name}' ({self._kind(name)}): the bias arriving with its input is "
                                      "applied at its steady state (the synaptic current's rise over tau_syn is "
                                      "not modelled)")
                for (src, delay), m in sorted(x.terms.items()):
                    coo = m.tocoo()
                    keep = coo.data != 0
                    post, pre = coo.row[keep].astype(np.int32), coo.col[keep].astype(np.int32)
                    w = coo.data[keep] * nrn.weight_factor[post]
                    if post.size == 0:
                        continue
                    np.add.at(in_abs, post, np.abs(w))
                    pname = f"{src}_{pop}" + (f"_d{delay}" if delay else "")
                    projections.append(Projection(pname, src, pop, pre, post, w, np.full(post.size, delay, np.int32)))
            populations.append(self._population(name, pop, nrn, bias, in_abs))
        net = Network(tuple(populations), tuple(projections), self.dt_s * 1e3)
        readouts = tuple(self._readout(o) for o in self.g.outputs)
        pops = {n: self.names[n] for n in self.neurons}
        return ImportedModel(net, self.g, self.opt, inputs, readouts, pops, _latency(net), tuple(self.notes))

    def _population(self, name: str, pop: str, nrn: _Neuron, bias: np.ndarray, in_abs: np.ndarray) -> Population:
        n = int(np.prod(nrn.shape))
        params = dict(nrn.params)
        params["bias"] = np.asarray(params.get("bias", 0.0)) + bias
        if not nrn.spiking:
            # never spikes: the threshold sits at the largest |v| the inputs can drive (every source
            # spiking every step); v is read out through a probe
            steady = np.abs(params["bias"]) + in_abs / np.asarray(nrn.u_decay)
            bound = steady * self.opt.integrator_steps if nrn.integrator else steady
            params["threshold"] = float(max(np.max(bound), 1e-9)) * (1 + 1e-6)
        params = {k: _compact(v) for k, v in params.items()}
        model = get_model(nrn.model)
        initial = {} if nrn.initial_v is None else {"v": np.asarray(nrn.initial_v, np.float64)}
        return Population(pop, n, nrn.model, model.with_defaults(params, model.physical), initial=initial)

    def _readout(self, out: str) -> Readout:
        preds = self.g.preds(out)
        if len(preds) != 1 or preds[0] not in self.neurons:
            src = ", ".join(f"'{p}' ({self._kind(p)})" for p in preds) or "nothing"
            raise GraphError(f"Output node '{out}' is fed by {src}: the chip reads out the spikes or the voltage "
                             "of one neuron node; end the graph with a neuron node (LIF, IF, LI, CubaLI, I, ...)")
        nrn = self.neurons[preds[0]]
        return Readout(out, self.names[preds[0]], "spikes" if nrn.spiking else "v", nrn.shape)


def _compact(v):
    """A scalar when every neuron has the same value, else the float64 array."""
    if isinstance(v, str) or v is None:
        return v
    a = np.asarray(v, np.float64).ravel()
    return float(a[0]) if a.size == 1 or np.all(a == a[0]) else a


def _unique_identifiers(names: list[str]) -> dict:
    """NIR node names (any text) -> unique identifiers usable as population names in YAML."""
    out, used = {}, set()
    for name in names:
        base = re.sub(r"\W", "_", name)
        if not re.match(r"[A-Za-z_]", base):
            base = "n" + base
        cand, k = base, 1
        while cand in used:
            k += 1
            cand = f"{base}_{k}"
        used.add(cand)
        out[name] = cand
    return out


def _latency(net: Network) -> dict:
    """Steps by which the chip lags the float reference at each population: one per synaptic hop
    on the longest feed-forward path from the inputs.

    A spike crosses a projection in ``1 + delay`` steps on the chip and in ``delay`` steps in the
    reference (NIR's feed-forward edges take no time), so delays do not count. Back edges (found
    by a depth-first search from the sources) are ignored: a recurrent edge takes one step in both.
    """
    succ: dict = {}
    for p in net.projections:
        succ.setdefault(p.source, []).append((p.target, 1))
    order, state = [], {}

    def visit(n):
        state[n] = 1
        for m, _ in succ.get(n, ()):
            if state.get(m) is None:
                visit(m)
        state[n] = 2
        order.append(n)

    for p in net.populations:
        if p.is_source and p.name not in state:
            visit(p.name)
    for p in net.populations:
        if p.name not in state:
            visit(p.name)
    rank = {n: i for i, n in enumerate(reversed(order))}
    lat = {p.name: 0 for p in net.populations}
    for n in reversed(order):
        for m, d in succ.get(n, ()):
            if rank[m] > rank[n]:             # forward edge in the topological order
                lat[m] = max(lat[m], lat[n] + d)
    return lat


def import_file(path, options: ImportOptions = ImportOptions()) -> ImportedModel:
    """Read a ``.nir`` file and translate it (``from_nir``)."""
    from .nir_graph import read_nir
    return from_nir(read_nir(path), options)


__all__ = ["ImportOptions", "ImportedModel", "Readout", "from_nir", "import_file", "step_fraction", "linear_map",
           "GraphError", "RESETS", "DISCRETIZATIONS"]
