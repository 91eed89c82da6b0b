"""BLAS threads chosen by the size of the work: one thread for small matrices, BLAS's own choice above.

Matrices of a few hundred rows gain nothing from a second BLAS thread, and on a shared machine
they lose a lot: OpenBLAS's threads wait for each other at every call, and a thread that the
kernel has descheduled stalls them all (``ssr simulate gen-error --d 400 --seeds 8`` took 10–22 s
with two threads on a busy 2-core machine against 1.3–1.8 s with one). :func:`blas_threads`
limits BLAS to one thread below :data:`CROSSOVER` and leaves the thread count alone from it on
(all cores, or whatever ``OPENBLAS_NUM_THREADS`` asks for: a limit from the environment is never
raised). ``python benchmarks/busy.py --crossover`` measures the crossover on this machine.

Bit for bit: below the crossover the values are those of a run with ``OPENBLAS_NUM_THREADS=1``
(the same serial kernels); above it they are whatever the BLAS gives at its thread count, as
before (OpenBLAS's threaded Cholesky rounds differently from its serial one).

The limit goes through ``threadpoolctl`` (a dependency; without it every context here is a no-op),
which only sees the libraries already loaded: NumPy's and SciPy's OpenBLAS (two copies in the
wheels) are loaded before its controller is made, once.

>>> with blas_threads(10):
...     pass
"""
from __future__ import annotations

import contextlib

__all__ = ["CROSSOVER", "blas_threads", "one_thread"]

#: Matrix dimension from which BLAS keeps its own thread count (below it: one thread). Measured by
#: ``python benchmarks/busy.py --crossover`` (``benchmarks/results/busy.txt``; one ``gen-error``
#: replica, γ = 1/2, time on 1 thread / time on 2): on this shared 2-core machine at load 4–8 the
#: second thread lost at every d up to 1600 (ratios 0.01–0.53, up to 50× slower); at d = 3200 it
#: gave 0.83, 1.08 and 0.15 in three runs. No low-load window came to measure what it gains on an
#: idle machine; from 3200 on it is left to BLAS (the size where threads have their best chance).
CROSSOVER = 3200

_controller = None


def _get_controller():
    """The ``threadpoolctl`` controller of the loaded BLAS libraries (``None`` without threadpoolctl)."""
    global _controller
    if _controller is None:
        import numpy  # noqa: F401  (NumPy's OpenBLAS)
        import scipy.linalg  # noqa: F401  (SciPy's own OpenBLAS)

        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controller = False
        else:
            _controller = ThreadpoolController()
    return _controller or None


def one_thread():
    """A context limiting every loaded BLAS to one thread (restored after it)."""
    controller = _get_controller()
    if controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")


def blas_threads(d: int):
    """A context for dense linear algebra on ``d``-dimensional matrices: one BLAS thread when
    ``d < CROSSOVER``, else the thread count is left as it is."""
    return one_thread() if d < CROSSOVER else contextlib.nullcontext()
