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


def count_of(n: int, noun: str) -> str:
    """``count_of(1, 'file')`` -> ``'1 file'``; ``count_of(2, 'record')`` -> ``'2 records'``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class Outcome(Protocol):
    """What ``Report.add`` needs of a file's result (``FileResult``, ``EncodedResult``,
    ``FileOutcome``)."""

    name: str
    problems: list[Problem]

    @property
    def count(self) -> int: ...

    @property
    def warned(self) -> bool: ...

    def warned_records(self) -> list[tuple[str, list[str]]]: ...


@dataclass
class FileOutcome:
    """A file's result without its records: its name, its problems, how many records it gave,
    whether any had warnings and, for each that had, its source file and warnings (what comes
    back from a part file written elsewhere)."""

    name: str
    problems: list[Problem] = field(default_factory=list)
    count: int = 0
    warned: bool = False
    warnings: list[tuple[str, list[str]]] = field(default_factory=list)

    @classmethod
    def of(cls, result: Outcome) -> FileOutcome:
        return cls(result.name, list(result.problems), result.count, result.warned,
                   result.warned_records())

    def warned_records(self) -> list[tuple[str, list[str]]]:
        return self.warnings


@dataclass
class Report:
    """Every input's outcome; decides the exit code.

    One vocabulary for a file, wherever it is counted (the summary, the state's counts, the
    errors file): ``failed`` when it met any problem (``in_part`` of those still gave
    records: the good documents of a multi-document file), else ``with_warnings`` when a record
    of it carries warnings, else ``parsed``. ``records`` counts the records the inputs gave;
    ``dropped`` those not written as duplicates, ``cut`` those past a limit: ``written`` is
    what remains. ``refused`` counts records whose warnings a strict run refuses: each is a
    problem (stage ``strict``) beside the files' own."""

    files: int = 0
    parsed: int = 0
    with_warnings: int = 0
    failed: int = 0
    in_part: int = 0  # failed files that still gave records
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    refused: int = 0  # records whose warnings a strict run refuses
    duplicates: int = 0  # records whose id an earlier record had
    dropped: int = 0  # ... of which were not written
    cut: int = 0  # records past the run's limit, not written
    linked: int = 0  # read-also items linked to an article of the corpus
    stale_parts: int = 0  # part files of an earlier run removed from the output folder
    kept_parts: int = 0  # ... or left there, by a run that wrote no record

    def add(self, result: Outcome) -> None:
        """One input's outcome."""
        self.files += 1
        self.problems.extend(result.problems)
        self.records += result.count
        if result.problems:
            self.failed += 1
            self.in_part += bool(result.count)
        elif result.count:
            if result.warned:
                self.with_warnings += 1
            else:
                self.parsed += 1

    def refuse(self, problem: Problem) -> None:
        """A record whose warnings a strict run refuses (``problem`` names it and them)."""
        self.refused += 1
        self.problems.append(problem)

    def limit(self, records: int) -> None:
        """``records`` records past the run's limit were not written."""
        self.cut += records

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
        return self.records - self.dropped - self.cut

    @property
    def read_nothing(self) -> bool:
        """Whether every input failed and none gave a record (or there was no input)."""
        return self.files == self.failed and not self.records

    def exit_code(self) -> int:
        """0 all parsed; 1 something failed, or a strict run refused a record's warnings (each
        refusal is one of ``problems``)."""
        return 1 if self.problems else 0

    def summary(self) -> str:
        """``'5 files: 4 parsed, 1 with warnings, 0 failed; 5 records written'``; failed files
        that gave records are said: ``'2 failed (1 in part)'``."""
        in_part = f" ({self.in_part} in part)" if self.in_part else ""
        return (
            f"{count_of(self.files, 'file')}: {self.parsed} parsed, {self.with_warnings} with "
            f"warnings, {self.failed} failed{in_part}; {count_of(self.written, 'record')} written"
        )
