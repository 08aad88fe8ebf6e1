"""What one run is asked to do (``RunOptions``) and the checks made before anything is read:
options that cannot work together are typed errors naming ``RunOptions`` fields, which only the
CLI turns into the words of its flags.

Sits between the corpus tools and the runner: it knows the engines (``executors.ENGINES``), the
formats (``export.FORMATS``), the record keys and the kinds of warnings, and reads nothing but
the file system's answers about the paths it is given.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from dataclasses import dataclass, field

from .corpus.duplicates import NearDuplicates
from .errors import ConfigError, UnknownName
from .executors import ENGINES, EngineOptions, Executor, PartsExecutor, get_executor
from .export import check_fields, get_format
from .layouts import FIELD_NAMES
from .pipeline import Config
from .summary import warning_kind

#: Every kind a warning can have (the word before its colon): a field a layout fills (a second
#: value ignored names its field), and what the parser and normaliser warn about besides.
WARNING_KINDS: tuple[str, ...] = tuple(sorted({
    *FIELD_NAMES, "outlet", "read_also", "layout", "document", "encoding", "text"}))


class UsageConflict(ConfigError):
    """Options that cannot be combined; ``options`` names them (``RunOptions`` fields)."""

    def __init__(self, reason: str, options: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.options = options


class PartsNeedRecords(UsageConflict):
    """Per-record bookkeeping (``options``) asked of a run whose workers write part files."""

    def __init__(self, options: tuple[str, ...], engine: str) -> None:
        super().__init__(f"{', '.join(options)} need the records back on this machine: write "
                         "one file, not a folder of part files", options)
        self.engine = engine


class RawConflict(UsageConflict):
    """``raw`` (the parser's output, not records) with options that need records."""

    def __init__(self, options: tuple[str, ...], fmt: str) -> None:
        super().__init__("raw writes the parser's output, not records: it does not go with "
                         f"{', '.join(options)}", options)
        self.fmt = fmt


class OptionNeeds(UsageConflict):
    """``option`` means nothing without ``needs`` (with one of ``values``, when given)."""

    def __init__(self, option: str, needs: str, values: tuple[str, ...] = ()) -> None:
        wanted = f"{needs} {' or '.join(values)}" if values else needs
        super().__init__(f"{option} goes with {wanted}", (option, needs))
        self.option = option
        self.needs = needs
        self.values = values


class Excludes(UsageConflict):
    """``option`` cannot go with ``other``: ``why`` says what would go wrong."""

    def __init__(self, option: str, other: str, why: str) -> None:
        super().__init__(f"{option} does not go with {other}: {why}", (option, other))
        self.option = option
        self.other = other
        self.why = why


class LexiconFromStdin(UsageConflict):
    """A tag lexicon to learn (``path`` does not exist) from inputs that include stdin."""

    def __init__(self, path: str) -> None:
        super().__init__(f"cannot learn a tag lexicon from stdin ('-'): {path} does not exist; "
                         "learn it from files first", ("lexicon_path",))
        self.path = path


class BothToStdout(UsageConflict):
    def __init__(self, options: tuple[str, ...]) -> None:
        super().__init__(f"{' and '.join(options)} would both write to stdout: give one of "
                         "them a file", options)


class SameFile(UsageConflict):
    def __init__(self, options: tuple[str, str], path: str) -> None:
        super().__init__(f"{options[0]} and {options[1]} name the same file ({path}): one "
                         "would destroy the other", options)
        self.path = path


class OutputIsInput(UsageConflict):
    def __init__(self, option: str, path: str) -> None:
        super().__init__(f"{option} names an input ({path}): it would be overwritten",
                         (option,))
        self.path = path


class FolderNeedsParts(UsageConflict):
    """``out`` names a folder (``DIR/``, or an existing one) but the engine writes one file;
    ``engines`` write part files."""

    def __init__(self, path: str, engine: str, engines: tuple[str, ...]) -> None:
        super().__init__(f"out names a folder ({path}) but engine {engine} writes one file; "
                         f"part files in a folder need engine {' or '.join(engines)}", ("out",))
        self.path = path
        self.engine = engine
        self.engines = engines


class UnknownWarningKind(UnknownName):
    """A kind of warning asked for (to refuse) that no warning has."""

    what = "warning kind"


def strict_kinds(kinds: Collection[str]) -> frozenset[str]:
    """The kinds of warnings a strict run refuses, checked: ``{'date', 'layout'}``; an unknown
    kind is ``UnknownWarningKind`` (a typo must not quietly accept every warning)."""
    for kind in kinds:
        if kind not in WARNING_KINDS:
            raise UnknownWarningKind(kind, list(WARNING_KINDS))
    return frozenset(kinds)


@dataclass
class RunOptions:
    """What one run does; the CLI's options, as data."""

    inputs: list[str]
    config: Config = field(default_factory=Config)
    out: str | None = None  # None or '-': stdout
    fmt: str = "jsonl"  # a name of export.FORMATS
    jobs: int = 1
    engine: str = "local"  # a name of executors.ENGINES
    scheduler: str | None = None
    partition_size: int = 256
    defuse_formulas: bool = True
    errors_path: str | None = None
    stats_path: str | None = None
    state_path: str | None = None
    full: bool = False
    dedupe: bool = False
    near_dupes: float | None = None
    link_read_also: bool = False
    lexicon_path: str | None = None  # loaded when it exists, else learnt from the inputs and saved
    collect_stats: bool = False  # count every record for Stats even without stats_path
    # Refuse records with warnings (a problem each; exit 1): True, every kind; or these kinds.
    # A file with such a record is not done in the state: tried again next run.
    strict: bool | Collection[str] = False
    limit: int | None = None  # stop once this many records are written
    skip_empty: bool = False  # a run that writes no record creates (or replaces) no output file
    csv_bom: bool = False  # CSV output starts with a UTF-8 byte-order mark (for Excel)

    @property
    def whole_records(self) -> bool:
        """Whether this process needs every record whole; otherwise workers encode them."""
        return bool(self.near_dupes is not None or self.link_read_also or self.config.raw
                    or get_format(self.fmt).encoder is None)

    @property
    def counts_stats(self) -> bool:
        """Whether the run counts ``Stats`` of its records (for stats_path, or a terminal)."""
        return bool(self.stats_path or self.collect_stats)

    @property
    def parts_dir(self) -> bool:
        """``out`` is a folder (``DIR/``, or an existing one) and the engine's workers write
        part files there."""
        out = self.out or ""
        engine = ENGINES.get(self.engine)
        return (engine is not None and issubclass(engine, PartsExecutor)
                and (out.endswith("/") or os.path.isdir(out)))

    def refused(self, warnings: list[str]) -> list[str]:
        """The warnings a strict run refuses, of a record's ``warnings``."""
        if not self.strict or not warnings:
            return []
        if self.strict is True:
            return list(warnings)
        return [w for w in warnings if warning_kind(w) in self.strict]  # type: ignore[operator]

    def executor(self) -> Executor:
        return get_executor(self.engine, EngineOptions(self.jobs, self.scheduler,
                                                       self.partition_size))


def check_options(opts: RunOptions) -> Executor:
    """Refuse combinations that cannot work, before anything is read; the run's executor."""
    fmt = get_format(opts.fmt)
    if opts.config.fields is not None:
        check_fields(opts.config.fields)
    if opts.strict and opts.strict is not True:
        strict_kinds(opts.strict)  # type: ignore[arg-type]
    out = opts.out or ""
    if out and (out.endswith("/") or os.path.isdir(out)) and not opts.parts_dir:
        raise FolderNeedsParts(out, opts.engine, tuple(
            name for name, engine in ENGINES.items() if issubclass(engine, PartsExecutor)))
    if opts.parts_dir:
        per_record = tuple(name for name, on in (
            ("state_path", opts.state_path), ("dedupe", opts.dedupe),
            ("near_dupes", opts.near_dupes is not None),
            ("link_read_also", opts.link_read_also), ("stats_path", opts.stats_path),
            ("limit", opts.limit is not None)) if on)
        if per_record:
            raise PartsNeedRecords(per_record, opts.engine)
    if opts.full and not opts.state_path:
        raise OptionNeeds("full", "state_path")
    if opts.limit is not None and opts.state_path:
        raise Excludes("limit", "state_path", "a run cut short cannot tell the state which "
                       "files are gone")
    if opts.csv_bom and opts.fmt != "csv":
        raise OptionNeeds("csv_bom", "fmt", ("csv",))
    if opts.skip_empty and (opts.out in (None, "-")):
        raise OptionNeeds("skip_empty", "out")
    if opts.config.raw:
        clash = tuple(name for name, on in (
            ("state_path", opts.state_path), ("dedupe", opts.dedupe),
            ("near_dupes", opts.near_dupes is not None),
            ("link_read_also", opts.link_read_also), ("fmt", not fmt.any_shape),
            ("fields", opts.config.fields is not None)) if on)
        if clash:
            raise RawConflict(clash, opts.fmt)
    if opts.lexicon_path and "-" in opts.inputs and not os.path.exists(opts.lexicon_path):
        raise LexiconFromStdin(opts.lexicon_path)
    if opts.engine not in ENGINES:
        get_executor(opts.engine)  # raises UnknownEngine
    if opts.scheduler is not None and "scheduler" not in ENGINES[opts.engine].option_names:
        raise OptionNeeds("scheduler", "engine", tuple(
            name for name, engine in ENGINES.items() if "scheduler" in engine.option_names))
    executor = opts.executor()  # the engine checks its own options (a scheduler's address)
    _check_paths(opts)
    fmt.check_available()
    if opts.near_dupes is not None:
        NearDuplicates(opts.near_dupes)  # the corpus extra, or ExtraMissing
    return executor


def _identity(path: str) -> tuple[object, ...]:
    """What makes two paths one file: device and inode when it exists, else the resolved path."""
    try:
        st = os.stat(path)
    except OSError:
        return ("path", os.path.realpath(path))
    return ("inode", st.st_dev, st.st_ino)


def _is_special(path: str) -> bool:
    """An existing file that is not a regular file or a folder (``/dev/null``, a FIFO)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _check_paths(opts: RunOptions) -> None:
    """Two options naming one file, or an output naming an input, would destroy one of them
    silently: refuse before anything is read. Devices (``/dev/null``) may be named twice."""
    out = None if opts.parts_dir else (opts.out or "-")
    streams = [(name, path) for name, path in (
        ("out", out), ("errors_path", opts.errors_path), ("stats_path", opts.stats_path))
        if path]
    to_stdout = tuple(name for name, path in streams if path == "-")
    if len(to_stdout) > 1:
        raise BothToStdout(to_stdout)
    files = [(name, path) for name, path in (
        *streams, ("state_path", opts.state_path), ("lexicon_path", opts.lexicon_path))
        if path and path != "-" and not _is_special(path)]
    for i, (name, path) in enumerate(files):
        for other_name, other in files[:i]:
            if _identity(path) == _identity(other):
                raise SameFile((other_name, name), path)
    inputs = {_identity(item): item for item in opts.inputs
              if item != "-" and os.path.isfile(item)}
    folders = [os.path.realpath(item) for item in opts.inputs
               if item != "-" and os.path.isdir(item)]
    names = opts.config.names
    for name, path in files:
        if _identity(path) in inputs:
            raise OutputIsInput(name, path)
        # A file of an input folder that the walk reads (found, not named): as much an input.
        real = os.path.realpath(path)
        for folder in folders:
            below = os.path.relpath(real, folder)
            if os.path.isfile(real) and not below.startswith(os.pardir) \
                    and (names.wanted(below) or names.archive(below)):
                raise OutputIsInput(name, path)
