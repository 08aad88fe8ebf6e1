"""Profile one in-process ``ingest --jobs 1`` run with cProfile and print where time goes.

Runs ``news_ingest.cli.main`` in this process (``--jobs 1``, so every parse is profiled), writes
the raw profile to PROF (default /tmp/news-ingest-bench/ingest.prof, readable with
``python -m pstats``) and prints the top functions by cumulative and by total (own) time.

Run:
    python benchmarks/profile_ingest.py /tmp/news-ingest-bench/syn-10000-seed0 [--top 15]
        [--prof /tmp/news-ingest-bench/ingest.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time


def profile(folder: str, prof_path: str, out_path: str) -> tuple[float, int | str | None]:
    """Profile ``ingest FOLDER --out OUT --jobs 1``: (wall seconds, exit code)."""
    from news_ingest.cli import main

    sys.argv = ["ingest", folder, "--out", out_path, "--jobs", "1", "--no-progress", "-q"]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    code: int | str | None = 0
    profiler.enable()
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    finally:
        profiler.disable()
    seconds = time.perf_counter() - started
    profiler.dump_stats(prof_path)
    return seconds, code


def top(prof_path: str, sort: str, limit: int) -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(prof_path, stream=buffer)
    stats.sort_stats(sort).print_stats(limit)
    text = buffer.getvalue()
    start = text.find("   ncalls")  # drop the preamble, keep the table
    return text[start:] if start >= 0 else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", help="corpus folder")
    parser.add_argument("--top", type=int, default=15, help="functions per list (default 15)")
    parser.add_argument("--prof", default="/tmp/news-ingest-bench/ingest.prof",
                        help="where to write the raw profile")
    args = parser.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.prof)), exist_ok=True)
    out = os.path.join(os.path.dirname(os.path.abspath(args.prof)), "profile-out.jsonl")
    seconds, code = profile(args.folder, args.prof, out)
    if os.path.exists(out):
        os.unlink(out)
    print(f"ingest {args.folder} --jobs 1 under cProfile: {seconds:.2f} s, exit code {code}; "
          f"profile in {args.prof}\n")
    print(f"Top {args.top} by cumulative time:\n")
    print(top(args.prof, "cumulative", args.top))
    print(f"Top {args.top} by total (own) time:\n")
    print(top(args.prof, "tottime", args.top))
    return 0 if code in (0, None) else 1


if __name__ == "__main__":
    sys.exit(main())
