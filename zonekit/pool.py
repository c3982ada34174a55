"""Read many files in worker processes, each file under a time and a memory budget, so that a file which
crashes, aborts, exhausts memory or hangs its reader costs only itself: its worker is replaced, the file gets
the reason, and the rest goes on.

Never leaves a worker behind: whatever ends the run (the last file, an exception, Ctrl-C, SIGTERM turned into an
exception by the CLI) kills every worker before returning; on Linux a worker also dies with its parent.
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")

FILE_SECONDS = 60.0  # one file's reading time; a normal return takes milliseconds
FILE_MEMORY = 1 << 30  # address space one worker may add to what it started with (POSIX), 1 GiB
BATCH = 8  # files handed to a worker at a time (fewer round trips); the budget is per file all the same


class _Worker:
    """One worker process and the files it was handed and has not answered yet."""

    def __init__(self, context, init, args, work, memory):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, init, args, work, memory, os.getpid()),
                                       daemon=True)
        self.process.start()
        child.close()
        self.batch: deque = deque()  # (index, item)
        self.since = time.monotonic()  # when it last started a file

    def hand(self, items: list) -> bool:
        self.batch.extend(items)
        self.since = time.monotonic()
        try:
            self.conn.send(items)
            return True
        except (OSError, ValueError):
            return False

    def stop(self, wait: float = 0.0) -> None:
        """Ask an idle worker to leave (``wait`` > 0), or kill it; either way it is gone afterwards."""
        if wait and self.process.is_alive():
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
            self.process.join(wait)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


def run(items: Iterable[T], init: Callable, args: tuple, work: Callable[[T], R],
        failed: Callable[[T, str], R], *, workers: int = 2, seconds: float = FILE_SECONDS,
        memory: int | None = FILE_MEMORY) -> Iterator[tuple[T, R]]:
    """(item, result) for every item, in the order they finish: ``work(item)`` in a worker process (set up once
    by ``init(*args)``), or ``failed(item, reason)`` in this process when the worker died, ran out of memory,
    raised, or took longer than ``seconds`` on it. ``init`` and ``work`` must be module-level functions."""
    pending = deque(enumerate(items))
    if not pending:
        return
    context = _context()
    pool: list[_Worker] = []
    try:
        pool = [_Worker(context, init, args, work, memory) for _ in range(max(1, min(workers, len(pending))))]
        while pending or any(w.batch for w in pool):
            for n, w in enumerate(pool):
                if not w.batch and pending:
                    take = [pending.popleft() for _ in range(min(BATCH, len(pending)))]
                    if not w.hand(take):
                        yield from _lost(w, pending, failed, "读取进程无法启动")
                        pool[n] = _Worker(context, init, args, work, memory)
            busy = [w for w in pool if w.batch]
            now = time.monotonic()
            timeout = max(0.0, min(w.since for w in busy) + seconds - now) if busy else 0.0
            _wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
            for n, w in enumerate(pool):
                if not w.batch:
                    continue
                alive = True
                while w.batch:
                    try:
                        if not w.conn.poll():
                            break
                        index, status, value = w.conn.recv()
                    except (EOFError, OSError):
                        alive = False
                        break
                    _, item = w.batch.popleft()
                    w.since = time.monotonic()
                    if status == "ok":
                        yield item, value
                    elif status == "memory":
                        yield item, failed(item, f"所需内存超过上限 {_megabytes(memory)}")
                    else:
                        yield item, failed(item, f"读取时出错：{value}")
                if not w.batch:
                    continue
                if not alive or not w.process.is_alive():
                    w.process.join(1)
                    yield from _lost(w, pending, failed, _exit_reason(w.process.exitcode, memory))
                elif time.monotonic() - w.since > seconds:
                    yield from _lost(w, pending, failed, f"读取超过 {seconds:g} 秒仍未完成")
                else:
                    continue
                pool[n] = _Worker(context, init, args, work, memory)
        for w in pool:
            w.stop(wait=2.0)
        pool = []
    finally:
        for w in pool:  # an exception, Ctrl-C or SIGTERM: no worker may outlive the run
            w.stop()


def _lost(w: _Worker, pending: deque, failed, reason: str):
    """The worker is gone (or must go): its current file gets ``reason``, the files after it go back in line."""
    w.stop()
    _, item = w.batch.popleft()
    pending.extendleft(reversed(w.batch))
    w.batch.clear()
    yield item, failed(item, reason)


def _wait(handles: list, timeout: float) -> None:
    from multiprocessing.connection import wait

    if handles:
        wait(handles, timeout)


def _megabytes(memory: int | None) -> str:
    return f"{memory // 2**20} MB" if memory else "可用内存"


def _exit_reason(code: int | None, memory: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"信号 {-code}"
        return (f"读取时读取进程异常终止（{name}），可能是文件内容异常，或所需内存超过上限 {_megabytes(memory)}")
    return f"读取时读取进程意外退出（退出码 {code}）"


def _context():
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


# ---------------------------------------------------------------- inside a worker


def _serve(conn, init, args, work, memory, parent: int) -> None:
    _detach_signals(parent)
    _limit_memory(memory)
    init(*args)
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if batch is None:
            return
        for index, item in batch:
            try:
                answer = (index, "ok", work(item))
            except MemoryError:
                answer = (index, "memory", None)
            except Exception as exc:  # a reader bug must cost one file, not the batch
                answer = (index, "error", f"{type(exc).__name__}: {str(exc)[:200]}")
            try:
                conn.send(answer)
            except (OSError, ValueError):
                return
            except Exception as exc:  # the result could not be pickled
                try:
                    conn.send((index, "error", f"{type(exc).__name__}: {str(exc)[:200]}"))
                except Exception:
                    return


def _detach_signals(parent: int) -> None:
    """Ctrl-C reaches the whole process group: the parent decides and kills the workers. SIGTERM ends a worker
    at once (the parent's handler, inherited by fork, would raise inside a read). On Linux, die with the
    parent even when it is killed with SIGKILL."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import faulthandler

        faulthandler.disable()  # a reader that aborts is reported as a refused file, not as a stack dump
    except (ImportError, RuntimeError):
        pass
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if os.name == "posix" and os.uname().sysname == "Linux":
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent (its pid taken before the fork) died before prctl took effect
                os._exit(1)
        except (OSError, AttributeError):
            pass


def _limit_memory(memory: int | None) -> None:
    """Cap the worker's address space at what it has now plus ``memory`` (POSIX; a no-op elsewhere): an
    allocation beyond fails with MemoryError in Python, or aborts calamine — either way only this worker."""
    if not memory:
        return
    try:
        import resource

        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + memory
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass
