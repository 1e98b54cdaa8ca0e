"""Plain-Python twin of structural plasticity (emulator.learning.structural, docs/structural.md):
obvious list code written from the docs, importing none of the package's code."""

MASK32 = (1 << 32) - 1
PERIOD, PRUNE_Q, W_INIT, SCOPE, TGT_FIRST, TGT_SIZE, PRUNE_BELOW, GROUP = range(8)


def lfsr_next_ref(s):
    s ^= (s << 13) & MASK32
    s ^= s >> 17
    s ^= (s << 5) & MASK32
    return s


def structural_seed_ref(seed, core):
    return ((((seed + 0x3C6EF372) * 0x2545F491) ^ ((core + 1) * 0x61C88647)) & MASK32) or 1


class Draws:
    """A core's structural LFSR: ``pick(pool)`` removes and returns pool[(s * len) >> 32],
    moving the pool's last entry into its place."""

    def __init__(self, state):
        self.state = state

    def pick(self, pool):
        self.state = lfsr_next_ref(self.state)
        i = (self.state * len(pool)) >> 32
        chosen = pool[i]
        pool[i] = pool[-1]
        pool.pop()
        return chosen


def weakest_ref(positions, weights, k, below):
    """Of the k positions with the smallest |w| (ties by position, weakest first), those with |w| < below."""
    return [j for j in sorted(positions, key=lambda j: (abs(weights[j]), j))[:k] if abs(weights[j]) < below]


def prune_count_ref(m, prune_q):
    return (m * prune_q + 128) // 256


def rewire_ref(ptr, target, weight, delay, tag, a_lo, a_hi, n_local, prm, draws, targets=None, first_neuron=0):
    """Rewire rows a_lo..a_hi-1 of the lists in place (``tag`` may be an empty list); return the count.
    ``first_neuron``: global id of local neuron 0 (regrowth groups count from prm[TGT_FIRST])."""
    if prm[SCOPE] == 0:
        return _neurons(ptr, target, weight, delay, tag, a_lo, a_hi, n_local, prm, draws, first_neuron)
    t_lo, t_hi = targets if targets is not None else (0, n_local)
    total = 0
    for a in range(a_lo, a_hi):
        slots = list(range(ptr[a], ptr[a + 1]))
        pruned = weakest_ref(slots, weight, prune_count_ref(len(slots), prm[PRUNE_Q]), prm[PRUNE_BELOW])
        k = len(pruned)
        if k == 0:
            continue
        pool = free_pool_ref(range(t_lo, t_hi), [target[j] for j in slots],
                             [target[j] for j in slots if j not in pruned], k)
        for j in pruned:
            target[j] = draws.pick(pool)
            weight[j] = prm[W_INIT]
            if tag:
                tag[j] = 0
        total += k
    return total


def free_pool_ref(candidates, before, after, k):
    """The candidates not connected before the pass; when fewer than k, those not connected after pruning."""
    before, after = set(before), set(after)
    pool = [c for c in candidates if c not in before]
    return pool if len(pool) >= k else [c for c in candidates if c not in after]


def group_of_ref(n, first_neuron, prm):
    """Regrowth group of local neuron n, or None (no groups, or n outside the target population)."""
    rel = first_neuron + n - prm[TGT_FIRST]
    if prm[GROUP] == 0 or not 0 <= rel < prm[TGT_SIZE]:
        return None
    return rel // prm[GROUP]


def _neurons(ptr, target, weight, delay, tag, a_lo, a_hi, n_local, prm, draws, first_neuron):
    row_of = {j: a for a in range(a_lo, a_hi) for j in range(ptr[a], ptr[a + 1])}
    lo, hi = ptr[a_lo], ptr[a_hi]
    removed, grown = set(), []       # grown: (row, target, delay)
    reached = {}                     # group -> rows a neuron of it reaches (before the pass, or grown in it)
    for j in range(lo, hi):
        g = group_of_ref(target[j], first_neuron, prm)
        if g is not None:
            reached.setdefault(g, set()).add(row_of[j])
    for n in range(n_local):
        mine = [j for j in range(lo, hi) if target[j] == n]
        pruned = weakest_ref(mine, weight, prune_count_ref(len(mine), prm[PRUNE_Q]), prm[PRUNE_BELOW])
        k = len(pruned)
        if k == 0:
            continue
        pool = free_pool_ref(range(a_lo, a_hi), [row_of[j] for j in mine],
                             [row_of[j] for j in mine if j not in pruned], k)
        g = group_of_ref(n, first_neuron, prm)
        if g is not None:
            spread = [a for a in pool if a not in reached.get(g, set())]
            if len(spread) >= k:
                pool = spread
        for j in pruned:
            a = draws.pick(pool)
            if g is not None:
                reached.setdefault(g, set()).add(a)
            grown.append((a, n, delay[j]))
            removed.add(j)
    if not grown:
        return 0
    syn = [(row_of[j], target[j], weight[j], delay[j], tag[j] if tag else 0) for j in range(lo, hi) if j not in removed]
    syn += [(a, n, prm[W_INIT], d, 0) for a, n, d in grown]
    syn.sort(key=lambda s: (s[0], s[1]))
    for i, (a, n, w, d, t) in enumerate(syn):
        target[lo + i], weight[lo + i], delay[lo + i] = n, w, d
        if tag:
            tag[lo + i] = t
    for a in range(a_lo + 1, a_hi):
        ptr[a] = ptr[a - 1] + sum(1 for s in syn if s[0] == a - 1)
    return len(grown)


class StructuralRef:
    """The rewiring of a whole image, run by ``after_step(t)`` (t: the step just run): it rewires the
    image's own ``axon_syn_ptr``/``syn_target`` arrays and the learning twin's ``weights``/``delays``/``tags``."""

    def __init__(self, image, weights, delays, tags):
        self.image, self.weights, self.delays, self.tags = image, weights, delays, tags
        self.prm = [[int(v) for v in row] for row in image.rule_struct]
        self.lfsr = [Draws(structural_seed_ref(int(image.learn_seed), c)) for c in range(image.n_cores)]
        self.rewired = [0] * image.n_cores

    def after_step(self, t):
        im = self.image
        for r, prm in enumerate(self.prm):
            if prm[PERIOD] == 0 or (t + 1) % prm[PERIOD]:
                continue
            for c in range(im.n_cores):
                rows = [a for a in range(int(im.axon_ptr[c]), int(im.axon_ptr[c + 1])) if int(im.axon_rule[a]) == r]
                if not rows:
                    continue
                base = int(im.neuron_ptr[c])
                first, end = prm[TGT_FIRST], prm[TGT_FIRST] + prm[TGT_SIZE]
                t_lo = max(first, base) - base
                t_hi = max(t_lo, min(end, int(im.neuron_ptr[c + 1])) - base)
                self.rewired[c] += rewire_ref(im.axon_syn_ptr, im.syn_target, self.weights, self.delays, self.tags,
                                              rows[0], rows[-1] + 1, int(im.neuron_ptr[c + 1]) - base, prm,
                                              self.lfsr[c], (t_lo, t_hi), base)


def structural_twin(image):
    """(a copy of ``image`` whose synapse tables the twin rewires, the ``after_step`` hook of
    ``engine_ref.run_reference``, a dict that holds the StructuralRef once the run starts)."""
    from dataclasses import replace
    im = replace(image, axon_syn_ptr=image.axon_syn_ptr.copy(), syn_target=image.syn_target.copy())
    box = {}

    def after_step(t, plastic):
        if "ref" not in box:
            box["ref"] = StructuralRef(im, plastic.weights, plastic.delays, plastic.tags)
        box["ref"].after_step(t)
    return im, after_step, box
