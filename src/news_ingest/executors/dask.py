"""The Dask engine: the pipeline's ``process`` run on a Dask cluster instead of local workers.

Inputs are batched into partitions of ``partition_size`` inputs; each partition is one task
that builds (once per worker process, cached by ``Config``: ``parts.context_for``) a
``pipeline.Context`` and runs ``process`` over its inputs. Records are identical to a local
run, whatever the cluster.

``results`` streams every result back to the client, in input order. ``write_parts`` lets
each partition write its own part file (``parts.write_part``) to any fsspec URL (a local
folder, ``s3://bucket/prefix``, ...) and streams back only the names, problems and counts.

Where things are read and written:

* ``Source`` items that name a file are read by the workers themselves, at the (absolute) path
  the client saw: every worker must see the inputs at the same path (shared storage). Inputs
  held in memory (stdin, archive members) are shipped to the workers as bytes.
* Layout files and the tag lexicon are read by the workers too (same rule).
* Part files are written by the workers: a local folder must be shared storage as well; any
  fsspec URL works (credentials come from the workers' environment or ``storage_options``).

Without ``scheduler`` a ``distributed.LocalCluster`` of worker processes is started and closed
at the end; with ``scheduler='tcp://host:8786'`` the engine connects to a running cluster,
which it leaves running. The client keeps a bounded window of partitions in flight, so memory
does not grow with the number of inputs. Dask, distributed and fsspec are imported only when
the engine runs (``pip install 'news-ingest[dask]'``).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import ConfigError, ExtraMissing, IngestError
from ..export import get_format
from ..pipeline import Config, Context, Result
from ..sources import Source
from .base import EngineOptions, Item, usable_cpus
from .parts import PartResult, output_root, portable, portable_config, process_batch, write_part

#: Partitions in flight (submitted, or done and not yet yielded) per worker thread.
WINDOW_PER_WORKER = 3
#: A partition whose in-memory inputs exceed this many bytes is scattered to the cluster
#: rather than embedded in the task (keeps the scheduler's task graph small).
SCATTER_BYTES = 1024 * 1024
#: Schemes of the addresses a Dask scheduler listens on (distributed.comm's backends).
SCHEDULER_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


class BadScheduler(ConfigError):
    """A scheduler address no scheduler can have; ``problem`` says what is wrong with it."""

    def __init__(self, address: str, problem: str) -> None:
        self.address = address
        self.problem = problem
        super().__init__(f"scheduler address '{address}': {problem}")


class DaskSchedulerError(IngestError):
    """The Dask scheduler named by ``scheduler=`` cannot be reached."""

    stage = "config"


class DaskTaskError(IngestError):
    """A partition failed on the cluster for a reason that is not about the input (a bug, a
    worker that died). Names the partition's first input; ``worker_traceback`` holds the
    traceback text the cluster sent back (for a log; the message is one line)."""

    stage = "internal"

    def __init__(self, message: str, *, partition: int, first_source: str,
                 worker_traceback: str | None = None) -> None:
        super().__init__(message)
        self.partition = partition
        self.first_source = first_source
        self.worker_traceback = worker_traceback


def check_scheduler_address(address: str) -> None:
    """Refuse an address that no scheduler can have (``BadScheduler``), before anything
    starts: ``tcp://host:8786``, ``tls://host:8786``, ``host:8786`` (tcp) are accepted."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    host, colon, port = rest.rpartition(":")
    problem = None
    if scheme not in SCHEDULER_SCHEMES:
        problem = f"unknown scheme '{scheme}' (expected {', '.join(SCHEDULER_SCHEMES)})"
    elif scheme == "inproc":
        problem = None if rest else "no address after inproc://"
    elif not colon or not host or "/" in rest or " " in rest:
        problem = "expected HOST:PORT, e.g. tcp://scheduler:8786"
    elif not port.isdigit() or not 0 < int(port) < 65536:
        problem = f"port '{port}' is not a number from 1 to 65535"
    if problem:
        raise BadScheduler(address, problem)


class DaskExecutor:
    """``results`` and ``write_parts`` on a Dask cluster (see the module's docstring)."""

    name = "dask"
    option_names = frozenset({"scheduler", "partition_size"})
    time_limit = False  # tasks run in worker threads, which no SIGALRM reaches

    def __init__(self, options: EngineOptions) -> None:
        if options.partition_size < 1:
            raise ValueError(f"partition_size must be at least 1, not {options.partition_size}")
        if options.scheduler is not None:
            check_scheduler_address(options.scheduler)
        self.scheduler = options.scheduler
        self.partition_size = options.partition_size
        self.n_workers = options.jobs

    def results(self, items: Iterable[Item], config: Config) -> Iterator[Result]:
        """Every input's result, in input order (output identical to a local run).

        Raises ``ExtraMissing`` (dask not installed) and configuration errors (``LayoutError``)
        at the call, before any cluster starts; ``DaskSchedulerError`` when the scheduler
        cannot be reached, and ``DaskTaskError`` for a partition that fails on a worker, while
        iterating."""
        modules = _import_dask()
        config = portable_config(config)
        Context(config)  # configuration errors surface here, before a cluster starts
        return _flatten(self._stream(modules, items, _results_task, (config,)))

    def write_parts(
        self, items: Iterable[Item], config: Config, out_dir: str, fmt: str, *,
        defuse_formulas: bool = True, storage_options: dict[str, Any] | None = None,
    ) -> Iterator[PartResult]:
        """Each partition writes its own part file ``out_dir/part-00000.<ext>`` (fsspec: local
        paths, s3://, ...). Yields, per partition in order, a ``PartResult``: the part's path,
        its record count and its inputs' outcomes (names, problems, counts; no records).

        Every part is complete in itself (a JSON part is a JSON array, a CSV part has its
        header, a Parquet part its schema). A local ``out_dir`` is created when missing. No
        part is written for zero inputs, nor for a partition whose inputs all failed (its
        ``path`` is None). ``storage_options`` go to ``fsspec`` (e.g. an S3 endpoint)."""
        get_format(fmt).check_available()
        modules = _import_dask()
        config = portable_config(config)
        Context(config)
        options = dict(storage_options or {})
        root = output_root(out_dir, options)
        return self._stream(modules, items, write_part,
                            (config, root, fmt, defuse_formulas, options))

    def _stream(self, modules: dict[str, Any], items: Iterable[Item],
                task: Callable[..., Any], args: tuple[Any, ...]) -> Iterator[Any]:
        return _stream(modules, items, self.scheduler, self.partition_size, self.n_workers,
                       task, args)


def _results_task(index: int, batch: list[Item], config: Config) -> list[Result]:
    return process_batch(batch, config)


# --- client side ------------------------------------------------------------------------------


def _import_dask() -> dict[str, Any]:
    try:
        import dask  # noqa: F401
        import distributed
        import fsspec
    except ImportError:
        raise ExtraMissing("dask", "engine 'dask'") from None
    return {"distributed": distributed, "fsspec": fsspec}


@contextlib.contextmanager
def _client(distributed: Any, scheduler: str | None, n_workers: int | None) -> Iterator[Any]:
    """A ``Client`` on ``scheduler``, or on a ``LocalCluster`` started (and closed) here."""
    if scheduler:
        try:
            client = distributed.Client(scheduler, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise DaskSchedulerError(
                f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = distributed.LocalCluster(
        n_workers=n_workers or usable_cpus(), threads_per_worker=1, processes=True,
        dashboard_address=":0", silence_logs=logging.WARNING)
    try:
        client = distributed.Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _flatten(parts: Iterator[list[Result]]) -> Iterator[Result]:
    try:
        for part in parts:
            yield from part
    finally:
        parts.close()  # type: ignore[attr-defined]


def _stream(
    modules: dict[str, Any],
    items: Iterable[Item],
    scheduler: str | None,
    partition_size: int,
    n_workers: int | None,
    task: Callable[..., Any],
    args: tuple[Any, ...],
) -> Iterator[Any]:
    """``task(index, batch, *args)`` for every partition of ``items``, results in order.

    At most ``WINDOW_PER_WORKER`` x (worker threads) partitions are in flight or waiting to be
    yielded; completions that arrive out of order are buffered until their turn.
    """
    distributed = modules["distributed"]
    batches = _batches(items, partition_size)
    run = uuid.uuid4().hex[:12]
    with _client(distributed, scheduler, n_workers) as client:
        window = max(2, WINDOW_PER_WORKER * sum(client.nthreads().values()))
        completed = distributed.as_completed(loop=client.loop)
        in_flight: dict[Any, int] = {}  # future -> partition index
        firsts: dict[int, str] = {}  # partition index -> its first input's name
        done: dict[int, Any] = {}
        submitted = yielded = 0
        exhausted = False
        try:
            while True:
                while not exhausted and submitted - yielded < window:
                    batch = next(batches, None)
                    if batch is None:
                        exhausted = True
                        break
                    firsts[submitted] = batch[0].name
                    payload = _ship(client, batch)
                    future = client.submit(task, submitted, payload, *args,
                                           key=f"news-ingest-{run}-{submitted:06d}",
                                           priority=-submitted)
                    in_flight[future] = submitted
                    completed.add(future)
                    submitted += 1
                if yielded == submitted:
                    return
                while yielded not in done:
                    future = next(completed)
                    index = in_flight.pop(future)
                    done[index] = _fetch(future, index, firsts[index])
                firsts.pop(yielded)
                value = done.pop(yielded)
                yielded += 1
                yield value
        finally:
            completed.clear()
            if in_flight:
                with contextlib.suppress(Exception):
                    client.cancel(list(in_flight))
                in_flight.clear()


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := [portable(item) for item in itertools.islice(iterator, size)]:
        yield batch


def _ship(client: Any, batch: list[Item]) -> Any:
    """The batch itself, or (when it carries many bytes) a future of it scattered ahead."""
    size = sum(len(i.data) for i in batch if isinstance(i, Source) and i.data is not None)
    if size < SCATTER_BYTES:
        return batch
    return client.scatter([batch], hash=False)[0]


def _fetch(future: Any, index: int, first: str) -> Any:
    try:
        return future.result()
    except IngestError:
        raise  # a configuration problem met on a worker (e.g. a layout file it cannot read)
    except Exception as exc:
        raise DaskTaskError(
            f"Dask partition {index} (first input '{first}') failed on the cluster: "
            f"{type(exc).__name__}: {exc}",
            partition=index, first_source=first,
            worker_traceback="".join(traceback.format_exception(exc))) from exc


