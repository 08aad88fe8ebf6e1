"""Export stage: records -> a stream, in a format looked up by name in ``FORMATS``.

A ``Format`` is everything the rest of the tool knows about one output format: its name and
file extensions, whether it writes bytes or UTF-8 text, its writer, its encoder (one record as
the text its writer would write, so worker processes can encode records and the writing
process only copies text), its reader (round trips are tested against the same code), and the
optional extra it needs. The CLI's choices and messages, part-file names and ``read_records``
derive from the registry: adding a format is one ``register(Format(...))`` here.

Writers write to a stream they are handed, as ``WriteOptions`` say (formulas defused in CSV,
which record keys, a byte-order mark); opening files, atomic replacement and compression
belong to the caller (``output.open_output``). Arabic is written as UTF-8, never as ``\\u``
escapes. Parquet (``pip install 'news-ingest[parquet]'``) keeps lists and nested objects as
Arrow lists and structs, with a schema derived from ``model.Article``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol, get_args, get_origin, is_typeddict, runtime_checkable

from .errors import ExtraMissing, UnknownFormat, UnknownName
from .model import NULLABLE_KEYS, RECORD_KEYS, STRUCTURED_KEYS, base_type, key_types, nullable

#: First characters that make a spreadsheet treat a cell as a formula (OWASP's list), and the
#: quote we put in front, which is itself escaped so that reading back is exact.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass(frozen=True)
class WriteOptions:
    """How a writer writes records: ``defuse_formulas`` (CSV cells a spreadsheet would run are
    quoted), ``keys`` (the record keys written, in this order; None: all of ``RECORD_KEYS``),
    ``bom`` (a UTF-8 byte-order mark first, so that Excel reads the text as UTF-8; CSV only)."""

    defuse_formulas: bool = True
    keys: tuple[str, ...] | None = None
    bom: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return RECORD_KEYS if self.keys is None else self.keys

    def select(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with only ``keys``, in their order (the record itself when all)."""
        if self.keys is None:
            return record
        return {key: record.get(key) for key in self.keys}


class UnknownField(UnknownName):
    """A record key asked for that records do not have."""

    what = "field"


def check_fields(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The record keys asked for, each once, in the order asked; ``UnknownField`` for a key
    records do not have. ``('title', 'id', 'title')`` -> ``('title', 'id')``."""
    for key in keys:
        if key not in RECORD_KEYS:
            raise UnknownField(key, list(RECORD_KEYS))
    return tuple(dict.fromkeys(keys))


class Writer(Protocol):
    def write(self, record: dict[str, Any]) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class TextWriter(Writer, Protocol):
    def write_encoded(self, text: str) -> None: ...


@dataclass(frozen=True)
class Format:
    """One output format, as the registry knows it."""

    name: str
    #: File name endings that imply it; the first is the one part files get.
    extensions: tuple[str, ...]
    #: ``stream, WriteOptions`` -> a writer (the stream is binary when ``binary``).
    writer: Callable[[Any, WriteOptions], Writer]
    #: A stream (binary when ``binary``, else text opened with ``newline=""``) -> its records.
    reader: Callable[[Any], Iterator[dict[str, Any]]]
    #: ``record, WriteOptions`` -> the text the writer writes for it (None: the writer needs
    #: the records themselves, and worker processes send them whole).
    encoder: Callable[[dict[str, Any], WriteOptions], str] | None = None
    binary: bool = False
    #: Writes any JSON object (``--raw``'s parser output), not only records of ``RECORD_KEYS``.
    any_shape: bool = True
    #: The optional extra that brings what it needs (``pip install 'news-ingest[EXTRA]'``), and
    #: the module that extra installs.
    extra: str | None = None
    module: str | None = None

    @property
    def extension(self) -> str:
        return self.extensions[0]

    @property
    def compressible(self) -> bool:
        """Whether ``NAME.gz`` gzips it (text formats; a binary one compresses itself)."""
        return not self.binary

    def check_available(self) -> None:
        """Raise ``ExtraMissing`` when the extra this format needs is not installed."""
        if self.module is None:
            return
        try:
            __import__(self.module)
        except ImportError:
            raise ExtraMissing(self.extra or self.module, f"format '{self.name}'") from None


#: Every output format, by name, in the order the CLI lists them.
FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str) -> Format:
    """The format called ``name``; ``UnknownFormat`` (with the known names) otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise UnknownFormat(name, list(FORMATS)) from None


def format_for_path(path: str) -> str | None:
    """Format implied by a file name: 'out.json.gz' -> 'json'; None when unknown."""
    name = path.lower()
    gzipped = name.endswith(".gz")
    if gzipped:
        name = name[:-3]
    for fmt in FORMATS.values():
        if name.endswith(fmt.extensions) and (fmt.compressible or not gzipped):
            return fmt.name
    return None


def make_writer(fmt: str, stream: Any, *, defuse_formulas: bool = True,
                keys: tuple[str, ...] | None = None, bom: bool = False) -> Writer:
    """The writer for format ``fmt`` on ``stream`` (binary for a binary format); ``keys`` and
    ``bom`` as ``WriteOptions`` says."""
    found = get_format(fmt)
    found.check_available()
    return found.writer(stream, WriteOptions(defuse_formulas, keys, bom))


def encode_record(fmt: str, record: dict[str, Any], defuse_formulas: bool = True, *,
                  keys: tuple[str, ...] | None = None) -> str:
    """One record as the text its writer would write (without separators)."""
    encoder = get_format(fmt).encoder
    if encoder is None:
        raise ValueError(f"format '{fmt}' writes records, not text: it has no encoder")
    return encoder(record, WriteOptions(defuse_formulas, keys))


def read_records(data: str | bytes, fmt: str) -> list[dict[str, Any]]:
    """All records of an exported file's content (for tests and tools)."""
    found = get_format(fmt)
    if found.binary:
        if isinstance(data, str):
            raise TypeError(f"format '{fmt}' is binary: pass bytes")
        return list(found.reader(io.BytesIO(data)))
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return list(found.reader(io.StringIO(text, newline="")))


# --- JSON Lines and JSON ------------------------------------------------------------------------


def dumps(record: dict[str, Any]) -> str:
    """One record as compact JSON, UTF-8 text kept as is."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


class JsonLinesWriter:
    def __init__(self, stream: IO[str], options: WriteOptions = WriteOptions()) -> None:
        self.stream = stream
        self.options = options

    def write(self, record: dict[str, Any]) -> None:
        self.write_encoded(dumps(self.options.select(record)))

    def write_encoded(self, text: str) -> None:
        self.stream.write(text + "\n")

    def close(self) -> None:
        pass


class JsonWriter:
    """A JSON array written one element at a time (memory does not grow with the run)."""

    def __init__(self, stream: IO[str], options: WriteOptions = WriteOptions()) -> None:
        self.stream = stream
        self.options = options
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        self.write_encoded(dumps(self.options.select(record)))

    def write_encoded(self, text: str) -> None:
        self.stream.write(("[\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def close(self) -> None:
        self.stream.write("[]\n" if self.count == 0 else "\n]\n")


def read_jsonl(stream: IO[str]) -> Iterator[dict[str, Any]]:
    for line in stream:
        if line.strip():
            yield json.loads(line)


def read_json(stream: IO[str]) -> Iterator[dict[str, Any]]:
    yield from json.load(stream)


register(Format("jsonl", (".jsonl", ".ndjson"), JsonLinesWriter, read_jsonl,
                encoder=lambda record, options: dumps(options.select(record))))
register(Format("json", (".json",), JsonWriter, read_json,
                encoder=lambda record, options: dumps(options.select(record))))


# --- CSV ----------------------------------------------------------------------------------------


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


def csv_row(record: dict[str, Any], options: WriteOptions | bool = True) -> str:
    """One record as a CSV row (``RECORD_KEYS`` order, or ``options.keys``; CRLF-terminated).
    ``options`` may be a bool: whether formulas are defused."""
    if isinstance(options, bool):
        options = WriteOptions(defuse_formulas=options)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(
        [csv_cell(k, record.get(k), options.defuse_formulas) for k in options.columns])
    return buffer.getvalue()


#: What ``WriteOptions.bom`` writes first: U+FEFF, which UTF-8 encodes as EF BB BF.
BOM = "\ufeff"


class CsvWriter:
    def __init__(self, stream: IO[str], options: WriteOptions = WriteOptions()) -> None:
        self.stream = stream
        self.options = options
        if options.bom:
            stream.write(BOM)
        csv.writer(stream, lineterminator="\r\n").writerow(options.columns)

    def write(self, record: dict[str, Any]) -> None:
        self.write_encoded(csv_row(record, self.options))

    def write_encoded(self, text: str) -> None:
        self.stream.write(text)

    def close(self) -> None:
        pass


def read_csv(stream: IO[str], defused: bool = True) -> Iterator[dict[str, Any]]:
    """Records back from CSV written by ``CsvWriter`` (types restored from the record type).
    An empty cell of a nullable key reads as null: records never hold an empty string there
    (the normaliser stores an absent value as null). A byte-order mark first is skipped."""
    reader = csv.reader(stream)
    header = next(reader)
    if header and header[0].startswith(BOM):
        header[0] = header[0][len(BOM):]
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


register(Format("csv", (".csv",), CsvWriter, read_csv, encoder=csv_row, any_shape=False))


# --- Parquet ------------------------------------------------------------------------------------

#: Records per Parquet row group: what the writer holds in memory before it writes them.
PARQUET_ROW_GROUP = 2048


def arrow_type(hint: Any) -> Any:
    """The Arrow type of a record key's type: ``list[str]`` -> ``list<string>``, a
    ``TypedDict`` (``ReadAlso``) -> a struct of its keys."""
    import pyarrow as pa

    hint = base_type(hint)
    if is_typeddict(hint):
        required = hint.__required_keys__
        return pa.struct([pa.field(key, arrow_type(sub), nullable=nullable(sub)
                                   or key not in required)
                          for key, sub in key_types(hint).items()])
    if get_origin(hint) is list:
        return pa.list_(arrow_type(get_args(hint)[0]))
    return pa.string()


def arrow_schema(keys: tuple[str, ...] | None = None) -> Any:
    """The Arrow schema of a record (of its ``keys`` only, in their order), derived from
    ``model.Article``."""
    import pyarrow as pa

    types = key_types()
    return pa.schema([pa.field(key, arrow_type(types[key]), nullable=nullable(types[key]))
                      for key in (keys or types)])


class ParquetWriter:
    """Records as a Parquet file, ``PARQUET_ROW_GROUP`` records a row group (zstd)."""

    def __init__(self, stream: IO[bytes], options: WriteOptions = WriteOptions()) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        self.options = options
        self.schema = arrow_schema(options.keys)
        self._writer = pq.ParquetWriter(stream, self.schema, compression="zstd")
        self._rows: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self._rows.append(self.options.select(record))
        if len(self._rows) >= PARQUET_ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(self._pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows.clear()

    def close(self) -> None:
        self._flush()
        self._writer.close()


def _optional_keys() -> dict[str, frozenset[str]]:
    """Structured keys whose items have keys that may be absent (``read_also[i].id``)."""
    found = {}
    for key, hint in key_types().items():
        hint = base_type(hint)
        if get_origin(hint) is list:
            item = base_type(get_args(hint)[0])
            if is_typeddict(item) and item.__optional_keys__:
                found[key] = frozenset(item.__optional_keys__)
    return found


def read_parquet(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    """Records back from Parquet: a struct's optional key that is null was absent."""
    import pyarrow.parquet as pq

    optional = _optional_keys()
    for batch in pq.ParquetFile(stream).iter_batches():
        for record in batch.to_pylist():
            for key, names in optional.items():
                for item in record.get(key) or ():
                    for name in names:
                        if item.get(name) is None:
                            item.pop(name, None)
            yield record


register(Format("parquet", (".parquet",), ParquetWriter, read_parquet, binary=True,
                any_shape=False, extra="parquet", module="pyarrow"))
