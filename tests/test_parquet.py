"""Parquet, the format registry's binary format: the records round-trip exactly, lists and
nested objects are Arrow lists and structs (so DuckDB, pandas and Hugging Face ``datasets``
read them with their types), the README's DuckDB example runs, and the part files of a Dask
run read as one dataset."""

from __future__ import annotations

import io
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from news_ingest.cli import main
from news_ingest.export import FORMATS, make_writer, read_records

from .conftest import SEEDS, needs_dask, needs_pyarrow

ROOT = SEEDS.parent


def ingest(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args] + ["-j", "1"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def seed_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seeds as JSON Lines and as Parquet (``--link-read-also``, so that some read-also
    items carry an ``id`` and others do not)."""
    folder = tmp_path_factory.mktemp("parquet")
    jsonl, parquet = folder / "articles.jsonl", folder / "articles.parquet"
    for out in (jsonl, parquet):
        ingest(SEEDS, "--link-read-also", "--out", out)
    return jsonl, parquet


@needs_pyarrow
def test_round_trip_equals_the_jsonl_records(seed_files: tuple[Path, Path]) -> None:
    import pyarrow.parquet as pq

    jsonl, parquet = seed_files
    records = read_records(jsonl.read_text("utf-8"), "jsonl")
    assert len(records) == 5 and any(r["read_also"] for r in records)
    assert read_records(parquet.read_bytes(), "parquet") == records
    # read back with pyarrow alone: the same values, an absent read-also id being null
    table = pq.read_table(parquet).to_pylist()
    for got, want in zip(table, records, strict=True):
        for item in got["read_also"]:
            if item["id"] is None:
                del item["id"]
        assert got == want


@needs_pyarrow
def test_lists_and_objects_are_arrow_lists_and_structs(seed_files: tuple[Path, Path]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(seed_files[1])
    assert schema.names == list(read_records(seed_files[0].read_text("utf-8"), "jsonl")[0])
    assert schema.field("tags").type == pa.list_(pa.string())
    assert schema.field("warnings").type == pa.list_(pa.string())
    read_also = schema.field("read_also").type
    assert pa.types.is_list(read_also) and pa.types.is_struct(read_also.value_type)
    assert [f.name for f in read_also.value_type] == ["id", "title", "outlet", "date", "body"]
    embeds = schema.field("embeds").type.value_type
    assert [f.name for f in embeds] == ["kind", "text", "url", "author", "handle", "date"]
    assert not schema.field("id").nullable and not schema.field("body").nullable
    assert schema.field("title").nullable and schema.field("date").nullable


@needs_pyarrow
def test_records_of_every_shape_round_trip() -> None:
    base = {"id": "0123456789abcdef", "source_file": "a.txt", "layout": "x", "doc_id": None,
            "url": None, "title": None, "date": None, "date_raw": None, "outlet": None,
            "sources": [], "site": None, "author": None, "category": None, "summary": None,
            "body": "", "tags": [], "tags_raw": None, "related": [], "read_also": [],
            "embeds": [], "photo_credit": None, "warnings": []}
    full = dict(base, title="عنوان", date="2024-01-02", tags=["أ", "ب"], warnings=["w: x"],
                read_also=[{"title": "t", "outlet": None, "date": None, "body": "b"},
                           {"title": "u", "outlet": "o", "date": "2023-01-01", "body": "",
                            "id": "fedcba9876543210"}],
                embeds=[{"kind": "tweet", "text": "x", "url": None, "author": None,
                         "handle": "@a", "date": None}])
    records = [base, full] * 3
    stream = io.BytesIO()
    writer = make_writer("parquet", stream)
    for record in records:
        writer.write(record)
    writer.close()
    assert read_records(stream.getvalue(), "parquet") == records


@needs_pyarrow
def test_the_readme_duckdb_example_runs(seed_files: tuple[Path, Path],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("duckdb")  # in the dev extra; a plain install has no DuckDB
    readme = (ROOT / "README.md").read_text("utf-8")
    (code,) = re.findall(r"```python\n(import duckdb\n.*?)```", readme, re.S)
    monkeypatch.chdir(seed_files[1].parent)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    records = read_records(seed_files[0].read_text("utf-8"), "jsonl")
    by_outlet = Counter(r["outlet"] for r in records)
    assert scope["outlets"] == sorted(by_outlet.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    assert scope["tags"] == [(r["id"], tag) for r in records for tag in r["tags"]]
    assert scope["read_also"] == [(r["id"], len(r["read_also"]), r["read_also"][0]["title"])
                                  for r in records if r["read_also"]]


@needs_pyarrow
@needs_dask
@pytest.mark.slow
def test_dask_part_files_read_as_one_dataset(seed_files: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    import pyarrow.dataset as ds

    stderr = ingest(SEEDS, "--engine", "dask", "--partition-size", "2", "--format", "parquet",
                    "--out", f"{tmp_path}/parts/")
    assert "5 records written" in stderr
    names = sorted(p.name for p in (tmp_path / "parts").iterdir())
    assert names == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    table = ds.dataset(tmp_path / "parts", format="parquet").to_table()
    records = read_records(seed_files[0].read_text("utf-8"), "jsonl")
    for record in records:  # a dask run without --link-read-also: no item has an id
        for item in record["read_also"]:
            item.pop("id", None)
    got = table.to_pylist()
    for record in got:
        for item in record["read_also"]:
            assert item.pop("id") is None
    assert got == records


def test_parquet_without_pyarrow_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    out = tmp_path / "articles.parquet"
    result = CliRunner().invoke(main, [str(SEEDS), "--out", str(out), "-j", "1"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: --format parquet needs the parquet extra: pip install 'news-ingest[parquet]'"]
    assert not out.exists()


def test_the_registry_knows_parquet_as_binary() -> None:
    fmt = FORMATS["parquet"]
    assert (fmt.extension, fmt.binary, fmt.encoder, fmt.extra) == (
        ".parquet", True, None, "parquet")
