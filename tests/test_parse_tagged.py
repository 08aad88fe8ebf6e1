"""The tagged engine's tag scanner: the same matches as the regular expressions it replaced,
in linear time on markup that is never closed (issue 12, class 1).

The patterns below are the ones ``tagged.parse_tagged`` used until the scanner replaced them;
they stay here as the oracle: hypothesis feeds both tag soup (names in any case, attributes,
stray ``<`` and ``>``, closings with and without spaces) and compares every match.
"""

from __future__ import annotations

import re
import time

from hypothesis import given
from hypothesis import strategies as st

from news_ingest.layouts import LayoutSet
from news_ingest.parse import parse_lines, prepare_lines
from news_ingest.tagged import _ANY_NAME_AT, _name_at, _TagScanner

TREC = LayoutSet.load(()).get("trec")


def old_element(names: str) -> re.Pattern[str]:
    return re.compile(rf"<({names})(\s[^>]*)?>(.*?)</\1\s*>", re.S | re.I)


def old_opening(names: str) -> re.Pattern[str]:
    return re.compile(rf"<({names})(\s[^>]*)?>", re.I)


OLD_ANY_OPENING = re.compile(r"<([A-Za-z][\w.-]*)(?:\s[^>]*)?>")

NAMES = ["TITLE|HEADLINE", "P", "DOC", "TEXT|BODY", "DATE|DATETIME"]

soup = st.lists(st.sampled_from([
    "<", ">", "/", " ", "\n", "\t", "x", "ب", "=", '"', "id", "TITLE", "title", "Headline",
    "P", "p", "DOC", "doc", "DATE", "DATETIME", "a", "-", ".", "<TITLE>", "</TITLE>",
    "</title >", "<P>", "</P>", "<DOC ", "</DOC>", "<a ", "</", "<p x=1>", "<DATETIME>",
    "</DATE>", "</DATETIME >",
]), max_size=40).map("".join)


@given(soup, st.sampled_from(NAMES))
def test_scanner_finds_what_the_regular_expressions_found(text: str, names: str) -> None:
    scanner = _TagScanner(text, _name_at(names))
    found = [(t.start, t.end, t.name, t.attrs) for t in scanner.openings()]
    expected = [(m.start(), m.end(), m.group(1), m.group(2))
                for m in old_opening(names).finditer(text)]
    assert found == expected
    elements = [(t.start, t.name, t.attrs, inside) for t, inside in
                _TagScanner(text, _name_at(names)).elements()]
    assert elements == [(m.start(), m.group(1), m.group(2), m.group(3))
                        for m in old_element(names).finditer(text)]
    first = _TagScanner(text, _name_at(names)).first_element()
    old_first = old_element(names).search(text)
    assert (first is None) == (old_first is None)
    if first is not None and old_first is not None:
        assert (first[0].start, first[1]) == (old_first.start(), old_first.group(3))
    any_names = [t.name for t in _TagScanner(text, _ANY_NAME_AT).openings()]
    assert any_names == OLD_ANY_OPENING.findall(text)


def test_scanner_on_a_closed_element_with_attributes() -> None:
    text = 'x <Title id="7">عنوان</TITLE > <title>two</title>'
    tag, inside = _TagScanner(text, _name_at("TITLE|HEADLINE")).first_element()  # type: ignore[misc]
    assert (tag.name, tag.attrs, inside) == ("Title", ' id="7"', "عنوان")


#: Markup that is never closed, 80 KB of it: each took 10-40 s with the regular expressions
#: (every opening rescanned the rest of the text); the scanner takes a few hundredths.
UNCLOSED = {
    "document opening without '>'": "<DOC " * 16_000,
    "title never closed": "<DOC>\n<DOCNO>1</DOCNO>\n" + "<TITLE>" * 11_000,
    "title opening without '>'": "<DOC>\n<DOCNO>1</DOCNO>\n" + "<TITLE " * 11_000,
    "paragraph never closed": "<DOC>\n<TITLE>t</TITLE><TEXT>" + "<P>" * 26_000,
    "link opening without '>'": "<DOC>\n<TITLE>t</TITLE><TEXT>x" + "<a " * 26_000,
}


def test_unclosed_markup_is_parsed_in_linear_time() -> None:
    """The bound is generous for CI (the scanner needs ~0.1 s for all five)."""
    for case, text in UNCLOSED.items():
        lines = prepare_lines(text)
        started = time.perf_counter()
        try:
            articles = parse_lines(lines, TREC)
        except Exception as exc:  # no document, no title: a named problem is fine
            articles = [exc]
        elapsed = time.perf_counter() - started
        assert elapsed < 2.0, f"{case}: {elapsed:.1f} s"
        assert articles, case


def test_unclosed_paragraphs_keep_their_text() -> None:
    """An unclosed <P> is not a paragraph element: the body is read line by line, as before."""
    text = "<DOC>\n<TITLE>عنوان</TITLE>\n<TEXT>\n<P>أول\n<P>ثان\n</TEXT>\n</DOC>"
    (article,) = parse_lines(prepare_lines(text), TREC)
    assert article.title == "عنوان"
    assert article.paragraphs == ["<P>أول", "<P>ثان"]
