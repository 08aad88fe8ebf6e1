"""What the CLI shows on stderr: the summary lines at a run's end, the progress bar while a run
goes and the run's statistics at its end (rich). Part of the command line, not the library:
its words name the command's flags.

Whether the bar and the statistics are shown at all is the CLI's call: only when stderr is a
terminal that stdout's data does not go to as well (``ingest big/ | jq`` prints the data on the
same screen, where a bar would be torn through by it).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .pipeline import Result
from .report import count_of
from .runner import RunOptions, RunOutcome

if TYPE_CHECKING:
    from rich.console import Group

#: A run shorter than this shows no progress bar.
PROGRESS_AFTER_SECONDS = 0.5
#: A run of fewer records shows its statistics as a few lines, not as tables.
SMALL_RUN = 50


def stream_kind(stream: Any) -> str:
    """``'terminal'``, ``'pipe'`` (a FIFO or socket), ``'file'`` (a regular file, or a device
    such as /dev/null), or ``'none'`` (no file descriptor: a test's capture)."""
    try:
        fd = stream.fileno()
        if os.isatty(fd):
            return "terminal"
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both
        return "none"
    return "pipe" if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else "file"


def stdin_has_data() -> bool:
    """Whether stdin is a pipe or a file (``cat x | ingest``, ``ingest < x``), as ripgrep
    decides: a terminal, /dev/null or a closed stdin is not read."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode) or stat.S_ISSOCK(mode)


def summary_lines(outcome: RunOutcome, opts: RunOptions) -> list[str]:
    """The lines that end a run on stderr: the report's summary, then what else happened."""
    report = outcome.report
    lines = [report.summary()]
    if outcome.limited:
        lines.append(f"stopped after {count_of(report.written, 'record')} (--limit): the "
                     "inputs after them were not read")
    if report.refused:
        kinds = "" if opts.strict is True else f"={','.join(sorted(opts.strict))}"  # type: ignore[arg-type]
        has = "has" if report.refused == 1 else "have"
        lines.append(f"--strict{kinds}: {count_of(report.refused, 'record')} {has} warnings "
                     "it refuses (named above)")
    if outcome.counts is not None:
        lines.append(f"state: {outcome.counts.summary()}")
    if report.duplicates:
        dropped = f", {report.dropped} dropped" if report.dropped else ""
        repeat = "repeats" if report.duplicates == 1 else "repeat"
        lines.append(f"duplicates: {count_of(report.duplicates, 'record')} {repeat} an earlier "
                     f"id{dropped}")
    if outcome.near_groups:
        lines.append(f"near-duplicates: {count_of(len(outcome.near_groups), 'group')}")
        for group in outcome.near_groups[:5]:
            names = ", ".join(m["source_file"] for m in group["members"])
            lines.append(f"  {group['score']:.3f}: {names}")
    if report.linked:
        lines.append(f"read-also items linked to corpus articles: {report.linked}")
    if outcome.lexicon:
        lines.append(outcome.lexicon)
    if report.stale_parts:
        lines.append(f"removed {count_of(report.stale_parts, 'part file')} of an earlier run "
                     "from the output folder")
    if outcome.kept_output:
        lines.append(f"nothing was read: {outcome.kept_output} was left as it was")
    if outcome.skipped_output:
        lines.append(f"no record to write: {outcome.skipped_output} was not written "
                     "(--skip-empty)")
    if report.kept_parts:
        lines.append(f"kept {count_of(report.kept_parts, 'part file')} of an earlier run in "
                     "the output folder: this run wrote no record")
    return lines


def with_progress(
    results: Iterator[Result], count: Callable[..., int] | None, console: Any = None
) -> Iterator[Result]:
    """A rich progress bar on stderr once a run lasts more than a moment: files done of total,
    files per second, the time left (labelled). It is removed when the run ends (the summary
    follows).

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
    done = 0
    total: int | None = None
    progress = task = None
    try:
        for result in results:
            done += 1
            elapsed = time.monotonic() - started
            if total is None and counted:
                total = counted[0]
                if progress is not None and task is not None:
                    progress.update(task, total=total)
            if progress is None and elapsed > PROGRESS_AFTER_SECONDS:
                # One unit throughout: the count, the total and the rate are input files.
                progress = Progress(
                    TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("files, {task.fields[rate]} files/s, time left"),
                    TimeRemainingColumn(), console=console or Console(stderr=True),
                    transient=True)
                progress.start()
                task = progress.add_task("ingest", total=total, completed=done - 1, rate="-")
            if progress is not None and task is not None:
                progress.update(task, advance=1, rate=f"{done / elapsed:,.0f}")
            yield result
    finally:
        stop.set()
        if counter is not None:
            counter.join(timeout=2.0)  # it checks at every file; a stuck file system won't hold us
        if progress is not None:
            progress.stop()



def render_stats(data: dict[str, Any], top: int = 10, compact: bool | None = None) -> Group:
    """A run's statistics (``Stats.to_dict()``) for a terminal: a ``rich`` group of tables
    (outlets: the ``top`` largest), or with ``compact`` (by default: for a run of fewer than
    ``SMALL_RUN`` records) a few lines (``compact_stats``)."""
    from rich.console import Group
    from rich.table import Table

    n = data["records"]
    if compact if compact is not None else n < SMALL_RUN:
        return compact_stats(data, top)

    def counts(title: str, column: str, counter: Mapping[str, int],
               limit: int | None = None, by_key: bool = False, share: bool = True) -> Table:
        table = Table(title=title, title_justify="left")
        table.add_column(column)
        table.add_column("n", justify="right")
        if share:
            table.add_column("share of records", justify="right")
        items = sorted(counter.items(), key=lambda kv: kv if by_key else (-kv[1], kv[0]))
        shown = items if limit is None else items[:limit]
        for key, count in shown:
            table.add_row(key, str(count), *([f"{count / n:.1%}" if n else "-"] * share))
        if len(shown) < len(items):
            rest = sum(count for _, count in items[len(shown):])
            table.add_row(f"… {len(items) - len(shown)} more", str(rest), *([""] * share))
        return table

    overview = Table(title="corpus", title_justify="left", show_header=False)
    overview.add_column("what")
    overview.add_column("n", justify="right")
    dups = data["duplicates"]
    overview.add_row("records", str(n))
    overview.add_row("duplicate ids", str(len(dups["groups"])))
    overview.add_row("records in duplicate groups", str(dups["records_in_groups"]))
    overview.add_row("duplicates dropped", str(dups["dropped"]))
    overview.add_row("near-duplicate groups", str(len(data["near_duplicates"])))
    overview.add_row("problems", str(sum(data["problems"].values())))

    missing = Table(title="empty fields", title_justify="left")
    missing.add_column("key")
    missing.add_column("empty", justify="right")
    for key, share in sorted(data["missing"].items(), key=lambda kv: (-kv[1], kv[0])):
        missing.add_row(key, f"{share:.1%}")

    parts: list[Table] = [
        overview,
        counts("records per layout", "layout", data["per_layout"]),
        counts("records per outlet", "outlet", data["per_outlet"], top),
        counts("records per year", "year", data["per_year"], by_key=True),
        missing,
    ]
    if data["warnings"]:
        parts.append(counts("warnings", "kind", data["warnings"], share=False))
    if data["problems"]:
        parts.append(counts("problems", "stage", data["problems"], share=False))
    return Group(*parts)


def compact_stats(data: dict[str, Any], top: int = 10) -> Group:
    """A small run's statistics in a few lines, one a dimension: ``layouts  aggregator 4,
    russia-islamic-world 1``; empty fields grouped by how many records lack them."""
    from rich.console import Group
    from rich.table import Table

    n = data["records"]

    def listed(counter: Mapping[str, int], by_key: bool = False) -> str:
        items = sorted(counter.items(), key=lambda kv: kv if by_key else (-kv[1], kv[0]))
        shown = ", ".join(f"{key} {count}" for key, count in items[:top])
        return shown + (f", … {len(items) - top} more" if len(items) > top else "")

    lacking: dict[int, list[str]] = {}
    for key, share in data["missing"].items():
        if share:
            lacking.setdefault(round(share * n), []).append(key)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("layouts", listed(data["per_layout"]))
    table.add_row("outlets", listed(data["per_outlet"]) or "-")
    table.add_row("years", listed(data["per_year"], by_key=True) or "-")
    table.add_row("empty", "; ".join(f"{', '.join(sorted(keys))} ({count} of {n})"
                                     for count, keys in sorted(lacking.items(), reverse=True))
                  or "-")
    dups = data["duplicates"]
    if dups["groups"] or data["near_duplicates"]:
        table.add_row("duplicates", f"{len(dups['groups'])} ids repeated, "
                      f"{dups['dropped']} dropped; {len(data['near_duplicates'])} near groups")
    for title, counter in (("warnings", data["warnings"]), ("problems", data["problems"])):
        if counter:
            table.add_row(title, listed(counter))
    return Group(table)
