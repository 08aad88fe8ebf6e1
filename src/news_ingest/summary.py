"""What statistics count of one record, computed where the record is made.

A worker process that encodes records for the writer (``Config.encode``) sends this summary
instead of the record; ``corpus.stats.Stats.add_summary`` counts it exactly as ``Stats.add``
counts the record itself. It sits below the pipeline so that workers need no corpus tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import RECORD_KEYS

#: Keys whose empty share statistics report: every field of an article (not those every record
#: has by construction, nor ``warnings``, which is best empty and is counted by kind instead).
MISSING_KEYS: tuple[str, ...] = tuple(
    k for k in RECORD_KEYS if k not in ("id", "source_file", "layout", "warnings")
)


def warning_kind(warning: str) -> str:
    """``'date: year 2024 inferred from ...'`` -> ``'date'``."""
    return warning.split(":", 1)[0].strip()


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def record_summary(record: Mapping[str, Any]) -> dict[str, Any]:
    """All that statistics count of a record, small enough for a worker process to send
    instead of the record: layout, outlet, date, warning kinds, and the keys left empty.

    >>> record_summary({"layout": "trec", "date": "2018-06-29", "tags": [], "title": "t",
    ...                 "warnings": ["date: year 2024 inferred"]})["warnings"]
    ['date']
    """
    return {
        "layout": record.get("layout"),
        "outlet": record.get("outlet"),
        "date": record.get("date"),
        "empty": [key for key in MISSING_KEYS if is_empty(record.get(key))],
        "warnings": [warning_kind(w) for w in record.get("warnings") or ()],
    }
