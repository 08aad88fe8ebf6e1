"""Corpus bookkeeping: the incremental state file (one transaction per run, nothing changes
unless committed), near-duplicate groups, corpus statistics and read-also links."""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

from news_ingest.corpus import (
    NearDuplicates,
    RunCounts,
    SeenIds,
    StateError,
    StateStore,
    Stats,
    digest,
    link_read_also,
    title_key,
)
from news_ingest.model import RECORD_KEYS
from news_ingest.pipeline import Config, Context, FileResult, Problem, process
from news_ingest.schema import record_schema
from news_ingest.sources import Source
from news_ingest.summary import MISSING_KEYS
from news_ingest.terminal import render_stats
from news_ingest.text import match_key

from .conftest import SEEDS

T1 = "2024-11-07T09:30:00+00:00"
T2 = "2024-11-08T09:30:00+00:00"


@functools.lru_cache(maxsize=1)
def _seed_records() -> tuple[dict, ...]:
    ctx = Context(Config())
    out: list[dict] = []
    for path in sorted(SEEDS.glob("*.txt")):
        out.extend(process(Source(str(path), path=str(path)), ctx).records)
    return tuple(out)


def seed_records() -> list[dict]:
    """The five seed records (fresh copies: tests may change them)."""
    return copy.deepcopy(list(_seed_records()))


def hex_id(n: int) -> str:
    return f"{n:016x}"


# --- the state file -----------------------------------------------------------------------------


def snapshot(path: Path) -> tuple[dict, dict, dict]:
    with StateStore(path) as state:
        files = {name: state.file_ids(name) for name in state.known()}
        return state.known(), files, state.title_index()


def populate(path: Path) -> None:
    """Files a, b, c committed at T1: a holds ids 1 and 2, b id 3, c id 4."""
    with StateStore(path) as state:
        state.begin_run(at=T1)
        state.record_file("a.txt", digest(b"a"), [hex_id(1), hex_id(2)],
                          [(hex_id(1), "title one"), (hex_id(2), "title two")])
        state.record_file("b.txt", digest(b"b"), [hex_id(3)], [(hex_id(3), "title three")])
        state.record_file("c.txt", digest(b"c"), [hex_id(4)], [(hex_id(4), "title four")])
        assert state.finish() == RunCounts(new=3, changed=0, unchanged=0, vanished=0)
        state.commit_run()


def test_digest_is_sha256_hex() -> None:
    assert digest(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_state_file_is_created_with_a_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateStore(path) as state:
        assert state.known() == {}
        assert state.title_index() == {}
    with sqlite3.connect(path) as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
    assert meta["schema_version"] == "2"
    assert path.exists()


def test_a_committed_run_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    populate(path)
    with StateStore(path) as state:
        assert state.known() == {"a.txt": digest(b"a"), "b.txt": digest(b"b"),
                                 "c.txt": digest(b"c")}
        assert state.classify("a.txt", digest(b"a")) == "unchanged"
        assert state.classify("a.txt", digest(b"a2")) == "changed"
        assert state.classify("z.txt", digest(b"z")) == "new"
        assert state.file_ids("a.txt") == [hex_id(1), hex_id(2)]
        assert state.file_ids("z.txt") is None
        assert state.owner(hex_id(3)) == "b.txt"
        assert state.title_index() == {"title one": hex_id(1), "title two": hex_id(2),
                                       "title three": hex_id(3), "title four": hex_id(4)}
    with sqlite3.connect(path) as db:
        stamps = {row[0] for row in db.execute("SELECT ingested_at FROM files")}
    assert stamps == {T1}


def test_second_run_counts_and_drops_vanished_files(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    populate(path)
    with StateStore(path) as state:
        state.begin_run(at=T2)
        state.mark_seen("a.txt")
        assert state.record_file("b.txt", digest(b"b2"), [hex_id(5)],
                                 [(hex_id(5), "title five")]) == "changed"
        assert state.record_file("d.txt", digest(b"d"), [hex_id(6)],
                                 [(hex_id(6), "title six")]) == "new"
        assert state.vanished() == ["c.txt"]
        assert state.vanished(seen=["a.txt", "d.txt"]) == ["b.txt", "c.txt"]
        assert state.finish() == RunCounts(new=1, changed=1, unchanged=1, vanished=1)
        state.commit_run()
    with StateStore(path) as state:
        assert sorted(state.known()) == ["a.txt", "b.txt", "d.txt"]
        assert state.known()["b.txt"] == digest(b"b2")
        index = state.title_index()
        assert "title four" not in index  # c.txt's article went with it
        assert "title three" not in index  # b.txt's old article was replaced
        assert index["title five"] == hex_id(5)
        assert state.owner(hex_id(4)) is None
    with sqlite3.connect(path) as db:
        stamps = dict(db.execute("SELECT name, ingested_at FROM files"))
    assert stamps == {"a.txt": T1, "b.txt": T2, "d.txt": T2}


def test_finish_can_keep_vanished_files(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    populate(path)
    with StateStore(path) as state:
        state.begin_run(at=T2)
        state.mark_seen("a.txt")
        counts = state.finish(drop_vanished=False)
        state.commit_run()
    assert counts == RunCounts(new=0, changed=0, unchanged=1, vanished=2)
    assert counts.summary() == "0 new, 0 changed, 1 unchanged, 2 vanished"
    assert sorted(snapshot(path)[0]) == ["a.txt", "b.txt", "c.txt"]


def test_a_run_closed_without_commit_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    populate(path)
    before, before_bytes = snapshot(path), path.read_bytes()
    state = StateStore(path)
    state.begin_run(at=T2)
    state.mark_seen("a.txt")
    state.record_file("b.txt", digest(b"b2"), [hex_id(5)], [(hex_id(5), "title five")])
    for n in range(200):
        state.record_file(f"new/{n}.txt", digest(str(n).encode()), [hex_id(100 + n)],
                          [(hex_id(100 + n), f"title {n}")])
    state.finish()  # drops c.txt, but only in the transaction
    assert "c.txt" not in state.known()  # the run sees its own writes
    state.close()
    assert snapshot(path) == before
    assert path.read_bytes() == before_bytes


def test_rollback_run_discards_the_run_and_a_new_run_can_start(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    populate(path)
    before = snapshot(path)
    with StateStore(path) as state:
        state.begin_run(at=T2)
        state.record_file("d.txt", digest(b"d"), [hex_id(6)], [(hex_id(6), "title six")])
        state.rollback_run()
        assert state.known() == before[0]
        state.begin_run(at=T2)
        state.record_file("e.txt", digest(b"e"), [], [])
        state.finish(drop_vanished=False)
        state.commit_run()
    assert sorted(snapshot(path)[0]) == ["a.txt", "b.txt", "c.txt", "e.txt"]


def test_a_process_dying_mid_run_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    populate(path)
    before = snapshot(path)
    script = textwrap.dedent(f"""
        import os
        from news_ingest.corpus import StateStore, digest
        state = StateStore({str(path)!r})
        state.begin_run(at={T2!r})
        state.record_file("b.txt", digest(b"b2"), ["{hex_id(5)}"], [("{hex_id(5)}", "five")])
        for n in range(2000):
            state.record_file(f"new/{{n}}.txt", digest(b"x"), [f"{{n:016x}}"], [])
        state.finish()
        os._exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert snapshot(path) == before


def test_not_a_state_file_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("this is not a database, just some text\n" * 20)
    with pytest.raises(ValueError, match=r"notes\.txt: not a news-ingest state file"):
        StateStore(text)
    assert text.read_text().startswith("this is not")

    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    with pytest.raises(StateError, match=r"other\.sqlite: not a news-ingest state file"):
        StateStore(other)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    StateStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(ValueError, match="schema version 99"):
        StateStore(path)


def test_run_protocol_is_enforced(tmp_path: Path) -> None:
    with StateStore(tmp_path / "state.sqlite") as state:
        with pytest.raises(RuntimeError, match="begin_run"):
            state.record_file("a.txt", digest(b"a"), [])
        state.begin_run(at=T1)
        with pytest.raises(RuntimeError, match="already"):
            state.begin_run(at=T1)
        with pytest.raises(ValueError, match="not in the state"):
            state.mark_seen("unknown.txt")
        with pytest.raises(RuntimeError, match="finish"):
            state.commit_run()


def test_begin_run_defaults_to_an_aware_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateStore(path) as state:
        state.begin_run()
        state.record_file("a.txt", digest(b"a"), [])
        state.finish()
        state.commit_run()
    with sqlite3.connect(path) as db:
        (stamp,) = db.execute("SELECT ingested_at FROM files").fetchone()
    assert datetime.fromisoformat(stamp).utcoffset() is not None


def test_exact_duplicate_outlives_its_first_file(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    dup = hex_id(7)
    with StateStore(path) as state:
        state.begin_run(at=T1)
        state.record_file("first.txt", digest(b"1"), [dup], [(dup, "same")])
        state.record_file("second.txt", digest(b"2"), [dup], [(dup, "same")])
        state.finish()
        state.commit_run()
        assert state.owner(dup) == "first.txt"

        state.begin_run(at=T2)
        state.mark_seen("second.txt")
        assert state.finish().vanished == 1
        state.commit_run()
        assert state.owner(dup) == "second.txt"
        assert state.title_index() == {"same": dup}

        state.begin_run(at=T2)
        state.finish()
        state.commit_run()
        assert state.owner(dup) is None
        assert state.title_index() == {}


def test_title_index_first_id_wins(tmp_path: Path) -> None:
    with StateStore(tmp_path / "state.sqlite") as state:
        state.begin_run(at=T1)
        state.record_file("a.txt", digest(b"a"), [hex_id(1)], [(hex_id(1), "same title")])
        state.record_file("b.txt", digest(b"b"), [hex_id(2)], [(hex_id(2), "same title")])
        assert state.title_index() == {"same title": hex_id(1)}


def test_record_result_takes_ids_and_title_keys_from_records(tmp_path: Path) -> None:
    records = seed_records()[:2]
    result = FileResult("dump/two.txt", records=records)
    with StateStore(tmp_path / "state.sqlite") as state:
        state.begin_run(at=T1)
        assert state.record_result(result, digest(b"two")) == "new"
        assert state.file_ids("dump/two.txt") == [r["id"] for r in records]
        assert state.title_index() == {match_key(r["title"]): r["id"] for r in records}


# --- read-also links ----------------------------------------------------------------------------


def test_title_key_is_the_match_key() -> None:
    assert title_key("وسائل الإعلام!") == title_key("وسائل الاعلام") == "وسائل الاعلام"


def test_link_read_also_sets_ids_of_known_titles() -> None:
    record = seed_records()[0]
    (item,) = record["read_also"]
    variant = item["title"].replace("ا", "أ", 1) + "!"  # another spelling, same key
    target = "1d44173f2935a7aa"
    assert link_read_also(record, {title_key(variant): target}) == 1
    assert item["id"] == target
    jsonschema.Draft202012Validator(record_schema()).validate(record)


def test_link_read_also_skips_unknown_titles_and_the_record_itself() -> None:
    record = seed_records()[0]
    (item,) = record["read_also"]
    assert link_read_also(record, {"something else": "1d44173f2935a7aa"}) == 0
    assert link_read_also(record, {title_key(item["title"]): record["id"]}) == 0
    assert "id" not in item
    assert link_read_also({"id": "x", "read_also": []}, {"": "y"}) == 0


# --- near-duplicates ----------------------------------------------------------------------------


def edited(record: dict, extra_paragraph: str) -> str:
    """The article republished: another headline, one paragraph added in the middle."""
    paragraphs = record["body"].split("\n\n")
    body = "\n\n".join([*paragraphs[:5], extra_paragraph, *paragraphs[5:]])
    return "الكرملين يرد على اتهامات أذربيجان بشأن قوات حفظ السلام\n" + body


def near_duplicates_of_seeds() -> NearDuplicates:
    records = seed_records()
    base, unrelated = records[2], records[4]
    near = NearDuplicates()
    for record in records:
        near.add_record(record)
    near.add("00000000000000ed", "later/edited.txt",
             edited(base, unrelated["body"].split("\n\n")[0]))
    return near


def test_an_edited_republication_groups_with_the_original_and_nothing_else() -> None:
    records = seed_records()
    groups = near_duplicates_of_seeds().groups()
    assert len(groups) == 1
    (group,) = groups
    assert group["members"] == [
        {"id": records[2]["id"], "source_file": records[2]["source_file"]},
        {"id": "00000000000000ed", "source_file": "later/edited.txt"},
    ]
    assert 0.8 <= group["score"] < 1.0
    assert group["score"] == round(group["score"], 3)


def test_near_duplicate_groups_are_deterministic() -> None:
    first, second = near_duplicates_of_seeds().groups(), near_duplicates_of_seeds().groups()
    assert first == second
    assert first  # the comparison is about something


def test_score_is_the_lowest_estimate_among_the_groups_edges() -> None:
    from datasketch import MinHash

    records = seed_records()
    base = records[2]["title"] + "\n" + records[2]["body"]
    extra = [p for p in records[3]["body"].split("\n\n") if len(p.split()) > 8][:2]
    texts = [base, base + "\n\n" + extra[0], base + "\n\n" + extra[0] + "\n\n" + extra[1]]
    near = NearDuplicates(threshold=0.8)
    for n, text in enumerate(texts):
        near.add(hex_id(n), f"{n}.txt", text)

    def signature(text: str) -> MinHash:
        m = MinHash(num_perm=128, seed=1)
        m.update_batch([s.encode("utf-8") for s in near.shingles(text)])
        return m

    sigs = [signature(t) for t in texts]
    estimates = [sigs[a].jaccard(sigs[b]) for a, b in ((0, 1), (0, 2), (1, 2))]
    assert all(0.8 <= e < 1.0 for e in estimates)
    assert len(set(estimates)) > 1  # min and max differ: the test tells them apart
    (group,) = near.groups()
    assert [m["id"] for m in group["members"]] == [hex_id(0), hex_id(1), hex_id(2)]
    assert group["score"] == round(min(estimates), 3)


def test_exact_duplicates_are_not_near_duplicates() -> None:
    record = seed_records()[2]
    near = NearDuplicates()
    assert near.add_record(record) is True
    assert near.add(record["id"], "copy/of.txt", record["title"] + "\n" + record["body"]) is False
    assert near.groups() == []


def test_texts_without_words_are_not_indexed() -> None:
    near = NearDuplicates()
    assert near.add(hex_id(1), "a.txt", " ... ") is False
    assert near.add(hex_id(2), "b.txt", "!!") is False
    assert near.groups() == []


def test_shingles_are_word_runs_of_the_match_key() -> None:
    near = NearDuplicates(shingle=3)
    assert near.shingles("Aa bb, cc dd") == {"aa bb cc", "bb cc dd"}
    assert near.shingles("الإعلام اليوم") == {"الاعلام اليوم"}
    assert near.shingles("") == set()


def test_a_bad_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        NearDuplicates(threshold=0.0)


# --- statistics ---------------------------------------------------------------------------------


def seed_stats() -> Stats:
    stats = Stats()
    for record in seed_records():
        stats.add(record)
    return stats


def test_stats_count_the_seeds() -> None:
    data = seed_stats().to_dict()
    assert data["records"] == 5
    assert data["per_layout"] == {"aggregator": 4, "russia-islamic-world": 1}
    assert data["per_year"] == {"2023": 3, "2024": 2}
    assert data["per_month"] == {"2023-09": 1, "2023-11": 2, "2024-01": 1, "2024-11": 1}
    assert data["per_outlet"]["RT Arabic"] == 1
    assert sum(data["per_outlet"].values()) == 5
    assert data["warnings"] == {"date": 1}
    assert data["missing"]["author"] == 1.0
    assert data["missing"]["title"] == 0.0
    assert data["missing"]["read_also"] == 0.2
    assert set(data["missing"]) == set(RECORD_KEYS) - {"id", "source_file", "layout", "warnings"}
    assert set(MISSING_KEYS) == set(data["missing"])
    assert data["duplicates"] == {"groups": [], "records_in_groups": 0, "dropped": 0}
    assert data["problems"] == {}
    assert data["near_duplicates"] == []


def test_stats_output_is_json_with_sorted_keys() -> None:
    data = seed_stats().to_dict()
    assert list(data) == sorted(data)
    assert list(data["missing"]) == sorted(data["missing"])
    assert json.loads(json.dumps(data)) == data


def test_stats_missing_values_problems_and_duplicates() -> None:
    stats = Stats()
    base = seed_records()[0]
    stats.add(dict(base, date=None, outlet=None, tags=[], url=""))
    stats.add(dict(base, warnings=["date: one", "date: two", "encoding: guessed"]))
    stats.add_problem(Problem("x.txt", "parse", "no title"))
    stats.add_problem(Problem("y.txt", "read", "missing"))
    stats.add_problem(Problem("z.txt", "parse", "no body"))
    stats.note_duplicate(base["id"], "copy1.txt", base["source_file"])
    stats.note_duplicate(base["id"], "copy2.txt", base["source_file"])
    stats.note_dropped_duplicate()
    stats.near_duplicate_groups = [{"members": [], "score": 0.9}]
    data = stats.to_dict()
    assert data["per_year"] == {"(none)": 1, "2023": 1}
    assert data["per_month"] == {"(none)": 1, "2023-11": 1}
    assert data["per_outlet"] == {"(none)": 1, "RT Arabic": 1}
    assert data["missing"]["date"] == 0.5
    assert data["missing"]["tags"] == 0.5
    assert data["missing"]["url"] == 1.0
    assert data["warnings"] == {"date": 2, "encoding": 1}
    assert data["problems"] == {"parse": 2, "read": 1}
    assert data["duplicates"] == {
        "groups": [{"id": base["id"],
                    "files": [base["source_file"], "copy1.txt", "copy2.txt"]}],
        "records_in_groups": 3,
        "dropped": 1,
    }
    assert data["near_duplicates"] == [{"members": [], "score": 0.9}]


def test_stats_of_nothing() -> None:
    data = Stats().to_dict()
    assert data["records"] == 0
    assert set(data["missing"].values()) == {0.0}


def test_render_shows_the_numbers() -> None:
    """The tables of a large run, and the few lines of a small one, show the same counts."""
    stats = seed_stats()
    stats.add_problem(Problem("x.txt", "decode", "not text"))
    console = Console(file=io.StringIO(), width=200)
    console.print(render_stats(stats.to_dict()))
    lines = console.file.getvalue().splitlines()
    assert lines[0].split() == ["layouts", "aggregator", "4,", "russia-islamic-world", "1"]
    assert lines[2].split() == ["years", "2023", "3,", "2024", "2"]
    assert "problems  decode 1" in lines[-1]
    assert len(lines) == 6
    console = Console(file=io.StringIO(), width=120)
    console.print(render_stats(stats.to_dict(), compact=False))
    out = console.file.getvalue()
    assert "russia-islamic-world" in out
    assert "80.0%" in out  # aggregator: 4 of 5
    assert "decode" in out
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip()
            for line in out.splitlines() if line.count("│") >= 3}
    assert rows["records"] == "5"
    assert rows["aggregator"] == "4"
    assert rows["2023"] == "3"


def test_seen_ids_remember_the_first_file_of_each_id_past_their_memory_cap() -> None:
    ids = [f"{i * 2654435761 % (1 << 64):016x}" for i in range(40_000)]
    with SeenIds(cache_kib=64) as seen:
        assert [seen.first_or_add(rid, f"f{i}.txt") for i, rid in enumerate(ids)] == [None] * 40_000
        assert seen.first_or_add(ids[0], "again.txt") == "f0.txt"
        assert seen.first_or_add(ids[-1], "again.txt") == "f39999.txt"
        assert seen.get(ids[12345]) == "f12345.txt"
        assert seen.get("f" * 16) is None
        seen.add(ids[7], "other.txt")  # a known id keeps its first file
        assert seen.get(ids[7]) == "f7.txt"
        seen.add("f" * 16, "z.txt")
        assert seen.get("f" * 16) == "z.txt"
        assert seen.count == 40_001
        # the table is far larger than the 64 KiB page cache: the rest is in SQLite's temporary
        # file (opened, then unlinked: /proc still shows it), not in this process's memory
        pages, size = (seen._db.execute(f"PRAGMA {p}").fetchone()[0]
                       for p in ("page_count", "page_size"))
        assert pages * size > 20 * 64 * 1024
        if Path("/proc/self/fd").is_dir():  # Linux, as in CI
            assert _sqlite_temp_files(), "no temporary file: the ids are all in memory"
    assert not _sqlite_temp_files()  # closing removes it


def _sqlite_temp_files() -> list[str]:
    if not Path("/proc/self/fd").is_dir():
        return []
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
    return [t for t in targets if "etilqs_" in t]  # SQLite's name for its temporary files
