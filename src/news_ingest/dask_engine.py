"""Dask engine: the pipeline's ``process`` run on a Dask cluster instead of a local process pool.

An alternative executor for the same flow as ``pipeline.iter_results`` (``--engine dask`` in the
CLI): sources are batched into partitions of ``partition_size`` inputs; each partition is one
task that builds (once per worker process, cached by ``Config``) a ``pipeline.Context`` and runs
``process`` over its inputs. Records are identical to a local run, whatever the cluster.

``dask_results`` streams every ``FileResult`` back to the client, in input order.
``dask_write_parts`` lets each partition write its own part file (``part-00000.jsonl``, ...)
to any fsspec URL (a local folder, ``s3://bucket/prefix``, ...) and streams back only the
names, problems and warnings of the files, so the client can report every input; after a
complete run, ``remove_stale_parts`` deletes the part files an earlier run left in the folder.

Where things are read and written:

* ``Source`` items that name a file are read by the workers themselves, at the (absolute) path
  the client saw: every worker must see the inputs at the same path (shared storage). Inputs
  held in memory (stdin, archive members) are shipped to the workers as bytes.
* ``--layouts`` files and the tag lexicon are read by the workers too (same rule).
* Part files are written by the workers: a local ``out_dir`` must be shared storage as well;
  any fsspec URL works (credentials come from the workers' environment or ``storage_options``).

Without ``scheduler`` a ``distributed.LocalCluster`` of worker processes is started and closed
at the end; with ``scheduler='tcp://host:8786'`` the engine connects to a running cluster,
which it leaves running. The client keeps a bounded window of partitions in flight, so memory
does not grow with the number of inputs. Dask, distributed and fsspec are imported only when
an engine function is called (``pip install 'news-ingest[dask]'``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import logging
import os
import posixpath
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import IngestError
from .export import FORMATS, make_writer
from .pipeline import Config, Context, FileResult, Report, process
from .sources import Source, SourceProblem

Item = Source | SourceProblem

#: Partitions in flight (submitted, or done and not yet yielded) per worker thread.
WINDOW_PER_WORKER = 3
#: A partition whose in-memory inputs exceed this many bytes is scattered to the cluster
#: rather than embedded in the task (keeps the scheduler's task graph small).
SCATTER_BYTES = 1024 * 1024


class DaskUnavailable(IngestError):
    """``--engine dask`` was asked for, but dask/distributed/fsspec are not installed."""

    stage = "config"

    def __init__(self) -> None:
        super().__init__("--engine dask needs the dask extra: pip install 'news-ingest[dask]'")


class DaskSchedulerError(IngestError):
    """The Dask scheduler named by ``scheduler=`` cannot be reached."""

    stage = "config"


class DaskTaskError(IngestError):
    """A partition failed on the cluster for a reason that is not about the input (a bug, a
    worker that died). Names the partition's first input and, when known, the failing one;
    ``worker_traceback`` holds the worker's traceback text."""

    stage = "internal"

    def __init__(self, message: str, *, partition: int, first_source: str,
                 failed_source: str | None = None, worker_traceback: str | None = None) -> None:
        super().__init__(message)
        self.partition = partition
        self.first_source = first_source
        self.failed_source = failed_source
        self.worker_traceback = worker_traceback


@dataclass
class PartResult:
    """One part file written by ``dask_write_parts``.

    ``results`` are the partition's ``FileResult``s, in input order, with their records left
    out (names and problems only). ``record_warnings`` holds, per result, the ``warnings`` list
    of each of its records, so that ``add_to(report)`` counts exactly what ``Report.add`` would
    have counted for the full results.
    """

    path: str | None  # None: the partition gave no record, so no part file was written
    records: int
    results: list[FileResult] = field(default_factory=list)
    record_warnings: list[list[list[str]]] = field(default_factory=list)

    def add_to(self, report: Report) -> None:
        """Add every file of this part to ``report``, as ``report.add`` does for a local run."""
        for result, warnings in zip(self.results, self.record_warnings, strict=True):
            stubs = [{"warnings": w} for w in warnings]
            report.add(FileResult(result.name, records=stubs, problems=result.problems))


# --- public API -------------------------------------------------------------------------------


def dask_results(
    items: Iterable[Item],
    config: Config,
    *,
    scheduler: str | None = None,
    partition_size: int = 256,
    n_workers: int | None = None,
) -> Iterator[FileResult]:
    """Run the pipeline on a Dask cluster; FileResults in input order (output identical to a
    local run).

    Raises ``DaskUnavailable`` (dask not installed) and configuration errors (``LayoutError``)
    at the call, before any cluster starts; ``DaskSchedulerError`` when ``scheduler`` cannot be
    reached, and ``DaskTaskError`` for a partition that fails on a worker, while iterating.
    """
    _check_partition_size(partition_size)
    modules = _import_dask()
    config = _portable_config(config)
    Context(config)  # configuration errors surface here, before a cluster starts
    return _flatten(_stream(modules, items, scheduler, partition_size, n_workers,
                            _results_task, (config,)))


def dask_write_parts(
    items: Iterable[Item],
    config: Config,
    out_dir: str,
    fmt: str,
    *,
    scheduler: str | None = None,
    partition_size: int = 256,
    n_workers: int | None = None,
    defuse_formulas: bool = True,
    storage_options: dict[str, Any] | None = None,
) -> Iterator[PartResult]:
    """Each partition writes its own part file out_dir/part-00000.<fmt> (fsspec: local paths,
    s3://, ...). Yields, per partition in order, a PartResult(path, records, results) where
    results are the partition's FileResults WITHOUT their records (names and problems only, so
    the client can report every file).

    Every part is complete in itself (a JSON part is a JSON array, a CSV part has its header).
    A local part is written to a temporary name and renamed; on object stores the upload at
    close is a single atomic PUT. A local ``out_dir`` is created when missing. No part is
    written for zero inputs, nor for a partition whose inputs all failed (its PartResult has
    ``path=None``): an empty part never replaces one an earlier run wrote. ``storage_options``
    go to ``fsspec`` (e.g. an S3 endpoint).
    """
    _check_partition_size(partition_size)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")
    modules = _import_dask()
    config = _portable_config(config)
    Context(config)
    options = dict(storage_options or {})
    root = _output_root(modules["fsspec"], out_dir, options)
    return _stream(modules, items, scheduler, partition_size, n_workers, _write_task,
                   (config, root, fmt, defuse_formulas, options))


#: A part file's name, as ``_write_task`` makes them (any output format).
PART_NAME = re.compile(rf"part-[0-9]{{5,}}\.(?:{'|'.join(FORMATS)})")


def remove_stale_parts(
    out_dir: str, written: Iterable[str], storage_options: dict[str, Any] | None = None,
    *, dry_run: bool = False,
) -> list[str]:
    """After a complete run into ``out_dir``: delete the part files an earlier run left there
    (``part-NNNNN.<jsonl|json|csv>`` not among ``written``, the paths this run's parts were
    written to), so that the folder holds this run's output and nothing else. Other files are
    never touched. Returns the paths removed (with ``dry_run``: that would be), sorted."""
    modules = _import_dask()
    options = dict(storage_options or {})
    fs, root = modules["fsspec"].core.url_to_fs(out_dir, **options)
    keep = {posixpath.basename(str(path)) for path in written}
    try:
        listed = fs.ls(root, detail=True)
    except FileNotFoundError:  # nothing was written and the folder was never made
        return []
    stale = sorted(str(entry["name"]) for entry in listed
                   if entry.get("type") == "file"
                   and PART_NAME.fullmatch(name := posixpath.basename(str(entry["name"])))
                   and name not in keep)
    if not dry_run:
        for path in stale:
            fs.rm(path)
    return stale


# --- client side ------------------------------------------------------------------------------


def _check_partition_size(partition_size: int) -> None:
    if partition_size < 1:
        raise ValueError(f"partition_size must be at least 1, not {partition_size}")


def _import_dask() -> dict[str, Any]:
    try:
        import dask  # noqa: F401
        import distributed
        import fsspec
    except ImportError:
        raise DaskUnavailable() from None
    return {"distributed": distributed, "fsspec": fsspec}


def _default_workers() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _absolute(path: str) -> str:
    return os.path.abspath(path) if os.path.exists(path) else path


def _portable_config(config: Config) -> Config:
    """``config`` with local paths made absolute, so workers with another working folder
    read the same files (records do not depend on these paths)."""
    return dataclasses.replace(
        config,
        layout_paths=tuple(_absolute(p) for p in config.layout_paths),
        lexicon_path=_absolute(config.lexicon_path) if config.lexicon_path else None,
    )


def _portable(item: Item) -> Item:
    """A file-backed source with an absolute path (its ``name``, used in records, is kept)."""
    if isinstance(item, Source) and item.data is None and item.path is not None:
        absolute = os.path.abspath(item.path)
        if absolute != item.path:
            return Source(item.name, path=absolute)
    return item


def _output_root(fsspec: Any, out_dir: str, options: dict[str, Any]) -> str:
    """``out_dir`` as workers should see it: an absolute local path, or a full URL."""
    fs, root = fsspec.core.url_to_fs(out_dir, **options)
    if _is_local(fs):
        return root.rstrip("/") or "/"
    return str(fs.unstrip_protocol(root.rstrip("/")))


def _is_local(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


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
        n_workers=n_workers or _default_workers(), threads_per_worker=1, processes=True,
        dashboard_address=":0", silence_logs=logging.WARNING)
    try:
        client = distributed.Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _flatten(parts: Iterator[list[FileResult]]) -> Iterator[FileResult]:
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
    while batch := [_portable(item) for item in itertools.islice(iterator, size)]:
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
            partition=index, first_source=first) from exc


# --- worker side ------------------------------------------------------------------------------


#: Contexts built in this (worker) process, by configuration.
_CONTEXTS: dict[Config, Context] = {}
_MAX_CONTEXTS = 4


def _context(config: Config) -> Context:
    ctx = _CONTEXTS.get(config)
    if ctx is None:
        if len(_CONTEXTS) >= _MAX_CONTEXTS:
            _CONTEXTS.clear()
        ctx = _CONTEXTS[config] = Context(config)
    return ctx


def _process_batch(batch: list[Item], config: Config) -> list[FileResult]:
    # process() turns any failure of an input, bugs included, into a problem of that input,
    # as in a local run; what still fails here (a dead worker) reaches _fetch on the client.
    ctx = _context(config)
    return [process(item, ctx) for item in batch]


def _results_task(index: int, batch: list[Item], config: Config) -> list[FileResult]:
    return _process_batch(batch, config)


def _write_task(
    index: int, batch: list[Item], config: Config, root: str, fmt: str, defuse: bool,
    options: dict[str, Any],
) -> PartResult:
    results = _process_batch(batch, config)
    path: str | None = f"{root.rstrip('/')}/part-{index:05d}.{fmt}"
    if any(r.records for r in results):
        count = _write_part(path, fmt, results, defuse, options)
    else:  # inputs that all failed: no empty part to replace a good one of an earlier run
        path, count = None, 0
    return PartResult(
        path, count,
        results=[FileResult(r.name, problems=r.problems) for r in results],
        record_warnings=[[list(rec["warnings"]) for rec in r.records] for r in results],
    )


def _write_part(
    path: str, fmt: str, results: list[FileResult], defuse: bool, options: dict[str, Any]
) -> int:
    """Write the records of ``results`` to ``path``, all or nothing; the number written."""
    import fsspec

    fs, fs_path = fsspec.core.url_to_fs(path, **options)
    if _is_local(fs):
        folder, name = os.path.split(fs_path)
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.tmp")
        try:
            with fsspec.open(tmp, "w", encoding="utf-8", newline="") as stream:
                count = _render(stream, fmt, results, defuse)
            os.replace(tmp, fs_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return count
    # Object stores: render first, then one upload at close (nothing partial is ever stored).
    buffer = io.StringIO(newline="")
    count = _render(buffer, fmt, results, defuse)
    with fsspec.open(path, "w", encoding="utf-8", newline="", **options) as stream:
        stream.write(buffer.getvalue())
    return count


def _render(stream: Any, fmt: str, results: list[FileResult], defuse: bool) -> int:
    writer = make_writer(fmt, stream, defuse_formulas=defuse)
    count = 0
    for result in results:
        for record in result.records:
            writer.write(record)
            count += 1
    writer.close()
    return count
