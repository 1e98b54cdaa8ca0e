"""The one place where Numba JIT options are chosen.

Bit-exact code never uses ``fastmath``: integer kernels must compile to the
same wrapping/shift semantics as the plain-Python twins in ``tests/reference``.
``cache=True`` makes a warm start reach the first timestep without recompiling.
"""
from __future__ import annotations

import numba

JIT_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")

#: decorator for private kernels: ``@kernel`` on a function of arrays and ints
kernel = numba.njit(**JIT_OPTIONS)

#: decorator for kernels parallel over cores (``numba.prange``)
parallel_kernel = numba.njit(parallel=True, **JIT_OPTIONS)
