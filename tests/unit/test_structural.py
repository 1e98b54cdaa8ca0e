"""Structural plasticity (emulator.learning.structural, docs/structural.md): the Numba rewiring
agrees bit for bit with the plain-Python twin (tests/reference/structural_ref.py) on random
tables and inside whole random plastic networks; it keeps the synapse count, indegrees (scope
neuron) or row lengths (scope row); chunking, threads and checkpoints do not change a bit; the
YAML block is validated with one error naming the field."""
from dataclasses import replace

import numpy as np
import pytest

from emulator.api import build
from emulator.config.loader import load
from emulator.engine import Simulation
from emulator.errors import ConfigError
from emulator.learning.structural import (
    GROUP,
    NO_THRESHOLD,
    PRUNE_Q,
    SCOPE,
    STRUCT_PARAMS,
    W_INIT,
    StructuralSpec,
    Synapses,
    prune_count,
    rewire,
    structural_lfsr_seed,
)
from emulator.image import pack_synapses
from tests.reference.engine_ref import assert_engine_matches_reference
from tests.reference.neuron_ref import synapse_ref
from tests.reference.random_nets import random_plastic_config
from tests.reference.structural_ref import (
    Draws,
    rewire_ref,
    structural_seed_ref,
    structural_twin,
)


def random_region(rng, rows, neurons, density, tags):
    """CSR tables of ``rows`` rows into ``neurons`` local neurons, each (row, target) pair at most once,
    with a random static prefix and suffix row around the region (which a rewiring must not touch)."""
    ptr, tgt = [0], []
    for _ in range(rows + 2):
        t = np.flatnonzero(rng.random(neurons) < density)
        tgt.extend(t.tolist())
        ptr.append(len(tgt))
    n = len(tgt)
    w = rng.integers(-256, 256, n) if rng.random() < 0.5 else rng.integers(0, 8, n)   # many ties
    return Synapses(np.array(ptr, np.int64), np.array(tgt, np.uint16), pack_synapses(w, rng.integers(0, 63, n)),
                    rng.integers(-256, 256, n).astype(np.int16) if tags else np.zeros(0, np.int16))


def as_lists(syn):
    """[ptr, target, weight, delay, tag] as lists, the words decoded by the twin's own decoder."""
    words = [synapse_ref(int(x)) for x in syn.word]
    return [syn.ptr.tolist(), syn.target.tolist(), [w for w, _ in words], [d for _, d in words], syn.tag.tolist()]


def as_arrays(syn):
    """[ptr, target, weight, delay, tag] as arrays (copies)."""
    return [np.array(a) for a in as_lists(syn)]


@pytest.mark.parametrize("seed", range(40))
def test_rewire_matches_twin_on_random_tables(seed):
    rng = np.random.default_rng(seed)
    neurons, rows = int(rng.integers(1, 40)), int(rng.integers(1, 30))
    syn = random_region(rng, rows, neurons, float(rng.choice([0.05, 0.3, 0.9, 1.0])), bool(seed % 2))
    scope = seed % 4 >= 2
    below = int(rng.choice([NO_THRESHOLD, 1, 4, 60, 200]))
    group = 0 if scope or seed % 3 == 0 else int(rng.integers(1, 6))       # regrowth groups (scope neuron)
    t_first, first = int(rng.integers(0, 4)), int(rng.integers(0, 4))      # groups count from t_first (global)
    prm = np.array([1, int(rng.choice([1, 26, 128, 200, 256])), int(rng.integers(-50, 200)), scope, t_first,
                    int(rng.integers(0, neurons + 1)), below, group], np.int64)
    t_lo = int(rng.integers(0, 3)) if scope else 0
    targets = (0, neurons) if not scope or syn.target.size == 0 else (
        min(t_lo, int(syn.target.min())), neurons)
    lfsr = np.array([7, structural_lfsr_seed(seed, 1)], np.int64)
    draws = Draws(structural_seed_ref(seed, 1))
    ptr, tgt, w, d, tag = as_lists(syn)
    for _ in range(3):                          # successive passes share the LFSR
        got = rewire(syn, (1, rows + 1), prm, lfsr, 1, neurons, targets, first)
        want = rewire_ref(ptr, tgt, w, d, tag, 1, rows + 1, neurons, prm.tolist(), draws, targets, first)
        assert got == want
        assert as_lists(syn) == [ptr, tgt, w, d, tag]
        assert int(lfsr[1]) == draws.state and lfsr[0] == 7


@pytest.mark.parametrize("scope", [0, 1])
def test_rewire_keeps_counts_and_moves_the_weakest(scope):
    rng = np.random.default_rng(5)
    syn = random_region(rng, 20, 30, 0.3, tags=True)
    before = as_arrays(syn)
    prm = np.array([1, 64, 33, scope, 0, 0, NO_THRESHOLD, 0], np.int64)         # prune a quarter
    n = rewire(syn, (1, 21), prm, np.array([structural_lfsr_seed(1, 0)], np.int64), 0, 30)
    lo, hi = before[0][1], before[0][21]
    assert syn.ptr[1] == lo and syn.ptr[21] == hi             # the region keeps its place and size
    after = as_arrays(syn)
    for k in range(1, 5):                                      # the static rows around it are untouched
        sl = np.r_[0:lo, hi:before[1].size]
        assert np.array_equal(after[k][sl], before[k][sl])
    row = np.repeat(np.arange(20), np.diff(syn.ptr[1:22]))
    old_row = np.repeat(np.arange(20), np.diff(before[0][1:22]))
    pairs = set(zip(row.tolist(), syn.target[lo:hi].tolist()))
    old = set(zip(old_row.tolist(), before[1][lo:hi].tolist()))
    assert len(pairs) == hi - lo                               # no duplicate synapse
    grown = pairs - old
    assert n == len(grown) > 0
    if scope == 0:      # indegree of every neuron kept, rows change
        assert np.array_equal(np.bincount(syn.target[lo:hi], minlength=30), np.bincount(before[1][lo:hi], minlength=30))
        expect = sum(prune_count(int(m), 64) for m in np.bincount(before[1][lo:hi], minlength=30))
    else:               # row lengths kept
        assert np.array_equal(syn.ptr, before[0])
        expect = sum(prune_count(int(m), 64) for m in np.diff(before[0][1:22]))
    assert n == expect
    new_w = {p: int(v) for p, v in zip(zip(row.tolist(), syn.target[lo:hi].tolist()), after[2][lo:hi])}
    new_tag = {p: int(v) for p, v in zip(zip(row.tolist(), syn.target[lo:hi].tolist()), syn.tag[lo:hi])}
    assert all(new_w[p] == 33 and new_tag[p] == 0 for p in grown)
    # every survivor kept its weight and tag; every pruned synapse was among the weakest of its group
    old_w = {p: int(v) for p, v in zip(zip(old_row.tolist(), before[1][lo:hi].tolist()), before[2][lo:hi])}
    old_tag = {p: int(v) for p, v in zip(zip(old_row.tolist(), before[1][lo:hi].tolist()), before[4][lo:hi])}
    assert all(new_w[p] == old_w[p] and new_tag[p] == old_tag[p] for p in pairs & old)
    group = (lambda p: p[1]) if scope == 0 else (lambda p: p[0])
    for p in old - pairs:
        kept = [abs(old_w[q]) for q in pairs & old if group(q) == group(p)]
        assert all(abs(old_w[p]) <= k for k in kept)


def test_group_regrows_where_the_group_has_no_synapse():
    """group G: the grown sources avoid the rows any neuron of the group reached (when enough are
    left); without it the draws land on them too. 4 neurons, groups {0, 1}, {2, 3}; 40 rows."""
    rows, neurons = 40, 4
    reached_by = {0: range(0, 20), 1: range(10, 30), 2: range(30, 40), 3: range(0, 5)}    # sources of each neuron
    pairs = sorted((a, n) for n, rs in reached_by.items() for a in rs)
    ptr = np.searchsorted([a for a, _ in pairs], np.arange(rows + 1)).astype(np.int64)
    grown = {}
    for group in (0, 2):
        syn = Synapses(ptr.copy(), np.array([n for _, n in pairs], np.uint16), np.zeros(len(pairs), np.uint16),
                       np.zeros(0, np.int16))
        prm = np.array([1, 64, 50, 0, 100, 4, NO_THRESHOLD, group], np.int64)   # targets: global 100..103
        rewire(syn, (0, rows), prm, np.array([structural_lfsr_seed(3, 0)], np.int64), 0, neurons, None, 100)
        row = np.repeat(np.arange(rows), np.diff(syn.ptr))
        grown[group] = {n: {int(a) for a, t, w in zip(row, syn.target, as_lists(syn)[2]) if t == n and w == 50}
                        for n in range(neurons)}
    assert all(grown[2][n] and not grown[2][n] & set(range(0, 30)) for n in (0, 1))     # group {0, 1} reaches 0..29
    assert all(grown[2][n] and not grown[2][n] & (set(range(30, 40)) | set(range(5))) for n in (2, 3))
    assert any(grown[0][n] & set(range(0, 30)) for n in (0, 1))           # without groups they do land there
    assert not grown[2][0] & grown[2][1]                                  # nor twice in a group in one pass


def test_rewire_rejects_bad_tables():
    rng = np.random.default_rng(0)
    syn = random_region(rng, 4, 10, 0.5, tags=False)
    lfsr = np.array([1], np.int64)
    prm = np.array([1, 64, 10, 0, 0, 0, NO_THRESHOLD, 0], np.int64)
    with pytest.raises(ValueError, match="prm"):
        rewire(syn, (1, 5), prm[:4], lfsr, 0, 10)
    with pytest.raises(ValueError, match="targets local neuron"):
        rewire(syn, (1, 5), prm, lfsr, 0, 3)
    with pytest.raises(ValueError, match="non-zero"):
        rewire(syn, (1, 5), prm, np.array([0], np.int64), 0, 10)
    with pytest.raises(ValueError, match="uint16"):
        rewire(syn._replace(target=syn.target.astype(np.int32)), (1, 5), prm, lfsr, 0, 10)
    dup = syn._replace(target=np.zeros_like(syn.target))
    if np.diff(syn.ptr[1:6]).max() > 1:
        with pytest.raises(ValueError, match="duplicates"):
            rewire(dup, (1, 5), prm, lfsr, 0, 10)
    bad = prm.copy()
    bad[PRUNE_Q] = 0
    with pytest.raises(ValueError, match="invalid structural"):
        rewire(syn, (1, 5), bad, lfsr, 0, 10)


# ----------------------------------------------------------------- whole networks
def structural_config(seed, every=(3, 7), scope=None, timesteps=60):
    """``random_plastic_config`` with rewiring on every plastic projection (random periods, fractions, scopes)."""
    cfg = random_plastic_config(seed, timesteps)
    rng = np.random.default_rng(seed + 77)
    projs = []
    for p in cfg.network.projections:
        if p.plasticity is not None:
            s = p.plasticity
            sc = scope or str(rng.choice(["neuron", "row"]))
            st = StructuralSpec(int(rng.integers(*every)), int(rng.choice([26, 64, 128, 256])),
                                int(rng.integers(s.wmin, s.wmax + 1)), sc,
                                None if rng.random() < 0.5 else int(rng.integers(1, 120)),
                                int(rng.integers(0, 4)) if sc == "neuron" else 0)
            p = replace(p, plasticity=replace(s, structural=st))
        projs.append(p)
    return replace(cfg, network=replace(cfg.network, projections=tuple(projs)))


@pytest.mark.parametrize("seed", range(12))
def test_structural_engine_matches_twin(seed):
    """Engine + rewiring vs engine twin + structural twin: every spike, counter, cycle, weight, target."""
    cfg = structural_config(seed)
    b = build(cfg)
    if not np.any(b.image.rule_struct[:, 0] > 0):
        pytest.skip("no plastic synapse rows in this draw")
    T = cfg.run.timesteps
    sim = Simulation(b.image, b.stimulus, threads=1 + seed % 2)
    res = sim.run(T, chunk=5 + seed % 7)
    im, after_step, box = structural_twin(b.image)
    want = assert_engine_matches_reference(im, b.stimulus, res, T, after_step=after_step)
    assert sim.weights.tolist() == want["weights"]
    assert np.array_equal(sim.tables.syn_target, im.syn_target)
    assert np.array_equal(sim.tables.axon_syn_ptr, im.axon_syn_ptr)
    assert sim.delays.tolist() == want["delays"]
    assert sim.structural.rewired.tolist() == box["ref"].rewired
    assert np.array_equal(b.image.syn_target, build(cfg).image.syn_target)     # the image stays as mapped


def test_structural_family_rewires():
    """The random family above must really rewire (else the twin test proves little)."""
    rewired = 0
    for seed in range(12):
        b = build(structural_config(seed))
        sim = Simulation(b.image, b.stimulus)
        if sim.structural is not None:
            sim.run(60)
            rewired += sim.structural.rewired.sum() > 0 and not np.array_equal(sim.tables.syn_target,
                                                                               b.image.syn_target)
    assert rewired >= 8, rewired


def _final(sim):
    return (sim.tables.syn_word.tolist(), sim.tables.syn_target.tolist(), sim.tables.axon_syn_ptr.tolist(),
            sim.structural.lfsr.tolist())


def test_chunks_threads_and_checkpoints_change_no_bit(tmp_path):
    cfg = structural_config(4, every=(5, 6), timesteps=80)
    b = build(cfg)
    ref = Simulation(b.image, b.stimulus)
    r0 = ref.run(80)
    want = _final(ref)
    for chunk, threads in ((1, 1), (13, 2), (80, 1)):
        sim = Simulation(b.image, b.stimulus, threads=threads)
        r = sim.run(80, chunk=chunk)
        assert _final(sim) == want and r.spike_t.tolist() == r0.spike_t.tolist()
        assert sim.structural.history == ref.structural.history
    sim = Simulation(b.image, b.stimulus)
    sim.run(37)
    sim.save_checkpoint(tmp_path / "ck.npz")
    again = Simulation(b.image, b.stimulus)
    again.load_checkpoint(tmp_path / "ck.npz")
    again.run(43)
    assert _final(again) == want and again.structural.history == ref.structural.history
    # another seed draws other positions
    other = Simulation(replace(b.image, learn_seed=b.image.learn_seed + 1), b.stimulus)
    other.run(80)
    assert _final(other)[1] != want[1]


def test_image_without_the_group_column_rewires_as_group_0():
    """An image saved before STRUCT_PARAMS had its ``group`` column (7 columns) rewires as with group 0."""
    cfg = structural_config(4, every=(5, 6), scope="neuron", timesteps=60)
    b = build(cfg)
    rs = b.image.rule_struct.copy()
    rs[:, GROUP] = 0
    ref = Simulation(replace(b.image, rule_struct=rs), b.stimulus)
    ref.run(60)
    old = Simulation(replace(b.image, rule_struct=rs[:, :GROUP].copy()), b.stimulus)
    old.run(60)
    assert ref.structural.rewired.sum() > 0 and _final(old) == _final(ref)


def test_learning_off_stops_rewiring():
    b = build(structural_config(4, every=(2, 3)))
    sim = Simulation(b.image, b.stimulus)
    sim.set_learning(False)
    sim.run(30)
    assert sim.structural.rewired.sum() == 0 and np.array_equal(sim.tables.syn_target, b.image.syn_target)


def test_image_round_trip_keeps_rule_struct(tmp_path):
    from emulator.image import ChipImage
    b = build(structural_config(3))
    b.image.save(tmp_path / "img.npz")
    back = ChipImage.load(tmp_path / "img.npz")
    assert np.array_equal(back.rule_struct, b.image.rule_struct) and back.rule_struct.shape[1] == len(STRUCT_PARAMS)


# ----------------------------------------------------------------- YAML
def _yaml(structural, epoch=1):
    return {"run": {"timesteps": 10, "seed": 1}, "stimulus": {"pix": {"type": "poisson", "rate_hz": 50}},
            "network": {"populations": [{"name": "pix", "size": 8, "model": "source"},
                                        {"name": "exc", "size": 6, "model": "lif", "fixed": {"vth": 100}}],
                        "projections": [{"source": "pix", "target": "exc", "connectivity": "fixed_probability",
                                         "p": 0.5, "weight": 10, "weight_exp": 0,
                                         "plasticity": {"rule": "competitive", "epoch": epoch,
                                                        "structural": structural}}]}}


def test_yaml_structural_reaches_the_image():
    cfg = load(_yaml({"every_epochs": 4, "prune_fraction": 0.25, "initial_weight": 30, "scope": "row",
                      "prune_below": 20}, epoch=3))
    st = cfg.network.projections[0].plasticity.structural
    assert (st.every_epochs, st.prune_q, st.initial_weight, st.scope, st.prune_below) == (4, 64, 30, "row", 20)
    row = build(cfg).image.rule_struct[0]
    exc_first = 0                                 # the only chip population
    assert row.tolist() == [12, 64, 30, 1, exc_first, 6, 20, 0]     # period = every_epochs * epoch
    assert row[SCOPE] == 1 and row[W_INIT] == 30 and row[PRUNE_Q] == 64
    row = build(load(_yaml({"every_epochs": 4, "prune_fraction": 0.1, "initial_weight": 3}))).image.rule_struct[0]
    assert row.tolist() == [4, 26, 3, 0, exc_first, 6, NO_THRESHOLD, 0]   # round(0.1 * 256) = 26; defaults
    row = build(load(_yaml({"every_epochs": 4, "prune_fraction": 0.1, "initial_weight": 3, "group": 3}))
                ).image.rule_struct[0]
    assert row[GROUP] == 3


@pytest.mark.parametrize("structural, where", [
    ({"prune_fraction": 0.1, "initial_weight": 5}, "structural"),
    ({"every_epochs": 0, "prune_fraction": 0.1, "initial_weight": 5}, "structural.every_epochs"),
    ({"every_epochs": 2, "prune_fraction": 1.5, "initial_weight": 5}, "structural.prune_fraction"),
    ({"every_epochs": 2, "prune_fraction": 0.001, "initial_weight": 5}, "structural.prune_fraction"),
    ({"every_epochs": 2, "prune_fraction": 0.1, "initial_weight": -5}, "structural.initial_weight"),
    ({"every_epochs": 2, "prune_fraction": 0.1, "initial_weight": 5, "scope": "axon"}, "structural.scope"),
    ({"every_epochs": 2, "prune_fraction": 0.1, "initial_weight": 5, "prune_below": 0}, "structural.prune_below"),
    ({"every_epochs": 1 << 31, "prune_fraction": 0.1, "initial_weight": 5}, "structural.every_epochs"),
    ({"every_epochs": 2, "prune_fraction": 0.1, "initial_weight": 5, "rate": 1}, "structural"),
    ({"every_epochs": 2, "prune_fraction": 0.1, "initial_weight": 5, "group": 0}, "structural.group"),
    ({"every_epochs": 2, "prune_fraction": 0.1, "initial_weight": 5, "group": 2, "scope": "row"}, "structural.group"),
    ("often", "structural"),
])
def test_yaml_errors_name_the_field(structural, where):
    with pytest.raises(ConfigError) as e:
        load(_yaml(structural))
    assert e.value.path == f"network.projections[0].plasticity.{where}", (e.value.path, str(e.value))


def test_results_save_the_rewired_tables(tmp_path):
    """weights.npz holds the learned weights with the tables they belong to (rewired), and the mapped ones."""
    b = build(structural_config(4, every=(3, 4), scope="neuron"))
    sim = Simulation(b.image, b.stimulus)
    res = sim.run(40)
    assert not np.array_equal(sim.tables.axon_syn_ptr, b.image.axon_syn_ptr)     # rows changed length
    res.save(tmp_path, spikes=False, probes=False, raster=False, heatmap=False)
    with np.load(tmp_path / "weights.npz") as z:
        assert np.array_equal(z["syn_weight"], sim.weights)
        assert np.array_equal(z["syn_target"], sim.tables.syn_target)
        assert np.array_equal(z["axon_syn_ptr"], sim.tables.axon_syn_ptr)
        assert np.array_equal(z["mapped_syn_target"], b.image.syn_target)
        assert z["plastic"].sum() == b.image.plastic_synapses.sum()
    s = res.summary()["structural"]
    assert s["rewired_synapses"] == sim.structural.rewired.sum() > 0 and s["rewiring_passes"] > 0


def test_checkpoint_of_another_rewiring_is_refused(tmp_path):
    from emulator.errors import ResumeError
    b = build(structural_config(4, every=(5, 6)))
    sim = Simulation(b.image, b.stimulus)
    sim.run(12)
    sim.save_checkpoint(tmp_path / "ck.npz")
    rs = b.image.rule_struct.copy()
    rs[:, 0] += 1                                       # another period
    for image in (replace(b.image, rule_struct=rs), replace(b.image, rule_struct=np.zeros_like(rs))):
        with pytest.raises(ResumeError):
            Simulation(image, b.stimulus).load_checkpoint(tmp_path / "ck.npz")


def test_verify_refuses_structural_plasticity():
    """The RTL has no rewiring unit: `neuroemu verify` must say so instead of comparing wrong tables."""
    from pathlib import Path

    from emulator.api import build, load_config
    from emulator.bridge.memfiles import BridgeError, RtlChip
    cfg = Path(__file__).resolve().parents[2] / "configs" / "examples" / "digits_structural.yaml"
    img = build(load_config(str(cfg))).image
    with pytest.raises(BridgeError, match=r"structural plasticity \(plasticity.structural\), which the RTL"):
        RtlChip.for_image(img).check(img)


def test_digits_variants_compare_like_with_like(benchmark_script):
    """benchmarks/structural_digits.py: dense, static and rewired are one network (same neurons,
    teacher, task schedule, split and readout) that differs only in the plastic pixel projection;
    the sparse one is at ~10 % density and only the rewired variant has a structural block."""
    from pathlib import Path

    from emulator.config.schema import read_yaml
    root = Path(__file__).resolve().parents[2]
    mod = benchmark_script("structural_digits")
    ex = root / "configs" / "examples"
    dense, sparse = read_yaml(str(ex / "digits_dense_wide.yaml")), read_yaml(str(ex / "digits_structural.yaml"))
    cfgs = {n: load(mod["variant_config"](n, dense, sparse), base_dir=ex) for n in mod["VARIANTS"]}
    for n, cfg in cfgs.items():
        assert [(p.name, p.size) for p in cfg.network.populations] == \
            [(p.name, p.size) for p in cfgs["dense"].network.populations], n
        t, d = cfg.task, cfgs["dense"].task
        assert (t.dataset, t.epochs, t.present, t.rest, t.test_present, t.readout, t.teacher) == \
            (d.dataset, d.epochs, d.present, d.rest, d.test_present, d.readout, d.teacher), n
        ff = cfg.network.projections[0]
        assert (ff.source, ff.target) == ("pixels", "exc")
        assert (ff.plasticity.structural is not None) == (n == "structural"), n
    exc = next(p.size for p in cfgs["dense"].network.populations if p.name == "exc")
    assert exc == 300
    ff = cfgs["structural"].network.projections[0]
    assert ff.connectivity == "fixed_indegree" and abs(ff.indegree / 64 - 0.1) < 0.01
    assert cfgs["dense"].network.projections[0].connectivity == "all_to_all"


def test_digits_plot_names_the_variants_it_was_given(monkeypatch, tmp_path, benchmark_script):
    """structural_digits.plot with only some variants (a driver run with --only): the accuracy bars
    are coloured by variant, and the weight tiles are labelled by the variant they come from
    (a rewired-only run shows one row labelled 'rewired', not 'static')."""
    import json

    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.axes import Axes
    mod = benchmark_script("structural_digits")
    rng = np.random.default_rng(0)

    def row(name):
        d = tmp_path / name
        d.mkdir()
        np.save(d / "weights.npy", rng.integers(0, 100, (64, 20)))
        (d / "report.json").write_text(json.dumps({"levels": 1}))
        return [{"test_accuracy": 0.9, "plastic_synapses": 120, "density": 0.094, "dir": str(d),
                 "structural": {"history": [[100, 5], [200, 1]], "rewired_synapses": 6}}]
    seen = []
    orig = Axes.set_yticks

    def set_yticks(ax, ticks, labels=None, **kw):      # records the tick labels the plot sets
        seen.append(None if labels is None else list(labels))
        return orig(ax, ticks, labels, **kw)
    monkeypatch.setattr(Axes, "set_yticks", set_yticks)
    mod["plot"]({"structural": row("structural")}, tmp_path)
    assert seen[-1] == ["rewired"] and (tmp_path / "structural.png").stat().st_size > 0
    mod["plot"]({"static": row("static"), "structural": row("structural2")}, tmp_path)
    assert seen[-1] == ["static", "rewired"]
