"""Mesh network-on-chip: 5-port XY routers with input FIFOs, round-robin arbitration, credits.

* ``mesh``: geometry, ports, XY routes, where sources enter;
* ``traffic``: each timestep's packets and the cycle each is ready (the core cycle model);
* ``cycle``: the cycle-accurate event-driven kernel; ``fast`` mode only counts along routes;
* ``model.NocModel``: what the Simulation runs after the engine on every chunk;
* ``routing.route``: route a Traffic directly (tests, benchmarks, studies of a placement).

The timing contract is in ``cycle.py`` and docs/router.md.
"""
from __future__ import annotations

from .mesh import HOST_PORT, HOST_ROUTER, PORT_NAMES, PORTS, E, L, Mesh, N, S, W, make_mesh
from .model import NocChunk, NocModel
from .routing import Routed, route
from .stats import NocStats
from .traffic import Traffic

__all__ = ["E", "HOST_PORT", "HOST_ROUTER", "L", "N", "PORTS", "PORT_NAMES", "S", "W", "Mesh", "NocChunk", "NocModel",
           "NocStats", "Routed", "Traffic", "make_mesh", "route"]
