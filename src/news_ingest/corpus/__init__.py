"""Corpus tools: what a maintainer needs between runs, one module per job.

* ``state``: ``StateStore``, the incremental state (which inputs earlier runs ingested);
  ``keys``: how it names an input however its path was typed, and what a run may call vanished.
* ``duplicates``: ``SeenIds`` (exact duplicates), ``NearDuplicates`` (MinHash),
  ``link_read_also`` (read-also items pointed at the records they name).
* ``stats``: ``Stats``, the statistics of the records a run wrote.

They sit after the flow (sources -> parse -> normalise -> export): the runner hands them the
records and problems a run produced; nothing below the runner imports them. The names are
re-exported here for callers of ``news_ingest.corpus``.
"""

from __future__ import annotations

from .duplicates import MINHASH_SEED, NearDuplicates, SeenIds, link_read_also
from .state import (
    SCHEMA_VERSION,
    RunCounts,
    StateError,
    StateStore,
    StateWriteError,
    digest,
    title_key,
    utc_now,
)
from .stats import Stats

__all__ = [
    "MINHASH_SEED", "SCHEMA_VERSION", "NearDuplicates", "RunCounts", "SeenIds", "StateError",
    "StateStore", "StateWriteError", "Stats", "digest", "link_read_also", "title_key", "utc_now",
]
