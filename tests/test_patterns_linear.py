"""No packaged pattern can stall a run: each is fed its worst cases and must answer at once.

Python's ``re`` backtracks: a pattern with nested or adjacent repeats that can share characters
takes time growing as a power of the line's length, or exponentially ('^(a+)+$'). regexploit
finds such patterns statically (a user's layout with one is refused when loaded); here every
packaged pattern is also run on long lines built to make a backtracking pattern slow.
"""

from __future__ import annotations

import time

import pytest

from news_ingest.dates import find_dates, read_date
from news_ingest.layouts import LayoutSet, backtracking

LAYOUTS = list(LayoutSet.load())


def patterns() -> list[tuple[str, object]]:
    found = []
    for layout in LAYOUTS:
        regexes = [r for r, _ in layout.detect_rules] + [r for _, r, _ in layout.fields]
        for key in ("chrome", "boilerplate", "glued_labels", "related", "embeds", "end_markers"):
            regexes += [rule.regex for rule in getattr(layout, key)]
        regexes += layout.header_bylines + layout.bylines + layout.dateline_outlets
        regexes += [r for r in (layout.read_also_marker, layout.date_label, layout.update_label)
                    if r is not None]
        found += [(f"{layout.name}:{n}", regex) for n, regex in enumerate(regexes)]
    return found


PATTERNS = patterns()
# Heads that let a pattern start matching, and fillers it may try to split many ways.
HEADS = ["", "المصدر: ", "تاريخ النشر: 12 نوفمبر 2023 ", "— ", "date 2024-03-07 ", "Tags: ",
         "إقرأ أيضاً", "صور من الفيديو - ", "القاهرة - ", "By ", "Publié le ", "<DOC ", "<TITLE "]
FILLERS = [" ", "\x1c", "a", "ا", "1", "١", "-", ":", "/", ".", "(", "z.", "a ", "ا ", "1:",
           "—", "@", "|", "•", "'", "<DOC ", "<a "]
LENGTH = 3000


def test_every_packaged_pattern_is_free_of_unbounded_backtracking() -> None:
    assert len(PATTERNS) > 80
    bad = {name: backtracking(regex.pattern) for name, regex in PATTERNS}
    assert {name: why for name, why in bad.items() if why} == {}


def _run(regex, line: str) -> float:
    start = time.perf_counter()
    regex.match(line)
    regex.search(line)
    return time.perf_counter() - start


@pytest.mark.parametrize("name,regex", PATTERNS, ids=[name for name, _ in PATTERNS])
def test_packaged_pattern_answers_at_once_on_its_worst_lines(name: str, regex) -> None:
    """Every (head, filler) line of 3,000 characters, then the three slowest again at ten
    times the length: a linear pattern takes about ten times as long, a quadratic one a
    hundred times (which a fixed bound on short lines would not see)."""
    timings = []
    for head in HEADS:
        for filler in FILLERS:
            timings.append((_run(regex, head + filler * (LENGTH // len(filler))), head, filler))
    total = sum(t for t, _, _ in timings)
    assert total < 1.5, name  # 572 lines of 3,000 characters: milliseconds when linear
    for short, head, filler in sorted(timings, reverse=True)[:3]:
        # best of three: one run can be held up by the machine, not by the pattern
        long = min(_run(regex, head + filler * (10 * LENGTH // len(filler))) for _ in range(3))
        assert long < 30 * short + 0.005, (name, head, filler, short, long)


def test_the_date_reader_answers_at_once_on_its_worst_lines() -> None:
    start = time.perf_counter()
    for head in HEADS:
        for filler in FILLERS:
            line = head + filler * (LENGTH // len(filler))
            read_date(line[:256])  # the longest line read_date looks at
            find_dates(line)
    assert time.perf_counter() - start < 3.0
    # the line that hung a run: a date line followed by forty 'z.' (Zulu time: still a date)
    start = time.perf_counter()
    assert read_date("تاريخ النشر: 12 نوفمبر 2023 " + "z." * 40).iso() == "2023-11-12"
    assert read_date("تاريخ النشر: 12 نوفمبر 2023 " + "z." * 40 + "!") is None
    assert time.perf_counter() - start < 0.1
