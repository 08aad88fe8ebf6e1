"""What the CLI shows on a terminal (rich, on stderr only): the progress bar while a run goes,
and the run's statistics as tables at its end. Part of the command line, not the library."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .pipeline import Result

if TYPE_CHECKING:
    from rich.console import Group

#: A run shorter than this shows no progress bar.
PROGRESS_AFTER_SECONDS = 0.5


def with_progress(
    results: Iterator[Result], count: Callable[..., int] | None, console: Any = None
) -> Iterator[Result]:
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
            records += result.count
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



def render_stats(data: dict[str, Any], top: int = 10) -> Group:
    """A run's statistics (``Stats.to_dict()``) for a terminal: a ``rich`` group of tables
    (outlets: the ``top`` largest)."""
    from rich.console import Group
    from rich.table import Table

    n = data["records"]

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
