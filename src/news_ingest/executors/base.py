"""The executor interface: what every engine offers the runner, and the options it is built
with. (``executors/__init__.py`` registers the engines by name.)"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ..pipeline import Config, Result
from ..report import FileOutcome
from ..sources import Source, SourceProblem

Item = Source | SourceProblem


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the system tells it): the
    default number of workers."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


@dataclass
class PartResult:
    """One part file: its path (None: the batch gave no record, so none was written), how
    many records it holds, and every input of the batch as a ``FileOutcome`` (name, problems,
    record count, warnings), in input order, for the run's report."""

    path: str | None
    records: int
    outcomes: list[FileOutcome] = field(default_factory=list)


@dataclass(frozen=True)
class EngineOptions:
    """How an engine runs: ``jobs`` worker processes (for a cluster it starts), the
    ``scheduler`` of a running cluster, ``partition_size`` inputs per task. An engine uses
    ``jobs`` and the ones it names in ``option_names``."""

    jobs: int = 1
    scheduler: str | None = None
    partition_size: int = 256


class Executor(Protocol):
    """Runs ``pipeline.process`` over many inputs.

    ``results(items, config)``: every input's result, in input order, identical to a run in
    this process; ``items`` are pulled in the calling thread, lazily. Configuration errors
    (an unknown layout, an extra not installed) are raised at the call, before any input is
    read."""

    name: str
    #: The ``EngineOptions`` it uses besides ``jobs``; others given to it are a usage error.
    option_names: frozenset[str]
    #: Whether ``Config.timeout`` is applied to each input (it needs the main thread of the
    #: process that parses: a cluster's task threads get no signal).
    time_limit: bool

    def __init__(self, options: EngineOptions) -> None: ...

    def results(self, items: Iterable[Item], config: Config) -> Iterator[Result]: ...


@runtime_checkable
class PartsExecutor(Protocol):
    """An executor whose workers can write the records themselves, one part file per batch
    of inputs (``--out DIR/``): only names, problems and counts come back."""

    def write_parts(self, items: Iterable[Item], config: Config, out_dir: str, fmt: str, *,
                    defuse_formulas: bool = True) -> Iterator[PartResult]: ...
