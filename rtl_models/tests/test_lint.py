"""The RTL is lint-clean Verilog-2005 and refuses illegal parameters.

* ``verilator --lint-only -Wall`` on every top (neuron_unit, core, chip_top), also with each
  planted-defect define, must print nothing;
* Icarus compiles every file as Verilog-2005 (``-g2005``) with ``-Wall`` silently;
* an illegal parameter combination stops the simulation at time 0 with an ERROR line.
"""
from __future__ import annotations

import subprocess

import pytest
from simreq import need

from emulator.bridge import sim as rtlsim




def _sources():
    return sorted(str(p) for p in rtlsim.rtl_dir().glob("*.v"))


@pytest.mark.rtl
@pytest.mark.parametrize("top,define", [("neuron_unit", None), ("core", None), ("chip_top", None),
                                        ("chip_top", "MUTANT_DECAY_FLOOR"), ("chip_top", "MUTANT_FIFO_DROP")])
def test_verilator_lint_clean(top, define):
    need("verilator")
    rtlsim.setup_env()
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", top] + ([f"-D{define}"] if define else []) + _sources()
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0 and "%Warning" not in p.stderr and "%Error" not in p.stderr, p.stderr


@pytest.mark.rtl
def test_icarus_verilog_2005_clean(tmp_path):
    need("icarus")
    p = subprocess.run(["iverilog", "-g2005", "-Wall", "-s", "chip_top", "-o", str(tmp_path / "a.vvp")] + _sources(),
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "", p.stdout + p.stderr


@pytest.mark.rtl
@pytest.mark.parametrize("top,param", [("chip_top", "BARRIER=1"), ("core", "C_SYNOP=0"),
                                       ("neuron_unit", "ACC_BITS=20"), ("core", "RING_BITS=7")])
def test_illegal_parameters_stop_elaboration(top, param, tmp_path):
    need("icarus")
    out = tmp_path / "a.vvp"
    p = subprocess.run(["iverilog", "-g2005", "-s", top, f"-P{top}.{param}", "-o", str(out)] + _sources(),
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    r = subprocess.run(["vvp", "-n", str(out)], capture_output=True, text=True, timeout=60)
    assert "ERROR:" in r.stdout and "illegal parameters" in r.stdout, r.stdout + r.stderr
