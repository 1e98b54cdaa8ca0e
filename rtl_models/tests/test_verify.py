"""``neuroemu verify`` end to end: the example agrees on both simulators; a planted defect is reported."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from simreq import need

from emulator.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "examples" / "verify.yaml"




@pytest.mark.rtl
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_verify_example_agrees(sim, capsys):
    need(sim)
    assert main(["verify", str(EXAMPLE), "--sim", sim]) == 0
    out = capsys.readouterr().out
    assert "agree: 200 timesteps x 140 neurons on 3 core(s)" in out and "all exact" in out, out
    rate = re.search(r"= ([\d,]+) cycles/s", out)
    assert rate and int(rate.group(1).replace(",", "")) > 0, out
    assert "x the RTL" in out
    print(out)


@pytest.mark.rtl
def test_verify_reports_first_divergence_with_waveform():
    """A v decay rounding the wrong way (MUTANT_DECAY_FLOOR): exit 1, the divergence, a waveform."""
    need("icarus")
    import io

    from emulator.bridge.verify import verify
    out = io.StringIO()
    assert verify(EXAMPLE, "icarus", timesteps=40, defines={"MUTANT_DECAY_FLOOR": 1}, out=out) == 1
    text = out.getvalue()
    m = re.search(r"first divergence at timestep (\d+), cycle (\d+), core (\d+), neuron (\d+) .*: (v|spike) "
                  r"expected (-?\d+), got (-?\d+)", text)
    assert m, text
    assert "<-- diverges" in text
    wave = re.search(r"waveform: (\S+)", text)
    assert wave and Path(wave.group(1)).stat().st_size > 0, text


def test_verify_refuses_an_image_that_does_not_fit(capsys):
    """No simulator needed: the bridge checks the image against the RTL build before building."""
    from emulator.bridge import sim as rtlsim
    if rtlsim.missing("icarus"):
        pytest.skip("the simulator check comes first")
    code = main(["verify", str(EXAMPLE), "--sim", "icarus", "--set", "network.populations[2].size=70",
                 "--set", "chip.limits.neurons=128"])
    assert code == 2
    assert "exceed 2^NEURON_AW = 64" in capsys.readouterr().err
