"""Where one file's time goes: each stage of ``ingest`` timed on its own, in one process.

Reads the first N files of DIR (sorted, recursive ``*.txt``, as the floor and ``ingest`` walk),
then runs every stage over all of them before the next stage (warm caches, no profiler overhead),
and prints microseconds per file for each stage beside the floor's own steps (read, decode,
one ``json.dumps`` of ``{"path", "text"}``) and the budget the issue's targets leave: ``ingest
--jobs 1`` at 1.5x the floor. Normalise is broken down further (tags, dates, read-also items).

This is what the profile (``profile_ingest.py``) cannot give: per-stage costs without cProfile's
per-call overhead, which inflates the many small calls of the parser several-fold.

Run:
    python benchmarks/stages.py /tmp/news-ingest-bench/syn-10000-seed0 [--files 5000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from floor import walk

from news_ingest import normalise as norm
from news_ingest.dates import DateReader
from news_ingest.export import encode_record
from news_ingest.layouts import LayoutSet
from news_ingest.parse import detection_sample, parse_lines, prepare_lines
from news_ingest.tags import split_tags
from news_ingest.text import clean_line


def measure(folder: str, files: int) -> list[tuple[str, float]]:
    """(stage, microseconds per file) for the first ``files`` files of ``folder``."""
    paths = list(walk(folder))[:files]
    if not paths:
        raise SystemExit(f"stages.py: no *.txt files under {folder}")
    n = len(paths)
    rows: list[tuple[str, float]] = []

    def timed(label: str, fn: Callable[[], Any]) -> Any:
        # Every stage's results stay alive here, unlike in a streaming run: without this, the
        # cyclic GC would walk that growing heap and bill it to whichever stage runs last.
        gc.collect()
        gc.disable()
        try:
            started = time.perf_counter()
            result = fn()
        finally:
            gc.enable()
        rows.append((label, (time.perf_counter() - started) * 1e6 / n))
        return result

    def read(path: str) -> bytes:
        with open(path, "rb") as fh:
            return fh.read()

    [read(p) for p in paths]  # warm the page cache: the floor and ingest both run warm
    datas = timed("floor: read", lambda: [read(p) for p in paths])
    texts = timed("floor: decode", lambda: [d.decode("utf-8") for d in datas])
    timed("floor: json.dumps", lambda: [
        json.dumps({"path": p, "text": t}, ensure_ascii=False)
        for p, t in zip(paths, texts, strict=True)])
    layouts = LayoutSet.load(())
    lines = timed("clean lines", lambda: [prepare_lines(t) for t in texts])
    chosen = timed("detect layout", lambda: [layouts.detect(detection_sample(ls)) for ls in lines])
    raws = timed("parse (layout rules)", lambda: [
        parse_lines(ls, lay)[0] for ls, lay in zip(lines, chosen, strict=True)])
    records = timed("normalise (all)", lambda: [
        norm.normalise(r, p).to_dict() for r, p in zip(raws, paths, strict=True)])
    titles = [clean_line(r.title or "") for r in raws]
    paragraphs = [norm._paragraphs(r.paragraphs) for r in raws]
    timed("  of which: tags", lambda: [
        split_tags(r.first("tags"), [t, *ps])
        for r, t, ps in zip(raws, titles, paragraphs, strict=True) if r.first("tags")])
    timed("  of which: date", lambda: [
        norm.normalise_date(r.first("date") or None, [t, *ps], [])
        for r, t, ps in zip(raws, titles, paragraphs, strict=True)])
    timed("  of which: read-also items", lambda: [
        [norm._item(i, DateReader.packaged()) for i in r.read_also] for r in raws])
    timed("encode record (jsonl)", lambda: [encode_record("jsonl", r, False) for r in records])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--files", type=int, default=5000, help="files to time (default 5000)")
    args = parser.parse_args(argv)
    rows = measure(args.folder, args.files)
    floor = sum(us for label, us in rows if label.startswith("floor: "))
    ingest = sum(us for label, us in rows if label.startswith("floor: read")
                 or label.startswith("floor: decode")
                 or not (label.startswith("floor") or label.startswith("  ")))
    print(f"{'stage':32} {'us/file':>9}")
    for label, us in rows:
        print(f"{label:32} {us:9.1f}")
    print(f"{'floor (read+decode+dumps)':32} {floor:9.1f}")
    print(f"{'ingest (read+decode+stages)':32} {ingest:9.1f}   {ingest / floor:.1f}x the floor")
    print(f"{'budget for --jobs 1 (1.5x)':32} {1.5 * floor:9.1f}   "
          f"{1.5 * floor - sum(us for label, us in rows[:2]):.1f} us left after read+decode")
    return 0


if __name__ == "__main__":
    sys.exit(main())
