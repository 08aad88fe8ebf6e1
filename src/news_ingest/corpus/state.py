"""Incremental state: an SQLite file remembering, per input file, the SHA-256 of its bytes and
the ids of its records, so that a run over a new dump can skip the files it has already
ingested. All writes of a run are one transaction, committed only by ``commit_run``. Files
are named by the caller (the runner uses ``keys``: paths relative to the state's folder).

A corpus tool: it sits above the pipeline (it stores what its results hold) and below the
runner. It never looks at input text, never prints and never exits.

Its length (about 500 lines) is earned by one class whose every method is a step of the one
transaction the file's integrity depends on (refcounted article rows, files to retry,
vanished files, the upgrade of an older file, rollback on any failure); split up, that
invariant would be spread over modules.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..errors import IngestError
from ..text import match_key
from .keys import state_base, stored_key

if TYPE_CHECKING:
    from ..pipeline import Result


def title_key(title: str) -> str:
    """The key a title is compared by (``text.match_key``): ``'الإعلام!'`` -> ``'الاعلام'``."""
    return match_key(title)


def digest(data: bytes) -> str:
    """SHA-256 of an input's bytes, as 64 hex characters (what ``StateStore`` compares)."""
    return hashlib.sha256(data).hexdigest()


#: Version of the state file's tables; a file with a higher version is refused, one with a
#: lower version is upgraded when it is opened. 2: ``files.done``, and names that are keys
#: (``keys``: relative to the state's folder) where version 1 kept the path as spelt.
SCHEMA_VERSION = 2
_APPLICATION = "news-ingest state"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    name TEXT PRIMARY KEY,          -- the input's key (keys.py), as the caller gives it
    digest TEXT NOT NULL,           -- sha256 hex of the input's bytes
    ids TEXT NOT NULL,              -- JSON list of the ids of its records, in order
    ingested_at TEXT NOT NULL,      -- ISO timestamp given by the caller
    done INTEGER NOT NULL DEFAULT 1 -- 0: recorded, but to be tried again (it failed in part,
                                    -- or a strict run refused its warnings)
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
    """What a run found, by input file. Each file read is ``new``, ``changed`` (other bytes
    than the state's), ``retried`` (the same bytes as a file an earlier run did not finish)
    or ``unchanged`` (skipped); ``vanished`` are in the state but gone from where this run
    looked. Of the files this run did not finish, which the next run tries again, ``failed``
    met a problem and ``with_warnings`` gave records whose warnings a strict run refused (the
    words of ``report.Report``)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    vanished: int = 0
    retried: int = 0
    failed: int = 0
    with_warnings: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        """``'3 new, 1 changed, 120 unchanged, 2 vanished'``, then what was retried and what
        will be: ``', 1 retried; tried again next run: 1 failed, 1 with warnings'``."""
        retried = f", {self.retried} retried" if self.retried else ""
        again = [f"{n} {what}" for n, what in ((self.failed, "failed"),
                                               (self.with_warnings, "with warnings")) if n]
        tail = f"; tried again next run: {', '.join(again)}" if again else ""
        return (f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, "
                f"{self.vanished} vanished{retried}{tail}")


def utc_now() -> str:
    """The current time in UTC as an ISO 8601 string (seconds), e.g. ``2024-11-07T09:30:00+00:00``.
    Only the default of ``StateStore.begin_run`` calls it."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _status(row: tuple[str, int] | tuple[str, int, str] | None, digest: str) -> str:
    """What a file is to the state, from its row's ``(digest, done, ...)``."""
    if row is None:
        return "new"
    if row[0] != digest:
        return "changed"
    return "unchanged" if row[1] else "retried"


def _is_not_a_database(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    return name == "SQLITE_NOTADB" or "not a database" in str(exc)


class StateStore:
    """What earlier runs ingested, in an SQLite file (created, with its tables, on first use).

    A run::

        with StateStore("state.sqlite") as state:
            state.begin_run(at="2024-11-07T09:30:00+00:00")
            known = state.known()                      # name -> digest, read once, in the run
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

    Vanished files (in the state, neither recorded nor marked seen in this run, and for which
    ``finish(within=...)`` says yes: inside what the run looked at) are removed from the state
    by ``finish()`` together with their ``articles`` rows, unless
    ``finish(drop_vanished=False)``.

    A file recorded with ``pending`` (it failed in part, or a strict run refused its warnings)
    keeps its ids, so its records count as written (duplicates of them are dropped), but it
    is not done: ``known`` leaves it out, so the next run parses it again (``retried``).

    Tables: ``files(name, digest, ids, ingested_at, done)``, ``articles(id, title_key, source_file,
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
            tables = {"meta", "files", "articles"}
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
        missing = {"files", "articles"} - tables
        if missing:
            raise StateError(f"{self.path}: damaged state file (no table "
                             f"{', '.join(sorted(missing))}); restore it from a backup, or "
                             "delete it to start afresh")
        db.execute("CREATE TEMP TABLE IF NOT EXISTS run_seen (name TEXT PRIMARY KEY)")
        self._check_usable()
        if version < SCHEMA_VERSION:
            self._upgrade()

    def _upgrade(self) -> None:
        """Schema 1 -> 2, in one transaction: the ``done`` column, and names made keys (two
        spellings of one file become one key: the one ingested last is kept)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("ALTER TABLE files ADD COLUMN done INTEGER NOT NULL DEFAULT 1")
            base = state_base(self.path)
            rows = db.execute("SELECT name, ingested_at FROM files ORDER BY ingested_at, rowid")
            for name, at in rows.fetchall():
                key = stored_key(name, base)
                if key == name:
                    continue
                other = db.execute("SELECT ingested_at FROM files WHERE name = ?",
                                   (key,)).fetchone()
                if other is not None:
                    if other[0] > at:  # the other spelling is the later: this one goes
                        self._forget(name)
                        continue
                    self._forget(key)
                db.execute("UPDATE files SET name = ? WHERE name = ?", (key, name))
                db.execute("UPDATE articles SET source_file = ? WHERE source_file = ?",
                           (key, name))
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                       (str(SCHEMA_VERSION),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

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
        """Every file in the state that is done: name -> digest (read it once at the start of
        a run). A file to retry is left out: its bytes are parsed again."""
        return dict(self._db.execute("SELECT name, digest FROM files WHERE done"))

    def classify(self, name: str, digest: str) -> str:
        """``'new'`` (name not in the state), ``'changed'`` (other digest), ``'retried'`` (same
        digest, not done) or ``'unchanged'``."""
        row = self._db.execute("SELECT digest, done FROM files WHERE name = ?",
                               (name,)).fetchone()
        return _status(row, digest)

    def file_ids(self, name: str) -> list[str] | None:
        """The ids of a file's records as stored, or ``None`` for a file not in the state."""
        row = self._db.execute("SELECT ids FROM files WHERE name = ?", (name,)).fetchone()
        return None if row is None else self._ids(row[0], name)

    def _ids(self, stored: object, name: str) -> list[str]:
        """The ids stored for file ``name``; a row that does not hold a JSON list of ids (a
        file edited by hand, or damaged) is ``StateError``, not a crash mid-run."""
        try:
            ids = json.loads(stored) if isinstance(stored, str) else None
        except ValueError:
            ids = None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise StateError(f"{self.path}: damaged state file (the ids of '{name}' are not a "
                             "list of ids); restore it from a backup, or delete it to start "
                             "afresh")
        return ids

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

    def vanished(self, seen: Iterable[str] | None = None,
                 within: Callable[[str], bool] | None = None) -> list[str]:
        """Names in the state not in ``seen``, sorted. Without ``seen``: not recorded or marked
        seen in the current run (which needs a run in progress), and (with ``within``) for
        which ``within(name)`` is true: inside what the run looked at."""
        if seen is None:
            self._need_run()
            rows = self._db.execute(
                "SELECT name FROM files WHERE name NOT IN (SELECT name FROM temp.run_seen)"
                " ORDER BY name"
            )
            return [row[0] for row in rows if within is None or within(row[0])]
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
        pending: str | None = None,
    ) -> str:
        """Store a file ingested in this run: its digest, its records' ids (in order) and, per id,
        the title key (``titles``: ``(id, title_key)`` pairs). Returns what the file was
        (``'new'``, ``'changed'``, ``'retried'``, ``'unchanged'``) and counts it. A file that
        gave no records is stored with ``ids=[]``; one that is not stored vanishes at
        ``finish``. ``pending`` (``'failed'`` or ``'with_warnings'``): the file is stored but
        not done, and counted so; the next run tries it again."""
        self._need_run()
        ids = list(ids)
        db = self._db
        row = db.execute("SELECT digest, done, ids FROM files WHERE name = ?",
                         (name,)).fetchone()
        status = _status(row, digest)
        if self._see(name):
            self._count(status)
            if pending is not None:
                self._count(pending)
        new_ids = list(dict.fromkeys(ids))
        old_ids = set(self._ids(row[2], name)) if row is not None else set()
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
            "INSERT INTO files (name, digest, ids, ingested_at, done) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET digest = excluded.digest, ids = excluded.ids,"
            " ingested_at = excluded.ingested_at, done = excluded.done",
            (name, digest, json.dumps(ids), at if at is not None else self._at,
             int(pending is None)),
        )
        return status

    def _count(self, what: str) -> None:
        setattr(self._counts, what, getattr(self._counts, what) + 1)

    def record_result(self, result: Result, digest: str, at: str | None = None, *,
                      name: str | None = None, pending: str | None = None) -> str:
        """``record_file`` for a pipeline result (under ``name``, default its key, else its
        name): ids and title keys from its records."""
        pairs = result.ids_and_titles()
        name = name or getattr(result, "key", None) or result.name
        return self.record_file(name, digest, [rid for rid, _ in pairs],
                                [(rid, title_key(title or "")) for rid, title in pairs], at,
                                pending)

    def mark_seen(self, name: str) -> None:
        """Note a file skipped as unchanged (it must be in the state): it will not vanish."""
        self._need_run()
        if self._db.execute("SELECT 1 FROM files WHERE name = ?", (name,)).fetchone() is None:
            raise ValueError(f"{name}: not in the state, cannot be unchanged")
        if self._see(name):
            self._counts.unchanged += 1

    def mark_failed(self, name: str, digest: str | None = None) -> None:
        """Note a file that gave no record: a known file keeps its earlier row and records
        (it does not vanish); an unknown one is not stored at all. The next run tries it
        again: changed bytes differ from the row's digest (and bytes put back as they were
        are unchanged); the same bytes (a ``--full`` run or a time limit that failed where an
        earlier run did not) mark the row not done. With the ``digest`` of the bytes read, it
        is also counted as what it was (``new``, ``changed``, ...)."""
        self._need_run()
        if self._see(name):
            self._counts.failed += 1
            if digest is not None:
                row = self._db.execute("SELECT digest, done FROM files WHERE name = ?",
                                       (name,)).fetchone()
                self._count(_status(row, digest))
                if row is not None and row[0] == digest:
                    self._db.execute("UPDATE files SET done = 0 WHERE name = ?", (name,))

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

    def finish(self, drop_vanished: bool = True,
               within: Callable[[str], bool] | None = None) -> RunCounts:
        """End the run's bookkeeping (still uncommitted): count the vanished files (with
        ``within``: only those for which it is true, inside what the run looked at) and, unless
        ``drop_vanished`` is false, remove them and their articles from the state."""
        self._need_run()
        gone = self.vanished(within=within)
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
