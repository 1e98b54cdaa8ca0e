"""Float reference of NIR semantics (plain numpy, float64, a batch of samples at once).

This runs the NIR graph itself, node by node, not the Network IR: it is what
the graph means, against which the chip (fixed point, its neuron unit, one
step per synaptic hop) is compared by ``neuroemu map --check``.

Semantics, per timestep ``t`` (docs/mapping.md, "Float reference"):

* nodes are evaluated in a topological order found by a depth-first search from
  the Input nodes; an edge that closes a cycle (a recurrent edge) carries the
  value its source had at step ``t - 1``, every other edge the value at ``t``;
* a node's input is the sum of its incoming values; linear nodes apply their
  matrix (``linear_ops``), Delay returns its input of ``t - round(delay / dt)``;
* neurons use the discretization of ``ImportOptions`` (``g = dt/tau`` or
  ``1 - exp(-dt/tau)``), the current first, then the voltage, then the spike
  ``v > v_threshold`` and the reset (to ``v_reset`` or by subtracting
  ``v_threshold - v_reset``); IF and I integrate ``v += r x`` per step.

Spiking nodes send 0/1 spikes; LI, CubaLI and I send their voltage.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import linear_ops as lo
from .nir_graph import FlatGraph, GraphError, evaluation_order
from .nir_import import NEURON_KINDS, ImportOptions, linear_map, step_fraction


@dataclass
class NirRun:
    """Values of the Output nodes ``(batch, steps, n)`` and spike rasters of the recorded neuron nodes."""
    outputs: dict
    spikes: dict


class _Node:
    """State and step function of one node for a batch."""

    def __init__(self, name: str, node, kind: str, in_shape, opt: ImportOptions, dt_s: float, batch: int):
        self.name, self.kind, self.node = name, kind, node
        self.lin = None
        self.out_shape = in_shape
        if kind in ("Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten"):
            try:
                self.lin = linear_map(node, kind, in_shape)
            except lo.ShapeError as exc:
                raise GraphError(f"node '{name}' ({kind}): {exc}") from None
            self.out_shape = self.lin.out_shape
        elif kind == "Delay":
            d = np.broadcast_to(np.asarray(node.delay, np.float64), in_shape).ravel() / dt_s
            self.steps = np.rint(d).astype(np.int64)
            n = self.steps.size
            self.ring = np.zeros((int(self.steps.max(initial=0)) + 1, batch, n))
        elif kind in NEURON_KINDS:
            self._init_neuron(node, kind, opt, dt_s, batch)

    def _init_neuron(self, node, kind, opt, dt_s, batch):
        main = {"LIF": "tau", "CubaLIF": "tau_mem", "IF": "r", "LI": "tau", "CubaLI": "tau_mem", "I": "r",
                "Threshold": "threshold"}[kind]
        self.out_shape = tuple(np.shape(getattr(node, main))) or (1,)
        n = int(np.prod(self.out_shape))
        p = lambda a: np.broadcast_to(np.asarray(getattr(node, a), np.float64), self.out_shape).ravel()  # noqa
        self.spiking = kind in ("LIF", "CubaLIF", "IF", "Threshold")
        self.subtract = opt.reset == "subtract"
        if kind == "Threshold":
            self.thr = p("threshold")
            return
        self.r = p("r")
        if kind in ("LIF", "CubaLIF", "IF"):
            self.v_reset = p("v_reset") if getattr(node, "v_reset", None) is not None else np.zeros(n)
            self.thr = p("v_threshold")
        if kind in ("LIF", "LI"):
            self.g_m, self.v_leak = step_fraction(p("tau"), dt_s, opt.discretization), p("v_leak")
        if kind in ("CubaLIF", "CubaLI"):
            self.g_m = step_fraction(p("tau_mem"), dt_s, opt.discretization)
            self.g_s = step_fraction(p("tau_syn"), dt_s, opt.discretization)
            self.v_leak, self.w_in = p("v_leak"), p("w_in")
            self.i = np.zeros((batch, n))
        self.v = np.zeros((batch, n))

    def step(self, x: np.ndarray, t: int) -> np.ndarray:
        k = self.kind
        if self.lin is not None:
            return np.asarray(self.lin.matrix.dot(x.T)).T + self.lin.bias
        if k == "Delay":
            size = self.ring.shape[0]
            self.ring[t % size] = x
            cols = np.arange(x.shape[1])
            return self.ring[(t - self.steps) % size, :, cols].T
        if k == "Threshold":
            return (x > self.thr).astype(np.float64)
        if k in ("IF", "I"):
            self.v = self.v + self.r * x
        elif k in ("LIF", "LI"):
            self.v = self.v + self.g_m * (self.v_leak - self.v + self.r * x)
        else:                                       # CubaLIF, CubaLI: the current first
            self.i = self.i + self.g_s * (self.w_in * x - self.i)
            self.v = self.v + self.g_m * (self.v_leak - self.v + self.r * self.i)
        if not self.spiking:
            return self.v
        z = self.v > self.thr
        if self.subtract:
            self.v = np.where(z, self.v - (self.thr - self.v_reset), self.v)
        else:
            self.v = np.where(z, self.v_reset, self.v)
        return z.astype(np.float64)


def simulate_nir(g: FlatGraph, inputs: dict, options: ImportOptions, record=()) -> NirRun:
    """Run the graph on ``inputs`` (Input node -> array (batch, steps, *shape)).

    Returns every Output node's values ``(batch, steps, n)`` and the 0/1 spike rasters
    ``(batch, steps, n)`` of the neuron nodes named in ``record``.
    """
    dt_s = options.dt_s if options.dt_s is not None else 1e-3
    missing = [n for n in g.inputs if n not in inputs]
    if missing:
        raise GraphError(f"no data for Input node(s) {', '.join(missing)}")
    first = np.asarray(inputs[g.inputs[0]])
    batch, steps = first.shape[:2]
    order, back = evaluation_order(g)
    nodes, shapes = {}, {}
    for name in order:
        kind = g.kind(name)
        if name in g.inputs:
            shapes[name] = tuple(np.asarray(inputs[name]).shape[2:])
            continue
        preds = g.preds(name)
        in_shape = next((shapes[p] for p in preds if p in shapes), None)
        if in_shape is None and kind not in NEURON_KINDS:
            raise GraphError(f"node '{name}' ({kind}): its input shape is unknown (only fed by recurrent edges)")
        if kind == "Output":
            shapes[name] = in_shape
            continue
        nodes[name] = _Node(name, g.nodes[name], kind, in_shape, options, dt_s, batch)
        shapes[name] = nodes[name].out_shape
    flat = {n: np.asarray(v, np.float64).reshape(batch, steps, -1) for n, v in inputs.items()}
    value = {n: np.zeros((batch, int(np.prod(shapes[n])))) for n in order if shapes.get(n) is not None}
    out = {o: np.zeros((batch, steps, int(np.prod(shapes[o])))) for o in g.outputs}
    rec = {r: np.zeros((batch, steps, int(np.prod(shapes[r]))), bool) for r in record}
    preds = {n: g.preds(n) for n in order}
    for t in range(steps):
        previous = {a: value[a] for a, _ in back}
        for name in order:
            if name in g.inputs:
                value[name] = flat[name][:, t]
                continue
            x = None
            for p in preds[name]:
                v = previous[p] if (p, name) in back else value[p]
                x = v if x is None else x + v
            if x is None:
                x = np.zeros_like(value[name])
            if name in g.outputs:
                out[name][:, t] = x
                continue
            value[name] = nodes[name].step(x, t)
            if name in rec:
                rec[name][:, t] = value[name] > 0
    return NirRun(out, rec)


__all__ = ["NirRun", "simulate_nir", "evaluation_order"]
