"""Dask engine: the same ``process`` on a Dask cluster gives exactly the local run's results,
in input order, streamed back or written as self-contained part files; the cluster it starts
is closed however the consumer stops, and a worker bug surfaces on the client."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from news_ingest.errors import ExtraMissing, IngestError, UnknownFormat
from news_ingest.executors import EngineOptions, get_executor, parts
from news_ingest.executors import dask as dask_engine
from news_ingest.executors.local import iter_results
from news_ingest.executors.parts import PartResult
from news_ingest.export import make_writer
from news_ingest.pipeline import Config
from news_ingest.report import FileOutcome, Report
from news_ingest.sources import Source, SourceProblem, iter_sources

from .conftest import SEEDS, needs_dask

SEED_PATHS = [str(p) for p in sorted(SEEDS.glob("*.txt"))]


def dask_results(items: Any, config: Config, *, scheduler: str | None = None,
                 partition_size: int = 256, n_workers: int = 1) -> Iterator[Any]:
    engine = get_executor("dask", EngineOptions(n_workers, scheduler, partition_size))
    return engine.results(items, config)


def dask_write_parts(items: Any, config: Config, out_dir: str, fmt: str, *,
                     scheduler: str | None = None, partition_size: int = 256) -> Iterator[Any]:
    engine = get_executor("dask", EngineOptions(1, scheduler, partition_size))
    return engine.write_parts(items, config, out_dir, fmt)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    import distributed

    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=":0", silence_logs=logging.WARNING) as c:
        yield c


def mixed_items(tmp_path: Path) -> list[Source | SourceProblem]:
    """Seeds, a missing path, an empty file, and an input held in memory (like stdin)."""
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    paths = [*SEED_PATHS, str(tmp_path / "missing.txt"), str(empty)]
    items = list(iter_sources(paths))
    items.append(Source("-", data=Path(SEED_PATHS[1]).read_bytes()))
    return items


def render(fmt: str, records: list[dict[str, Any]]) -> str:
    stream = io.StringIO(newline="")
    writer = make_writer(fmt, stream)
    for record in records:
        writer.write(record)
    writer.close()
    return stream.getvalue()


def scheduler_tasks(address: str) -> int:
    import distributed

    with distributed.Client(address, set_as_default=False) as client:
        return int(client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)))


# --- on a running cluster (scheduler=...) -------------------------------------------------------


@pytest.mark.slow
@needs_dask
def test_results_equal_a_local_run(cluster: Any, tmp_path: Path) -> None:
    items = mixed_items(tmp_path)
    expected = list(iter_results(items, Config(), jobs=1))
    assert any(r.problems for r in expected) and any(r.records for r in expected)  # both kinds

    got = list(dask_results(items, Config(), scheduler=cluster.scheduler_address,
                            partition_size=2))

    assert [r.name for r in got] == [i.name for i in items]  # 8 inputs: 4 partitions, in order
    assert got == expected
    missing = got[len(SEED_PATHS)]
    assert missing.problems[0].reason == "no such file or folder" and not missing.records


@pytest.mark.slow
@needs_dask
def test_write_parts_jsonl_concatenate_to_the_local_output(cluster: Any, tmp_path: Path) -> None:
    items = mixed_items(tmp_path)
    expected = list(iter_results(items, Config(), jobs=1))
    out = tmp_path / "out"

    parts = list(dask_write_parts(items, Config(), str(out), "jsonl",
                                  scheduler=cluster.scheduler_address, partition_size=2))

    names = [f"part-{i:05d}.jsonl" for i in range(4)]
    assert sorted(os.listdir(out)) == names  # no temporary file left behind
    assert [p.path for p in parts] == [str(out / n) for n in names]
    text = "".join((out / n).read_text(encoding="utf-8") for n in names)
    assert text == render("jsonl", [rec for r in expected for rec in r.records])
    assert [p.records for p in parts] == [
        sum(len(r.records) for r in expected[i:i + 2]) for i in range(0, 8, 2)]
    # The client gets every file back, without records: its problems and counts.
    outcomes = [o for p in parts for o in p.outcomes]
    assert outcomes == [FileOutcome.of(r) for r in expected]
    local, remote = Report(), Report()
    for result in expected:
        local.add(result)
    for outcome in outcomes:
        remote.add(outcome)
    assert remote == local and remote.records == sum(p.records for p in parts)


@pytest.mark.slow
@needs_dask
def test_write_parts_json_each_part_is_an_array(cluster: Any, tmp_path: Path) -> None:
    items = list(iter_sources(SEED_PATHS))
    expected = [rec for r in iter_results(items, Config(), jobs=1) for rec in r.records]

    parts = list(dask_write_parts(items, Config(), str(tmp_path), "json",
                                  scheduler=cluster.scheduler_address, partition_size=2))

    assert [Path(p.path).name for p in parts] == [f"part-{i:05d}.json" for i in range(3)]
    arrays = [json.loads(Path(p.path).read_text(encoding="utf-8")) for p in parts]
    assert all(isinstance(a, list) for a in arrays)
    assert [len(a) for a in arrays] == [p.records for p in parts] == [2, 2, 1]
    assert [rec for a in arrays for rec in a] == expected


@pytest.mark.slow
@needs_dask
def test_relative_paths_and_scattered_bytes_reach_the_workers(
    cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client's working folder is not the workers'; names stay as the user gave them.
    monkeypatch.chdir(SEEDS)
    monkeypatch.setattr(dask_engine, "SCATTER_BYTES", 1)  # every in-memory batch is scattered
    names = sorted(os.listdir("."))[:3]
    items: list[Source | SourceProblem] = [Source(n, path=n) for n in names]
    items.append(Source("archive.zip!a.txt", data=Path(names[0]).read_bytes()))
    expected = list(iter_results(items, Config(), jobs=1))

    got = list(dask_results(items, Config(), scheduler=cluster.scheduler_address,
                            partition_size=2))

    assert got == expected
    assert [r.records[0]["source_file"] for r in got] == [*names, "archive.zip!a.txt"]


@pytest.mark.slow
@needs_dask
def test_a_bug_in_one_input_costs_that_input_only(cluster: Any) -> None:
    # A Source with neither path nor data trips an assertion inside process(): a bug, not bad
    # input. As in a local run, it becomes an 'internal' problem of that input; the rest of the
    # partition and of the run still comes out.
    items = [*iter_sources(SEED_PATHS[:3]), Source("broken-item")]
    results = list(dask_results(items, Config(), scheduler=cluster.scheduler_address,
                                partition_size=2))
    assert results == list(iter_results(items, Config(), jobs=1))
    assert [len(r.records) for r in results] == [1, 1, 1, 0]
    (problem,) = results[3].problems
    assert problem.stage == "internal" and "AssertionError" in problem.reason


@pytest.mark.slow
@needs_dask
def test_early_stop_on_a_running_cluster_leaves_no_task(cluster: Any) -> None:
    items = list(iter_sources(SEED_PATHS * 20))  # 100 inputs, 100 partitions

    results = dask_results(items, Config(), scheduler=cluster.scheduler_address,
                           partition_size=1)
    assert next(results).name == SEED_PATHS[0]
    results.close()

    deadline = time.monotonic() + 10
    while scheduler_tasks(cluster.scheduler_address) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert scheduler_tasks(cluster.scheduler_address) == 0
    assert len(cluster.scheduler_info["workers"]) == 2  # the cluster itself is left running


# --- a cluster of its own (scheduler=None) -----------------------------------------------------


class SpyCluster:
    """Records every LocalCluster the engine starts."""

    started: list[Any]

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import distributed

        self.started = []
        real = distributed.LocalCluster

        def make(*args: Any, **kwargs: Any) -> Any:
            cluster = real(*args, **kwargs)
            self.started.append((cluster, kwargs))
            return cluster

        monkeypatch.setattr(distributed, "LocalCluster", make)


@pytest.mark.slow
@needs_dask
def test_own_local_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = SpyCluster(monkeypatch)
    items = list(iter_sources(SEED_PATHS[:2]))

    got = list(dask_results(items, Config(), n_workers=1, partition_size=1))

    assert got == list(iter_results(items, Config(), jobs=1))
    ((cluster, kwargs),) = spy.started
    assert kwargs["n_workers"] == 1 and kwargs["threads_per_worker"] == 1
    assert kwargs["processes"] is True and kwargs["dashboard_address"] == ":0"
    assert cluster.status.name == "closed"


@pytest.mark.slow
@needs_dask
def test_early_stop_closes_its_own_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = SpyCluster(monkeypatch)
    items = list(iter_sources(SEED_PATHS * 4))

    results = dask_results(items, Config(), n_workers=1, partition_size=1)
    first = next(results)
    ((cluster, _),) = spy.started
    assert cluster.status.name == "running"
    results.close()  # no exception

    assert first.name == SEED_PATHS[0] and len(first.records) == 1
    assert cluster.status.name == "closed"


# --- without a cluster ---------------------------------------------------------------------------


def test_missing_dask_is_a_typed_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ExtraMissing) as info:
        dask_results([], Config())  # raised at the call, before any iteration
    assert info.value.stage == "config"
    assert (info.value.extra, info.value.what) == ("dask", "engine 'dask'")
    assert info.value.reason == (
        "engine 'dask' needs the dask extra: pip install 'news-ingest[dask]'")
    with pytest.raises(ExtraMissing):
        dask_write_parts([], Config(), "out", "jsonl")


def test_bad_arguments_fail_before_a_cluster_starts() -> None:
    with pytest.raises(ValueError, match="partition_size"):
        dask_results([], Config(), partition_size=0)
    with pytest.raises(UnknownFormat) as unknown:
        dask_write_parts([], Config(), "out", "xml")
    assert unknown.value.name == "xml" and "jsonl" in unknown.value.known
    with pytest.raises(IngestError, match="unknown layout 'nope'"):
        dask_results([], Config(layout="nope"))


def test_worker_context_is_built_once_per_config() -> None:
    parts._CONTEXTS.clear()
    a = parts.context_for(Config())
    assert parts.context_for(Config()) is a
    assert parts.context_for(Config(raw=True)) is not a
    assert len(parts._CONTEXTS) == 2


@needs_dask
def test_part_written_to_an_object_store_url() -> None:
    # The non-local branch (memory:// stands in for s3://), run in this process.
    import fsspec

    items = [*iter_sources(SEED_PATHS[:2]), SourceProblem("gone.txt", "no such file")]
    part = parts.write_part(7, items, Config(), "memory://bucket/run", "csv", True, {})

    assert isinstance(part, PartResult) and part.path == "memory://bucket/run/part-00007.csv"
    expected = list(iter_results(items, Config(), jobs=1))
    with fsspec.open(part.path, "r", encoding="utf-8", newline="") as fh:
        assert fh.read() == render("csv", [rec for r in expected for rec in r.records])
    assert part.records == 2
    assert [o.problems for o in part.outcomes] == [[], [], expected[2].problems]
    assert [o.count for o in part.outcomes] == [1, 1, 0]
    fsspec.filesystem("memory").rm("/bucket", recursive=True)


@needs_dask
def test_remove_stale_parts_removes_only_earlier_part_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl", "part-00003.jsonl",
                 "part-00002.csv", "part-00010.json", "notes.txt", "part-1.jsonl",
                 "part-00004.jsonl.bak", ".part-00005.jsonl.0123.tmp"]:
        (out / name).write_text("x", encoding="utf-8")
    (out / "part-00009.jsonl").mkdir()  # a folder with a part's name is not a part
    written = [f"{out}/part-00000.jsonl", f"{out}/part-00001.jsonl"]

    removed = parts.remove_stale_parts(str(out), written)

    assert [Path(p).name for p in removed] == [
        "part-00002.csv", "part-00002.jsonl", "part-00003.jsonl", "part-00010.json"]
    assert sorted(p.name for p in out.iterdir()) == [
        ".part-00005.jsonl.0123.tmp", "notes.txt", "part-00000.jsonl", "part-00001.jsonl",
        "part-00004.jsonl.bak", "part-00009.jsonl", "part-1.jsonl"]
    assert parts.remove_stale_parts(str(tmp_path / "never-made"), []) == []


@needs_dask
def test_remove_stale_parts_on_an_object_store() -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    for name in ["part-00000.csv", "part-00001.csv", "keep.me"]:
        with fs.open(f"/stale-bucket/run/{name}", "w") as fh:
            fh.write("x")
    removed = parts.remove_stale_parts("memory://stale-bucket/run",
                                             ["memory://stale-bucket/run/part-00000.csv"])
    assert [p.rsplit("/", 1)[1] for p in removed] == ["part-00001.csv"]
    assert sorted(p.rsplit("/", 1)[1] for p in fs.ls("/stale-bucket/run", detail=False)) == [
        "keep.me", "part-00000.csv"]
    fs.rm("/stale-bucket", recursive=True)


def test_a_partition_whose_inputs_all_failed_writes_no_part(tmp_path: Path) -> None:
    items = [SourceProblem("gone.txt", "no such file"), Source("empty.txt", data=b"  \n")]
    part = parts.write_part(0, items, Config(), str(tmp_path), "jsonl", True, {})
    assert part.path is None and part.records == 0
    assert [len(o.problems) for o in part.outcomes] == [1, 1]
    assert list(tmp_path.iterdir()) == []


def test_a_partition_that_fails_on_the_cluster_is_one_line_with_the_traceback_kept() -> None:
    class Failed:
        def result(self) -> None:
            raise ZeroDivisionError("division by zero")

    with pytest.raises(dask_engine.DaskTaskError) as caught:
        dask_engine._fetch(Failed(), 3, "dump/a.txt")
    error = caught.value
    assert str(error) == ("Dask partition 3 (first input 'dump/a.txt') failed on the cluster: "
                          "ZeroDivisionError: division by zero")
    assert (error.partition, error.first_source) == (3, "dump/a.txt")
    assert error.worker_traceback.startswith("Traceback (most recent call last):")
    assert error.worker_traceback.rstrip().endswith("ZeroDivisionError: division by zero")
