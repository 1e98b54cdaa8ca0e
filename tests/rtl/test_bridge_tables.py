"""The bridge without a simulator: memory-file words, build checks, host packets, the scoreboard."""
from __future__ import annotations

import dataclasses

import pytest

from emulator import fixed as fx
from emulator.api import build
from emulator.bridge.expected import emulate
from emulator.bridge.memfiles import (AXON_FIELDS, NPARAM_FIELDS, NSTATE_FIELDS, OUT_FIELDS, OUTPTR_FIELDS,
                                      SYN_FIELDS, BridgeError, RtlChip, core_tables, host_packets, split_bias,
                                      unpack, write_program)
from emulator.bridge.scoreboard import compare
from tests.reference.random_nets import random_fixed_config


def _signed(x, bits):
    return x - (1 << bits) if x >> (bits - 1) else x


@pytest.fixture(scope="module")
def built():
    cfg = random_fixed_config(14, timesteps=20, max_delay=6)     # 8 cores, delays, both ports
    chip = dataclasses.replace(cfg.chip, limits=dataclasses.replace(cfg.chip.limits, neurons=64))
    return build(dataclasses.replace(cfg, chip=chip))


def test_word_widths_match_the_rtl_localparams():
    # core.v: NPARAM_W = 107, NSTATE_W = 103, AXONW_W = 37, SYN_W = 25, OUTPTR_W = 32, OUT_W = 24
    widths = [sum(b for _, b in f) for f in (NPARAM_FIELDS, NSTATE_FIELDS, AXON_FIELDS, SYN_FIELDS,
                                               OUTPTR_FIELDS, OUT_FIELDS)]
    assert widths == [107, 103, 37, 25, 32, 24]


def test_split_bias_is_exact_for_every_mantissa_and_exponent():
    for exp in range(8):
        for mant in range(-4096, 4096, 37):
            m, e = split_bias(mant << exp)
            assert m << e == mant << exp and -4096 <= m <= 4095 and 0 <= e <= 7
    with pytest.raises(BridgeError):
        split_bias(4096 << 7)


def test_core_tables_hold_the_image_tables(built):
    img = built.image
    weight, delay = img.syn_weight, img.syn_delay
    for k in range(img.n_cores):
        t = core_tables(img, k)
        n0, n1 = img.neuron_ptr[k], img.neuron_ptr[k + 1]
        a0, a1 = img.axon_ptr[k], img.axon_ptr[k + 1]
        s0 = img.axon_syn_ptr[a0]
        assert [int(x) for x in t["cfg"]] == [n1 - n0, a1 - a0, img.axon_syn_ptr[a1] - s0,
                                              img.out_ptr[n1] - img.out_ptr[n0]]
        for i, n in enumerate(range(n0, n1)):
            f = unpack(NPARAM_FIELDS, t["nparam"][i])
            assert _signed(f["bias_mant"], 13) << f["bias_exp"] == img.params.bias[n]
            for name in ("du", "du_inh", "dv", "vth", "refractory", "dth", "th_inc", "flags"):
                assert f[name] == getattr(img.params, name)[n], name
            st = unpack(NSTATE_FIELDS, t["nstate"][i])
            assert (_signed(st["u"], 24), _signed(st["v"], 24), st["spiked"]) == (img.init_u[n], img.init_v[n], 0)
        for i, a in enumerate(range(a0, a1)):
            f = unpack(AXON_FIELDS, t["axon"][i])
            assert (f["syn_start"] + s0, f["syn_end"] + s0) == (img.axon_syn_ptr[a], img.axon_syn_ptr[a + 1])
            assert (_signed(f["exp"], 4), f["port"]) == (img.axon_exp[a], img.axon_port[a])
        for i, s in enumerate(range(s0, img.axon_syn_ptr[a1])):
            f = unpack(SYN_FIELDS, t["syn"][i])
            assert (f["target"], _signed(f["weight"], fx.WEIGHT_BITS), f["delay"]) == \
                (img.syn_target[s], weight[s], delay[s])
        o0 = img.out_ptr[n0]
        for i, e in enumerate(range(o0, img.out_ptr[n1])):
            f = unpack(OUT_FIELDS, t["out"][i])
            axon = img.axon_ptr[f["dst_core"]] + f["dst_axon"]
            assert axon == img.out_axon[e]


def test_host_packets_follow_the_host_table(built):
    img = built.image
    for h in range(img.n_host):
        pk = host_packets(img, [h])
        want = img.host_out_axon[img.host_out_ptr[h]:img.host_out_ptr[h + 1]]
        assert [int(img.axon_ptr[c]) + a for c, a in pk] == [int(x) for x in want]


def test_check_names_the_limit(built, tmp_path):
    img = built.image
    assert img.n_cores > 1 and img.max_delay >= 2          # so that every check below can trip
    rtl = RtlChip.for_image(img, NCORES=8)
    write_program(img, tmp_path / "p0", rtl)
    from emulator.bridge.learning import LEARN_FILES       # the learning unit's tables (HAS_LEARN = 1)
    assert len(list((tmp_path / "p0").glob("*.mem"))) == (7 + len(LEARN_FILES)) * rtl.NCORES
    for change, name in (({"NCORES": img.n_cores - 1}, "NCORES"), ({"NEURON_AW": 2}, "NEURON_AW"),
                         ({"RING_BITS": 1}, "RING_BITS"), ({"C_SYNOP": 3}, "C_SYNOP"),
                         ({"FIFO_AW": 1}, "FIFO"), ({"SYN_AW": 1}, "SYN_AW")):
        with pytest.raises(BridgeError, match=name):
            dataclasses.replace(rtl, **change).check(img)


def test_scoreboard_reports_the_earliest_divergence_in_hardware_order(built):
    img = built.image
    want = emulate(img, built.stimulus, 20)
    assert compare(img, want, want) is None
    got = dataclasses.replace(want, state={k: v.copy() for k, v in want.state.items()},
                              counters={k: v.copy() for k, v in want.counters.items()})
    last = img.neuron_ptr[-1] - 1
    got.state["v"][9, last] += 1                     # an update-phase field at timestep 9
    d = compare(img, want, got)
    assert (d.timestep, d.neuron, d.field, d.got - d.expected) == (9, last, "v", 1)
    assert "<-- diverges" in d.context and d.context.count("\n") >= 4
    got.counters["synops"][9, img.n_cores - 1] += 2  # the deliver phase of the same step comes first
    d = compare(img, want, got)
    assert (d.timestep, d.core, d.field) == (9, img.n_cores - 1, "synops")
    got.step_cycles = want.step_cycles.copy()
    got.step_cycles[4] -= 1                          # an earlier timestep wins
    d = compare(img, want, got)
    assert (d.timestep, d.field, d.core) == (4, "step_cycles", None)
    assert d.cycle == int(want.step_cycles[:5].sum())


def test_check_refuses_cycle_mode_router_timing(built):
    """A fixed-latency build (NOC = 0) refuses cycle-mode router timing (that needs the XY-router mesh)."""
    img = built.image
    if not hasattr(img.chip, "router"):
        pytest.skip("this chip spec has no router settings")
    chip = dataclasses.replace(img.chip, router=dataclasses.replace(img.chip.router, mode="cycle"))
    with pytest.raises(BridgeError, match="router"):
        RtlChip.for_image(img, NCORES=8).check(dataclasses.replace(img, chip=chip))


def test_check_refuses_plastic_images():
    """A build without the learning unit (HAS_LEARN = 0) refuses an image with plastic rows, naming
    the projections; the default build takes it (rtl_models/tests/test_learning.py compares it)."""
    from tests.reference.random_nets import random_plastic_config
    for seed in range(10):
        img = build(random_plastic_config(seed)).image
        if img.plastic_synapses.any():
            break
    else:
        pytest.fail("no random plastic config produced plastic synapses")
    with pytest.raises(BridgeError, match=r"projection\(s\) .* are plastic .* HAS_LEARN = 0"):
        RtlChip.for_image(img, NCORES=8, HAS_LEARN=0).check(img)
