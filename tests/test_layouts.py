"""Layouts are data: validation of user files, detection, several articles per file, docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from news_ingest.cli import main
from news_ingest.errors import DetectError, LayoutError
from news_ingest.layouts import LAYOUT_SCHEMA, LayoutSet, load_layout_file, packaged_layouts
from news_ingest.pipeline import Config, Context, process
from news_ingest.sources import Source

from .conftest import GOLDEN, ROOT, SEEDS

DOCS = ROOT / "docs" / "layouts.md"
MINIMAL = "name: mine\nkind: lines\ndetect:\n  rules:\n    - {pattern: '^X:'}\n"


def invoke(args: list[str]):
    return CliRunner().invoke(main, [*args, "-j", "1"], catch_exceptions=False)


@pytest.mark.parametrize("body,message", [
    ("name: Bad Name\nkind: lines\ndetect: {rules: [{pattern: x}]}\n",
     "key 'name': 'Bad Name' does not match"),
    ("name: a\nkind: lines\n", "key '(top level)': 'detect' is a required property"),
    ("name: a\nkind: lines\ndetect: {rules: [{pattern: x, weight: high}]}\n",
     "key 'detect.rules.0.weight': 'high' is not of type 'number'"),
    (MINIMAL + "fields:\n  date: {pattern: '^Date: (.*)$'}\n",
     "key 'fields.date.pattern': expected a named group (?P<value>...)"),
    (MINIMAL + "fields:\n  date: {pattern: '^Date: (?P<value>.*$'}\n",
     "key 'fields.date.pattern': expected a valid regular expression"),
    (MINIMAL + "fields:\n  headline: {pattern: '(?P<value>.*)'}\n",
     "key 'fields': 'headline' is not one of"),
    (MINIMAL + "boilerplat:\n  - {name: x, pattern: y}\n",
     "Additional properties are not allowed ('boilerplat' was unexpected)"),
    ("name: a\nkind: tagged\ndetect: {rules: [{pattern: x}]}\n",
     "'document' is a required property"),
    ("name: [unclosed\n", "not valid YAML at line 2"),
    (MINIMAL + "document: DOC\n", "key 'document': not used by kind 'lines' layouts"),
    (MINIMAL + "fields:\n  body: {pattern: '^B: (?P<value>.*)$'}\n",
     "key 'fields.body': a lines layout's body is every line no rule claims"),
    (MINIMAL + "embeds:\n  - {kind: x, pattern: 'a*'}\n",
     "key 'embeds.0.pattern': expected a pattern that cannot match empty text"),
    ("!!python/object/apply:os.system ['echo pwned']\n", "not valid YAML"),
    (MINIMAL + "chrome:\n  - {name: x, pattern: '^(a+)+$'}\n",
     "key 'chrome.0.pattern': the pattern can backtrack without bound (exponential"),
    (MINIMAL + "fields:\n  source: {pattern: '^S:(?P<value>(\\w+\\s?)*)$'}\n",
     "key 'fields.source.pattern': the pattern can backtrack without bound"),
    ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n" + MINIMAL,
     "YAML aliases (*name) are not allowed in a layout file"),
])
def test_malformed_layout_names_file_key_and_expectation(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "my-layout.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(LayoutError) as info:
        load_layout_file(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)
    # and through the CLI: exit 2 before any input is read
    result = invoke([str(SEEDS), "--layouts", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_user_layouts_listed_with_their_origin() -> None:
    result = invoke(["--layouts", str(GOLDEN / "layouts"), "--list-layouts"])
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    origins = {row[0]: row[2] for row in rows}
    assert origins["wadi-gazette"] == str(GOLDEN / "layouts" / "wadi-gazette.yaml")
    assert origins["aggregator"] == "packaged:aggregator.yaml"


def test_detection_reports_no_match_and_ties(tmp_path: Path) -> None:
    layouts = LayoutSet.load()
    assert layouts.detect(["just some words", "and more"]).name == "generic"  # the fallback
    without_fallback = LayoutSet(layout for layout in layouts if not layout.fallback)
    with pytest.raises(DetectError, match="matches no layout"):
        without_fallback.detect(["just some words", "and more"])
    twin = tmp_path / "twin.yaml"
    twin.write_text((ROOT / "src/news_ingest/layouts/aggregator.yaml").read_text(
        encoding="utf-8").replace("name: aggregator", "name: aggregator-twin"), encoding="utf-8")
    with pytest.raises(DetectError, match=r"several layouts equally \(aggregator, aggregator-twin"):
        LayoutSet.load([twin]).detect(["عنوان", "تاريخ النشر: 1st, May 2024 GMT", "نص."])
    # --layout settles a tie
    result = invoke([str(sorted(SEEDS.glob("*.txt"))[0]), "--layouts", str(twin),
                     "--layout", "aggregator-twin"])
    assert result.exit_code == 0 and '"layout":"aggregator-twin"' in result.stdout


def test_several_documents_per_file_each_named_and_bad_ones_reported(tmp_path: Path) -> None:
    text = (GOLDEN / "trec" / "gigaword-multi.txt").read_text(encoding="utf-8")
    text += '<DOC id="broken"><HEADLINE>بلا نص</HEADLINE><TEXT>\n</TEXT></DOC>\n'
    result = process(Source("multi.txt", data=text.encode()), Context(Config()))
    assert [r["source_file"] for r in result.records] == ["multi.txt#1", "multi.txt#2",
                                                          "multi.txt#3"]
    assert [r["doc_id"] for r in result.records] == [
        "AFP_ARB_20010104.0001", "AFP_ARB_20010104.0002", "AFP_ARB_20010104.0003"]
    (problem,) = result.problems
    assert (problem.source_file, problem.reason) == ("multi.txt#4", "document 4 has no body text")
    assert problem.line == 36


def test_engine_names_no_outlet_or_layout() -> None:
    """Layout knowledge lives in YAML: the engine and the loader name no outlet and no layout."""
    names = [layout.name for layout in packaged_layouts()]
    # ('lines' and 'tagged' are engine kinds, not layouts: the engine may name those.)
    words = ["aggregator", "russia", "islamic", "ant", "bbc", "cnn", "alarabiya", "gigaword",
             "المصدر", "كلمات", "اقرأ", "إقرأ", "تاريخ", "الصورة", *names]
    for module in ("parse.py", "lines.py", "headline.py", "tagged.py", "layouts/__init__.py",
                   "normalise.py"):
        code = (ROOT / "src/news_ingest" / module).read_text(encoding="utf-8")
        code = re.sub(r'""".*?"""', "", code, flags=re.S)  # docstrings may give examples
        code = "\n".join(line.split("#", 1)[0] for line in code.splitlines())
        for word in words:
            assert not re.search(rf"\b{re.escape(word)}\b", code, re.I), (module, word)


def test_every_packaged_layout_and_schema_key_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for layout in packaged_layouts():
        assert re.search(rf"^## Worked example \d+: `{layout.name}`", docs, re.M), layout.name
        assert list((GOLDEN / layout.name).glob("*.json")), layout.name
    for key in LAYOUT_SCHEMA["properties"]:
        assert f"`{key}" in docs, key


def test_layout_written_from_the_docs_parses_its_sample() -> None:
    """docs/layouts.md worked example 4, copied into a user layout file, parses the sample
    shown there (the golden file pins the full record)."""
    docs = DOCS.read_text(encoding="utf-8")
    example = docs[docs.index("## Worked example 4"):]
    yaml_block = re.search(r"```yaml\n(.*?)```", example, re.S).group(1)
    sample = re.search(r"```\n(.*?)```", example, re.S).group(1)
    user_file = (GOLDEN / "layouts" / "wadi-gazette.yaml").read_text(encoding="utf-8")
    assert yaml_block.strip() in user_file
    assert sample == (GOLDEN / "wadi-gazette" / "sample-1.txt").read_text(encoding="utf-8")
    ctx = Context(Config(layout_paths=(str(GOLDEN / "layouts"),)))
    (rec,) = process(Source("s.txt", data=sample.encode()), ctx).records
    assert (rec["layout"], rec["title"], rec["date"], rec["author"]) == (
        "wadi-gazette", "افتتاح سد جديد في الوادي", "2025-01-03", "سمير بن علي")
    assert rec["tags"] == ["سدود", "فلاحة", "الوادي"]
    assert "شارك" not in rec["body"] and "غازيت" not in rec["body"]


def test_ant_samples_give_title_date_outlet_and_body() -> None:
    """A handful of real ANT files (one per source); `make corpus` runs all 31,525."""
    samples = sorted((GOLDEN / "trec").glob("ant-*.txt"))
    assert len(samples) == 5
    ctx = Context(Config())
    for path in samples:
        (rec,) = process(Source(path.name, path=str(path)), ctx).records
        assert rec["layout"] == "trec"
        assert all(rec[key] for key in ("title", "date", "outlet", "body", "doc_id", "url")), path
        assert rec["doc_id"] == path.stem.removeprefix("ant-")
        assert rec["date"] == f"{rec['doc_id'][-8:-4]}-{rec['doc_id'][-4:-2]}-{rec['doc_id'][-2:]}"


def test_ant_file_with_empty_text_is_a_named_failure() -> None:
    """Two ANT files have empty <TEXT> and <ABSTRACT>: no record is made up for them."""
    path = ROOT / "tests/data/ant/FR-sport-214-20180629.txt"
    result = process(Source(str(path), path=str(path)), Context(Config()))
    assert result.records == []
    (problem,) = result.problems
    assert (problem.stage, problem.reason, problem.line) == ("parse", "has no body text", 1)


def test_unclosed_document_does_not_swallow_the_next() -> None:
    text = ("<DOC>\n<DOCNO>A</DOCNO>\n<TITLE>t1</TITLE>\n<TEXT>\nbody one.\n"
            "<DOC>\n<DOCNO>B</DOCNO>\n<TITLE>t2</TITLE>\n<TEXT>\nbody two.\n</TEXT>\n</DOC>\n")
    result = process(Source("cut.txt", data=text.encode()), Context(Config()))
    assert [(r["doc_id"], r["title"], r["body"]) for r in result.records] == [
        ("A", "t1", "body one."), ("B", "t2", "body two.")]
    assert any("no closing tag for <DOC>" in w for w in result.records[0]["warnings"])
    assert result.problems == []


def test_a_bug_costs_one_input_not_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import news_ingest.pipeline as pipeline

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(pipeline, "normalise", broken)
    seed = sorted(SEEDS.glob("*.txt"))[0]
    result = process(Source("x.txt", path=str(seed)), Context(Config()))
    (problem,) = result.problems
    assert problem.stage == "internal"
    assert problem.reason.startswith("internal error (KeyError: 'boom')")


def test_headline_missing_is_null_with_a_warning_not_replaced_by_another_line() -> None:
    seed = sorted(SEEDS.glob("*.txt"))[0]
    lines = seed.read_text(encoding="utf-8").splitlines()
    (whole,) = process(Source("x.txt", path=str(seed)), Context(Config())).records
    result = process(Source("x.txt", data="\n".join(lines[1:]).encode()), Context(Config()))
    (rec,) = result.records
    assert rec["title"] is None and "title: no headline found" in rec["warnings"]
    assert (rec["date"], rec["body"], rec["outlet"]) == (whole["date"], whole["body"],
                                                          whole["outlet"])
    assert rec["id"] != whole["id"]


def test_packaged_layouts_validate_against_the_schema() -> None:
    # Runs skip validating the packaged layouts (jsonschema costs ~40 ms of start-up): this is
    # where they are validated.
    import yaml

    from news_ingest.layouts import layout_validator

    files = sorted((ROOT / "src/news_ingest/layouts").glob("*.yaml"))
    assert len(files) == len(packaged_layouts()) >= 3
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert [e.message for e in layout_validator().iter_errors(data)] == [], path.name


def test_a_run_without_user_layouts_does_not_import_jsonschema() -> None:
    import subprocess
    import sys

    script = ("import sys; from news_ingest.layouts import LayoutSet; LayoutSet.load(); "
              "print('jsonschema' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
