"""NoC statistics of a run: per-link load, FIFO occupancy, NoC cycles per timestep, stalls."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.types import RouterSpec
from .mesh import PORT_NAMES, PORTS, L


@dataclass(frozen=True, eq=False)
class NocStats:
    """What the router saw over a run. Arrays are indexed ``[y, x, port]`` (ports N, E, S, W, L)."""
    spec: RouterSpec
    width: int
    height: int
    link_load: np.ndarray     #: int64 (H, W, 5): packets each router sent on each output; L = into its core
    max_fifo: np.ndarray      #: int64 (H, W, 5): most packets seen in each input FIFO (cycle mode)
    host_packets: int         #: packets from host spike sources (they enter at router (0, 0), west port)
    noc_cycles: np.ndarray    #: int64 (steps,): cycle the step's last packet arrived (cycle mode)
    stalls: np.ndarray        #: int64 (steps,): head-of-line stall cycles (cycle mode)
    inj_stalls: np.ndarray    #: int64 (steps,): cycles sources waited for FIFO credit (cycle mode)

    @property
    def cycle_mode(self) -> bool:
        return self.spec.mode == "cycle"

    @property
    def packets(self) -> int:
        """Packets delivered (chip and host): each leaves the mesh once, through an L port."""
        return int(self.link_load[..., L].sum())

    @property
    def hops(self) -> int:
        """Router-to-router link traversals: the XY distance of every packet, summed."""
        return int(self.link_load[..., :L].sum())

    def n_links(self) -> int:
        """Directed router-to-router links of the mesh: ``2 (W - 1) H + 2 W (H - 1)``."""
        return 2 * (self.width - 1) * self.height + 2 * self.width * (self.height - 1)

    def busiest_link(self) -> dict | None:
        mesh = self.link_load[..., :L]
        if mesh.size == 0 or mesh.max() == 0:
            return None
        y, x, o = (int(i) for i in np.unravel_index(int(np.argmax(mesh)), mesh.shape))
        to = (x + (o == 1) - (o == 3), y + (o == 0) - (o == 2))
        return {"from": [x, y], "to": list(to), "port": PORT_NAMES[o], "packets": int(mesh[y, x, o])}

    def summary(self, step_cycles: np.ndarray | None = None, barrier: int = 0) -> dict:
        """The ``noc`` section of report.json; cycle-mode figures are None in fast mode.

        ``noc_bound_timesteps``: steps whose end the last packet arrival set (not the slowest
        core), from the run's ``step_cycles`` = max(core finish, last arrival) + barrier.
        """
        n_links = self.n_links()
        cyc = self.noc_cycles
        out = {
            "mode": self.spec.mode, "fifo_depth": self.spec.fifo_depth, "hop_latency": self.spec.hop_latency,
            "mesh": [self.width, self.height],
            "packets": self.packets, "host_packets": self.host_packets, "hops": self.hops,
            "mean_hops_per_packet": self.hops / self.packets if self.packets else 0.0,
            "link_load_max": int(self.link_load[..., :L].max()) if n_links else 0,
            "link_load_mean": self.hops / n_links if n_links else 0.0,
            "busiest_link": self.busiest_link(),
            "ejections_max": int(self.link_load[..., L].max()),
            "link_load": self.link_load.tolist(),
            "link_load_ports": list(PORT_NAMES),
            "max_fifo_occupancy": None, "noc_cycles_per_timestep_max": None,
            "noc_cycles_per_timestep_mean": None, "noc_bound_timesteps": None,
            "stall_cycles": None, "injection_stall_cycles": None,
        }
        if self.cycle_mode:
            bound = None
            if step_cycles is not None and step_cycles.size == cyc.size:
                bound = int(((cyc > 0) & (cyc + barrier >= step_cycles)).sum())
            out.update({
                "max_fifo_occupancy": int(self.max_fifo.max()) if self.max_fifo.size else 0,
                "noc_cycles_per_timestep_max": int(cyc.max()) if cyc.size else 0,
                "noc_cycles_per_timestep_mean": float(cyc.mean()) if cyc.size else 0.0,
                "noc_bound_timesteps": bound,
                "stall_cycles": int(self.stalls.sum()), "injection_stall_cycles": int(self.inj_stalls.sum())})
        return out


def grid(per_fifo: np.ndarray, width: int, height: int) -> np.ndarray:
    """(n_routers * 5,) indexed ``5 * r + port`` -> (height, width, 5) indexed ``[y, x, port]``."""
    return per_fifo.reshape(height, width, PORTS)
