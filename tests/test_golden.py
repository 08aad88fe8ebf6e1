"""Golden files: each input under tests/golden/<layout>/ beside the expected records (.json).

The expected files were checked by hand, line by line. Regenerate them only with
``make golden`` (pytest --update-golden) and read the diff before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from news_ingest.pipeline import Config, Context, process
from news_ingest.schema import record_schema
from news_ingest.sources import Source

from .conftest import GOLDEN

CASES = sorted(p for p in GOLDEN.rglob("*") if p.suffix in (".txt", ".xml", ".sgml"))
LAYOUTS_DIR = GOLDEN / "layouts"


def run_case(path: Path) -> list[dict]:
    extra = (str(LAYOUTS_DIR),) if LAYOUTS_DIR.is_dir() else ()
    ctx = Context(Config(layout_paths=extra))
    name = path.relative_to(GOLDEN).as_posix()
    result = process(Source(name, path=str(path)), ctx)
    assert not result.problems, [p.message() for p in result.problems]
    return result.records


@pytest.mark.parametrize("path", CASES, ids=[p.relative_to(GOLDEN).as_posix() for p in CASES])
def test_golden(path: Path, update_golden: bool) -> None:
    records = run_case(path)
    expected_path = path.with_suffix(".json")
    if update_golden:
        expected_path.write_text(
            json.dumps(records, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert expected_path.exists(), f"no expected file {expected_path.name}: run make golden"
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert records == expected


@pytest.mark.parametrize("path", CASES, ids=[p.relative_to(GOLDEN).as_posix() for p in CASES])
def test_golden_records_validate(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(record_schema())
    for record in run_case(path):
        errors = [e.message for e in validator.iter_errors(record)]
        assert errors == []


def test_every_packaged_layout_has_a_golden_case() -> None:
    from news_ingest.layouts import packaged_layouts

    for layout in packaged_layouts():
        folder = GOLDEN / layout.name
        assert folder.is_dir() and any(folder.glob("*.json")), layout.name
