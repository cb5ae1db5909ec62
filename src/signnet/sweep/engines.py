"""Where a sweep's groups run: ``local`` (this machine, processes) or ``ray`` (a Ray cluster).

Both engines execute the same groups (:meth:`signnet.sweep.spec.Spec.groups`)
with the same function, :func:`signnet.sweep.run.run_group`, and yield each
group's rows as soon as the group finishes; the driver alone writes the table.
A group's rows do not depend on the engine, the number of workers or the order
of completion, so a sweep on Ray and a local sweep give the same table up to
row order and the volatile columns (timings, host).

* ``local``: ``workers == 1`` runs the groups one after another in this process;
  ``workers > 1`` uses a :class:`concurrent.futures.ProcessPoolExecutor` with
  that many ``spawn``-started processes; when the sweep stops before every group
  is done (an error, Ctrl-C, SIGTERM in ``signnet sweep``), the groups not started
  are cancelled and the workers terminated, so none outlives it.
* ``ray``: ``ray.init(address=ADDR)`` joins a running cluster (every node needs
  signnet installed, the same version); without an address a local Ray with
  ``num_cpus=workers`` is started for the sweep and shut down after it. One task
  per group, one CPU each. Ray is an optional extra: ``pip install signnet[ray]``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator

from signnet.errors import SignnetError
from signnet.sweep.run import run_group
from signnet.sweep.spec import RunConfig

ENGINES = ("local", "ray")


def require_ray():
    """Import Ray, or raise a one-line error telling how to install it."""
    try:
        import ray
    except ImportError:
        raise SignnetError("--engine ray needs Ray, which is not installed; run `pip install signnet[ray]` "
                           "or use --engine local.") from None
    return ray


def run_local(groups: list[list[RunConfig]], *, workers: int = 1, device: str = "cpu") -> Iterator[list[dict]]:
    """Yield the rows of each group as it finishes, on this machine (see the module docstring)."""
    if workers == 1 or len(groups) <= 1:
        for group in groups:
            yield run_group(group, device)
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    finished = False
    try:
        pending = {pool.submit(run_group, group, device) for group in groups}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
        finished = True
    finally:
        processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
        pool.shutdown(wait=False, cancel_futures=True)
        if not finished:  # stopped early: the running groups' rows would be dropped, so their workers are stopped
            for process in processes:
                process.terminate()


@contextlib.contextmanager
def ray_session(workers: int = 1, address: str | None = None):
    """Ray for a sweep: the running session if ``ray.is_initialized()`` (left running), else one started
    (``num_cpus=workers``) or joined (``address``) here and shut down at exit; a failure to start or
    join raises a one-line :class:`~signnet.errors.SignnetError`."""
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    if address:
        _reachable(address)
    with _process_state_restored() as snapshot:  # ray.init installs signal handlers and sets environment variables
        try:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SignnetError(f"Cannot start or join Ray{f' at {address!r}' if address else ''} ({first}); "
                               "check --address, or leave it out to start a local Ray.") from None
        finally:
            snapshot.taken()  # what ray.init changed, and only that, is put back on exit
        try:
            yield ray
        finally:
            ray.shutdown()


PROBE_SECONDS = 5.0


def _reachable(address: str) -> None:
    """Refuse a ``host:port`` address nothing answers on: ``ray.init`` would retry it for minutes.

    ``"auto"``, ``"local"`` and ``ray://`` client addresses (which fail fast) are left to Ray.
    """
    host, sep, port = address.rpartition(":")
    if address.startswith("ray://") or not sep or not port.isdigit():
        return
    host = host.strip("[]") or "127.0.0.1"
    try:
        socket.create_connection((host, int(port)), timeout=PROBE_SECONDS).close()
    except OSError as exc:
        why = "no answer within 5 s" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise SignnetError(f"Cannot reach a Ray cluster at {address!r} ({why}); check --address (the head node's "
                           "host:port, e.g. 10.0.0.5:6379), or leave it out to start a local Ray.") from None


_SIGNALS = ("SIGTERM", "SIGINT")


class _Snapshot:
    """The environment and the SIGTERM / SIGINT handlers before a call, and what the call changed."""

    def __init__(self):
        self.environ = dict(os.environ)
        self.handlers = {name: signal.getsignal(getattr(signal, name)) for name in _SIGNALS}
        self.changed_env, self.changed_handlers = {}, {}

    def taken(self) -> None:
        """Record what changed since the snapshot: those keys (with the values set) and handlers only."""
        keys = set(os.environ) | set(self.environ)
        self.changed_env = {k: os.environ.get(k) for k in keys if os.environ.get(k) != self.environ.get(k)}
        self.changed_handlers = {name: signal.getsignal(getattr(signal, name)) for name in _SIGNALS
                                 if signal.getsignal(getattr(signal, name)) is not self.handlers[name]}

    def restore(self) -> None:
        """Put back each recorded key and handler, unless something else changed it again since."""
        for key, value in self.changed_env.items():
            if os.environ.get(key) != value:
                continue  # changed again by someone else: theirs now
            if self.environ.get(key) is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = self.environ[key]
        if threading.current_thread() is threading.main_thread():
            for name, handler in self.changed_handlers.items():
                if signal.getsignal(getattr(signal, name)) is handler and self.handlers[name] is not None:
                    signal.signal(getattr(signal, name), self.handlers[name])


@contextlib.contextmanager
def _process_state_restored():
    """Library code leaves the process as it found it: ``ray.init`` sets environment variables (e.g.
    ``PYTHONBREAKPOINT``) and a SIGTERM handler that outlive ``ray.shutdown``. Call ``taken()`` on the
    yielded snapshot right after ``ray.init``; on exit exactly what changed between the two is put back
    (a variable another thread sets meanwhile is left alone). Handlers are restored from the main thread
    only, the one Python lets set them."""
    snapshot = _Snapshot()
    try:
        yield snapshot
    finally:
        snapshot.restore()


def run_ray(groups: list[list[RunConfig]], *, workers: int = 1, device: str = "cpu",
            address: str | None = None) -> Iterator[list[dict]]:
    """Yield the rows of each group as it finishes, on Ray (see the module docstring and :func:`ray_session`)."""
    with ray_session(workers, address) as ray:
        gpus = gpu_share(device, float(ray.cluster_resources().get("GPU", 0.0)), workers)
        task = ray.remote(num_cpus=1, num_gpus=gpus)(run_group)
        on = "cuda" if gpus else device  # Ray picks the GPU and shows the task only that one
        pending = [task.remote(group, on) for group in groups]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield task_result(ray, ref)


def gpu_share(device: str, cluster_gpus: float, workers: int) -> float:
    """GPUs each Ray task asks for: 0 off CUDA; on CUDA a share of the cluster's GPUs such that ``workers``
    tasks fit at once (Ray hides every GPU from a task that asks for none, so a CUDA run must ask)."""
    if not device.startswith("cuda"):
        return 0.0
    if cluster_gpus <= 0:
        raise SignnetError(f"--device {device} but the Ray cluster has no GPU; pass --device cpu, or join a "
                           "cluster with GPUs (--address).")
    return min(1.0, cluster_gpus / max(int(workers), 1))


def task_result(ray, ref) -> list[dict]:
    """``ray.get(ref)``; a task's :class:`SignnetError` comes back as its own line, not Ray's wrapped traceback."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, SignnetError):
            raise SignnetError(str(cause)) from None
        raise


def execute(groups: list[list[RunConfig]], *, engine: str = "local", workers: int = 1, device: str = "cpu",
            address: str | None = None) -> Iterator[list[dict]]:
    """Run ``groups`` on ``engine``; yield each group's rows as it finishes."""
    if engine == "ray":
        return run_ray(groups, workers=workers, device=device, address=address)
    if address is not None:
        raise SignnetError("--address is for --engine ray; leave it out or add --engine ray.")
    return run_local(groups, workers=workers, device=device)
