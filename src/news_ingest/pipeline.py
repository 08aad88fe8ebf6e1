"""Pipeline: one input -> parse -> normalise -> records, in whatever process runs it.

``process`` handles one input and never raises for bad input: it returns a ``FileResult`` with
the records it made and the problems it met (or, when ``Config.encode`` names an output format,
an ``EncodedResult``: each record already encoded, beside the little the writing process needs
of it). ``Context`` is what a process builds once from a ``Config``. Running ``process`` over
many inputs is an executor's job (``executors``); counting outcomes is ``report.Report``'s.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import TIME_LIMIT, IngestError
from .export import encode_record
from .layouts import LayoutSet
from .normalise import normalise
from .parse import parse_text
from .sources import DEFAULT_MAX_BYTES, NameFilter, Source, SourceProblem, decode
from .summary import record_summary
from .tags import TagLexicon

#: Seconds one input may take by default (``--timeout``).
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Config:
    """Everything a worker needs to turn a source into records (picklable)."""

    layout: str | None = None
    layout_paths: tuple[str, ...] = ()
    encoding: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    lexicon_path: str | None = None
    raw: bool = False  # emit what the parser found instead of normalised records
    # When set (a text format's name), ``process`` encodes each record for that format and
    # returns an EncodedResult: the text, and only what the writing process needs of the record.
    encode: str | None = None
    defuse_formulas: bool = True
    # With ``encode``: also keep each record's ``summary.record_summary`` (for statistics).
    stats: bool = False
    # Walking folders: follow symbolic links that lead out of an input folder (``-L``).
    follow_links: bool = False
    # Seconds one input may take (read, decode, parse, normalise, encode); None: no limit.
    timeout: float | None = DEFAULT_TIMEOUT
    # Walking folders and archives: which names are inputs (``inputs.NameFilter``'s globs).
    globs: tuple[str, ...] = ()
    # The record keys written, in this order (None: every key), where records are encoded
    # (``encode``) or written (part files).
    fields: tuple[str, ...] | None = None
    # Part files a worker writes in CSV start with a byte-order mark (for Excel).
    bom: bool = False

    @property
    def names(self) -> NameFilter:
        return NameFilter(self.globs)


@dataclass
class Problem:
    """Why one input (or one document inside it) gave no record. ``kind`` is the error's
    (``IngestError.kind``: ``too_large``, ``timeout``, ``no_layout`` ...; '' for most), for a
    caller that words some problems its own way."""

    source_file: str
    stage: str
    reason: str
    line: int | None = None
    kind: str = ""

    def to_dict(self, reason: str | None = None) -> dict[str, Any]:
        """The problem as ``--errors`` writes it (``reason``: another wording of it)."""
        return {"source_file": self.source_file, "stage": self.stage,
                "reason": self.reason if reason is None else reason, "line": self.line}

    def message(self, reason: str | None = None) -> str:
        """``file:line: reason`` on one line: control characters in a file name are escaped."""
        where = f":{self.line}" if self.line else ""
        said = self.reason if reason is None else reason
        return _CONTROL.sub(lambda m: repr(m.group())[1:-1], f"{self.source_file}{where}: {said}")


#: Characters that would break a message's one line (or hide part of it).
_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


@dataclass
class FileResult:
    """What one input gave: records (as dicts, in ``RECORD_KEYS`` order; with ``Config.raw``,
    what the parser found) and problems. ``digest`` and ``key``: the SHA-256 of the input's
    bytes when it was read before it was sent here, and the state's name for it
    (``Source.digest``, ``Source.key``: an incremental run)."""

    name: str
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    digest: str | None = None
    key: str | None = None

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def warned(self) -> bool:
        """Whether any of its records carries warnings."""
        return any(r["warnings"] for r in self.records)

    def warned_records(self) -> list[tuple[str, list[str]]]:
        """``(source_file, warnings)`` of each of its records that carries warnings."""
        return [(r["source_file"], r["warnings"]) for r in self.records if r["warnings"]]

    def ids_and_titles(self) -> list[tuple[str, str | None]]:
        return [(r["id"], r.get("title")) for r in self.records if r.get("id")]


@dataclass(frozen=True)
class EncodedRecord:
    """A record its worker encoded (``Config.encode``): the text its writer writes, and what
    the writing process needs of the record: the id and source file (duplicates), the title
    (the state's title index), its warnings (the report, a strict run), its summary
    (statistics, with ``Config.stats``)."""

    text: str
    id: str
    source_file: str
    title: str | None
    warnings: tuple[str, ...] = ()
    summary: dict[str, Any] | None = None

    @property
    def warned(self) -> bool:
        return bool(self.warnings)


@dataclass
class EncodedResult:
    """``FileResult`` for a run whose workers encode the records (``Config.encode``)."""

    name: str
    records: list[EncodedRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    digest: str | None = None
    key: str | None = None

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def warned(self) -> bool:
        return any(r.warned for r in self.records)

    def warned_records(self) -> list[tuple[str, list[str]]]:
        return [(r.source_file, list(r.warnings)) for r in self.records if r.warnings]

    def ids_and_titles(self) -> list[tuple[str, str | None]]:
        return [(r.id, r.title) for r in self.records]


Result = FileResult | EncodedResult


class Context:
    """Per-process state built once from a ``Config``: compiled layouts, the tag lexicon."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.layouts = LayoutSet.load(config.layout_paths)
        if config.layout:
            self.layouts.get(config.layout)  # an unknown name fails before any input is read
        self.lexicon = TagLexicon.load(config.lexicon_path) if config.lexicon_path else None


#: Seconds after which an InputTimeout is raised again when the first one was dropped.
ALARM_REPEAT = 0.05


class InputTimeout(BaseException):
    """Raised in the thread parsing an input when ``Config.timeout`` runs out (a
    ``BaseException``, like ``KeyboardInterrupt``: no ``except Exception`` on the way
    swallows it)."""


def _on_alarm(signum: int, frame: Any) -> None:
    # Python runs this handler wherever the main thread is, and an exception raised inside a
    # garbage-collector callback or a __del__ is printed and dropped ("Exception ignored in"):
    # the timer is re-armed, so a dropped one is raised again a moment later.
    signal.setitimer(signal.ITIMER_REAL, ALARM_REPEAT)
    raise InputTimeout()


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ``InputTimeout`` in this thread once the block has run ``seconds``.

    A ``SIGALRM`` timer (``signal.setitimer``) whose handler raises: Python code is interrupted
    between two bytecodes, and so is a regular expression mid-match, since CPython's ``_sre``
    checks for signals every 4096 steps (``MAYBE_CHECK_SIGNALS`` in ``sre_lib.h``: the match
    returns ``SRE_ERROR_INTERRUPTED`` when ``PyErr_CheckSignals`` fails). Signals reach only the
    main thread, so elsewhere (a Dask worker's task thread, a library caller's thread) and on
    systems without ``setitimer`` (Windows) there is no limit: the block just runs.
    """
    if (not seconds or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def alarm_handler() -> Iterator[None]:
    """Keep the ``InputTimeout`` handler on ``SIGALRM`` for a whole run (the previous one comes
    back after it), so that each input only arms and disarms the timer: installing and
    restoring a handler per input cost ~7 us, the timer alone ~2."""
    if not hasattr(signal, "setitimer") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _alarm_ready() -> bool:
    return (hasattr(signal, "SIGALRM") and signal.getsignal(signal.SIGALRM) is _on_alarm
            and threading.current_thread() is threading.main_thread())


def process(item: Source | SourceProblem, ctx: Context) -> Result:
    """One input -> its records and problems (an ``EncodedResult`` with ``Config.encode``).
    Never raises for bad input; an input that runs past ``Config.timeout`` gives no record
    and one problem (stage and kind ``timeout``)."""
    result: Result = EncodedResult(item.name) if ctx.config.encode else FileResult(item.name)
    result.key = getattr(item, "key", None)
    if isinstance(item, SourceProblem):
        result.problems.append(Problem(item.name, "read", item.reason, kind=item.kind))
        return result
    result.digest = item.digest
    seconds = ctx.config.timeout
    try:
        if seconds and _alarm_ready():  # inside a run (alarm_handler): arm the timer only
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                _process(item, ctx, result)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        else:
            with time_limit(seconds):
                _process(item, ctx, result)
    except InputTimeout:
        result.records.clear()
        result.problems[:] = [Problem(
            item.name, "timeout", f"took longer than {TIME_LIMIT} ({ctx.config.timeout:g} s): "
            "abandoned, nothing of it written", kind="timeout")]
    return result


def _process(item: Source, ctx: Context, result: Result) -> None:
    try:
        data = item.read(ctx.config.max_bytes)
        text, notes = decode(data, ctx.config.encoding)
        raws = parse_text(text, ctx.layouts, ctx.config.layout)
        for raw in raws:
            if raw.defect is not None:
                where = f"{item.name}#{raw.position}"
                line = raw.lines[0].line if raw.lines else None
                result.problems.append(Problem(where, "parse", raw.defect, line))
                continue
            raw.notes[:0] = notes
            if ctx.config.raw:
                record = {"source_file": item.name, "warnings": [], **raw.to_dict()}
                result.records.append(record)  # type: ignore[arg-type]  (never encoded)
                continue
            layout = ctx.layouts.get(raw.layout)
            record = normalise(raw, item.name, ctx.lexicon, layout.date_reader,
                               layout.written_day_first).to_dict()
            if isinstance(result, EncodedResult):
                config = ctx.config
                result.records.append(EncodedRecord(
                    encode_record(config.encode or "", record, config.defuse_formulas,
                                  keys=config.fields),
                    record["id"], record["source_file"], record["title"],
                    tuple(record["warnings"]),
                    record_summary(record) if config.stats else None))
            else:
                result.records.append(record)
    except IngestError as exc:
        result.problems.append(Problem(item.name, exc.stage, exc.reason, exc.line, exc.kind))
    except RecursionError:
        result.problems.append(Problem(item.name, "parse", "input nests too deeply to parse"))
    except Exception as exc:  # a bug must cost this input only, never the run's other inputs
        result.records.clear()
        result.problems.append(Problem(
            item.name, "internal", f"internal error ({type(exc).__name__}: {exc}); please "
            "report it with this input"))
