"""The whole job behind ``ingest``: sources through the pipeline to one output, plus the corpus
bookkeeping a maintainer needs between runs.

Sits on top of the flow (sources -> parse -> normalise -> export) and below the CLI: it picks the
executor (a local process pool or Dask), skips inputs an incremental state has already seen,
writes records atomically, reports and optionally drops duplicates, groups near-duplicates,
links "read also" items to articles of the corpus, learns or loads a tag lexicon, and collects
statistics. It never prints: problems reach the caller through ``on_problem``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import sqlite3
import stat
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .corpus import (
    NearDuplicates,
    RunCounts,
    SeenIds,
    StateStore,
    StateWriteError,
    Stats,
    digest,
    link_read_also,
    title_key,
)
from .errors import IngestError, SourceError
from .export import make_writer, read_jsonl
from .layouts import LayoutSet
from .parse import prepare_lines
from .pipeline import Config, Context, FileResult, Problem, Report, iter_results, open_output
from .sources import Source, SourceProblem, count_inputs, decode, iter_sources
from .tags import TagLexicon

Item = Source | SourceProblem


class UsageConflict(IngestError):
    """Options that cannot be combined (e.g. part files and per-record bookkeeping)."""

    stage = "config"


@dataclass
class RunOptions:
    """What one run does; the CLI's options, as data."""

    inputs: list[str]
    config: Config = field(default_factory=Config)
    out: str | None = None  # None or '-': stdout
    fmt: str = "jsonl"
    jobs: int = 1
    engine: str = "local"  # 'local' or 'dask'
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
    collect_stats: bool = False  # count every record for Stats even without --stats
    strict: bool = False  # a file whose records carry warnings is not recorded in the state

    @property
    def whole_records(self) -> bool:
        """Whether this process needs every record whole; otherwise workers encode them."""
        return bool(self.near_dupes is not None or self.link_read_also or self.config.raw)

    @property
    def counts_stats(self) -> bool:
        """Whether the run counts ``Stats`` of its records (for --stats, or a terminal)."""
        return bool(self.stats_path or self.collect_stats)

    @property
    def parts_dir(self) -> bool:
        """``--out DIR/`` under Dask: every partition writes its own part file."""
        out = self.out or ""
        return self.engine == "dask" and (out.endswith("/") or os.path.isdir(out))


@dataclass
class RunOutcome:
    """What a run did, for the summary and the exit code."""

    report: Report
    stats: Stats
    counts: RunCounts | None = None
    duplicates: int = 0
    dropped: int = 0
    near_groups: list[dict[str, Any]] = field(default_factory=list)
    linked: int = 0
    lexicon: str | None = None  # what happened to the tag lexicon, in words
    stale_parts: int = 0  # part files of an earlier run removed from --out DIR/
    kept_parts: int = 0  # ... or left there, by a run that wrote no record
    kept_output: str | None = None  # --out left as it was: this run read nothing


# --- tag lexicon --------------------------------------------------------------------------------


def tag_lines(items: Iterable[Item], layouts: LayoutSet, config: Config) -> Iterator[str]:
    """Every keyword line of the inputs, found by the layouts' ``tags`` field patterns (only the
    forced layout's with ``--layout``): the cheap first pass that learns a lexicon (no
    detection, no parsing, no normalisation)."""
    chosen = [layouts.get(config.layout)] if config.layout else list(layouts)
    patterns = [regex for layout in chosen for name, regex, _ in layout.fields if name == "tags"]
    for item in items:
        if isinstance(item, SourceProblem):
            continue
        try:
            text, _ = decode(item.read(config.max_bytes), config.encoding)
        except IngestError:
            continue
        for line in prepare_lines(text):
            for regex in patterns:
                m = regex.match(line)
                if m and m.group("value").strip():
                    yield m.group("value").strip()
                    break


def prepare_lexicon(opts: RunOptions, layouts: LayoutSet) -> tuple[Config, str | None]:
    """Load the lexicon file, or learn one from the inputs and save it there."""
    path = opts.lexicon_path
    if not path:
        return opts.config, None
    if os.path.exists(path):
        try:
            lexicon = TagLexicon.load(path)
        except ValueError as exc:
            raise UsageConflict(str(exc)) from None
        note = f"tag lexicon: {len(lexicon)} phrases loaded from {path}"
    else:
        items = iter_sources(opts.inputs, opts.config.max_bytes, opts.config.follow_links)
        lexicon = TagLexicon.learn(tag_lines(items, layouts, opts.config))
        if not len(lexicon):
            return opts.config, "tag lexicon: no phrase recurs in the inputs' keyword lines; " \
                f"nothing saved to {path}"
        lexicon.save(path)
        note = f"tag lexicon: {len(lexicon)} phrases learnt from the inputs, saved to {path}"
    return dataclasses.replace(opts.config, lexicon_path=os.path.abspath(path)), note


# --- incremental state ----------------------------------------------------------------------------


def _unseen(
    items: Iterable[Item], known: dict[str, str], full: bool, pending: deque[str | None],
    unchanged: deque[str], max_bytes: int,
) -> Iterator[Item]:
    """Inputs the state has not seen with these exact bytes (all of them with ``full``).

    Reads each file once here to hash it; the bytes travel on to the parser, so nothing is read
    twice. It touches no database (an executor may pull from it at its own pace): it compares
    against ``known`` (name -> digest, read at the start of the run) and hands its findings
    over in deques: ``pending`` gets each yielded item's digest, in order; ``unchanged`` the
    names skipped.
    """
    for item in items:
        if isinstance(item, SourceProblem):
            pending.append(None)
            yield item
            continue
        try:
            data = item.read(max_bytes)
        except SourceError as exc:
            pending.append(None)
            yield SourceProblem(item.name, exc.reason)
            continue
        hexdigest = digest(data)
        if not full and known.get(item.name) == hexdigest:
            unchanged.append(item.name)
            continue
        pending.append(hexdigest)
        yield Source(item.name, data=data, plain=True)


# --- the run --------------------------------------------------------------------------------------


def _results(opts: RunOptions, config: Config, items: Iterable[Item]) -> Iterator[FileResult]:
    if opts.engine == "dask":
        from .dask_engine import dask_results

        return dask_results(items, config, scheduler=opts.scheduler,
                            partition_size=opts.partition_size, n_workers=opts.jobs)
    return iter_results(items, config, opts.jobs)


def check_options(opts: RunOptions) -> None:
    """Refuse combinations that cannot work, before anything is read."""
    if opts.parts_dir:
        per_record = [name for name, on in (
            ("--state", opts.state_path), ("--dedupe", opts.dedupe),
            ("--near-dupes", opts.near_dupes is not None),
            ("--link-read-also", opts.link_read_also), ("--stats", opts.stats_path)) if on]
        if per_record:
            raise UsageConflict(
                f"{', '.join(per_record)} need the records back on this machine: use "
                "--out FILE (not a folder of part files) with --engine dask")
    if opts.full and not opts.state_path:
        raise UsageConflict("--full goes with --state (it parses inputs the state has seen)")
    if opts.config.raw:
        clash = [name for name, on in (
            ("--state", opts.state_path), ("--dedupe", opts.dedupe),
            ("--near-dupes", opts.near_dupes is not None),
            ("--link-read-also", opts.link_read_also), ("--format csv", opts.fmt == "csv")) if on]
        if clash:
            raise UsageConflict(f"--raw writes the parser's output, not records: it does not go "
                                f"with {', '.join(clash)}")
    if opts.lexicon_path and "-" in opts.inputs and not os.path.exists(opts.lexicon_path):
        raise UsageConflict(f"cannot learn a tag lexicon from stdin ('-'): {opts.lexicon_path} "
                            "does not exist; learn it from files first")
    if opts.engine not in ("local", "dask"):
        raise UsageConflict(f"unknown engine '{opts.engine}' (expected local or dask)")
    if opts.scheduler is not None:
        if opts.engine != "dask":
            raise UsageConflict("--scheduler goes with --engine dask")
        check_scheduler_address(opts.scheduler)
    _check_paths(opts)


#: Schemes of the addresses a Dask scheduler listens on (distributed.comm's backends).
SCHEDULER_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def check_scheduler_address(address: str) -> None:
    """Refuse a ``--scheduler`` value that no scheduler can have, before anything starts:
    ``tcp://host:8786``, ``tls://host:8786``, ``host:8786`` (tcp) are accepted."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    host, colon, port = rest.rpartition(":")
    problem = None
    if scheme not in SCHEDULER_SCHEMES:
        problem = f"unknown scheme '{scheme}' (expected {', '.join(SCHEDULER_SCHEMES)})"
    elif scheme == "inproc":
        problem = None if rest else "no address after inproc://"
    elif not colon or not host or "/" in rest or " " in rest:
        problem = "expected HOST:PORT, e.g. tcp://scheduler:8786"
    elif not port.isdigit() or not 0 < int(port) < 65536:
        problem = f"port '{port}' is not a number from 1 to 65535"
    if problem:
        raise UsageConflict(f"--scheduler '{address}': {problem}")


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
    streams = [(flag, path) for flag, path in (
        ("--out", out), ("--errors", opts.errors_path), ("--stats", opts.stats_path)) if path]
    to_stdout = [flag for flag, path in streams if path == "-"]
    if len(to_stdout) > 1:
        raise UsageConflict(f"{' and '.join(to_stdout)} would both write to stdout: give "
                            "one of them a file")
    files = [(flag, path) for flag, path in (
        *streams, ("--state", opts.state_path), ("--tag-lexicon", opts.lexicon_path))
        if path and path != "-" and not _is_special(path)]
    for i, (flag, path) in enumerate(files):
        for other_flag, other in files[:i]:
            if _identity(path) == _identity(other):
                raise UsageConflict(f"{other_flag} and {flag} name the same file ({path}): "
                                    "one would destroy the other")
    inputs = {_identity(item): item for item in opts.inputs
              if item != "-" and os.path.isfile(item)}
    for flag, path in files:
        if _identity(path) in inputs:
            raise UsageConflict(f"{flag} names an input ({path}): it would be overwritten")


def execute(
    opts: RunOptions,
    *,
    on_problem: Callable[[Problem], None] = lambda problem: None,
    wrap: Callable[[Iterator[FileResult], Callable[..., int] | None], Iterator[FileResult]]
    | None = None,
    at: str | None = None,
) -> RunOutcome:
    """Run the job. ``wrap`` may wrap the stream of results (a progress bar); it is given a
    function that counts the inputs (``sources.count_inputs`` with the inputs bound; it takes
    an optional ``stop`` event), for it to call when it likes (None with a state, which skips
    unchanged inputs). ``at`` is the ingestion time stored in the state (default: now, UTC)."""
    check_options(opts)
    layouts = Context(opts.config).layouts  # configuration errors surface before any input
    store = StateStore(opts.state_path) if opts.state_path else None  # so does a bad state
    try:
        config, lexicon_note = prepare_lexicon(opts, layouts)
    except BaseException:
        if store is not None:
            store.close()
        raise
    outcome = RunOutcome(report=Report(), stats=Stats(), lexicon=lexicon_note)
    if opts.parts_dir:
        _execute_parts(opts, config, outcome, on_problem)
        return outcome

    try:
        index: dict[str, str] = store.title_index() if (store and opts.link_read_also) else {}
        pending: deque[str | None] = deque()
        unchanged: deque[str] = deque()
        encoded = not opts.whole_records
        if encoded:
            config = dataclasses.replace(config, encode=opts.fmt,
                                         defuse_formulas=opts.defuse_formulas,
                                         stats=opts.counts_stats)
        items: Iterable[Item] = iter_sources(opts.inputs, config.max_bytes, config.follow_links)
        if store is not None:
            store.begin_run(at)
            known = store.known()  # inside the run's transaction: no other run moves it now
            items = _unseen(items, known, opts.full, pending, unchanged, config.max_bytes)
        near = NearDuplicates(opts.near_dupes) if opts.near_dupes is not None else None

        with contextlib.ExitStack() as stack:
            seen = stack.enter_context(SeenIds())  # on disk past a few MiB: memory stays flat
            # Close the executor (and end its workers) as soon as the run stops, however it
            # stops: left to the garbage collector, an exception's reference cycle could keep
            # it, and its workers, alive until interpreter exit.
            results = _results(opts, config, items)
            stack.callback(results.close)
            if wrap is not None:
                # With --state, unchanged inputs give no result: no total to count towards.
                count = (functools.partial(count_inputs, opts.inputs, follow=config.follow_links)
                         if store is None else None)
                results = wrap(results, count)
                stack.callback(results.close)
            skipped = [0]  # inputs the state knew unchanged: they were read

            def keep_existing() -> bool:
                """A run that read nothing (every input failed, or none was found) leaves an
                existing output as it was: a mistyped input must not empty a good file."""
                report = outcome.report
                if report.files > report.failed or skipped[0] or unchanged:
                    return False
                outcome.kept_output = opts.out
                return True

            if opts.link_read_also:
                # Links may point forward: records go to a scratch file, then a second pass
                # links them and writes the real output.
                scratch = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
                writer = make_writer("jsonl", scratch)
            else:
                stream = stack.enter_context(open_output(opts.out, keep_existing=keep_existing))
                writer = make_writer(opts.fmt, stream, defuse_formulas=opts.defuse_formulas)
            for result in results:
                outcome.report.add(result)
                hexdigest = pending.popleft() if store is not None else None
                for problem in result.problems:
                    outcome.stats.add_problem(problem)
                    on_problem(problem)
                for position, record in enumerate(result.records):
                    if opts.config.raw:  # parser output: no ids, nothing to count or link
                        writer.write(record)
                        continue
                    if not _keep(record, seen, None if opts.full else store, opts.dedupe,
                                 outcome):
                        continue
                    if encoded:
                        if opts.counts_stats:
                            outcome.stats.add_summary(record["stats"])
                        writer.write_encoded(result.encoded[position])
                        continue
                    if near is not None:
                        near.add_record(record)
                    if opts.link_read_also:
                        index.setdefault(title_key(record["title"]), record["id"])
                    outcome.stats.add(record)
                    writer.write(record)
                if store is not None:
                    while unchanged:
                        store.mark_seen(unchanged.popleft())
                        skipped[0] += 1
                    # A file with any problem (or, with --strict, any warning) is not recorded:
                    # it keeps its earlier state and is tried again next run.
                    warned = opts.strict and any(r["warnings"] for r in result.records)
                    if result.records and not result.problems and not warned \
                            and hexdigest is not None:
                        store.record_result(result, hexdigest, at)
                    else:
                        store.mark_failed(result.name)
            writer.close()
            if store is not None:
                # Before the output is replaced: a state that cannot be written costs this
                # run's output nothing (the old one stays) and leaves the state as it was.
                while unchanged:
                    store.mark_seen(unchanged.popleft())
                    skipped[0] += 1
                outcome.counts = store.finish()
            if opts.link_read_also:
                scratch.seek(0)
                with open_output(opts.out, keep_existing=keep_existing) as stream:
                    final = make_writer(opts.fmt, stream, defuse_formulas=opts.defuse_formulas)
                    for record in read_jsonl(scratch):
                        outcome.linked += link_read_also(record, index)
                        final.write(record)
                    final.close()
        if near is not None:
            outcome.near_groups = near.groups()
            outcome.stats.near_duplicate_groups = outcome.near_groups
        _write_side_files(opts, outcome)
        if store is not None:
            try:
                store.commit_run()  # last: an interrupted run leaves the state as it was
            except sqlite3.Error as exc:
                raise StateWriteError(
                    f"{opts.state_path}: cannot save the run in the state file ({exc}); the "
                    "output was written, the state is as it was: the next run parses these "
                    "inputs again") from None
    except sqlite3.Error as exc:  # the state, or the run's duplicate index, mid-run
        where = opts.state_path if store is not None else "the run's duplicate index"
        raise StateWriteError(f"{where}: {exc}; no output was replaced") from None
    finally:
        if store is not None:
            store.close()  # without commit_run, the state is exactly as it was
    return outcome


def _keep(record: dict[str, Any], seen: SeenIds, store: StateStore | None,
          dedupe: bool, outcome: RunOutcome) -> bool:
    """Note an exact duplicate (same id as a record written earlier in this run, or recorded
    in the state by an earlier run, even from this same file); with ``dedupe``, say to drop
    it."""
    rid = record["id"]
    if store is None:
        first = seen.first_or_add(rid, record["source_file"])
    else:
        first = seen.get(rid) or store.owner(rid)
        if first is None:
            seen.add(rid, record["source_file"])
    if first is None:
        return True
    outcome.duplicates += 1
    outcome.stats.note_duplicate(rid, record["source_file"], first)
    if dedupe:
        outcome.dropped += 1
        outcome.report.records -= 1  # the report counts records written
        outcome.stats.note_dropped_duplicate()
        return False
    return True


def _write_side_files(opts: RunOptions, outcome: RunOutcome) -> None:
    if opts.errors_path:
        with open_output(opts.errors_path) as stream:
            for problem in outcome.report.problems:
                stream.write(json.dumps(problem.to_dict(), ensure_ascii=False) + "\n")
    if opts.stats_path:
        with open_output(opts.stats_path) as stream:
            data = outcome.stats.to_dict()
            if outcome.counts is not None:
                data["state"] = outcome.counts.to_dict()
            stream.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _execute_parts(opts: RunOptions, config: Config, outcome: RunOutcome,
                   on_problem: Callable[[Problem], None]) -> None:
    from .dask_engine import dask_write_parts, remove_stale_parts

    items = iter_sources(opts.inputs, config.max_bytes, config.follow_links)
    written: list[str] = []
    for part in dask_write_parts(items, config, opts.out or "", opts.fmt,
                                 scheduler=opts.scheduler, partition_size=opts.partition_size,
                                 n_workers=opts.jobs, defuse_formulas=opts.defuse_formulas):
        if part.path is not None:
            written.append(part.path)
        part.add_to(outcome.report)
        for result in part.results:
            for problem in result.problems:
                outcome.stats.add_problem(problem)
                on_problem(problem)
    # Only after every part is written: an interrupted run leaves the earlier parts alone, and
    # so does a run that wrote no record (a mistyped input must not wipe a good dataset).
    if outcome.report.records:
        outcome.stale_parts = len(remove_stale_parts(opts.out or "", written))
    else:
        outcome.kept_parts = len(remove_stale_parts(opts.out or "", written, dry_run=True))
    _write_side_files(opts, outcome)
