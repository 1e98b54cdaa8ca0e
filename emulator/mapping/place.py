"""Placement: put the partition's cores (blocks) on the mesh so that traffic x hops is small.

The cost of a placement is ``sum over block pairs of T[a, b] * hops(a, b)`` plus
``sum over blocks of H[b] * hops(b, host)``, where ``T[a, b]`` is the estimated
number of packets per timestep from block ``a`` to block ``b`` (output axons
weighted by the source neurons' firing rates), ``H[b]`` the packets the host
sends to ``b`` (host spikes enter the mesh at router (0, 0)) and ``hops`` the XY
route length (Manhattan distance).

Strategies (``STRATEGIES``):

* ``linear`` -- block k at (k mod W, k div W), the partition order;
* ``greedy`` -- constructive: the block with the most traffic to what is already
  placed (the host first) goes to the free router that adds the least cost;
* ``refine`` (default) -- ``greedy``, then pairwise swaps (empty routers count as
  blocks without traffic) while any swap lowers the cost.

Everything is deterministic: same traffic, same placement.
"""
from __future__ import annotations

import numpy as np

from ..errors import MappingError

STRATEGIES = ("linear", "greedy", "refine")
DEFAULT_STRATEGY = "refine"
_MAX_SWEEPS = 50           #: passes over all blocks
_MAX_WORK = 4e8            #: budget of the refinement in (block x router x router) evaluations: deterministic


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise MappingError(f"unknown placement strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")
    return strategy


def grid(width: int, height: int) -> np.ndarray:
    """Router coordinates in row-major order, (W * H, 2)."""
    k = np.arange(width * height)
    return np.stack([k % width, k // width], 1)


def candidate_region(n: int, width: int, height: int) -> tuple[int, int]:
    """Width and height of the corner region the blocks are placed in: the most
    square one holding at least ``2 n`` routers (or the whole mesh). It keeps the
    search O(n^2) on a large mesh, and a compact region is where low-hop
    placements are anyway."""
    target = min(2 * n, width * height)
    rw = min(width, max(1, int(np.ceil(np.sqrt(target)))))
    rh = min(height, int(np.ceil(target / rw)))
    rw = min(width, int(np.ceil(target / rh)))
    return rw, rh


def cost(traffic: np.ndarray, host: np.ndarray, xy: np.ndarray) -> float:
    """Traffic x hops of a placement (packets x hops per timestep)."""
    d = np.abs(xy[:, None, :] - xy[None, :, :]).sum(-1)
    return float((traffic * d).sum() + (host * np.abs(xy).sum(1)).sum())


def place(traffic: np.ndarray, host: np.ndarray, width: int, height: int, strategy: str = DEFAULT_STRATEGY
          ) -> np.ndarray:
    """Mesh coordinates (n, 2) of the n blocks of ``traffic`` (n x n, packets per step)."""
    check_strategy(strategy)
    n = traffic.shape[0]
    if n > width * height:
        raise MappingError(f"{n} cores do not fit the {width} x {height} mesh")
    if strategy == "linear" or n == 0:
        return grid(width, height)[:n].copy()
    pos = grid(*candidate_region(n, width, height))
    sym = traffic + traffic.T
    dist = np.abs(pos[:, None, :] - pos[None, :, :]).sum(-1).astype(np.float64)
    slot = _greedy(sym, host, dist)
    if strategy == "refine":
        slot = _refine(sym, host, dist, slot)
    return pos[slot].copy()


def _greedy(sym: np.ndarray, host: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Slot (router index) per block, placing the most attached block next at its cheapest free router."""
    n, n_pos = sym.shape[0], dist.shape[0]
    slot = np.full(n, -1, np.int64)
    free = np.ones(n_pos, bool)
    # incremental cost of putting block b at router p, given what is placed: host part first
    inc = host[:, None] * dist[0][None, :]
    attach = host.astype(np.float64).copy()
    for _ in range(n):
        cand = np.flatnonzero(slot < 0)
        b = cand[np.argmax(attach[cand])] if attach[cand].max() > 0 else cand[np.argmax(sym[cand].sum(1))]
        costs = np.where(free, inc[b], np.inf)
        p = int(np.argmin(costs))
        slot[b], free[p] = p, False
        inc += sym[:, b][:, None] * dist[p][None, :]
        attach += sym[:, b]
    return slot


def _refine(sym: np.ndarray, host: np.ndarray, dist: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Best-improvement pairwise swaps over blocks and empty routers until none helps (or the work budget
    ``_MAX_WORK`` is spent: the result never depends on the machine's speed)."""
    n, n_pos = sym.shape[0], dist.shape[0]
    # extend to one "block" per router: empty routers carry no traffic
    s = np.zeros((n_pos, n_pos))
    s[:n, :n] = sym
    np.fill_diagonal(s, 0.0)          # traffic inside a core does not depend on where the core is
    h = np.zeros(n_pos)
    h[:n] = host
    where = np.empty(n_pos, np.int64)
    where[:n] = slot
    where[n:] = np.setdiff1d(np.arange(n_pos), slot)
    work = 0.0
    for _ in range(_MAX_SWEEPS):
        improved = False
        for a in range(n):
            d_here = dist[where]                          # (blocks, routers): distance of each block to each router
            pa = where[a]
            # cost change of block a moving to each block b's router, and b moving to a's
            gain_a = s[a] @ (d_here[:, where] - d_here[:, pa][:, None]) + h[a] * (dist[0, where] - dist[0, pa])
            gain_b = (np.einsum("bk,kb->b", s, d_here[:, pa][:, None] - d_here[:, where])
                      + h * (dist[0, pa] - dist[0, where]))
            delta = gain_a + gain_b + 2 * s[a] * dist[pa, where]
            delta[a] = 0.0
            b = int(np.argmin(delta))
            if delta[b] < -1e-9:
                where[a], where[b] = where[b], where[a]
                improved = True
            work += float(n_pos) * n_pos
            if work > _MAX_WORK:
                return where[:n].copy()
        if not improved:
            break
    return where[:n].copy()


__all__ = ["STRATEGIES", "DEFAULT_STRATEGY", "place", "cost", "grid", "check_strategy"]
