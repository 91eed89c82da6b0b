"""Run independent tasks in process, on local worker processes, or on a Dask cluster.

A *task* is one replica of ``ssr simulate`` or one point of ``ssr phase``: it carries its own
seed (``default_rng([seed, k])``), never a per-worker one, and results are collected in task
order, so the three ways of running give the same numbers bit for bit (at the same BLAS thread
count: Dask's worker processes run with ``OPENBLAS_NUM_THREADS=1``, see :data:`WORKER_ENV`).

- no ``scheduler`` and no ``workers``: a plain loop in this process (no Dask import);
- ``workers=N``: a :class:`distributed.LocalCluster` of ``N`` processes on 127.0.0.1;
- ``scheduler="tcp://HOST:8786"``: an existing ``dask scheduler`` with its ``dask worker`` s
  (an unreachable address is a :class:`BadParameter` naming ``scheduler`` after
  :data:`CONNECT_TIMEOUT` seconds).

Dask is imported only when a cluster is used.

>>> Executor().map(pow, [(2, 3), (3, 2)], star=True)
[8, 9]
>>> map_tasks(abs, [-1, 2, -3])
[1, 2, 3]
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Callable, Iterable

from numerics.model import BadParameter

__all__ = ["CONNECT_TIMEOUT", "WORKER_ENV", "Executor", "environment", "map_tasks"]

#: Seconds to wait for a ``--scheduler`` before giving up.
CONNECT_TIMEOUT = 5
#: Environment of local worker processes: one BLAS thread each (the processes are the parallelism).
WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_WORKERS_MAX = 256


@contextlib.contextmanager
def environment(updates: dict):
    """``os.environ`` with ``updates`` inside the block, restored after it (unset keys unset again)."""
    saved = {key: os.environ.get(key) for key in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Executor:
    """A context manager that maps a function over tasks, in task order.

    ``Executor(scheduler=None, workers=None)``; inside ``with``, :meth:`map` may be called several
    times on the same cluster (``ssr phase`` maps the thresholds, then the overlaps).
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None):
        if scheduler is not None and workers is not None:
            raise BadParameter("workers", "give either --scheduler ADDRESS or --workers N, not both")
        if scheduler is not None and not str(scheduler).strip():
            raise BadParameter("scheduler", "expected an address such as tcp://127.0.0.1:8786, got an empty value")
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                    or not 1 <= workers <= _WORKERS_MAX):
            raise BadParameter("workers", f"expected an integer in [1, {_WORKERS_MAX}], got {workers!r}")
        self.scheduler = scheduler
        self.workers = workers
        self._client = None
        self._cluster = None

    @property
    def local(self) -> bool:
        """``True`` when the tasks run in this process (neither a scheduler nor workers)."""
        return self.scheduler is None and self.workers is None

    def __enter__(self) -> "Executor":
        if self.local:
            return self
        try:
            self._connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def _connect(self) -> None:
        from distributed import Client, LocalCluster

        quiet = logging.CRITICAL  # a task that fails is reported once, by the caller
        if self.workers is not None:
            with environment(WORKER_ENV):  # inherited by the spawned worker processes
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address=":0",
                                             silence_logs=quiet, env=dict(WORKER_ENV))
            self._client = Client(self._cluster, set_as_default=False)
            return
        address = _checked_address(str(self.scheduler).strip())
        logger = logging.getLogger("distributed")
        level = logger.level
        logger.setLevel(logging.CRITICAL)  # a refused connection is reported in one line, below
        client = Client.__new__(Client)  # keep a reference: a failed constructor leaves a client to close
        try:
            client.__init__(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except Exception as err:  # OSError, TimeoutError, a peer that does not speak Dask
            _discard(client)
            raise _unreachable(address, err) from None
        finally:
            logger.setLevel(level)
        self._client = client

    def close(self) -> None:
        """Disconnect from the scheduler; stop the local cluster if this executor started it."""
        for resource in (self._client, self._cluster):
            if resource is not None:
                try:
                    resource.close()
                except Exception:  # closing a cluster that is already down
                    pass
        self._client = self._cluster = None

    def map(self, function: Callable, tasks: Iterable, progress: Callable[[int, int], object] | None = None,
            *, star: bool = False) -> list:
        """``[function(task) for task in tasks]`` (``function(*task)`` with ``star``), in task order.

        ``progress(done, total)`` is called after each finished task (in completion order on a
        cluster). An exception raised by a task is raised here.
        """
        tasks = list(tasks)
        total = len(tasks)
        call = _Star(function) if star else function
        if self._client is None:
            if not self.local:
                raise RuntimeError("Executor.map on a cluster must be called inside `with Executor(...)`")
            results = []
            for done, task in enumerate(tasks, 1):
                results.append(call(task))
                if progress is not None:
                    progress(done, total)
            return results
        from distributed import as_completed

        futures = self._client.map(call, tasks, pure=False)
        try:
            for done, future in enumerate(as_completed(futures, loop=self._client.loop), 1):
                if future.status == "error":
                    break
                if progress is not None:
                    progress(done, total)
            return self._client.gather(futures)
        finally:
            self._client.cancel(futures)


    def as_completed(self, function: Callable, tasks: Iterable):
        """Yield ``(index, function(task))`` as each task finishes (task order in this process).

        For writers that record each result as it comes (``ssr sweep``); an exception raised by
        a task is raised here, and the tasks still pending are cancelled.
        """
        tasks = list(tasks)
        if self._client is None:
            if not self.local:
                raise RuntimeError("Executor.as_completed on a cluster must be called inside `with Executor(...)`")
            for index, task in enumerate(tasks):
                yield index, function(task)
            return
        from distributed import as_completed

        futures = self._client.map(function, tasks, pure=False)
        index_of = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in as_completed(futures, loop=self._client.loop):
                yield index_of[future.key], future.result()
        finally:
            self._client.cancel(futures)


def _checked_address(address: str) -> str:
    """``address`` if it is a well-formed scheduler address that accepts a TCP connection.

    Checked before a :class:`distributed.Client` is made, so a malformed or refused address is one
    line (and a quick one) rather than a client that times out and complains while it is collected.
    """
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as err:
        raise BadParameter("scheduler", f"expected an address such as tcp://127.0.0.1:8786, got "
                                        f"{address!r} ({err})") from None
    if scheme in ("tcp", "tls"):
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
        except (OSError, OverflowError, ValueError, UnicodeError) as err:
            raise _unreachable(address, err) from None
    return address


def _discard(client) -> None:
    """Close a client whose connection failed, quickly, so that its ``__del__`` has nothing to do."""
    try:
        client.close(timeout=1)
    except Exception:  # the connection never came up
        pass
    client.status = "closed"
    runner = getattr(client, "_loop_runner", None)
    if runner is not None:
        try:
            runner.stop()
        except Exception:  # the loop was never started
            pass


def _unreachable(address: str, err: BaseException) -> BadParameter:
    reason = " ".join(str(err).split()) or type(err).__name__
    if len(reason) > 160:
        reason = reason[:157] + "..."
    return BadParameter("scheduler", f"cannot connect to {address!r} within {CONNECT_TIMEOUT} s ({reason}); "
                                     f"start one with `dask scheduler` and `dask worker ADDRESS`")


class _Star:
    """``function(*task)``, picklable (a module-level class, not a lambda)."""

    def __init__(self, function: Callable):
        self.function = function

    def __call__(self, task):
        return self.function(*task)


def map_tasks(function: Callable, tasks: Iterable, *, scheduler: str | None = None,
              workers: int | None = None, progress: Callable[[int, int], object] | None = None) -> list:
    """``[function(task) for task in tasks]`` in task order, on the chosen executor (:class:`Executor`)."""
    with Executor(scheduler, workers) as executor:
        return executor.map(function, tasks, progress)
