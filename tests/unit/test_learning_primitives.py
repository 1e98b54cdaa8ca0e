"""Learning engine primitives: analytic trace values, a rule stepped by hand, the grammar,
and the compiled rule evaluation against the plain-Python twin on random programs."""
import numpy as np
import pytest

from emulator.learning import RuleError, parse_rule
from emulator.learning.fixed import apply_dw, lfsr_next, round_dw, trace_decay, trace_step
from emulator.learning.kernels import rule_acc
from emulator.learning.traces import learn_lfsr_seed
from tests.reference.learning_ref import (CODES, lfsr_next_ref, lfsr_seed_ref, rule_dw_ref,
                                          trace_step_ref)
from tests.reference.random_nets import random_rule_text


def test_trace_analytic_values():
    # no decay (d = 0): (x*4096 + rnd) >> 12 = x for any rnd < 4096; impulses add and saturate at 127
    x = 0
    for k in range(1, 6):
        x = trace_step(x, 0, 30, 1, 4095)
        assert x == min(30 * k, 127)
    # d = 2048 halves: 100 * 2048 = 204800 = 50 * 4096 exactly, so rnd cannot round it up
    assert trace_decay(100, 2048, 0) == 50 and trace_decay(100, 2048, 4095) == 50
    # 101 * 2048 / 4096 = 50.5: rnd < 2048 floors to 50, rnd >= 2048 rounds to 51 (stochastic rounding)
    assert trace_decay(101, 2048, 2047) == 50 and trace_decay(101, 2048, 2048) == 51
    # full decay (d = 4095): 127 * 1 / 4096 < 1 -> 0 unless rnd >= 4096 - 127
    assert trace_decay(127, 4095, 3968) == 0 and trace_decay(127, 4095, 3969) == 1
    # a spike after decay: 64 -> 32 + 40 = 72
    assert trace_step(64, 2048, 40, 1, 0) == 72


def test_stochastic_rounding_is_unbiased():
    # over all 4096 rounding inputs, the mean of trace_decay(x, d) is exactly x * (4096 - d) / 4096
    for x, d in ((1, 100), (77, 1234), (127, 4000)):
        total = sum(trace_decay(x, d, r) for r in range(4096))
        assert total == x * (4096 - d)


def test_lfsr_matches_twin_and_has_no_short_cycle():
    s = learn_lfsr_seed(7, 3)
    assert s == lfsr_seed_ref(7, 3) and s != 0
    seen = set()
    for _ in range(10000):
        s2 = lfsr_next(s)
        assert s2 == lfsr_next_ref(s) and s2 != 0
        seen.add(s2)
        s = s2
    assert len(seen) == 10000


def test_rule_stepped_by_hand():
    # dw = 2^-2*x1*y0 - 2^-2*y1*x0 with x1 = 40, y0 = 1, y1 = 10, x0 = 1:
    # acc = (40 - 10) * 2^-2 in units of 2^-8 = 30 * 64 = 1920 = 7.5 * 256
    prog = parse_rule("dw = 2^-2*x1*y0 - 2^-2*y1*x0").encode()
    vals = np.array([1, 1, 40, 0, 1, 10, 0, 0, 100, 0], np.int64)   # codes: 1 x0 x1 x2 y0 y1 y2 y3 w r
    acc = rule_acc(prog, vals)
    assert acc == 1920
    assert round_dw(acc, 127) == 7 and round_dw(acc, 128) == 8       # 7.5: half of the draws round up
    assert apply_dw(100, 8, 0, 255) == 108 and apply_dw(250, 8, 0, 255) == 255
    # depression only (x0 = 1, y0 = 0): -10 * 64 = -640 = -2.5 * 256 -> -3 or -2
    vals[4] = 0
    assert rule_acc(prog, vals) == -640
    assert round_dw(-640, 0) == -3 and round_dw(-640, 255) == -2
    # a weight-dependent term: dw = 2^-4*w*y0 with w = -37: -37 * 16 = -592
    assert rule_acc(parse_rule("2^-4*w*y0").encode(), np.array([1, 0, 0, 0, 1, 0, 0, 0, -37, 0])) == -592


@pytest.mark.parametrize("text, pos, words", [
    ("dw = 2^-2*x1*y0 - 2^-2*q1*x0", 23, "unknown variable 'q1'"),
    ("dw = 2^-9*x1", 5, "outside"),
    ("dw = x1 y0", 8, "missing '*'"),
    ("dw = x1*y0 + ", 12, "expected a variable"),
    ("dw = x1 % 2", 8, "unexpected character"),
    ("w = x1", 2, "only 'dw ='"),
    ("2^-2*2^-3*x1", 5, "at most one power-of-two"),
    ("200*x1", 0, "constant 200"),
    ("x1*y1*x2*y2*w", 12, "at most 4 variables"),
])
def test_rule_errors_point_at_the_token(text, pos, words):
    with pytest.raises(RuleError) as e:
        parse_rule(text)
    assert e.value.pos == pos and words in str(e.value)
    assert str(e.value).splitlines()[-1] == "  " + " " * pos + "^"


def test_rule_encoding():
    r = parse_rule("dw = -3*2^1*x1*y0 + w")
    assert [(t.const, t.exp, t.factors) for t in r.terms] == [(-3, 1, ("x1", "y0")), (1, 0, ("w",))]
    prog = r.encode()
    assert prog[0].tolist() == [-3, 1, 2, 4, 0, 0] and prog[1].tolist() == [1, 0, 8, 0, 0, 0]
    assert not prog[2:].any()


@pytest.mark.parametrize("seed", range(20))
def test_random_programs_match_twin(seed):
    rng = np.random.default_rng(seed)
    prog = parse_rule(random_rule_text(rng)).encode()
    for _ in range(50):
        vals = np.array([1, rng.integers(0, 2), rng.integers(0, 128), rng.integers(0, 128), rng.integers(0, 2),
                         rng.integers(0, 128), rng.integers(0, 128), rng.integers(0, 128),
                         rng.integers(-256, 256), rng.integers(-128, 128), rng.integers(-256, 256)], np.int64)
        rnd = int(rng.integers(0, 256))
        acc_ref, dw_ref = rule_dw_ref(prog, dict(zip(CODES, vals.tolist())), rnd)
        acc = rule_acc(prog, vals)
        assert acc == acc_ref and round_dw(acc, rnd) == dw_ref
        x, d, imp = int(vals[2]), int(rng.integers(0, 4096)), int(rng.integers(0, 128))
        r12 = int(rng.integers(0, 4096))
        assert trace_step(x, d, imp, int(vals[1]), r12) == trace_step_ref(x, d, imp, int(vals[1]), r12)
