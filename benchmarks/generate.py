"""Deterministic synthetic corpus in the "aggregator" layout, built from the repo's seeds.

Seeds 000-003 (``seeds/``) are cut into parts (titles, body paragraphs, source lines, keyword
lines, "read also" blocks) and recombined into N varied, realistic article files:

* titles drawn from the seeds' titles, read-also titles and inline related headlines, some
  recombined as ``speaker: clause`` (``الكرملين: …`` with another headline's clause);
* header dates ``تاريخ النشر: 12th, November 2023 GMT`` with varied day, month and year;
* 3-9 body paragraphs sampled from all four seeds, in shuffled order (a pasted tweet and its
  signature line, or an inline ``اقرأ أيضاً`` link and its headlines, stay together);
* numbers in the text varied (years stay years, small numbers stay valid days of month);
* one or two ``المصدر:`` lines; a ``كلمات دلالية:`` line joined from one or two seeds' keyword
  lines, sometimes behind the site's trending-tags prefix that seed 001 carries;
* usually one (sometimes two, sometimes no) appended ``إقرأ أيضاً:`` articles.

Files are spread over nested folders, 100 files per folder:
``OUTDIR/00/00/000000_<16 hex>.txt`` … ``OUTDIR/02/99/029999_<16 hex>.txt``.

Output is byte-identical for the same N, seed and seeds/ content. Each file ``i`` depends only
on (seed, i), so the first 10,000 files of a 30,000-file corpus equal a 10,000-file corpus.

Run:
    python benchmarks/generate.py 10000 /tmp/news-ingest-bench/syn-10000 [--seed 0]
Import:
    from generate import generate; generate(10000, "/tmp/corpus", seed=0)
"""

from __future__ import annotations

import argparse
import calendar
import os
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
#: The seeds in the aggregator layout (the file-name prefixes in seeds/).
AGGREGATOR_SEEDS = ("000", "001", "002", "003")
FILES_PER_FOLDER = 100

_DATE_LABEL = "تاريخ النشر:"
_SOURCE = re.compile(r"^المصدر\s*:\s*(?P<value>.+)$")
_TAGS = re.compile(r"^كلمات دلالية\s*:\s*(?P<value>.*)$")
_READ_ALSO = re.compile(r"^[إا]قرأ\s*[أا]يض[اً]+ً?\s*:\s*$")
_INLINE_RELATED = re.compile(r"^[إا]قرأ\s*[أا]يض[اً]+ً?(?!\s*:\s*$)\s*:?\s*(?P<rest>.*)$")
_END_PUNCTUATION = ".!?؟…:؛"
#: Seed 001's keyword line starts with the site's trending tags, prepended to every article.
TRENDING_PREFIX = ("التغير المناخي محاكمة ترامب أحداث السودان سلطان النيادي مانشستر سيتي "
                   "غزة وإسرائيل الحرب الأوكرانية عام الاستدامة")
_ORDINAL = {1: "st", 2: "nd", 3: "rd"}


@dataclass
class Parts:
    """What the seeds offer to recombine."""

    titles: list[str] = field(default_factory=list)
    paragraphs: list[list[str]] = field(default_factory=list)  # units of one or more lines
    sources: list[str] = field(default_factory=list)
    tag_lines: list[str] = field(default_factory=list)  # without the trending prefix
    read_also: list[list[str]] = field(default_factory=list)  # title, header lines, paragraphs


def _headline_like(line: str, max_words: int = 24) -> bool:
    stripped = line.rstrip("\"'”’»)]}› ")
    return bool(stripped) and stripped[-1] not in _END_PUNCTUATION and (
        len(line.split()) <= max_words)


def _units(lines: list[str]) -> list[list[str]]:
    """Body lines grouped into units that must stay together when shuffled."""
    units: list[list[str]] = []
    i = 0
    while i < len(lines):
        unit = [lines[i]]
        i += 1
        if "https://t.co/" in unit[0] and i < len(lines):  # tweet text + signature line
            unit.append(lines[i])
            i += 1
        elif _INLINE_RELATED.match(unit[0]):  # inline link + the headlines under it
            while i < len(lines) and _headline_like(lines[i]):
                unit.append(lines[i])
                i += 1
        units.append(unit)
    return units


def load_parts(seeds_dir: Path = SEEDS_DIR) -> Parts:
    """Cut seeds 000-003 into recombinable parts."""
    parts = Parts()
    files = sorted(p for p in seeds_dir.glob("*.txt") if p.name[:3] in AGGREGATOR_SEEDS)
    if len(files) != len(AGGREGATOR_SEEDS):
        raise SystemExit(f"expected seeds {', '.join(AGGREGATOR_SEEDS)} in {seeds_dir}")
    for path in files:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").split("\n")]
        lines = [ln for ln in lines if ln]
        parts.titles.append(lines[0])
        assert lines[1].startswith(_DATE_LABEL), path
        footer = next(i for i, ln in enumerate(lines) if _SOURCE.match(ln))
        marker = next(i for i, ln in enumerate(lines) if _READ_ALSO.match(ln))
        parts.paragraphs.extend(_units(lines[2:footer]))
        for line in lines[footer:marker]:
            if m := _SOURCE.match(line):
                if m["value"] not in parts.sources:
                    parts.sources.append(m["value"])
            elif m := _TAGS.match(line):
                value = m["value"]
                if value.startswith(TRENDING_PREFIX):
                    value = value[len(TRENDING_PREFIX):].strip()
                parts.tag_lines.append(value)
        block = lines[marker + 1:]
        parts.read_also.append(block)
        parts.titles.append(block[0])
        for unit in parts.paragraphs:
            if m := _INLINE_RELATED.match(unit[0]):
                for headline in [m["rest"], *unit[1:]]:
                    if headline and headline not in parts.titles:
                        parts.titles.append(headline)
    return parts


def _vary_number(match: re.Match[str], rng: random.Random) -> str:
    digits = match.group()
    if len(digits) == 4 and digits[:2] in ("19", "20"):
        return str(rng.randint(2015, 2025))
    if len(digits) <= 2:
        return str(rng.randint(1, 28))
    return str(rng.randint(10 ** (len(digits) - 1), 10 ** len(digits) - 1))


def vary_numbers(line: str, rng: random.Random) -> str:
    """Replace the ASCII numbers of a line (not in links or handles) by plausible others."""
    if "http" in line or "@" in line:
        return line
    return re.sub(r"[0-9]+", lambda m: _vary_number(m, rng), line)


def header_date(rng: random.Random) -> str:
    """``12th, November 2023 GMT`` with a random valid date."""
    year = rng.randint(2018, 2025)
    month = rng.randint(1, 12)
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    suffix = "th" if 10 <= day % 100 <= 20 else _ORDINAL.get(day % 10, "th")
    return f"{day}{suffix}, {calendar.month_name[month]} {year} GMT"


def _title(parts: Parts, rng: random.Random) -> str:
    title = rng.choice(parts.titles)
    if rng.random() < 0.4:
        speakers = [t.split(":", 1)[0] for t in parts.titles if ":" in t[:20]]
        other = rng.choice(parts.titles)
        clause = other.split(":", 1)[1].strip() if ":" in other[:20] else other
        title = f"{rng.choice(speakers)}: {clause}"
    return vary_numbers(title, rng) if rng.random() < 0.3 else title


def _read_also_item(block: list[str], rng: random.Random) -> list[str]:
    """Title and header lines in place; the paragraphs sampled, maybe shuffled."""
    head = [block[0]]
    rest = block[1:]
    while rest and len(rest[0].split()) <= 6 and _headline_like(rest[0]):
        head.append(rest.pop(0))
    if len(rest) > 2:
        keep = rng.randint(2, len(rest))
        rest = rest[:keep] if rng.random() < 0.5 else rng.sample(rest, keep)
    return head + [vary_numbers(p, rng) if rng.random() < 0.5 else p for p in rest]


def article(parts: Parts, rng: random.Random) -> str:
    """One article file's text."""
    lines = [_title(parts, rng), f"{_DATE_LABEL} {header_date(rng)}"]
    units = rng.sample(parts.paragraphs, rng.randint(3, 9))
    for unit in units:
        if rng.random() < 0.5:
            unit = [vary_numbers(line, rng) for line in unit]
        lines.extend(unit)
    for source in rng.sample(parts.sources, 1 if rng.random() < 0.75 else 2):
        lines.append(f"المصدر: {source}")
    if rng.random() < 0.9:
        tags = " ".join(rng.sample(parts.tag_lines, 1 if rng.random() < 0.7 else 2))
        if rng.random() < 0.3:
            tags = f"{TRENDING_PREFIX} {tags}"
        lines.append(f"كلمات دلالية: {tags}")
    roll = rng.random()
    items = 0 if roll < 0.15 else 1 if roll < 0.85 else 2
    if items:
        lines.append("إقرأ أيضاً:" if rng.random() < 0.9 else "اقرأ أيضاً:")
        for block in rng.sample(parts.read_also, items):
            lines.extend(_read_also_item(block, rng))
    return "\n".join(lines)


def file_path(outdir: Path, i: int, rng: random.Random) -> Path:
    """``OUTDIR/<i // 10000>/<(i // 100) % 100>/<i>_<16 hex>.txt``: 100 files per folder."""
    folder = outdir / f"{i // (FILES_PER_FOLDER * 100):02d}" / (
        f"{(i // FILES_PER_FOLDER) % 100:02d}")
    return folder / f"{i:06d}_{rng.getrandbits(64):016x}.txt"


def generate(n: int, outdir: str | os.PathLike[str], seed: int = 0) -> int:
    """Write ``n`` article files below ``outdir`` (missing or empty); return the bytes written."""
    out = Path(outdir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    parts = load_parts()
    total = 0
    for i in range(n):
        rng = random.Random(f"news-ingest-bench:{seed}:{i}")
        path = file_path(out, i, rng)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = article(parts, rng).encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, help="number of files")
    parser.add_argument("outdir", help="output folder (must be missing or empty)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("N must be >= 0")
    try:
        total = generate(args.n, args.outdir, args.seed)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.n:,} files, {total:,} bytes, to {args.outdir} (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
