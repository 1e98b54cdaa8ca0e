"""emulator.config: YAML run configs and chip specs -> validated RunConfig / ChipSpec.

Valid configs must round-trip into exactly the expected dataclass values; every
invalid one must raise exactly one ConfigError whose ``path`` names the field
and whose message says what is wrong -- never a KeyError/TypeError.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest

from emulator.config import (ChipSpec, ConfigError, CoreLimits, Distribution, OutputConfig, PopulationConfig,
                             ProbeConfig, ProjectionConfig, RunConfig, RunSettings, StimulusConfig,
                             apply_overrides, builtin_chips, load, load_chip)
from emulator.config import chips, loader
from emulator.neurons.models import MODELS

REPO = Path(__file__).resolve().parents[2]
SMALL_CHIP = REPO / "configs" / "chips" / "small_2x2.yaml"


def base_config() -> dict:
    """A valid config exercising every population form and several projection forms."""
    return {
        "network": {
            "populations": [
                {"name": "inp", "size": 8, "model": "source"},
                {"name": "exc", "size": 20, "model": "lif", "params": {"tau_mem_ms": 10, "threshold": 2}},
                {"name": "raw", "size": 4, "model": "lif", "fixed": {"vth": 100, "du": 409}},
                {"name": "ada", "size": 5, "model": "alif", "params": {"tau_syn_inh_ms": 3}},
            ],
            "projections": [
                {"source": "inp", "target": "exc", "connectivity": "fixed_probability", "p": 0.5, "weight": 1.5},
                {"name": "rec", "source": "exc", "target": "exc", "connectivity": "fixed_indegree", "indegree": 3,
                 "weight": {"normal": [0.1, 0.02]}, "delay": {"uniform_int": [1, 4]}, "allow_self": False},
                {"source": "exc", "target": "raw", "connectivity": "all_to_all", "weight": {"uniform": [-3, 7]},
                 "weight_exp": -2, "delay_ms": 2.0, "port": "exc"},
            ],
        },
        "stimulus": {"inp": {"type": "poisson", "rate_hz": 20}},
        "run": {"timesteps": 50, "dt_ms": 0.5, "seed": 3,
                "probes": [{"population": "exc", "neurons": [0, 1]}]},
    }


def raises(cfg, path: str, message: str, overrides=(), **kw) -> ConfigError:
    """Load ``cfg`` expecting one ConfigError at ``path`` whose message matches ``message`` (a regex)."""
    with pytest.raises(ConfigError) as info:
        load(cfg, overrides, **kw)
    assert info.value.path == path, str(info.value)
    assert re.search(message, info.value.message), str(info.value)
    return info.value


# ---------------------------------------------------------------- valid configs round-trip
def test_valid_dict_round_trips_into_the_expected_dataclasses():
    cfg = load(base_config())
    assert isinstance(cfg, RunConfig)
    assert cfg.chip == ChipSpec() == load_chip("loihi1")
    assert (cfg.source, cfg.base_dir) == ("<dict>", str(Path.cwd().resolve()))
    inp, exc, raw, ada = cfg.network.populations
    assert inp == PopulationConfig("inp", 8, "source", path="network.populations[0]")
    # physical params completed from the Param table, ints converted to float
    assert exc.params == {"tau_mem_ms": 10.0, "tau_syn_ms": 5.0, "tau_syn_inh_ms": None, "threshold": 2.0,
                          "bias": 0.0, "refractory_ms": 0.0, "reset": "zero", "noise_amplitude": 0.0,
                          "noise_target": "v"}
    assert isinstance(exc.params["tau_mem_ms"], float) and exc.fixed == {} and exc.initial == {}
    assert exc.path == "network.populations[1]"
    # fixed: given values plus the non-None defaults of the fixed table (no du_inh)
    assert raw.fixed == {"du": 409, "dv": 0, "vth": 100, "bias": 0, "bias_exp": 0, "refractory": 0,
                         "reset": "zero", "noise_mant": 0, "noise_exp": 0, "noise_target": "v"}
    assert raw.params == {}
    assert ada.params == MODELS["alif"].with_defaults({"tau_syn_inh_ms": 3.0}, MODELS["alif"].physical)
    assert ada.params["tau_th_ms"] == 100.0 and ada.params["th_inc"] == 0.1

    p0, rec, p2 = cfg.network.projections
    assert p0 == ProjectionConfig("inp_exc", "inp", "exc", "fixed_probability", Distribution("const", value=1.5),
                                  p=0.5, delay=Distribution("const", value=0), path="network.projections[0]")
    assert rec == ProjectionConfig("rec", "exc", "exc", "fixed_indegree", Distribution("normal", mean=0.1, std=0.02),
                                   indegree=3, delay=Distribution("uniform_int", low=1, high=4), allow_self=False,
                                   path="network.projections[1]")
    assert p2 == ProjectionConfig("exc_raw", "exc", "raw", "all_to_all", Distribution("uniform", low=-3, high=7),
                                  delay=Distribution("const", value=2.0), delay_unit="ms", weight_exp=-2,
                                  port="exc", path="network.projections[2]")
    assert cfg.stimulus == (StimulusConfig("inp", "poisson", rate_hz=20.0, path="stimulus.inp"),)
    assert cfg.run == RunSettings(50, 0.5, 3, (ProbeConfig("exc", (0, 1), ("u", "v"), "run.probes[0]"),),
                                  OutputConfig())


def test_defaults_for_omitted_sections():
    cfg = load({"network": {"populations": [{"name": "a", "size": 1, "model": "if"}]}})
    assert cfg.chip == ChipSpec() and cfg.stimulus == () and cfg.run == RunSettings()
    assert cfg.network.projections == ()
    assert cfg.network.populations[0].params == {"threshold": 1.0, "bias": 0.0, "refractory_ms": 0.0,
                                                 "reset": "subtract", "noise_amplitude": 0.0, "noise_target": "v"}
    # empty sections (a bare `run:` line is null) also mean "defaults"
    assert load({"network": {"populations": [{"name": "a", "size": 1, "model": "lif"}], "projections": None},
                 "run": None, "stimulus": None}).run == RunSettings()


FULL_YAML = """\
chip: chips/mine.yaml
network:
  populations:
    - {name: inp, size: 4, model: source}
    - {name: reg, size: 3, model: source}
    - {name: times, size: 2, model: source}
    - {name: rec, size: 5, model: source}
    - name: exc
      size: 4
      model: lif
      params: {tau_mem_ms: 20, tau_syn_ms: 5, threshold: 10, bias: 0, refractory_ms: 2, reset: subtract}
      max_per_core: 2
      initial: {v: {uniform: [0, 1]}, u: 0.5}
    - name: raw
      size: 4
      model: alif
      fixed: {du: 409, dv: 204, vth: 100, du_inh: 7, dth: 3, th_inc: 9}
  projections:
    - {source: inp, target: exc, connectivity: one_to_one, weight: 2.0, delay: 1}
    - {name: ex, source: inp, target: raw, connectivity: explicit, file: data/w.npy, weight_exp: 3}
    - {source: exc, target: raw, connectivity: fixed_indegree, indegree: 4, weight: -5, port: inh}
stimulus:
  inp: {type: poisson, rates_hz: [1, 2, 3, 4.5], start_step: 5, stop_step: 90}
  reg: {type: regular, period_steps: 10, phase_steps: 2}
  times: {type: spike_times, times_steps: [0, 3, 3], indices: [1, 0, 1]}
  rec: {type: file, file: data/raster.npy}
run:
  timesteps: 100
  dt_ms: 1.0
  seed: 7
  probes:
    - {population: raw, neurons: [3], variables: [v, th, u_inh]}
  outputs: {spikes: false, probes: true, raster: false, checkpoint_every: 25}
"""


def test_full_yaml_file_round_trips(tmp_path):
    (tmp_path / "chips").mkdir()
    (tmp_path / "chips" / "mine.yaml").write_text(f"base: {SMALL_CHIP}\nclock_mhz: 100\n")
    (tmp_path / "data").mkdir()
    np.save(tmp_path / "data" / "w.npy", np.eye(4, dtype=np.int64))
    np.save(tmp_path / "data" / "raster.npy", np.zeros((100, 4), dtype=bool))
    path = tmp_path / "run.yaml"
    path.write_text(FULL_YAML)
    cfg = load(path)
    assert (cfg.source, cfg.base_dir) == (str(path), str(tmp_path.resolve()))
    assert cfg.chip == ChipSpec("mine", 2, 2, 100.0, limits=CoreLimits(neurons=256))
    pops = {p.name: p for p in cfg.network.populations}
    assert pops["exc"].max_per_core == 2 and pops["exc"].params["reset"] == "subtract"
    assert pops["exc"].initial == {"v": Distribution("uniform", low=0.0, high=1.0),
                                   "u": Distribution("const", value=0.5)}
    assert pops["raw"].fixed == {"du": 409, "dv": 204, "vth": 100, "du_inh": 7, "dth": 3, "th_inc": 9, "bias": 0,
                                 "bias_exp": 0, "refractory": 0, "reset": "zero", "noise_mant": 0, "noise_exp": 0,
                                 "noise_target": "v"}
    one, ex, ind = cfg.network.projections
    assert (one.name, one.delay, one.weight_exp) == ("inp_exc", Distribution(value=1), None)
    assert ex.file == str(tmp_path.resolve() / "data" / "w.npy") and ex.weight_exp == 3
    assert (ind.weight, ind.weight_exp, ind.port) == (Distribution(value=-5), 0, "inh")
    assert cfg.stimulus == (
        StimulusConfig("inp", "poisson", rates_hz=(1.0, 2.0, 3.0, 4.5), start_step=5, stop_step=90,
                       path="stimulus.inp"),
        StimulusConfig("reg", "regular", period_steps=10, phase_steps=2, path="stimulus.reg"),
        StimulusConfig("times", "spike_times", times_steps=(0, 3, 3), indices=(1, 0, 1), path="stimulus.times"),
        StimulusConfig("rec", "file", file=str(tmp_path.resolve() / "data" / "raster.npy"), path="stimulus.rec"))
    assert cfg.run == RunSettings(100, 1.0, 7, (ProbeConfig("raw", (3,), ("v", "th", "u_inh"), "run.probes[0]"),),
                                  OutputConfig(False, True, False, 25))
    # the same file loaded with base_dir elsewhere cannot find its relative files
    raises(path, "chip", "no built-in chip or chip file 'chips/mine.yaml'", base_dir=REPO)


def test_dict_source_resolves_files_against_base_dir(tmp_path):
    np.savez(tmp_path / "s.npz", pre=[0], post=[0], weight=[1.0])
    cfg = base_config()
    cfg["network"]["projections"] = [{"source": "inp", "target": "exc", "connectivity": "explicit", "file": "s.npz"}]
    loaded = load(cfg, base_dir=tmp_path)
    assert loaded.base_dir == str(tmp_path.resolve())
    assert loaded.network.projections[0].file == str(tmp_path.resolve() / "s.npz")
    raises(cfg, "network.projections[0].file", r"file not found: .*s\.npz", base_dir=REPO)


def test_load_does_not_mutate_its_input():
    cfg = base_config()
    before = copy.deepcopy(cfg)
    load(cfg, ["run.timesteps=9", "network.populations.exc.size=30"])
    assert cfg == before


# ---------------------------------------------------------------- chips
def test_builtin_chips_and_loihi1_matches_the_type_defaults():
    assert "loihi1" in builtin_chips()
    assert load_chip("loihi1") == ChipSpec() == load_chip(None) == load_chip({})


def test_small_2x2_example_derives_from_loihi1():
    chip = load_chip(SMALL_CHIP)
    assert chip == ChipSpec("small_2x2", 2, 2, limits=CoreLimits(neurons=256))
    assert chip.n_cores == 4
    cfg = base_config()
    cfg["chip"] = "configs/chips/small_2x2.yaml"
    assert load(cfg, base_dir=REPO).chip == chip


def test_inline_chip_mapping_overrides_its_base():
    chip = load_chip({"base": "loihi1", "mesh": [4, 3], "clock_mhz": 250, "limits": {"max_delay": 10},
                      "cycles": {"synop": 3}, "energy": {"hop_pj": 1, "source": "mine"}})
    assert (chip.name, chip.mesh_width, chip.mesh_height, chip.clock_mhz) == ("loihi1", 4, 3, 250.0)
    assert chip.limits == CoreLimits(max_delay=10) and chip.cycles.synop == 3 and chip.cycles.barrier == 32
    assert (chip.energy.hop_pj, chip.energy.synop_pj, chip.energy.source) == (1.0, 23.6, "mine")


def test_chip_file_base_is_relative_to_that_file_and_name_defaults_to_stem(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "parent.yaml").write_text("base: loihi1\nmesh: [3, 3]\n")
    (tmp_path / "child.yaml").write_text("base: sub/parent.yaml\nlimits: {neurons: 8}\n")
    chip = load_chip("child.yaml", base_dir=tmp_path)
    assert (chip.name, chip.mesh_width, chip.limits.neurons) == ("child", 3, 8)


def test_chip_file_errors_name_the_file_once(tmp_path):
    (tmp_path / "bad.yaml").write_text("limits: {neurons: 0}\n")
    (tmp_path / "child.yaml").write_text("base: bad.yaml\n")
    for name in ("bad.yaml", "child.yaml"):
        with pytest.raises(ConfigError) as info:
            load_chip(name, base_dir=tmp_path)
        assert info.value.path == f"{tmp_path.resolve() / 'bad.yaml'}: limits.neurons"
        assert info.value.message == "expected a positive integer, got 0"


def test_chip_base_cycle_is_an_error(tmp_path):
    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_chip("a.yaml", base_dir=tmp_path)


@pytest.mark.parametrize("override, path, message", [
    ("chip=loihi", "chip", r"no built-in chip or chip file 'loihi'.*built-in chips: .*loihi1.*did you mean 'loihi1'"),
    ("chip=5", "chip", r"expected a built-in chip name \(.*loihi1.*\), a path to a chip YAML or a mapping, got 5"),
    ("chip.mesh=[0, 2]", "chip.mesh[0]", r"expected a positive integer, got 0"),
    ("chip.mesh=[2]", "chip.mesh", r"expected a list of 2 items, got 1"),
    ("chip.mesh=8", "chip.mesh", r"expected a list, got 8"),
    ("chip.clock_mhz=0", "chip.clock_mhz", r"expected a number > 0, got 0"),
    ("chip.limits.neuron=5", "chip.limits", r"unknown key 'neuron'; valid keys: input_axons, max_delay, "
                                            r"neurons, output_axons, synapse_memory_bits; did you mean 'neurons'\?"),
    ("chip.limits.max_delay=63", "chip.limits.max_delay", r"expected an integer in \[0, 62\], got 63"),
    ("chip.limits.input_axons=true", "chip.limits.input_axons", r"expected a positive integer, got true"),
    ("chip.cycles.synop=-1", "chip.cycles.synop", r"expected a non-negative integer, got -1"),
    ("chip.cycles=[1]", "chip.cycles", r"expected a mapping with keys axon_event, barrier"),
    ("chip.energy.synop_pj=-1", "chip.energy.synop_pj", r"expected a number >= 0, got -1"),
    ("chip.energy.source=5", "chip.energy.source", r"expected a non-empty string, got 5"),
    ("chip.base=null", "chip.base", r"expected a built-in chip name"),
    ("chip.mesh_width=2", "chip", r"unknown key 'mesh_width'.*did you mean 'mesh'\?"),
])
def test_chip_errors(override, path, message):
    raises(base_config(), path, message, [override])


def test_delay_limit_follows_the_chip():
    raises(base_config(), "network.projections[1].delay.uniform_int[1]", r"expected an integer in \[0, 3\], got 4",
           ["chip.limits.max_delay=3"])


# ---------------------------------------------------------------- reading YAML
def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("network:\n  populations: [\n    {name: a, size: 1\n")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert re.fullmatch(re.escape(str(path)) + r":\d+:\d+", info.value.path)
    assert info.value.message.startswith("invalid YAML: ")


def test_duplicate_yaml_key_is_an_error_with_its_line(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("run:\n  timesteps: 10\n  timesteps: 20\n")
    raises(path, f"{path}:3:3", r"invalid YAML: duplicate key 'timesteps'")


def test_yaml_merge_keys_still_work(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("network:\n  populations:\n    - &p {name: a, size: 2, model: lif}\n"
                    "    - {<<: *p, name: b, size: 3}\n")
    assert [(p.name, p.size) for p in load(path).network.populations] == [("a", 2), ("b", 3)]


def test_missing_file_and_wrong_source_type(tmp_path):
    raises(tmp_path / "nope.yaml", str(tmp_path / "nope.yaml"), "file not found")
    raises(tmp_path, str(tmp_path), "cannot read the file")
    raises(42, "", "expected a path to a YAML run config or a mapping, got int")


@pytest.mark.parametrize("text", ["", "- 1\n- 2\n", "just text\n", "42\n"])
def test_file_that_is_not_a_mapping(tmp_path, text):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    raises(path, "", r"expected a run config mapping with keys chip, network, run, stimulus, task, got ")


def test_exponent_floats_are_numbers_as_in_yaml_1_2(tmp_path):
    path = tmp_path / "e.yaml"
    text = "network:\n  populations:\n    - {name: a, size: 1, model: lif, params: {tau_mem_ms: 2e1}}\n"
    path.write_text(text)
    assert load(path).network.populations[0].params["tau_mem_ms"] == 20.0
    path.write_text(text + "run: {timesteps: 1e3}\n")
    raises(path, "run.timesteps", r"expected a positive integer, got 1000\.0")   # a float, not an int


# ---------------------------------------------------------------- overrides
def test_overrides_by_index_name_and_default_projection_name():
    cfg = load(base_config(), ["run.timesteps=200", "network.populations[1].size=50",
                               "network.populations.exc.params.tau_mem_ms=10.5",
                               "network.populations.3.params.th_inc=0.5",
                               "network.projections.inp_exc.weight={uniform: [0, 1]}",
                               "network.projections.rec.delay=2",
                               "stimulus.inp.rate_hz=5", "run.outputs.raster=false"])
    pops, projs = cfg.network.populations, cfg.network.projections
    assert cfg.run.timesteps == 200 and pops[1].size == 50 and pops[1].params["tau_mem_ms"] == 10.5
    assert pops[3].params["th_inc"] == 0.5
    assert projs[0].weight == Distribution("uniform", low=0.0, high=1.0)
    assert projs[1].delay == Distribution(value=2)
    assert cfg.stimulus[0].rate_hz == 5.0 and cfg.run.outputs.raster is False


def test_overrides_create_missing_sections_and_expand_a_chip_name():
    raw = {"chip": "loihi1", "network": {"populations": [{"name": "a", "size": 1, "model": "lif"}]}}
    cfg = load(raw, ["run.seed=4", "chip.mesh=[2, 3]", "network.populations.a.params.threshold=3",
                     "network.populations.a.initial.v=0.25"])
    assert cfg.run.seed == 4 and (cfg.chip.mesh_width, cfg.chip.mesh_height) == (2, 3)
    assert cfg.network.populations[0].params["threshold"] == 3.0
    assert cfg.network.populations[0].initial == {"v": Distribution(value=0.25)}
    assert raw["chip"] == "loihi1"


def test_apply_overrides_values_are_yaml():
    out = apply_overrides({"a": {"b": [1, {"name": "x"}]}},
                          ["a.c=[1, 2]", "a.d={k: v}", "a.e=null", "a.f=abc", "a.g=1e3", "a.b[0]=7", "a.b.x.y=true",
                           "a.h="])
    assert out == {"a": {"b": [7, {"name": "x", "y": True}], "c": [1, 2], "d": {"k": "v"}, "e": None, "f": "abc",
                         "g": 1000.0, "h": None}}
    assert apply_overrides({"a": 1}, "a=2") == {"a": 2}     # a single string is one override


@pytest.mark.parametrize("override, path, message", [
    ("network.populations[9].size=1", "network.populations[9].size",
     r"--set: index 9 is out of range; network.populations has 4 item\(s\)"),
    ("network.populations.exx.size=1", "network.populations.exx.size",
     r"--set: no item named 'exx' in network.populations; names: inp, exc, raw, ada; did you mean 'exc'\?"),
    ("run.timesteps.x=1", "run.timesteps.x", r"--set: cannot go into run.timesteps with 'x': it is 50"),
    ("network[0]=1", "network[0]", r"--set: cannot go into network with 0: it is a mapping"),
    ("run..seed=1", "run..seed", r"malformed path"),
    ("=1", "--set", r"malformed path"),
    ("run.timesteps", "--set", r"expected PATH=VALUE, got 'run.timesteps'"),
    ("run.timesteps=[1", "--set run.timesteps:1:3", r"invalid YAML"),
    ("run.timestep=5", "run", r"unknown key 'timestep'; valid keys: dt_ms, outputs, probes, schedule, seed, timesteps; "
                              r"did you mean 'timesteps'\?"),
])
def test_bad_overrides(override, path, message):
    raises(base_config(), path, message, [override])


def test_override_of_non_string_is_an_error():
    with pytest.raises(ConfigError, match="expected PATH=VALUE, got 5"):
        apply_overrides({}, [5])


# ---------------------------------------------------------------- validation rules
RULES = [
    # top level and network
    ("netwrok=1", "", r"unknown top-level key 'netwrok'; valid keys: chip, network, run, stimulus, task; "
                      r"did you mean 'network'\?"),
    ("network=[]", "network", r"expected a mapping with keys populations, projections, got a list"),
    ("network.populations=[]", "network.populations", r"expected a list of at least 1 item\(s\), got 0"),
    ("network.populations={a: 1}", "network.populations", r"expected a list, got a mapping"),
    ("network.projections=5", "network.projections", r"expected a list, got 5"),
    # populations
    ("network.populations[0].sise=64", "network.populations[0]",
     r"^unknown key 'sise'; valid keys: fixed, initial, max_per_core, model, name, params, params_file, size; "
     r"did you mean 'size'\?$"),
    ("network.populations[1]=exc", "network.populations[1]", r"expected a mapping with keys .*, got 'exc'"),
    ("network.populations[1].model=lfi", "network.populations[1].model",
     r"^unknown neuron model 'lfi'; valid: alif, if, lif, lif2c, source; did you mean 'lif'\?$"),
    ("network.populations[1].model=3", "network.populations[1].model", r"expected one of alif, if, lif, lif2c, source"),
    ("network.populations[1].name=1exc", "network.populations[1].name", r"expected a name of letters, digits"),
    ("network.populations[1].name=exc-1", "network.populations[1].name", r"got 'exc-1'"),
    ("network.populations[3].name=exc", "network.populations[3].name",
     r"duplicate population name 'exc' \(also network.populations\[1\]\)"),
    ("network.populations[1].size=0", "network.populations[1].size", r"expected a positive integer, got 0"),
    ("network.populations[1].size=ten", "network.populations[1].size", r"expected a positive integer, got 'ten'"),
    ("network.populations[1].size=2.0", "network.populations[1].size", r"expected a positive integer, got 2\.0"),
    ("network.populations[1].size=true", "network.populations[1].size", r"expected a positive integer, got true"),
    ("network.populations[1].size=null", "network.populations[1].size", r"expected a positive integer, got null"),
    ("network.populations[1].max_per_core=0", "network.populations[1].max_per_core", r"positive integer, got 0"),
    ("network.populations[0].params={threshold: 1}", "network.populations[0].params",
     r"source population .* driven by stimulus.inp; it takes no params"),
    ("network.populations[0].fixed={vth: 1}", "network.populations[0].fixed", r"takes no fixed"),
    ("network.populations[0].max_per_core=4", "network.populations[0].max_per_core", r"takes no max_per_core"),
    ("network.populations[2].params={threshold: 1}", "network.populations[2]",
     r"give either params \(physical units\) or fixed \(raw register values\), not both"),
    ("network.populations[2].fixed={du: 1}", "network.populations[2].fixed", r"missing required key 'vth'"),
    ("network.populations[2].fixed.vth=null", "network.populations[2].fixed", r"missing required key 'vth'"),
    ("network.populations[2].fixed=null", "network.populations[2].fixed", r"missing required key 'vth'"),
    ("network.populations[1].params=[1]", "network.populations[1].params",
     r"expected a mapping with keys bias, noise_amplitude, noise_target, refractory_ms, reset, tau_mem_ms, "
     r"tau_syn_inh_ms, tau_syn_ms, threshold"),
    ("network.populations[1].params.tau_men_ms=5", "network.populations[1].params",
     r"unknown key 'tau_men_ms'; valid keys: bias, .*threshold; did you mean 'tau_mem_ms'\?"),
    ("network.populations[1].params.th_inc=1", "network.populations[1].params", r"unknown key 'th_inc'"),
    ("network.populations[1].params.du=1", "network.populations[1].params", r"unknown key 'du'"),
    ("network.populations[2].fixed.tau_mem_ms=1", "network.populations[2].fixed", r"unknown key 'tau_mem_ms'"),
    ("network.populations[1].params.tau_mem_ms=0", "network.populations[1].params.tau_mem_ms",
     r"expected a number >= 1e-06, got 0"),
    ("network.populations[1].params.threshold=-1", "network.populations[1].params.threshold",
     r"expected a number >= 0\.0, got -1"),
    ("network.populations[1].params.threshold=high", "network.populations[1].params.threshold",
     r"expected a number >= 0\.0, got 'high'"),
    ("network.populations[1].params.bias=true", "network.populations[1].params.bias", r"expected a number, got true"),
    ("network.populations[1].params.bias=.inf", "network.populations[1].params.bias", r"expected a number, got inf"),
    ("network.populations[1].params.reset=hard", "network.populations[1].params.reset",
     r"unknown reset 'hard'; valid: subtract, zero"),
    ("network.populations[1].params.reset=0", "network.populations[1].params.reset",
     r"expected one of subtract, zero, got 0"),
    ("network.populations[2].fixed.du=4096", "network.populations[2].fixed.du",
     r"expected an integer in \[0, 4095\], got 4096"),
    ("network.populations[2].fixed.du=1.5", "network.populations[2].fixed.du", r"got 1\.5"),
    ("network.populations[2].fixed.vth=true", "network.populations[2].fixed.vth", r"got true"),
    ("network.populations[2].fixed.bias=-4097", "network.populations[2].fixed.bias",
     r"expected an integer in \[-4096, 4095\], got -4097"),
    ("network.populations[2].fixed.dth=1", "network.populations[2].fixed", r"unknown key 'dth'"),
    ("network.populations[1].initial={w: 1}", "network.populations[1].initial",
     r"unknown key 'w'; valid keys: u, v"),
    ("network.populations[1].initial.v=high", "network.populations[1].initial.v", r"expected a number, got 'high'"),
    ("network.populations[0].initial={v: 1}", "network.populations[0].initial", r"takes no initial"),
    # projections
    ("network.projections[0].wieght=1", "network.projections[0]", r"unknown key 'wieght'.*did you mean 'weight'\?"),
    ("network.projections[0]=[1]", "network.projections[0]", r"expected a mapping with keys allow_self, "),
    ("network.projections[0].source=exx", "network.projections[0].source",
     r"unknown population 'exx'; valid: ada, exc, inp, raw; did you mean 'exc'\?"),
    ("network.projections[0].target=inp", "network.projections[0].target",
     r"'inp' is a source population \(driven by its stimulus\) and cannot receive synapses"),
    ("network.projections[0].connectivity=random", "network.projections[0].connectivity",
     r"unknown connectivity 'random'; valid: all_to_all, explicit, fixed_indegree, fixed_probability, one_to_one"),
    ("network.projections[0].connectivity=all_to_all", "network.projections[0].p",
     r"p is only used with connectivity fixed_probability, not all_to_all; remove it"),
    ("network.projections[0]={source: exc, target: raw, connectivity: one_to_one, weight: 1}",
     "network.projections[0].connectivity", r"one_to_one needs equal sizes, but 'exc' has 20 neurons and 'raw' has 4"),
    ("network.projections[0]={source: inp, target: exc, connectivity: fixed_indegree, weight: 1}",
     "network.projections[0]", r"connectivity fixed_indegree needs the key 'indegree'"),
    ("network.projections[0]={source: inp, target: exc, connectivity: explicit}",
     "network.projections[0]", r"connectivity explicit needs the key 'file'"),
    ("network.projections[0].p=0", "network.projections[0].p", r"expected a number in \(0, 1\], got 0"),
    ("network.projections[0].p=1.5", "network.projections[0].p", r"expected a number in \(0, 1\], got 1\.5"),
    ("network.projections[1].indegree=20", "network.projections[1].indegree",
     r"expected an integer in \[1, 19\], got 20"),     # recurrent without self-connections: at most 19
    ("network.projections[1].indegree=0", "network.projections[1].indegree", r"got 0"),
    ("network.projections[0].allow_self=1", "network.projections[0].allow_self", r"expected true or false, got 1"),
    ("network.projections[0].port=both", "network.projections[0].port", r"unknown port 'both'; valid: auto, dend, exc, inh"),
    ("network.projections[0].name=a.b", "network.projections[0].name", r"expected a name"),
    ("network.projections[1].name=inp_exc", "network.projections[1].name",
     r"duplicate projection name 'inp_exc' \(also network.projections\[0\]\); give each projection a unique name"),
    # weights
    ("network.projections[0].weight=heavy", "network.projections[0].weight", r"expected a number, got 'heavy'"),
    ("network.projections[0].weight=null", "network.projections[0].weight", r"expected a number, got null"),
    ("network.projections[0].weight={uniform: [1]}", "network.projections[0].weight.uniform",
     r"expected a list of 2 items, got 1"),
    ("network.projections[0].weight={uniform: [2, 1]}", "network.projections[0].weight.uniform",
     r"expected \[low, high\] with low <= high, got \[2\.0, 1\.0\]"),
    ("network.projections[0].weight={gauss: [1, 2]}", "network.projections[0].weight",
     r"unknown key 'gauss'; valid keys: normal, uniform"),
    ("network.projections[0].weight={}", "network.projections[0].weight", r"expected exactly one of uniform, normal"),
    ("network.projections[0].weight={uniform: [0, 1], normal: [0, 1]}", "network.projections[0].weight",
     r"got 2 keys"),
    ("network.projections[0].weight={normal: [0, -1]}", "network.projections[0].weight.normal[1]",
     r"expected a number >= 0, got -1"),
    ("network.projections[0].weight={uniform_int: [0, 1]}", "network.projections[0].weight",
     r"unknown key 'uniform_int'"),
    ("network.projections[2].weight=300", "network.projections[2].weight",
     r"^300 is outside the 8-bit range \[-256, 255\]$"),
    ("network.projections[2].weight=-257", "network.projections[2].weight", r"-257 is outside the 8-bit range"),
    ("network.projections[2].weight={uniform: [-300, 0]}", "network.projections[2].weight.uniform[0]",
     r"^-300 is outside the 8-bit range \[-256, 255\]$"),
    ("network.projections[2].weight={uniform: [0, 256]}", "network.projections[2].weight.uniform[1]",
     r"256 is outside the 8-bit range"),
    ("network.projections[2].weight=2.5", "network.projections[2].weight",
     r"expected an integer weight mantissa \(the target is given in fixed point\), got 2\.5"),
    ("network.projections[2].weight=true", "network.projections[2].weight", r"weight mantissa .*got true"),
    ("network.projections[2].weight={normal: [0, 1]}", "network.projections[2].weight",
     r"a normal distribution is unbounded; the target 'raw' is given in fixed point"),
    ("network.projections[0].weight_exp=1", "network.projections[0].weight_exp",
     r"weight_exp is only for targets given in fixed point"),
    ("network.projections[2].weight_exp=8", "network.projections[2].weight_exp",
     r"expected an integer in \[-8, 7\], got 8"),
    ("network.projections[2].weight_exp=1.0", "network.projections[2].weight_exp", r"got 1\.0"),
    # delays
    ("network.projections[1].delay_ms=1", "network.projections[1]", r"give delay \(timesteps\) or delay_ms, not both"),
    ("network.projections[0].delay=63", "network.projections[0].delay", r"expected an integer in \[0, 62\], got 63"),
    ("network.projections[0].delay=-1", "network.projections[0].delay", r"got -1"),
    ("network.projections[0].delay=1.5", "network.projections[0].delay", r"got 1\.5"),
    ("network.projections[0].delay=true", "network.projections[0].delay", r"got true"),
    ("network.projections[0].delay={uniform: [1, 2]}", "network.projections[0].delay",
     r"unknown key 'uniform'; valid keys: uniform_int; did you mean 'uniform_int'\?"),
    ("network.projections[1].delay={uniform_int: [4, 1]}", "network.projections[1].delay.uniform_int",
     r"low <= high, got \[4, 1\]"),
    ("network.projections[2].delay_ms=40", "network.projections[2].delay_ms",
     r"40 ms is 80 timesteps at dt_ms 0\.5; the chip allows at most 62 \(chip.limits.max_delay\)"),
    ("network.projections[2].delay_ms={uniform: [0, 31.5]}", "network.projections[2].delay_ms",
     r"31\.5 ms is 63 timesteps"),
    ("network.projections[2].delay_ms=-1", "network.projections[2].delay_ms", r"expected a number >= 0, got -1"),
    # stimulus
    ("stimulus=[1]", "stimulus", r"expected a mapping from source population name to its stimulus, got a list"),
    ("stimulus.exc={type: poisson, rate_hz: 1}", "stimulus.exc",
     r"'exc' is a lif population, not a source; only source populations take a stimulus"),
    ("stimulus.foo={type: poisson}", "stimulus", r"unknown population 'foo'; source populations: inp"),
    ("stimulus={}", "stimulus", r"source population 'inp' has no stimulus; add stimulus.inp"),
    ("stimulus.inp=poisson", "stimulus.inp",
     r"expected a mapping with a type \(poisson, regular, spike_times, file, encoded\) and its keys, got 'poisson'"),
    ("stimulus.inp.type=poison", "stimulus.inp.type",
     r"unknown stimulus type 'poison'; valid: encoded, file, poisson, regular, spike_times; did you mean 'poisson'\?"),
    ("stimulus.inp={rate_hz: 1}", "stimulus.inp", r"missing required key 'type'"),
    ("stimulus.inp.rat_hz=1", "stimulus.inp", r"^unknown key 'rat_hz'; valid keys: rate_hz, rates_hz, start_step, "
                                              r"stop_step, type; did you mean 'rate_hz'\?$"),
    ("stimulus.inp.rates_hz=[1, 2]", "stimulus.inp", r"poisson needs exactly one of rate_hz .* or rates_hz"),
    ("stimulus.inp={type: poisson}", "stimulus.inp", r"poisson needs exactly one of"),
    ("stimulus.inp={type: poisson, rates_hz: [1, 2]}", "stimulus.inp.rates_hz", r"expected a list of 8 items, got 2"),
    ("stimulus.inp={type: poisson, rates_hz: [1, 2, 3, 4, 5, 6, 7, x]}", "stimulus.inp.rates_hz[7]",
     r"expected a number >= 0, got 'x'"),
    ("stimulus.inp.rate_hz=-1", "stimulus.inp.rate_hz", r"expected a number >= 0, got -1"),
    ("stimulus.inp.rate_hz=2500", "stimulus.inp.rate_hz",
     r"2500 Hz at dt_ms 0\.5 is more than one spike per timestep; use at most 2000 Hz"),
    ("stimulus.inp.type=regular", "stimulus.inp",
     r"unknown key 'rate_hz'; valid keys: period_steps, phase_steps, start_step, stop_step, type"),
    ("stimulus.inp={type: regular, period_steps: 0}", "stimulus.inp.period_steps", r"positive integer, got 0"),
    ("stimulus.inp={type: regular, phase_steps: -1}", "stimulus.inp.phase_steps", r"non-negative integer, got -1"),
    ("stimulus.inp={type: spike_times, times_steps: [1]}", "stimulus.inp", r"missing required key 'indices'"),
    ("stimulus.inp={type: spike_times, times_steps: [1, 2], indices: [0]}", "stimulus.inp.indices",
     r"expected a list of 2 items, got 1"),
    ("stimulus.inp={type: spike_times, times_steps: [1], indices: [8]}", "stimulus.inp.indices[0]",
     r"expected an integer in \[0, 7\], got 8"),
    ("stimulus.inp={type: spike_times, times_steps: [-1], indices: [0]}", "stimulus.inp.times_steps[0]",
     r"non-negative integer, got -1"),
    ("stimulus.inp={type: spike_times, times_steps: 3, indices: [0]}", "stimulus.inp.times_steps",
     r"expected a list, got 3"),
    ("stimulus.inp={type: file}", "stimulus.inp", r"missing required key 'file'"),
    ("stimulus.inp={type: file, file: nope.npz}", "stimulus.inp.file", r"file not found: .*nope\.npz"),
    ("stimulus.inp={type: file, file: spikes.csv}", "stimulus.inp.file", r"expected a \.npy or \.npz file"),
    ("stimulus.inp.start_step=-1", "stimulus.inp.start_step", r"non-negative integer, got -1"),
    ("stimulus.inp.stop_step=ten", "stimulus.inp.stop_step", r"got 'ten'"),
    ("stimulus.inp={type: poisson, rate_hz: 1, start_step: 10, stop_step: 5}", "stimulus.inp.stop_step",
     r"stop_step \(5\) is before start_step \(10\)"),
    # run, probes and outputs
    ("run=5", "run", r"expected a mapping with keys dt_ms, outputs, probes, schedule, seed, timesteps, got 5"),
    ("run.timesteps=ten", "run.timesteps", r"^expected a positive integer, got 'ten'$"),
    ("run.timesteps=0", "run.timesteps", r"expected a positive integer, got 0"),
    ("run.timesteps=true", "run.timesteps", r"got true"),
    ("run.dt_ms=0", "run.dt_ms", r"expected a number > 0, got 0"),
    ("run.dt_ms=.nan", "run.dt_ms", r"expected a number > 0, got nan"),
    ("run.dt_ms=fast", "run.dt_ms", r"got 'fast'"),
    ("run.seed=-1", "run.seed", r"expected a non-negative integer, got -1"),
    ("run.seed=false", "run.seed", r"got false"),
    ("run.probes={population: exc}", "run.probes", r"expected a list, got a mapping"),
    ("run.probes[0].population=foo", "run.probes[0].population", r"unknown population 'foo'; valid: ada, exc"),
    ("run.probes[0].population=inp", "run.probes[0].population",
     r"'inp' is a source population: it has no neuron state to probe"),
    ("run.probes[0].neurons=[20]", "run.probes[0].neurons[0]", r"expected an integer in \[0, 19\], got 20"),
    ("run.probes[0].neurons=[]", "run.probes[0].neurons", r"expected at least one neuron index"),
    ("run.probes[0].neurons=[true]", "run.probes[0].neurons[0]", r"got true"),
    ("run.probes[0].neurons=all", "run.probes[0].neurons", r"expected a list, got 'all'"),
    ("run.probes[0].variables=[u, th]", "run.probes[0].variables[1]",
     r"'th' cannot be probed in population 'exc' \(model lif\); valid: u, v"),
    ("run.probes[0].variables=[u_inh]", "run.probes[0].variables[0]", r"'u_inh' cannot be probed"),
    ("run.probes[0].variables=[]", "run.probes[0].variables", r"expected at least one of u, v"),
    ("run.probes[0].variables=[{a: 1}]", "run.probes[0].variables[0]", r"a mapping cannot be probed"),
    ("run.probes[0].neuron=[1]", "run.probes[0]", r"unknown key 'neuron'.*did you mean 'neurons'\?"),
    ("run.probes[0]={neurons: [1]}", "run.probes[0]", r"missing required key 'population'"),
    ("run.outputs.spikes=1", "run.outputs.spikes", r"expected true or false, got 1"),
    ("run.outputs.checkpoint_every=-1", "run.outputs.checkpoint_every", r"non-negative integer, got -1"),
    ("run.outputs.plots=true", "run.outputs", r"unknown key 'plots'; valid keys: checkpoint_every, probes, raster, "
                                              r"spikes"),
]


@pytest.mark.parametrize("override, path, message", RULES, ids=[r[0][:60] for r in RULES])
def test_validation_rule(override, path, message):
    raises(base_config(), path, message, [override])


def test_probe_variables_follow_the_model():
    cfg = load(base_config(), ["run.probes[0]={population: ada, neurons: [4], variables: [u, v, th, u_inh]}"])
    assert cfg.run.probes[0].variables == ("u", "v", "th", "u_inh")
    cfg = load(base_config(), ["network.populations.raw.fixed.du_inh=3",
                               "run.probes[0]={population: raw, neurons: [0], variables: [u_inh]}"])
    assert cfg.run.probes[0] == ProbeConfig("raw", (0,), ("u_inh",), "run.probes[0]")


@pytest.mark.parametrize("where, key", [
    ("population", "name"), ("population", "size"), ("population", "model"),
    ("projection", "source"), ("projection", "target"), ("projection", "connectivity"), ("projection", "weight"),
])
def test_required_keys(where, key):
    cfg = base_config()
    container = cfg["network"]["populations"][1] if where == "population" else cfg["network"]["projections"][0]
    del container[key]
    raises(cfg, f"network.{where}s[{0 if where == 'projection' else 1}]", rf"missing required key '{key}'")


def test_required_network_and_populations():
    raises({"run": {}}, "", r"missing required top-level key 'network'")
    raises({"network": {}}, "network", r"missing required key 'populations'")
    raises({"network": {"populations": [{"name": "a", "size": 1, "model": "lif"}]}, "stimulus": {"a": {}}},
           "stimulus.a", r"'a' is a lif population, not a source")


def test_explicit_projection_takes_weights_from_its_file(tmp_path):
    np.save(tmp_path / "w.npy", np.ones((8, 20)))
    cfg = base_config()
    cfg["network"]["projections"][0] = {"source": "inp", "target": "exc", "connectivity": "explicit",
                                        "file": "w.npy", "weight": 1.0}
    raises(cfg, "network.projections[0].weight", r"takes its weights from its file; remove weight",
           base_dir=tmp_path)
    del cfg["network"]["projections"][0]["weight"]
    proj = load(cfg, base_dir=tmp_path).network.projections[0]
    assert proj.file == str(tmp_path.resolve() / "w.npy") and proj.weight_exp is None


# ---------------------------------------------------------------- garbage never escapes as another exception
GARBAGE = [None, True, False, "ten", "", [], [1, "x"], {}, {"x": 1}, -1, 0, 1.5, float("nan"), 10 ** 30]


def _paths(node, prefix=()):
    """Every (container path, key) in a nested dict/list config."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        yield prefix + (key,)
        if isinstance(value, (dict, list)):
            yield from _paths(value, prefix + (key,))


def _replaced(cfg, path, value):
    out = copy.deepcopy(cfg)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize("garbage", GARBAGE, ids=repr)
def test_garbage_anywhere_raises_only_config_error(garbage):
    cfg = base_config()
    for path in _paths(cfg):
        try:
            load(_replaced(cfg, path, garbage))
        except ConfigError:
            pass
        except Exception as e:     # the failure names the culprit instead of a bare traceback
            pytest.fail(f"{type(e).__name__} escaped for {path} = {garbage!r}: {e}")
    for bad in ({"network": garbage}, {"network": {"populations": garbage}},
                {"network": {"populations": [garbage]}}, {**cfg, "stimulus": {"inp": garbage}},
                {**cfg, "run": {"probes": [garbage]}}):
        with pytest.raises(ConfigError):
            load(bad)
    if not isinstance(garbage, dict):
        with pytest.raises(ConfigError):
            apply_overrides(garbage, ["a=1"])


@pytest.mark.parametrize("snippet, path, message", [
    ("{name: a, size: 2020-01-01, model: lif}", "network.populations[0].size", r"got datetime\.date"),
    ("{name: a, size: 1, model: lif, 1: x}", "network.populations[0]", r"unknown key 1; valid keys"),
    ("{name: a, size: 1, model: lif, null: x}", "network.populations[0]", r"unknown key null; valid keys"),
    ("{name: a, size: !!set {1, 2}, model: lif}", "network.populations[0].size", r"expected a positive integer"),
    ("{name: a, size: !!python/object:os.system x, model: lif}", None, r"invalid YAML"),
    ("{name: a, size: 1, model: lif, [1]: x}", None, r"invalid YAML: found unhashable key"),
    ("&p [*p]", "network.populations[0]", r"expected a mapping .*, got a list"),
])
def test_odd_yaml_values_are_config_errors(tmp_path, snippet, path, message):
    file = tmp_path / "odd.yaml"
    populations = snippet if snippet.startswith("&") else f"[{snippet}]"
    file.write_text(f"network:\n  populations: {populations}\n")
    if path:
        raises(file, path, message)
    else:                           # refused by the YAML reader: the path is file:line:column
        with pytest.raises(ConfigError, match=message) as info:
            load(file)
        assert info.value.path.startswith(f"{file}:")


@pytest.mark.parametrize("path", [
    ("network", "populations", 1, "size"), ("network", "populations", 2, "fixed", "du"),
    ("network", "projections", 1, "indegree"), ("network", "projections", 0, "delay"),
    ("run", "timesteps"), ("run", "seed"), ("run", "probes", 0, "neurons", 0),
    ("stimulus", "inp", "start_step"),
])
@pytest.mark.parametrize("flag", [True, False])
def test_bool_is_never_an_int(path, flag):
    cfg = _replaced(base_config(), path, flag)
    with pytest.raises(ConfigError, match="got (true|false)"):
        load(cfg)


# ---------------------------------------------------------------- docs stay in sync
def test_docs_mention_every_key():
    text = (REPO / "docs" / "yaml.md").read_text()
    keys = {*loader._TOP_KEYS, *chips._CHIP_KEYS, *loader._POP_KEYS, *loader._PROJ_KEYS, *loader._CONNECTIVITY,
            *loader._STIM_COMMON, *(k for ks in loader._STIM_KEYS.values() for k in ks), *loader._STIM_KEYS,
            *loader._RUN_CHECKS, *loader._OUTPUT_CHECKS, "probes", "outputs", "population", "neurons", "variables",
            "uniform", "normal", "uniform_int", *builtin_chips()}
    for dc in (CoreLimits(), ChipSpec().cycles, ChipSpec().energy):
        keys.update(f for f in dc.__dataclass_fields__)
    for model in MODELS.values():
        keys.update(model.physical, model.fixed)
    missing = sorted(k for k in keys if not re.search(rf"`[^`\n]*\b{k}\b[^`\n]*`", text))
    assert not missing, f"docs/yaml.md does not mention: {missing}"
