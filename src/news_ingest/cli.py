"""Command line: options, messages and exit codes. No text is parsed here.

Exit codes: 0 every input parsed; 1 some inputs failed (every good record is still written), or
with ``--strict`` some record has warnings; 2 usage or configuration error (nothing read);
130 interrupted. Data goes to stdout (or ``--out``); messages, progress and the summary to stderr.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import click

from . import __version__
from .errors import IngestError
from .export import FORMATS, format_for_path, make_writer
from .layouts import LayoutSet
from .pipeline import Config, FileResult, Report, iter_results, open_output
from .schema import record_schema
from .sources import DEFAULT_MAX_BYTES, Source, SourceProblem, iter_sources


def _err(message: str) -> None:
    click.echo(message, err=True)


def _default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


class _Interrupted(Exception):
    pass


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Interrupted()


def _with_progress(
    items: list[Source | SourceProblem], results: Iterator[FileResult]
) -> Iterator[FileResult]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    columns = (TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]} articles/s"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("ingest", total=len(items), rate="-")
        records = 0
        for result in results:
            records += len(result.records)
            done = progress.tasks[0]
            elapsed = done.elapsed or 0.0
            rate = f"{records / elapsed:,.0f}" if elapsed > 0.5 else "-"
            progress.update(task, advance=1, rate=rate)
            yield result


def _write_errors(path: str, problems: Iterable[dict[str, Any]]) -> None:
    with open_output(path) as stream:
        for problem in problems:
            stream.write(json.dumps(problem, ensure_ascii=False) + "\n")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("inputs", nargs=-1, type=click.Path(dir_okay=True, allow_dash=True))
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
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores).")
@click.option("--tag-lexicon", "lexicon_path", metavar="FILE", type=click.Path(exists=True),
              help="Known multi-word tags (YAML) to split keyword lines with.")
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
    jobs: int | None,
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
                    max_bytes=max_bytes, lexicon_path=lexicon_path, raw=raw)
    if encoding:
        import codecs
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise click.BadParameter(f"unknown encoding '{encoding}'",
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
    if fmt is None:
        fmt = format_for_path(out) if out and out != "-" else None
        if fmt is None and out and out != "-":
            raise click.BadParameter(
                f"cannot tell the format from '{out}': use .jsonl, .json or .csv, or --format",
                param_hint="--out")
        fmt = fmt or "jsonl"

    if out and out != "-" and not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        raise click.BadParameter(f"folder of '{out}' does not exist", param_hint="--out")
    if errors_path and not os.path.isdir(os.path.dirname(os.path.abspath(errors_path))):
        raise click.BadParameter(f"folder of '{errors_path}' does not exist",
                                 param_hint="--errors")
    signal.signal(signal.SIGTERM, _on_sigterm)
    report = Report()
    show_progress = progress and sys.stderr.isatty() and not quiet
    try:
        items: Iterable[Source | SourceProblem] = iter_sources(list(inputs), max_bytes)
        if show_progress:
            items = list(items)
        results = iter_results(items, config, jobs or _default_jobs())
        if show_progress:
            results = _with_progress(items, results)  # type: ignore[arg-type]
        with open_output(out) as stream:
            writer = make_writer(fmt, stream, defuse_formulas=defuse_formulas)
            for result in results:
                report.add(result)
                for record in result.records:
                    writer.write(record)
                for problem in result.problems:
                    _err(f"error: {problem.message()}")
            writer.close()
    except (KeyboardInterrupt, _Interrupted):
        _err("interrupted: no output file was replaced")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`ingest … | head -1`): not an error.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        sys.exit(0)
    except IngestError as exc:
        _err(f"Error: {exc.reason}")
        sys.exit(2)
    except OSError as exc:
        _err(f"Error: cannot write {out or 'stdout'}: {exc.strerror or exc}")
        sys.exit(1)
    if errors_path:
        _write_errors(errors_path, (p.to_dict() for p in report.problems))
    if not quiet:
        _err(report.summary())
    sys.exit(report.exit_code(strict))
