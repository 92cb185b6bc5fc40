"""python-markdown and bleach in worker processes, so a render can be stopped without harm.

Both libraries are pure Python with corners that are quadratic on hostile input, and a
thread cannot be stopped from outside without injecting an exception into it (which may
land anywhere, in any library). A worker process can simply be killed: the request
thread sends the text over a pipe, waits at most `seconds`, and on time-out kills the
worker (a fresh one starts on the next render) and gets None back.

Workers are fresh interpreters (`python -m summaries.render_worker`: never a fork of a
process that runs V8 and threads, never a re-import of the parent's main module), started
lazily, at most MAX_WORKERS per process; threads that find none idle wait for one.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

logger = logging.getLogger(__name__)

MAX_WORKERS = 2
cpu_seconds = 0.0  # CPU time the workers of this process have spent rendering (benchmarks)
STARTUP_SECONDS = 60  # a fresh worker imports its libraries before it takes work
PRELOAD = ("summaries.rendering",)


_PROJECT = Path(__file__).resolve().parent.parent


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "summaries.render_worker", *PRELOAD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=_PROJECT,
            env=env,
        )
        self.sender = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.receiver = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        if not self.receiver.poll(STARTUP_SECONDS):
            self.kill()
            raise RuntimeError("the render worker did not start")
        self.receiver.recv()

    def call(self, function: Callable, args: tuple, seconds: float):
        self.sender.send((function, args))
        if not self.receiver.poll(seconds):
            raise TimeoutError
        ok, value, cpu = self.receiver.recv()
        global cpu_seconds
        cpu_seconds += cpu
        if not ok:
            raise RuntimeError(value)
        return value

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(1)
            self.sender.close()
            self.receiver.close()
        except Exception:  # already gone
            logger.debug("stopping a render worker failed", exc_info=True)


def _serve(preload: list[str]) -> None:
    import importlib

    # The pipes are stdin and stdout; anything the libraries print goes to stderr instead.
    receiver = Connection(os.dup(0), writable=False)
    sender = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    for name in preload:
        importlib.import_module(name)
    try:
        sender.send("ready")
    except BrokenPipeError:  # the parent went away while this worker started
        return
    while True:
        try:
            function, args = receiver.recv()
        except EOFError:
            return
        started = time.process_time()
        try:
            value = function(*args)
        except Exception as exc:  # reported to the caller, which falls back
            sender.send((False, f"{type(exc).__name__}: {exc}", time.process_time() - started))
        else:
            sender.send((True, value, time.process_time() - started))


_lock = threading.Condition()
_idle: list[_Worker] = []
_started = 0
_pid = os.getpid()


def _checkout(deadline: float) -> tuple[_Worker, bool]:
    """An idle worker, or a new one; TimeoutError if none is free before the deadline
    (the very first worker of a process may take its start-up time)."""
    global _started, _pid
    with _lock:
        if _pid != os.getpid():  # inherited through a fork: those workers are not ours
            _idle.clear()
            _started, _pid = 0, os.getpid()
        while not _idle and _started >= MAX_WORKERS:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            _lock.wait(remaining)
        if _idle:
            return _idle.pop(), False
        _started += 1
    try:
        return _Worker(), True
    except BaseException:
        with _lock:
            _started -= 1
            _lock.notify()
        raise


def _checkin(worker: _Worker | None) -> None:
    global _started
    with _lock:
        if worker is None:
            _started -= 1
        else:
            _idle.append(worker)
        _lock.notify()


def run(function: Callable, args: tuple, *, seconds: float):
    """function(*args) in a worker process; None if it took longer than `seconds`, waiting
    for a free worker included.

    `function` must be importable (a module-level function) and its arguments picklable.
    Exceptions in the worker come back as RuntimeError.
    """
    deadline = time.monotonic() + seconds
    try:
        worker, fresh = _checkout(deadline)
    except TimeoutError:
        return None
    if fresh:  # its start-up is not the render's time
        deadline = time.monotonic() + seconds
    try:
        value = worker.call(function, args, max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        worker.kill()
        _checkin(None)
        _start_spare()  # so that the next render does not wait for a worker to start
        return None
    except (EOFError, OSError):  # the worker died
        worker.kill()
        _checkin(None)
        raise RuntimeError("the render worker died") from None
    except BaseException:
        worker.kill()
        _checkin(None)
        raise
    _checkin(worker)
    return value


def _start_spare() -> None:
    def start() -> None:
        global _started
        with _lock:
            if _started >= MAX_WORKERS:
                return
            _started += 1
        try:
            worker = _Worker()
        except Exception:
            logger.warning("could not start a spare render worker", exc_info=True)
            worker = None
        _checkin(worker)

    threading.Thread(target=start, name="render-worker-start", daemon=True).start()


@atexit.register
def _stop_all() -> None:
    with _lock:
        for worker in _idle:
            worker.kill()
        _idle.clear()


if __name__ == "__main__":
    _serve(sys.argv[1:])
