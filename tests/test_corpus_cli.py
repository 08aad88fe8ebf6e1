"""Corpus features through the CLI: incremental state, duplicates, near-duplicates, read-also
links, tag lexicon, stats, and the Dask engine end to end."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from news_ingest.cli import main
from news_ingest.export import read_records

from .conftest import SEEDS, needs_dask

SEED_FILES = sorted(SEEDS.glob("*.txt"))


def invoke(args: list[str]):
    return CliRunner().invoke(main, [*args, "-j", "1"], catch_exceptions=False)


def records(path: Path) -> list[dict]:
    return read_records(path.read_text(encoding="utf-8"), "jsonl")


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    folder = tmp_path / "dump"
    folder.mkdir()
    for path in SEED_FILES[:3]:
        shutil.copy(path, folder / path.name)
    return folder


def test_state_parses_only_new_and_changed_files(tmp_path: Path, dump: Path) -> None:
    state = tmp_path / "corpus.state"
    first = invoke([str(dump), "--state", str(state), "--out", str(tmp_path / "1.jsonl")])
    assert first.exit_code == 0
    assert "state: 3 new, 0 changed, 0 unchanged, 0 vanished" in first.stderr
    assert len(records(tmp_path / "1.jsonl")) == 3

    shutil.copy(SEED_FILES[3], dump / SEED_FILES[3].name)  # a new file
    changed = dump / SEED_FILES[0].name  # a changed file: same name, new content
    changed.write_bytes(SEED_FILES[4].read_bytes())
    (dump / SEED_FILES[1].name).unlink()  # a vanished file
    second = invoke([str(dump), "--state", str(state), "--out", str(tmp_path / "2.jsonl")])
    assert second.exit_code == 0, second.stderr
    assert "state: 1 new, 1 changed, 1 unchanged, 1 vanished" in second.stderr
    out = records(tmp_path / "2.jsonl")
    assert [r["source_file"] for r in out] == [str(changed), str(dump / SEED_FILES[3].name)]
    assert out[0]["layout"] == "russia-islamic-world"  # the changed file's new content

    third = invoke([str(dump), "--state", str(state), "--out", str(tmp_path / "3.jsonl")])
    assert "state: 0 new, 0 changed, 3 unchanged, 0 vanished" in third.stderr
    assert records(tmp_path / "3.jsonl") == []
    full = invoke([str(dump), "--state", str(state), "--full", "--out", str(tmp_path / "4.jsonl")])
    assert len(records(tmp_path / "4.jsonl")) == 3
    assert full.exit_code == 0


def test_failed_run_leaves_state_as_it_was(tmp_path: Path, dump: Path) -> None:
    state = tmp_path / "corpus.state"
    invoke([str(dump), "--state", str(state), "--out", str(tmp_path / "1.jsonl")])
    before = state.read_bytes()
    shutil.copy(SEED_FILES[3], dump / SEED_FILES[3].name)
    # a run that cannot write its stats file fails after parsing: the state must not move
    (tmp_path / "stats-is-a-folder.json").mkdir()
    bad = invoke([str(dump), "--state", str(state), "--out", str(tmp_path / "2.jsonl"),
                  "--stats", str(tmp_path / "stats-is-a-folder.json")])
    assert bad.exit_code != 0
    assert state.read_bytes() == before
    again = invoke([str(dump), "--state", str(state), "--out", str(tmp_path / "3.jsonl")])
    assert "state: 1 new, 0 changed, 3 unchanged, 0 vanished" in again.stderr


def test_exact_duplicates_reported_and_dropped(tmp_path: Path, dump: Path) -> None:
    shutil.copy(SEED_FILES[0], dump / "zz-copy.txt")
    kept = invoke([str(dump), "--out", str(tmp_path / "a.jsonl")])
    assert "duplicates: 1 record repeats an earlier id" in kept.stderr
    assert len(records(tmp_path / "a.jsonl")) == 4
    dropped = invoke([str(dump), "--dedupe", "--out", str(tmp_path / "b.jsonl"),
                      "--stats", str(tmp_path / "stats.json")])
    assert "1 dropped" in dropped.stderr
    out = records(tmp_path / "b.jsonl")
    assert len(out) == 3 and all(r["source_file"] != str(dump / "zz-copy.txt") for r in out)
    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    (group,) = stats["duplicates"]["groups"]
    assert group["files"] == [str(dump / SEED_FILES[0].name), str(dump / "zz-copy.txt")]
    assert stats["duplicates"]["dropped"] == 1
    assert stats["records"] == 3


def test_near_duplicates_grouped(tmp_path: Path, dump: Path) -> None:
    text = SEED_FILES[2].read_text(encoding="utf-8").splitlines()
    text[0] = text[0] + " (محدث)"  # a changed headline
    text.insert(5, "وأضاف المتحدث أن الاتصالات مستمرة على كل المستويات مع جميع الأطراف.")
    (dump / "republished.txt").write_text("\n".join(text), encoding="utf-8")
    result = invoke([str(dump), "--near-dupes", "0.7", "--out", str(tmp_path / "o.jsonl")])
    assert "near-duplicates: 1 group" in result.stderr.splitlines()
    assert f"{dump / SEED_FILES[2].name}, {dump / 'republished.txt'}" in result.stderr


def test_read_also_item_linked_to_corpus_article(tmp_path: Path, dump: Path) -> None:
    # an article of the corpus whose title is seed 000's read-also headline
    lines = SEED_FILES[1].read_text(encoding="utf-8").splitlines()
    lines[0] = "بيسكوف: بوتين وترامب يجريان حاليًا محادثة هاتفية"
    (dump / "zz-target.txt").write_text("\n".join(lines), encoding="utf-8")
    result = invoke([str(dump), "--link-read-also", "--out", str(tmp_path / "o.json")])
    assert result.exit_code == 0
    out = read_records((tmp_path / "o.json").read_text(encoding="utf-8"), "json")
    target = next(r for r in out if r["source_file"].endswith("zz-target.txt"))
    seed0 = next(r for r in out if r["source_file"].endswith(SEED_FILES[0].name))
    assert seed0["read_also"][0]["id"] == target["id"]  # a forward link
    assert "read-also items linked to corpus articles: 1" in result.stderr


def test_stats_file(tmp_path: Path) -> None:
    result = invoke([str(SEEDS), "--out", str(tmp_path / "o.jsonl"),
                     "--stats", str(tmp_path / "s.json")])
    assert result.exit_code == 0
    stats = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert stats["records"] == 5
    assert stats["per_layout"] == {"aggregator": 4, "russia-islamic-world": 1}
    assert stats["per_year"] == {"2023": 3, "2024": 2}
    assert stats["missing"]["site"] == 0.8
    assert stats["warnings"] == {"date": 1}


def test_tag_lexicon_learnt_then_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "dump"
    folder.mkdir()
    trending = ["التغير المناخي", "محاكمة ترامب", "أحداث السودان", "مانشستر سيتي"]
    seed = SEED_FILES[1].read_text(encoding="utf-8").splitlines()
    for i in range(8):
        order = list(trending)
        random.Random(i).shuffle(order)  # trending lists change order from day to day
        own = ["روسيا", "الاتحاد الأوروبي"] if i % 2 else ["الكرملين", "أوكرانيا"]
        lines = list(seed)
        lines[0] = f"{seed[0]} {i}"
        lines[14] = "كلمات دلالية: " + " ".join(order + own)
        (folder / f"{i:02}.txt").write_text("\n".join(lines), encoding="utf-8")
    lexicon = tmp_path / "tags.yaml"
    first = invoke([str(folder), "--tag-lexicon", str(lexicon),
                    "--out", str(tmp_path / "a.jsonl")])
    assert first.exit_code == 0
    assert "learnt from the inputs" in first.stderr
    phrases = yaml.safe_load(lexicon.read_text(encoding="utf-8"))["phrases"]
    assert {"محاكمة ترامب", "مانشستر سيتي"} <= set(phrases)
    out = records(tmp_path / "a.jsonl")
    assert "محاكمة ترامب" in out[0]["tags"] and "مانشستر سيتي" in out[0]["tags"]
    second = invoke([str(SEED_FILES[1]), "--tag-lexicon", str(lexicon)])
    assert "phrases loaded from" in second.stderr
    (rec,) = [json.loads(line) for line in second.stdout.splitlines()]
    assert "محاكمة ترامب" in rec["tags"]


def test_malformed_lexicon_is_a_configuration_error(tmp_path: Path) -> None:
    bad = tmp_path / "tags.yaml"
    bad.write_text("phrases: [1, 2\n", encoding="utf-8")
    result = invoke([str(SEEDS), "--tag-lexicon", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.stderr


def test_part_files_refuse_per_record_options(tmp_path: Path) -> None:
    result = invoke([str(SEEDS), "--engine", "dask", "--out", f"{tmp_path}/", "--dedupe"])
    assert result.exit_code == 2
    assert "--dedupe need the records back" in result.stderr


@needs_dask
def test_dask_engine_output_equals_local_run(tmp_path: Path) -> None:
    local = invoke([str(SEEDS), "--out", str(tmp_path / "local.jsonl")])
    dask = CliRunner().invoke(main, [str(SEEDS), "--engine", "dask", "-j", "2",
                                     "--partition-size", "2", "--out", str(tmp_path / "d.jsonl")])
    assert local.exit_code == dask.exit_code == 0, dask.stderr
    assert (tmp_path / "d.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert "note: --engine dask applied no --timeout" in dask.stderr  # said, not silent
    assert "--timeout" not in local.stderr
    parts = CliRunner().invoke(main, [str(SEEDS), "--engine", "dask", "-j", "1",
                                      "--partition-size", "2", "--out", f"{tmp_path}/parts/"])
    assert parts.exit_code == 0, parts.stderr
    names = sorted(p.name for p in (tmp_path / "parts").iterdir())
    assert names == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    joined = b"".join((tmp_path / "parts" / n).read_bytes() for n in names)
    assert joined == (tmp_path / "local.jsonl").read_bytes()
    assert "5 files: 4 parsed, 1 with warnings, 0 failed; 5 records written" in parts.stderr


def test_state_with_worker_processes(tmp_path: Path, dump: Path, worker_pool: None) -> None:
    """The default -j uses a pool that pulls inputs in its own thread: no database there."""
    state = tmp_path / "s.state"
    args = [str(dump), "--state", str(state), "-j", "2"]
    first = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "1.jsonl")])
    assert first.exit_code == 0, first.stderr
    second = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "2.jsonl")])
    assert "state: 0 new, 0 changed, 3 unchanged, 0 vanished" in second.stderr


def test_a_known_file_that_now_fails_keeps_its_state(tmp_path: Path, dump: Path) -> None:
    state = tmp_path / "s.state"
    invoke([str(dump), "--state", str(state), "--out", str(tmp_path / "1.jsonl")])
    broken = dump / SEED_FILES[1].name
    good = broken.read_bytes()
    broken.write_text("junk\n", encoding="utf-8")
    second = invoke([str(dump), "--state", str(state), "--out", str(tmp_path / "2.jsonl")])
    assert second.exit_code == 1
    assert ("state: 0 new, 1 changed, 2 unchanged, 0 vanished; tried again next run: 1 failed"
            in second.stderr.splitlines())
    broken.write_bytes(good)  # repaired: its bytes match the state again
    third = invoke([str(dump), "--state", str(state), "--out", str(tmp_path / "3.jsonl")])
    assert "state: 0 new, 0 changed, 3 unchanged, 0 vanished" in third.stderr


def test_a_known_file_that_fails_with_the_same_bytes_is_tried_again(tmp_path: Path,
                                                                     dump: Path) -> None:
    """A --full run in which a known, unchanged file fails (here: past a tiny time limit)
    leaves it to be parsed again by the next run, not skipped as unchanged."""
    state = str(tmp_path / "s.state")
    invoke([str(dump), "--state", state, "--out", str(tmp_path / "1.jsonl")])
    second = invoke([str(dump), "--state", state, "--full", "--timeout", "0.000001",
                     "--out", str(tmp_path / "2.jsonl")])
    assert second.exit_code == 1
    third = invoke([str(dump), "--state", state, "--out", str(tmp_path / "3.jsonl")])
    assert third.exit_code == 0, third.stderr
    assert "state: 0 new, 0 changed, 0 unchanged, 0 vanished, 3 retried" in third.stderr
    assert len(records(tmp_path / "3.jsonl")) == 3


@pytest.mark.parametrize("extra", [["--state", "s.state"], ["--dedupe"], ["--format", "csv"]])
def test_raw_does_not_go_with_record_options(tmp_path: Path, extra: list[str]) -> None:
    extra = [str(tmp_path / e) if e.endswith(".state") else e for e in extra]
    result = invoke([str(SEEDS), "--raw", *extra])
    assert result.exit_code == 2
    assert "--raw writes the parser's output, not records" in result.stderr


def test_no_lexicon_learnt_from_stdin(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["-", "--tag-lexicon", str(tmp_path / "new.yaml")],
                                input=SEED_FILES[0].read_bytes())
    assert result.exit_code == 2
    assert "cannot learn a tag lexicon from stdin" in result.stderr
    assert not (tmp_path / "new.yaml").exists()


def test_a_lexicon_that_cannot_be_read_is_named_as_such(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from news_ingest.tags import TagLexicon

    path = tmp_path / "lex.yaml"
    path.write_text("version: 1\nphrases: {}\n", encoding="utf-8")

    def refuse(cls: type, name: str) -> None:
        raise PermissionError(13, "Permission denied", name)

    monkeypatch.setattr(TagLexicon, "load", classmethod(refuse))
    result = invoke([str(SEEDS), "--tag-lexicon", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {path}: cannot read the tag lexicon: Permission denied"]


def test_summary_counts_records_written_after_dedupe(tmp_path: Path, dump: Path) -> None:
    shutil.copy(SEED_FILES[0], dump / "zz-copy.txt")
    result = invoke([str(dump), "--dedupe", "--out", str(tmp_path / "o.jsonl")])
    assert "4 files: 4 parsed, 0 with warnings, 0 failed; 3 records written" in result.stderr
    assert len(records(tmp_path / "o.jsonl")) == 3


def test_bad_state_file_is_a_configuration_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.state"
    bad.write_text("not a database\n" * 100, encoding="utf-8")
    result = invoke([str(SEEDS), "--state", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("damage,problem", [
    ("UPDATE files SET ids = 'not json'", "are not a list of ids"),
    ("UPDATE files SET ids = '[null, 5]'", "are not a list of ids"),
    ("DROP TABLE articles", "no table articles"),
])
def test_a_state_file_edited_into_nonsense_is_refused_in_one_line(
        tmp_path: Path, dump: Path, damage: str, problem: str) -> None:
    """Rows that are valid SQLite but not a state's are a configuration error naming the
    file, and the output of the run stays as it was."""
    import sqlite3

    state = tmp_path / "s.state"
    invoke([str(dump), "--state", str(state), "--out", str(tmp_path / "1.jsonl")])
    with sqlite3.connect(state) as db:
        db.execute(damage)
    out = tmp_path / "2.jsonl"
    out.write_text("good\n", encoding="utf-8")
    result = invoke([str(dump), "--state", str(state), "--full", "--out", str(out)])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {state}: damaged state file (") and problem in line
    assert out.read_text(encoding="utf-8") == "good\n"


def test_state_with_gzipped_inputs(tmp_path: Path) -> None:
    import gzip

    folder = tmp_path / "gz"
    folder.mkdir()
    (folder / "a.txt.gz").write_bytes(gzip.compress(SEED_FILES[0].read_bytes()))
    state = str(tmp_path / "s.state")
    first = invoke([str(folder), "--state", state, "--out", str(tmp_path / "1.jsonl")])
    assert first.exit_code == 0, first.stderr
    assert len(records(tmp_path / "1.jsonl")) == 1
    second = invoke([str(folder), "--state", state, "--out", str(tmp_path / "2.jsonl")])
    assert "state: 0 new, 0 changed, 1 unchanged, 0 vanished" in second.stderr


def test_partly_failed_and_strict_warned_files_are_retried(tmp_path: Path) -> None:
    """A file that failed in part, and one whose warnings --strict refused, are tried again on
    every run (the gate keeps failing), and with --dedupe their good records are written once."""
    folder = tmp_path / "d"
    folder.mkdir()
    doc = "<DOC>\n<DOCNO>{n}</DOCNO>\n<TITLE>t{n}</TITLE>\n<TEXT>\n{body}\n</TEXT>\n</DOC>\n"
    (folder / "multi.txt").write_text(
        doc.format(n=1, body="نص.") + doc.format(n=2, body=""), encoding="utf-8")
    shutil.copy(SEED_FILES[4], folder / "warned.txt")  # its date's year is inferred: a warning
    state = str(tmp_path / "s.state")
    seen = []
    for run in (1, 2):
        result = invoke([str(folder), "--state", state, "--strict", "--dedupe",
                         "--out", str(tmp_path / f"{run}.jsonl")])
        assert result.exit_code == 1  # the gate keeps failing until the inputs are fixed
        lines = result.stderr.splitlines()
        assert "2 files: 0 parsed, 1 with warnings, 1 failed (1 in part); " \
            f"{2 if run == 1 else 0} records written" in lines
        seen.append([line for line in lines if line.startswith("state: ")])
        assert [r["source_file"] for r in records(tmp_path / f"{run}.jsonl")] == (
            [f"{folder / 'multi.txt'}#1", str(folder / "warned.txt")] if run == 1 else [])
    assert seen == [
        ["state: 2 new, 0 changed, 0 unchanged, 0 vanished; tried again next run: 1 failed, "
         "1 with warnings"],
        ["state: 0 new, 0 changed, 0 unchanged, 0 vanished, 2 retried; tried again next run: "
         "1 failed, 1 with warnings"]]


def test_dedupe_with_state_drops_an_article_written_by_an_earlier_run(
    tmp_path: Path, dump: Path
) -> None:
    state = str(tmp_path / "s.state")
    invoke([str(dump), "--state", state, "--dedupe", "--out", str(tmp_path / "1.jsonl")])
    changed = dump / SEED_FILES[0].name
    changed.write_bytes(changed.read_bytes() + b"\n\n")  # new bytes, same article
    (dump / "issue#7.txt").write_bytes(SEED_FILES[3].read_bytes())  # a '#' in a file name
    second = invoke([str(dump), "--state", state, "--dedupe", "--out", str(tmp_path / "2.jsonl")])
    assert "state: 1 new, 1 changed, 2 unchanged, 0 vanished" in second.stderr
    assert "duplicates: 1 record repeats an earlier id, 1 dropped" in second.stderr
    assert [r["source_file"] for r in records(tmp_path / "2.jsonl")] == [str(dump / "issue#7.txt")]


def test_full_needs_state() -> None:
    result = invoke([str(SEEDS), "--full"])
    assert result.exit_code == 2 and "--full goes with --state" in result.stderr


def test_bad_state_is_refused_before_the_lexicon_pass(tmp_path: Path) -> None:
    bad = tmp_path / "bad.state"
    bad.write_text("not a database\n" * 100, encoding="utf-8")
    lexicon = tmp_path / "lex.yaml"
    result = invoke([str(SEEDS), "--state", str(bad), "--tag-lexicon", str(lexicon)])
    assert result.exit_code == 2
    assert not lexicon.exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_stats_are_the_same_whether_workers_encode_the_records_or_not(
    tmp_path: Path, jobs: str, request: pytest.FixtureRequest
) -> None:
    if jobs == "2":
        request.getfixturevalue("worker_pool")
    # Plain --stats lets workers encode records and send a summary for the counts; --near-dupes
    # needs whole records back, so the writing process counts them itself. Same figures.
    folder = tmp_path / "dump"
    folder.mkdir()
    for path in [*SEED_FILES, *sorted((SEEDS.parent / "tests/golden/trec").glob("*.txt"))]:
        shutil.copy(path, folder / path.name)
    shutil.copy(SEED_FILES[2], folder / "zz-copy.txt")  # an exact duplicate
    figures = []
    for extra in ([], ["--near-dupes", "0.9"]):
        stats = tmp_path / f"s{len(extra)}.json"
        result = CliRunner().invoke(
            main, [str(folder), "--out", str(tmp_path / f"o{len(extra)}.jsonl"),
                   "--stats", str(stats), "-j", jobs, *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        data = json.loads(stats.read_text(encoding="utf-8"))
        data.pop("near_duplicates")
        figures.append(data)
    assert figures[0] == figures[1]
    assert figures[0]["duplicates"]["records_in_groups"] == 2
    assert set(figures[0]["per_layout"]) == {"aggregator", "russia-islamic-world", "trec"}
    written = records(tmp_path / "o0.jsonl")
    assert figures[0]["records"] == len(written) == 14  # 12 files, one of them 3 documents
    kinds = [w.split(":")[0] for r in written for w in r["warnings"]]
    assert figures[0]["warnings"] == {k: kinds.count(k) for k in sorted(set(kinds))}


@needs_dask
def test_a_second_run_into_a_part_folder_leaves_only_its_own_parts(tmp_path: Path) -> None:
    local = invoke([str(SEEDS), "--out", str(tmp_path / "local.jsonl")])
    assert local.exit_code == 0
    parts = tmp_path / "parts"
    for size, expected in (("1", 5), ("2", 3)):
        run = CliRunner().invoke(main, [str(SEEDS), "--engine", "dask", "-j", "1",
                                        "--partition-size", size, "--out", f"{parts}/"])
        assert run.exit_code == 0, run.stderr
        names = sorted(p.name for p in parts.iterdir())
        assert names == [f"part-{i:05d}.jsonl" for i in range(expected)]
    assert "removed 2 part files of an earlier run from the output folder" in run.stderr
    joined = b"".join((parts / n).read_bytes() for n in names)
    assert joined == (tmp_path / "local.jsonl").read_bytes()


@needs_dask
def test_a_run_that_writes_no_record_leaves_a_part_folder_as_it_was(tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    good = CliRunner().invoke(main, [str(SEEDS), "--engine", "dask", "-j", "1",
                                     "--partition-size", "2", "--out", f"{parts}/"])
    assert good.exit_code == 0, good.stderr
    before = {p.name: p.read_bytes() for p in parts.iterdir()}
    typo = CliRunner().invoke(main, [str(tmp_path / "seedz"), "--engine", "dask", "-j", "1",
                                     "--out", f"{parts}/"])
    assert typo.exit_code == 1
    assert "no such file or folder" in typo.stderr
    assert "kept 3 part files of an earlier run in the output folder" in typo.stderr
    assert {p.name: p.read_bytes() for p in parts.iterdir()} == before  # not even part-00000
