"""rtl_models/learning_unit.v (the learn phase of every core) against the emulator's learning engine.

The co-simulation is the chip bench of ``test_chip.py`` (``emulator.bridge.cosim.run_job``): for a
plastic image its monitor also reads, after every timestep, the pre traces of every plastic row,
the post traces of every learning neuron, every plastic weight (every weight after the last
step), the learn counters, learn cycles and LFSR of every core, and the scoreboard compares them
with the emulator's own kernels run step by step (``emulator.bridge.learning``), all exact, on
top of the spikes, registers, counters and cycles ``test_chip.py`` compares.

* ``test_random_plastic_programs_match_emulator``: seeded random plastic networks (pair STDP
  with random exponents, random programs of the whole rule grammar, random trace decays and
  impulses, bounds, epochs, seeds and rewards) on Icarus and Verilator;
* ``test_stdp_stepped_by_hand``: one pair-STDP synapse whose traces and weight are derived by
  hand below, on the emulator and on the RTL;
* ``test_mutation_*``: planted defects (``MUTANT_*`` defines of learning_unit.v) are reported at
  the timestep, core and register / synapse where the model says they first show.
"""
from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np
import pytest
from simreq import need

_N = int(os.environ.get("NEUROEMU_RTL_PROGRAMS", "200"))
#: random plastic programs per simulator (Icarus simulates them about 5x slower than Verilator)
N_PLASTIC = {"icarus": max(1, _N // 4), "verilator": max(1, _N // 2)}

#: variables of the rule grammar the random programs draw from (the tag t is not in the RTL)
RULE_VARS = ("x0", "x1", "x2", "y0", "y1", "y2", "y3", "w", "r")


# ----------------------------------------------------------------------- random plastic programs
def _random_dw(rng) -> str:
    """A random rule text: 1..8 terms of 0..4 variables, a constant and a power-of-two scale."""
    terms = []
    for k in range(int(rng.integers(1, 9))):
        parts = [f"2^{int(rng.integers(-8, 8))}"] if rng.random() < 0.85 else []
        if rng.random() < 0.3:
            parts.append(str(int(rng.choice([1, 2, 3, 127, rng.integers(1, 128)]))))
        parts += [str(v) for v in rng.choice(RULE_VARS, int(rng.integers(0, 5)))]
        terms.append(("- " if rng.random() < 0.45 else "+ ") * (k > 0) + ("*".join(parts) or "1"))
    return "dw = " + ("-" if rng.random() < 0.2 else "") + " ".join(terms)


def _random_trace(rng) -> tuple[int, int]:
    return (int(rng.choice([0, 1, 512, 2048, 4095, rng.integers(0, 4096)])),
            int(rng.choice([0, 1, 64, 127, rng.integers(0, 128)])))


def random_plastic_config(seed: int):
    """A random network of the RTL family (``random_programs.random_config``) with some projections
    plastic: pair STDP (``stdp_additive``, random exponents) or a random program of the grammar,
    random pre/post trace decays and impulses, weight bounds, epochs; the run seed seeds the LFSRs."""
    from emulator.learning import SIGN_BOUNDS, LearningSpec, expand
    from random_programs import random_config
    cfg = random_config(seed)
    rng = np.random.default_rng([seed, 8])
    post = {}
    projs = []
    for i, p in enumerate(cfg.network.projections):
        if i == 0 or rng.random() < 0.6:
            if p.target not in post:         # one epoch and one set of post traces per target population
                post[p.target] = (int(rng.choice([1, 1, 2, 3, 4, 7])),
                                  {k: _random_trace(rng) for k in ("y1", "y2", "y3") if rng.random() < 0.8})
            epoch, ytr = post[p.target]
            traces = {**ytr, **{k: _random_trace(rng) for k in ("x1", "x2") if rng.random() < 0.85}}
            if rng.random() < 0.55:
                dw = expand("stdp_additive", {"a_plus": int(rng.integers(-8, 1)), "a_minus": int(rng.integers(-8, 1))})
                traces.setdefault("x1", _random_trace(rng))
                traces.setdefault("y1", ytr.get("y1", (0, 0)))
            else:
                dw = _random_dw(rng)
            lo, hi = SIGN_BOUNDS[str(rng.choice(list(SIGN_BOUNDS)))]
            if rng.random() < 0.3:
                lo, hi = sorted(int(x) for x in rng.integers(lo, hi + 1, 2))
            p = replace(p, plasticity=LearningSpec(dw=dw, epoch=epoch, wmin=lo, wmax=hi, traces=traces))
        projs.append(p)
    timesteps = int(rng.integers(12, 32))
    return replace(cfg, network=replace(cfg.network, projections=tuple(projs)),
                   run=replace(cfg.run, timesteps=timesteps, seed=int(rng.integers(0, 2 ** 31))))


def random_plastic_program(seed: int):
    """The plastic program of ``seed`` (sub-seeds that do not map onto 4 cores are skipped); a
    quarter of them set a random reward r per neuron."""
    from emulator.bridge.cosim import Program
    from random_programs import first_fitting
    cfg, b = first_fitting(random_plastic_config, seed, 40)
    rng = np.random.default_rng([seed, 9])
    reward = rng.integers(-128, 128, b.image.n_neurons) if rng.random() < 0.25 else None
    return Program(b.image, b.stimulus, cfg.run.timesteps, f"plastic seed {seed}", reward)


def _family_stats(programs, results) -> dict:
    """How hard the random family exercises the learning unit (agreement proves little otherwise)."""
    from emulator.learning.traces import learn_lfsr_seed
    s = dict(programs=len(programs), weights_compared=0, changed=0, at_bound=0, saturated_traces=0,
             learn_synapse_updates=0, drawing_cores=0, epoch_gt1=0, with_reward=0, custom_rules=0)
    for prog, r in zip(programs, results):
        img, e = prog.image, r.want.extra
        pl = img.plastic_synapses
        s["weights_compared"] += int(pl.sum()) * r.want.timesteps + img.n_synapses
        s["changed"] += int(np.count_nonzero(e["w"][-1][pl] != img.syn_weight[pl]))
        lo = np.repeat(img.rule_param[np.maximum(img.axon_rule, 0), 1], np.diff(img.axon_syn_ptr))
        hi = np.repeat(img.rule_param[np.maximum(img.axon_rule, 0), 2], np.diff(img.axon_syn_ptr))
        s["at_bound"] += int(np.count_nonzero(pl & ((e["w"][-1] == lo) | (e["w"][-1] == hi))
                                               & (e["w"][-1] != img.syn_weight)))
        s["saturated_traces"] += int((e["x"][:, :, 1:] == 127).sum() + (e["y"][:, :, 1:] == 127).sum())
        s["learn_synapse_updates"] += int(e["learn_synapses"].sum())
        s["drawing_cores"] += sum(int(e["lfsr"][-1, c] != learn_lfsr_seed(img.learn_seed, c)) for c in range(img.n_cores))
        s["epoch_gt1"] += int(np.any(img.rule_param[:, 0] > 1))
        s["with_reward"] += int(prog.reward is not None)
        s["custom_rules"] += sum(1 for name in img.rule_names if "*r" in name or "w" in name.split(":", 1)[1]
                                 or name.count("2^") != 2)
    return s


# ----------------------------------------------------------------------- pytest entry points
@pytest.mark.rtl
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_random_plastic_programs_match_emulator(sim, tmp_path):
    """N_PLASTIC[sim] seeded random plastic programs agree exactly, in one simulation: spikes, registers,
    counters and cycles as in test_chip.py, and after every timestep the pre traces of every plastic
    row, the post traces of every learning neuron, every plastic weight, the learn counters, learn
    cycles and LFSR of every core (every weight after the last step)."""
    need(sim)
    from emulator.bridge.cosim import run_job
    from emulator.bridge.memfiles import RtlChip
    programs = [random_plastic_program(seed) for seed in range(N_PLASTIC[sim])]
    start = time.perf_counter()
    res = run_job(sim, tmp_path / "job", programs, RtlChip())
    bad = [p for p in res.programs if not p.ok]
    assert not bad, f"{len(bad)} of {len(programs)} programs diverge; {bad[0].name}: {bad[0].report}"
    s = _family_stats(programs, res.programs)
    n = len(programs)
    assert s["changed"] > 10 * n and s["at_bound"] >= n and s["saturated_traces"] >= n, s
    assert s["drawing_cores"] >= n and s["epoch_gt1"] >= n // 4 and s["with_reward"] >= n // 8, s
    assert s["custom_rules"] >= n // 3, s
    print(f"\n{sim}: {n} random plastic programs, {sum(p.timesteps for p in programs)} timesteps, "
          f"{res.rtl_cycles} chip cycles, {s['weights_compared']} synapse weights compared "
          f"({s['learn_synapse_updates']} synapse updates, {s['changed']} weights changed, {s['at_bound']} "
          f"at a bound): 0 mismatches in {time.perf_counter() - start:.1f} s (RTL {res.rtl_cycles_per_s:,.0f} "
          f"cycles/s)")


def _hand_config():
    """One pair-STDP synapse pre -> post, traces that halve exactly, a drive that makes post fire."""
    from emulator.config.types import (ChipSpec, CoreLimits, Distribution, NetworkConfig, PopulationConfig,
                                       ProjectionConfig, RunConfig, RunSettings, StimulusConfig)
    from emulator.learning import LearningSpec, expand
    pops = (PopulationConfig("pre", 1, "source"), PopulationConfig("drive", 1, "source"),
            # u and v forget everything each step (du = dv = 4095): post fires exactly when driven
            PopulationConfig("post", 1, "lif", fixed={"vth": 300, "du": 4095, "dv": 4095, "bias": 0,
                                                      "refractory": 0, "reset": "zero"}))
    stdp = LearningSpec(dw=expand("stdp_additive", {"a_plus": -1, "a_minus": -2}), epoch=1, wmin=0, wmax=255,
                        traces={"x1": (2048, 64), "y1": (2048, 64)})
    projs = (ProjectionConfig("syn", "pre", "post", "all_to_all", Distribution("const", value=100), weight_exp=-6,
                              plasticity=stdp),
             ProjectionConfig("kick", "drive", "post", "all_to_all", Distribution("const", value=255), weight_exp=1))
    stim = (StimulusConfig("pre", "spike_times", times_steps=(1, 7), indices=(0, 0)),
            StimulusConfig("drive", "spike_times", times_steps=(3, 6), indices=(0, 0)))
    chip = ChipSpec(mesh_width=2, mesh_height=2, limits=CoreLimits(neurons=64, max_delay=15))
    return RunConfig(chip, NetworkConfig(pops, projs), stim, RunSettings(timesteps=9, dt_ms=1.0, seed=5))


@pytest.mark.rtl
def test_stdp_stepped_by_hand(tmp_path):
    """dw = 2^-1*x1*y0 - 2^-2*y1*x0, epoch 1, x1 and y1 with decay 2048 (halve) and impulse 64.

    pre is emitted at 1 and 7, so its row spikes at 2 and 8; drive is emitted at 3 and 6, and
    its 255 << 7 = 32640 > 300 << 6 makes post fire at 4 and 7 (the plastic w << 0 <= 255 never
    does). Halving an even trace is exact ((x * 2048 + rnd) >> 12 = x / 2 for any rnd < 4096):

        t   x0 x1   y0 y1   dw                              w
        2   1  64   0  0    0                               100
        3   0  32   0  0    0                               100
        4   0  16   1  64   16 * 1 / 2 = +8                 108
        5   0  8    0  32   0                               108
        6   0  4    0  16   0                               108
        7   0  2    1  8+64 2 * 1 / 2 = +1                  109
        8   1  1+64 0  36   -36 * 1 / 4 = -9                100

    (x1 at 8: 2 halves to 1, plus 64.) The weight and the traces after every step, on the
    emulator and on the RTL, must be exactly these.
    """
    need("icarus")
    from emulator.api import build
    from emulator.bridge.cosim import Program, run_job
    from emulator.bridge.memfiles import RtlChip
    b = build(_hand_config())
    img = b.image
    assert img.n_rules == 1 and int(img.plastic_synapses.sum()) == 1
    j = int(np.flatnonzero(img.plastic_synapses)[0])
    a = int(np.flatnonzero(img.axon_rule >= 0)[0])
    post = img.population("post").first_id
    res = run_job("icarus", tmp_path / "job", [Program(img, b.stimulus, 9, "hand")], RtlChip(), tag="")
    r = res.programs[0]
    assert r.ok, r.report
    w_hand = [100, 100, 100, 100, 108, 108, 108, 109, 100]
    x1_hand = [0, 0, 64, 32, 16, 8, 4, 2, 65]
    y1_hand = [0, 0, 0, 0, 64, 32, 16, 72, 36]
    post_spikes = [0, 0, 0, 0, 1, 0, 0, 1, 0]
    for trace in (r.want, r.got):
        assert [int(x) for x in trace.spikes[:, post]] == post_spikes
        assert [int(x) for x in trace.extra["w"][:, j]] == w_hand
        assert [int(x) for x in trace.extra["x"][:, a, 1]] == x1_hand
        assert [int(x) for x in trace.extra["y"][:, post, 1]] == y1_hand
        # x0 / y0 are cleared at every (1-step) epoch boundary after the rule has used them
        assert not trace.extra["x"][:, a, 0].any() and not trace.extra["y"][:, post, 0].any()


# ----------------------------------------------------------------------- mutations
def _pre_spikes(prog, want) -> np.ndarray:
    """Bool (T, axons): a packet reached the row at step t (a chip spike of t-1 or a host spike sent for t)."""
    from emulator.bridge.expected import host_spikes_per_step
    img = prog.image
    T = want.timesteps
    hosts = host_spikes_per_step(prog.stimulus, T)
    pre = np.zeros((T, img.n_axons), bool)
    for t in range(T):
        if t > 0:
            for n in np.flatnonzero(want.spikes[t - 1]):
                pre[t, img.out_axon[img.out_ptr[n]:img.out_ptr[n + 1]]] = True
        for h in hosts[t]:
            pre[t, img.host_out_axon[img.host_out_ptr[h]:img.host_out_ptr[h + 1]]] = True
    return pre


def _learn_order(img, c):
    """Plastic rows and learning neurons of core c, in the learning unit's order."""
    a0, a1 = int(img.axon_ptr[c]), int(img.axon_ptr[c + 1])
    n0, n1 = int(img.neuron_ptr[c]), int(img.neuron_ptr[c + 1])
    return ([a for a in range(a0, a1) if img.axon_rule[a] >= 0],
            [n for n in range(n0, n1) if img.neuron_rule[n] >= 0])


def _first_truncated_trace(prog, want):
    """Where a trace decay without its random bits (floor of x * (4096 - d) / 4096) first differs from
    the model: (timestep, core, register, row or neuron). Until then the defective unit holds the
    model's state and makes the same draws, so its first wrong register is the model's first trace
    whose stochastic rounding carried."""
    from emulator.learning.kernels import RULE_PARAMS
    img, e = prog.image, want.extra
    pre = _pre_spikes(prog, want)
    col = {name: RULE_PARAMS.index(name) for name in RULE_PARAMS}

    def trunc(prev, r, name, spk):
        d, imp = int(img.rule_param[r, col[name + "_decay"]]), int(img.rule_param[r, col[name + "_impulse"]])
        return min(((int(prev) * (4096 - d)) >> 12) + imp * int(spk), 127)

    for t in range(want.timesteps):
        for c in range(img.n_cores):
            rows, neurons = _learn_order(img, c)
            for a in rows:
                for f, name in ((1, "x1"), (2, "x2")):
                    prev = e["x"][t - 1, a, f] if t else 0
                    if trunc(prev, int(img.axon_rule[a]), name, pre[t, a]) != e["x"][t, a, f]:
                        return t, c, name, a
            for n in neurons:
                for f, name in ((1, "y1"), (2, "y2"), (3, "y3")):
                    prev = e["y"][t - 1, n, f] if t else 0
                    if trunc(prev, int(img.neuron_rule[n]), name, want.spikes[t, n]) != e["y"][t, n, f]:
                        return t, c, name, n
    return None


def _first_floored_weight(prog, want):
    """Where a weight change rounded down (dw = acc >> 8, no random bits) first differs from the model:
    (timestep, core, synapse). The accumulator is the model's own (``learning.kernels.rule_acc``) on
    the model's registers: x0 / y0 of this step before their clear, traces after their update, the
    weight before the step, r."""
    from emulator.learning.kernels import rule_acc
    img, e = prog.image, want.extra
    pre = _pre_spikes(prog, want)
    reward = np.zeros(img.n_neurons, np.int64) if prog.reward is None else np.asarray(prog.reward, np.int64)
    vals = np.zeros(16, np.int64)
    mapped = img.syn_weight
    for t in range(want.timesteps):
        for c in range(img.n_cores):
            rows, _ = _learn_order(img, c)
            for a in rows:
                r = int(img.axon_rule[a])
                if (t + 1) % int(img.rule_param[r, 0]) != 0:
                    continue
                x0 = (int(e["x"][t - 1, a, 0]) if t else 0) | int(pre[t, a])
                for j in range(int(img.axon_syn_ptr[a]), int(img.axon_syn_ptr[a + 1])):
                    n = int(img.neuron_ptr[c]) + int(img.syn_target[j])
                    y0 = (int(e["y"][t - 1, n, 0]) if t else 0) | int(want.spikes[t, n])
                    w = int(e["w"][t - 1, j]) if t else int(mapped[j])
                    vals[:10] = (1, x0, e["x"][t, a, 1], e["x"][t, a, 2], y0, e["y"][t, n, 1], e["y"][t, n, 2],
                                 e["y"][t, n, 3], w, reward[n])
                    acc = int(rule_acc(img.rule_prog[r], vals))
                    floored = min(max(w + (acc >> 8), int(img.rule_param[r, 1])), int(img.rule_param[r, 2]))
                    if floored != e["w"][t, j]:
                        return t, c, j
    return None


def _mutants(defect, predict, seeds, count=3):
    from emulator.bridge.expected import emulate
    progs = []
    for seed in seeds:
        p = random_plastic_program(seed)
        where = predict(p, emulate(p.image, p.stimulus, p.timesteps, p.reward))
        if where is not None:
            progs.append((p, where))
        if len(progs) == count:
            break
    assert progs, f"no random plastic program exercises {defect}"
    return progs


@pytest.mark.rtl
def test_mutation_trace_rounding_is_caught(tmp_path):
    """MUTANT_TRACE_TRUNC (trace decays ignore their random bits): the first divergence is the
    timestep, core, trace register and row / neuron where the model's rounding first carried."""
    need("icarus")
    from emulator.bridge.cosim import run_job
    from emulator.bridge.memfiles import RtlChip
    progs = _mutants("MUTANT_TRACE_TRUNC", _first_truncated_trace, range(500, 560))
    res = run_job("icarus", tmp_path / "job", [p for p, _ in progs], RtlChip(),
                  defines={"MUTANT_TRACE_TRUNC": 1}, tag="mutant-trace")
    for (prog, (t, c, reg, unit)), r in zip(progs, res.programs):
        assert not r.ok, f"{r.name}: the planted defect was not detected"
        d = r.divergence
        assert (d["timestep"], d["core"], d["field"]) == (t, c, reg), r.report
        assert (d["axon"] if reg.startswith("x") else d["neuron"]) == unit, r.report
        assert d["got"] <= d["expected"], r.report            # truncation never rounds up


@pytest.mark.rtl
def test_mutation_weight_rounding_is_caught(tmp_path):
    """MUTANT_DW_FLOOR (dw rounds down, the draw still made): the first divergence is the timestep,
    core and synapse where the model's stochastic rounding first rounded a weight change up."""
    need("icarus")
    from emulator.bridge.cosim import run_job
    from emulator.bridge.memfiles import RtlChip
    progs = _mutants("MUTANT_DW_FLOOR", _first_floored_weight, range(600, 660))
    res = run_job("icarus", tmp_path / "job", [p for p, _ in progs], RtlChip(),
                  defines={"MUTANT_DW_FLOOR": 1}, tag="mutant-dw")
    for (prog, (t, c, j)), r in zip(progs, res.programs):
        assert not r.ok, f"{r.name}: the planted defect was not detected"
        d = r.divergence
        assert (d["timestep"], d["core"], d["field"], d["synapse"]) == (t, c, "weight", j), r.report
        assert d["got"] == d["expected"] - 1, r.report       # rounded down where the model rounded up


def _first_x2_draw(prog, want):
    """The first x2 decay that draws in the model (a non-zero x2 before the step): (timestep, core, row)."""
    img, e = prog.image, want.extra
    for t in range(1, want.timesteps):
        for c in range(img.n_cores):
            for a in _learn_order(img, c)[0]:
                if e["x"][t - 1, a, 2] != 0:
                    return t, c, a
    return None


@pytest.mark.rtl
def test_mutation_skipped_draw_is_caught(tmp_path):
    """MUTANT_SKIP_DRAW (the x2 decay never draws: rounds down and leaves the LFSR behind): the first
    divergence is in the timestep and core of the model's first x2 draw, at that row's x2 or later in
    the learn phase's order (a later register whose random bits shifted, or the LFSR at the end)."""
    need("icarus")
    from emulator.bridge.cosim import run_job
    from emulator.bridge.memfiles import RtlChip
    progs = _mutants("MUTANT_SKIP_DRAW", _first_x2_draw, range(700, 760))
    res = run_job("icarus", tmp_path / "job", [p for p, _ in progs], RtlChip(),
                  defines={"MUTANT_SKIP_DRAW": 1}, tag="mutant-draw")
    for (prog, (t, c, a)), r in zip(progs, res.programs):
        assert not r.ok, f"{r.name}: the planted defect was not detected"
        d = r.divergence
        assert (d["timestep"], d["core"]) == (t, c), r.report
        rows = _learn_order(prog.image, c)[0]
        if d["field"] in ("x0", "x1", "x2"):
            assert (rows.index(d["axon"]), d["field"]) >= (rows.index(a), "x2"), r.report


# ----------------------------------------------------------------------- the bridge, no simulator
def test_learning_tables_hold_the_image_tables():
    """The learning memory words of every core hold the image's rule tables (renumbered per core),
    the plastic-row and learning-neuron lists in order, the LFSR seeds and the rewards."""
    from emulator.bridge import learning as L
    from emulator.learning.kernels import RULE_PARAMS
    from emulator.learning.traces import learn_lfsr_seed
    checked = 0
    for seed in range(8):
        prog = random_plastic_program(seed)
        img = prog.image
        reward = np.arange(img.n_neurons) % 256 - 128
        for k in range(img.n_cores):
            t = L.learning_tables(img, k, reward)
            rules = [int(r) for r in L.core_rules(img, k)]
            a0, a1 = int(img.axon_ptr[k]), int(img.axon_ptr[k + 1])
            n0, n1 = int(img.neuron_ptr[k]), int(img.neuron_ptr[k + 1])
            plastic = [a - a0 for a in range(a0, a1) if img.axon_rule[a] >= 0]
            learning = [n - n0 for n in range(n0, n1) if img.neuron_rule[n] >= 0]
            assert t["lcfg"] == [a1 - a0, n1 - n0, len(plastic), len(learning), len(rules),
                                 learn_lfsr_seed(img.learn_seed, k), 0, 0]
            for i, a in enumerate(range(a0, a1)):
                f = L._unpack(L.LROW_FIELDS, t["lrow"][i])
                assert f["plastic"] == int(img.axon_rule[a] >= 0)
                if f["plastic"]:
                    assert rules[f["rule"]] == img.axon_rule[a]
            assert [L._unpack(L.PLIST_FIELDS, w)["row"] for w in t["plist"]] == plastic
            assert [rules[L._unpack(L.PLIST_FIELDS, w)["rule"]] for w in t["plist"]] == \
                [int(img.axon_rule[a0 + a]) for a in plastic]
            assert [L._unpack(L.NLIST_FIELDS, w)["neuron"] for w in t["nlist"]] == learning
            assert [rules[L._unpack(L.NLIST_FIELDS, w)["rule"]] for w in t["nlist"]] == \
                [int(img.neuron_rule[n0 + n]) for n in learning]
            for i, r in enumerate(rules):
                prm_word = L._unpack(L.RPARAM_FIELDS, t["rparam"][i])
                for term in range(8):
                    f = L._unpack(L.TERM_FIELDS, t["rprog"][8 * i + term])
                    const = f["const"] - 256 if f["const"] >> 7 else f["const"]
                    assert const == img.rule_prog[r, term, 0]
                    if const:
                        assert (f["exp"] - 16 if f["exp"] >> 3 else f["exp"]) == img.rule_prog[r, term, 1]
                        assert [f[f"code{q}"] for q in range(4)] == list(img.rule_prog[r, term, 2:6])
                for q, name in enumerate(RULE_PARAMS):
                    v = prm_word[name]
                    if name in ("wmin", "wmax") and v >> 8:
                        v -= 512
                    assert v == img.rule_param[r, q], name
            assert [(w - 256 if w >> 7 else w) for w in t["reward"]] == list(reward[n0:n1])
            checked += len(plastic)
    assert checked > 50


def test_plastic_images_refused_where_the_rtl_cannot_learn():
    """One message naming the projection(s) and what is missing: a build without the learning unit,
    more rules on a core than its rule table holds, a rule with a synaptic tag program."""
    import dataclasses

    from emulator.bridge.memfiles import BridgeError, RtlChip
    img = random_plastic_program(3).image
    RtlChip().check(img)                                   # the default build takes it
    with pytest.raises(BridgeError, match=r"projection\(s\) .*'p\d'.* HAS_LEARN = 0"):
        RtlChip(HAS_LEARN=0).check(img)
    # RULE_AW = 1: two rules per core; the first random program with a core that uses three
    from emulator.bridge.learning import core_rules
    many = next(p.image for p in map(random_plastic_program, range(40))
                if max(core_rules(p.image, k).size for k in range(p.image.n_cores)) > 2)
    with pytest.raises(BridgeError, match=r"core \d+: projections '.*' learn there with \d rules; the learning "
                                          r"unit holds 2\^RULE_AW = 2"):
        RtlChip(RULE_AW=1).check(many)
    if getattr(img, "tag_prog", None) is not None:
        tag = img.tag_prog.copy()
        r = int(img.axon_rule[img.axon_rule >= 0][0])
        tag[r, 0, :3] = (1, -2, 4)                         # dt = 2^-2*x1
        name = img.rule_names[r].split(":")[0]
        with pytest.raises(BridgeError, match=rf"projection '{name}': a synaptic tag program"):
            RtlChip().check(dataclasses.replace(img, tag_prog=tag))
    with pytest.raises(BridgeError, match="C_LEARN_SYNAPSE = 3 but the chip YAML says 2"):
        RtlChip(C_LEARN_SYNAPSE=3).check(img)



def test_fixed_reward_of_a_config():
    """verify's r per neuron: constant third factors in their target population; others refused."""
    from emulator.bridge.learning import fixed_reward
    from emulator.bridge.memfiles import BridgeError
    from emulator.learning.config import ThirdFactor
    cfg = random_plastic_config(11)
    from emulator.api import build
    img = build(cfg).image
    assert fixed_reward(cfg, img) is None
    i, p = next((i, p) for i, p in enumerate(cfg.network.projections) if p.plasticity is not None)

    def with_tf(tf):
        projs = list(cfg.network.projections)
        projs[i] = replace(p, plasticity=replace(p.plasticity, third_factor=tf))
        return replace(cfg, network=replace(cfg.network, projections=tuple(projs)))
    r = fixed_reward(with_tf(ThirdFactor("constant", value=-7)), img)
    pm = img.population(p.target)
    assert (r[pm.first_id:pm.first_id + pm.size] == -7).all() and np.count_nonzero(r) == pm.size
    with pytest.raises(BridgeError, match=rf"projection '{p.name}': its third factor r comes from 'schedule'"):
        fixed_reward(with_tf(ThirdFactor("schedule", steps=((0, 1), (5, -1)))), img)


@pytest.mark.rtl
def test_non_learning_build_is_unchanged(tmp_path):
    """HAS_LEARN = 0 leaves the learning unit out: the non-plastic random programs still agree (the
    core as before), and the learn counters of the debug port read 0."""
    need("icarus")
    from emulator.bridge.cosim import run_job
    from emulator.bridge.memfiles import RtlChip
    from random_programs import random_program
    programs = [random_program(seed) for seed in range(4000, 4020)]
    res = run_job("icarus", tmp_path / "job", programs, RtlChip(HAS_LEARN=0), tag="nolearn")
    bad = [p for p in res.programs if not p.ok]
    assert not bad, f"{len(bad)} of {len(programs)} programs diverge; {bad[0].name}: {bad[0].report}"


@pytest.mark.rtl
def test_other_learning_costs_match_emulator(tmp_path):
    """The learn costs are RTL parameters: a chip YAML with 2-cycle trace updates, 1-cycle synapse
    updates and a free epoch (learn_epoch 0, a path of its own in the unit) agrees cycle for cycle."""
    need("icarus")
    import dataclasses

    from emulator.bridge.cosim import Program, run_job
    from emulator.bridge.memfiles import RtlChip
    costs = dataclasses.replace(random_plastic_program(0).image.chip.cycles, trace_update=2, learn_synapse=1,
                                learn_epoch=0)
    programs = []
    for seed in range(3100, 3112):
        p = random_plastic_program(seed)
        img = dataclasses.replace(p.image, chip=dataclasses.replace(p.image.chip, cycles=costs))
        programs.append(Program(img, p.stimulus, p.timesteps, p.name, p.reward))
    rtl = RtlChip.for_image(programs[0].image)
    assert (rtl.C_TRACE_UPDATE, rtl.C_LEARN_SYNAPSE, rtl.C_LEARN_EPOCH) == (2, 1, 0)
    res = run_job("icarus", tmp_path / "job", programs, rtl, tag="learn-costs")
    bad = [p for p in res.programs if not p.ok]
    assert not bad, f"{len(bad)} of {len(programs)} programs diverge; {bad[0].name}: {bad[0].report}"
    assert sum(int(p.want.extra["learn_epochs"].sum()) for p in res.programs) > 0


# ----------------------------------------------------------------------- lint and parameters
def _sources():
    from emulator.bridge import sim as rtlsim
    return sorted(str(p) for p in rtlsim.rtl_dir().glob("*.v"))


@pytest.mark.rtl
@pytest.mark.parametrize("top,args", [("learning_unit", []), ("chip_top", ["-GHAS_LEARN=0"]),
                                      ("core", ["-GC_LEARN_EPOCH=0", "-GRULE_AW=1"]),
                                      ("chip_top", ["-DMUTANT_TRACE_TRUNC"]), ("chip_top", ["-DMUTANT_DW_FLOOR"]),
                                      ("chip_top", ["-DMUTANT_SKIP_DRAW"])])
def test_learning_rtl_lint_clean(top, args):
    """``verilator --lint-only -Wall`` prints nothing for the learning unit, a build without it, other
    learn parameters and every planted learning defect."""
    import subprocess

    from emulator.bridge import sim as rtlsim
    need("verilator")
    rtlsim.setup_env()
    p = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module", top] + args + _sources(),
                       capture_output=True, text=True)
    assert p.returncode == 0 and "%Warning" not in p.stderr and "%Error" not in p.stderr, p.stderr


@pytest.mark.rtl
@pytest.mark.parametrize("param", ["C_LEARN_SYNAPSE=0", "C_TRACE_UPDATE=256", "RULE_AW=8", "C_LEARN_EPOCH=-1"])
def test_learning_unit_illegal_parameters_stop(param, tmp_path):
    import subprocess
    need("icarus")
    out = tmp_path / "a.vvp"
    p = subprocess.run(["iverilog", "-g2005", "-Wall", "-s", "learning_unit", f"-Plearning_unit.{param}", "-o", str(out)]
                       + _sources(), capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    r = subprocess.run(["vvp", "-n", str(out)], capture_output=True, text=True, timeout=60)
    assert "ERROR: learning_unit" in r.stdout and "illegal parameters" in r.stdout, r.stdout + r.stderr


# ----------------------------------------------------------------------- neuroemu verify
EXAMPLE = __import__("pathlib").Path(__file__).resolve().parents[2] / "configs" / "examples" / "verify_stdp.yaml"


@pytest.mark.rtl
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_verify_stdp_example_agrees(sim, capsys):
    """``neuroemu verify configs/examples/verify_stdp.yaml`` agrees, learning included, and reports speeds."""
    import re

    from emulator.cli import main
    need(sim)
    assert main(["verify", str(EXAMPLE), "--sim", sim]) == 0
    out = capsys.readouterr().out
    assert "agree: 200 timesteps x 64 neurons on 3 core(s)" in out, out
    m = re.search(r"learning: (\d+) plastic synapse weights after each of 200 timesteps \((\d+) changed", out)
    assert m and int(m.group(2)) > int(m.group(1)) // 2 and out.count("all exact") == 2, out
    rate = re.search(r"= ([\d,]+) cycles/s", out)
    assert rate and int(rate.group(1).replace(",", "")) > 0, out
    print(out)


def test_verify_refuses_a_tag_rule(capsys):
    """A rule the learning unit cannot run (a synaptic tag, ``reward_eligibility``): exit 2 and one line
    naming the projection and what is missing, before any simulator runs."""
    from emulator.bridge import sim as rtlsim
    from emulator.cli import main
    if rtlsim.missing("icarus"):
        pytest.skip("the simulator check comes first")
    code = main(["verify", str(EXAMPLE), "--sim", "icarus", "--set",
                 "network.projections[0].plasticity.rule=reward_eligibility"])
    assert code == 2
    err = capsys.readouterr().err
    assert "projection 'ff': a synaptic tag program (dt = ..., eligibility trace)" in err, err
