"""Properties over generated inputs (hypothesis): no input crashes the tool, every record
validates, normalisation is idempotent, and records survive every export format unchanged.

Examples per test come from the active hypothesis profile (tests/conftest.py): 100 by default,
derandomised with ``CI`` set; ``make fuzz`` (profile ``fuzz``, ``FUZZ_EXAMPLES``) scales them::

    FUZZ_EXAMPLES=5000 python -m pytest -q tests/test_properties.py --hypothesis-profile=fuzz

Inputs: arbitrary bytes; texts built from a grammar of the aggregator layout (title, date
line, paragraphs of Arabic/Latin words, the labels of the layout, no-break-space lines, every
line end, several encodings, cut anywhere); tagged ``<DOC>`` dumps with damaged markup;
zip and tar archives (plain, gz, bz2, xz) of any members (names that are not UTF-8, links,
FIFOs, nested archives), whole, overwritten anywhere or cut anywhere; folders of files whose
names are any bytes.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from news_ingest import sources
from news_ingest.errors import DecodeError, IngestError
from news_ingest.export import encode_record, make_writer, read_records
from news_ingest.model import RECORD_KEYS
from news_ingest.parse import parse_text
from news_ingest.pipeline import Config, Context, FileResult, process
from news_ingest.schema import record_schema
from news_ingest.sources import Source, decode
from news_ingest.text import clean_line, match_key, stored_form

CTX = Context(Config())
SEED_BYTES = (Path(__file__).resolve().parent.parent / "seeds" / "000_a24fdade88fa59b4.txt"
              ).read_bytes()
LAYOUTS = CTX.layouts
#: Every known layout forced on any text (names as the package ships them).
FORCED = {layout.name: Context(Config(layout=layout.name)) for layout in LAYOUTS}
VALIDATOR = jsonschema.Draft202012Validator(record_schema())
#: The stages a problem may name (errors.IngestError.stage of each subclass). Not 'internal':
#: that is a crash the pipeline caught, which these properties exist to find.
STAGES = {"read", "decode", "detect", "parse", "normalise"}

#: Generated documents are bigger than hypothesis likes; they are not slow to run.
GRAMMAR = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- strategies -------------------------------------------------------------------------------

ARABIC_WORDS = [
    "الكرملين", "روسيا", "كازاخستان", "وسائل", "الإعلام", "الاعلام", "دميتري", "بيسكوف", "قال",
    "إن", "أن", "مستشفى", "مدرسة", "آسيا", "الوسطى", "بوتين", "ترامب", "نوفمبر", "تشرين",
    "الثاني", "فبراير", "٢٠٢٤", "٠٧", "2023", "ی", "آسیا", "كـتـاب", "ﻻ", "ﷲ", "ﺑﺴﻢ",
    "كِتَابٌ", "ٱلله", "ک", "ة", "ى", "،", "؟", "؛", "«", "»", "#موسكو", "@RT_com",
]
LATIN_WORDS = [
    "RT", "Arabic", "Moscow", "Nov", "GMT", "12th,", "November", "January", "=SUM(A1)",
    "+1", "-2", "@cmd", "'quoted", '"quote"', "a,b", "x;y", "https://t.co/abc", "<DOC>",
    "&amp;", "</TEXT>", "DOCNO", "...",
]
SPACES = [" ", " ", " ", "  ", "\t", "\u00a0", " \u200b", "\u2009", "\u200f ", "\u3000"]
BLANKS = ["", "", "   ", "\u00a0", "\u00a0\u00a0", "\t", " \u00a0 ", "\u200b"]
LINE_ENDS = ["\n", "\n", "\n", "\r\n", "\r", "\u2028", "\u2029", "\u0085"]
DATES = [
    "12th, November 2023 GMT", "25th, January 2024 GMT", "٠٧ نوفمبر", "7 نوفمبر",
    "7 نوفمبر/تشرين الثاني 2024", "7 نوفمبر/آذار 2024", "2023-11-12", "12/11/2023",
    "11/17/2024", "Wed, 28 Feb 2018 17:23:19 +0400", "31 فبراير 2023", "29 February 2023",
    "0000-00-00", "99999-01-01", "1st, Smarch 2023", "", "الخميس", "2023", "١٢ ١١ ٢٠٢٣",
]

any_char = st.characters(codec="utf-8", exclude_categories=("Cs",))
word = st.one_of(
    st.sampled_from(ARABIC_WORDS),
    st.sampled_from(LATIN_WORDS),
    st.text(alphabet=any_char, min_size=1, max_size=6),
    st.text(alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), min_size=1,
            max_size=8),
)


@st.composite
def words(draw: st.DrawFn, min_size: int = 1, max_size: int = 12) -> str:
    items = draw(st.lists(word, min_size=min_size, max_size=max_size))
    out = ""
    for item in items:
        out += item + draw(st.sampled_from(SPACES))
    return out


@st.composite
def date_text(draw: st.DrawFn) -> str:
    return draw(st.one_of(
        st.sampled_from(DATES),
        st.builds("{} {} {}".format, st.integers(0, 40), st.sampled_from(
            ["نوفمبر", "November", "كانون الثاني", "يناير", "Feb", "شباط"]),
            st.integers(0, 99999)),
        st.builds("{}-{:02d}-{:02d}".format, st.integers(0, 99999), st.integers(0, 99),
                  st.integers(0, 99)),
        words(max_size=4),
    ))


@st.composite
def label_line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from([
        "source", "tags", "photo", "read-also", "read-also-inline", "read-more", "date",
        "tweet", "switcher", "site", "follow", "byline",
    ]))
    sep = draw(st.sampled_from([": ", ":", " : ", ":\u00a0", ": \t"]))
    text = draw(words(min_size=0, max_size=6))
    if kind == "source":
        return "المصدر" + sep + text
    if kind == "tags":
        return "كلمات دلالية" + sep + text
    if kind == "photo":
        return "الصورة" + sep + text
    if kind == "read-also":
        return draw(st.sampled_from(["إقرأ أيضاً", "اقرأ أيضا", "إقرأ ايضاً", "اقرأ أيضًا"])) + sep
    if kind == "read-also-inline":
        return draw(st.sampled_from(["إقرأ أيضاً", "اقرأ أيضا"])) + sep + text
    if kind == "read-more":
        return draw(st.sampled_from(["إقرأ المزيد", "اقرأ المزيد", "إقرأ مزيد"])) + text
    if kind == "date":
        return "تاريخ النشر" + sep + draw(date_text())
    if kind == "tweet":
        return (text + " https://t.co/" + draw(st.sampled_from(["abc", "X1"])) + " — "
                + draw(st.sampled_from(["24.ae", "RT", "أحمد", ""])) + " (@"
                + draw(st.sampled_from(["h", "20fourMedia", "x" * 31])) + ") "
                + draw(st.sampled_from(["November 1, 2023", "May 40, 2023", "June 3, 99999"])))
    if kind == "switcher":
        return draw(st.sampled_from(["Ru En", "Ru | En | Ar", "Ру En"]))
    if kind == "site":
        return 'مجموعة الرؤية الإستراتيجية "روسيا - العالم الإسلامي"'
    if kind == "follow":
        return "تابعونا على " + text
    return text + " - " + draw(st.sampled_from(["متابعة", "خاص", "وكالات", "تقارير"]))


@st.composite
def aggregator_text(draw: st.DrawFn) -> str:
    """A text resembling the aggregator layout, damaged in every way the grammar knows."""
    lines = [draw(words(max_size=10))]
    if draw(st.booleans()):
        lines.append("تاريخ النشر: " + draw(date_text()))
    body = st.one_of(
        words(max_size=20).map(lambda s: s + "."),
        words(max_size=20),
        label_line(),
        st.sampled_from(BLANKS),
    )
    lines += draw(st.lists(body, max_size=25))
    out = ""
    for line in lines:
        out += line + draw(st.sampled_from(LINE_ENDS))
    return out if draw(st.booleans()) else out.rstrip("\n")


@st.composite
def tagged_text(draw: st.DrawFn) -> str:
    """TREC-style dumps: tags in any case and order, attributes, entities, damaged markup."""
    docs = []
    for _ in range(draw(st.integers(1, 4))):
        parts = []
        for tag in draw(st.lists(st.sampled_from(
                ["DOCNO", "URL", "SRC", "CAT", "TITLE", "HEADLINE", "TIME", "DATE", "AUTHOR",
                 "ABSTRACT", "TEXT", "BODY", "P", "UNKNOWN"]), max_size=8)):
            name = draw(st.sampled_from([tag, tag.lower(), tag.title()]))
            value = draw(st.one_of(words(max_size=8), date_text(),
                                   st.sampled_from(["", "&amp;", "&#1575;", "&bogus;", "<P>x</P>",
                                                    "\n<P>أ</P>\n<P>ب</P>\n", "../../evil"])))
            close = draw(st.sampled_from([f"</{name}>", f"</{name}>", f"</{name} >", ""]))
            attrs = draw(st.sampled_from(["", ' id="7"', " x=y"]))
            parts.append(f"<{name}{attrs}>{value}{close}")
        open_doc = draw(st.sampled_from(["<DOC>", "<doc>", '<DOC id="d1">', "<DOC type=story>"]))
        close_doc = draw(st.sampled_from(["</DOC>", "</DOC>", "</doc>", ""]))
        docs.append(open_doc + "\n" + "\n".join(parts) + "\n" + close_doc)
    return draw(st.sampled_from(LINE_ENDS)).join(docs)


def encodings(text: str) -> st.SearchStrategy[bytes]:
    """The bytes of ``text`` in every encoding the tool reads, possibly cut anywhere."""
    options = [
        text.encode("utf-8"),
        codecs.BOM_UTF8 + text.encode("utf-8"),
        text.encode("utf-16"),
        codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    ]
    try:
        options.append(text.encode("cp1256"))
    except UnicodeEncodeError:
        pass
    return st.sampled_from(options).flatmap(
        lambda data: st.one_of(
            st.just(data),
            st.integers(0, max(len(data), 0)).map(lambda n: data[:n]),
        )
    )


aggregator_bytes = aggregator_text().flatmap(encodings)
tagged_bytes = tagged_text().flatmap(encodings)


# --- checks shared by the properties ----------------------------------------------------------


def check_result(result: FileResult) -> None:
    """Problems are the tool's own kinds; every record has the documented keys and validates."""
    assert isinstance(result, FileResult)
    for problem in result.problems:
        assert problem.stage in STAGES, problem
        assert isinstance(problem.reason, str) and problem.reason
        assert "\n" not in problem.message(), problem
    for record in result.records:
        assert tuple(record) == RECORD_KEYS
        errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in VALIDATOR.iter_errors(record)]
        assert errors == [], errors
        check_normalised(record)


def check_normalised(record: dict) -> None:
    """Normalising a record's fields again changes nothing."""
    for key in ("title", "outlet", "site", "author", "category", "summary", "photo_credit",
                "doc_id", "url", "date_raw", "tags_raw"):
        value = record[key]
        if value is not None:
            assert clean_line(value) == value, (key, value)
    assert stored_form(record["body"]) == record["body"]
    for paragraph in record["body"].split("\n\n") if record["body"] else []:
        assert paragraph and clean_line(paragraph) == paragraph
    for key in ("sources", "tags", "related", "warnings"):
        for value in record[key]:
            assert clean_line(value) == value, (key, value)
    for item in record["read_also"]:
        assert clean_line(item["title"]) == item["title"]
        assert stored_form(item["body"]) == item["body"]
    for embed in record["embeds"]:
        assert clean_line(embed["text"]) == embed["text"]


def parse_or_ingest_error(text: str, layout: str | None = None) -> None:
    try:
        raws = parse_text(text, LAYOUTS, layout)
    except IngestError as exc:
        assert exc.reason and "\n" not in exc.reason
        return
    assert isinstance(raws, list) and raws


# --- nothing crashes --------------------------------------------------------------------------


@given(st.one_of(
    st.binary(max_size=3000),
    st.binary(max_size=3000).map(lambda b: codecs.BOM_UTF8 + b),
    st.binary(max_size=3000).map(lambda b: codecs.BOM_UTF16_LE + b),
    st.binary(max_size=3000).map(lambda b: codecs.BOM_UTF16_BE + b),
))
def test_any_bytes_give_a_result_never_an_exception(data: bytes) -> None:
    check_result(process(Source("x.txt", data=data), CTX))


@GRAMMAR
@given(aggregator_bytes)
@example("عنوان\r\nتاريخ النشر:\r\n\u00a0\r\nنص.\r\nكلمات دلالية:\r\n".encode())
@example(b"\xd8\xb9\xd9\x86\n\xd8\xaa\xd8\xa7\xd8\xb1\xd9\x8a\xd8\xae \xd8\xa7\xd9\x84\xd9\x86"
         b"\xd8\xb4\xd8\xb1: 1\n\xd9")
def test_aggregator_like_input_gives_valid_records_or_named_problems(data: bytes) -> None:
    check_result(process(Source("x.txt", data=data), CTX))


@GRAMMAR
@given(tagged_bytes)
def test_tagged_input_gives_valid_records_or_named_problems(data: bytes) -> None:
    check_result(process(Source("x.txt", data=data), CTX))


@GRAMMAR
@given(st.one_of(aggregator_text(), tagged_text()), st.sampled_from(sorted(FORCED)))
def test_forced_layout_on_any_text_gives_a_result(text: str, layout: str) -> None:
    check_result(process(Source("x.txt", data=text.encode("utf-8")), FORCED[layout]))


@GRAMMAR
@given(st.one_of(st.text(alphabet=any_char, max_size=400), aggregator_text(), tagged_text()),
       st.sampled_from([None, *sorted(FORCED)]))
def test_parse_text_returns_articles_or_raises_ingest_error(text: str, layout: str | None) -> None:
    parse_or_ingest_error(text, layout)


# --- decoding --------------------------------------------------------------------------------


@given(st.text(alphabet=any_char, max_size=200))
def test_decode_reads_back_utf8_and_utf16(text: str) -> None:
    assert decode(text.encode("utf-16")) == (text, [])
    assert decode(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) == (text, [])
    if "\x00" not in text:
        assert decode(codecs.BOM_UTF8 + text.encode("utf-8")) == (text, [])
        if not text.startswith("\ufeff"):
            assert decode(text.encode("utf-8")) == (text, [])


def _in_cp1256(c: str) -> bool:
    try:
        c.encode("cp1256")
    except UnicodeEncodeError:
        return False
    return True


CP1256_CHARS = [chr(c) for c in range(0x0600, 0x0700) if _in_cp1256(chr(c))]


@given(st.text(alphabet=st.sampled_from(CP1256_CHARS + list(" .,:0123456789abcXYZ\n\u00a0")),
               max_size=200))
@example("abc آ")  # ASCII then one high byte: Windows-1256, not UTF-8 cut short
def test_decode_reads_cp1256_with_a_warning(text: str) -> None:
    data = text.encode("cp1256")
    as_cp1256 = (text, ["encoding: not UTF-8; read as cp1256 (Windows Arabic)"])
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and not data[: exc.start].isascii():
            # valid UTF-8 up to a lead byte at the end: as likely UTF-8 cut short
            cut = (data[: exc.start].decode("utf-8"), [
                "encoding: text cut off inside its last character; the partial character "
                "dropped"])
            assert decode(data) in (as_cp1256, cut)
        else:
            assert decode(data) == as_cp1256
    else:
        assert decode(data) == (data.decode("utf-8"), [])


@given(st.binary(max_size=400))
def test_decode_gives_text_or_a_decode_error(data: bytes) -> None:
    try:
        text, notes = decode(data)
    except DecodeError as exc:
        assert exc.reason
        return
    assert isinstance(text, str) and all(isinstance(n, str) for n in notes)


# --- normalisation is idempotent --------------------------------------------------------------

#: Characters the normaliser treats specially, mixed into arbitrary text.
SPECIAL = (
    "\t\u000b\u000c\u00a0\u1680\u2000\u2007\u200a\u202f\u205f\u3000"  # spaces
    "\u200b\u2060\ufeff\u00ad\u200e\u200f\u061c\u202a\u202e\u2066\u2069"  # invisible
    "\u200c\u200d\u0640\u06a9\u06cc\u0649\u0629\u0622\u0623\u0625\u0671"  # Arabic specials
    "\u064b\u064e\u0650\u0651\u0652\u0670\u06d6\u0610"  # marks
    "\ufb50\ufb8e\ufbfc\ufdf2\ufdfa\ufe70\ufe8f\ufefb\ufefc"  # presentation forms
    "\u0660\u0669\u06f0\u06f9"  # digits
    "\r\n\u2028\u2029\u0085 "  # line ends, space
    "\u0130\u0390\u00df\u1e9e\ufb05\u0345\u2126\u212a"  # case folding and NFKC corners
)
mixed_text = st.text(alphabet=st.one_of(st.sampled_from(SPECIAL), any_char,
                                        st.characters(min_codepoint=0x0600,
                                                      max_codepoint=0x06FF)),
                     max_size=60)


@given(mixed_text)
def test_clean_line_is_idempotent(s: str) -> None:
    once = clean_line(s)
    assert clean_line(once) == once


@given(mixed_text)
def test_stored_form_is_idempotent(s: str) -> None:
    once = stored_form(s)
    assert stored_form(once) == once


@given(mixed_text)
def test_match_key_is_idempotent(s: str) -> None:
    once = match_key(s)
    assert match_key(once) == once


# --- round trips ------------------------------------------------------------------------------

TRICKY = [
    "=SUM(A1:A9)", "-2+3", "+1", "@cmd", "'quoted", "''", "'", "\"quoted\"", 'a "b" c',
    "a,b,c", "سطر\nسطر", "x\r\ny", "=\"=\"", "\t=tab", "عنوان، مع فاصلة", "؛=؛", " ", "",
    "\\u0627", "null", "[]", "{}", "0123", "1e3",
]
tricky_text = st.one_of(st.sampled_from(TRICKY), st.text(alphabet=any_char, max_size=30),
                        st.builds("{}{}".format, st.sampled_from(["=", "-", "+", "@", "'", '"']),
                                  st.text(alphabet=any_char, max_size=20)))


def round_trip(records: list[dict], fmt: str) -> list[dict]:
    stream = io.StringIO(newline="")
    writer = make_writer(fmt, stream)
    for record in records:
        writer.write(record)
    writer.close()
    return read_records(stream.getvalue(), fmt)


@st.composite
def records(draw: st.DrawFn) -> list[dict]:
    """Records made by the tool from generated inputs, with tricky strings put in."""
    data = draw(st.one_of(aggregator_text(), tagged_text())).encode("utf-8")
    out = process(Source("x.txt", data=data), CTX).records
    for record in out:
        if draw(st.booleans()):
            record["title"] = draw(tricky_text) or "x"
        if draw(st.booleans()):
            record["body"] = draw(tricky_text)
        for key in ("outlet", "author", "summary", "url", "date_raw", "tags_raw"):
            # null or a non-empty string, as the normaliser stores them (never ""): that is
            # what lets a CSV cell left empty read back as null
            if draw(st.integers(0, 3)) == 0:
                record[key] = draw(st.one_of(st.none(), tricky_text.filter(bool)))
        if draw(st.booleans()):
            record["tags"] = draw(st.lists(tricky_text.filter(bool), max_size=3))
    return out


@GRAMMAR
@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
@given(records())
def test_records_survive_every_format_unchanged(fmt: str, recs: list[dict]) -> None:
    assert round_trip(recs, fmt) == recs


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_record_with_an_empty_label_survives_every_format(fmt: str) -> None:
    """Labels with nothing after them (``تاريخ النشر:``, ``كلمات دلالية:``) give a record that
    every format writes and reads back unchanged."""
    text = "عنوان الخبر\nتاريخ النشر:\nنص الخبر.\nكلمات دلالية:\n"
    ctx = Context(Config(layout="aggregator"))
    (record,) = process(Source("x.txt", data=text.encode()), ctx).records
    assert (record["date_raw"], record["tags_raw"]) == (None, None)
    assert round_trip([record], fmt) == [record]


def test_titles_that_look_like_formulas_survive_every_format() -> None:
    data = "عنوان\nتاريخ النشر: 12th, November 2023 GMT\nنص.\n".encode()
    (record,) = process(Source("x.txt", data=data), CTX).records
    recs = [dict(record, title=t or "x", body=t) for t in TRICKY]
    for fmt in ("jsonl", "json", "csv"):
        assert round_trip(recs, fmt) == recs, fmt
    assert json.loads(json.dumps(recs, ensure_ascii=False)) == recs


# --- archives and file names (issue 12) ---------------------------------------------------------

#: Member names: Arabic and Latin, names whose bytes are not UTF-8, names of other kinds.
member_name = st.one_of(
    st.text(alphabet=st.sampled_from("abc ب ت\u00e9-_."), min_size=1, max_size=12).map(
        lambda s: s.strip("/") + ".txt"),
    st.binary(min_size=1, max_size=12).map(
        lambda b: os.fsdecode(b.replace(b"/", b"_").replace(b"\x00", b"_")) + ".TXT"),
    st.sampled_from(["notes.md", "sub/a.txt", "inner.zip", "nested.tar.gz", "a.txt.gz",
                     "dir/"]),
)
#: (name, kind, data) of one member: kinds a tar can hold (a zip: files and links).
member = st.tuples(member_name, st.sampled_from(["file", "file", "file", "link", "fifo"]),
                   st.one_of(st.just(SEED_BYTES), st.binary(max_size=200),
                             st.just(gzip.compress(SEED_BYTES))))


def stored_name(kind: str, name: str) -> str:
    """The name as the archive gives it back: zipfile writes only Unicode names (a name's
    bytes that are not UTF-8 are stored as the cp437 characters they read as)."""
    if kind != "zip":
        return name
    return name.encode("utf-8", "surrogateescape").decode("cp437") if any(
        "\udc80" <= c <= "\udcff" for c in name) else name


def build_archive(kind: str, members: list[tuple[str, str, bytes]]) -> bytes:
    buf = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, what, data in members:
                info = zipfile.ZipInfo(stored_name(kind, name))
                if what == "link":
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, data)
        return buf.getvalue()
    with tarfile.open(fileobj=buf, mode=f"w:{kind}", format=tarfile.PAX_FORMAT) as tf:
        for name, what, data in members:
            info = tarfile.TarInfo(name)
            info.type = {"file": tarfile.REGTYPE, "link": tarfile.SYMTYPE,
                         "fifo": tarfile.FIFOTYPE}[what]
            if name.endswith("/"):
                info.type = tarfile.DIRTYPE
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            tf.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    return buf.getvalue()


def accounted(name: str) -> bool:
    """A member the reader must name: an input's name, or an archive inside the archive."""
    return not name.endswith("/") and (sources.ALL_TEXT.wanted(name) or sources.is_archive(name))


@GRAMMAR
@given(st.sampled_from(["", "gz", "bz2", "xz", "zip"]),
       st.lists(member, max_size=6, unique_by=lambda m: m[0]),
       st.one_of(st.none(), st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=64)),
                 st.floats(0, 1)))
# found by this property: a plain tar whose first member is named like bzip2's magic bytes was
# read as bzip2; a zip entry whose name a damaged central directory emptied crashed zipfile
@example("", [("BZh.TXT", "file", b"x")], None)
@example("zip", [("_.txt", "file", b"")], (0.75, b"\x00"))
def test_any_archive_damaged_anywhere_gives_named_results(
    kind: str, members: list[tuple[str, str, bytes]],
    damage: tuple[float, bytes] | float | None,
) -> None:
    """Archives of any members, whole, overwritten anywhere or cut anywhere: reading them never
    raises; every item is a source or a named problem with a one-line, UTF-8 name; a whole
    archive accounts for every member named like an input, in order; a damaged one names at
    most one more problem (the archive's own) and never more members than it has."""
    data = build_archive(kind, members)
    if isinstance(damage, tuple):
        at = int(damage[0] * len(data))
        data = data[:at] + damage[1] + data[at + len(damage[1]):]
    elif isinstance(damage, float):
        data = data[: int(damage * len(data))]
    suffix = ".zip" if kind == "zip" else f".tar{'.' + kind if kind else ''}"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "dump" + suffix)
        with open(path, "wb") as fh:
            fh.write(data)
        items = list(sources.iter_archive(path, max_bytes=10_000))
        for item in items:
            item.name.encode("utf-8")  # valid Unicode: a writer can write it
            assert item.name == path or item.name.startswith(path + "!")
            result = process(item, CTX)
            check_result(result)
            for problem in result.problems:
                assert "\n" not in problem.message()
    expected = [f"{path}!{sources.display_name(stored_name(kind, name))}"
                for name, _, _ in members if accounted(name)]
    members_named = [item.name for item in items if item.name != path]
    if damage is None:
        assert members_named == expected
        assert all(item.name != path for item in items)
    else:
        assert len(members_named) <= len(expected)
        assert sum(item.name == path for item in items) <= 1


#: Bytes of one file name: any but '/' and NUL, not '.' or '..'.
file_name = st.binary(min_size=1, max_size=40).map(
    lambda b: b.replace(b"/", b"_").replace(b"\x00", b"_")).filter(lambda b: b not in (b".", b".."))


@given(st.lists(file_name, min_size=1, max_size=5, unique=True))
def test_any_file_names_are_read_and_shown_in_utf8(names: list[bytes]) -> None:
    """Files with any bytes in their names: each one named like an input is read once, in
    sorted order of its name, and its records and messages carry a valid UTF-8 name."""
    with tempfile.TemporaryDirectory() as folder:
        made = []
        for raw in names:
            name = os.fsdecode(raw + b".txt")
            with open(os.path.join(folder, name), "wb") as fh:
                fh.write(SEED_BYTES if len(made) % 2 == 0 else b"")
            made.append(name)
        items = list(sources.iter_sources([folder]))
        assert [item.path for item in items] == [  # type: ignore[union-attr]
            os.path.join(folder, name) for name in sorted(made)]
        for item in items:
            assert isinstance(item, Source)
            item.name.encode("utf-8")
            result = process(item, CTX)
            check_result(result)
            for record in result.records:
                assert record["source_file"] == item.name
                encode_record("csv", record)
                json.dumps(record, ensure_ascii=False).encode("utf-8")
            for problem in result.problems:
                assert "\n" not in problem.message()
                problem.message().encode("utf-8")
