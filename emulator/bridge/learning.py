"""Bridge of the learning unit (``rtl_models/learning_unit.v``): memory files, the expected learning
state from the emulator's own kernels, the monitor's debug reads and the comparison.

The learn phase (docs/learning.md) runs in every core after deliver and update. The RTL loads the
ChipImage's learning tables, repacked per core into the words below (LSB = field 0), and keeps
the traces, the LFSR and the learned weights (in place in the synapse words). Files of core ``c``:

==================== =============================================================================
``core{c}_lcfg``     8 words of 32 bits: input axons, neurons, plastic rows, learning neurons,
                     rules of the core, the learning LFSR's seed, 0, 0
``core{c}_lrow``     per input axon: rule[7] (local index), plastic[1]
``core{c}_plist``    per plastic row, in row order: row[16] (local), rule[8]
``core{c}_nlist``    per learning neuron (``neuron_rule >= 0``), in id order: neuron[16], rule[8]
``core{c}_rprog``    per rule of the core, MAX_TERMS words: one term of TERM_FIELDS each (28 bits)
``core{c}_rparam``   per rule: RPARAM_FIELDS (130 bits)
``core{c}_reward``   per neuron: the third factor r (signed 8 bits; the emulator's ``Buffers.reward``)
==================== =============================================================================

Rules are renumbered per core (the rules its rows and neurons use, in global order), so a core
holds at most ``2^RULE_AW`` of them whatever the image's total.

Expected side: ``run_stepwise`` runs the emulator's compiled timestep (``engine.kernels.run_chunk``)
one step at a time and keeps, after every step, the pre traces (x0, x1, x2 per row), the post
traces (y0..y3 per neuron), every weight and each core's LFSR. Monitor side: ``LearnMonitor``
reads the same through the debug port after every timestep. ``compare_step`` is the scoreboard's
learn-phase check; nothing of the model is re-implemented here.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engine.accounting import learn_cycles
from ..engine.kernels import COUNTER_NAMES, run_chunk, used_counters
from ..image import ChipImage
from ..learning.kernels import RULE_PARAMS
from ..learning.rules import MAX_FACTORS, MAX_TERMS, VAR_CODE
from ..learning.traces import learn_lfsr_seed

# ------------------------------------------------------------------ word layouts: (name, bits), LSB first
LCFG_WORDS = ("axons", "neurons", "plastic_rows", "learning_neurons", "rules", "seed", "spare0", "spare1")
LCFG_BITS = 32
LROW_FIELDS = (("rule", 7), ("plastic", 1))
PLIST_FIELDS = (("row", 16), ("rule", 8))
NLIST_FIELDS = (("neuron", 16), ("rule", 8))
TERM_FIELDS = (("const", 8), ("exp", 4)) + tuple((f"code{k}", 4) for k in range(MAX_FACTORS))   #: 28 bits
RPARAM_FIELDS = (("epoch", 17), ("wmin", 9), ("wmax", 9)) + tuple(
    (name, 12 if name.endswith("decay") else 7) for name in RULE_PARAMS[3:])                   #: 130 bits
REWARD_BITS = 8
LEARN_FILES = ("lcfg", "lrow", "plist", "nlist", "rprog", "rparam", "reward")
#: debug bursts (``dbg_sel`` 2, 3, 4 of core.v): weights of synapses addr .. addr + 13, pre-trace words of
#: rows addr .. addr + 7, post-trace words of neurons addr .. addr + 4 (LSB first)
XTR_FIELDS = (("x0", 1), ("x1", 7), ("x2", 7))
YTR_FIELDS = (("y0", 1), ("y1", 7), ("y2", 7), ("y3", 7))
DBG_SYN, DBG_XTR, DBG_YTR = 2, 3, 4
BURST = {DBG_SYN: (14, 9), DBG_XTR: (8, 15), DBG_YTR: (5, 22)}     #: sel -> (words per read, bits per word)
#: learning-unit counters on the counter bank of the debug port (``dbg_sel`` 1), from address 8
LEARN_CTR_BASE = 8
LEARN_COUNTERS = ("learn_cycles", "learn_synapses", "trace_updates", "learn_epochs", "lfsr")
#: variable codes the learning unit's interpreter has (0 = the constant 1, then x0 .. r)
RTL_VARIABLES = ("x0", "x1", "x2", "y0", "y1", "y2", "y3", "w", "r")


def _width(fields) -> int:
    return sum(b for _, b in fields)


def _pack(fields, values: dict) -> int:
    word, shift = 0, 0
    for name, bits in fields:
        word |= (int(values.get(name, 0)) & ((1 << bits) - 1)) << shift
        shift += bits
    return word


def _unpack(fields, word: int) -> dict:
    out, shift = {}, 0
    for name, bits in fields:
        out[name] = (int(word) >> shift) & ((1 << bits) - 1)
        shift += bits
    return out


WIDTHS = {"lcfg": LCFG_BITS, "lrow": _width(LROW_FIELDS), "plist": _width(PLIST_FIELDS),
          "nlist": _width(NLIST_FIELDS), "rprog": _width(TERM_FIELDS),
          "rparam": _width(RPARAM_FIELDS), "reward": REWARD_BITS}


# ------------------------------------------------------------------ what the image asks of the unit
def learns(image: ChipImage) -> bool:
    """True when some core of ``image`` has a learn phase (plastic rows or learning neurons)."""
    return bool(image.n_rules) and bool(np.any(image.axon_rule >= 0) or np.any(image.neuron_rule >= 0))


def projection_of(image: ChipImage, r: int) -> str:
    """The name of the projection whose rule is ``r`` (``rule_names`` are ``"name: dw"``)."""
    names = image.rule_names
    return names[r].split(":", 1)[0] if r < len(names) else f"rule {r}"


def core_rules(image: ChipImage, k: int) -> np.ndarray:
    """Global indices of the rules core ``k`` uses (its rows' and its neurons' rules), ascending."""
    a0, a1 = int(image.axon_ptr[k]), int(image.axon_ptr[k + 1])
    n0, n1 = int(image.neuron_ptr[k]), int(image.neuron_ptr[k + 1])
    used = np.concatenate([image.axon_rule[a0:a1], image.neuron_rule[n0:n1]]).astype(np.int64)
    return np.unique(used[used >= 0])


def unsupported(image: ChipImage, r: int) -> str | None:
    """Why rule ``r`` cannot run on the learning unit, or None (the grammar of docs/learning.md is all
    supported; what the unit lacks is the synaptic tag of the eligibility-trace rules)."""
    tag = getattr(image, "tag_prog", None)
    if tag is not None and tag.shape[0] > r and np.any(tag[r]):
        return "a synaptic tag program (dt = ..., eligibility trace): the learning unit has no tag memory"
    prog = image.rule_prog[r]
    codes = prog[prog[:, 0] != 0][:, 2:2 + MAX_FACTORS]
    bad = sorted({int(c) for c in codes.ravel() if c > len(RTL_VARIABLES)})
    if bad:
        inv = {v: k for k, v in VAR_CODE.items()}
        names = ", ".join(inv.get(c, f"code {c}") for c in bad)
        return f"variable(s) {names} in dw: the learning unit's interpreter has {', '.join(RTL_VARIABLES)}"
    return None


def check(image: ChipImage, rtl) -> None:
    """Raise ``memfiles.BridgeError`` unless the learning tables of ``image`` fit the build ``rtl``."""
    from .memfiles import BridgeError
    if not learns(image):
        return
    plastic = sorted({int(r) for r in image.axon_rule[image.axon_rule >= 0]}
                     | {int(r) for r in image.neuron_rule[image.neuron_rule >= 0]})
    names = ", ".join(f"'{projection_of(image, r)}'" for r in plastic)
    if not getattr(rtl, "HAS_LEARN", 0):
        raise BridgeError(f"projection(s) {names} are plastic ({int(image.plastic_synapses.sum())} synapses), but "
                          "the RTL is built with HAS_LEARN = 0 (no learning unit)")
    for r in plastic:
        why = unsupported(image, r)
        if why:
            raise BridgeError(f"projection '{projection_of(image, r)}': {why}; verify it without that rule")
    c = image.chip.cycles
    for name, want in (("C_TRACE_UPDATE", c.trace_update), ("C_LEARN_SYNAPSE", c.learn_synapse),
                       ("C_LEARN_EPOCH", c.learn_epoch)):
        if getattr(rtl, name) != want:
            raise BridgeError(f"RTL parameter {name} = {getattr(rtl, name)} but the chip YAML says {want}")
        if want < (0 if name == "C_LEARN_EPOCH" else 1) or want > 255:
            raise BridgeError(f"chip.cycles: {name} = {want}; the learning unit takes 1..255 cycles per trace "
                              "and per synapse, 0..255 per epoch")
    for k in range(image.n_cores):
        rules = core_rules(image, k)
        if rules.size > (1 << rtl.RULE_AW):
            raise BridgeError(f"core {k}: projections {', '.join(repr(projection_of(image, int(r))) for r in rules)} "
                              f"learn there with {rules.size} rules; the learning unit holds 2^RULE_AW = "
                              f"{1 << rtl.RULE_AW}")


def fixed_reward(cfg, image: ChipImage) -> np.ndarray | None:
    """r of every neuron for a run of ``cfg`` on the RTL, which holds one r per neuron for the whole run:
    the value of each plastic projection's ``third_factor: {from: constant}`` in its target population
    (as ``emulator.learning.runner`` sets it), None when no projection has a third factor. A third
    factor that changes during the run (schedule, labels, task) raises BridgeError naming the projection."""
    from .memfiles import BridgeError
    reward = None
    for p in cfg.network.projections:
        tf = getattr(p.plasticity, "third_factor", None) if p.plasticity is not None else None
        if tf is None:
            continue
        if tf.source != "constant":
            raise BridgeError(f"projection '{p.name}': its third factor r comes from '{tf.source}' and changes "
                              "during the run; the RTL learning unit holds one r per neuron for the whole run "
                              "(third_factor: {from: constant, value: R} is supported)")
        pm = image.population(p.target)
        reward = np.zeros(image.n_neurons, np.int64) if reward is None else reward
        reward[pm.first_id:pm.first_id + pm.size] = tf.value
    return reward


# ------------------------------------------------------------------ tables per core
def learning_tables(image: ChipImage, k: int, reward=None) -> dict[str, list[int]]:
    """The packed words of every learning memory of core ``k`` (file name -> words)."""
    a0, a1 = int(image.axon_ptr[k]), int(image.axon_ptr[k + 1])
    n0, n1 = int(image.neuron_ptr[k]), int(image.neuron_ptr[k + 1])
    rules = core_rules(image, k) if image.n_rules else np.zeros(0, np.int64)
    local = {int(r): i for i, r in enumerate(rules)}
    arule = image.axon_rule[a0:a1]
    nrule = image.neuron_rule[n0:n1]
    lrow = [_pack(LROW_FIELDS, {"rule": local.get(int(r), 0), "plastic": int(r >= 0)}) for r in arule]
    plist = [_pack(PLIST_FIELDS, {"row": i, "rule": local[int(r)]}) for i, r in enumerate(arule) if r >= 0]
    nlist = [_pack(NLIST_FIELDS, {"neuron": i, "rule": local[int(r)]}) for i, r in enumerate(nrule) if r >= 0]
    rprog, rparam = [], []
    for r in rules:
        prog = image.rule_prog[r]
        for i in range(MAX_TERMS):
            vals = {"const": prog[i, 0], "exp": prog[i, 1] if prog[i, 0] else 0}
            vals.update({f"code{f}": prog[i, 2 + f] if prog[i, 0] else 0 for f in range(MAX_FACTORS)})
            rprog.append(_pack(TERM_FIELDS, vals))
        rparam.append(_pack(RPARAM_FIELDS, dict(zip(RULE_PARAMS, (int(x) for x in image.rule_param[r])))))
    rew = np.zeros(n1 - n0, np.int64) if reward is None else np.asarray(reward, np.int64)[n0:n1]
    lcfg = [a1 - a0, n1 - n0, len(plist), len(nlist), len(rules), learn_lfsr_seed(image.learn_seed, k), 0, 0]
    return {"lcfg": lcfg, "lrow": lrow, "plist": plist, "nlist": nlist, "rprog": rprog, "rparam": rparam,
            "reward": [int(x) & ((1 << REWARD_BITS) - 1) for x in rew]}


def write_learning(image: ChipImage, folder: str | Path, rtl, reward=None) -> None:
    """Write every core's learning memory files into ``folder`` (cores the image does not use: empty).

    ``reward``: the third factor r of every neuron (int, signed 8 bits), as set in the emulator's
    ``Buffers.reward`` before the run; default 0.
    """
    folder = Path(folder)
    if not getattr(rtl, "HAS_LEARN", 0):
        return                                  # a build without the learning unit reads none of them
    if reward is not None:
        reward = np.asarray(reward, np.int64)
        if reward.shape != (image.n_neurons,) or reward.min(initial=0) < -128 or reward.max(initial=0) > 127:
            from .memfiles import BridgeError
            raise BridgeError(f"reward: {image.n_neurons} signed 8-bit values expected (r of every neuron)")
    for k in range(rtl.NCORES):
        if k < image.n_cores:
            tables = learning_tables(image, k, reward)
        else:
            tables = {"lcfg": [0, 0, 0, 0, 0, 1, 0, 0]}
        for name in LEARN_FILES:
            words = tables.get(name) or [0]
            digits = (WIDTHS[name] + 3) // 4
            (folder / f"core{k}_{name}.mem").write_text("".join(f"{int(w):0{digits}x}\n" for w in words))


# ------------------------------------------------------------------ the expected side
def run_stepwise(sim, rec, host_ptr, host_ids, timesteps: int) -> tuple[int, dict]:
    """Run the emulator's ``run_chunk`` one timestep at a time on ``sim`` (a ``Simulation``) into the
    recorder ``rec`` (rows = timesteps) and keep the learning state after every step.

    Returns (the first step not run, extra): ``x`` (T, axons, 3) x0 x1 x2, ``y`` (T, neurons, 4)
    y0..y3, ``w`` (T, synapses) weights, ``lfsr`` (T, cores), and per core and step the learn
    counters and ``learn_cycles`` (``accounting.learn_cycles``).
    """
    image, buf = sim.image, sim.buffers
    T = timesteps
    x = np.zeros((T, image.n_axons, 3), np.int16)
    y = np.zeros((T, image.n_neurons, 4), np.int16)
    w = np.zeros((T, image.n_synapses), np.int16)
    lfsr = np.zeros((T, image.n_cores), np.int64)
    t_end = 0
    for t in range(T):
        sub = rec._replace(probe_vals=rec.probe_vals[t:t + 1], counters=rec.counters[t:t + 1])
        if run_chunk(t, t + 1, sim.tables, sim.params, sim.state, buf, host_ptr[t:t + 2], host_ids, sub,
                     np.zeros(2, np.int64)) != t + 1:
            break
        t_end = t + 1
        if image.n_rules:               # learning buffers exist (any of them may have 0 rows)
            x[t] = buf.xtr[:, 1:4]
            y[t] = buf.ytr
            lfsr[t] = buf.lfsr
        w[t] = sim.weights
    extra = {"x": x, "y": y, "w": w, "lfsr": lfsr,
             "learn_cycles": learn_cycles(used_counters(rec.counters), image.chip).astype(np.int64)}
    for name in LEARN_COUNTERS[1:4]:
        extra[name] = rec.counters[:, :, COUNTER_NAMES.index(name)].astype(np.int64)
    return t_end, extra


# ------------------------------------------------------------------ the monitor (inside the simulator)
class _CoreView:
    """Global ids of core ``k``'s plastic rows, learning neurons and plastic synapses."""

    def __init__(self, image: ChipImage, k: int):
        self.a0, self.n0 = int(image.axon_ptr[k]), int(image.neuron_ptr[k])
        a1, n1 = int(image.axon_ptr[k + 1]), int(image.neuron_ptr[k + 1])
        self.s0, s1 = int(image.axon_syn_ptr[self.a0]), int(image.axon_syn_ptr[a1])
        self.rows = [a for a in range(self.a0, a1) if image.axon_rule[a] >= 0]
        self.neurons = [n for n in range(self.n0, n1) if image.neuron_rule[n] >= 0]
        self.plastic = [j for a in self.rows for j in range(int(image.axon_syn_ptr[a]), int(image.axon_syn_ptr[a + 1]))]
        self.synapses = list(range(self.s0, s1))


class LearnMonitor:
    """Reads the learning state of every core through the debug port after each timestep:
    learn counters and LFSR, x of plastic rows, y of learning neurons, the weights of plastic
    synapses (every synapse after the last timestep). ``extra`` has ``run_stepwise``'s keys."""

    def __init__(self, image: ChipImage, timesteps: int):
        self.image, self.T = image, timesteps
        self.cores = [_CoreView(image, k) for k in range(image.n_cores)]
        self.extra = {"x": np.zeros((timesteps, image.n_axons, 3), np.int16),
                      "y": np.zeros((timesteps, image.n_neurons, 4), np.int16),
                      "w": np.zeros((timesteps, image.n_synapses), np.int16),
                      "lfsr": np.zeros((timesteps, image.n_cores), np.int64)}
        for name in LEARN_COUNTERS[:4]:
            self.extra[name] = np.zeros((timesteps, image.n_cores), np.int64)
        self.reads = 0

    async def _burst(self, dbg, core: int, sel: int, ids: list, base: int):
        """(id, word) of every id in ``ids`` (ascending, global; local = id - base), read in bursts."""
        n, bits = BURST[sel]
        out, i = [], 0
        while i < len(ids):
            first = ids[i]
            data = await dbg.read(core, sel, first - base)
            self.reads += 1
            while i < len(ids) and ids[i] < first + n:
                out.append((ids[i], (data >> ((ids[i] - first) * bits)) & ((1 << bits) - 1)))
                i += 1
        return out

    async def sample(self, dbg, t: int) -> None:
        from .memfiles import DBG_COUNTERS
        e = self.extra
        for c, v in enumerate(self.cores):
            for i, name in enumerate(LEARN_COUNTERS):
                e[name][t, c] = await dbg.read(c, DBG_COUNTERS, LEARN_CTR_BASE + i)
                self.reads += 1
            for a, word in await self._burst(dbg, c, DBG_XTR, v.rows, v.a0):
                f = _unpack(XTR_FIELDS, word)
                e["x"][t, a] = (f["x0"], f["x1"], f["x2"])
            for n, word in await self._burst(dbg, c, DBG_YTR, v.neurons, v.n0):
                f = _unpack(YTR_FIELDS, word)
                e["y"][t, n] = (f["y0"], f["y1"], f["y2"], f["y3"])
            for j, word in await self._burst(dbg, c, DBG_SYN, v.synapses if t == self.T - 1 else v.plastic, v.s0):
                e["w"][t, j] = word - 512 if word >> 8 else word          # signed 9-bit mantissa


# ------------------------------------------------------------------ the comparison
def compare_step(image: ChipImage, want, got, t: int, t0: int, context: int = 3):
    """The first learn-phase divergence of timestep ``t`` (``scoreboard.Divergence``), or None.

    Per core, in the order the learning unit produces them: x0, x1, x2 of every plastic row,
    y0..y3 of every learning neuron, the weight of every plastic synapse, then the counters
    (trace updates, epochs, synapses), the learn cycles and the LFSR; after the last timestep
    also the weight of every synapse (static ones included). ``t0``: model cycles before t.
    """
    from .scoreboard import Divergence
    we, ge = want.extra, got.extra
    if "w" not in we or "w" not in ge:
        return None
    cc = image.chip.cycles
    last = t == want.timesteps - 1
    for c in range(image.n_cores):
        v = _CoreView(image, c)
        start = t0 + int(want.deliver_cycles[t, c] + want.update_cycles[t, c])

        def div(field, exp, got_v, cycle, series, neuron=None, axon=None, synapse=None):
            local = None if neuron is None else neuron - v.n0
            return Divergence(t, cycle, c, neuron, local, field, int(exp), int(got_v),
                              _context(want, got, t, series, context), axon=axon, synapse=synapse)

        for i, a in enumerate(v.rows):
            for f, name in enumerate(("x0", "x1", "x2")):
                if we["x"][t, a, f] != ge["x"][t, a, f]:
                    op = 2 * i + (2 if name == "x2" else 1)
                    return div(name, we["x"][t, a, f], ge["x"][t, a, f], start + op * cc.trace_update,
                               ("x", (slice(None), a, f)), axon=a)
        base = 2 * len(v.rows)
        for m, n in enumerate(v.neurons):
            for f, name in enumerate(("y0", "y1", "y2", "y3")):
                if we["y"][t, n, f] != ge["y"][t, n, f]:
                    op = base + 3 * m + max(f, 1)
                    return div(name, we["y"][t, n, f], ge["y"][t, n, f], start + op * cc.trace_update,
                               ("y", (slice(None), n, f)), neuron=n)
        # weights: the s-th synapse updated in this step's epoch ends at traces + epoch + (s + 1) synapse costs
        end = start + int(we["learn_cycles"][t, c])
        pos = start + int(we["trace_updates"][t, c]) * cc.trace_update + cc.learn_epoch
        s = 0
        on = _on_boundary(image, t)
        for a in v.rows:
            lo, hi = int(image.axon_syn_ptr[a]), int(image.axon_syn_ptr[a + 1])
            for j in range(lo, hi):
                cyc = pos + (s + 1) * cc.learn_synapse if on[a] else end
                s += bool(on[a])
                if we["w"][t, j] != ge["w"][t, j]:
                    n = int(image.neuron_ptr[c]) + int(image.syn_target[j])
                    return div("weight", we["w"][t, j], ge["w"][t, j], cyc, ("w", (slice(None), j)),
                               neuron=n, axon=a, synapse=j)
        for name in ("trace_updates", "learn_epochs", "learn_synapses", "learn_cycles", "lfsr"):
            if we[name][t, c] != ge[name][t, c]:
                return div(name, we[name][t, c], ge[name][t, c], end, (name, (slice(None), c)))
        if last:
            for j in v.synapses:
                if we["w"][t, j] != ge["w"][t, j]:
                    a = int(np.searchsorted(image.axon_syn_ptr, j, side="right") - 1)
                    n = int(image.neuron_ptr[c]) + int(image.syn_target[j])
                    return div("weight", we["w"][t, j], ge["w"][t, j], end, ("w", (slice(None), j)),
                               neuron=n, axon=a, synapse=j)
    return None


def _on_boundary(image: ChipImage, t: int) -> np.ndarray:
    """Bool (n_axons): the row is plastic and its rule is on an epoch boundary at step t."""
    r = image.axon_rule.astype(np.int64)
    epoch = image.rule_param[np.maximum(r, 0), RULE_PARAMS.index("epoch")] if image.n_rules else np.ones_like(r)
    return (r >= 0) & ((t + 1) % np.maximum(epoch, 1) == 0)


def _context(want, got, t: int, series, k: int) -> str:
    key, idx = series
    w, g = want.extra[key][idx], got.extra[key][idx]
    rows = [f"  {'timestep':>8}  {'expected':>12}  {'got':>12}"]
    for s in range(max(0, t - k), t + 1):
        rows.append(f"  {s:>8}  {int(w[s]):>12}  {int(g[s]):>12}{'   <-- diverges' if w[s] != g[s] else ''}")
    return "\n".join(rows)


def summary(image: ChipImage, want) -> str:
    """What an agreeing comparison of the learn phase covered."""
    e = want.extra
    T = want.timesteps
    plastic = image.plastic_synapses
    changed = int(np.count_nonzero(e["w"][-1][plastic] != image.syn_weight[plastic])) if T else 0
    rows = int(np.count_nonzero(image.axon_rule >= 0))
    neurons = int(np.count_nonzero(image.neuron_rule >= 0))
    return (f"learning: {int(plastic.sum())} plastic synapse weights after each of {T} timesteps "
            f"({changed} changed by the end, {int(e['learn_synapses'].sum())} synapse updates), "
            f"{image.n_synapses} weights at the end, x0-x2 of {rows} plastic rows and y0-y3 of {neurons} "
            f"learning neurons after every timestep, learn counters, learn cycles "
            f"({int(e['learn_cycles'].sum())}) and LFSR states -- all exact")
