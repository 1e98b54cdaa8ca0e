"""rtl_models/neuron_unit.v against the neuron unit model ``emulator.neurons.kernels.neuron_step``.

The cocotb test (``neuron_unit_random_draws``, run inside the simulator) drives thousands of
random and edge draws through the combinational unit in one simulation and compares all six
outputs of every draw with the model, bit for bit. The draws are the ones the Numba kernel is
checked with against its plain-Python twin (``tests/unit/test_neuron_twin.py::_random_case``):
full 24-bit state, wrapping accumulator slots, saturating voltages, every flag combination.
The pytest entry point builds the unit once per simulator and variant and runs that test.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from simreq import need

from emulator.bridge import sim as rtlsim

N_DRAWS = int(os.environ.get("NEUROEMU_NEURON_DRAWS", "4000"))   #: draws per simulator and variant

# (simulator, HAS_ADAPT, HAS_DUAL): the full unit on both simulators, a LIF-only unit on Icarus
VARIANTS = [("icarus", 1, 1), ("verilator", 1, 1), ("icarus", 0, 0)]


@pytest.mark.rtl
@pytest.mark.parametrize("sim,has_adapt,has_dual", VARIANTS)
def test_neuron_unit_matches_model(sim, has_adapt, has_dual, tmp_path):
    need(sim)
    bench = rtlsim.build(sim, "neuron_unit", [str(rtlsim.rtl_dir() / "neuron_unit.v")],
                         parameters={"HAS_ADAPT": has_adapt, "HAS_DUAL": has_dual})
    rtlsim.run(bench, "test_neuron_unit", test_dir=tmp_path,
               env={"NEUROEMU_DRAWS": N_DRAWS, "NEUROEMU_SEED": 1123 + has_adapt,
                    "NEUROEMU_FLAG_MASK": 1 | (2 * has_adapt) | (4 * has_dual)})
    assert "draws" in (tmp_path / "summary.txt").read_text()


# ----------------------------------------------------------------------- inside the simulator
try:
    import cocotb
except ImportError:        # collected by pytest without cocotb installed: only the entry point above
    cocotb = None

if cocotb is not None:
    @cocotb.test()
    async def neuron_unit_random_draws(dut):
        """Drive N draws; every output of every draw equals neuron_step's (first mismatch fails)."""
        from emulator import fixed as fx
        from emulator.bridge.drivers import drive, settle, signed
        from emulator.bridge.memfiles import split_bias
        from emulator.neurons.kernels import neuron_step
        from tests.unit.test_neuron_twin import _random_case

        n = int(os.environ["NEUROEMU_DRAWS"])
        flag_mask = int(os.environ["NEUROEMU_FLAG_MASK"])
        rng = np.random.default_rng(int(os.environ["NEUROEMU_SEED"]))
        spikes = refractory = saturated = 0
        for i in range(n):
            c = _random_case(rng)
            c["flags"] &= flag_mask
            mant, exp = split_bias(c["bias"])
            drive(dut, a_i=c["a"], a_inh_i=c["a_inh"], u_i=c["u"], u_inh_i=c["u_inh"], v_i=c["v"], th_i=c["th"],
                  ref_i=c["ref"], du_i=c["du"], du_inh_i=c["du_inh"], dv_i=c["dv"], dth_i=c["dth"],
                  vth_i=c["vth"], bias_mant_i=mant, bias_exp_i=exp, refractory_i=c["refractory"],
                  th_inc_i=c["th_inc"], flags_i=c["flags"])
            await settle()
            got = (signed(dut.u_o.value.to_unsigned(), fx.U_BITS),
                   signed(dut.u_inh_o.value.to_unsigned(), fx.U_BITS),
                   signed(dut.v_o.value.to_unsigned(), fx.V_BITS),
                   int(dut.th_o.value.to_unsigned()), int(dut.ref_o.value.to_unsigned()),
                   bool(dut.spike_o.value))
            want = neuron_step(*(np.int64(c[k]) for k in ("a", "a_inh", "u", "u_inh", "v", "th", "ref", "du",
                                                          "du_inh", "dv", "vth", "bias", "refractory", "dth",
                                                          "th_inc")), np.uint8(c["flags"]))
            want = tuple(int(x) for x in want[:5]) + (bool(want[5]),)
            if got != want:
                names = ("u", "u_inh", "v", "th", "ref", "spike")
                diff = {k: (w, g) for k, w, g in zip(names, want, got) if w != g}
                raise AssertionError(f"draw {i}: {c}: (expected, got) {diff}")
            spikes += want[5]
            refractory += c["ref"] > 0
            saturated += abs(want[2]) == fx.V_MAX
        # the draws must exercise spikes, refractory holds and saturation, or they prove little
        assert 0.05 * n < spikes < 0.95 * n and refractory > 0.1 * n and saturated > 0, (spikes, refractory,
                                                                                         saturated)
        with open("summary.txt", "w") as f:
            f.write(f"{n} draws, {spikes} spikes, {refractory} refractory, {saturated} saturated\n")
