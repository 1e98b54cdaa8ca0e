"""ANN -> SNN conversion: a ReLU network in ONNX becomes a NIR graph of integrate-and-fire layers.

``read_onnx`` reads a sequential ONNX graph (Gemm, MatMul (+ Add), Conv, Relu,
AveragePool, Flatten, Reshape to 2-D, BatchNormalization folded into the layer
before it, Identity/Dropout, a final Softmax ignored) into a list of layers;
``ann_forward`` runs it in numpy. ``convert`` applies data-based threshold
balancing (Diehl et al. 2015; Rueckauer et al. 2017): with ``lam[l]`` the
``percentile`` of layer l's ReLU outputs on a calibration set (``lam[0]`` of the
inputs), layer l's weights are multiplied by ``lam[l-1] / lam[l]`` and its biases
divided by ``lam[l]``, so every IF neuron (threshold 1, reset by subtraction)
fires at about ``relu / lam[l]`` spikes per step. Inputs are rate coded
(``rate_code``: ``x / lam[0]`` spikes per step, deterministic). A final linear
layer becomes an integrator (``nir.I``) read out through its voltage; a final
ReLU layer an IF layer read out through its spike counts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import linear_ops as lo
from .nir_graph import GraphError

SUPPORTED_OPS = ("Gemm", "MatMul", "Add", "Conv", "Relu", "AveragePool", "Flatten", "Reshape",
                 "BatchNormalization", "Identity", "Dropout", "Softmax")


@dataclass
class Layer:
    """One ANN operation: 'dense' (weight (out, in), bias), 'conv' (weight, bias, stride, padding,
    dilation, groups), 'avgpool' (kernel, stride, padding), 'flatten' or 'relu'."""
    kind: str
    name: str
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    dilation: tuple = (1, 1)
    groups: int = 1
    kernel: tuple = (1, 1)


@dataclass
class AnnModel:
    layers: list
    input_shape: tuple


def read_onnx(path) -> AnnModel:
    """Layers of a sequential ReLU network from an ONNX file; GraphError names any node it cannot take."""
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:   # pragma: no cover
        raise GraphError("reading .onnx files needs the 'onnx' package: pip install 'neuroemu[nir]'") from None
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # noqa: BLE001 - protobuf raises DecodeError and friends
        raise GraphError(f"{path}: not a readable ONNX model ({type(exc).__name__}: {exc})") from None
    g = model.graph
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    inputs = [i for i in g.input if i.name not in init]
    if len(inputs) != 1:
        raise GraphError(f"{path}: the ANN must have exactly one input, it has {len(inputs)}")
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim][1:]
    if not dims or any(d <= 0 for d in dims):
        raise GraphError(f"{path}: input '{inputs[0].name}' needs a fixed shape after the batch dimension, got {dims}")
    cur, layers = inputs[0].name, []
    for node in g.node:
        name = node.name or f"{node.op_type}_{len(layers)}"
        data = [i for i in node.input if i and i not in init]
        if node.op_type not in SUPPORTED_OPS:
            raise GraphError(f"node '{name}' ({node.op_type}): not supported for conversion; supported: "
                             f"{', '.join(SUPPORTED_OPS)}")
        if data != [cur]:
            raise GraphError(f"node '{name}' ({node.op_type}): only sequential networks convert (each node "
                             f"takes the previous node's output); it reads {data}")
        _layer(node, name, init, {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}, layers)
        cur = node.output[0]
    return AnnModel(layers, tuple(dims))


def _layer(node, name: str, init: dict, attr: dict, layers: list) -> None:
    op = node.op_type
    consts = [init[i] for i in node.input if i in init]
    if op == "Gemm":
        if attr.get("transA", 0):
            raise GraphError(f"node '{name}' (Gemm): transA=1 is not supported")
        w = consts[0] if attr.get("transB", 0) else consts[0].T
        b = consts[1] * attr.get("beta", 1.0) if len(consts) > 1 else np.zeros(w.shape[0])
        layers.append(Layer("dense", name, w * attr.get("alpha", 1.0), np.broadcast_to(b, (w.shape[0],)).copy()))
    elif op == "MatMul":
        layers.append(Layer("dense", name, consts[0].T, np.zeros(consts[0].shape[1])))
    elif op == "Add":
        if not layers or layers[-1].kind not in ("dense", "conv") or not consts:
            raise GraphError(f"node '{name}' (Add): only a constant bias right after Gemm/MatMul/Conv converts")
        last = layers[-1]
        last.bias = last.bias + np.broadcast_to(consts[0].reshape(-1), last.bias.shape)
    elif op == "Conv":
        w = consts[0]
        if w.ndim != 4:
            raise GraphError(f"node '{name}' (Conv): only 2-D convolutions convert (weight {w.shape})")
        pads = tuple(attr.get("pads", (0, 0, 0, 0)))
        if attr.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID", "NOTSET", "VALID") or pads[:2] != pads[2:]:
            raise GraphError(f"node '{name}' (Conv): asymmetric padding {pads} / auto_pad is not supported")
        b = consts[1] if len(consts) > 1 else np.zeros(w.shape[0])
        layers.append(Layer("conv", name, w, b, tuple(attr.get("strides", (1, 1))), pads[:2],
                            tuple(attr.get("dilations", (1, 1))), int(attr.get("group", 1))))
    elif op == "BatchNormalization":
        if not layers or layers[-1].kind not in ("dense", "conv"):
            raise GraphError(f"node '{name}' (BatchNormalization): it must follow Gemm/MatMul/Conv to be folded")
        scale, shift, mean, var = consts[:4]
        s = scale / np.sqrt(var + attr.get("epsilon", 1e-5))
        last = layers[-1]
        last.weight = last.weight * s.reshape((-1,) + (1,) * (last.weight.ndim - 1))
        last.bias = (last.bias - mean) * s + shift
    elif op == "Relu":
        layers.append(Layer("relu", name))
    elif op == "AveragePool":
        pads = tuple(attr.get("pads", (0, 0, 0, 0)))
        if pads[:2] != pads[2:] or attr.get("ceil_mode", 0):
            raise GraphError(f"node '{name}' (AveragePool): asymmetric padding or ceil_mode is not supported")
        k = tuple(attr["kernel_shape"])
        layers.append(Layer("avgpool", name, stride=tuple(attr.get("strides", k)), padding=pads[:2], kernel=k))
    elif op in ("Flatten", "Reshape"):
        if op == "Flatten" and attr.get("axis", 1) != 1:
            raise GraphError(f"node '{name}' (Flatten): only axis=1 (keep the batch) converts")
        layers.append(Layer("flatten", name))
    # Identity, Dropout (inference), Softmax (argmax is unchanged) add nothing


def _linear(layer: Layer, in_shape: tuple) -> lo.LinearMap:
    try:
        if layer.kind == "dense":
            return lo.dense(layer.weight, layer.bias, in_shape)
        if layer.kind == "conv":
            return lo.conv2d(layer.weight, layer.bias, in_shape, layer.stride, layer.padding, layer.dilation,
                             layer.groups)
        if layer.kind == "avgpool":
            return lo.pool2d(layer.kernel, layer.stride, layer.padding, in_shape, average=True)
        return lo.flatten(0, -1, in_shape)
    except lo.ShapeError as exc:
        raise GraphError(f"node '{layer.name}' ({layer.kind}): {exc}") from None


def ann_forward(ann: AnnModel, x: np.ndarray) -> tuple[np.ndarray, list]:
    """(output (batch, n), the ReLU outputs of every hidden layer) for inputs ``x`` (batch, *input_shape)."""
    h = np.asarray(x, np.float64).reshape(len(x), -1)
    shape, acts = ann.input_shape, []
    for layer in ann.layers:
        if layer.kind == "relu":
            h = np.maximum(h, 0.0)
            acts.append(h)
            continue
        lm = _linear(layer, shape)
        h = np.asarray(lm.matrix.dot(h.T)).T + lm.bias
        shape = lm.out_shape
    return h, acts


def rate_code(x01: np.ndarray, steps: int) -> np.ndarray:
    """Deterministic rate code: value p in [0, 1] spikes at step t iff floor((t+1) p) > floor(t p).

    ``x01`` (batch, *shape) -> uint8 spikes (batch, steps, *shape).
    """
    x = np.clip(np.asarray(x01, np.float64), 0.0, 1.0)
    t = np.arange(steps + 1).reshape((1, -1) + (1,) * (x.ndim - 1))
    counts = np.floor(t * x[:, None] + 1e-9)
    return (np.diff(counts, axis=1) > 0).astype(np.uint8)


@dataclass
class Conversion:
    graph: object            #: nir.NIRGraph of IF layers
    input_scale: float       #: lam[0]: an input x spikes at x / input_scale per step
    layer_scales: list       #: lam[l] per hidden ReLU layer


def convert(ann: AnnModel, calibration: np.ndarray, percentile: float = 99.9) -> Conversion:
    """Threshold-balanced IF network (as a NIR graph) of ``ann``; see the module docstring."""
    import nir
    if calibration is None or len(calibration) == 0:
        raise GraphError("ANN conversion needs calibration inputs (--calibrate DATA.npz, or a --check file)")
    _, acts = ann_forward(ann, calibration)
    lam0 = float(np.percentile(np.asarray(calibration, np.float64), percentile)) or 1.0
    lams = [float(np.percentile(a, percentile)) or 1.0 for a in acts]
    nodes = {"input": nir.Input(input_type={"input": np.array(ann.input_shape)})}
    edges, prev, shape = [], "input", ann.input_shape
    seg, lam_prev, scaled = 0, lam0, False
    layers = list(ann.layers)
    final_relu = bool(layers) and layers[-1].kind == "relu"
    for i, layer in enumerate(layers):
        if layer.kind == "relu":
            lam = lams[seg]
            name = f"if{seg + 1}"
            nodes[name] = nir.IF(r=np.ones(shape), v_threshold=np.ones(shape), v_reset=np.zeros(shape))
            edges.append((prev, name))
            prev, seg, lam_prev, scaled = name, seg + 1, lam, False
            continue
        lam = lams[seg] if seg < len(lams) else 1.0
        node, scaled = _nir_layer(layer, shape, lam_prev, lam, scaled)
        lm = _linear(layer, shape)
        shape = lm.out_shape
        nodes[layer.name] = node
        edges.append((prev, layer.name))
        prev = layer.name
    if not final_relu:
        nodes["readout"] = nir.I(r=np.ones(shape))
        edges.append((prev, "readout"))
        prev = "readout"
    nodes["output"] = nir.Output(output_type={"output": np.array(shape)})
    edges.append((prev, "output"))
    return Conversion(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), lam0, lams)


def _nir_layer(layer: Layer, shape: tuple, lam_prev: float, lam: float, scaled: bool):
    """The NIR node of one linear layer, its weights scaled by lam_prev/lam (first weighted layer of the
    segment only) and its bias divided by lam."""
    import nir
    factor = 1.0 if scaled else lam_prev / lam
    if layer.kind == "dense":
        return nir.Affine(weight=layer.weight * factor, bias=layer.bias / lam), True
    if layer.kind == "conv":
        return nir.Conv2d(input_shape=tuple(shape[1:]), weight=layer.weight * factor, stride=layer.stride,
                          padding=layer.padding, dilation=layer.dilation, groups=layer.groups,
                          bias=layer.bias / lam), True
    if layer.kind == "avgpool":
        return nir.AvgPool2d(kernel_size=np.array(layer.kernel), stride=np.array(layer.stride),
                             padding=np.array(layer.padding)), scaled
    return nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1), scaled


__all__ = ["AnnModel", "Layer", "Conversion", "read_onnx", "ann_forward", "convert", "rate_code",
           "SUPPORTED_OPS"]
