"""The whole job behind ``ingest``: sources through an executor to one output, plus the corpus
bookkeeping a maintainer needs between runs.

Sits on top of the flow and below the CLI: it checks the run's options (``plan``), looks the
engine up (``executors.ENGINES``) and the format (``export.FORMATS``), skips inputs an
incremental state has already seen (named by ``corpus.keys``), writes records atomically,
notes (and with ``dedupe`` drops) duplicates, refuses records whose warnings a strict run
does not accept, stops at a limit, groups near-duplicates, links "read also" items to articles
of the corpus, learns or loads a tag lexicon, and collects statistics. A result is written by
the function of its record mode: ``_write_raw`` (the parser's output), ``_write_encoded``
(records the workers encoded), ``_write_whole`` (records this process needs whole), and
``_link_pass`` afterwards for ``link_read_also``. Every count is the ``Report``'s. It never
prints: problems reach the caller through ``on_problem``, and options that cannot work are
typed errors naming ``RunOptions`` fields.

Its length (about 470 lines) is earned by being the one place that knows the whole job: the
bookkeeping of each record mode and the order in which output, side files and state are
committed, which must stay side by side to stay right.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .corpus.duplicates import NearDuplicates, SeenIds, link_read_also
from .corpus.keys import RunKeys
from .corpus.state import RunCounts, StateStore, StateWriteError, digest, title_key
from .corpus.stats import Stats
from .errors import IngestError, SourceError
from .executors import Executor, PartsExecutor
from .executors.parts import remove_stale_parts
from .export import Format, TextWriter, Writer, get_format, make_writer, read_jsonl
from .layouts import LayoutSet
from .output import Renames, open_output
from .parse import prepare_lines
from .pipeline import Config, Context, EncodedResult, FileResult, Problem, Result
from .plan import RunOptions, UsageConflict, check_options
from .report import Outcome, Report, count_of
from .sources import Source, SourceProblem, count_inputs, decode, iter_sources
from .tags import TagLexicon

__all__ = ["RunOptions", "RunOutcome", "check_options", "execute"]

Item = Source | SourceProblem


@dataclass
class RunOutcome:
    """What a run did, for the summary and the exit code (every count is the report's)."""

    report: Report
    stats: Stats
    counts: RunCounts | None = None  # the state's view: new, changed, unchanged ...
    near_groups: list[dict[str, Any]] = field(default_factory=list)
    lexicon: str | None = None  # what happened to the tag lexicon, in words
    kept_output: str | None = None  # out left as it was: this run read nothing
    skipped_output: str | None = None  # out not written: no record (RunOptions.skip_empty)
    limited: bool = False  # the run stopped at RunOptions.limit


# --- tag lexicon --------------------------------------------------------------------------------


def tag_lines(items: Iterable[Item], layouts: LayoutSet, config: Config) -> Iterator[str]:
    """Every keyword line of the inputs, found by the layouts' ``tags`` field patterns (only the
    forced layout's with ``Config.layout``): the cheap first pass that learns a lexicon (no
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
            raise UsageConflict(str(exc), ("lexicon_path",)) from None
        except OSError as exc:
            raise UsageConflict(f"{path}: cannot read the tag lexicon: {exc.strerror or exc}",
                                ("lexicon_path",)) from None
        note = f"tag lexicon: {count_of(len(lexicon), 'phrase')} loaded from {path}"
    else:
        items = iter_sources(opts.inputs, opts.config.max_bytes, opts.config.follow_links,
                             opts.config.names)
        lexicon = TagLexicon.learn(tag_lines(items, layouts, opts.config))
        if not len(lexicon):
            return opts.config, "tag lexicon: no phrase recurs in the inputs' keyword lines; " \
                f"nothing saved to {path}"
        lexicon.save(path)
        note = (f"tag lexicon: {count_of(len(lexicon), 'phrase')} learnt from the inputs, "
                f"saved to {path}")
    return dataclasses.replace(opts.config, lexicon_path=os.path.abspath(path)), note


# --- the run's bookkeeping ----------------------------------------------------------------------


class _Books:
    """Everything a run notes about its results: the report (every count), statistics,
    exact duplicates, near-duplicates, the title index for read-also links, the state."""

    def __init__(self, opts: RunOptions, outcome: RunOutcome, store: StateStore | None,
                 seen: SeenIds, on_problem: Callable[[Problem], None], at: str | None,
                 renames: Renames) -> None:
        self.opts = opts
        self.report = outcome.report
        self.stats = outcome.stats
        self.store = store
        self.seen = seen
        self.on_problem = on_problem
        self.at = at
        self.near = NearDuplicates(opts.near_dupes) if opts.near_dupes is not None else None
        self.index: dict[str, str] = (
            store.title_index() if (store is not None and opts.link_read_also) else {})
        self.unchanged = 0  # inputs the state knew with the same bytes: read, not parsed
        self.written = 0  # records written so far (for the limit)
        self.keys = RunKeys(opts.state_path, opts.inputs) if opts.state_path else None
        self.renames = renames  # finished outputs: they replace their targets together

    def file(self, result: Outcome) -> None:
        """One input's outcome, its problems, and each of its records whose warnings a
        strict run refuses (a problem of stage ``strict`` naming the record)."""
        self.report.add(result)
        for problem in result.problems:
            self.stats.add_problem(problem)
            self.on_problem(problem)
        for source_file, warnings in result.warned_records():
            refused = self.opts.refused(warnings)
            if refused:
                problem = Problem(source_file, "strict",
                                  f"record has warnings: {'; '.join(refused)}", kind="strict")
                self.report.refuse(problem)
                self.on_problem(problem)

    def keep(self, rid: str, source_file: str) -> bool:
        """Note an exact duplicate (same id as a record written earlier in this run, or
        recorded in the state by an earlier run, even from this same file); with ``dedupe``,
        say to drop it. Past the run's limit, say to drop every record."""
        store = None if self.opts.full else self.store
        if store is None:
            first = self.seen.first_or_add(rid, source_file)
        else:
            first = self.seen.get(rid) or store.owner(rid)
            if first is None:
                self.seen.add(rid, source_file)
        if first is not None:
            dropped = self.opts.dedupe
            self.report.duplicate(dropped=dropped)
            self.stats.note_duplicate(rid, source_file, first)
            if dropped:
                self.stats.note_dropped_duplicate()
                return False
        return self.take()

    def take(self) -> bool:
        """Count a record as written; False past the run's limit (it is not written)."""
        if self.limit_reached:
            self.report.limit(1)
            return False
        self.written += 1
        return True

    @property
    def limit_reached(self) -> bool:
        """Whether the run has written as many records as its limit."""
        return self.opts.limit is not None and self.written >= self.opts.limit

    def whole(self, record: dict[str, Any]) -> None:
        """A whole record that is written: near-duplicates, the title index, statistics."""
        if self.near is not None:
            self.near.add_record(record)
        if self.opts.link_read_also:
            self.index.setdefault(title_key(record["title"]), record["id"])
        self.stats.add(record)

    def in_state(self, result: Result) -> None:
        """Record an input in the state. One that gave no record keeps its earlier state; one
        that failed in part, or whose warnings a strict run refused, is recorded (its records
        count as written, for duplicates) but not done: tried again next run."""
        if self.store is None:
            return
        key = result.key or result.name
        if not result.count or result.digest is None:
            self.store.mark_failed(key, result.digest)
            return
        refused = any(self.opts.refused(warnings) for _, warnings in result.warned_records())
        pending = "failed" if result.problems else ("with_warnings" if refused else None)
        self.store.record_result(result, result.digest, self.at, name=key, pending=pending)

    def skip_unchanged(self, key: str) -> None:
        assert self.store is not None
        self.store.mark_seen(key)
        self.unchanged += 1


def _keyed(roots: list[str], keys: RunKeys, config: Config) -> Iterator[Item]:
    """Every input of ``roots`` (as ``iter_sources`` gives them) with its state key."""
    for index, root in enumerate(roots):
        for item in iter_sources([root], config.max_bytes, config.follow_links, config.names):
            item.key = keys.key(index, item.name)
            yield item


def _unseen(items: Iterable[Item], known: dict[str, str], full: bool, max_bytes: int,
            on_unchanged: Callable[[str], None], keys: RunKeys) -> Iterator[Item]:
    """Inputs the state has not seen with these exact bytes (all of them with ``full``), each
    with its digest (``Source.digest``); ``on_unchanged(key)`` for each one skipped. What
    cannot be read is protected: nothing under it vanishes from the state.

    Reads each file once here to hash it; the bytes travel on to the parser, so nothing is read
    twice. ``known`` is key -> digest, read at the start of the run. Executors pull items in
    the calling thread, so ``on_unchanged`` may write to the state's database."""
    for item in items:
        if isinstance(item, SourceProblem):
            keys.protect(item.key or item.name)
            yield item
            continue
        try:
            data = item.read(max_bytes)
        except SourceError as exc:
            keys.protect(item.key or item.name)
            yield dataclasses.replace(SourceProblem.of(item.name, exc), key=item.key)
            continue
        hexdigest = digest(data)
        if not full and known.get(item.key or item.name) == hexdigest:
            on_unchanged(item.key or item.name)
            continue
        yield Source(item.name, data=data, plain=True, digest=hexdigest, key=item.key)


# --- one function per record mode ---------------------------------------------------------------


def _write_raw(result: Result, writer: Writer, books: _Books) -> None:
    """The parser's output (``Config.raw``): no ids, nothing to count or link."""
    books.file(result)
    assert isinstance(result, FileResult)
    for record in result.records:
        if books.take():
            writer.write(record)


def _write_encoded(result: Result, writer: Writer, books: _Books) -> None:
    """Records the workers encoded: the text is copied, the rest counted from the summary."""
    books.file(result)
    assert isinstance(result, EncodedResult)
    assert isinstance(writer, TextWriter)  # workers encode only for formats with an encoder
    for record in result.records:
        if books.keep(record.id, record.source_file):
            if record.summary is not None:
                books.stats.add_summary(record.summary)
            writer.write_encoded(record.text)
    books.in_state(result)


def _write_whole(result: Result, writer: Writer, books: _Books) -> None:
    """Records this process needs whole (near-duplicates, links, a binary format)."""
    books.file(result)
    assert isinstance(result, FileResult)
    for record in result.records:
        if books.keep(record["id"], record["source_file"]):
            books.whole(record)
            writer.write(record)
    books.in_state(result)


def _link_pass(scratch: Any, opts: RunOptions, fmt: Format, books: _Books,
               keep_existing: Callable[[], bool], discard: Callable[[], bool]) -> None:
    """The second pass of ``link_read_also``: the run's records back from the scratch file,
    their read-also items linked (links may point forward), written to the real output."""
    scratch.seek(0)
    with open_output(opts.out, binary=fmt.binary, keep_existing=keep_existing,
                     discard=discard, renames=books.renames) as stream:
        final = _writer(opts, fmt, stream)
        for record in read_jsonl(scratch):
            books.report.link(link_read_also(record, books.index))
            final.write(record)
        final.close()


# --- the run --------------------------------------------------------------------------------------


def execute(
    opts: RunOptions,
    *,
    on_problem: Callable[[Problem], None] = lambda problem: None,
    wrap: Callable[[Iterator[Result], Callable[..., int] | None], Iterator[Result]] | None = None,
    at: str | None = None,
    describe: Callable[[Problem], str] | None = None,
) -> RunOutcome:
    """Run the job. ``wrap`` may wrap the stream of results (a progress bar); it is given a
    function that counts the inputs (``sources.count_inputs`` with the inputs bound; it takes
    an optional ``stop`` event), for it to call when it likes (None with a state, which skips
    unchanged inputs). ``at`` is the ingestion time stored in the state (default: now, UTC).
    ``describe`` words a problem for the errors file (default: its ``reason``)."""
    executor = check_options(opts)
    layouts = Context(opts.config).layouts  # configuration errors surface before any input
    store = StateStore(opts.state_path) if opts.state_path else None  # so does a bad state
    try:
        config, lexicon_note = prepare_lexicon(opts, layouts)
    except BaseException:
        if store is not None:
            store.close()
        raise
    outcome = RunOutcome(report=Report(), stats=Stats(), lexicon=lexicon_note)
    try:
        with SeenIds() as seen, Renames() as renames:  # seen: on disk past a few MiB
            books = _Books(opts, outcome, store, seen, on_problem, at, renames)
            if opts.parts_dir:
                _execute_parts(opts, executor, config, books)
            else:
                _execute_file(opts, executor, config, books, outcome, wrap)
            if books.near is not None:
                outcome.near_groups = books.near.groups()
                outcome.stats.near_duplicate_groups = outcome.near_groups
            _write_side_files(opts, outcome, describe, renames)
            # Every file written: only now does any replace its target (a run that fails
            # writing its errors file leaves the old output too).
            renames.commit()
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


def _writer(opts: RunOptions, fmt: Format, stream: Any) -> Writer:
    """The run's writer of ``fmt`` on ``stream``: the keys asked for, a BOM if asked."""
    return make_writer(fmt.name, stream, defuse_formulas=opts.defuse_formulas,
                       keys=opts.config.fields, bom=opts.csv_bom)


def _execute_file(opts: RunOptions, executor: Executor, config: Config, books: _Books,
                  outcome: RunOutcome, wrap: Any) -> None:
    """The run into one output (a file or stdout)."""
    fmt = get_format(opts.fmt)
    if opts.config.raw:
        write = _write_raw
    elif opts.whole_records:
        write = _write_whole
    else:
        write = _write_encoded
        config = dataclasses.replace(config, encode=opts.fmt,
                                     defuse_formulas=opts.defuse_formulas,
                                     stats=opts.counts_stats)
    items: Iterable[Item]
    store = books.store
    if store is not None and books.keys is not None:
        store.begin_run(books.at)
        known = store.known()  # inside the run's transaction: no other run moves it now
        items = _unseen(_keyed(opts.inputs, books.keys, config), known, opts.full,
                        config.max_bytes, books.skip_unchanged, books.keys)
    else:
        items = iter_sources(opts.inputs, config.max_bytes, config.follow_links, config.names)

    def keep_existing() -> bool:
        """A run that read nothing (every input failed, or none was found) leaves an existing
        output as it was: a mistyped input must not empty a good file."""
        if not books.report.read_nothing or books.unchanged:
            return False
        outcome.kept_output = opts.out
        return True

    def discard() -> bool:
        """With ``skip_empty``, a run that wrote no record writes no output file."""
        if not opts.skip_empty or books.written:
            return False
        outcome.skipped_output = opts.out
        return True

    with contextlib.ExitStack() as stack:
        # Close the executor (and end its workers) as soon as the run stops, however it stops:
        # left to the garbage collector, an exception's reference cycle could keep it, and
        # its workers, alive until interpreter exit.
        results = executor.results(items, config)
        stack.callback(results.close)  # type: ignore[attr-defined]
        if wrap is not None:
            # With a state, unchanged inputs give no result: no total to count towards.
            count = (functools.partial(count_inputs, opts.inputs, follow=config.follow_links,
                                       names=config.names)
                     if store is None else None)
            results = wrap(results, count)
            stack.callback(results.close)  # type: ignore[attr-defined]
        if opts.link_read_also:
            # Links may point forward: records go to a scratch file, then a second pass links
            # them and writes the real output.
            scratch = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
            writer = make_writer("jsonl", scratch)
        else:
            stream = stack.enter_context(open_output(opts.out, binary=fmt.binary,
                                                     keep_existing=keep_existing,
                                                     discard=discard, renames=books.renames))
            writer = _writer(opts, fmt, stream)
        for result in results:
            write(result, writer, books)
            if books.limit_reached:  # stop reading (the executor's workers end with it)
                outcome.limited = True
                break
        writer.close()
        if store is not None and books.keys is not None:
            # Before the output is replaced: a state that cannot be written costs this run's
            # output nothing (the old one stays) and leaves the state as it was.
            outcome.counts = store.finish(within=books.keys.vanishes)
        if opts.link_read_also:
            _link_pass(scratch, opts, fmt, books, keep_existing, discard)


def _execute_parts(opts: RunOptions, executor: Executor, config: Config,
                   books: _Books) -> None:
    """The run into a folder of part files, each written by the worker that made it."""
    assert isinstance(executor, PartsExecutor)
    out = opts.out or ""
    items = iter_sources(opts.inputs, config.max_bytes, config.follow_links, config.names)
    written: list[str] = []
    for part in executor.write_parts(items, dataclasses.replace(config, bom=opts.csv_bom), out,
                                     opts.fmt, defuse_formulas=opts.defuse_formulas):
        if part.path is not None:
            written.append(part.path)
        for file in part.outcomes:
            books.file(file)
    # Only after every part is written: an interrupted run leaves the earlier parts alone, and
    # so does a run that wrote no record (a mistyped input must not wipe a good dataset).
    if books.report.records:
        books.report.parts(removed=len(remove_stale_parts(out, written)))
    else:
        books.report.parts(kept=len(remove_stale_parts(out, written, dry_run=True)))


def _write_side_files(opts: RunOptions, outcome: RunOutcome,
                      describe: Callable[[Problem], str] | None, renames: Renames) -> None:
    if opts.errors_path:
        with _naming(opts.errors_path), open_output(opts.errors_path,
                                                    renames=renames) as stream:
            for problem in outcome.report.problems:
                reason = describe(problem) if describe is not None else None
                stream.write(json.dumps(problem.to_dict(reason), ensure_ascii=False) + "\n")
    if opts.stats_path:
        with _naming(opts.stats_path), open_output(opts.stats_path, renames=renames) as stream:
            data = outcome.stats.to_dict()
            if outcome.counts is not None:
                data["state"] = outcome.counts.to_dict()
            stream.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@contextlib.contextmanager
def _naming(path: str) -> Iterator[None]:
    """An error writing a side file names it (a write error on a stream names no file)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror or str(exc), path) from exc
        raise
