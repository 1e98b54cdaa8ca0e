"""ChipImage -> ``$readmemh`` memory files and RTL parameters of ``rtl_models/chip_top.v``.

The RTL loads exactly the integer tables the emulator runs (``emulator.image.ChipImage``),
repacked per core into the words below. Field layouts are named constants here and
``localparam``s of ``rtl_models/core.v`` with the same names; docs/verification.md lists them.

Files of core ``c`` in a program folder (one hex word per line, LSB = field 0):

============== ====================================================================================
``core{c}_cfg``    4 words of 16 bits: neurons, input axons, synapses, output axons in use
                   (the other files hold exactly that many words, at least one)
``core{c}_nparam`` per neuron: du[12] du_inh[12] dv[12] vth[17] bias_mant[13] bias_exp[3]
                   refractory[6] dth[12] th_inc[17] flags[3]                       (107 bits)
``core{c}_nstate`` per neuron: u[24] u_inh[24] v[24] th[24] ref[6] spiked[1]      (103 bits)
``core{c}_axon``   per input axon (synapse row): syn_start[16] syn_end[16] exp[4] port[1]  (37 bits)
``core{c}_syn``    per synapse: target[10] weight[9] delay[6]                      (25 bits)
``core{c}_outptr`` per neuron: out_start[16] out_end[16]                          (32 bits)
``core{c}_out``    per output axon (packet): dst_axon[16] dst_core[8]             (24 bits)
============== ====================================================================================

Row and synapse indices are local to the core; a packet names the destination core and its
local input axon. Host spike sources are not in the RTL: the cocotb driver turns a host
spike into the packets of its ``host_out`` entries (``host_packets``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from .. import fixed as fx
from ..errors import NeuroemuError
from ..image import ChipImage, synapse_delays, synapse_weights
from ..neurons.models import FLAG_ADAPT, FLAG_DEND, FLAG_DUAL, FLAG_NOISE_U, FLAG_NOISE_V


class BridgeError(NeuroemuError):
    """The image does not fit the RTL build (names the core, the table, the limit and the numbers)."""


# ------------------------------------------------------------------ word layouts: (name, bits), LSB first
NPARAM_FIELDS = (("du", fx.DECAY_BITS), ("du_inh", fx.DECAY_BITS), ("dv", fx.DECAY_BITS),
                 ("vth", fx.VTH_MANT_BITS), ("bias_mant", fx.BIAS_MANT_BITS), ("bias_exp", fx.BIAS_EXP_BITS),
                 ("refractory", fx.REFRACT_BITS), ("dth", fx.DECAY_BITS), ("th_inc", fx.VTH_MANT_BITS),
                 ("flags", 3))
NSTATE_FIELDS = (("u", fx.U_BITS), ("u_inh", fx.U_BITS), ("v", fx.V_BITS), ("th", fx.TH_BITS),
                 ("ref", fx.REFRACT_BITS), ("spiked", 1))
AXON_FIELDS = (("syn_start", 16), ("syn_end", 16), ("exp", 4), ("port", 1))
SYN_FIELDS = (("target", 10), ("weight", fx.WEIGHT_BITS), ("delay", fx.DELAY_BITS))
OUTPTR_FIELDS = (("out_start", 16), ("out_end", 16))
OUT_FIELDS = (("dst_axon", 16), ("dst_core", 8))
CFG_FIELDS = (("count", 16),)          #: one count per word: neurons, axons, synapses, outputs
FILES = ("cfg", "nparam", "nstate", "axon", "syn", "outptr", "out")

# debug port (dbg_sel) of every core, and the counters it shows (sel COUNTERS, addr = index)
DBG_STATE, DBG_COUNTERS = 0, 1
RTL_COUNTERS = ("deliver_cycles", "update_cycles", "axon_events", "synops", "neuron_updates", "spikes",
                "packets", "fifo_overflow")


def width(fields) -> int:
    return sum(b for _, b in fields)


def pack(fields, **values) -> np.ndarray:
    """Pack equal-length integer arrays into words (Python ints, object dtype); signed values wrap."""
    out = None
    shift = 0
    for name, bits in fields:
        v = np.asarray(values.get(name, 0), dtype=np.int64)
        part = (v & ((1 << bits) - 1)).astype(object) << shift
        out = part if out is None else out + part
        shift += bits
    return np.atleast_1d(out)


def unpack(fields, word: int) -> dict:
    """Fields of one word (unsigned); the caller sign-extends what is signed."""
    out, shift = {}, 0
    for name, bits in fields:
        out[name] = (int(word) >> shift) & ((1 << bits) - 1)
        shift += bits
    return out


def split_bias(bias: int) -> tuple[int, int]:
    """Effective bias ``mant << exp`` -> (13-bit mantissa, 3-bit exponent), the smallest exact exponent."""
    lo, hi = fx.signed_range(fx.BIAS_MANT_BITS)
    for exp in range(1 << fx.BIAS_EXP_BITS):
        mant = int(bias) >> exp
        if mant << exp == int(bias) and lo <= mant <= hi:
            return mant, exp
    raise BridgeError(f"bias {bias} is not a 13-bit mantissa shifted by 0..7")


# ------------------------------------------------------------------ the RTL build
@dataclass(frozen=True)
class RtlChip:
    """Parameters of one build of ``rtl_models/chip_top.v`` (each is a Verilog parameter of that name)."""
    NCORES: int = 4          #: cores in the top (NOC = 1: one per router, placed at the image's core_xy)
    NEURON_AW: int = 6       #: neuron address bits: 64 neurons per core
    AXON_AW: int = 9         #: input-axon (synapse row) address bits
    SYN_AW: int = 12         #: synapse address bits
    OUT_AW: int = 10         #: output-axon (packet table) address bits
    RING_BITS: int = 4       #: dendritic ring slots = 2^RING_BITS (delays up to 2^RING_BITS - 1)
    FIFO_AW: int = 10        #: input-axon event FIFO depth bits
    C_AXON_EVENT: int = 4    #: cycles per input-axon event (chip YAML cycles.axon_event)
    C_SYNOP: int = 1         #: cycles per synaptic op (cycles.synop)
    C_NEURON_UPDATE: int = 2  #: cycles per neuron update (cycles.neuron_update)
    C_SPIKE_OUT: int = 2     #: cycles per packet sent (cycles.spike_out)
    BARRIER: int = 32        #: end-of-timestep barrier cycles (cycles.barrier)
    HAS_ADAPT: int = 1       #: adaptive-threshold hardware present
    HAS_DUAL: int = 1        #: separate inhibitory current present
    NOC: int = 0             #: network: 0 fixed latency (router mode fast), 1 the XY-router mesh (mode cycle)
    MESH_W: int = 2          #: NOC = 1: routers per row (MESH_W * MESH_H = NCORES; core positions must fit)
    MESH_H: int = 2          #: NOC = 1: rows of routers
    NOC_DEPTH: int = 4       #: NOC = 1: router input FIFO depth (chip.router.fifo_depth)
    NOC_LATENCY: int = 2     #: NOC = 1: cycles per hop (chip.router.hop_latency)
    HOST_AW: int = 10        #: NOC = 1: host queue of 2^HOST_AW packets per timestep
    HAS_LEARN: int = 1       #: a learning unit in every core (rtl_models/learning_unit.v)
    RULE_AW: int = 3         #: learning rules per core = 2^RULE_AW
    C_TRACE_UPDATE: int = 1  #: cycles per trace register update (cycles.trace_update)
    C_LEARN_SYNAPSE: int = 2  #: cycles per plastic synapse update (cycles.learn_synapse)
    C_LEARN_EPOCH: int = 16  #: cycles per learning epoch of a core (cycles.learn_epoch)

    @classmethod
    def for_image(cls, image: ChipImage, **overrides) -> "RtlChip":
        """The default build with the cycle costs of the image's chip YAML."""
        c = image.chip.cycles
        return replace(cls(), C_AXON_EVENT=c.axon_event, C_SYNOP=c.synop, C_NEURON_UPDATE=c.neuron_update,
                       C_SPIKE_OUT=c.spike_out, BARRIER=c.barrier, C_TRACE_UPDATE=c.trace_update,
                       C_LEARN_SYNAPSE=c.learn_synapse, C_LEARN_EPOCH=c.learn_epoch,
                       **{**_noc_parameters(image), **overrides})

    def parameters(self) -> dict:
        return asdict(self)

    def check(self, image: ChipImage) -> None:
        """Raise BridgeError unless ``image`` fits this build exactly (no silent truncation)."""
        from .learning import check as check_learning      # plastic images: the learning unit's limits
        check_learning(image, self)
        if image.rule_struct is not None and image.rule_struct.size and bool(np.any(image.rule_struct[:, 0] > 0)):
            raise BridgeError("the image uses structural plasticity (plasticity.structural), which the RTL does not "
                              "implement (docs/structural.md): verify a configuration without it")
        if image.n_cores > self.NCORES:
            raise BridgeError(f"the image uses {image.n_cores} cores; the RTL top has NCORES = {self.NCORES}")
        from .noc import check as check_noc                # the network: mode, router settings, placement
        check_noc(image, self)
        c = image.chip.cycles
        for name, want in (("C_AXON_EVENT", c.axon_event), ("C_SYNOP", c.synop),
                           ("C_NEURON_UPDATE", c.neuron_update), ("C_SPIKE_OUT", c.spike_out),
                           ("BARRIER", c.barrier)):
            if getattr(self, name) != want:
                raise BridgeError(f"RTL parameter {name} = {getattr(self, name)} but the chip YAML says {want}")
        if image.max_delay >= (1 << self.RING_BITS):
            raise BridgeError(f"max delay {image.max_delay} needs a ring of more than 2^RING_BITS = "
                              f"{1 << self.RING_BITS} slots")
        flags = int(np.bitwise_or.reduce(image.params.flags)) if image.n_neurons else 0
        if flags & FLAG_ADAPT and not self.HAS_ADAPT:
            raise BridgeError("the image has alif neurons but the RTL is built with HAS_ADAPT = 0")
        if flags & FLAG_DUAL and not self.HAS_DUAL:
            raise BridgeError("the image has a separate inhibitory current but the RTL has HAS_DUAL = 0")
        research = {FLAG_NOISE_U: "noise on u", FLAG_NOISE_V: "noise on v",
                    FLAG_DEND: "two-compartment (lif2c) neurons"}
        unsupported = [what for flag, what in research.items() if flags & flag]
        if unsupported:
            pops = sorted({p.name for p in image.populations if not p.on_host and np.any(
                image.params.flags[p.first_id:p.first_id + p.size] & (FLAG_NOISE_U | FLAG_NOISE_V | FLAG_DEND))})
            raise BridgeError(f"population(s) {', '.join(pops)} use {' and '.join(unsupported)}, which the RTL "
                              "neuron unit does not implement (docs/neurons.md): verify a configuration "
                              "without them")
        axon_core = image.axon_core
        for k in range(image.n_cores):
            sizes = core_sizes(image, k)
            for table, n, bits, name in (("neurons", sizes["neurons"], self.NEURON_AW, "NEURON_AW"),
                                         ("input axons", sizes["axons"], self.AXON_AW, "AXON_AW"),
                                         ("synapses", sizes["synapses"], self.SYN_AW, "SYN_AW"),
                                         ("output axons", sizes["outs"], self.OUT_AW, "OUT_AW")):
                if n > (1 << bits):
                    raise BridgeError(f"core {k}: {n} {table} exceed 2^{name} = {1 << bits}")
            # worst case of one deliver phase: every packet that can reach the core in one step
            inbound = int(np.count_nonzero(axon_core[image.out_axon] == k)
                          + np.count_nonzero(axon_core[image.host_out_axon] == k))
            if inbound > (1 << self.FIFO_AW):
                raise BridgeError(f"core {k}: up to {inbound} input-axon events per step exceed the FIFO "
                                  f"(2^FIFO_AW = {1 << self.FIFO_AW})")


def _noc_parameters(image: ChipImage) -> dict:
    """The network parameters for the image's router mode (cycle: the XY-router mesh)."""
    from .noc import rtl_parameters
    return rtl_parameters(image)


def core_sizes(image: ChipImage, k: int) -> dict:
    n0, n1 = int(image.neuron_ptr[k]), int(image.neuron_ptr[k + 1])
    a0, a1 = int(image.axon_ptr[k]), int(image.axon_ptr[k + 1])
    return {"neurons": n1 - n0, "axons": a1 - a0,
            "synapses": int(image.axon_syn_ptr[a1] - image.axon_syn_ptr[a0]),
            "outs": int(image.out_ptr[n1] - image.out_ptr[n0])}


# ------------------------------------------------------------------ tables per core
def core_tables(image: ChipImage, k: int) -> dict[str, np.ndarray]:
    """The packed words of every memory of core ``k`` (file name -> words)."""
    n0, n1 = int(image.neuron_ptr[k]), int(image.neuron_ptr[k + 1])
    a0, a1 = int(image.axon_ptr[k]), int(image.axon_ptr[k + 1])
    s0, s1 = int(image.axon_syn_ptr[a0]), int(image.axon_syn_ptr[a1])
    o0, o1 = int(image.out_ptr[n0]), int(image.out_ptr[n1])
    p = image.params
    sl = slice(n0, n1)
    mant_exp = [split_bias(b) for b in p.bias[sl]]
    nparam = pack(NPARAM_FIELDS, du=p.du[sl], du_inh=p.du_inh[sl], dv=p.dv[sl], vth=p.vth[sl],
                  bias_mant=[m for m, _ in mant_exp], bias_exp=[e for _, e in mant_exp],
                  refractory=p.refractory[sl], dth=p.dth[sl], th_inc=p.th_inc[sl], flags=p.flags[sl])
    nstate = pack(NSTATE_FIELDS, u=image.init_u[sl], v=image.init_v[sl])
    axon = pack(AXON_FIELDS, syn_start=image.axon_syn_ptr[a0:a1] - s0, syn_end=image.axon_syn_ptr[a0 + 1:a1 + 1] - s0,
                exp=image.axon_exp[a0:a1], port=image.axon_port[a0:a1])
    words = image.syn_word[s0:s1]
    syn = pack(SYN_FIELDS, target=image.syn_target[s0:s1], weight=synapse_weights(words), delay=synapse_delays(words))
    outptr = pack(OUTPTR_FIELDS, out_start=image.out_ptr[n0:n1] - o0, out_end=image.out_ptr[n0 + 1:n1 + 1] - o0)
    dst = image.out_axon[o0:o1]
    dst_core = image.axon_core[dst] if dst.size else np.zeros(0, np.int64)
    out = pack(OUT_FIELDS, dst_axon=dst - image.axon_ptr[dst_core], dst_core=dst_core)
    cfg = pack(CFG_FIELDS, count=[n1 - n0, a1 - a0, s1 - s0, o1 - o0])
    return {"cfg": cfg, "nparam": nparam, "nstate": nstate, "axon": axon, "syn": syn, "outptr": outptr,
            "out": out}


def _write_words(path: Path, words, bits: int) -> None:
    digits = (bits + 3) // 4
    words = list(words) or [0]          # an empty table still gets one word: $readmemh warns on empty files
    path.write_text("".join(f"{int(w):0{digits}x}\n" for w in words))


_WIDTHS = {"cfg": width(CFG_FIELDS), "nparam": width(NPARAM_FIELDS), "nstate": width(NSTATE_FIELDS),
           "axon": width(AXON_FIELDS), "syn": width(SYN_FIELDS), "outptr": width(OUTPTR_FIELDS),
           "out": width(OUT_FIELDS)}


def write_program(image: ChipImage, folder: str | Path, rtl: RtlChip) -> Path:
    """Check ``image`` against ``rtl`` and write every core's memory files into ``folder``.

    Cores of the top that the image does not use get zero counts (they stay idle).
    """
    rtl.check(image)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(rtl.NCORES):
        tables = core_tables(image, k) if k < image.n_cores else {"cfg": pack(CFG_FIELDS, count=[0, 0, 0, 0])}
        for name in FILES:
            _write_words(folder / f"core{k}_{name}.mem", tables.get(name, []), _WIDTHS[name])
    from .learning import write_learning                    # the learning unit's tables (learning.py)
    write_learning(image, folder, rtl)
    if rtl.NOC:
        from .noc import write_placement                    # the router of each core (noc.py)
        write_placement(image, folder, rtl)
    return folder


def host_packets(image: ChipImage, host_ids) -> list[tuple[int, int]]:
    """(core, local axon) packets of the host spikes ``host_ids``, in the emulator's delivery order."""
    axon_core = image.axon_core
    out = []
    for h in host_ids:
        for e in range(int(image.host_out_ptr[h]), int(image.host_out_ptr[h + 1])):
            a = int(image.host_out_axon[e])
            c = int(axon_core[a])
            out.append((c, a - int(image.axon_ptr[c])))
    return out
