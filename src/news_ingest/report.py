"""The outcome of a run, file by file: what the summary says and what decides the exit code.

``Report`` owns every count of a run (black's ``Report``, in spirit): the runner and the
executors tell it what happened (``add`` a file's result, a ``duplicate``, a ``link``, part
files removed) and nothing else edits a count. It sits above the pipeline (it counts the
pipeline's results) and below the executors and the runner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .pipeline import Problem


class Outcome(Protocol):
    """What ``Report.add`` needs of a file's result (``FileResult``, ``EncodedResult``,
    ``FileOutcome``)."""

    name: str
    problems: list[Problem]

    @property
    def count(self) -> int: ...

    @property
    def warned(self) -> bool: ...


@dataclass
class FileOutcome:
    """A file's result without its records: its name, its problems, how many records it gave
    and whether any had warnings (what comes back from a part file written elsewhere)."""

    name: str
    problems: list[Problem] = field(default_factory=list)
    count: int = 0
    warned: bool = False

    @classmethod
    def of(cls, result: Outcome) -> FileOutcome:
        return cls(result.name, list(result.problems), result.count, result.warned)


@dataclass
class Report:
    """Every input's outcome; decides the exit code.

    ``records`` counts the records the inputs gave, ``dropped`` those not written (duplicates
    under ``--dedupe``): ``written`` is the difference."""

    files: int = 0
    parsed: int = 0
    with_warnings: int = 0
    failed: int = 0
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    duplicates: int = 0  # records whose id an earlier record had
    dropped: int = 0  # ... of which were not written
    linked: int = 0  # read-also items linked to an article of the corpus
    stale_parts: int = 0  # part files of an earlier run removed from the output folder
    kept_parts: int = 0  # ... or left there, by a run that wrote no record

    def add(self, result: Outcome) -> None:
        """One input's outcome."""
        self.files += 1
        self.problems.extend(result.problems)
        if result.count:
            self.records += result.count
            if result.warned:
                self.with_warnings += 1
            else:
                self.parsed += 1
        if result.problems and not result.count:
            self.failed += 1

    def duplicate(self, *, dropped: bool) -> None:
        """A record repeated an earlier one's id; ``dropped``: it was not written."""
        self.duplicates += 1
        self.dropped += dropped

    def link(self, items: int) -> None:
        """``items`` read-also items were linked to articles of the corpus."""
        self.linked += items

    def parts(self, *, removed: int = 0, kept: int = 0) -> None:
        """Part files of an earlier run: ``removed`` from the output folder, or ``kept``."""
        self.stale_parts += removed
        self.kept_parts += kept

    @property
    def written(self) -> int:
        return self.records - self.dropped

    @property
    def read_nothing(self) -> bool:
        """Whether every input failed (or there was none)."""
        return self.files == self.failed

    def exit_code(self, strict: bool = False) -> int:
        """0 all parsed; 1 something failed (or warned, with ``strict``)."""
        if self.problems or (strict and self.with_warnings):
            return 1
        return 0

    def summary(self) -> str:
        return (
            f"{self.files} files: {self.parsed} parsed, {self.with_warnings} with warnings, "
            f"{self.failed} failed; {self.written} records written"
        )
