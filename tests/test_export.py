"""Writers: JSONL one object per line, JSON a valid array, CSV a header and one row per record
with list/object cells JSON-encoded; each round-trips the records unchanged."""

from __future__ import annotations

import csv
import io
import json

import pytest

from news_ingest.export import csv_cell, format_for_path, make_writer, read_records
from news_ingest.model import RECORD_KEYS
from news_ingest.pipeline import Config, Context, process
from news_ingest.sources import Source

from .conftest import SEEDS


def seed_records() -> list[dict]:
    ctx = Context(Config())
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        out.extend(process(Source(str(path), path=str(path)), ctx).records)
    return out


def write(records: list[dict], fmt: str, **kw) -> str:
    stream = io.StringIO(newline="")
    writer = make_writer(fmt, stream, **kw)
    for rec in records:
        writer.write(rec)
    writer.close()
    return stream.getvalue()


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_round_trip(fmt: str) -> None:
    records = seed_records()
    assert read_records(write(records, fmt), fmt) == records


def test_jsonl_is_one_object_per_line_in_utf8() -> None:
    text = write(seed_records(), "jsonl")
    lines = text.splitlines()
    assert len(lines) == 5
    assert all(json.loads(line)["id"] for line in lines)
    assert "\\u06" not in text


def test_json_is_a_valid_array_even_when_empty() -> None:
    assert json.loads(write([], "json")) == []
    assert len(json.loads(write(seed_records(), "json"))) == 5


def test_csv_header_rows_and_json_cells() -> None:
    text = write(seed_records(), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == RECORD_KEYS
    assert len(rows) == 6
    sources = rows[1][RECORD_KEYS.index("sources")]
    assert json.loads(sources) == ["نوفوستي", "RT Arabic"]


@pytest.mark.parametrize("value", ["=SUM(A1)", "+1", "-2", "@cmd", "'quoted", "\tx"])
def test_csv_defuses_formulas_and_reads_them_back(value: str) -> None:
    assert csv_cell("title", value) == "'" + value
    assert csv_cell("title", value, defuse=False) == value
    rec = dict(seed_records()[0], title=value)
    assert read_records(write([rec], "csv"), "csv")[0]["title"] == value


def test_format_for_path() -> None:
    assert format_for_path("a.JSONL") == "jsonl"
    assert format_for_path("a.json.gz") == "json"
    assert format_for_path("a.csv") == "csv"
    assert format_for_path("a.txt") is None
