"""Geometry of the mesh network-on-chip: routers, ports, XY routes, packet sources.

Router ``r`` sits at mesh position ``(x, y) = (r % W, r // W)``; north is ``+y``,
east is ``+x``. Every router has five input ports, each with its own FIFO, and
five output ports, numbered alike::

    N = 0 (to/from y + 1)   E = 1 (x + 1)   S = 2 (y - 1)   W = 3 (x - 1)   L = 4 (local core)

FIFO ``f = 5 * r + p`` is input port ``p`` of router ``r``; a packet leaving
router ``r`` on output ``o < 4`` enters the neighbour's input ``opposite(o)``.

Packet sources: core ``c`` injects through the local input port of its router;
the host (spike sources, ``source == n_cores``) injects through the west input
port of router (0, 0), a mesh-edge port no neighbour uses.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._jit import kernel

N, E, S, W, L = range(5)
PORTS = 5
PORT_NAMES = ("N", "E", "S", "W", "L")
HOST_ROUTER, HOST_PORT = 0, W        #: where host spikes enter the mesh


class Mesh(NamedTuple):
    """Where each packet source enters the mesh (kernel argument)."""
    width: int
    height: int
    source_fifo: np.ndarray    #: int64 (n_cores + 1): input FIFO of each source; the last is the host link
    core_router: np.ndarray    #: int64 (n_cores,): router of each core


def make_mesh(width: int, height: int, core_xy: np.ndarray) -> Mesh:
    """The Mesh of a ``width x height`` chip whose cores sit at ``core_xy`` (one core per router)."""
    xy = np.asarray(core_xy, dtype=np.int64).reshape(-1, 2)
    if ((xy < 0) | (xy >= (width, height))).any():
        raise ValueError(f"core positions {xy.tolist()} do not fit a {width} x {height} mesh")
    core_router = xy[:, 1] * width + xy[:, 0]
    if np.unique(core_router).size != core_router.size:
        raise ValueError("two cores share a router; the NoC model has one core per router")
    host = np.array([HOST_ROUTER * PORTS + HOST_PORT], np.int64)
    return Mesh(int(width), int(height), np.concatenate([core_router * PORTS + L, host]), core_router)


@kernel
def xy_port(x, y, xd, yd):
    """Output port at router ``(x, y)`` of a packet for router ``(xd, yd)``: X first, then Y, then local.

    ``E if xd > x, W if xd < x, else N if yd > y, S if yd < y, else L``.
    """
    if xd > x:
        return E
    if xd < x:
        return W
    if yd > y:
        return N
    if yd < y:
        return S
    return L


@kernel
def xy_port_of(width, r, dst):
    """``xy_port`` between router indices ``r`` and ``dst`` (``x = r mod W``, ``y = r div W``)."""
    return xy_port(r % width, r // width, dst % width, dst // width)


@kernel
def neighbour(width, r, o):
    """Router reached from ``r`` through mesh output ``o``: ``r + W``, ``r + 1``, ``r - W``, ``r - 1``."""
    if o == N:
        return r + width
    if o == E:
        return r + 1
    if o == S:
        return r - width
    return r - 1


@kernel
def opposite(o):
    """Input port on the far side of mesh output ``o``: ``(o + 2) mod 4`` (N <-> S, E <-> W)."""
    return (o + 2) & 3


@kernel
def xy_hops(width, r, dst):
    """Mesh links on the XY route: ``|xd - x| + |yd - y|``."""
    return abs(dst % width - r % width) + abs(dst // width - r // width)
