"""Engine: chip state, the timestep kernels and the run loop."""
from .simulation import ProbeSpec, Simulation, ring_size

__all__ = ["ProbeSpec", "Simulation", "ring_size"]
