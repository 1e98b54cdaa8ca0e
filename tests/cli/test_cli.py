"""End-to-end runs of the neuroemu command line, and its error paths."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emulator.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "configs" / "examples" / "demo.yaml"


def test_run_default_demo_writes_all_results(tmp_path, capsys):
    assert main(["run", "--timesteps", "120", "-o", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    for label in ("timesteps", "spikes", "mean rate", "synaptic ops", "cycles per timestep", "energy",
                  "wall time", "synaptic events/s"):
        assert label in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["timesteps"] == 120 and report["spikes"] > 0 and report["mean_rate_hz"] > 0
    assert report["cycles_per_timestep_max"] >= report["cycles_per_timestep_mean"] > 0
    with np.load(tmp_path / "spikes.npz") as z:
        assert z["exc_times"].size + z["inh_times"].size == report["spikes"]
    with np.load(tmp_path / "probes.npz") as z:
        assert z["exc_v"].shape == (120, 4) and list(z["exc_neurons"]) == [0, 1, 2, 3]
    assert (tmp_path / "raster.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.tmp")) and not (tmp_path / "checkpoint.npz").exists()


def test_same_seed_gives_byte_identical_spikes_and_another_seed_differs(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        assert main(["run", str(DEMO), "-q", "--timesteps", "150", "--seed", str(seed), "-o", str(tmp_path / name)]) == 0
    a, b, c = ((tmp_path / n / "spikes.npz").read_bytes() for n in "abc")
    assert a == b
    assert a != c


def test_set_overrides_reach_the_run(tmp_path):
    assert main(["run", str(DEMO), "-q", "--set", "run.timesteps=30", "--set", "network.populations.exc.size=64",
                 "-o", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["timesteps"] == 30 and report["neurons"] == 64 + 100


def test_validate_and_info(capsys):
    assert main(["validate", str(DEMO)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["info", str(ROOT / "configs" / "examples" / "cuba.yaml")]) == 0
    out = capsys.readouterr().out
    assert "exc" in out and "cores 0-7" in out and "output axons" in out and "quantization SNR" in out
    assert "24-bit input cannot wrap" in out                  # cuba's excitation: far below the register's range
    assert "spikes/step sustained" in out                     # its slow inhibitory current: only if sustained


def _write(tmp_path, text):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("text, expected", [
    ("network: [1, 2\n", "YAML"),
    ("network:\n  populations:\n    - {name: a, size: 2, model: lfi}\n", "network.populations[0].model"),
    ("network:\n  populations:\n    - {name: a, size: 3, model: lif, fixed: {vth: 10}}\n"
     "    - {name: s, size: 2, model: source}\n"
     "  projections:\n    - {source: s, target: a, connectivity: all_to_all, weight: 300}\n"
     "stimulus:\n  s: {type: poisson, rate_hz: 5}\n",
     "network.projections[0].weight: 300 is outside the 8-bit range [-256, 255]"),
    ("network:\n  populations:\n    - {name: big, size: 5000, model: lif, max_per_core: 4}\n",
     "the network needs 1250 cores"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, text, expected):
    assert main(["run", _write(tmp_path, text), "-q", "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("neuroemu: error:") and expected in err and "\n" not in err
    assert not (tmp_path / "out" / "report.json").exists()


def test_console_script_prints_no_traceback(tmp_path):
    exe = Path(sys.executable).with_name("neuroemu")
    proc = subprocess.run([str(exe), "validate", _write(tmp_path, "network: {populations: [{name: a, size: 1, model: lif}]}\n"
                                                          "run: {timesteps: ten}\n")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "run.timesteps" in proc.stderr


def test_resume_continues_to_identical_results(tmp_path):
    import emulator as ne
    from emulator.engine import Simulation
    cfg = ne.load_config(DEMO, overrides=["run.timesteps=200"])
    b = ne.build(cfg)
    whole = ne.simulate(b)
    part = Simulation(b.image, b.stimulus, b.probes)
    part.run(73, chunk=20)
    ckpt = tmp_path / "run" / "checkpoint.npz"
    part.save_checkpoint(ckpt)
    # the CLI picks the checkpoint up and finishes the remaining 127 steps
    assert main(["run", str(DEMO), "-q", "--timesteps", "200", "-o", str(tmp_path / "run"), "--resume"]) == 0
    with np.load(tmp_path / "run" / "spikes.npz") as z:
        t, i = whole.spikes("exc")
        assert np.array_equal(z["exc_times"], t) and np.array_equal(z["exc_indices"], i)
    assert not ckpt.exists()


def test_resume_refuses_a_checkpoint_of_another_image(tmp_path):
    import emulator as ne
    from emulator.engine import Simulation
    b = ne.build(ne.load_config(DEMO, overrides=["run.seed=9"]))
    sim = Simulation(b.image, b.stimulus)
    sim.run(10)
    sim.save_checkpoint(tmp_path / "checkpoint.npz")
    assert main(["run", str(DEMO), "-q", "-o", str(tmp_path), "--resume"]) == 2
