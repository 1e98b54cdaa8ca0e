"""The timestep barrier of the parallel engine: a spin barrier on one atomic counter.

A chip's timestep ends at a barrier (every core has updated before any core sees the
step's spikes). The parallel engine keeps one worker thread per thread group for a
whole chunk of timesteps and meets at this barrier once per timestep, instead of
opening a parallel region per timestep (~1.5 us each: as long as a 4k-neuron step).

Numba has no atomics, so the two operations are LLVM instructions (``intrinsic``):
a sequentially consistent fetch-add, and an acquire load to spin on. The barrier is a
counter that only grows: barrier ``k`` of a chunk (``k = 0, 1, ...``) is passed when the
counter reaches ``threads * (k + 1)``; the counter is zeroed before the chunk starts.
"""
from __future__ import annotations

import platform

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._jit import inline_kernel


def _slot_pointer(context, builder, array_type, array, index):
    ary = context.make_array(array_type)(context, builder, array)
    return cgutils.get_item_pointer(context, builder, array_type, ary, [index], wraparound=False)


@intrinsic
def atomic_add(typingctx, array, index, value):
    """``array[index] += value`` atomically (int64 array); returns the old value."""
    if not (isinstance(array, types.Array) and array.dtype == types.int64):
        return None
    sig = types.int64(array, types.intp, types.int64)

    def codegen(context, builder, signature, args):
        ptr = _slot_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.atomic_rmw("add", ptr, args[2], "seq_cst")
    return sig, codegen


@intrinsic
def atomic_load(typingctx, array, index):
    """``array[index]`` read with acquire ordering (int64 array): writes made before
    another thread's ``atomic_add`` are visible once its result is seen."""
    if not (isinstance(array, types.Array) and array.dtype == types.int64):
        return None
    sig = types.int64(array, types.intp)

    def codegen(context, builder, signature, args):
        ptr = _slot_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.load_atomic(ptr, "acquire", 8)
    return sig, codegen


@intrinsic
def spin_pause(typingctx):
    """The CPU's spin-wait hint (x86 ``pause``): a waiting thread yields its pipeline (nothing elsewhere)."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686"):
            return context.get_dummy_value()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []),
                                            "llvm.x86.sse2.pause")
        builder.call(fn, [])
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def os_yield(typingctx):
    """``sched_yield()``: give the CPU to another runnable thread (libc, resolved at load time)."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []), "sched_yield")
        builder.call(fn, [])
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def prefetch(typingctx, array, index):
    """Hint the CPU to start loading the cache line of ``array[index]`` (``llvm.prefetch``, read,
    high locality): no effect on results, and none on an address outside the array's memory."""
    if not isinstance(array, types.Array):
        return None
    sig = types.void(array, types.intp)

    def codegen(context, builder, signature, args):
        ptr = _slot_pointer(context, builder, signature.args[0], args[0], args[1])
        byte_ptr = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32]),
                                            "llvm.prefetch.p0i8")
        builder.call(fn, [builder.bitcast(ptr, byte_ptr), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()
    return sig, codegen


#: pause instructions a waiting thread spins before it yields its CPU (a few us): a timestep's
#: wait is a few microseconds, but when other processes share the cores the thread being waited
#: for may not be running at all, and spinning would only keep it off the CPU longer
SPINS_BEFORE_YIELD = 128


@inline_kernel
def barrier(counter, threads, k):
    """Barrier ``k`` of the chunk for ``threads`` threads on ``counter[0]``."""
    atomic_add(counter, 0, 1)
    target = threads * (k + 1)
    spins = 0
    while atomic_load(counter, 0) < target:
        spin_pause()
        spins += 1
        if spins == SPINS_BEFORE_YIELD:
            os_yield()
            spins = 0
