"""Duplicates: exact ones (the same record id written twice), near ones (the same article
republished with small edits), and "read also" items that name an article of the corpus.

* ``SeenIds``: the record ids a run has written, to spot exact duplicates, in bounded memory.
* ``NearDuplicates``: MinHash over word shingles of the match key (``datasketch``, the corpus
  extra).
* ``link_read_also``: points the appended "read also" items at the records they name.

A corpus tool: above the pipeline, below the runner. It never prints and never exits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from ..errors import ExtraMissing
from ..text import match_key
from .state import title_key


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
        except ImportError:  # an optional dependency
            raise ExtraMissing("corpus", "near-duplicate detection") from None
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
