"""Issue 13, point by point, through the command line: a CI operator's mistakes never wipe the
state or an output and every failure says why; a shell user's habits (stdin, file lists,
globs, --limit, --fields, a BOM for Excel, a quiet terminal beside the data) work as in jq,
ripgrep and csvkit. docs/ci.md's own scenario is ``test_ci_doc``."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import pty
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from news_ingest import cli
from news_ingest.cli import main
from news_ingest.export import read_records

from .conftest import ROOT, SEEDS, needs_pyarrow

SEED_FILES = sorted(SEEDS.glob("*.txt"))


def invoke(*args: object, stdin: bytes | None = None):
    argv = [str(a) for a in args]
    return CliRunner().invoke(main, [*argv, "-j", "1"], input=stdin, catch_exceptions=False)


def state_line(result) -> str:
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("state: ")]
    return line


def jsonl(text: str) -> list[dict]:
    return read_records(text, "jsonl")


@pytest.fixture
def dumps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``dumps/a`` with seeds 000-002 and ``dumps/b`` with 003-004; the working folder is
    ``tmp_path``, which holds the state."""
    monkeypatch.chdir(tmp_path)
    for sub, seeds in (("a", SEED_FILES[:3]), ("b", SEED_FILES[3:])):
        (tmp_path / "dumps" / sub).mkdir(parents=True)
        for seed in seeds:
            shutil.copy(seed, tmp_path / "dumps" / sub / seed.name)
    return tmp_path / "dumps"


# --- 1. the state forgets nothing it was not shown ------------------------------------------


def test_a_missing_or_empty_root_is_an_error_that_leaves_the_state_alone(dumps: Path) -> None:
    first = invoke("dumps", "--state", "s.db", "-o", "1.jsonl")
    assert state_line(first) == "state: 5 new, 0 changed, 0 unchanged, 0 vanished"
    before = Path("s.db").read_bytes()
    Path("e").mkdir()
    for typo in ("e/", "dumpz/"):
        res = invoke(typo, "--state", "s.db", "-o", "1.jsonl")
        assert res.exit_code == 1
        assert res.stderr.splitlines()[0] in (
            "error: e/: no input found: the folder holds no file",
            "error: dumpz/: no such file or folder")
        assert Path("s.db").read_bytes() == before
        assert len(jsonl(Path("1.jsonl").read_text("utf-8"))) == 5  # the output too
    again = invoke("dumps", "--state", "s.db", "-o", "2.jsonl")
    assert state_line(again) == "state: 0 new, 0 changed, 5 unchanged, 0 vanished"
    assert Path("2.jsonl").read_text("utf-8") == ""


def test_the_state_knows_a_file_however_its_path_is_spelt(
        dumps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    invoke("dumps/", "--state", "s.db", "-o", "/dev/null")
    for spelling in ("./dumps", str(dumps), "dumps//a/../"):
        res = invoke(spelling, "--state", "s.db", "-o", "/dev/null")
        assert state_line(res) == "state: 0 new, 0 changed, 5 unchanged, 0 vanished", spelling
    monkeypatch.chdir(dumps)
    inside = invoke(".", "--state", "../s.db", "-o", "/dev/null")
    assert state_line(inside) == "state: 0 new, 0 changed, 5 unchanged, 0 vanished"
    with sqlite3.connect(dumps.parent / "s.db") as db:
        names = [row[0] for row in db.execute("SELECT name FROM files ORDER BY name")]
    assert names[0] == f"dumps/a/{SEED_FILES[0].name}"  # relative to the state's folder


def test_only_files_under_the_roots_given_can_vanish(dumps: Path) -> None:
    invoke("dumps", "--state", "s.db", "-o", "/dev/null")
    one_dump = invoke("dumps/b", "--state", "s.db", "-o", "/dev/null")
    assert state_line(one_dump) == "state: 0 new, 0 changed, 2 unchanged, 0 vanished"
    one_file = invoke(f"dumps/a/{SEED_FILES[0].name}", "--state", "s.db", "-o", "/dev/null")
    assert state_line(one_file) == "state: 0 new, 0 changed, 1 unchanged, 0 vanished"
    (dumps / "b" / SEED_FILES[4].name).unlink()
    gone = invoke("dumps/b", "--state", "s.db", "-o", "/dev/null")
    assert state_line(gone) == "state: 0 new, 0 changed, 1 unchanged, 1 vanished"
    whole = invoke("dumps", "--state", "s.db", "-o", "/dev/null")
    assert state_line(whole) == "state: 0 new, 0 changed, 4 unchanged, 0 vanished"


def test_a_folder_the_run_cannot_enter_vanishes_nothing(dumps: Path) -> None:
    """Files first read through a link followed with -L stay in the state when a run does not
    follow it: what a run could not read is not gone."""
    outside = dumps.parent / "outside"
    outside.mkdir()
    shutil.copy(SEED_FILES[0], outside / "x.txt")
    (dumps / "a" / "linked").symlink_to(outside)
    first = invoke("dumps", "-L", "--state", "s.db", "-o", "/dev/null")
    assert state_line(first) == "state: 6 new, 0 changed, 0 unchanged, 0 vanished"
    second = invoke("dumps", "--state", "s.db", "-o", "/dev/null")
    assert second.exit_code == 1 and "not followed" in second.stderr
    assert state_line(second) == ("state: 0 new, 0 changed, 5 unchanged, 0 vanished; tried "
                                  "again next run: 1 failed")


def test_dedupe_remembers_every_dump_the_state_has_seen(dumps: Path) -> None:
    invoke("dumps/a", "--state", "s.db", "--dedupe", "-o", "/dev/null")
    invoke("dumps/b", "--state", "s.db", "--dedupe", "-o", "/dev/null")
    later = dumps / "c"
    later.mkdir()
    shutil.copy(SEED_FILES[0], later / "republished.txt")  # an article of the first dump
    shutil.copy(SEED_FILES[3], later / "again.txt")  # ... and one of the second
    res = invoke("dumps/c", "--state", "s.db", "--dedupe", "-o", "3.jsonl")
    assert "duplicates: 2 records repeat an earlier id, 2 dropped" in res.stderr.splitlines()
    assert Path("3.jsonl").read_text("utf-8") == ""


def test_a_state_file_of_schema_1_is_upgraded_to_keys(dumps: Path) -> None:
    """A state written by 0.1 kept paths as typed ('./dumps/a/x.txt', absolute ones): opened,
    they become keys, so the next run finds every file unchanged."""
    invoke("dumps", "--state", "s.db", "-o", "/dev/null")
    with sqlite3.connect("s.db") as db:
        db.execute("ALTER TABLE files DROP COLUMN done")
        db.execute("UPDATE files SET name = './' || name WHERE name LIKE 'dumps/a/%'")
        db.execute("UPDATE files SET name = ? || name WHERE name LIKE 'dumps/b/%'",
                   (f"{dumps.parent}/",))
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    res = invoke("dumps", "--state", "s.db", "-o", "/dev/null")
    assert state_line(res) == "state: 0 new, 0 changed, 5 unchanged, 0 vanished"


# --- 3. --strict says which records and why --------------------------------------------------


def test_strict_names_each_refused_record_even_when_quiet(tmp_path: Path) -> None:
    errors = tmp_path / "errors.jsonl"
    res = invoke(SEEDS, "--strict", "-q", "--errors", errors, "-o", tmp_path / "o.jsonl")
    assert res.exit_code == 1
    reason = ("record has warnings: date: year 2024 inferred from the same day and month in "
              "the text (refused by --strict)")
    assert res.stderr.splitlines() == [f"error: {SEED_FILES[4]}: {reason}"]
    assert [json.loads(line) for line in errors.read_text("utf-8").splitlines()] == [
        {"source_file": str(SEED_FILES[4]), "stage": "strict", "reason": reason, "line": None}]
    loud = invoke(SEEDS, "--strict", "-o", tmp_path / "o.jsonl")
    assert loud.stderr.splitlines()[1:] == [
        "5 files: 4 parsed, 1 with warnings, 0 failed; 5 records written",
        "--strict: 1 record has warnings it refuses (named above)"]
    assert len(jsonl((tmp_path / "o.jsonl").read_text("utf-8"))) == 5  # every record written


def test_strict_by_kind_accepts_the_others(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    assert invoke(SEEDS, "--strict=layout,encoding", "-o", out).exit_code == 0
    assert invoke(SEEDS, "--strict", "date", "-o", out).exit_code == 1
    before = invoke("--strict", SEEDS, "-o", out)  # an input after it: every kind
    assert before.exit_code == 1 and "refused by --strict" in before.stderr
    piped = invoke("--strict", "-", stdin=SEED_FILES[4].read_bytes())  # stdin after it, too
    assert piped.exit_code == 1 and "error: -: record has warnings: date:" in piped.stderr
    typo = invoke(SEEDS, "--strict", "dat", "-o", out)
    assert typo.exit_code == 2
    assert typo.stderr.startswith("Error: --strict: unknown warning kind 'dat' (expected one "
                                  "of author, body,")


def test_every_warning_in_the_goldens_has_a_kind_strict_can_name() -> None:
    """--strict=KINDS checks its kinds against a list: every kind the goldens show is on it."""
    from news_ingest.plan import WARNING_KINDS
    from news_ingest.summary import warning_kind

    kinds = {warning_kind(warning) for path in (ROOT / "tests" / "golden").rglob("*.json")
             for record in json.loads(path.read_text(encoding="utf-8"))
             for warning in record["warnings"]}
    assert len(kinds) >= 5 and kinds <= set(WARNING_KINDS), kinds - set(WARNING_KINDS)


# --- 4. side files never mix into the data on stdout ------------------------------------------


@pytest.mark.parametrize("flag", ["--stats", "--errors"])
def test_a_side_file_on_stdout_beside_the_data_is_a_usage_error(tmp_path: Path,
                                                                flag: str) -> None:
    for data in ([], ["--out", "-"], ["--format", "csv"]):
        res = invoke(SEEDS, flag, "-", *data)
        assert (res.exit_code, res.stdout) == (2, "")
        assert res.stderr == f"Error: --out and {flag} would both write to stdout: give one " \
                             "of them a file\n"
    alone = invoke(SEEDS, flag, "-", "--out", tmp_path / "o.jsonl", "--strict")
    lines = alone.stdout.splitlines()
    parsed = json.loads(alone.stdout) if flag == "--stats" else json.loads(lines[0])
    assert parsed["records"] == 5 if flag == "--stats" else parsed["stage"] == "strict"


# --- 5. finding no input is a failure that says what was skipped ------------------------------


def test_a_folder_without_inputs_names_what_it_skipped(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(SEED_FILES[0], pages / "one.html")
    shutil.copy(SEED_FILES[1], pages / "two.HTML")
    shutil.copy(SEED_FILES[2], pages / "extensionless")
    res = invoke(pages)
    assert res.exit_code == 1 and res.stdout == ""
    assert res.stderr.splitlines() == [
        f"error: {pages}: no input found: 3 files, none named like an input (2 *.html, 1 "
        "without an extension); --glob PATTERN chooses the files read",
        "1 file: 0 parsed, 0 with warnings, 1 failed; 0 records written"]
    html = invoke(pages, "--glob", "*.html")
    assert [r["source_file"] for r in jsonl(html.stdout)] == [str(pages / "one.html"),
                                                             str(pages / "two.HTML")]
    bare = invoke(pages, "--glob", "*", "--glob", "!*.*")
    assert [r["source_file"] for r in jsonl(bare.stdout)] == [str(pages / "extensionless")]
    archive = tmp_path / "pages.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(pages / "one.html", "site/one.html")
    assert invoke(archive).stderr.startswith(
        f"error: {archive}: no input found: no member of the archive is named like an input")
    member = invoke(archive, "-g", "site/*.html")
    assert [r["source_file"] for r in jsonl(member.stdout)] == [f"{archive}!site/one.html"]
    from news_ingest.executors import run  # the library reads the same files as the CLI
    from news_ingest.pipeline import Config

    found = [r["source_file"] for result in run([str(pages)], Config(globs=("*.html",)))
             for r in result.records]
    assert found == [str(pages / "one.html"), str(pages / "two.HTML")]


# --- 6. a terminal that also shows the data ---------------------------------------------------


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch):
    """Pretend stderr is a terminal and stdout is ``kind``; note whether the bar was asked for."""
    asked: list[bool] = []

    def bar(results, count, console=None):
        asked.append(True)
        return results

    monkeypatch.setattr(cli, "with_progress", bar)

    def pretend(stdout: str) -> None:
        def kind(stream) -> str:
            return "terminal" if stream is sys.stderr else stdout

        monkeypatch.setattr(cli, "stream_kind", kind)

    return pretend, asked


@pytest.mark.parametrize(("stdout", "extra", "bar", "tables"), [
    ("terminal", [], False, False),  # the data is on the screen
    ("pipe", [], False, False),  # ingest big/ | jq -r .title: jq prints on the same screen
    ("file", [], True, True),  # ingest big/ > articles.jsonl
    ("pipe", ["--out", "OUT"], True, True),
    ("file", ["--no-tables"], True, False),
    ("pipe", ["--progress", "--tables"], True, True),
    ("file", ["--no-progress", "-q"], False, False),
])
def test_the_bar_and_tables_only_where_the_data_is_not(
        tmp_path: Path, screen, stdout: str, extra: list[str], bar: bool, tables: bool) -> None:
    pretend, asked = screen
    pretend(stdout)
    extra = [str(tmp_path / "o.jsonl") if e == "OUT" else e for e in extra]
    res = invoke(SEEDS, *extra)
    assert bool(asked) == bar
    lines = res.stderr.splitlines()
    if "-q" not in extra:
        assert lines[0] == "5 files: 4 parsed, 1 with warnings, 0 failed; 5 records written"
    compact = ["layouts", "aggregator", "4,", "russia-islamic-world", "1"]
    assert any(line.split() == compact for line in lines) == tables
    if tables:  # a small run: a few lines, not 70 of tables
        assert len(lines) <= 8, res.stderr


def test_the_bar_counts_files_per_second_and_labels_its_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from news_ingest import terminal
    from news_ingest.pipeline import FileResult

    monkeypatch.setattr(terminal, "PROGRESS_AFTER_SECONDS", -1.0)
    shown = io.StringIO()
    results = [FileResult(f"f{i}", records=[{"warnings": []}] * 3) for i in range(4)]
    list(terminal.with_progress(iter(results), lambda stop=None: 4,
                                Console(file=shown, force_terminal=True, width=120)))
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.getvalue())
    assert "4/4 files, " in text and " files/s, time left 0:00:00" in text
    assert "articles/s" not in text


def test_a_pipe_beside_a_terminal_gets_the_summary_line_only(tmp_path: Path) -> None:
    """The real thing: stderr a pseudo-terminal, stdout a pipe (as with `| jq`)."""
    leader, follower = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "news_ingest", str(SEEDS), "-j", "1"],
                          stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL,
                          timeout=60, check=False)
    os.close(follower)
    said = os.read(leader, 65536).decode("utf-8", "replace")
    os.close(leader)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 5
    assert said.strip() == "5 files: 4 parsed, 1 with warnings, 0 failed; 5 records written"


# --- 7. the README's examples after `make run` ------------------------------------------------


def test_make_run_needs_only_the_runtime_install_and_the_readme_says_how_to_run_ingest(
        tmp_path: Path) -> None:
    def plan(target: str) -> str:
        return subprocess.run(["make", "-n", target, f"VENV={tmp_path}/venv"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout

    run, test = plan("run"), plan("test")
    assert "pip install --quiet -e ." in run and "[dev]" not in run
    assert f"{tmp_path}/venv/bin/ingest seeds/ --out articles.jsonl" in run
    assert "pip install --quiet -e '.[dev]'" in test
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.splitlines()[3:5] == [
        "make run     # fresh machine: creates .venv, installs, ingests seeds/ -> articles.jsonl",
        "make test    # the same set-up, then ruff and the whole test suite"]
    assert "source .venv/bin/activate" in readme and ".venv/bin/ingest seeds/" in readme


# --- 8. the habits of jq, ripgrep and csvkit --------------------------------------------------


def ingest_process(*args: str, stdin: bytes | int | None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "news_ingest", *args, "-j", "1"],
                          input=stdin if isinstance(stdin, bytes) else None,
                          stdin=stdin if isinstance(stdin, int) else None,
                          capture_output=True, timeout=60, check=False)


def test_stdin_is_read_when_piped_and_no_input_is_named() -> None:
    seed = SEED_FILES[0].read_bytes()
    for data in (seed, gzip.compress(seed)):  # gzip is recognised by its first bytes
        done = ingest_process("--fields", "title", stdin=data)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["title"].startswith("موسكو تعلق على مقولة")
        assert done.stderr.decode() == "1 file: 1 parsed, 0 with warnings, 0 failed; 1 record " \
                                       "written\n"
    nothing = ingest_process(stdin=subprocess.DEVNULL)  # /dev/null is no pipe: not read
    assert nothing.returncode == 2 and b"no INPUTS given" in nothing.stderr


def test_files_from_reads_a_list_and_the_state_keeps_the_rest(dumps: Path) -> None:
    invoke("dumps", "--state", "s.db", "-o", "/dev/null")
    changed = dumps / "a" / SEED_FILES[0].name
    changed.write_bytes(changed.read_bytes() + b"\n")
    names = [str(changed.relative_to(dumps.parent)), f"dumps/b/{SEED_FILES[3].name}"]
    listed = invoke("--files-from", "-", "--state", "s.db", "--fields", "source_file",
                    stdin="\n".join(names).encode() + b"\n\n")
    assert state_line(listed) == "state: 0 new, 1 changed, 1 unchanged, 0 vanished"
    assert [r["source_file"] for r in jsonl(listed.stdout)] == names[:1]
    Path("list").write_bytes(b"\0".join(n.encode() for n in names))  # find -print0
    assert len(jsonl(invoke("--files-from", "list").stdout)) == 2
    empty = invoke("--files-from", "-", stdin=b"")
    assert empty.exit_code == 1
    assert empty.stderr == "error: --files-from -: lists no input; nothing was read, no file " \
                           "was touched\n"
    assert invoke("-", "--files-from", "-", stdin=b"x").exit_code == 2


def test_limit_stops_after_n_records(tmp_path: Path) -> None:
    res = invoke(SEEDS, "--limit", "2")
    assert [r["source_file"] for r in jsonl(res.stdout)] == [str(p) for p in SEED_FILES[:2]]
    assert res.stderr.splitlines() == [
        "2 files: 2 parsed, 0 with warnings, 0 failed; 2 records written",
        "stopped after 2 records (--limit): the inputs after them were not read"]
    refused = invoke(SEEDS, "--limit", "2", "--state", tmp_path / "s.db")
    assert refused.exit_code == 2 and "--limit does not go with --state" in refused.stderr


def test_fields_choose_the_keys_in_their_order(tmp_path: Path) -> None:
    res = invoke(SEEDS, "--fields", "title,id")
    first = json.loads(res.stdout.splitlines()[0])
    assert list(first) == ["title", "id"]
    table = invoke(SEEDS, "--fields", "id,tags", "-f", "csv").stdout
    assert table.splitlines()[0] == "id,tags"
    assert read_records(table, "csv")[0]["tags"] == ["دميتري بيسكوف", "وسائل الاعلام"]
    typo = invoke(SEEDS, "--fields", "id,titel")
    assert typo.exit_code == 2 and "--fields: unknown field 'titel'" in typo.stderr


@needs_pyarrow
def test_fields_in_parquet(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "o.parquet"
    assert invoke(SEEDS, "--fields", "id,tags", "-o", out).exit_code == 0
    assert pq.read_schema(out).names == ["id", "tags"]


def test_csv_bom_for_excel(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    assert invoke(SEEDS, "--csv-bom", "-o", out).exit_code == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,source_file,")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 6 and rows[0][0] == "id"
    assert len(read_records(data, "csv")) == 5
    assert invoke(SEEDS, "--csv-bom").exit_code == 2  # JSON Lines has no BOM to give


def test_counts_are_worded_in_the_singular_for_one() -> None:
    res = invoke(SEED_FILES[0])
    assert res.stderr == "1 file: 1 parsed, 0 with warnings, 0 failed; 1 record written\n"


# --- what an adversarial review of the options found --------------------------------------


def test_an_output_is_replaced_only_when_every_file_of_the_run_is_written(
        dumps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An errors file that cannot be written (a full disk) fails the run naming it, and
    leaves the old output and the state as they were."""
    import contextlib

    from news_ingest import runner

    errors = str(dumps.parent / "errors.jsonl")
    real = runner.open_output

    class FullDisk:
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    def open_output(path: str | None, **kwargs: object):
        if path == errors:
            return contextlib.nullcontext(FullDisk())
        return real(path, **kwargs)

    monkeypatch.setattr(runner, "open_output", open_output)
    out = dumps.parent / "out.jsonl"
    out.write_text("good\n", encoding="utf-8")
    (dumps / "a" / "empty.txt").write_bytes(b"")  # one failure: the errors file has a line
    res = invoke(dumps, "--state", "s.state", "--out", out, "--errors", errors)
    assert res.exit_code == 1
    assert res.stderr.splitlines()[-1] == (f"Error: cannot write {errors}: No space left on "
                                           "device")
    assert out.read_text(encoding="utf-8") == "good\n"
    assert sorted(p.name for p in dumps.parent.iterdir()) == ["dumps", "out.jsonl",
                                                              "s.state"]
    again = invoke(dumps, "--state", "s.state", "--out", out)
    assert state_line(again).startswith("state: 6 new,")  # nothing of the failed run kept


def test_dev_stdout_is_stdout(tmp_path: Path) -> None:
    """'/dev/stdout' is written as '-' is, so it is never a file to replace; beside the data
    on stdout, a side file there is a usage error."""
    res = invoke(SEED_FILES[0], "--out", "/dev/stdout")
    assert res.exit_code == 0 and len(jsonl(res.stdout)) == 1
    res = invoke(SEED_FILES[0], "--errors", "/dev/stdout")
    assert res.exit_code == 2
    assert "--out and --errors would both write to stdout" in res.stderr


def test_strict_given_twice_refuses_the_kinds_of_both(tmp_path: Path) -> None:
    assert invoke(SEEDS, "--strict=layout", "-q").exit_code == 0  # no layout warning
    for twice in (["--strict", "--strict=layout"], ["--strict=date", "--strict=layout"]):
        assert invoke(SEEDS, *twice, "-q").exit_code == 1, twice


@pytest.mark.parametrize("args,problem", [
    (["--timeout", "nan"], "Invalid value for '--timeout': not a number (nan)"),
    (["--near-dupes", "nan"], "Invalid value for '--near-dupes': not a number (nan)"),
    (["--fields", ""], "Invalid value for --fields: names no key (an empty variable?)"),
    (["--fields", ",,"], "Invalid value for --fields: names no key (an empty variable?)"),
])
def test_option_values_that_mean_nothing_are_usage_errors(args: list[str], problem: str) -> None:
    res = invoke(SEED_FILES[0], *args)
    assert res.exit_code == 2
    assert res.stderr.splitlines()[-1] == f"Error: {problem}"


def test_an_infinite_time_limit_is_no_limit() -> None:
    res = invoke(SEED_FILES[0], "--timeout", "inf")
    assert res.exit_code == 0 and len(jsonl(res.stdout)) == 1


def test_far_more_workers_than_cpus_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("news_ingest.cli.usable_cpus", lambda: 2)
    res = CliRunner().invoke(main, [str(SEED_FILES[0]), "-j", "9"], catch_exceptions=False)
    assert res.exit_code == 0
    assert res.stderr.splitlines()[0] == (
        "note: -j 9 asks for 9 worker processes on 2 CPUs: each holds its own memory, and "
        "more than the CPUs makes no run faster")
    assert "note:" not in invoke(SEED_FILES[0]).stderr
