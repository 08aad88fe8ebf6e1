"""The command line through click's CliRunner: stdin, stdout, --out, --format, exit codes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from news_ingest.cli import main
from news_ingest.export import read_records

from .conftest import SEEDS

SEED_FILES = sorted(SEEDS.glob("*.txt"))


def invoke(args: list[str], stdin: bytes | None = None):
    runner = CliRunner()
    return runner.invoke(main, args, input=stdin, catch_exceptions=False)


def test_directory_to_stdout_is_jsonl_in_sorted_order() -> None:
    result = invoke([str(SEEDS), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source_file"] for r in records] == [str(p) for p in SEED_FILES]
    assert "5 files: 4 parsed, 1 with warnings, 0 failed; 5 records written" in result.stderr
    # stdout carries data only; Arabic is written as UTF-8, not \\u escapes
    assert "\\u0" not in result.stdout and "الكرملين" in result.stdout


def test_stdin_dash(tmp_path: Path) -> None:
    data = SEED_FILES[0].read_bytes()
    result = invoke(["-", "-j", "1"], stdin=data)
    assert result.exit_code == 0
    (rec,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert rec["source_file"] == "-" and rec["outlet"] == "RT Arabic"


@pytest.mark.parametrize("suffix,fmt", [(".jsonl", "jsonl"), (".json", "json"), (".csv", "csv")])
def test_out_picks_format_from_extension(tmp_path: Path, suffix: str, fmt: str) -> None:
    out = tmp_path / f"articles{suffix}"
    result = invoke([str(SEEDS), "--out", str(out), "-j", "1"])
    assert result.exit_code == 0
    assert result.stdout == ""
    records = read_records(out.read_text(encoding="utf-8"), fmt)
    assert len(records) == 5
    assert records[0]["sources"] == ["نوفوستي", "RT Arabic"]


def test_format_overrides_extension_and_csv_to_stdout() -> None:
    result = invoke([str(SEED_FILES[0]), "--format", "csv", "--out", "-"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("id,source_file,layout,doc_id,url,title,date")
    (rec,) = read_records(result.stdout, "csv")
    assert rec["tags"] == ["دميتري بيسكوف", "وسائل الاعلام"]


def test_unknown_extension_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke([str(SEEDS), "--out", str(tmp_path / "x.xml")])
    assert result.exit_code == 2
    assert "cannot tell the format" in result.stderr


def test_no_inputs_is_a_usage_error() -> None:
    result = invoke([])
    assert result.exit_code == 2
    assert "no INPUTS" in result.stderr


def test_some_files_fail_exit_1_and_the_rest_is_written(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_bytes(SEED_FILES[0].read_bytes())
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "junk.txt").write_text("hello\nworld\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = invoke([str(tmp_path), "--out", str(out), "-j", "1"])
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'empty.txt'}: holds no text" in result.stderr
    assert f"error: {tmp_path / 'junk.txt'}: no line reads as article text" in result.stderr
    records = read_records(out.read_text(encoding="utf-8"), "jsonl")
    assert [r["source_file"] for r in records] == [str(tmp_path / "good.txt")]
    assert "3 files: 1 parsed, 0 with warnings, 2 failed; 1 record written" in result.stderr


def test_strict_fails_on_warnings() -> None:
    seed004 = str(SEED_FILES[4])
    assert invoke([seed004]).exit_code == 0
    assert invoke([seed004, "--strict"]).exit_code == 1


def test_schema_is_printed() -> None:
    result = invoke(["--schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "title" in schema["required"]


def test_list_layouts_names_origin() -> None:
    result = invoke(["--list-layouts"])
    assert result.exit_code == 0
    names = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert names == ["aggregator", "generic", "russia-islamic-world", "trec"]
    assert "packaged:aggregator.yaml" in result.stdout


def test_forced_unknown_layout_is_a_configuration_error() -> None:
    result = invoke([str(SEEDS), "--layout", "nope"])
    assert result.exit_code == 2
    assert "unknown layout 'nope'" in result.stderr


def test_raw_shows_parser_output() -> None:
    result = invoke([str(SEED_FILES[3]), "--raw"])
    assert result.exit_code == 0
    raw = json.loads(result.stdout)
    assert raw["fields"]["date"] == ["25th, January 2024 GMT"]
    assert len(raw["related"]) == 3


def test_jobs_2_output_identical_to_jobs_1(worker_pool: None) -> None:
    one = invoke([str(SEEDS), "-j", "1"]).stdout
    two = invoke([str(SEEDS), "-j", "2"]).stdout
    assert one == two and one.count("\n") == 5


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_worker_encoded_output_equals_whole_record_output(tmp_path: Path, fmt: str) -> None:
    """Workers encode records unless the run needs them whole (--near-dupes): same bytes."""
    encoded = invoke([str(SEEDS), "-f", fmt, "-j", "2"]).stdout
    whole = invoke([str(SEEDS), "-f", fmt, "-j", "1", "--near-dupes", "0.9"]).stdout
    assert encoded == whole and len(encoded) > 1000


def test_progress_bar_counts_files_of_total(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from news_ingest import terminal as cli
    from news_ingest.pipeline import FileResult
    from news_ingest.sources import count_inputs

    monkeypatch.setattr(cli, "PROGRESS_AFTER_SECONDS", -1.0)
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    total = count_inputs([str(SEEDS)])
    assert total == 5
    results = [FileResult(f"f{i}", records=[{"warnings": []}]) for i in range(total)]
    out = list(cli.with_progress(iter(results), lambda stop=None: total, console))
    assert out == results  # the bar passes every result on, in order
    assert "ingesting" in screen.getvalue() and "5/5" in screen.getvalue()


def test_progress_bar_runs_before_the_inputs_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    # Listing a big compressed archive takes as long as reading it: the run does not wait for
    # the count. The bar shows done/? until the count comes, then done/total.
    import io
    import threading
    import time

    from rich.console import Console

    from news_ingest import terminal as cli
    from news_ingest.pipeline import FileResult

    monkeypatch.setattr(cli, "PROGRESS_AFTER_SECONDS", -1.0)
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    release = threading.Event()
    counted = threading.Event()

    def slow_count(stop: threading.Event | None = None) -> int:
        release.wait(10)
        counted.set()
        return 6

    def results():
        for i in range(6):
            if i == 3:
                assert "/?" in screen.getvalue()  # no total yet, and the run goes on
                release.set()
                counted.wait(10)
                time.sleep(0.2)  # let the counting thread hand over its answer
            yield FileResult(f"f{i}", records=[{"warnings": []}])

    out = list(cli.with_progress(results(), slow_count, console))
    assert [r.name for r in out] == [f"f{i}" for i in range(6)]
    assert "6/6" in screen.getvalue()


def test_the_count_stops_when_the_run_ends(tmp_path: Path) -> None:
    import threading

    from news_ingest import terminal as cli
    from news_ingest.pipeline import FileResult
    from news_ingest.sources import CountStopped, count_inputs

    stopped = threading.Event()

    def endless_count(stop: threading.Event) -> int:
        stop.wait(10)  # a huge archive being listed
        stopped.set()
        return 1

    results = [FileResult("a"), FileResult("b")]
    assert list(cli.with_progress(iter(results), endless_count)) == results
    assert stopped.is_set()  # told to stop, and done, by the time the results are through

    stop = threading.Event()
    stop.set()
    with pytest.raises(CountStopped):
        count_inputs([str(SEEDS)], stop=stop)
    assert count_inputs([str(SEEDS)], stop=threading.Event()) == 5


def test_count_inputs_lists_archives(tmp_path: Path) -> None:
    import tarfile

    from news_ingest.sources import count_inputs, iter_sources

    archive = tmp_path / "dump.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for path in SEED_FILES:
            tf.add(path, arcname=f"d/{path.name}")
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    assert count_inputs([str(tmp_path)]) == 6 == len(list(iter_sources([str(tmp_path)])))


def test_gzipped_members_of_archives_and_upper_case_names(tmp_path: Path) -> None:
    import gzip
    import tarfile

    seed = SEED_FILES[0]
    (tmp_path / "a.TXT.GZ").write_bytes(gzip.compress(seed.read_bytes()))
    member = tmp_path / "m.txt.gz"
    member.write_bytes(gzip.compress(seed.read_bytes()))
    with tarfile.open(tmp_path / "dump.tar", "w") as tf:
        tf.add(member, arcname="inner/m.txt.gz")
    member.unlink()
    result = invoke([str(tmp_path), "-j", "1"])
    assert result.exit_code == 0, result.stderr
    names = [json.loads(line)["source_file"] for line in result.stdout.splitlines()]
    assert names == [str(tmp_path / "a.TXT.GZ"), f"{tmp_path / 'dump.tar'}!inner/m.txt.gz"]
    titles = {json.loads(line)["title"] for line in result.stdout.splitlines()}
    assert len(titles) == 1


def test_a_small_run_starts_no_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    from news_ingest.executors import local

    monkeypatch.setattr(local, "POOL_MIN_INPUTS", 500)

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started for 5 inputs")

    monkeypatch.setattr(multiprocessing, "get_context", no_pool)
    small = invoke([str(SEEDS), "-j", "2"])
    assert small.exit_code == 0 and small.stdout.count("\n") == 5


class _DyingSource:
    """An input whose reading kills the worker process outright (as the OOM killer would)."""

    name = "dying.txt"

    def read(self, max_bytes: int = 0) -> bytes:
        os._exit(3)


def test_a_worker_that_dies_is_a_clear_error_and_no_worker_is_left(worker_pool: None) -> None:
    import multiprocessing

    from news_ingest.executors.local import WorkerError, iter_results
    from news_ingest.pipeline import Config
    from news_ingest.sources import Source

    items = [Source(str(p), path=str(p)) for p in SEED_FILES * 20] + [_DyingSource()]
    with pytest.raises(WorkerError, match=r"worker process \d of 2 died"):
        list(iter_results(items, Config(), jobs=2, chunksize=4))
    assert multiprocessing.active_children() == []


def test_stopping_early_ends_the_workers(worker_pool: None) -> None:
    import multiprocessing

    from news_ingest.executors.local import iter_results
    from news_ingest.pipeline import Config
    from news_ingest.sources import Source

    items = [Source(str(p), path=str(p)) for p in SEED_FILES * 40]
    results = iter_results(items, Config(), jobs=2, chunksize=4)
    assert next(results).name == str(SEED_FILES[0])
    assert len(multiprocessing.active_children()) >= 2
    results.close()
    assert multiprocessing.active_children() == []


def test_every_option_has_help_and_is_documented_in_the_readme() -> None:
    readme = (SEEDS.parent / "README.md").read_text(encoding="utf-8")
    table = [line for line in readme.splitlines() if line.startswith("| `-")]
    for param in main.params:
        if not isinstance(param, click.Option) or param.name in ("help", "version"):
            continue
        assert param.help, param.name
        names = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]
        assert any(re.search(rf"{n}\b", line) for n in names for line in table), names


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_out_ending_in_gz_is_gzip_of_the_plain_output(tmp_path: Path, fmt: str) -> None:
    import gzip

    plain = tmp_path / f"o.{fmt}"
    packed = tmp_path / f"o.{fmt}.gz"
    again = tmp_path / f"again.{fmt}.gz"
    for out in (plain, packed, again):
        result = invoke([str(SEEDS), "--out", str(out), "-j", "2"])
        assert result.exit_code == 0, result.stderr
    data = packed.read_bytes()
    assert data[:2] == b"\x1f\x8b" and len(data) < len(plain.read_bytes()) / 2
    assert gzip.decompress(data) == plain.read_bytes()
    assert again.read_bytes() == data  # no time stamp in the header: same input, same bytes
    assert data[8] == 0  # XFL: neither level 9 (2) nor level 1 (4); we write level 6
    upper = tmp_path / f"O.{fmt.upper()}.GZ"  # the format and gzip read the name alike
    assert invoke([str(SEEDS), "--out", str(upper), "-j", "1"]).exit_code == 0
    assert gzip.decompress(upper.read_bytes()) == plain.read_bytes()
