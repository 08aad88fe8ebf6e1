"""Command line: options, messages and exit codes. No text is parsed here.

The CLI owns the user's wording: the library raises typed errors that carry the facts and
name settings in its own words (``RunOptions`` fields, "the size limit"); ``_message`` and
``_problem_reason`` turn them into sentences that name this command's options. The choices of
``--format`` and ``--engine`` come from their registries (``export.FORMATS``,
``executors.ENGINES``).

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
from typing import Any

import click

from . import __version__
from .errors import (
    SIZE_LIMIT,
    TIME_LIMIT,
    ExtraMissing,
    IngestError,
    UnknownName,
    install_hint,
)
from .executors import ENGINES
from .executors.dask import BadScheduler
from .export import FORMATS, format_for_path
from .layouts import LayoutSet
from .pipeline import DEFAULT_TIMEOUT, Config, Problem
from .runner import (
    BothToStdout,
    OptionNeeds,
    OutputIsInput,
    PartsNeedRecords,
    RawConflict,
    RunOptions,
    RunOutcome,
    SameFile,
    execute,
)
from .schema import record_schema
from .sources import DEFAULT_MAX_BYTES
from .terminal import render_stats, with_progress

#: Every output file extension, for messages: '.jsonl, .ndjson, .json, .csv, .parquet'.
_EXTENSIONS = ", ".join(ext for fmt in FORMATS.values() for ext in fmt.extensions)


def _err(message: str) -> None:
    click.echo(message, err=True)


def _default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


class _Interrupted(BaseException):
    """SIGTERM, raised like KeyboardInterrupt: no ``except Exception`` may swallow it."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Interrupted()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
# readable=False: an input that cannot be read is that input's failure, named like the same file
# met in a folder, not a usage error that stops the run.
@click.argument("inputs", nargs=-1,
                type=click.Path(dir_okay=True, allow_dash=True, readable=False))
@click.option("-o", "--out", "out", metavar="FILE",
              help="Write records to FILE ('-' for stdout, the default). The format follows the "
                   f"extension ({_EXTENSIONS}; a text format optionally .gz); written "
                   "atomically.")
@click.option("-f", "--format", "fmt", type=click.Choice(list(FORMATS)),
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
@click.option("--engine", type=click.Choice(list(ENGINES)), default=next(iter(ENGINES)),
              show_default=True, help="Run on local worker processes, or on a Dask cluster.")
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
        _err(f"Error: {_message(exc)}")
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
    wrap = with_progress if progress and interactive else None
    try:
        outcome = execute(opts, wrap=wrap, describe=_problem_reason,
                          on_problem=lambda p: _err(f"error: {p.message(_problem_reason(p))}"))
    except (KeyboardInterrupt, _Interrupted):
        _err("interrupted: no output file was replaced")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`ingest … | head -1`): not an error.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except IngestError as exc:
        _err(f"Error: {_message(exc, opts)}")
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

            Console(stderr=True).print(render_stats(outcome.stats.to_dict()))
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
            f"cannot tell the format from '{out}': use {_EXTENSIONS}, or --format",
            param_hint="--out")
    return implied


def _summary(outcome: RunOutcome) -> list[str]:
    lines = [outcome.report.summary()]
    if outcome.counts is not None:
        lines.append(f"state: {outcome.counts.summary()}")
    report = outcome.report
    if report.duplicates:
        dropped = f", {report.dropped} dropped" if report.dropped else ""
        lines.append(f"duplicates: {report.duplicates} records repeat an earlier id{dropped}")
    if outcome.near_groups:
        lines.append(f"near-duplicates: {len(outcome.near_groups)} groups")
        for group in outcome.near_groups[:5]:
            names = ", ".join(m["source_file"] for m in group["members"])
            lines.append(f"  {group['score']:.3f}: {names}")
    if report.linked:
        lines.append(f"read-also items linked to corpus articles: {report.linked}")
    if outcome.lexicon:
        lines.append(outcome.lexicon)
    if report.stale_parts:
        lines.append(f"removed {report.stale_parts} part files of an earlier run from the "
                     "output folder")
    if outcome.kept_output:
        lines.append(f"nothing was read: {outcome.kept_output} was left as it was")
    if report.kept_parts:
        lines.append(f"kept {report.kept_parts} part files of an earlier run in the output "
                     "folder: this run wrote no record")
    return lines


# --- the user's wording -------------------------------------------------------------------------

#: How a problem the library names by kind is worded here: the settings it names are options.
_PROBLEM_WORDS = {
    "too_large": lambda reason: reason.replace(SIZE_LIMIT, "--max-bytes"),
    "timeout": lambda reason: reason.replace(TIME_LIMIT, "--timeout"),
    "no_layout": lambda reason: f"{reason} (see 'ingest --list-layouts')",
    "ambiguous_layout": lambda reason: f"{reason}; pick one with --layout",
    "link_out": lambda reason: f"{reason} (-L/--follow follows links)",
}


def _problem_reason(problem: Problem) -> str:
    """A problem's reason as this command words it (on stderr and in ``--errors``)."""
    words = _PROBLEM_WORDS.get(problem.kind)
    return words(problem.reason) if words else problem.reason


def _flag(name: str, opts: RunOptions | None = None) -> str:
    """The option that sets a ``RunOptions`` field: ``'state_path'`` -> ``'--state'``."""
    if name == "fmt" and opts is not None:
        return f"--format {opts.fmt}"
    for param in main.params:
        if param.name == name and isinstance(param, click.Option):
            return max(param.opts, key=len)
    return name


def _flags(names: tuple[str, ...], opts: RunOptions | None) -> list[str]:
    return [_flag(name, opts) for name in names]


def _message(exc: IngestError, opts: RunOptions | None = None) -> str:
    """An error as this command words it, naming its options."""
    if isinstance(exc, ExtraMissing):
        asked = {"engine 'dask'": "--engine dask", "near-duplicate detection": "--near-dupes",
                 "writing part files": "--out DIR/"}.get(exc.what)
        if asked is None and exc.what.startswith("format '") and opts is not None:
            asked = f"--format {opts.fmt}"
        return f"{asked or exc.what} needs the {exc.extra} extra: {install_hint(exc.extra)}"
    if isinstance(exc, PartsNeedRecords):
        return (f"{', '.join(_flags(exc.options, opts))} need the records back on this "
                f"machine: use --out FILE (not a folder of part files) with --engine {exc.engine}")
    if isinstance(exc, RawConflict):
        return ("--raw writes the parser's output, not records: it does not go with "
                f"{', '.join(_flags(exc.options, opts))}")
    if isinstance(exc, OptionNeeds):
        if exc.option == "full":
            return "--full goes with --state (it parses inputs the state has seen)"
        wanted = " or ".join(f"{_flag(exc.needs)} {value}" for value in exc.values)
        return f"{_flag(exc.option)} goes with {wanted or _flag(exc.needs)}"
    if isinstance(exc, BothToStdout):
        return (f"{' and '.join(_flags(exc.options, opts))} would both write to stdout: give "
                "one of them a file")
    if isinstance(exc, SameFile):
        first, second = _flags(exc.options, opts)
        return f"{first} and {second} name the same file ({exc.path}): one would destroy the other"
    if isinstance(exc, OutputIsInput):
        return f"{_flag(exc.options[0])} names an input ({exc.path}): it would be overwritten"
    if isinstance(exc, BadScheduler):
        return f"--scheduler '{exc.address}': {exc.problem}"
    if isinstance(exc, UnknownName):
        return f"unknown {exc.what} '{exc.name}' (expected one of {', '.join(exc.known)})"
    return exc.reason
