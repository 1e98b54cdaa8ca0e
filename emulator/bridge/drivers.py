"""cocotb drivers and monitors shared by every RTL bench: clock, pulses, field packing, the host
spike port (driver) and the debug read port (monitor).

Imported only inside a simulator process (it imports cocotb). The benches in
``rtl_models/tests`` use these and the model (``emulator``), never their own copy of either.
"""
from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, Timer

CLOCK_NS = 10           #: clock period of every bench


def to_bits(x: int, bits: int) -> int:
    """Two's-complement image of ``x`` in ``bits`` bits (what a port of that width carries)."""
    return int(x) & ((1 << bits) - 1)


def signed(x: int, bits: int) -> int:
    """The signed value of a ``bits``-bit field ``x``."""
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


def drive(dut, **ports) -> None:
    """Set each named input port to its (possibly negative) value, masked to the port width."""
    for name, value in ports.items():
        handle = getattr(dut, name)
        handle.value = to_bits(value, len(handle))


async def settle() -> None:
    """Let combinational logic settle after input writes (one timestep of the 1 ps precision)."""
    await Timer(1, "ps")


def start_clock(dut, period_ns: int = CLOCK_NS) -> None:
    """Start ``dut.clk``, toggled by the simulator side of cocotb (GPI), not by a Python task per edge."""
    cocotb.start_soon(Clock(dut.clk, period_ns, unit="ns", impl="gpi").start())


async def pulse(dut, name: str) -> None:
    """Hold input ``name`` high for exactly one rising edge."""
    getattr(dut, name).value = 1
    await RisingEdge(dut.clk)
    getattr(dut, name).value = 0


async def send_packets(dut, packets) -> None:
    """Host spike input: one ``(core, axon)`` packet per cycle on ``host_valid/host_core/host_axon``.

    The top accepts a packet on every edge where ``host_valid`` is high (its input FIFOs
    are sized by the bridge for a whole timestep, so there is no back-pressure to wait on).
    """
    for core, axon in packets:
        drive(dut, host_valid=1, host_core=core, host_axon=axon)
        await RisingEdge(dut.clk)
    dut.host_valid.value = 0


class DebugPort:
    """Monitor side of the debug read port (combinational: ``dbg_core/dbg_sel/dbg_addr -> dbg_data``).

    Reads are made while the chip is idle, between timesteps; ``dbg_core`` and ``dbg_sel``
    are only rewritten when they change.
    """

    def __init__(self, dut):
        self.dut = dut
        self._core = self._sel = None

    async def read(self, core: int, sel: int, addr: int) -> int:
        if core != self._core:
            self.dut.dbg_core.value = core
            self._core = core
        if sel != self._sel:
            self.dut.dbg_sel.value = sel
            self._sel = sel
        self.dut.dbg_addr.value = addr
        await settle()
        return int(self.dut.dbg_data.value.to_unsigned())
