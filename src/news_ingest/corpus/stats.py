"""Statistics of the records a run wrote: counts per layout, outlet, year and month, the share
of empty fields, warning kinds, problems and duplicates, as a JSON-serialisable dict (the CLI
renders it as tables on a terminal: ``terminal.render_stats``).

A corpus tool: above the pipeline, below the runner. It never prints and never exits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..summary import MISSING_KEYS, record_summary

if TYPE_CHECKING:
    from ..pipeline import Problem

NONE = "(none)"


def _sorted(counter: Mapping[str, int]) -> dict[str, int]:
    return {key: counter[key] for key in sorted(counter)}


class Stats:
    """Statistics of the records a run wrote.

    ``add`` each record written; ``add_problem`` each ``pipeline.Problem``. Exact duplicates
    (same id) are the caller's to detect -- it decides whether to drop them -- and report with
    ``note_duplicate`` (each later record of an id) and ``note_dropped_duplicate`` (each one
    not written, which is then not ``add``-ed). Detecting them takes every id seen:
    ``SeenIds`` keeps them on disk, and ``StateStore.owner`` answers for earlier runs. Stats
    itself keeps only counters and the ids seen twice or more. A worker process can send
    ``summary.record_summary(record)`` instead of the record, for ``add_summary``.
    ``near_duplicate_groups`` is set by the caller (``NearDuplicates.groups()``).
    """

    def __init__(self) -> None:
        self.records = 0
        self.per_layout: Counter[str] = Counter()
        self.per_outlet: Counter[str] = Counter()
        self.per_year: Counter[str] = Counter()
        self.per_month: Counter[str] = Counter()
        self.missing: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.problems: Counter[str] = Counter()
        self.duplicates: dict[str, list[str]] = {}
        self.dropped = 0
        self.near_duplicate_groups: list[dict[str, Any]] = []

    def add(self, record: Mapping[str, Any]) -> None:
        """Count one record written."""
        self.add_summary(record_summary(record))

    #: All that ``add`` counts of a record (``summary.record_summary``).
    summary_of = staticmethod(record_summary)

    def add_summary(self, summary: Mapping[str, Any]) -> None:
        """Count one record written, from its ``summary_of``."""
        self.records += 1
        self.per_layout[summary["layout"] or NONE] += 1
        self.per_outlet[summary["outlet"] or NONE] += 1
        date = summary["date"] or ""
        self.per_year[date[:4] if len(date) >= 4 else NONE] += 1
        self.per_month[date[:7] if len(date) >= 7 else NONE] += 1
        self.missing.update(summary["empty"])
        self.warnings.update(summary["warnings"])

    def add_problem(self, problem: Problem) -> None:
        """Count one problem, by stage (``read``, ``decode``, ``parse``, ...)."""
        self.problems[problem.stage] += 1

    def note_duplicate(self, record_id: str, source_file: str, first_source_file: str) -> None:
        """A record of ``source_file`` has the id of an earlier one of ``first_source_file``.
        The group's ``files`` lists one entry per record holding the id, first one first."""
        files = self.duplicates.setdefault(record_id, [first_source_file])
        files.append(source_file)

    def note_dropped_duplicate(self) -> None:
        """A duplicate record was not written."""
        self.dropped += 1

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-serialisable, keys sorted; ``missing`` as shares of ``records``
        (4 decimals): ``{"records": 5, "missing": {"author": 1.0, "date": 0.0, ...}, ...}``."""
        n = self.records
        missing = {key: round(self.missing[key] / n, 4) if n else 0.0
                   for key in sorted(MISSING_KEYS)}
        groups = [{"files": files, "id": record_id}
                  for record_id, files in self.duplicates.items()]
        return {
            "duplicates": {"dropped": self.dropped, "groups": groups,
                           "records_in_groups": sum(len(g["files"]) for g in groups)},
            "missing": missing,
            "near_duplicates": list(self.near_duplicate_groups),
            "per_layout": _sorted(self.per_layout),
            "per_month": _sorted(self.per_month),
            "per_outlet": _sorted(self.per_outlet),
            "per_year": _sorted(self.per_year),
            "problems": _sorted(self.problems),
            "records": n,
            "warnings": _sorted(self.warnings),
        }
