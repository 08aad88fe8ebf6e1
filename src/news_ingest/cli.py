"""Command line: options, messages and exit codes. No text is parsed here.

The CLI owns the user's wording: the library raises typed errors that carry the facts and
name settings in its own words (``RunOptions`` fields, "the size limit"); ``_message`` and
``_problem_reason`` turn them into sentences that name this command's options. The choices of
``--format`` and ``--engine`` come from their registries (``export.FORMATS``,
``executors.ENGINES``).

Exit codes: 0 every input parsed; 1 some inputs failed or none was found (every good record is
still written), or ``--strict`` refused some record's warnings; 2 usage or configuration error
(nothing read); 130 interrupted. Data goes to stdout (or ``--out``); messages, progress and the
summary to stderr. With no INPUTS, data piped to stdin is read (jq, ripgrep, csvkit do the same).

Its length (about 460 lines) is the price of one place for the user's words: every option with
its help, and the sentence each library error becomes, side by side with the flags they name.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import math
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
from .executors.base import usable_cpus
from .executors.dask import BadScheduler
from .export import FORMATS, format_for_path
from .layouts import LayoutSet
from .pipeline import DEFAULT_TIMEOUT, Config, Problem
from .plan import (
    WARNING_KINDS,
    BothToStdout,
    Excludes,
    FolderNeedsParts,
    OptionNeeds,
    OutputIsInput,
    PartsNeedRecords,
    RawConflict,
    RunOptions,
    SameFile,
    UnknownWarningKind,
)
from .runner import execute
from .schema import record_schema
from .sources import DEFAULT_MAX_BYTES, read_path_list
from .terminal import render_stats, stdin_has_data, stream_kind, summary_lines, with_progress

#: Every output file extension, for messages: '.jsonl, .ndjson, .json, .csv, .parquet'.
_EXTENSIONS = ", ".join(ext for fmt in FORMATS.values() for ext in fmt.extensions)


def _err(message: str) -> None:
    click.echo(message, err=True)


_STDOUT_NAMES = frozenset({"/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})


def _number(value: float | None, unbounded: str = "") -> float | None:
    """A number option's value: NaN is refused (it passes every range check); with
    ``unbounded``, infinity means no limit (0)."""
    if value is None:
        return None
    if math.isnan(value):
        raise click.BadParameter("not a number (nan)")
    if unbounded and math.isinf(value):
        return 0.0
    return value


class _Interrupted(BaseException):
    """SIGTERM, raised like KeyboardInterrupt: no ``except Exception`` may swallow it."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Interrupted()


#: What ``--strict`` given alone means: every kind of warning is refused.
_ALL_KINDS = "all"


def _names_kinds(word: str) -> bool:
    """Whether the word after ``--strict`` is its KINDS (``date,layout``) rather than an input:
    letters and commas, and no file of that name."""
    return (bool(word) and word.replace(",", "").replace("_", "").isalpha()
            and word.isascii() and not os.path.exists(word))


class _Command(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # '--strict' takes an optional KINDS; 'ingest --strict dumps/' (or '-', stdin) must still
        # mean every kind, with dumps/ an input: the word after it is KINDS only if it reads so.
        fixed = list(args)
        for i, arg in enumerate(args):
            if arg == "--":
                break
            following = args[i + 1] if i + 1 < len(args) else None
            if arg == "--strict" and following is not None and (
                    following == "-" or not (following.startswith("-")
                                             or _names_kinds(following))):
                fixed[i] = f"--strict={_ALL_KINDS}"
        return super().parse_args(ctx, fixed)


@click.command(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--files-from", metavar="FILE",
              help="Read INPUTS from FILE, one a line or NUL-separated ('-': stdin), e.g. from "
                   "find or git diff --name-only.")
@click.option("-g", "--glob", "globs", multiple=True, metavar="PATTERN",
              help="Which files in a folder or archive are inputs (repeatable; '!PATTERN' "
                   "leaves files out): '*.html', '*' for every file. Default: *.txt.")
@click.option("--errors", "errors_path", metavar="FILE",
              help="Write one JSON line per problem (source_file, stage, reason, line), "
                   "records refused by --strict included.")
@click.option("--strict", "strict", is_flag=False, flag_value=_ALL_KINDS, multiple=True,
              metavar="[KINDS]",
              help="Exit 1 when a record has warnings, each record named; --strict=date,layout "
                   f"refuses only those kinds ({', '.join(WARNING_KINDS)}); repeated, the kinds "
                   "add up.")
@click.option("--encoding", metavar="NAME", help="Decode every input with this encoding.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES,
              show_default=True, help="Refuse inputs larger than this many bytes.")
@click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT,
              show_default=True, metavar="SECONDS", callback=lambda _c, _p, v: _number(v, "inf"),
              help="Give up on an input after this many seconds: it is named as failed and the "
                   "run goes on (0 or inf: no limit).")
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
              callback=lambda _c, _p, v: _number(v),
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
@click.option("--fields", metavar="KEYS",
              help="Write only these record keys, in this order (comma-separated: "
                   "id,title,date).")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="Stop after N records are written (a quick look).")
@click.option("--csv-bom", is_flag=True,
              help="With CSV: begin with a UTF-8 byte-order mark, so Excel reads Arabic right.")
@click.option("--skip-empty", is_flag=True,
              help="With --out FILE: a run that writes no record creates or replaces no file.")
@click.option("--defuse-formulas/--no-defuse-formulas", default=True, show_default=True,
              help="In CSV, prefix with ' the cells that start with = + - @, a tab, a "
                   "carriage return or '.")
@click.option("--progress/--no-progress", default=None,
              help="A progress bar on stderr (default: when stderr is a terminal that the "
                   "data on stdout does not go to).")
@click.option("--tables/--no-tables", default=None,
              help="The run's statistics after the summary line (default: as the bar; a few "
                   "lines for a small run).")
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
    files_from: str | None,
    globs: tuple[str, ...],
    errors_path: str | None,
    strict: tuple[str, ...],
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
    fields: str | None,
    limit: int | None,
    csv_bom: bool,
    skip_empty: bool,
    defuse_formulas: bool,
    progress: bool | None,
    tables: bool | None,
    quiet: bool,
) -> None:
    """Parse scraped news dumps into article records.

    INPUTS are files, folders (walked for *.txt in sorted order), archives, or '-' for stdin;
    with none, data piped to stdin is read.

    \b
    Examples:
      ingest seeds/ --out articles.jsonl
      ingest seeds/ | jq -r .title
      cat one.txt | ingest --format csv
      git diff --name-only HEAD~1 -- dumps/ | ingest --files-from - --state corpus.state
    """
    if show_schema:
        click.echo(json.dumps(record_schema(), ensure_ascii=False, indent=2))
        return
    if fields is not None and not fields.replace(",", "").strip():
        raise click.BadParameter("names no key (an empty variable?)", param_hint="--fields")
    # /dev/stdout is stdout: written as '-' is, never replaced as a file (it may be the file
    # the shell redirects stdout to, whose earlier contents are not this run's).
    out, errors_path, stats_path = (
        "-" if path in _STDOUT_NAMES else path for path in (out, errors_path, stats_path))
    config = Config(layout=layout, layout_paths=layout_paths, encoding=encoding,
                    max_bytes=max_bytes, raw=raw, follow_links=follow_links,
                    timeout=timeout or None, globs=globs,
                    fields=tuple(k.strip() for k in fields.split(",") if k.strip())
                    if fields is not None else None)
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
    paths = _inputs(inputs, files_from)
    on_screen = stream_kind(sys.stderr) == "terminal" and not quiet
    # The data reaches the screen too when stdout is the terminal, or a pipe to a reader that
    # prints (jq): then a bar would be torn by it, and tables would follow it.
    beside_data = (out in (None, "-")) and stream_kind(sys.stdout) in ("terminal", "pipe")
    show_tables = not quiet and (tables if tables is not None else on_screen and not beside_data)
    opts = RunOptions(
        inputs=paths, config=config, out=out, fmt=_output_format(out, fmt),
        jobs=jobs or usable_cpus(), engine=engine, scheduler=scheduler,
        partition_size=partition_size, defuse_formulas=defuse_formulas,
        errors_path=errors_path, stats_path=stats_path, state_path=state_path, full=full,
        dedupe=dedupe, near_dupes=near_dupes, link_read_also=link_read_also,
        lexicon_path=lexicon_path, collect_stats=show_tables,
        strict=_strict(strict), limit=limit, skip_empty=skip_empty, csv_bom=csv_bom)
    for path, hint in ((None if opts.parts_dir else out, "--out"), (errors_path, "--errors"),
                       (stats_path, "--stats"), (state_path, "--state"),
                       (lexicon_path, "--tag-lexicon")):
        if path and path != "-" and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise click.BadParameter(f"folder of '{path}' does not exist", param_hint=hint)
        if path and os.path.isdir(path):
            raise click.BadParameter(f"'{path}' is a folder, not a file", param_hint=hint)

    if not quiet and opts.jobs > 4 * usable_cpus():
        _err(f"note: -j {opts.jobs} asks for {opts.jobs} worker processes on {usable_cpus()} "
             "CPUs: each holds its own memory, and more than the CPUs makes no run faster")
    signal.signal(signal.SIGTERM, _on_sigterm)
    bar = progress if progress is not None else not beside_data
    wrap = with_progress if bar and on_screen else None
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
        if config.timeout and not ENGINES[engine].time_limit:
            _err(f"note: --engine {engine} applied no --timeout (its tasks run in threads that "
                 "no signal reaches): an input whose parsing never ends would hold its worker")
        for line in summary_lines(outcome, opts):
            _err(line)
        if show_tables and outcome.stats.records:
            from rich.console import Console

            Console(stderr=True).print(render_stats(outcome.stats.to_dict()))
    sys.exit(outcome.report.exit_code())


def _inputs(inputs: tuple[str, ...], files_from: str | None) -> list[str]:
    """The run's inputs: those named, those ``--files-from`` lists, or stdin when it is piped."""
    paths = list(inputs)
    if files_from is not None:
        if files_from == "-" and "-" in paths:
            raise click.BadParameter("stdin cannot be both the list of inputs and an input",
                                     param_hint="--files-from")
        try:
            listed = read_path_list(files_from)
        except OSError as exc:
            raise click.BadParameter(f"cannot read {files_from}: "
                                     f"{(exc.strerror or str(exc)).lower()}",
                                     param_hint="--files-from") from None
        if files_from == "-" and "-" in listed:
            raise click.BadParameter("the list read from stdin names stdin ('-')",
                                     param_hint="--files-from")
        if not listed and not paths:
            _err(f"error: --files-from {files_from}: lists no input; nothing was read, no "
                 "file was touched")
            sys.exit(1)
        paths += listed
    if not paths:
        if not stdin_has_data():
            raise click.UsageError("no INPUTS given (a file, a folder, or '-' for stdin; "
                                   "or pipe data in)")
        paths = ["-"]
    return paths


def _strict(values: tuple[str, ...]) -> bool | frozenset[str]:
    """``--strict`` as ``RunOptions.strict``: absent False, alone True, else its kinds (those
    of every time it is given: a second --strict never weakens the first)."""
    if not values:
        return False
    kinds = frozenset(k.strip() for value in values for k in value.split(",") if k.strip())
    return True if not kinds or _ALL_KINDS in kinds else kinds


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


# --- the user's wording -------------------------------------------------------------------------

#: How a problem the library names by kind is worded here: the settings it names are options.
_PROBLEM_WORDS = {
    "too_large": lambda reason: reason.replace(SIZE_LIMIT, "--max-bytes"),
    "timeout": lambda reason: reason.replace(TIME_LIMIT, "--timeout"),
    "no_layout": lambda reason: f"{reason} (see 'ingest --list-layouts')",
    "ambiguous_layout": lambda reason: f"{reason}; pick one with --layout",
    "link_out": lambda reason: f"{reason} (-L/--follow follows links)",
    "no_input": lambda reason: (f"{reason}; --glob PATTERN chooses the files read"
                                if "named like" in reason else reason),
    "strict": lambda reason: f"{reason} (refused by --strict)",
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
    if isinstance(exc, FolderNeedsParts):
        return (f"--out {exc.path} names a folder, but --engine {exc.engine} writes one file: "
                f"name a file, or use --engine {' or '.join(exc.engines)} for part files")
    if isinstance(exc, RawConflict):
        return ("--raw writes the parser's output, not records: it does not go with "
                f"{', '.join(_flags(exc.options, opts))}")
    if isinstance(exc, OptionNeeds):
        if exc.option == "full":
            return "--full goes with --state (it parses inputs the state has seen)"
        if exc.option == "skip_empty":
            return "--skip-empty goes with --out FILE (stdout has no file to skip)"
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
    if isinstance(exc, Excludes):
        return f"{_flag(exc.option)} does not go with {_flag(exc.other)}: {exc.why}"
    if isinstance(exc, UnknownWarningKind):
        return (f"--strict: unknown warning kind '{exc.name}' (expected one of "
                f"{', '.join(exc.known)}, or --strict alone for all)")
    if isinstance(exc, BadScheduler):
        return f"--scheduler '{exc.address}': {exc.problem}"
    if isinstance(exc, UnknownName):
        hint = "--fields: " if exc.what == "field" else ""
        return f"{hint}unknown {exc.what} '{exc.name}' (expected one of {', '.join(exc.known)})"
    return exc.reason
