"""Plain-Python twin of the learning engine (emulator.learning): obvious integer code,
written from docs/learning.md, importing none of the package's learning code."""

from .neuron_ref import synapse_ref

MASK32 = (1 << 32) - 1
PARAMS = ("epoch", "wmin", "wmax", "x1_decay", "x1_impulse", "x2_decay", "x2_impulse", "y1_decay",
          "y1_impulse", "y2_decay", "y2_impulse", "y3_decay", "y3_impulse")
CODES = ("1", "x0", "x1", "x2", "y0", "y1", "y2", "y3", "w", "r", "t")
TAG_MIN, TAG_MAX = -256, 255     # the synaptic tag: a signed 9-bit register that saturates


def lfsr_next_ref(s):
    s ^= (s << 13) & MASK32
    s ^= s >> 17
    s ^= (s << 5) & MASK32
    return s


def lfsr_seed_ref(seed, core):
    return (((seed * 0x9E3779B1) ^ ((core + 1) * 0x85EBCA77)) & MASK32) or 1


def trace_step_ref(x, decay, impulse, spiked, rnd12):
    """floor((x * (4096 - decay) + rnd) / 4096) + impulse * spiked, saturated at 127."""
    return min((x * (4096 - decay) + rnd12) // 4096 + impulse * spiked, 127)


def rule_dw_ref(prog, vals, rnd8):
    """Sum of the program's terms in units of 2^-8, then floor((acc + rnd) / 256)."""
    acc = 0
    for row in prog:
        const, exp, codes = int(row[0]), int(row[1]), [int(c) for c in row[2:]]
        if const == 0:
            continue
        p = const
        for code in codes:
            p *= 1 if code == 0 else vals[CODES[code]]
        acc += p * 2 ** (8 + exp)
    return acc, (acc + rnd8) // 256


class LearningRef:
    """State of every plastic row and learning neuron of an image, stepped by ``phase``."""

    def __init__(self, image, reward=None):
        self.image = image
        words = [synapse_ref(int(x)) for x in image.syn_word]
        self.weights = [w for w, _ in words]
        self.delays = [d for _, d in words]     # the structural twin rewires them
        self.tags = [0] * len(self.weights)
        self.tprog = [[[int(v) for v in row] for row in prog] for prog in image.tag_prog]
        self.rule = [int(r) for r in image.axon_rule]
        self.nrule = [int(r) for r in image.neuron_rule]
        self.prm = [dict(zip(PARAMS, (int(v) for v in row))) for row in image.rule_param]
        self.prog = [[[int(v) for v in row] for row in prog] for prog in image.rule_prog]
        self.x = {a: {"x0": 0, "x1": 0, "x2": 0} for a in range(image.n_axons) if self.rule[a] >= 0}
        self.y = {n: {"y0": 0, "y1": 0, "y2": 0, "y3": 0} for n in range(image.n_neurons) if self.nrule[n] >= 0}
        self.reward = [int(v) for v in reward] if reward is not None else [0] * image.n_neurons
        self.lfsr = [lfsr_seed_ref(image.learn_seed, c) for c in range(image.n_cores)]

    def draw(self, c):
        self.lfsr[c] = lfsr_next_ref(self.lfsr[c])
        return self.lfsr[c]

    def phase(self, t, c, rows_hit, fired, cnt):
        """Learn phase of core ``c`` at step ``t``; ``rows_hit``: rows that got a packet this step,
        ``fired``: neuron ids that spiked this step."""
        im = self.image
        rows = range(int(im.axon_ptr[c]), int(im.axon_ptr[c + 1]))
        neurons = range(int(im.neuron_ptr[c]), int(im.neuron_ptr[c + 1]))
        for a in rows:
            if self.rule[a] < 0:
                continue
            p, x, spk = self.prm[self.rule[a]], self.x[a], int(a in rows_hit)
            x["x0"] |= spk
            for k in ("x1", "x2"):
                rnd = self.draw(c) >> 20 if x[k] else 0
                x[k] = trace_step_ref(x[k], p[k + "_decay"], p[k + "_impulse"], spk, rnd)
            cnt["trace_updates"] += 2
        for n in neurons:
            if self.nrule[n] < 0:
                continue
            p, y, spk = self.prm[self.nrule[n]], self.y[n], int(n in fired)
            y["y0"] |= spk
            for k in ("y1", "y2", "y3"):
                rnd = self.draw(c) >> 20 if y[k] else 0
                y[k] = trace_step_ref(y[k], p[k + "_decay"], p[k + "_impulse"], spk, rnd)
            cnt["trace_updates"] += 3
        epoch = False
        for a in rows:
            r = self.rule[a]
            if r < 0 or (t + 1) % self.prm[r]["epoch"]:
                continue
            epoch = True
            p = self.prm[r]
            has_tag = any(row[0] != 0 for row in self.tprog[r])
            for j in range(int(im.axon_syn_ptr[a]), int(im.axon_syn_ptr[a + 1])):
                n = int(im.neuron_ptr[c]) + int(im.syn_target[j])
                # both programs see the same values: the old weight and the old tag
                vals = {**self.x[a], **self.y[n], "w": self.weights[j], "r": self.reward[n], "t": self.tags[j]}
                acc, _ = rule_dw_ref(self.prog[r], vals, 0)
                rnd = self.draw(c) >> 24 if acc % 256 else 0
                _, dw = rule_dw_ref(self.prog[r], vals, rnd)
                self.weights[j] = max(p["wmin"], min(p["wmax"], self.weights[j] + dw))
                if has_tag:
                    acc, _ = rule_dw_ref(self.tprog[r], vals, 0)
                    rnd = self.draw(c) >> 24 if acc % 256 else 0
                    _, dt = rule_dw_ref(self.tprog[r], vals, rnd)
                    self.tags[j] = max(TAG_MIN, min(TAG_MAX, self.tags[j] + dt))
                cnt["learn_synapses"] += 1
            self.x[a]["x0"] = 0
        for n in neurons:
            if self.nrule[n] >= 0 and (t + 1) % self.prm[self.nrule[n]]["epoch"] == 0:
                self.y[n]["y0"] = 0
        cnt["learn_epochs"] += int(epoch)
