"""Plain-loop twins of the convolution and pooling matrices of ``emulator/ir/linear_ops.py``.

Each output value is computed by the textbook sums (PyTorch semantics: cross-correlation,
zero padding, groups; average pooling counts the padding), one element at a time.
"""
from __future__ import annotations

import numpy as np


def conv2d(x, weight, bias, stride, padding, dilation, groups):
    """x (C_in, H, W), weight (C_out, C_in/groups, kH, kW) -> (C_out, Ho, Wo)."""
    c_in, h, w = x.shape
    c_out, cg, kh, kw = weight.shape
    (sy, sx), (py, px), (dy, dx) = stride, padding, dilation
    ho = (h + 2 * py - dy * (kh - 1) - 1) // sy + 1
    wo = (w + 2 * px - dx * (kw - 1) - 1) // sx + 1
    out = np.zeros((c_out, ho, wo))
    per_group = c_out // groups
    for co in range(c_out):
        g = co // per_group
        for oy in range(ho):
            for ox in range(wo):
                acc = 0.0 if bias is None else float(bias[co])
                for ci in range(cg):
                    for ky in range(kh):
                        for kx in range(kw):
                            iy, ix = oy * sy - py + ky * dy, ox * sx - px + kx * dx
                            if 0 <= iy < h and 0 <= ix < w:
                                acc += weight[co, ci, ky, kx] * x[g * cg + ci, iy, ix]
                out[co, oy, ox] = acc
    return out


def pool2d(x, kernel, stride, padding, average):
    c = x.shape[0]
    weight = np.zeros((c, 1, *kernel))
    weight[:] = 1.0 / (kernel[0] * kernel[1]) if average else 1.0
    return conv2d(x, weight, None, stride, padding, (1, 1), c)
