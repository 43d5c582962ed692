"""Work that is mostly Python, run in a process of its own.

The hot issues' text mining (``analytics.hotspots``: cleaning, segmenting and clustering the
period's descriptions; seconds for a year of a district, a minute for a city) runs Python
for most of its time. In a thread of the server it held the interpreter's lock against every
page being drawn: while the overview's 热点诉求 line was computed in the background, the
overview took 1.7× as long cold and twice as long cached at 1M events, and the mining itself
ran several times slower (bench/README, "Issue #18"). In a process of its own it takes the
machine's other core, and no page waits for it.

One worker process, so that a second core stays with the pages on a two-core server; calls
queue for it. The worker is a plain ``python -m ui.offload`` that has imported
:data:`PRELOAD` and loaded jieba's dictionary before its first call, and it serves call after
call. It is replaced after a call that left it holding more than :data:`RETIRE_MB` (the memory
of a big period goes back to the system; its successor starts at once, to be ready for the
next call), and when it dies (killed, out of memory), in which case the call is made once
more. An exception raised by the call itself reaches the caller as it is. A call unanswered
after :data:`CALL_TIMEOUT_S` ends its worker and raises ``TimeoutError``, so that one stuck
call cannot hold every later one.

(Not ``multiprocessing``: its workers import the parent's ``__main__`` first, and in a
Streamlit server that is the page script being run.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import resource
import select
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

LOG = logging.getLogger(__name__)
PRELOAD = ("ui.data",)  # what the calls need: pandas, Ibis, DuckDB, jieba, scipy, the app
RETIRE_MB = 768
CALL_TIMEOUT_S = 1800.0  # a call still unanswered after this is stopped (a year of a city: 1 min)
_ROOT = Path(__file__).resolve().parent.parent

_call_lock = threading.Lock()  # one call at a time in the one worker
_worker: _Worker | None = None
_peak_mb = 0.0


class WorkerDied(RuntimeError):
    """The worker process ended without answering."""


class _Worker:
    def __init__(self) -> None:
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), path]))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ui.offload"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def call(self, request: bytes) -> tuple[bool, Any, float]:
        """The answer to a pickled call: (ok, the result or the exception, the worker's peak
        memory in MB). Whatever goes wrong between sending the call and reading its whole
        answer (the worker dying, an answer that cannot be read, an interrupt) ends the
        worker: its streams are no longer in step with the calls."""
        try:
            self.process.stdin.write(request)
            self.process.stdin.flush()
            ready, _, _ = select.select([self.process.stdout], [], [], CALL_TIMEOUT_S)
            if not ready:
                minutes = CALL_TIMEOUT_S / 60
                raise TimeoutError(
                    f"后台计算超过 {minutes:g} 分钟仍未完成,已中止;请缩小范围或时段再试。"
                )
            return pickle.load(self.process.stdout)
        except BaseException as exc:
            self.process.kill()
            self.stop()
            dead = isinstance(exc, EOFError | OSError | pickle.UnpicklingError)
            if dead and not isinstance(exc, TimeoutError):  # (an OSError, but ours)
                code = self.process.returncode
                raise WorkerDied(f"后台计算进程意外退出(退出码 {code})") from exc
            raise

    def stop(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run(fn: Callable[..., T], /, *args, **kwargs) -> T:
    """``fn(*args, **kwargs)`` in the worker process, waited for (the caller's thread sleeps
    and the interpreter's lock is free meanwhile). ``fn`` is a module-level function; its
    arguments and result are pickled."""
    global _worker, _peak_mb
    request = pickle.dumps((fn, args, kwargs), pickle.HIGHEST_PROTOCOL)  # may fail: no worker
    with _call_lock:
        for attempt in range(2):
            if _worker is None:
                _worker = _Worker()
            try:
                ok, value, peak_mb = _worker.call(request)
            except WorkerDied:
                _worker = None
                if attempt:
                    raise
                LOG.warning("后台计算进程意外退出,重新启动后再算一次", exc_info=True)
                continue
            except BaseException:
                _worker = None  # ended by call(): the next call starts another
                raise
            _peak_mb = max(_peak_mb, peak_mb)
            if peak_mb > RETIRE_MB:
                _worker.stop()
                _worker = None
                _worker = _Worker()  # the next one starts now, ready for the next call
            if ok:
                return value
            raise value
    raise AssertionError("unreachable")


def peak_mb() -> float:
    """The most memory a worker of this process has held so far, in MB (benchmarks)."""
    return _peak_mb


def pid() -> int | None:
    """The worker's process id, None when none runs (tests)."""
    return None if _worker is None else _worker.process.pid


def stop() -> None:
    """End the worker (tests; the worker also ends by itself when this process does)."""
    global _worker
    with _call_lock:
        if _worker is not None:
            _worker.stop()
            _worker = None


def _peak_rss_mb() -> float:
    """This process's peak resident memory. From /proc where there is one: ``ru_maxrss``
    keeps the peak of the process before ``exec``, which for a worker started from a big
    server is the server's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _serve() -> None:
    """The worker: answers calls read from stdin until stdin closes. Its own prints and logs
    go to stderr, the answers to what was stdout."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = sys.stdin.buffer
    for name in PRELOAD:
        __import__(name)
    import pyarrow as pa

    from analytics import text

    with contextlib.suppress(NotImplementedError):  # a pyarrow built without it
        # jemalloc hands freed memory back to the system sooner than the default, mimalloc:
        # a city's year of hot issues peaked at 1,777 MB instead of 1,976 MB (bench/README)
        pa.set_memory_pool(pa.jemalloc_memory_pool())

    text.words("预热分词词典")  # jieba loads its dictionary on first use: 0.7 s, done idle
    while True:
        try:
            fn, args, kwargs = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = (True, fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller, which raises it
            answer = (False, exc)
        peak_mb = _peak_rss_mb()
        try:
            data = pickle.dumps((*answer, peak_mb), pickle.HIGHEST_PROTOCOL)
            if not answer[0]:
                pickle.loads(data)  # an exception the caller could not rebuild
        except Exception as exc:  # the words instead
            ok, value = answer
            words = f"结果无法传回:{exc}" if ok else f"{type(value).__name__}: {value}"
            data = pickle.dumps((False, RuntimeError(words), peak_mb))
            LOG.warning("后台计算的结果无法传回: %s", exc)
        try:
            answers.write(data)
            answers.flush()
        except BrokenPipeError:  # the caller has gone (its process ended mid-call)
            return


if __name__ == "__main__":
    _serve()
