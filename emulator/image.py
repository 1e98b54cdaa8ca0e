"""ChipImage: the mapped chip as plain integer tables (stage 3 of the build).

This is what both the emulator and the RTL load (``emulator.bridge`` writes
``$readmemh`` files from it), so any difference between them is a real one.
Per-core tables are concatenated in core order with ``*_ptr`` offsets
(struct of arrays, CSR style):

* neurons of core ``c`` are ``neuron_ptr[c] .. neuron_ptr[c+1]-1`` (global ids);
  per-neuron parameters live in ``params`` (a NeuronParams of equal-length arrays)
* input axons (synapse-list rows) of core ``c`` are ``axon_ptr[c] .. axon_ptr[c+1]-1``;
  row ``a`` holds synapses ``axon_syn_ptr[a] .. axon_syn_ptr[a+1]-1``, one weight
  exponent ``axon_exp[a]`` and one dendritic port ``axon_port[a]`` (0 exc, 1 inh)
* a synapse is ``syn_target`` (local neuron index) and ``syn_word``, one 16-bit word of
  synapse memory holding its 9-bit weight mantissa and 6-bit delay (``emulator.fixed.synapse_word``;
  read them unpacked as ``syn_weight`` / ``syn_delay``)
* output axons: neuron ``n`` sends one packet per entry ``out_ptr[n] .. out_ptr[n+1]-1``
  to global axon ``out_axon[k]`` (whose core is the destination); ``out_hops[k]``
  is its XY-route length. Host spike sources use ``host_out_ptr``/``host_out_axon``.
* learning (``emulator.learning``, docs/learning.md): row ``a`` is plastic when
  ``axon_rule[a] >= 0``, an index into the rule programs ``rule_prog`` (encoded by
  ``emulator.learning.rules.Rule.encode``) and their parameters ``rule_param``
  (epoch, weight bounds, trace decays and impulses); ``neuron_rule[n]`` names the rule
  whose post-trace parameters neuron ``n`` uses; ``learn_seed`` seeds the cores' LFSRs;
  ``tag_prog[r]`` is rule r's program for the synaptic tag (eligibility trace), all 0 without one;
  ``rule_struct[r]`` its structural plasticity (``emulator.learning.structural.STRUCT_PARAMS``,
  period 0: none; docs/structural.md)
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .config.types import ChipSpec, CoreLimits, CycleCosts, EnergyPrices
from ._jit import kernel
from .fixed import MAX_DELAY, WEIGHT_MAX, WEIGHT_MIN, synapse_word, word_delay, word_weight


class NeuronParams(NamedTuple):
    """Per-neuron register values (struct of arrays, all int32 except flags)."""
    du: np.ndarray
    du_inh: np.ndarray
    dv: np.ndarray
    vth: np.ndarray          #: threshold mantissa (compared as vth << 6)
    bias: np.ndarray         #: effective bias, mant << exp
    refractory: np.ndarray
    dth: np.ndarray
    th_inc: np.ndarray
    flags: np.ndarray        #: uint8, FLAG_* of emulator.neurons.models
    noise_amp: np.ndarray    #: noise amplitude mant << exp (FLAG_NOISE_U/V)
    dend_th: np.ndarray      #: dendritic threshold mantissa (FLAG_DEND)
    dend_sat: np.ndarray     #: dendritic plateau mantissa (FLAG_DEND)

    @staticmethod
    def empty(n: int) -> "NeuronParams":
        return NeuronParams(**{k: np.zeros(n, np.uint8 if k == "flags" else np.int32)
                               for k in NeuronParams._fields})


def pack_synapses(weight: np.ndarray, delay: np.ndarray) -> np.ndarray:
    """Synapse-memory words (uint16) of weight mantissas and delays: ``(w & 0x1ff) | (d << 9)``.

    Raises ValueError when a weight is outside [WEIGHT_MIN, WEIGHT_MAX] or a delay outside
    0..MAX_DELAY (the fields would overflow into each other)."""
    w, d = np.asarray(weight), np.asarray(delay)
    if w.shape != d.shape or w.ndim != 1:
        raise ValueError(f"weights {w.shape} and delays {d.shape} must be 1-d of one length")
    if w.size and (int(w.min()) < WEIGHT_MIN or int(w.max()) > WEIGHT_MAX):
        raise ValueError(f"synapse weight mantissa outside [{WEIGHT_MIN}, {WEIGHT_MAX}]")
    if d.size and (int(d.min()) < 0 or int(d.max()) > MAX_DELAY):
        raise ValueError(f"synapse delay outside [0, {MAX_DELAY}] timesteps")
    out = np.empty(w.size, np.uint16)
    _pack_words(w, d, out)
    return out


def synapse_weights(words: np.ndarray) -> np.ndarray:
    """Weight mantissas (int16) of synapse words (``emulator.fixed.word_weight``)."""
    out = np.empty(np.size(words), np.int16)
    _unpack_words(np.asarray(words, np.uint16).ravel(), out, True)
    return out


def synapse_delays(words: np.ndarray) -> np.ndarray:
    """Delays in timesteps (uint8) of synapse words (``emulator.fixed.word_delay``)."""
    out = np.empty(np.size(words), np.uint8)
    _unpack_words(np.asarray(words, np.uint16).ravel(), out, False)
    return out


@kernel
def _pack_words(w, d, out):
    for i in range(out.size):       # element by element: no int64 temporaries of a 100 M-synapse image
        out[i] = synapse_word(np.int64(w[i]), np.int64(d[i]))


@kernel
def _unpack_words(words, out, weight):
    for i in range(out.size):
        out[i] = word_weight(np.int64(words[i])) if weight else word_delay(np.int64(words[i]))


@dataclass(frozen=True)
class PopulationMap:
    """Where a population lives: chip neurons (global ids) or host sources (host ids)."""
    name: str
    model: str
    size: int
    first_id: int            #: ids are first_id .. first_id + size - 1
    on_host: bool            #: True for stimulus sources
    cores: tuple[int, ...] = ()
    scale: float = 1.0       #: v counts per physical unit (1.0 for fixed-point populations)


@dataclass(eq=False)
class ChipImage:
    chip: ChipSpec
    dt_ms: float
    core_xy: np.ndarray          #: (n_cores, 2) mesh coordinates of each used core
    neuron_ptr: np.ndarray       #: int64 (n_cores + 1)
    params: NeuronParams
    axon_ptr: np.ndarray         #: int64 (n_cores + 1)
    axon_syn_ptr: np.ndarray     #: int64 (n_axons + 1)
    axon_exp: np.ndarray         #: int8 (n_axons)
    axon_port: np.ndarray        #: uint8 (n_axons)
    syn_target: np.ndarray       #: uint16 (n_synapses), local neuron index in the axon's core
    syn_word: np.ndarray         #: uint16 (n_synapses): weight mantissa | delay << 9 (pack_synapses)
    out_ptr: np.ndarray          #: int64 (n_neurons + 1)
    out_axon: np.ndarray         #: int32 (n_out)
    out_hops: np.ndarray         #: uint16 (n_out)
    host_out_ptr: np.ndarray     #: int64 (n_host + 1)
    host_out_axon: np.ndarray    #: int32
    host_out_hops: np.ndarray    #: uint16
    init_u: np.ndarray = None    #: int32 (n_neurons): initial u register (zeros when None)
    init_v: np.ndarray = None    #: int32 (n_neurons): initial v register
    populations: tuple[PopulationMap, ...] = field(default_factory=tuple)
    axon_rule: np.ndarray = None     #: int16 (n_axons): rule of each plastic row, -1 static (all -1 when None)
    neuron_rule: np.ndarray = None   #: int16 (n_neurons): post-trace rule of each neuron, -1 none
    rule_prog: np.ndarray = None     #: int32 (rules, MAX_TERMS, TERM_WORDS): encoded rule programs
    rule_param: np.ndarray = None    #: int32 (rules, len(RULE_PARAMS))
    rule_names: tuple[str, ...] = () #: the text of each rule, for reports
    learn_seed: int = 1              #: seed of the per-core learning LFSRs
    tag_prog: np.ndarray = None      #: int32 (rules, MAX_TERMS, TERM_WORDS): tag programs ``dt = ...``, all 0: none
    rule_struct: np.ndarray = None   #: int64 (rules, len(STRUCT_PARAMS)): structural plasticity, period 0: none

    # ------------------------------------------------------------------ sizes
    @property
    def n_cores(self) -> int:
        return int(self.neuron_ptr.size - 1)

    @property
    def n_neurons(self) -> int:
        return int(self.neuron_ptr[-1])

    @property
    def n_axons(self) -> int:
        return int(self.axon_ptr[-1])

    @property
    def n_synapses(self) -> int:
        return int(self.syn_target.size)

    @property
    def n_host(self) -> int:
        return int(self.host_out_ptr.size - 1)

    @property
    def max_delay(self) -> int:
        return int(word_delay(self.syn_word.max())) if self.syn_word.size else 0   # delay: the top bits

    @property
    def syn_weight(self) -> np.ndarray:
        """Weight mantissa of every synapse as mapped, unpacked from ``syn_word`` (a new int16 array)."""
        return synapse_weights(self.syn_word)

    @property
    def syn_delay(self) -> np.ndarray:
        """Delay of every synapse in timesteps, unpacked from ``syn_word`` (a new uint8 array)."""
        return synapse_delays(self.syn_word)

    @property
    def axon_core(self) -> np.ndarray:
        """Core of every input axon (int32)."""
        return np.repeat(np.arange(self.n_cores, dtype=np.int32), np.diff(self.axon_ptr))

    def population(self, name: str) -> PopulationMap:
        for p in self.populations:
            if p.name == name:
                return p
        raise KeyError(f"no population {name!r} in this image")

    # ------------------------------------------------------------------ serialization
    _ARRAYS = ("core_xy", "neuron_ptr", "axon_ptr", "axon_syn_ptr", "axon_exp", "axon_port", "syn_target",
               "syn_word", "out_ptr", "out_axon", "out_hops", "host_out_ptr", "host_out_axon",
               "host_out_hops", "init_u", "init_v", "axon_rule", "neuron_rule", "rule_prog", "rule_param",
               "tag_prog", "rule_struct")

    def __post_init__(self):
        from .learning.kernels import RULE_PARAMS
        from .learning.rules import MAX_TERMS, TERM_WORDS
        from .learning.structural import STRUCT_PARAMS
        for name in ("init_u", "init_v"):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(self.n_neurons, np.int32))
        defaults = {"axon_rule": lambda: np.full(self.n_axons, -1, np.int16),
                    "neuron_rule": lambda: np.full(self.n_neurons, -1, np.int16),
                    "rule_prog": lambda: np.zeros((0, MAX_TERMS, TERM_WORDS), np.int32),
                    "rule_param": lambda: np.zeros((0, len(RULE_PARAMS)), np.int32),
                    "tag_prog": lambda: np.zeros_like(self.rule_prog),
                    "rule_struct": lambda: np.zeros((self.rule_prog.shape[0], len(STRUCT_PARAMS)), np.int64)}
        for name, make in defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, make())

    @property
    def n_rules(self) -> int:
        return int(self.rule_prog.shape[0])

    @property
    def plastic_synapses(self) -> np.ndarray:
        """Bool mask (n_synapses): synapses whose row is plastic."""
        return np.repeat(self.axon_rule >= 0, np.diff(self.axon_syn_ptr))

    def save(self, path: str | os.PathLike) -> None:
        """Write the image to one ``.npz`` (atomically: temp file, then rename)."""
        arrays = {k: getattr(self, k) for k in self._ARRAYS}
        arrays.update({"param_" + k: v for k, v in self.params._asdict().items()})
        meta = {"format": "neuroemu-chipimage", "version": 1, "dt_ms": self.dt_ms,
                "chip": asdict(self.chip), "populations": [asdict(p) for p in self.populations],
                "rule_names": list(self.rule_names), "learn_seed": self.learn_seed}
        arrays["meta_json"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        atomic_write(path, lambda f: np.savez_compressed(f, **arrays))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ChipImage":
        with np.load(path) as z:
            meta = json.loads(bytes(z["meta_json"]).decode())
            if meta.get("format") != "neuroemu-chipimage":
                raise ValueError(f"{path} is not a neuroemu ChipImage")
            arrays = {k: z[k] for k in cls._ARRAYS if k in z.files}   # images older than learning lack some
            if "syn_word" not in z.files:     # images before the packed synapse word
                arrays["syn_word"] = pack_synapses(z["syn_weight"], z["syn_delay"])
            n = z["param_flags"].size    # images older than issue #8 lack the noise/dendrite registers
            params = NeuronParams(**{k: z["param_" + k] if "param_" + k in z.files else np.zeros(n, np.int32)
                                     for k in NeuronParams._fields})
        c = meta["chip"]
        chip = ChipSpec(**{**c, "limits": CoreLimits(**c["limits"]), "cycles": CycleCosts(**c["cycles"]),
                           "energy": EnergyPrices(**c["energy"])})
        pops = tuple(PopulationMap(**{**p, "cores": tuple(p["cores"])}) for p in meta["populations"])
        return cls(chip=chip, dt_ms=meta["dt_ms"], params=params, populations=pops,
                   rule_names=tuple(meta.get("rule_names", ())), learn_seed=int(meta.get("learn_seed", 1)), **arrays)


def atomic_write(path: str | os.PathLike, write) -> None:
    """Call ``write(fileobj)`` on a temp file beside ``path``, fsync, then rename over ``path``.

    A crash leaves either the old file or the new one, never a torn one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
