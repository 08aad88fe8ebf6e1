"""Damaged inputs through the command line (issue: "Bad input never costs good data").

Each case builds its input in ``tmp_path`` from the seeds (re-encoded, re-lined, truncated,
emptied, hidden behind links ...), runs ``ingest`` through click's CliRunner (``-j 1``; the mixed
folder also with ``-j 2``) and asserts the exit code, the exact ``error: <path>: <reason>`` lines
on stderr, the good records that still come out, and the end summary. Signals and pipes need a
real process: those tests run ``.venv/bin/ingest`` with ``subprocess``.
"""

from __future__ import annotations

import builtins
import codecs
import csv
import errno
import functools
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from news_ingest import inputs, sources
from news_ingest.cli import main
from news_ingest.export import read_records
from news_ingest.pipeline import Config, Context, process
from news_ingest.sources import Source

from .conftest import SEEDS

SEED = {p.name[:3]: p for p in sorted(SEEDS.glob("*.txt"))}
INGEST = str(Path(sys.executable).with_name("ingest"))

SUMMARY_LINE = re.compile(r"^\d+ files?: \d+ parsed, ")
CP1256_WARNING = "encoding: not UTF-8; read as cp1256 (Windows Arabic)"
CUT_WARNING = "encoding: text cut off inside its last character; the partial character dropped"
EMPTY = "holds no text (empty or only white space)"
NO_TEXT = ("no line reads as article text (the generic layout needs a sentence or a "
           "paragraph)")
INTERRUPTED = "interrupted: no output file was replaced"

#: A short article of the aggregator layout (smaller than any seed).
SMALL = (
    "عنوان قصير للاختبار\n"
    "تاريخ النشر: 12th, November 2023 GMT\n"
    "قال المتحدث إن الاجتماع انتهى.\n"
    "المصدر: RT Arabic\n"
)


# --- helpers ----------------------------------------------------------------------------------


@dataclass
class Run:
    """One CLI run: exit code, stdout records (JSONL), `error:` lines and the summary."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None
    records: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error: ")]

    @property
    def summary(self) -> str:
        """The end summary line ('N files: ...')."""
        lines = [line for line in self.stderr.splitlines() if SUMMARY_LINE.match(line)]
        assert len(lines) == 1, self.stderr
        return lines[0]

    def titles(self) -> list[str]:
        return [r["title"] for r in self.records]

    def sources(self) -> list[str]:
        return [r["source_file"] for r in self.records]


def run(*args: object, jobs: int = 1, stdin: bytes | None = None, catch: bool = False) -> Run:
    """``ingest ARGS -j JOBS`` in this process; stdout parsed as JSON Lines when it is data."""
    argv = [str(a) for a in args] + ["-j", str(jobs)]
    result = CliRunner().invoke(main, argv, input=stdin, catch_exceptions=catch)
    out = Run(result.exit_code, result.stdout, result.stderr, result.exception)
    if out.stdout.strip() and not {"--out", "--format", "--schema"} & set(argv):
        out.records = read_records(out.stdout, "jsonl")
    return out


@functools.cache
def pristine(num: str) -> dict:
    """The record of an undamaged seed."""
    path = SEED[num]
    (rec,) = process(Source(str(path), path=str(path)), Context(Config())).records
    return rec


def content(rec: dict) -> dict:
    """A record without the keys that name the input or carry its warnings."""
    return {k: v for k, v in rec.items() if k not in ("source_file", "warnings")}


def seed_text(num: str) -> str:
    return SEED[num].read_text(encoding="utf-8")


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def summary(files: int, parsed: int, warned: int, failed: int, records: int,
            in_part: int = 0) -> str:
    """The summary line's words: '1 file: ... 2 failed (1 in part); 1 record written'."""
    part = f" ({in_part} in part)" if in_part else ""
    return (f"{files} file{'s' * (files != 1)}: {parsed} parsed, {warned} with warnings, "
            f"{failed} failed{part}; {records} record{'s' * (records != 1)} written")


# --- encodings --------------------------------------------------------------------------------

ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8 with BOM": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
    "utf-16-le with BOM": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "utf-16-be with BOM": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
}


@pytest.mark.parametrize("num", sorted(SEED))
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_unicode_encodings_give_the_same_record(tmp_path: Path, num: str, encoding: str) -> None:
    path = write(tmp_path / "in.txt", ENCODINGS[encoding](seed_text(num)))
    res = run(path)
    assert res.exit_code == 0, res.stderr
    assert res.errors == []
    (rec,) = res.records
    assert rec["source_file"] == str(path)
    assert content(rec) == content(pristine(num))
    assert rec["warnings"] == pristine(num)["warnings"]


@pytest.mark.parametrize("num", ["000", "003"])
def test_cp1256_is_read_with_a_warning_naming_the_encoding(tmp_path: Path, num: str) -> None:
    path = write(tmp_path / "legacy.txt", seed_text(num).encode("cp1256"))
    res = run(path)
    assert res.exit_code == 0, res.stderr
    assert res.errors == []
    (rec,) = res.records
    assert content(rec) == content(pristine(num))
    assert rec["warnings"] == [CP1256_WARNING, *pristine(num)["warnings"]]
    assert res.summary == summary(1, 0, 1, 0, 1)
    # --strict turns the warning into exit 1, and the record is still written
    strict = run(path, "--strict")
    assert strict.exit_code == 1
    assert strict.titles() == [pristine(num)["title"]]


def test_forced_encoding_reads_cp1256_without_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "legacy.txt", seed_text("000").encode("cp1256"))
    res = run(path, "--encoding", "windows-1256")
    assert res.exit_code == 0, res.stderr
    (rec,) = res.records
    assert content(rec) == content(pristine("000"))
    assert rec["warnings"] == []


def test_forced_encoding_that_does_not_fit_fails_that_file_only(tmp_path: Path) -> None:
    bad = write(tmp_path / "a_legacy.txt", seed_text("000").encode("cp1256"))
    good = write(tmp_path / "b_good.txt", SEED["003"].read_bytes())
    res = run(tmp_path, "--encoding", "utf-8")
    assert res.exit_code == 1
    assert res.errors == [
        f"error: {bad}: cannot decode as utf-8: 'utf-8' codec can't decode byte 0xe3 in "
        "position 0: invalid continuation byte"
    ]
    assert res.sources() == [str(good)]
    assert res.summary == summary(2, 1, 0, 1, 1)


def test_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path / "in.txt", SEED["000"].read_bytes())
    res = run(path, "--encoding", "no-such-codec")
    assert res.exit_code == 2
    assert res.stdout == "" and res.errors == []
    assert "unknown encoding 'no-such-codec'" in res.stderr


@pytest.mark.parametrize("codec", ["rot13", "base64", "zlib"])
def test_non_text_codec_is_a_usage_error(tmp_path: Path, codec: str) -> None:
    """``--encoding rot13`` passes ``codecs.lookup`` but is no text encoding: the option is
    refused (exit 2) before any input is read."""
    path = write(tmp_path / "in.txt", SEED["000"].read_bytes())
    res = run(path, "--encoding", codec)
    assert res.exit_code == 2, res.stderr
    assert res.stdout == "" and res.errors == []
    assert codec in res.stderr


# --- line ends and white space ----------------------------------------------------------------

LINE_ENDS: dict[str, Callable[[str], str]] = {
    "CRLF": lambda t: t.replace("\n", "\r\n"),
    "CR": lambda t: t.replace("\n", "\r"),
    "U+2028": lambda t: t.replace("\n", "\u2028"),
    "U+2029": lambda t: t.replace("\n", "\u2029"),
    "U+0085": lambda t: t.replace("\n", "\u0085"),
    "mixed": lambda t: "".join(
        line + ("\r\n", "\r", "\n", "\u2028")[i % 4]
        for i, line in enumerate(t.split("\n"))
    ),
}


def messy_spaces(text: str) -> str:
    """Tabs between words, trailing spaces and tabs, lines of only spaces or no-break spaces."""
    out = []
    for i, line in enumerate(text.split("\n")):
        line = line.replace(" ", " \t", 2)
        out.append(("\u00a0 " if i % 2 else "") + line + " \t\u00a0 ")
        out.append(("   ", "\u00a0\u00a0", "\t", "\u00a0 \u00a0")[i % 4])
    return "\n".join(out)


@pytest.mark.parametrize("num", sorted(SEED))
@pytest.mark.parametrize("variant", [*sorted(LINE_ENDS), "spaces"])
def test_line_ends_and_white_space_give_the_same_record(
    tmp_path: Path, num: str, variant: str
) -> None:
    change = messy_spaces if variant == "spaces" else LINE_ENDS[variant]
    path = write(tmp_path / "in.txt", change(seed_text(num)))
    res = run(path)
    assert res.exit_code == 0, res.stderr
    (rec,) = res.records
    assert content(rec) == content(pristine(num))
    assert rec["warnings"] == pristine(num)["warnings"]


# --- truncated files --------------------------------------------------------------------------


def test_cut_in_the_middle_of_the_last_line(tmp_path: Path) -> None:
    """The file ends inside its last line (at a character boundary): what is there is parsed.

    (A cut at a character boundary cannot be told from a file without a final newline, which
    the seeds are, so no warning is asked for here.)"""
    text = seed_text("000")
    last = text.rfind("\n")
    cut = text[: last + (len(text) - last) // 2]
    path = write(tmp_path / "cut.txt", cut)
    res = run(path)
    assert res.exit_code == 0, res.stderr
    (rec,) = res.records
    want = pristine("000")
    for key in ("title", "date", "body", "sources", "outlet", "tags"):
        assert rec[key] == want[key]
    item = rec["read_also"][0]
    full = want["read_also"][0]["body"]
    assert item["title"] == want["read_also"][0]["title"]
    assert full.startswith(item["body"]) and len(item["body"]) < len(full)
    # the cut line is kept (it no longer ends like a sentence, so the parser may take it for
    # the headline of a further item: see the report)
    kept = json.dumps(rec["read_also"], ensure_ascii=False)
    assert cut[cut.rfind("\n") + 1 :] in kept


@pytest.mark.parametrize("num", ["000", "004"])
def test_cut_inside_a_multibyte_character(tmp_path: Path, num: str) -> None:
    data = SEED[num].read_bytes().rstrip()
    # the last byte that continues a multi-byte character: cut just before it
    cut = max(i for i, b in enumerate(data) if 0x80 <= b <= 0xBF)
    path = write(tmp_path / "cut.txt", data[:cut])
    res = run(path)
    assert res.exit_code == 0, res.stderr
    (rec,) = res.records
    assert rec["title"] == pristine(num)["title"]
    assert rec["warnings"][0] == CUT_WARNING
    assert "\ufffd" not in json.dumps(rec, ensure_ascii=False)
    assert res.summary == summary(1, 0, 1, 0, 1)


@pytest.mark.parametrize("drop", [1, 3])
def test_utf16_cut_inside_a_character(tmp_path: Path, drop: int) -> None:
    data = codecs.BOM_UTF16_LE + seed_text("000").encode("utf-16-le")
    path = write(tmp_path / "cut16.txt", data[:-drop])
    res = run(path)
    assert res.exit_code == 0, res.stderr
    (rec,) = res.records
    want = pristine("000")
    assert (rec["title"], rec["body"]) == (want["title"], want["body"])
    assert rec["warnings"] == [CUT_WARNING]
    assert "\ufffd" not in rec["read_also"][0]["body"]
    assert want["read_also"][0]["body"].startswith(rec["read_also"][0]["body"])


def test_truncated_gzip_is_one_clear_error(tmp_path: Path) -> None:
    import gzip

    packed = gzip.compress(SEED["000"].read_bytes())
    bad = write(tmp_path / "a.txt.gz", packed[: len(packed) // 2])
    good = write(tmp_path / "b.txt.gz", gzip.compress(SEED["003"].read_bytes()))
    res = run(tmp_path)
    assert res.exit_code == 1
    assert res.errors == [
        f"error: {bad}: cannot read: Compressed file ended before the end-of-stream marker "
        "was reached"
    ]
    assert res.sources() == [str(good)]


def tagged_doc(n: int, title: str | None = None, docno: str | None = None) -> str:
    return (
        "<DOC>\n"
        f"<DOCNO>{docno or f'DOC-{n}'}</DOCNO>\n"
        f"<TITLE>{title or f'عنوان الخبر رقم {n}'}</TITLE>\n"
        "<TIME>Wed, 28 Feb 2018 17:23:19 +0400</TIME>\n"
        "<TEXT>\n"
        f"<P>الفقرة الأولى من الخبر رقم {n}.</P>\n"
        f"<P>الفقرة الثانية من الخبر رقم {n}.</P>\n"
        "</TEXT>\n"
        "</DOC>\n"
    )


def test_tagged_file_cut_inside_its_last_document(tmp_path: Path) -> None:
    """A multi-document file cut inside its last <DOC> accounts for that document: a record
    parsed from what is there with a warning, or an error line naming ``file#3``."""
    full = "".join(tagged_doc(n) for n in (1, 2, 3))
    path = write(tmp_path / "dump.txt", full[: full.rfind("الفقرة الثانية")])
    res = run(path)
    assert res.sources()[:2] == [f"{path}#1", f"{path}#2"]
    third = [r for r in res.records if r["source_file"] == f"{path}#3"]
    if third:  # parsed from what is there: must say it was cut
        assert res.exit_code == 0
        assert any("cut" in w or "end" in w for w in third[0]["warnings"]), third[0]["warnings"]
    else:  # or reported
        assert res.exit_code == 1
        assert [e for e in res.errors if e.startswith(f"error: {path}#3")], res.stderr


# --- files that give no record ----------------------------------------------------------------

TITLE_000 = seed_text("000").split("\n")[0]
NO_RECORD: dict[str, tuple[bytes, str, str]] = {
    # name: (bytes, stage, reason)
    "empty": (b"", "parse", EMPTY),
    "white space": (b"  \t\r\n\xc2\xa0\xc2\xa0\n\xe2\x80\xa8 \r\n\n", "parse", EMPTY),
    "BOM only": (codecs.BOM_UTF8 + b"\r\n", "parse", EMPTY),
    "UTF-16 white space": (" \n\u00a0\t\n".encode("utf-16"), "parse", EMPTY),
    "binary": (bytes(range(256)) * 8, "decode", "binary file (NUL bytes), not text"),
    "png header": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "decode",
                   "binary file (NUL bytes), not text"),
    "no sentence": (b"hello\nworld\n", "parse", NO_TEXT),
    "title only": (TITLE_000.encode(), "parse", NO_TEXT),
    "title and date only": ("\n".join(seed_text("000").split("\n")[:2]).encode(), "parse",
                            "has a title but no article text"),
    "tags without <DOC>": ("<DOCNO>x</DOCNO>\n<TITLE>عنوان</TITLE>\n<TEXT>نص.</TEXT>\n"
                           .encode(), "parse", "no <DOC> element found"),
}


@pytest.mark.parametrize("name", sorted(NO_RECORD))
def test_input_without_a_record_is_one_error_and_the_run_goes_on(tmp_path: Path,
                                                                  name: str) -> None:
    data, stage, reason = NO_RECORD[name]
    good = write(tmp_path / "in" / "a_good.txt", SEED["000"].read_bytes())
    bad = write(tmp_path / "in" / "b_bad.txt", data)
    errors_file = tmp_path / "problems.jsonl"
    res = run(tmp_path / "in", "--errors", errors_file)
    assert res.exit_code == 1
    assert res.errors == [f"error: {bad}: {reason}"]
    assert res.sources() == [str(good)]
    assert content(res.records[0]) == content(pristine("000"))
    assert res.summary == summary(2, 1, 0, 1, 1)
    problems = [json.loads(line) for line in errors_file.read_text("utf-8").splitlines()]
    assert problems == [{"source_file": str(bad), "stage": stage, "reason": reason, "line": None}]


def test_tagged_document_without_its_closing_tag_is_parsed_with_a_warning(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "dump.txt", tagged_doc(1).replace("</DOC>\n", ""))
    res = run(path)
    assert res.exit_code == 0, res.stderr
    (rec,) = res.records
    assert rec["title"] == "عنوان الخبر رقم 1" and rec["doc_id"] == "DOC-1"
    assert any("cut" in w for w in rec["warnings"]), rec["warnings"]
    assert res.summary == summary(1, 0, 1, 0, 1)


def test_tagged_documents_without_title_or_body(tmp_path: Path) -> None:
    notitle = write(tmp_path / "a.txt", "<DOC>\n<DOCNO>x</DOCNO>\n<TEXT>\nنص\n</TEXT>\n</DOC>\n")
    nobody = write(tmp_path / "b.txt", "<DOC>\n<DOCNO>x</DOCNO>\n<TITLE>عنوان</TITLE>\n</DOC>\n")
    mixed = write(tmp_path / "c.txt", tagged_doc(1) + tagged_doc(2).replace(
        "<TITLE>عنوان الخبر رقم 2</TITLE>\n", ""))
    res = run(tmp_path)
    assert res.exit_code == 1
    assert res.errors == [
        f"error: {notitle}:1: has no title",
        f"error: {nobody}:1: has no body text",
        f"error: {mixed}#2:10: document 2 has no title",
    ]
    assert res.sources() == [f"{mixed}#1"]
    assert res.titles() == ["عنوان الخبر رقم 1"]
    # the file with one bad document failed, in part: its good document is still written
    assert res.summary == summary(3, 0, 0, 3, 1, in_part=1)


# --- paths ------------------------------------------------------------------------------------


def test_paths_with_spaces_and_arabic_letters(tmp_path: Path) -> None:
    folder = tmp_path / "أخبار روسيا 2023" / "مجلد فرعي"
    one = write(folder / "خبر أول.txt", SEED["000"].read_bytes())
    two = write(tmp_path / "أخبار روسيا 2023" / "ملف  بمسافتين.txt", SEED["003"].read_bytes())
    res = run(tmp_path / "أخبار روسيا 2023")
    assert res.exit_code == 0, res.stderr
    assert res.sources() == [str(one), str(two)]  # sorted by code point: 'مج' < 'مل'
    assert res.titles() == [pristine("000")["title"], pristine("003")["title"]]
    single = run(one)
    assert single.sources() == [str(one)]


def test_missing_path_and_broken_link_are_errors_and_the_run_goes_on(tmp_path: Path) -> None:
    good = write(tmp_path / "in" / "good.txt", SEED["000"].read_bytes())
    link = tmp_path / "in" / "dangling.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    missing = tmp_path / "لا يوجد.txt"
    res = run(missing, tmp_path / "in")
    assert res.exit_code == 1
    assert res.errors == [
        f"error: {missing}: no such file or folder",
        f"error: {link}: broken symbolic link",
    ]
    assert res.sources() == [str(good)]
    assert res.summary == summary(3, 1, 0, 2, 1)
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    assert run(loop).errors == [f"error: {loop}: symbolic link loop"]


def test_symlink_loop_is_named_once_and_every_file_is_read(tmp_path: Path) -> None:
    top = tmp_path / "top"
    one = write(top / "a.txt", SEED["000"].read_bytes())
    two = write(top / "sub" / "b.txt", SEED["003"].read_bytes())
    loop = top / "sub" / "loop"
    loop.symlink_to("..")
    (top / "sub" / "self").symlink_to(".")
    res = run(top)
    assert res.exit_code == 1
    assert res.errors == [
        f"error: {loop}: symbolic link loop: folder already visited",
        f"error: {top / 'sub' / 'self'}: symbolic link loop: folder already visited",
    ]
    assert res.sources() == [str(one), str(two)]
    assert res.summary == summary(4, 2, 0, 2, 2)


def test_a_second_name_for_a_folder_is_not_a_loop(tmp_path: Path) -> None:
    """A link beside a folder (not above it) is no loop: no error, every file read once."""
    real = tmp_path / "top" / "real"
    one = write(real / "a.txt", SEED["000"].read_bytes())
    (tmp_path / "top" / "alias").symlink_to("real")
    res = run(tmp_path / "top")
    assert res.exit_code == 0, res.stderr
    assert res.errors == []
    assert res.titles() == [pristine("000")["title"]]
    assert res.sources() in ([str(one)], [str(tmp_path / "top" / "alias" / "a.txt")])


def test_unreadable_file_is_an_error_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chmod does not stop root: make open() itself refuse, as the OS would
    first = write(tmp_path / "a.txt", SEED["000"].read_bytes())
    locked = write(tmp_path / "b مقفل.txt", SEED["001"].read_bytes())
    last = write(tmp_path / "c.txt", SEED["003"].read_bytes())

    def fake_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.fspath(file) == str(locked):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(inputs, "open", fake_open, raising=False)
    res = run(tmp_path)
    assert res.exit_code == 1
    assert res.errors == [f"error: {locked}: cannot read: permission denied"]
    assert res.sources() == [str(first), str(last)]
    assert res.summary == summary(3, 2, 0, 1, 2)


def test_unlistable_folder_is_an_error_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = write(tmp_path / "a" / "good.txt", SEED["000"].read_bytes())
    write(tmp_path / "b" / "hidden.txt", SEED["003"].read_bytes())
    real_listdir = os.listdir

    def fake_listdir(path="."):  # type: ignore[no-untyped-def]
        if os.fspath(path) == str(tmp_path / "b"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_listdir(path)

    monkeypatch.setattr(sources.os, "listdir", fake_listdir)
    res = run(tmp_path)
    assert res.exit_code == 1
    assert res.errors == [f"error: {tmp_path / 'b'}: cannot list folder: permission denied"]
    assert res.sources() == [str(good)]


# --- size -------------------------------------------------------------------------------------


def test_max_bytes_refuses_larger_files(tmp_path: Path) -> None:
    small = write(tmp_path / "a_small.txt", SMALL)
    big = write(tmp_path / "b_seed.txt", SEED["000"].read_bytes())
    res = run(tmp_path, "--max-bytes", "1000")
    assert res.exit_code == 1
    size = big.stat().st_size
    assert res.errors == [f"error: {big}: larger than --max-bytes ({size:,} > 1,000 bytes)"]
    assert res.sources() == [str(small)]
    assert res.summary == summary(2, 1, 0, 1, 1)


def test_max_bytes_default_is_64_mib(tmp_path: Path) -> None:
    good = write(tmp_path / "a.txt", SEED["000"].read_bytes())
    huge = tmp_path / "b_huge.txt"
    with open(huge, "wb") as fh:
        fh.truncate(64 * 1024 * 1024 + 1)  # sparse: no disk used
    res = run(tmp_path)
    assert res.exit_code == 1
    assert res.errors == [
        f"error: {huge}: larger than --max-bytes (67,108,865 > 67,108,864 bytes)"]
    assert res.sources() == [str(good)]


def test_max_bytes_applies_to_archives_inside_folders_and_to_stdin(tmp_path: Path) -> None:
    archive = tmp_path / "in" / "dump.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a_small.txt", SMALL)
        zf.writestr("b_seed.txt", SEED["000"].read_bytes())
    size = SEED["000"].stat().st_size
    res = run(tmp_path / "in", "--max-bytes", "1000")
    assert res.exit_code == 1
    assert res.errors == [
        f"error: {archive}!b_seed.txt: larger than --max-bytes ({size:,} > 1,000 bytes)"
    ]
    assert res.sources() == [f"{archive}!a_small.txt"]
    piped = run("-", "--max-bytes", "1000", stdin=SEED["000"].read_bytes())
    assert piped.exit_code == 1
    assert piped.errors == ["error: -: larger than --max-bytes (1,000 bytes)"]


def test_twenty_megabytes_with_a_five_megabyte_line(tmp_path: Path) -> None:
    lines = seed_text("000").split("\n")
    sentence = "وقال المتحدث إن المحادثات مستمرة بين الجانبين حول القضايا المطروحة، "
    long_line = (sentence * (5 * 2**20 // len(sentence.encode()) + 1)).strip()
    para = "وأضاف المسؤول أن الاجتماع تناول ملفات اقتصادية وسياسية مهمة في المنطقة."
    filler = [para] * (15 * 2**20 // len(para.encode()))
    path = write(tmp_path / "big.txt", "\n".join([*lines[:3], long_line, *filler, *lines[3:]]))
    assert path.stat().st_size > 20 * 10**6
    res = run(path, "--out", tmp_path / "big.jsonl")
    assert res.exit_code == 0, res.stderr
    assert res.summary == summary(1, 1, 0, 0, 1)
    (rec,) = read_records((tmp_path / "big.jsonl").read_text("utf-8"), "jsonl")
    paragraphs = rec["body"].split("\n\n")
    assert rec["title"] == pristine("000")["title"]
    assert paragraphs[1] == long_line
    assert len(paragraphs) == len(pristine("000")["body"].split("\n\n")) + 1 + len(filler)
    assert rec["sources"] == pristine("000")["sources"]


# --- the quadratic traps ----------------------------------------------------------------------


def run_with_timeout(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([INGEST, *args, "-j", "1"], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ingest took more than {timeout} s on a ~1 MB input: quadratic time")


def test_many_unclosed_documents_take_linear_time(tmp_path: Path) -> None:
    """24,000 ``<DOC>`` openings without a ``</DOC>`` (1.2 MB) are read in under 10 s: no
    opening makes the scanner rescan the rest of the text."""
    line = "<DOC><DOCNO>x</DOCNO><TITLE>عنوان</TITLE><TEXT>نص الخبر\n"
    path = write(tmp_path / "unclosed.txt", line * 24_000)
    done = run_with_timeout([str(path)], timeout=10)
    assert done.returncode in (0, 1)
    assert any(line.startswith("1 file: ") for line in done.stderr.splitlines())


def test_long_keyword_line_takes_linear_time(tmp_path: Path) -> None:
    """A keyword line of 32,000 words beside a 1.3 MB body is split in under 10 s: time
    grows with keywords plus body, not with their product."""
    lines = seed_text("000").split("\n")
    para = "وأضاف المسؤول أن الاجتماع تناول عدة ملفات اقتصادية وسياسية مهمة في المنطقة"
    body = [f"{para} {i}." for i in range(16_000)]
    keywords = "كلمات دلالية: " + " ".join(f"كلمة{i} أخرى{i}" for i in range(16_000))
    path = write(tmp_path / "keywords.txt", "\n".join([*lines[:2], *body, "المصدر: RT", keywords]))
    done = run_with_timeout([str(path), "--out", str(tmp_path / "o.jsonl")], timeout=10)
    assert done.returncode == 0, done.stderr


# --- a mixed folder, -j 1 and -j 2 ------------------------------------------------------------


def build_mixed_folder(root: Path) -> dict[str, Path]:
    text = seed_text("000")
    data = SEED["000"].read_bytes()
    files = {
        "01 good": write(root / "01 good.txt", data),
        "02 cp1256": write(root / "02 cp1256.txt", text.encode("cp1256")),
        "03 utf16": write(root / "03 utf16.txt", text.encode("utf-16")),
        "04 crlf": write(root / "04 crlf.txt", text.replace("\n", "\r\n")),
        "05 empty": write(root / "05 empty.txt", b""),
        "06 binary": write(root / "06 binary.txt", b"\x00\x01\x02" * 100),
        "07 cut": write(root / "07 cut.txt", data[:-2]),
        "08 no sentence": write(root / "08 no sentence.txt", "hello\n"),
        "09 seed 004": write(root / "sub" / "09 seed 004.txt", SEED["004"].read_bytes()),
        "10 title only": write(root / "sub" / "10 title only.txt", TITLE_000),
        "11 u2028": write(root / "sub" / "11 u2028.txt", text.replace("\n", "\u2028")),
        "12 ignored": write(root / "12 ignored.md", "not read: not *.txt"),
    }
    return files


@pytest.mark.parametrize("jobs", [1, 2])
def test_mixed_folder_every_file_accounted_for(
    tmp_path: Path, jobs: int, request: pytest.FixtureRequest
) -> None:
    if jobs == 2:
        request.getfixturevalue("worker_pool")
    files = build_mixed_folder(tmp_path / "in")
    errors_file = tmp_path / "errors.jsonl"
    res = run(tmp_path / "in", "--errors", errors_file, jobs=jobs)
    assert res.exit_code == 1
    assert res.errors == [
        f"error: {files['05 empty']}: {EMPTY}",
        f"error: {files['06 binary']}: binary file (NUL bytes), not text",
        f"error: {files['08 no sentence']}: {NO_TEXT}",
        f"error: {files['10 title only']}: {NO_TEXT}",
    ]
    good = ["01 good", "02 cp1256", "03 utf16", "04 crlf", "07 cut", "09 seed 004", "11 u2028"]
    assert res.sources() == [str(files[name]) for name in good]
    for rec in res.records:
        want = pristine("004" if "seed 004" in rec["source_file"] else "000")
        assert rec["title"] == want["title"] and rec["body"] == want["body"]
    # cp1256, the cut file and seed 004 (year inferred) carry warnings
    assert res.summary == summary(11, 4, 3, 4, 7)
    # one article per file: files in = records + failures
    assert len(files) - 1 == len(res.records) + len(res.errors)
    problems = [json.loads(line) for line in errors_file.read_text("utf-8").splitlines()]
    assert [f"error: {p['source_file']}: {p['reason']}" for p in problems] == res.errors
    assert {p["stage"] for p in problems} == {"parse", "decode"}


def test_jobs_2_gives_the_same_output_and_messages_as_jobs_1(
    tmp_path: Path, worker_pool: None
) -> None:
    build_mixed_folder(tmp_path / "in")
    one = run(tmp_path / "in", jobs=1)
    two = run(tmp_path / "in", jobs=2)
    assert (two.exit_code, two.stdout, two.stderr) == (one.exit_code, one.stdout, one.stderr)


def test_every_record_of_damaged_inputs_validates_against_the_printed_schema(
    tmp_path: Path,
) -> None:
    schema_run = run("--schema")
    assert schema_run.exit_code == 0
    schema = json.loads(schema_run.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    build_mixed_folder(tmp_path / "in")
    write(tmp_path / "in" / "tagged.txt", "".join(tagged_doc(n) for n in (1, 2)))
    res = run(tmp_path / "in")
    assert len(res.records) == 9
    for rec in res.records:
        errors = [e.message for e in validator.iter_errors(rec)]
        assert errors == [], (rec["source_file"], errors)


# --- output is atomic; interruptions ----------------------------------------------------------

OLD = '{"old": "a good file from an earlier run"}\n'


def part_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part"))


def test_configuration_error_leaves_the_old_output_alone(tmp_path: Path) -> None:
    out = write(tmp_path / "articles.jsonl", OLD)
    res = run(SEEDS, "--out", out, "--layout", "no-such-layout")
    assert res.exit_code == 2
    assert out.read_text("utf-8") == OLD
    assert part_files(tmp_path) == []


def test_some_inputs_failing_still_replaces_the_output_with_the_good_records(
    tmp_path: Path,
) -> None:
    out = write(tmp_path / "articles.jsonl", OLD)
    write(tmp_path / "in" / "a.txt", SEED["000"].read_bytes())
    write(tmp_path / "in" / "b.txt", b"")
    res = run(tmp_path / "in", "--out", out)
    assert res.exit_code == 1
    assert [r["title"] for r in read_records(out.read_text("utf-8"), "jsonl")] == [
        pristine("000")["title"]
    ]
    assert part_files(tmp_path) == []


def test_output_that_cannot_be_written_is_an_error_and_no_temp_file_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder where the output file should go is refused before anything is read; an output
    whose final rename fails is named as the user gave it (not the temporary file)."""
    target = tmp_path / "articles.jsonl"
    target.mkdir()
    res = run(SEED["000"], "--out", target)
    assert res.exit_code == 2
    assert f"'{target}' is a folder, not a file" in res.stderr
    target.rmdir()
    res = run(SEED["000"], "--out", f"{tmp_path / 'new'}/")  # a folder-to-be, local engine
    assert res.exit_code == 2
    assert "names a folder, but --engine local writes one file" in res.stderr
    assert not (tmp_path / "new").exists()

    def refuse(src: str, dst: str) -> None:
        raise IsADirectoryError(21, "Is a directory", src)

    monkeypatch.setattr(os, "replace", refuse)
    res = run(SEED["000"], "--out", target)
    assert res.exit_code == 1
    assert res.stderr.splitlines() == [f"Error: cannot write {target}: Is a directory"]
    assert part_files(tmp_path) == []


def test_interrupt_in_process_keeps_the_old_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from news_ingest.executors import local

    out = write(tmp_path / "articles.jsonl", OLD)
    for num in sorted(SEED):
        write(tmp_path / "in" / f"{num}.txt", SEED[num].read_bytes())
    real_process = local.process
    calls = []

    def process_then_interrupt(item, ctx):  # type: ignore[no-untyped-def]
        calls.append(item)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_process(item, ctx)

    monkeypatch.setattr(local, "process", process_then_interrupt)
    res = run(tmp_path / "in", "--out", out)
    assert res.exit_code == 130
    assert res.stderr.splitlines() == [INTERRUPTED]
    assert out.read_text("utf-8") == OLD
    assert part_files(tmp_path) == []


@pytest.fixture(scope="module")
def many_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 copies of the largest seed: a run long enough to interrupt."""
    folder = tmp_path_factory.mktemp("many")
    data = SEED["002"].read_bytes()
    for i in range(3000):
        (folder / f"{i:04d}.txt").write_bytes(data)
    return folder


def process_group(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` (Linux: read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()  # state, ppid, pgrp, ...
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            found.append(int(entry))
    return found


def wait_for(predicate: Callable[[], bool], timeout: float = 20) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_ends_with_one_line_and_exit_130(
    tmp_path: Path, many_files: Path, signum: int, jobs: int
) -> None:
    out = write(tmp_path / "articles.jsonl", OLD)
    proc = subprocess.Popen([INGEST, str(many_files), "--out", str(out), "-j", str(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: bool(part_files(tmp_path))), "the run never started its output"
        time.sleep(1.0)
        assert proc.poll() is None, "the run ended before the signal: use more files"
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    text = stderr.decode("utf-8", "replace")
    assert proc.returncode == 130, text
    assert text.splitlines() == [INTERRUPTED]
    assert "Traceback" not in text
    assert stdout == b""
    assert out.read_text("utf-8") == OLD
    assert part_files(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_to_the_whole_process_group_with_workers(
    tmp_path: Path, signum: int, worker_pool: None
) -> None:
    """With worker processes running, a signal to the whole process group (as Ctrl-C, SIGINT,
    or a service manager's stop, SIGTERM, sends it) ends the run at once, while the main
    process is blocked reading stdin (left open, as a terminal's is) and the workers wait for
    work: exit 130, any error lines, then one ``interrupted`` line; the output is untouched."""
    out = write(tmp_path / "articles.jsonl", OLD)
    empties = [write(tmp_path / f"empty{i:02d}.txt", b"") for i in range(16)]
    proc = subprocess.Popen([INGEST, *map(str, empties), "-", "--out", str(out), "-j", "2"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    lines: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            lines.append(raw.decode("utf-8", "replace"))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        # the run, its forkserver and its two workers are up; then the main process blocks
        # on stdin
        assert wait_for(lambda: len(process_group(proc.pid)) >= 4, timeout=20), "no workers"
        time.sleep(0.5)
        assert proc.poll() is None
        os.killpg(proc.pid, signum)  # stdin stays open, as a terminal's does
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"ingest -j 2 hung after {signal.Signals(signum).name} to its group")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        assert proc.stdin is not None
        proc.stdin.close()
    reader.join(5)
    text = "".join(lines)
    assert proc.returncode == 130, text
    *errors, last = text.splitlines()
    assert last == INTERRUPTED, text
    assert errors == [f"error: {e}: {EMPTY}" for e in empties[: len(errors)]]
    assert out.read_text("utf-8") == OLD
    assert part_files(tmp_path) == []


#: A reader that takes one line and goes away, as `head -1` does (in Python: no tool needed).
HEAD_1 = [sys.executable, "-c", "import sys; sys.stdout.write(sys.stdin.readline())"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_reader_going_away_ends_quietly(many_files: Path, jobs: int) -> None:
    producer = subprocess.Popen([INGEST, str(many_files), "-j", str(jobs)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(HEAD_1, stdin=producer.stdout, stdout=subprocess.PIPE)
    assert producer.stdout is not None and producer.stderr is not None
    producer.stdout.close()  # only head holds the read end now
    try:
        first, _ = head.communicate(timeout=60)
        stderr = producer.stderr.read().decode("utf-8", "replace")
        producer.wait(timeout=60)
    finally:
        for proc in (producer, head):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert producer.returncode == 0, stderr
    assert "Traceback" not in stderr and "Broken pipe" not in stderr
    assert "BrokenPipeError" not in stderr
    (line,) = first.decode("utf-8").splitlines()
    assert json.loads(line)["source_file"] == str(many_files / "0000.txt")


# --- what an input or a layout file can make the tool do --------------------------------------


def test_csv_formulas_are_defused_unless_asked_not_to(tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://example.com/x","اضغط")'
    path = write(tmp_path / "in.txt", SMALL.replace("عنوان قصير للاختبار", formula)
                 .replace("المصدر: RT Arabic", "المصدر: @cmd|' /C calc'!A0"))

    def cells(*extra: str) -> dict[str, str]:
        res = run(path, "--format", "csv", *extra)
        assert res.exit_code == 0, res.stderr
        header, row = list(csv.reader(io.StringIO(res.stdout, newline="")))
        return dict(zip(header, row, strict=True))

    defused = cells()
    assert defused["title"] == "'" + formula
    assert defused["outlet"] == "'@cmd|' /C calc'!A0"
    raw = cells("--no-defuse-formulas")
    assert raw["title"] == formula
    assert raw["outlet"] == "@cmd|' /C calc'!A0"


@pytest.mark.parametrize("yaml_text", [
    'name: evil\nkind: lines\ndetect: !!python/object/apply:os.system ["echo pwned"]\n',
    '!!python/object/apply:os.system ["echo pwned"]\n',
])
def test_layout_file_with_python_tags_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_text: str
) -> None:
    called: list[object] = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a) or 0)
    layout = write(tmp_path / "layouts" / "evil layout.yaml", yaml_text)
    res = run(SEED["000"], "--layouts", layout)
    assert res.exit_code == 2
    assert called == []
    assert "pwned" not in res.stdout + res.stderr
    assert res.stdout == "" and res.errors == []  # nothing read
    (line,) = res.stderr.splitlines()
    assert line.startswith(f"Error: {layout}: not valid YAML")


def test_names_inside_an_input_never_become_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "a" / "b"
    doc = tagged_doc(1, title="../../evil", docno="../../evil").replace(
        "<TITLE>", "<URL>../../evil</URL>\n<SRC>../../evil</SRC>\n<TITLE>")
    write(work / "in" / "dump.txt", doc + tagged_doc(2, docno="/tmp/evil"))
    monkeypatch.chdir(work)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    evil_existed = [Path(p).exists() for p in ("/tmp/evil", tmp_path / "evil")]
    res = run("in", "--out", "out.jsonl", "--errors", "problems.jsonl", "--format", "jsonl")
    assert res.exit_code == 0, res.stderr
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    new = sorted(set(after) - set(before))
    assert new == [Path("a/b/out.jsonl"), Path("a/b/problems.jsonl")]
    assert [Path(p).exists() for p in ("/tmp/evil", tmp_path / "evil")] == evil_existed
    recs = read_records((work / "out.jsonl").read_text("utf-8"), "jsonl")
    assert [r["doc_id"] for r in recs] == ["../../evil", "/tmp/evil"]
    assert recs[0]["url"] == "../../evil" and recs[0]["title"] == "../../evil"


def test_malformed_tag_lexicon_is_a_configuration_error(tmp_path: Path) -> None:
    """``TagLexicon.load`` raises ``ValueError``: the CLI must turn it into one ``Error:`` line
    and exit 2 (it once escaped as a traceback with exit 1)."""
    lexicon = write(tmp_path / "lexicon.yaml", "version: 1\nphrases: [a, b]\n")
    res = run(SEED["000"], "--tag-lexicon", lexicon, catch=True)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.exit_code == 2
    assert res.stdout == ""
    (line,) = res.stderr.splitlines()
    assert line == f"Error: {lexicon}: 'phrases' must be a mapping of phrase -> count"
