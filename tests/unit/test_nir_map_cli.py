"""``neuroemu map`` end to end: output folder, the runnable mapped config, timing, error paths."""
import json
import time
from pathlib import Path

import nir
import numpy as np
import pytest

import emulator as ne
from emulator.cli import main
from emulator.config.loader import load, load_chip
from emulator.errors import ConfigError
from emulator.image import ChipImage
from emulator.ir.nir_import import ImportOptions, from_nir
from emulator.mapping import map_network

FIX = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def test_map_writes_image_config_report_and_picture(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["map", str(FIX / "digits_mlp.nir"), "--dt", "1e-3", "--check", str(FIX / "digits_spikes.npz"),
                 "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "check on 360 samples" in text and "placement refine" in text and "per inference" in text
    rep = json.loads((out / "mapping.json").read_text())
    assert rep["cores_used"] == 2 and rep["synapses"] == 64 * 64 + 64 * 10
    keys = {"neurons_frac", "input_axons_frac", "output_axons_frac", "synapse_bits_frac", "xy"}
    assert keys <= set(rep["per_core"][0])
    assert all(q["snr_db"] > 40 for q in rep["quantization"])
    assert [q["max_fan_in"] for q in rep["quantization"]][:2] == [64, 64]     # 64 pixels -> 64 hidden -> 10
    assert all(q["wrap_spikes_per_step"] is None or q["wrap_spikes_per_step"] <= q["max_fan_in"]
               for q in rep["quantization"])
    assert all(q["wrap_spikes_per_step"] is None or q["wrap_spikes_sustained"] <= q["wrap_spikes_per_step"]
               for q in rep["quantization"])
    assert abs(rep["check"]["accuracy_chip"] - rep["check"]["accuracy_float"]) <= 0.02
    assert rep["check"]["per_inference"]["energy_uj"] > 0
    assert (out / "placement.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the mapped config rebuilds exactly the written ChipImage ...
    image = ChipImage.load(out / "chip_image.npz")
    built = ne.build(ne.load_config(out / "mapped.yaml"))
    for name in ChipImage._ARRAYS:
        assert np.array_equal(getattr(built.image, name), getattr(image, name)), name
    for a, b in zip(built.image.params, image.params):
        assert np.array_equal(a, b)
    # ... and runs: the first test sample, with the readout's voltage probed
    assert main(["run", str(out / "mapped.yaml"), "-q", "-o", str(tmp_path / "run")]) == 0
    with np.load(tmp_path / "run" / "probes.npz") as z:
        assert z["li_v"].shape == (16 + 2, 10)


def test_map_onnx_reports_accuracy_per_timestep_count(tmp_path, capsys):
    assert main(["map", str(FIX / "digits_relu.onnx"), "--check", str(FIX / "digits_analog.npz"), "--timesteps",
                 "8,32", "-o", str(tmp_path)]) == 0
    assert "T =    8" in capsys.readouterr().out
    rep = json.loads((tmp_path / "mapping.json").read_text())
    assert [r["timesteps"] for r in rep["ann_conversion"]["by_timesteps"]] == [8, 32]


@pytest.mark.parametrize("args, message", [
    (["model.txt"], "model.txt: unknown model type '.txt'; expected a NIR graph (.nir) or an ONNX"),
    ([str(FIX / "digits_mlp.nir")], "(LI) has time constants: give the timestep (--dt"),
    ([str(FIX / "digits_mlp.nir"), "--dt", "1e-3", "--check", str(FIX / "digits_analog.npz")],
     "'inputs' has shape (360, 64); expected (samples, timesteps, 64)"),
    ([str(FIX / "digits_mlp.nir"), "--dt", "1e-3", "--chip", "nochip"], "--chip: no built-in chip or chip file"),
    ([str(FIX / "digits_cnn.nir"), "--dt", "1e-3", "--chip", str(FIX / "tiny_chip.yaml")],
     "the network needs 5 cores but the 1 x 2 mesh of chip 'tiny_chip' has 2; use a bigger mesh"),
])
def test_map_errors_are_one_line(tmp_path, capsys, args, message):
    assert main(["map", *args, "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("neuroemu: error: ") and message in err and "Traceback" not in err


def test_params_file_errors_name_the_field(tmp_path):
    np.savez(tmp_path / "p.npz", threshhold=np.ones(3))
    cfg = {"network": {"populations": [{"name": "a", "size": 3, "model": "lif", "params_file": "p.npz"}]}}
    with pytest.raises(ConfigError, match=r"network.populations\[0\].params_file: p.npz: unknown array 'threshhold'"
                                          r".*did you mean 'threshold'"):
        load(cfg, base_dir=tmp_path)
    np.savez(tmp_path / "p.npz", threshold=np.ones(4))
    with pytest.raises(ConfigError, match=r"array 'threshold' must hold finite numbers, a scalar or shape \(3,\)"):
        load(cfg, base_dir=tmp_path)
    np.savez(tmp_path / "p.npz", tau_mem_ms=np.zeros(3))
    with pytest.raises(ConfigError, match=r"tau_mem_ms outside"):
        load(cfg, base_dir=tmp_path)


def test_one_million_synapses_map_within_ten_seconds():
    rng = np.random.default_rng(0)
    n = 1000
    g = nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([n])}),
        "fc": nir.Affine(weight=rng.normal(0, 0.1, (n, n)), bias=np.zeros(n)),
        "lif": nir.LIF(tau=np.full(n, 0.01), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n),
                       v_reset=np.zeros(n)),
        "output": nir.Output(output_type={"output": np.array([n])})},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")])
    start = time.perf_counter()
    model = from_nir(g, ImportOptions(dt_s=1e-3))
    image, report = map_network(model.network, load_chip("loihi1"))
    seconds = time.perf_counter() - start
    assert image.n_synapses == n * n
    assert seconds <= 10.0, seconds      # measured: about 1.5 s on the 2-core development machine
