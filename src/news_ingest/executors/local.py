"""The local executor: ``process`` over every input in this process, or in a pool of worker
processes on this machine (``-j N``), results in input order.

The pool is hand-rolled rather than ``multiprocessing.Pool`` so that an interrupt never hangs
(each worker has its own pipe, and the parent ends its workers), memory follows the bytes in
flight (chunks close at ``CHUNK_BYTES``; none is dealt past ``IN_FLIGHT_BYTES``) and a worker
that dies is named. Output is identical whatever the number of workers.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import IngestError
from ..pipeline import Config, Context, Result, alarm_handler, process
from ..sources import Source, SourceProblem, iter_sources
from .base import EngineOptions, Item


class WorkerError(IngestError):
    """A worker process ended without answering (killed, out of memory)."""

    stage = "internal"


#: Fewer inputs than this are parsed in this process whatever ``jobs`` says: starting the
#: workers (~0.7 s) would cost more than it saves. The environment variable lets the test suite
#: exercise the worker pool on small inputs.
POOL_MIN_INPUTS = int(os.environ.get("NEWS_INGEST_POOL_MIN_INPUTS", "500"))
POOL_LOOKAHEAD_BYTES = 16 * 1024 * 1024

#: Chunks in flight per worker: one being parsed, one waiting, so a worker never idles.
CHUNKS_AHEAD = 2
#: A chunk closes at ``chunksize`` inputs or at this many bytes of inputs held in memory
#: (archive members, stdin, inputs a --state run has read to hash them), whichever comes first.
CHUNK_BYTES = 4 * 1024 * 1024
#: No chunk is dealt while this many bytes of inputs are in flight (unless none is): memory
#: follows the bytes on their way to the workers, not a count of inputs.
IN_FLIGHT_BYTES = 64 * 1024 * 1024


def _held(item: Source | SourceProblem) -> int:
    """Bytes of an input held in this process (a file named by its path holds none)."""
    return len(getattr(item, "data", None) or b"")


def _worker_main(conn: Any, config: Config) -> None:
    """A worker process: chunks of inputs in, their results out, over its own pipe.

    Interrupts are the parent's to handle: it ends its workers, which hold no lock anyone else
    waits for. A thread keeps the inbound pipe drained, so the parent's sends never block on a
    worker that is itself blocked sending results (which could deadlock with large chunks).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ctx = Context(config)
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def receive() -> None:
        try:
            while True:
                chunk = conn.recv()
                inbox.put(chunk)
                if chunk is None:
                    return
        except BaseException:  # the parent is gone, or a chunk cannot be read: stop
            inbox.put(None)

    threading.Thread(target=receive, daemon=True).start()
    try:
        with alarm_handler():
            while (chunk := inbox.get()) is not None:
                conn.send([process(item, ctx) for item in chunk])
    except (EOFError, OSError, BrokenPipeError):  # the parent is gone
        pass


def iter_results(
    items: Iterable[Source | SourceProblem], config: Config, jobs: int = 1, chunksize: int = 32
) -> Iterator[Result]:
    """``process`` over every item, results in input order, in ``jobs`` processes.

    A run of fewer than ``POOL_MIN_INPUTS`` inputs stays in this process (same output).
    Inputs are read from ``items`` in this thread only (stdin included) and dealt to the workers
    in chunks (``chunksize`` inputs or ``CHUNK_BYTES``), to the least busy worker; results are
    read back in input order, so output order does not depend on timing. Memory holds at most
    ``jobs * CHUNKS_AHEAD`` chunks and, past ``IN_FLIGHT_BYTES`` of inputs held in memory, no
    more is dealt until some comes back. When the consumer stops early or an exception (Ctrl-C)
    arrives, the workers are ended.
    """
    source = iter(items)
    if jobs > 1:
        # Starting workers costs more than parsing a few hundred inputs: a small run stays here.
        # The look-ahead is bounded in bytes too, as items may carry their data.
        head: list[Source | SourceProblem] = []
        held = 0
        for item in source:
            head.append(item)
            held += _held(item)
            if len(head) >= POOL_MIN_INPUTS or held >= POOL_LOOKAHEAD_BYTES:
                break
        else:
            jobs = 1
        source = itertools.chain(head, source)
    if jobs <= 1:
        ctx = Context(config)
        with alarm_handler():
            for item in source:
                yield process(item, ctx)
        return
    Context(config)  # configuration errors surface here, before workers start
    mp = multiprocessing.get_context("spawn" if sys.platform == "win32" else "forkserver")
    workers: list[tuple[Any, Any]] = []
    in_flight: deque[tuple[int, int]] = deque()  # (worker, bytes) of each chunk, input order
    outstanding = [0] * jobs  # chunks sent to each worker and not yet answered
    held = 0  # bytes of inputs in the chunks in flight
    exhausted = False

    def died(worker: int) -> WorkerError:
        return WorkerError(f"worker process {worker + 1} of {jobs} died (out of memory? killed?)")

    def fill() -> None:
        """Deal chunks to the least busy workers while they have room and the bytes in flight
        are under IN_FLIGHT_BYTES (a chunk is always dealt when none is in flight)."""
        nonlocal held, exhausted
        while not exhausted:
            worker = min(range(jobs), key=outstanding.__getitem__)
            if outstanding[worker] >= CHUNKS_AHEAD or (in_flight and held >= IN_FLIGHT_BYTES):
                return
            chunk: list[Source | SourceProblem] = []
            size = 0
            while len(chunk) < chunksize and size < CHUNK_BYTES:
                item = next(source, None)
                if item is None:
                    exhausted = True
                    break
                chunk.append(item)
                size += _held(item)
            if not chunk:
                return
            try:
                workers[worker][1].send(chunk)
            except OSError:  # BrokenPipeError, ConnectionResetError: the worker is gone
                raise died(worker) from None
            outstanding[worker] += 1
            in_flight.append((worker, size))
            held += size

    # If this generator is never closed (the interpreter exits first), end the workers before
    # multiprocessing's own exit handler joins them: they ignore its SIGTERM.
    killer = functools.partial(_kill_workers, workers)
    atexit.register(killer)
    try:
        for _ in range(jobs):
            mine, theirs = mp.Pipe()
            proc = mp.Process(target=_worker_main, args=(theirs, config), daemon=True)
            proc.start()
            theirs.close()
            workers.append((proc, mine))
        fill()
        while in_flight:
            worker, size = in_flight.popleft()
            try:
                results = workers[worker][1].recv()
            except (EOFError, OSError):
                raise died(worker) from None
            outstanding[worker] -= 1
            held -= size
            fill()
            yield from results
        for _, conn in workers:
            conn.send(None)
        for proc, _ in workers:
            proc.join()
    finally:
        atexit.unregister(killer)
        killer()


def _kill_workers(workers: list[tuple[Any, Any]]) -> None:
    for proc, conn in workers:
        if proc.is_alive():
            proc.kill()
            proc.join()
        conn.close()
    workers.clear()


class LocalExecutor:
    """``results`` in this process or in ``options.jobs`` worker processes; no part files."""

    name = "local"
    option_names: frozenset[str] = frozenset()
    time_limit = True

    def __init__(self, options: EngineOptions) -> None:
        self.jobs = options.jobs

    def results(self, items: Iterable[Item], config: Config) -> Iterator[Result]:
        return iter_results(items, config, self.jobs)


def run(inputs: list[str], config: Config, jobs: int = 1) -> Iterator[Result]:
    """Sources named by ``inputs`` -> results, in order, in ``jobs`` processes."""
    return iter_results(iter_sources(inputs, config.max_bytes, config.follow_links,
                                     config.names), config, jobs)
