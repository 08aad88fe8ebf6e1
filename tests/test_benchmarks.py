"""The benchmark's own tools: the corpus generator is deterministic, the floor writes what it
says, ``ingest`` reads every generated file, and the per-stage timer covers every stage.

Nothing here is timed: speed lives in ``benchmarks/`` (``make bench``), never in a unit test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import floor
import generate
import stages


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.txt"))}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("syn") / "c"
    generate.generate(120, folder, seed=7)
    return folder


def test_generator_is_deterministic_and_each_file_depends_only_on_its_index(
    corpus: Path, tmp_path: Path
) -> None:
    again, prefix, other = tmp_path / "a", tmp_path / "p", tmp_path / "o"
    generate.generate(120, again, seed=7)
    generate.generate(50, prefix, seed=7)
    generate.generate(50, other, seed=8)
    files = _files(corpus)
    assert len(files) == 120
    assert _files(again) == files
    assert _files(prefix) == {k: v for k, v in files.items() if int(Path(k).name[:6]) < 50}
    assert _files(other) != _files(prefix)
    assert len(set(files.values())) == 120  # no two files alike
    # nested 100 files a folder: files 0-99 in 00/00, 100-119 in 00/01
    assert sorted({str(Path(k).parent) for k in files}) == ["00/00", "00/01"]


def test_generator_refuses_a_non_empty_folder(corpus: Path) -> None:
    with pytest.raises(FileExistsError):
        generate.generate(1, corpus, seed=7)


def test_floor_writes_one_json_line_per_file_in_ingest_order(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "floor.jsonl"
    assert floor.main(str(corpus), str(out)) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["path"] for r in rows] == [str(corpus / k) for k in _files(corpus)]
    assert rows[3]["text"] == (corpus / Path(rows[3]["path"]).relative_to(corpus)).read_text(
        encoding="utf-8")


def test_every_generated_file_gives_one_complete_record(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "news_ingest", str(corpus), "--out", str(out), "-j", "2", "-q"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 120
    assert all(r["layout"] == "aggregator" for r in records)
    assert all(r["title"] and r["body"] and r["date"] and r["outlet"] for r in records)
    assert sum(bool(r["tags"]) for r in records) > 90
    assert sum(bool(r["read_also"]) for r in records) > 60


def test_stages_times_every_stage_of_every_file(corpus: Path) -> None:
    rows = dict(stages.measure(str(corpus), files=40))
    assert list(rows) == [
        "floor: read", "floor: decode", "floor: json.dumps", "clean lines", "detect layout",
        "parse (layout rules)", "normalise (all)", "  of which: tags", "  of which: date",
        "  of which: read-also items", "encode record (jsonl)"]
    assert all(us > 0 for us in rows.values())
