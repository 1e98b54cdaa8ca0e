"""Linear graph operations as sparse matrices (the synapses between two neuron layers).

Every linear node of a NIR graph (Affine, Linear, Scale, Conv1d, Conv2d,
SumPool2d, AvgPool2d, Flatten) acts on a value vector flattened in C order
(channel, row, column), so each is a sparse matrix ``M`` (outputs x inputs)
plus a bias vector: ``y = M @ x + b``. The importer composes chains of them
into one projection per (source layer, delay); the float reference applies
them one by one. Both use the functions here, whose index arithmetic is
checked against plain loops in ``tests/reference/conv_ref.py``.

Convolutions follow PyTorch (cross-correlation, zero padding, ``groups``);
output size ``floor((n + 2p - d(k-1) - 1) / s) + 1``. AvgPool2d counts the
padding in the divisor (PyTorch's ``count_include_pad=True``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


class ShapeError(ValueError):
    """A parameter or input shape that the operation cannot take (the importer names the node)."""


@dataclass(frozen=True)
class LinearMap:
    """``y = matrix @ x + bias`` on C-order flattened values; ``out_shape`` is y's shape."""
    matrix: sp.csr_matrix
    bias: np.ndarray
    out_shape: tuple[int, ...]


def _pair(v, n: int, name: str) -> tuple[int, ...]:
    a = np.atleast_1d(np.asarray(v)).astype(np.int64).ravel()
    if a.size == 1:
        a = np.repeat(a, n)
    if a.size != n:
        raise ShapeError(f"{name} {a.tolist()} needs {n} value(s)")
    return tuple(int(x) for x in a)


def conv_out_size(n: int, k: int, s: int, p: int, d: int) -> int:
    """PyTorch's output length of a convolution or pooling along one axis."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def resolve_padding(padding, kernel: tuple[int, ...], dilation: tuple[int, ...], stride: tuple[int, ...]):
    """Numeric padding per axis; the strings 'valid' (0) and 'same' (stride 1 only, symmetric)."""
    if isinstance(padding, (str, np.str_)):
        if padding == "valid":
            return tuple(0 for _ in kernel)
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ShapeError("padding 'same' needs stride 1")
            total = [d * (k - 1) for k, d in zip(kernel, dilation)]
            if any(t % 2 for t in total):
                raise ShapeError(f"padding 'same' with an even kernel {kernel} would pad asymmetrically")
            return tuple(t // 2 for t in total)
        raise ShapeError(f"padding {padding!r} is neither a number, 'same' nor 'valid'")
    return _pair(padding, len(kernel), "padding")


def conv2d(weight: np.ndarray, bias, in_shape: tuple[int, int, int], stride=1, padding=0, dilation=1,
           groups=1) -> LinearMap:
    """Conv2d of ``weight`` (C_out, C_in/groups, kH, kW) over an input of shape (C_in, H, W)."""
    weight = np.asarray(weight, np.float64)
    if weight.ndim != 4:
        raise ShapeError(f"weight has shape {weight.shape}; expected (C_out, C_in/groups, kH, kW)")
    c_out, c_in_g, kh, kw = weight.shape
    groups = int(np.asarray(groups).ravel()[0])
    if len(in_shape) != 3:
        raise ShapeError(f"input shape {tuple(in_shape)} is not (channels, height, width)")
    c_in, h, w = (int(x) for x in in_shape)
    if groups < 1 or c_in != c_in_g * groups or c_out % groups:
        raise ShapeError(f"input has {c_in} channels but the weight {weight.shape} with groups={groups} "
                         f"expects {c_in_g * groups}")
    s = _pair(stride, 2, "stride")
    d = _pair(dilation, 2, "dilation")
    p = resolve_padding(padding, (kh, kw), d, s)
    ho, wo = conv_out_size(h, kh, s[0], p[0], d[0]), conv_out_size(w, kw, s[1], p[1], d[1])
    if ho < 1 or wo < 1:
        raise ShapeError(f"a {kh}x{kw} kernel does not fit the {h}x{w} input (output {ho}x{wo})")
    # one candidate synapse per (co, oy, ox, ci_g, ky, kx), built with broadcasting
    co = np.arange(c_out).reshape(-1, 1, 1, 1, 1, 1)
    oy = np.arange(ho).reshape(1, -1, 1, 1, 1, 1)
    ox = np.arange(wo).reshape(1, 1, -1, 1, 1, 1)
    cg = np.arange(c_in_g).reshape(1, 1, 1, -1, 1, 1)
    ky = np.arange(kh).reshape(1, 1, 1, 1, -1, 1)
    kx = np.arange(kw).reshape(1, 1, 1, 1, 1, -1)
    iy = oy * s[0] - p[0] + ky * d[0]
    ix = ox * s[1] - p[1] + kx * d[1]
    ci = (co // (c_out // groups)) * c_in_g + cg
    shape = (c_out, ho, wo, c_in_g, kh, kw)
    iy, ix, ci = (np.broadcast_to(a, shape) for a in (iy, ix, ci))
    row = np.broadcast_to((co * ho + oy) * wo + ox, shape)
    val = np.broadcast_to(weight[co, cg, ky, kx], shape)
    ok = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w) & (val != 0)
    col = (ci * h + iy) * w + ix
    m = sp.csr_matrix((val[ok], (row[ok], col[ok])), shape=(c_out * ho * wo, c_in * h * w))
    b = np.zeros(c_out) if bias is None else np.broadcast_to(np.asarray(bias, np.float64).ravel(), (c_out,))
    return LinearMap(m, np.repeat(b, ho * wo), (c_out, ho, wo))


def conv1d(weight: np.ndarray, bias, in_shape: tuple[int, int], stride=1, padding=0, dilation=1,
           groups=1) -> LinearMap:
    """Conv1d of ``weight`` (C_out, C_in/groups, k) over (C_in, N): a Conv2d with height 1."""
    weight = np.asarray(weight, np.float64)
    if weight.ndim != 3 or len(in_shape) != 2:
        raise ShapeError(f"weight {weight.shape} / input {tuple(in_shape)}: expected (C_out, C_in/groups, k) "
                         "and (channels, length)")
    pad = padding if isinstance(padding, (str, np.str_)) else (0, _pair(padding, 1, "padding")[0])
    lm = conv2d(weight[:, :, None, :], bias, (in_shape[0], 1, in_shape[1]), (1, _pair(stride, 1, "stride")[0]),
                pad, (1, _pair(dilation, 1, "dilation")[0]), groups)
    return LinearMap(lm.matrix, lm.bias, (lm.out_shape[0], lm.out_shape[2]))


def pool2d(kernel, stride, padding, in_shape: tuple[int, int, int], average: bool) -> LinearMap:
    """Sum (or average) pooling over (C, H, W): a per-channel convolution with a constant kernel."""
    if len(in_shape) != 3:
        raise ShapeError(f"input shape {tuple(in_shape)} is not (channels, height, width)")
    k = _pair(kernel, 2, "kernel_size")
    s = _pair(stride if stride is not None else k, 2, "stride")
    c = int(in_shape[0])
    value = 1.0 / (k[0] * k[1]) if average else 1.0
    weight = np.full((c, 1, k[0], k[1]), value)
    return conv2d(weight, None, tuple(int(x) for x in in_shape), s, _pair(padding, 2, "padding"), 1, c)


def dense(weight: np.ndarray, bias, in_shape: tuple[int, ...]) -> LinearMap:
    """Affine / Linear: ``weight`` (out, in) applied to the flattened input."""
    weight = np.asarray(weight, np.float64)
    n_in = int(np.prod(in_shape))
    if weight.ndim != 2 or weight.shape[1] != n_in:
        raise ShapeError(f"weight has shape {weight.shape}; the input has {n_in} values {tuple(in_shape)}")
    b = np.zeros(weight.shape[0]) if bias is None else np.broadcast_to(np.asarray(bias, np.float64).ravel(),
                                                                       (weight.shape[0],))
    return LinearMap(sp.csr_matrix(weight), np.array(b), (weight.shape[0],))


def scale(factors: np.ndarray, in_shape: tuple[int, ...]) -> LinearMap:
    """Scale: elementwise product with ``factors`` (broadcast to the input)."""
    n = int(np.prod(in_shape))
    try:
        f = np.broadcast_to(np.asarray(factors, np.float64), tuple(in_shape)).ravel()
    except ValueError:
        raise ShapeError(f"scale of shape {np.shape(factors)} does not broadcast to the input {tuple(in_shape)}") \
            from None
    return LinearMap(sp.diags(f, format="csr"), np.zeros(n), tuple(in_shape))


def flatten(start_dim: int, end_dim: int, in_shape: tuple[int, ...]) -> LinearMap:
    """Flatten dims ``start_dim..end_dim`` (no batch dimension): the identity on C-order values."""
    nd = len(in_shape)
    s = int(start_dim) + nd if int(start_dim) < 0 else int(start_dim)
    e = int(end_dim) + nd if int(end_dim) < 0 else int(end_dim)
    if not (0 <= s <= e < nd) and nd:
        raise ShapeError(f"start_dim {start_dim}, end_dim {end_dim} do not fit an input of shape {tuple(in_shape)}")
    out = (*in_shape[:s], int(np.prod(in_shape[s:e + 1])), *in_shape[e + 1:]) if nd else ()
    n = int(np.prod(in_shape))
    return LinearMap(sp.identity(n, format="csr"), np.zeros(n), tuple(int(x) for x in out))


__all__ = ["LinearMap", "ShapeError", "conv2d", "conv1d", "pool2d", "dense", "scale", "flatten",
           "conv_out_size", "resolve_padding"]
