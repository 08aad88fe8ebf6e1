"""Corpus-level bookkeeping: incremental state, near-duplicates, statistics, read-also links.

The flow is sources -> parse -> normalise -> export; this module sits after it. It never looks
at input text: the CLI hands it the records (and problems) a run produced, and it answers
questions about the growing corpus those records belong to:

* ``StateStore``: an SQLite file remembering, per input file, the SHA-256 of its bytes and the
  ids of its records, so that a run over a new dump can skip the files it has already ingested.
  All writes of a run are one transaction, committed only by ``commit_run``.
* ``NearDuplicates``: the same article republished with small edits (another headline, an added
  paragraph), found with MinHash over word shingles of the match key (``datasketch``).
* ``SeenIds``: the record ids a run has written, to spot exact duplicates, in bounded memory.
* ``Stats``: counts per layout, outlet, year and month, the share of empty fields, warning kinds,
  problems and duplicates, as a JSON-serialisable dict or a ``rich`` renderable.
* ``link_read_also``: points the appended "read also" items at the records they name.

The library never prints and never exits.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .errors import IngestError
from .model import RECORD_KEYS
from .text import match_key

if TYPE_CHECKING:
    from rich.console import Group

    from .pipeline import FileResult, Problem


def title_key(title: str) -> str:
    """The key a title is compared by (``text.match_key``): ``'الإعلام!'`` -> ``'الاعلام'``."""
    return match_key(title)


def digest(data: bytes) -> str:
    """SHA-256 of an input's bytes, as 64 hex characters (what ``StateStore`` compares)."""
    return hashlib.sha256(data).hexdigest()


def link_read_also(record: dict[str, Any], index: Mapping[str, str]) -> int:
    """Set ``id`` on each ``read_also`` item whose title's key is in ``index`` (title key -> id).

    An item that would point at the record itself is left alone, as is an item whose title has
    no key. Returns the number of items linked. With ``index = {title_key('بيسكوف: بوتين'):
    '1d44173f2935a7aa'}``, an item titled ``'بيسكوف: بوتين!'`` gets ``id='1d44173f2935a7aa'``.
    """
    linked = 0
    own = record.get("id")
    for item in record.get("read_also") or ():
        key = title_key(item.get("title") or "")
        target = index.get(key) if key else None
        if target is not None and target != own:
            item["id"] = target
            linked += 1
    return linked


# --- incremental state --------------------------------------------------------------------------

#: Version of the state file's tables; a file with a higher version is refused.
SCHEMA_VERSION = 1
_APPLICATION = "news-ingest state"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    name TEXT PRIMARY KEY,          -- the source name as given (Source.name)
    digest TEXT NOT NULL,           -- sha256 hex of the input's bytes
    ids TEXT NOT NULL,              -- JSON list of the ids of its records, in order
    ingested_at TEXT NOT NULL       -- ISO timestamp given by the caller
);
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    title_key TEXT,                 -- match_key of the title
    source_file TEXT NOT NULL,      -- the first file (still in the state) holding the id
    refs INTEGER NOT NULL           -- how many files in the state hold the id
);
CREATE INDEX articles_title_key ON articles (title_key);
"""


class StateError(IngestError, ValueError):
    """The state file cannot be used: not a state file, a newer schema, locked, unreadable,
    damaged, read-only. Raised when it is opened, before any input is read."""

    stage = "config"


class StateWriteError(IngestError):
    """The state file (or the run's temporary duplicate index) failed during a run: a full
    disk, an I/O error. The run stops; what it says about the output is in the message."""

    stage = "write"


@dataclass
class RunCounts:
    """What a run found, by input file: ``new`` and ``changed`` were ingested, ``unchanged``
    were skipped, ``failed`` were read but gave no record (their earlier state is kept, so they
    are tried again next run), ``vanished`` are in the state but were not seen by the run."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    vanished: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        """``'3 new, 1 changed, 120 unchanged, 2 vanished'`` (``, 1 failed`` when some did)."""
        failed = f", {self.failed} failed" if self.failed else ""
        return (f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, "
                f"{self.vanished} vanished{failed}")


def utc_now() -> str:
    """The current time in UTC as an ISO 8601 string (seconds), e.g. ``2024-11-07T09:30:00+00:00``.
    Only the default of ``StateStore.begin_run`` calls it."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _is_not_a_database(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    return name == "SQLITE_NOTADB" or "not a database" in str(exc)


class StateStore:
    """What earlier runs ingested, in an SQLite file (created, with its tables, on first use).

    A run::

        with StateStore("state.sqlite") as state:
            known = state.known()                      # name -> digest, read once
            state.begin_run(at="2024-11-07T09:30:00+00:00")
            for each input:  digest(bytes) vs known:
                unchanged -> state.mark_seen(name)
                new/changed -> ingest it, then state.record_file(name, digest, ids, titles)
            counts = state.finish()                    # drops vanished files (see below)
            state.commit_run()

    Transactions: ``begin_run`` opens one SQLite transaction (``BEGIN IMMEDIATE``: a second
    writer waits 5 s, then fails with ``StateError``); every write of the run goes into it, and only
    ``commit_run`` makes them durable. ``rollback_run``, ``close`` (and leaving the ``with``
    block) before ``commit_run`` discard them, and so does the process dying: SQLite's journal
    restores the file on the next open. Pending writes live in SQLite's page cache, which spills
    to disk, so a run of any size holds no per-file memory in Python. Reads during a run
    (``known``, ``classify``, ``title_index``, ``owner``) see the run's own pending writes.

    Vanished files (in the state, neither recorded nor marked seen in this run) are removed from
    the state by ``finish()`` together with their ``articles`` rows, unless
    ``finish(drop_vanished=False)`` -- use that for a run over only part of a dump.

    Tables: ``files(name, digest, ids, ingested_at)``, ``articles(id, title_key, source_file,
    refs)`` (``refs`` counts the files holding the id, so an exact duplicate keeps its row when
    the first file holding it goes), ``meta(key, value)`` with ``schema_version``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._in_run = False
        self._finished = False
        self._at = ""
        self._counts = RunCounts()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StateError(f"{self.path}: cannot open state file: {exc}") from None
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self._db.close()
            if _is_not_a_database(exc):
                raise StateError(f"{self.path}: not a news-ingest state file") from None
            raise StateError(f"{self.path}: cannot open state file: {exc}") from None
        except StateError:
            self._db.close()
            raise

    def _prepare(self) -> None:
        db = self._db
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if not tables:
            db.execute("BEGIN IMMEDIATE")
            try:
                if not db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    # one statement at a time: executescript() would commit on its own
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.executemany("INSERT INTO meta VALUES (?, ?)",
                                   [("application", _APPLICATION),
                                    ("schema_version", str(SCHEMA_VERSION))])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            tables = {"meta"}
        if "meta" not in tables:
            raise StateError(f"{self.path}: not a news-ingest state file")
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("application") != _APPLICATION:
            raise StateError(f"{self.path}: not a news-ingest state file")
        version_text = meta.get("schema_version", "")
        if not version_text.isdigit():
            raise StateError(f"{self.path}: not a news-ingest state file (no schema version)")
        version = int(version_text)
        if version > SCHEMA_VERSION:
            raise StateError(
                f"{self.path}: state file has schema version {version}; this version of "
                f"news-ingest reads up to {SCHEMA_VERSION}"
            )
        db.execute("CREATE TEMP TABLE IF NOT EXISTS run_seen (name TEXT PRIMARY KEY)")
        self._check_usable()

    def _check_usable(self) -> None:
        """Refuse, now rather than mid-run, a state file that is damaged or cannot be written:
        SQLite's quick integrity check, then a write that is rolled back (a read-only file or
        folder, a read-only file system). Another run holding the file makes this wait 5 s,
        as ``begin_run`` would, then fail."""
        db = self._db
        try:
            problems = [row[0] for row in db.execute("PRAGMA quick_check(2)")]
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.path}: damaged state file ({exc})") from None
        if problems != ["ok"]:
            found = " ".join(" ".join(problems).replace("*** in database main ***", "").split())
            raise StateError(f"{self.path}: damaged state file (SQLite's check: {found[:200]}); "
                             "restore it from a backup, or delete it to start afresh")
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("UPDATE meta SET value = value WHERE key = 'application'")
            finally:
                db.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise StateError(f"{self.path}: in use by another run ({exc}); try again when "
                                 "it ends") from None
            raise StateError(f"{self.path}: cannot write the state file ({exc})") from None

    # -- life cycle ---------------------------------------------------------------------------

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file; a run not committed is rolled back."""
        if self._in_run:
            self.rollback_run()
        self._db.close()

    @property
    def in_run(self) -> bool:
        return self._in_run

    # -- reading ------------------------------------------------------------------------------

    def known(self) -> dict[str, str]:
        """Every file in the state: source name -> digest (read it once at the start of a run)."""
        return dict(self._db.execute("SELECT name, digest FROM files"))

    def classify(self, name: str, digest: str) -> str:
        """``'new'`` (name not in the state), ``'changed'`` (other digest) or ``'unchanged'``."""
        row = self._db.execute("SELECT digest FROM files WHERE name = ?", (name,)).fetchone()
        if row is None:
            return "new"
        return "unchanged" if row[0] == digest else "changed"

    def file_ids(self, name: str) -> list[str] | None:
        """The ids of a file's records as stored, or ``None`` for a file not in the state."""
        row = self._db.execute("SELECT ids FROM files WHERE name = ?", (name,)).fetchone()
        return None if row is None else list(json.loads(row[0]))

    def owner(self, record_id: str) -> str | None:
        """The first file in the state holding a record with this id (an exact duplicate's
        original), or ``None``."""
        row = self._db.execute("SELECT source_file FROM articles WHERE id = ?",
                               (record_id,)).fetchone()
        return None if row is None else str(row[0])

    def title_index(self) -> dict[str, str]:
        """Title key -> id for every article in the state (the first recorded id wins), for
        ``link_read_also``. Titles with an empty key are left out."""
        index: dict[str, str] = {}
        rows = self._db.execute(
            "SELECT title_key, id FROM articles WHERE title_key IS NOT NULL AND title_key != ''"
            " ORDER BY rowid"
        )
        for key, record_id in rows:
            index.setdefault(key, record_id)
        return index

    def vanished(self, seen: Iterable[str] | None = None) -> list[str]:
        """Names in the state not in ``seen``, sorted. Without ``seen``: not recorded or marked
        seen in the current run (which needs a run in progress)."""
        if seen is None:
            self._need_run()
            rows = self._db.execute(
                "SELECT name FROM files WHERE name NOT IN (SELECT name FROM temp.run_seen)"
                " ORDER BY name"
            )
            return [row[0] for row in rows]
        names = set(seen)
        rows = self._db.execute("SELECT name FROM files ORDER BY name")
        return [row[0] for row in rows if row[0] not in names]

    # -- a run --------------------------------------------------------------------------------

    def _need_run(self) -> None:
        if not self._in_run:
            raise RuntimeError("no run in progress: call begin_run() first")

    def begin_run(self, at: str | None = None) -> None:
        """Start a run: open its transaction. ``at`` (ISO timestamp; default: now, UTC) is the
        ``ingested_at`` of the files it records unless ``record_file`` is given another."""
        if self._in_run:
            raise RuntimeError("a run is already in progress")
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StateError(f"{self.path}: cannot start a run: {exc}") from None
        self._db.execute("DELETE FROM temp.run_seen")
        self._in_run = True
        self._finished = False
        self._at = at if at is not None else utc_now()
        self._counts = RunCounts()

    def _see(self, name: str) -> bool:
        """Note ``name`` as seen in this run; False if it was already."""
        cur = self._db.execute("INSERT OR IGNORE INTO temp.run_seen VALUES (?)", (name,))
        return cur.rowcount == 1

    def record_file(
        self,
        name: str,
        digest: str,
        ids: Iterable[str],
        titles: Iterable[tuple[str, str]] = (),
        at: str | None = None,
    ) -> str:
        """Store a file ingested in this run: its digest, its records' ids (in order) and, per id,
        the title key (``titles``: ``(id, title_key)`` pairs). Returns what the file was
        (``'new'``, ``'changed'``, ``'unchanged'``) and counts it. A file that gave no records is
        stored with ``ids=[]``; one that is not stored vanishes at ``finish``."""
        self._need_run()
        ids = list(ids)
        db = self._db
        row = db.execute("SELECT digest, ids FROM files WHERE name = ?", (name,)).fetchone()
        status = "new" if row is None else ("unchanged" if row[0] == digest else "changed")
        if self._see(name):
            setattr(self._counts, status, getattr(self._counts, status) + 1)
        new_ids = list(dict.fromkeys(ids))
        old_ids = set(json.loads(row[1])) if row is not None else set()
        keys = dict(titles)
        for record_id in sorted(old_ids.difference(new_ids)):
            self._release(record_id, name)
        for record_id in new_ids:
            if record_id not in old_ids:
                db.execute(
                    "INSERT INTO articles (id, title_key, source_file, refs) VALUES (?, ?, ?, 1)"
                    " ON CONFLICT (id) DO UPDATE SET refs = refs + 1,"
                    " title_key = coalesce(articles.title_key, excluded.title_key)",
                    (record_id, keys.get(record_id), name),
                )
        db.execute(
            "INSERT INTO files (name, digest, ids, ingested_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET digest = excluded.digest, ids = excluded.ids,"
            " ingested_at = excluded.ingested_at",
            (name, digest, json.dumps(ids), at if at is not None else self._at),
        )
        return status

    def record_result(self, result: FileResult, digest: str, at: str | None = None) -> str:
        """``record_file`` for a ``pipeline.FileResult``: ids and title keys from its records."""
        records = [r for r in result.records if r.get("id")]
        return self.record_file(result.name, digest, [r["id"] for r in records],
                                [(r["id"], title_key(r.get("title") or "")) for r in records], at)

    def mark_seen(self, name: str) -> None:
        """Note a file skipped as unchanged (it must be in the state): it will not vanish."""
        self._need_run()
        if self._db.execute("SELECT 1 FROM files WHERE name = ?", (name,)).fetchone() is None:
            raise ValueError(f"{name}: not in the state, cannot be unchanged")
        if self._see(name):
            self._counts.unchanged += 1

    def mark_failed(self, name: str) -> None:
        """Note a file that was read but gave no record: a known file keeps its earlier row (it
        neither vanishes nor counts as ingested, and its digest differs from the new bytes, so
        the next run tries it again); an unknown one is not stored at all."""
        self._need_run()
        if self._see(name):
            self._counts.failed += 1

    def _release(self, record_id: str, name: str) -> None:
        """File ``name`` no longer holds ``record_id``."""
        db = self._db
        row = db.execute("SELECT refs, source_file FROM articles WHERE id = ?",
                         (record_id,)).fetchone()
        if row is None:
            return
        refs, owner = row
        if refs <= 1:
            db.execute("DELETE FROM articles WHERE id = ?", (record_id,))
            return
        db.execute("UPDATE articles SET refs = refs - 1 WHERE id = ?", (record_id,))
        if owner == name:  # the original went; the next file holding the id takes over
            successor = db.execute(
                "SELECT name FROM files WHERE name != ? AND instr(ids, ?) > 0 ORDER BY name"
                " LIMIT 1", (name, json.dumps(record_id))
            ).fetchone()
            if successor is None:
                db.execute("DELETE FROM articles WHERE id = ?", (record_id,))
            else:
                db.execute("UPDATE articles SET source_file = ? WHERE id = ?",
                           (successor[0], record_id))

    def _forget(self, name: str) -> None:
        ids = self.file_ids(name) or []
        for record_id in sorted(set(ids)):
            self._release(record_id, name)
        self._db.execute("DELETE FROM files WHERE name = ?", (name,))

    def finish(self, drop_vanished: bool = True) -> RunCounts:
        """End the run's bookkeeping (still uncommitted): count the vanished files and, unless
        ``drop_vanished`` is false, remove them and their articles from the state."""
        self._need_run()
        gone = self.vanished()
        if drop_vanished:
            for name in gone:
                self._forget(name)
        self._counts.vanished = len(gone)
        self._finished = True
        return RunCounts(**self._counts.to_dict())

    def commit_run(self) -> None:
        """Make the run's writes durable (one commit). ``finish`` must have been called."""
        self._need_run()
        if not self._finished:
            raise RuntimeError("call finish() before commit_run()")
        self._db.execute("COMMIT")
        self._in_run = False

    def rollback_run(self) -> None:
        """Discard every write of the run: the file is exactly as before ``begin_run``."""
        self._need_run()
        self._db.execute("ROLLBACK")
        self._in_run = False


# --- near-duplicates ----------------------------------------------------------------------------

#: Seed of the MinHash permutations: signatures, and so groups, are the same on every run.
MINHASH_SEED = 1


class SeenIds:
    """The record ids a run has written so far, each with the file it first came from.

    Duplicates can be anywhere in a run, so this grows with it; to keep the run's memory flat
    however many records it writes, the ids live in a private temporary SQLite database (deleted
    when closed) whose page cache is capped at ``cache_kib``: past that, pages go to a temporary
    file, not to memory. About 3 µs a record.

    >>> seen = SeenIds()
    >>> seen.first_or_add("1d44173f2935a7aa", "a.txt")
    >>> seen.first_or_add("1d44173f2935a7aa", "b.txt")
    'a.txt'
    >>> seen.close()
    """

    def __init__(self, cache_kib: int = 1024) -> None:
        # isolation_level=None: no implicit transaction; there is nothing to commit or roll back.
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE seen (id TEXT PRIMARY KEY, file TEXT NOT NULL) WITHOUT ROWID")
        self.count = 0

    def first_or_add(self, rid: str, source_file: str) -> str | None:
        """The file ``rid`` was first seen in, or None (and ``rid`` is remembered as from
        ``source_file``) when it is new."""
        if self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)",
                            (rid, source_file)).rowcount:
            self.count += 1
            return None
        return self.get(rid)

    def get(self, rid: str) -> str | None:
        """The file ``rid`` was first seen in, or None."""
        row = self._db.execute("SELECT file FROM seen WHERE id = ?", (rid,)).fetchone()
        return None if row is None else str(row[0])

    def add(self, rid: str, source_file: str) -> None:
        """Remember ``rid`` as first seen in ``source_file`` (a known id keeps its first file)."""
        self.count += self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)",
                                       (rid, source_file)).rowcount

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SeenIds:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NearDuplicates:
    """Groups of records that are the same article with small edits (MinHash + LSH).

    A record's text (title and body) becomes its match key, cut into shingles of ``shingle``
    consecutive words; MinHash estimates the Jaccard similarity of two records' shingle sets and
    LSH proposes the pairs worth comparing. Pairs whose estimate reaches ``threshold`` are edges;
    a group is a connected set of records joined by edges, so two members of one group may be
    less alike than ``threshold`` (A ~ B ~ C). ``score`` is the minimum over the group's edges
    (every proposed pair that reached the threshold), rounded to 3 decimals -- not the minimum
    over all pairs.

    Only the first record of an id is indexed: records with the same id are exact duplicates
    (``Stats`` counts those), not near-duplicates. Memory per indexed record: the id, the file
    name and the signature (``num_perm`` 32-bit values, 512 bytes at 128) plus LSH's band keys of
    about the same size; texts are not kept. LSH can miss a pair whose similarity is close to
    the threshold. Estimates depend on the datasketch version's hashing scheme, not on the run.
    """

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, shingle: int = 3) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {threshold}")
        if num_perm < 2 or shingle < 1:
            raise ValueError("num_perm must be at least 2 and shingle at least 1")
        try:
            from datasketch import MinHash, MinHashLSH
        except ImportError as exc:  # an optional dependency
            raise ImportError("near-duplicate detection needs datasketch: "
                              "pip install 'news-ingest[corpus]'") from exc
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle
        self._template = MinHash(num_perm=num_perm, seed=MINHASH_SEED)  # copies share its perms
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._seen: set[str] = set()
        self._ids: list[str] = []
        self._files: list[str] = []
        self._sigs: list[Any] = []
        self._parent: list[int] = []
        self._edge_min: dict[int, float] = {}

    def shingles(self, text: str) -> set[str]:
        """The shingles of a text: ``'a b c d'`` with ``shingle=3`` -> ``{'a b c', 'b c d'}``;
        a text of fewer words is one shingle, an empty one none."""
        words = match_key(text).split()
        k = self.shingle
        if len(words) <= k:
            return {" ".join(words)} if words else set()
        return {" ".join(words[i:i + k]) for i in range(len(words) - k + 1)}

    def add(self, record_id: str, source_file: str, text: str) -> bool:
        """Index one record (``text``: title and body). Returns False when it is not indexed:
        its id was added before (an exact duplicate) or its text has no words."""
        if record_id in self._seen:
            return False
        self._seen.add(record_id)
        shingles = self.shingles(text)
        if not shingles:
            return False
        minhash = self._template.copy()
        minhash.update_batch([s.encode("utf-8") for s in sorted(shingles)])
        sig = minhash.hashvalues
        index = len(self._ids)
        self._ids.append(record_id)
        self._files.append(source_file)
        self._sigs.append(sig)
        self._parent.append(index)
        for other in sorted(self._lsh.query(minhash)):
            score = float((self._sigs[other] == sig).sum()) / self.num_perm
            if score >= self.threshold:
                self._join(other, index, score)
        self._lsh.insert(index, minhash, check_duplication=False)
        return True

    def add_record(self, record: Mapping[str, Any]) -> bool:
        """``add`` for a record: its id, source file, and title and body."""
        text = f"{record.get('title') or ''}\n{record.get('body') or ''}"
        return self.add(record["id"], record["source_file"], text)

    def _find(self, i: int) -> int:
        parent = self._parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def _join(self, a: int, b: int, score: float) -> None:
        ra, rb = self._find(a), self._find(b)
        low = min(score, self._edge_min.pop(ra, score), self._edge_min.pop(rb, score))
        root = min(ra, rb)
        self._parent[max(ra, rb)] = root
        self._edge_min[root] = low

    def groups(self) -> list[dict[str, Any]]:
        """Groups of 2+ records, ordered by their first member; members in the order added.

        ``[{"members": [{"id": ..., "source_file": ...}, ...], "score": 0.883}]``
        """
        members: dict[int, list[int]] = {}
        for i in range(len(self._ids)):
            members.setdefault(self._find(i), []).append(i)
        return [
            {"members": [{"id": self._ids[i], "source_file": self._files[i]} for i in group],
             "score": round(self._edge_min[root], 3)}
            for root, group in members.items()
            if len(group) > 1
        ]


# --- statistics ---------------------------------------------------------------------------------

#: Keys whose empty share ``Stats`` reports: every field of an article (not those every record
#: has by construction, nor ``warnings``, which is best empty and is counted by kind instead).
MISSING_KEYS: tuple[str, ...] = tuple(
    k for k in RECORD_KEYS if k not in ("id", "source_file", "layout", "warnings")
)
NONE = "(none)"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


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
    ``summary_of(record)`` instead of the record, for ``add_summary``.
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
        self.add_summary(self.summary_of(record))

    @staticmethod
    def summary_of(record: Mapping[str, Any]) -> dict[str, Any]:
        """All that ``add`` counts of a record, small enough for a worker process to send
        instead of the record: layout, outlet, date, warning kinds, and the keys left empty.

        >>> Stats.summary_of({"layout": "trec", "date": "2018-06-29", "tags": [], "title": "t",
        ...                   "warnings": ["date: year 2024 inferred"]})["warnings"]
        ['date']
        """
        return {
            "layout": record.get("layout"),
            "outlet": record.get("outlet"),
            "date": record.get("date"),
            "empty": [key for key in MISSING_KEYS if _empty(record.get(key))],
            "warnings": [w.split(":", 1)[0].strip() for w in record.get("warnings") or ()],
        }

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

    def render(self, top: int = 10) -> Group:
        """The same for a terminal: a ``rich`` group of tables (outlets: the ``top`` largest)."""
        from rich.console import Group
        from rich.table import Table

        data = self.to_dict()
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
