"""Command line: options, messages and exit codes. No text is parsed here.

Exit codes: 0 every input parsed; 1 some inputs failed (every good record is still written), or
with ``--strict`` some record has warnings; 2 usage or configuration error (nothing read);
130 interrupted. Data goes to stdout (or ``--out``); messages, progress and the summary to stderr.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import click

from . import __version__
from .errors import IngestError
from .export import FORMATS, format_for_path
from .layouts import LayoutSet
from .pipeline import DEFAULT_TIMEOUT, Config, FileResult
from .runner import RunOptions, RunOutcome, execute
from .schema import record_schema
from .sources import DEFAULT_MAX_BYTES


def _err(message: str) -> None:
    click.echo(message, err=True)


def _default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


class _Interrupted(BaseException):
    """SIGTERM, raised like KeyboardInterrupt: no ``except Exception`` may swallow it."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Interrupted()


#: A run shorter than this shows no progress bar.
PROGRESS_AFTER_SECONDS = 0.5


def _with_progress(
    results: Iterator[FileResult], count: Callable[..., int] | None, console: Any = None
) -> Iterator[FileResult]:
    """A rich progress bar on stderr once a run lasts more than a moment: files done of total,
    articles per second, time left. It is removed when the run ends (the summary follows).

    ``count(stop=event)`` (how many inputs there are) runs in a background thread, so a large
    tree or a compressed archive, which takes as long to list as to read, never delays the run:
    until it answers the bar shows ``done/?``. It is told to stop when the results end."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    counted: list[int] = []
    stop = threading.Event()
    counter = None
    if count is not None:
        def run_count() -> None:
            with contextlib.suppress(Exception):  # a total is a nicety: the run reports errors
                counted.append(count(stop=stop))

        counter = threading.Thread(target=run_count, name="count-inputs", daemon=True)
        counter.start()
    started = time.monotonic()
    done = records = 0
    total: int | None = None
    progress = task = None
    try:
        for result in results:
            done += 1
            records += len(result.records)
            elapsed = time.monotonic() - started
            if total is None and counted:
                total = counted[0]
                if progress is not None and task is not None:
                    progress.update(task, total=total)
            if progress is None and elapsed > PROGRESS_AFTER_SECONDS:
                progress = Progress(
                    TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]} articles/s"), TimeRemainingColumn(),
                    console=console or Console(stderr=True), transient=True)
                progress.start()
                task = progress.add_task("ingest", total=total, completed=done - 1, rate="-")
            if progress is not None and task is not None:
                progress.update(task, advance=1, rate=f"{records / elapsed:,.0f}")
            yield result
    finally:
        stop.set()
        if counter is not None:
            counter.join(timeout=2.0)  # it checks at every file; a stuck file system won't hold us
        if progress is not None:
            progress.stop()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
# readable=False: an input that cannot be read is that input's failure, named like the same file
# met in a folder, not a usage error that stops the run.
@click.argument("inputs", nargs=-1,
                type=click.Path(dir_okay=True, allow_dash=True, readable=False))
@click.option("-o", "--out", "out", metavar="FILE",
              help="Write records to FILE ('-' for stdout, the default). The format follows the "
                   "extension (.jsonl, .json, .csv, optionally .gz); written atomically.")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS),
              help="Output format; overrides the extension of --out. Default: jsonl.")
@click.option("--layout", metavar="NAME",
              help="Parse every input with this layout (no detection).")
@click.option("--layouts", "layout_paths", multiple=True, metavar="PATH",
              type=click.Path(exists=True),
              help="Add layouts from a YAML file or folder (repeatable).")
@click.option("--list-layouts", is_flag=True,
              help="List the known layouts and where each comes from.")
@click.option("--schema", "show_schema", is_flag=True,
              help="Print the JSON Schema (draft 2020-12) of a record and exit.")
@click.option("--raw", is_flag=True,
              help="Write what the parser found, before normalisation (for debugging layouts).")
@click.option("--errors", "errors_path", metavar="FILE",
              help="Write one JSON line per problem (source_file, stage, reason, line).")
@click.option("--strict", is_flag=True, help="Exit 1 when any record has warnings, too.")
@click.option("--encoding", metavar="NAME", help="Decode every input with this encoding.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES,
              show_default=True, help="Refuse inputs larger than this many bytes.")
@click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT,
              show_default=True, metavar="SECONDS",
              help="Give up on an input after this many seconds: it is named as failed and the "
                   "run goes on (0: no limit).")
@click.option("-L", "--follow", "follow_links", is_flag=True,
              help="Follow symbolic links that lead out of an input folder (links inside it "
                   "are always followed).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Run on local worker processes, or on a Dask cluster.")
@click.option("--scheduler", metavar="ADDRESS",
              help="With --engine dask: a running scheduler (tcp://host:8786); "
                   "without it a local cluster is started.")
@click.option("--partition-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="With --engine dask: inputs per task.")
@click.option("--state", "state_path", metavar="FILE",
              help="Incremental runs: remember every input in this SQLite file and parse only "
                   "new or changed inputs next time.")
@click.option("--full", is_flag=True, help="With --state: parse every input, seen or not.")
@click.option("--dedupe", is_flag=True,
              help="Drop records whose id (same normalised title and body) was already written.")
@click.option("--near-dupes", type=click.FloatRange(0.0, 1.0, min_open=True), metavar="THRESHOLD",
              help="Report groups of near-duplicate articles (MinHash Jaccard >= THRESHOLD).")
@click.option("--link-read-also", is_flag=True,
              help="Give read-also items that are articles of the corpus that article's id "
                   "(a second pass over the output).")
@click.option("--stats", "stats_path", metavar="FILE",
              help="Write corpus statistics (JSON): layouts, outlets, years, missing fields, "
                   "warnings, duplicates.")
@click.option("--tag-lexicon", "lexicon_path", metavar="FILE",
              help="Multi-word tags (YAML) to split keyword lines with: loaded when FILE exists, "
                   "else learnt from the inputs' keyword lines and saved to FILE.")
@click.option("--defuse-formulas/--no-defuse-formulas", default=True, show_default=True,
              help="In CSV, prefix cells starting with = + - @ with a quote.")
@click.option("--progress/--no-progress", default=True,
              help="Show a progress bar on stderr when it is a terminal.")
@click.option("-q", "--quiet", is_flag=True, help="No summary line; errors only.")
@click.version_option(__version__, prog_name="ingest")
def main(
    inputs: tuple[str, ...],
    out: str | None,
    fmt: str | None,
    layout: str | None,
    layout_paths: tuple[str, ...],
    list_layouts: bool,
    show_schema: bool,
    raw: bool,
    errors_path: str | None,
    strict: bool,
    encoding: str | None,
    max_bytes: int,
    timeout: float,
    follow_links: bool,
    jobs: int | None,
    engine: str,
    scheduler: str | None,
    partition_size: int,
    state_path: str | None,
    full: bool,
    dedupe: bool,
    near_dupes: float | None,
    link_read_also: bool,
    stats_path: str | None,
    lexicon_path: str | None,
    defuse_formulas: bool,
    progress: bool,
    quiet: bool,
) -> None:
    """Parse scraped news dumps into article records.

    INPUTS are files, folders (walked for *.txt in sorted order), archives, or '-' for stdin.

    \b
    Examples:
      ingest seeds/ --out articles.jsonl
      ingest seeds/ | jq -r .title
      cat one.txt | ingest - --format csv
    """
    if show_schema:
        click.echo(json.dumps(record_schema(), ensure_ascii=False, indent=2))
        return
    config = Config(layout=layout, layout_paths=layout_paths, encoding=encoding,
                    max_bytes=max_bytes, raw=raw, follow_links=follow_links,
                    timeout=timeout or None)
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise click.BadParameter(f"unknown encoding '{encoding}'",
                                     param_hint="--encoding") from None
        try:
            "a".encode(encoding)  # rot13, base64, zlib ... are codecs, not text encodings
        except LookupError:
            raise click.BadParameter(f"'{encoding}' is not a text encoding",
                                     param_hint="--encoding") from None
    try:
        layouts = LayoutSet.load(layout_paths)
        if layout:
            layouts.get(layout)
    except IngestError as exc:
        _err(f"Error: {exc.reason}")
        sys.exit(2)
    if list_layouts:
        for item in layouts:
            click.echo(f"{item.name}\t{item.kind}\t{item.origin}\t{item.description}")
        return
    if not inputs:
        raise click.UsageError("no INPUTS given (a file, a folder, or '-' for stdin)")
    interactive = sys.stderr.isatty() and not quiet
    opts = RunOptions(
        inputs=list(inputs), config=config, out=out, fmt=_output_format(out, fmt),
        jobs=jobs or _default_jobs(), engine=engine, scheduler=scheduler,
        partition_size=partition_size, defuse_formulas=defuse_formulas,
        errors_path=errors_path, stats_path=stats_path, state_path=state_path, full=full,
        dedupe=dedupe, near_dupes=near_dupes, link_read_also=link_read_also,
        lexicon_path=lexicon_path, collect_stats=interactive, strict=strict)
    for path, hint in ((None if opts.parts_dir else out, "--out"), (errors_path, "--errors"),
                       (stats_path, "--stats"), (state_path, "--state"),
                       (lexicon_path, "--tag-lexicon")):
        if path and path != "-" and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise click.BadParameter(f"folder of '{path}' does not exist", param_hint=hint)
        if path and os.path.isdir(path):
            raise click.BadParameter(f"'{path}' is a folder, not a file", param_hint=hint)

    signal.signal(signal.SIGTERM, _on_sigterm)
    wrap = _with_progress if progress and interactive else None
    try:
        outcome = execute(opts, on_problem=lambda p: _err(f"error: {p.message()}"), wrap=wrap)
    except (KeyboardInterrupt, _Interrupted):
        _err("interrupted: no output file was replaced")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`ingest … | head -1`): not an error.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except IngestError as exc:
        _err(f"Error: {exc.reason}")
        sys.exit(2 if exc.stage == "config" else 1)
    except OSError as exc:
        target = exc.filename or out or "stdout"
        if str(target).endswith(".part"):  # the temporary file beside the target: name the target
            target = out
        _err(f"Error: cannot write {target}: {exc.strerror or exc}")
        sys.exit(1)
    if not quiet:
        for line in _summary(outcome):
            _err(line)
        if interactive and outcome.stats.records:
            from rich.console import Console

            Console(stderr=True).print(outcome.stats.render())
    sys.exit(outcome.report.exit_code(strict))


def _output_format(out: str | None, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    if not out or out == "-" or out.endswith("/"):
        return "jsonl"
    implied = format_for_path(out)
    if implied is None:
        if os.path.isdir(out) or (os.path.exists(out) and not os.path.isfile(out)):
            return "jsonl"  # a folder of part files, or a device or FIFO (/dev/null)
        raise click.BadParameter(
            f"cannot tell the format from '{out}': use .jsonl, .json or .csv, or --format",
            param_hint="--out")
    return implied


def _summary(outcome: RunOutcome) -> list[str]:
    lines = [outcome.report.summary()]
    if outcome.counts is not None:
        lines.append(f"state: {outcome.counts.summary()}")
    if outcome.duplicates:
        dropped = f", {outcome.dropped} dropped" if outcome.dropped else ""
        lines.append(f"duplicates: {outcome.duplicates} records repeat an earlier id{dropped}")
    if outcome.near_groups:
        lines.append(f"near-duplicates: {len(outcome.near_groups)} groups")
        for group in outcome.near_groups[:5]:
            names = ", ".join(m["source_file"] for m in group["members"])
            lines.append(f"  {group['score']:.3f}: {names}")
    if outcome.linked:
        lines.append(f"read-also items linked to corpus articles: {outcome.linked}")
    if outcome.lexicon:
        lines.append(outcome.lexicon)
    if outcome.stale_parts:
        lines.append(f"removed {outcome.stale_parts} part files of an earlier run from the "
                     "output folder")
    if outcome.kept_output:
        lines.append(f"nothing was read: {outcome.kept_output} was left as it was")
    if outcome.kept_parts:
        lines.append(f"kept {outcome.kept_parts} part files of an earlier run in the output "
                     "folder: this run wrote no record")
    return lines
