"""Ingest the whole ANT corpus in place (read from its .tar.gz, not unpacked) and check that
every article gives a record with a title, a date, an outlet and a non-empty body.

Run: ``make corpus`` (or ``python scripts/ant_corpus.py [ARCHIVE] [--jobs N]``).

ANT Corpus v2.1: A. Chouigui, O. Ben Khiroun, B. Elayeb, "An Arabic Multi-source News Corpus:
Experimenting on Single-document Extractive Summarization", Arabian Journal for Science and
Engineering 46(8), 2021; antcorpus.github.io.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

from news_ingest.executors import run
from news_ingest.pipeline import Config

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT.parent / "shared" / "corpora" / "ant-multisource.tar.gz"
CITATION = ("ANT Corpus v2.1 (Chouigui, Ben Khiroun, Elayeb, 'An Arabic Multi-source News Corpus: "
            "Experimenting on Single-document Extractive Summarization', Arabian Journal for "
            "Science and Engineering 46(8), 2021; antcorpus.github.io)")
REQUIRED = ("title", "date", "outlet", "body")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", nargs="?", default=str(ARCHIVE))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if not os.path.exists(args.archive):
        print(f"no corpus at {args.archive}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    files = records = 0
    missing: Counter[str] = Counter()
    problems = []
    for result in run([args.archive], Config(), jobs=args.jobs):
        files += 1
        records += len(result.records)
        problems.extend(result.problems)
        for record in result.records:
            missing.update(key for key in REQUIRED if not record[key])
    seconds = time.perf_counter() - start
    print(f"{files:,} files, {records:,} records in {seconds:.1f} s ({args.jobs} jobs)")
    for key in REQUIRED:
        print(f"  records without {key}: {missing[key]}")
    for problem in problems:
        print(f"  failed: {problem.message()}")
    print(f"Figures measured on the {CITATION}.")
    return 0 if not missing and records + len(problems) == files else 1


if __name__ == "__main__":
    sys.exit(main())
