"""Export stage: records -> a text stream, in JSON Lines (default), JSON or CSV.

Writers are keyed by format name and write to a stream they are handed; opening files, atomic
replacement and compression belong to the caller (``pipeline.open_output``). Arabic is written
as UTF-8, never as ``\\u`` escapes. Readers for each format live here too, so round trips are
tested against the same code.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, Protocol, TextIO

from .model import NULLABLE_KEYS, RECORD_KEYS, STRUCTURED_KEYS

FORMATS = ("jsonl", "json", "csv")

#: First characters that make a spreadsheet treat a cell as a formula (OWASP's list), and the
#: quote we put in front, which is itself escaped so that reading back is exact.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


class Writer(Protocol):
    def write(self, record: dict[str, Any]) -> None: ...
    def write_encoded(self, text: str) -> None: ...
    def close(self) -> None: ...


def encode_record(fmt: str, record: dict[str, Any], defuse_formulas: bool = True) -> str:
    """One record as the text its writer would write (without separators), so that worker
    processes can do the encoding and the writing process only copies text."""
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(
            [csv_cell(k, record.get(k), defuse_formulas) for k in RECORD_KEYS])
        return buffer.getvalue()
    return dumps(record)


def format_for_path(path: str) -> str | None:
    """Format implied by a file name: 'out.json.gz' -> 'json'; None when unknown."""
    name = path.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    if name.endswith(".ndjson"):
        return "jsonl"
    return None


def dumps(record: dict[str, Any]) -> str:
    """One record as compact JSON, UTF-8 text kept as is."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


class JsonLinesWriter:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, record: dict[str, Any]) -> None:
        self.write_encoded(dumps(record))

    def write_encoded(self, text: str) -> None:
        self.stream.write(text + "\n")

    def close(self) -> None:
        pass


class JsonWriter:
    """A JSON array written one element at a time (memory does not grow with the run)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        self.write_encoded(dumps(record))

    def write_encoded(self, text: str) -> None:
        self.stream.write(("[\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def close(self) -> None:
        self.stream.write("[]\n" if self.count == 0 else "\n]\n")


def csv_cell(key: str, value: Any, defuse: bool = True) -> str:
    """A record value as a CSV cell: lists/objects JSON-encoded, null empty, formulas defused."""
    if key in STRUCTURED_KEYS:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if value is None:
        return ""
    text = str(value)
    if defuse and text.startswith(FORMULA_START):
        return "'" + text
    return text


class CsvWriter:
    def __init__(self, stream: TextIO, defuse_formulas: bool = True) -> None:
        self.stream = stream
        self.writer = csv.writer(stream, lineterminator="\r\n")
        self.writer.writerow(RECORD_KEYS)
        self.defuse = defuse_formulas

    def write(self, record: dict[str, Any]) -> None:
        self.write_encoded(encode_record("csv", record, self.defuse))

    def write_encoded(self, text: str) -> None:
        self.stream.write(text)

    def close(self) -> None:
        pass


def make_writer(fmt: str, stream: TextIO, *, defuse_formulas: bool = True) -> Writer:
    """The writer for ``fmt`` ('jsonl', 'json' or 'csv') on ``stream``."""
    if fmt == "jsonl":
        return JsonLinesWriter(stream)
    if fmt == "json":
        return JsonWriter(stream)
    if fmt == "csv":
        return CsvWriter(stream, defuse_formulas)
    raise ValueError(f"unknown format '{fmt}' (expected one of {', '.join(FORMATS)})")


# --- readers (round trips, tooling) -----------------------------------------------------------


def read_jsonl(stream: TextIO) -> Iterator[dict[str, Any]]:
    for line in stream:
        if line.strip():
            yield json.loads(line)


def read_json(stream: TextIO) -> list[dict[str, Any]]:
    return json.load(stream)


def read_csv(stream: TextIO, defused: bool = True) -> Iterator[dict[str, Any]]:
    """Records back from CSV written by ``CsvWriter`` (types restored from the record schema)."""
    reader = csv.reader(stream)
    header = next(reader)
    for row in reader:
        record: dict[str, Any] = {}
        for key, cell in zip(header, row, strict=True):
            if key in STRUCTURED_KEYS:
                record[key] = json.loads(cell)
            elif cell == "" and key in NULLABLE_KEYS:
                record[key] = None
            elif defused and cell.startswith("'"):
                record[key] = cell[1:]
            else:
                record[key] = cell
        yield record


def read_records(text: str, fmt: str) -> list[dict[str, Any]]:
    """All records of an exported text (for tests and tools)."""
    stream = io.StringIO(text, newline="")
    if fmt == "jsonl":
        return list(read_jsonl(stream))
    if fmt == "json":
        return read_json(stream)
    return list(read_csv(stream))
