"""docs/ci.md as an executable scenario: the job's command, taken from the doc's workflow, run
on the dumps of its worked example, prints what each example block shows, exits with the status
it shows, and leaves the outputs, the state and the errors file the doc says."""

from __future__ import annotations

import gzip
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from news_ingest.cli import main

from .conftest import ROOT, SEEDS

DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
SEED_FILES = sorted(SEEDS.glob("*.txt"))
#: What the doc's workflow runs; the date in the output's name is `<time>` in its examples.
DATE = re.compile(r"\$\(date [^)]*\)")


def workflow() -> dict:
    (block,) = re.findall(r"```yaml\n(.*?)```", DOC, re.S)
    return yaml.safe_load(block)


def job_command() -> list[str]:
    """The `ingest` command of the workflow's ingest step, as argv."""
    steps = workflow()["jobs"]["ingest"]["steps"]
    (script,) = [step["run"] for step in steps if step.get("id") == "ingest"]
    command = script.replace("\\\n", " ")
    (line,) = [line for line in command.splitlines() if line.strip().startswith("ingest ")]
    return shlex.split(line)


def examples() -> list[tuple[list[str], list[str], int]]:
    """Each worked-example block: its roots, the stderr lines it shows, its exit status."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", DOC, re.S):
        lines = block.splitlines()
        command, *said, status = lines
        assert command.startswith("$ ingest ") and command.endswith(" …"), command
        assert status.startswith("exit status "), status
        found.append((command[len("$ ingest "):-2].split(), said, int(status.split()[-1])))
    return found


def build_first_dump(dump: Path) -> None:
    """Five pages of one site, three of them with its trending tags in other orders."""
    dump.mkdir(parents=True)
    for n, seed in enumerate(SEED_FILES[:3], 1):
        shutil.copy(seed, dump / f"page-{n}.txt")
    lines = SEED_FILES[1].read_text(encoding="utf-8").split("\n")
    trending = ["التغير المناخي", "محاكمة ترامب", "أحداث السودان", "سلطان النيادي", "مانشستر سيتي"]
    others = ((4, [2, 0, 4, 1, 3], "أوكرانيا الناتو"), (5, [4, 3, 0, 2, 1], "الصين الهند"))
    for n, order, own in others:
        page = list(lines)
        page[0] = f"{lines[0]} ({n})"
        page[14] = "كلمات دلالية: " + " ".join([trending[i] for i in order] + [own])
        (dump / f"page-{n}.txt").write_text("\n".join(page), encoding="utf-8")


def build_second_dump(dumps: Path) -> None:
    """Two new pages (one whose year is inferred), and a page of the first dump corrected."""
    dump = dumps / "2024-06-08"
    dump.mkdir()
    shutil.copy(SEED_FILES[3], dump / "page-6.txt")
    shutil.copy(SEED_FILES[4], dump / "page-7.txt")
    corrected = dumps / "2024-06-01" / "page-3.txt"
    lines = corrected.read_text(encoding="utf-8").split("\n")
    lines.insert(3, "وأضاف بيسكوف أن موسكو ستواصل اتصالاتها مع باكو ويريفان في الأيام المقبلة.")
    corrected.write_text("\n".join(lines), encoding="utf-8")


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def problems() -> list[dict]:
    return [json.loads(line) for line in Path("out/problems.jsonl").read_text("utf-8").splitlines()]


def test_the_workflow_keeps_its_state_and_lexicon_whatever_the_gate_says() -> None:
    """The state and the lexicon are restored, and saved under a new key even when the job
    fails; one run at a time; news-ingest installed from a source that exists."""
    flow = workflow()
    command = job_command()
    state, lexicon = (command[command.index(flag) + 1] for flag in ("--state", "--tag-lexicon"))
    steps = flow["jobs"]["ingest"]["steps"]
    caches = {step["uses"].split("@")[0]: step for step in steps
              if step.get("uses", "").startswith("actions/cache")}
    assert sorted(caches) == ["actions/cache/restore", "actions/cache/save"]
    assert flow["concurrency"]
    restore, save = caches["actions/cache/restore"], caches["actions/cache/save"]
    assert save["if"] == "always()"
    for step in (restore, save):
        paths = step["with"]["path"].split()
        assert f"{state}*" in paths and lexicon in paths  # the state's journal goes along
        assert "${{ github.run_id }}" in step["with"]["key"]
    assert restore["with"]["restore-keys"] == save["with"]["key"].split("$")[0]
    installs = [step["run"] for step in steps if "pip install" in step.get("run", "")]
    assert installs == ['pip install "$NEWS_INGEST"']
    assert flow["jobs"]["ingest"]["env"]["NEWS_INGEST"].startswith("git+https://")
    assert command[:2] == ["ingest", "dumps/"] and "--skip-empty" in command


def test_the_worked_example_runs_as_the_doc_says(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    build_first_dump(Path("dumps/2024-06-01"))
    Path("out").mkdir()
    options = job_command()[2:]
    runs = examples()
    assert [roots for roots, _, _ in runs] == [["dumps/"]] * 3 + [["dumsp/"]]
    state = Path("corpus.state")

    def run(number: int, roots: list[str], said: list[str], status: int) -> Path:
        out = Path(f"out/articles-T{number}.jsonl.gz")
        argv = [*roots, *(DATE.sub(f"T{number}", arg) for arg in options), "-j", "1"]
        result = CliRunner().invoke(main, argv, catch_exceptions=False)
        assert result.stderr.replace(f"T{number}", "<time>").splitlines() == said
        assert result.exit_code == status
        return out

    first = run(1, *runs[0])
    assert [r["source_file"] for r in records(first)] == [
        f"dumps/2024-06-01/page-{n}.txt" for n in range(1, 6)]
    assert problems() == []
    # the lexicon learnt from the first dump splits the trending tags of its pages
    assert "محاكمة ترامب" in records(first)[3]["tags"]

    build_second_dump(Path("dumps"))
    second = run(2, *runs[1])
    assert [r["source_file"] for r in records(second)] == [
        "dumps/2024-06-01/page-3.txt", "dumps/2024-06-08/page-6.txt",
        "dumps/2024-06-08/page-7.txt"]
    (refused,) = problems()
    assert (refused["source_file"], refused["stage"]) == ("dumps/2024-06-08/page-7.txt", "strict")
    assert refused["reason"].startswith("record has warnings: date: year 2024 inferred")

    third = run(3, *runs[2])
    assert not third.exists()  # --skip-empty: nothing new, no file
    assert [p["stage"] for p in problems()] == ["strict"]
    stats = json.loads(Path("out/stats.json").read_text("utf-8"))
    assert stats["state"] == {"new": 0, "changed": 0, "unchanged": 6, "vanished": 0,
                              "retried": 1, "failed": 0, "with_warnings": 1}

    before = state.read_bytes()
    typo = run(4, *runs[3])
    assert not typo.exists() and state.read_bytes() == before
    assert problems() == [{"source_file": "dumsp/", "stage": "read",
                           "reason": "no such file or folder", "line": None}]

    # "An existing folder that holds no input says so instead, with the same consequences."
    (said,) = re.findall(r"\(`(error: dumps/[^`]*no input found[^`]*)`\)", DOC)
    Path("dumps/2024-06-15").mkdir()
    empty = CliRunner().invoke(main, ["dumps/2024-06-15/", *options, "-j", "1"])
    assert empty.exit_code == 1 and said in empty.stderr.splitlines()
    assert state.read_bytes() == before


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_the_stats_snippet_reads_the_stats_file(tmp_path: Path) -> None:
    (snippet,) = re.findall(r"```\n(jq -r .*?)\n```", DOC, re.S)
    stats = tmp_path / "stats.json"
    CliRunner().invoke(main, [str(SEEDS), "--stats", str(stats), "-o", "/dev/null", "-j", "1"])
    done = subprocess.run(snippet.replace("out/stats.json", str(stats)), shell=True,
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[:2] == ["records: 5", "missing dates: 0%"]
