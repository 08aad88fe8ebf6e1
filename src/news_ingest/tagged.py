"""The ``tagged`` engine: TREC/CLEF-style ``<DOC>…</DOC>`` dumps, one or many articles per
file, each tag mapped to a field by the layout (docs/layouts.md).

Stage: parse (``parse.parse_lines`` calls ``parse_tagged``).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator

from .layouts import Layout
from .model import LineUse, RawArticle
from .text import clean_line

# --- the 'tagged' engine ---------------------------------------------------------------------
#
# Tags are found by a small scanner rather than by one regular expression per element: a
# pattern such as ``<(TITLE)(\s[^>]*)?>(.*?)</\1\s*>`` rescans to the end of the text from
# every opening tag that is never closed (or never ends in ``>``), so 80 KB of ``<TITLE>`` or
# ``<a `` took 10-40 s. The scanner finds the same matches (``tests/test_parse_tagged.py``
# checks it against those patterns) and remembers, for the text it is given, where the next
# ``>`` and the next closing tag of each name are: every character is looked at a bounded
# number of times.


class _Opening:
    """An opening tag found by ``_TagScanner``: where it starts and ends, its name as written
    and its attribute text (``None`` for a bare ``<NAME>``)."""

    __slots__ = ("attrs", "end", "name", "start")

    def __init__(self, start: int, end: int, name: str, attrs: str | None) -> None:
        self.start, self.end, self.name, self.attrs = start, end, name, attrs


class _TagScanner:
    r"""Opening tags and elements of the names ``names`` (a regex alternation, 'TITLE|HEADLINE';
    any case, with or without attributes) in one text, each query linear in the text's length.

    ``openings()`` finds what ``<(names)(\s[^>]*)?>`` finds with ``finditer``; ``elements()``
    what ``<(names)(\s[^>]*)?>(.*?)</\1\s*>`` (dot matching newlines) finds.
    """

    def __init__(self, text: str, name_at: re.Pattern[str]) -> None:
        self.text = text
        self.name_at = name_at  # '<' + a name followed by white space or '>'
        self._gt = (-1, -1)  # (searched from, first '>' found there or -1): none searched yet
        # name (case-folded) -> (searched from, start and end of the closing tag found, or None)
        self._closers: dict[str, tuple[int, tuple[int, int] | None]] = {}

    def _next_gt(self, pos: int) -> int:
        """The first '>' at or after ``pos`` (-1: none); asked with ``pos`` growing, so the text
        between two '>' is searched once."""
        since, found = self._gt
        if 0 <= since <= pos and (found == -1 or found >= pos):
            return found
        found = self.text.find(">", pos)
        self._gt = (pos, found)
        return found

    def _opening_at(self, m: re.Match[str]) -> _Opening | None:
        """The whole opening tag whose name ``m`` found; None when no '>' ends it."""
        name_end = m.end()
        if self.text.startswith(">", name_end):
            return _Opening(m.start(), name_end + 1, m.group(1), None)
        gt = self._next_gt(name_end)
        if gt < 0:
            return None
        return _Opening(m.start(), gt + 1, m.group(1), self.text[name_end:gt])

    def openings(self) -> Iterator[_Opening]:
        """Opening tags, left to right, not overlapping."""
        pos = 0
        while (m := self.name_at.search(self.text, pos)) is not None:
            tag = self._opening_at(m)
            if tag is None:
                return  # no '>' after this one: none after it can end either
            yield tag
            pos = tag.end

    def first_opening(self) -> _Opening | None:
        return next(self.openings(), None)

    def _closer(self, name: str, pos: int) -> tuple[int, int] | None:
        r"""Start and end of the first ``</name\s*>`` at or after ``pos`` (``pos`` only grows
        between calls for one name, so each stretch of text is searched once)."""
        key = name.casefold()
        known = self._closers.get(key)
        if known is not None:
            since, found = known
            if found is None and since <= pos:
                return None
            if found is not None and since <= pos <= found[0]:
                return found
        m = _closing(name).search(self.text, pos)
        found = (m.start(), m.end()) if m else None
        self._closers[key] = (pos, found)
        return found

    def elements(self) -> Iterator[tuple[_Opening, str]]:
        """Elements (opening tag, text inside), left to right, not overlapping. An opening tag
        never closed is passed over, as a regex search passes over it."""
        pos = 0
        while (m := self.name_at.search(self.text, pos)) is not None:
            tag = self._opening_at(m)
            if tag is None:
                return
            close = self._closer(tag.name, tag.end)
            if close is None:
                pos = m.start() + 1
                continue
            yield tag, self.text[tag.end: close[0]]
            pos = close[1]

    def first_element(self) -> tuple[_Opening, str] | None:
        return next(self.elements(), None)


@functools.lru_cache(maxsize=256)
def _closing(name: str) -> re.Pattern[str]:
    """The closing tag of the element named ``name`` as written (any case)."""
    return re.compile(rf"</{re.escape(name)}\s*>", re.I)


def _name_at(names: str) -> re.Pattern[str]:
    """'<' and one of ``names`` ('TITLE|HEADLINE'), any case, followed by white space or '>'."""
    return re.compile(rf"<({names})(?=[\s>])", re.I)


_ID_ATTRIBUTE = re.compile(r"""\bid\s*=\s*["']?([^"'\s>]+)""", re.I)


def _tagged_text(value: str) -> str:
    return clean_line(html.unescape(" ".join(value.split("\n"))))


#: Any opening tag's name (for naming the elements a layout does not map).
_ANY_NAME_AT = re.compile(r"<([A-Za-z][\w.-]*)(?=[\s>])")


def _tag_names(spec: str) -> set[str]:
    return {name.upper() for name in spec.split("|")}


@functools.lru_cache(maxsize=64)
def _tagged_patterns(
    names: str, tag_items: tuple[tuple[str, str], ...], para_tag: str | None
) -> tuple[re.Pattern[str], re.Pattern[str], dict[str, re.Pattern[str]],
           re.Pattern[str] | None, frozenset[str]]:
    """What a tagged layout compiles to, once per layout rather than once per file: document
    opener (name) and closer, the name of each field's element, the paragraph element's name,
    and the tag names the layout maps."""
    opener = _name_at(names)
    closer = re.compile(rf"</(?:{names})\s*>", re.I)
    tags = {name: _name_at(tag) for name, tag in tag_items}
    para = _name_at(para_tag) if para_tag else None
    mapped = _tag_names(names) | {n for _, t in tag_items for n in _tag_names(t)}
    if para_tag:
        mapped |= _tag_names(para_tag)
    return opener, closer, tags, para, frozenset(mapped)


def parse_tagged(lines: list[str], layout: Layout) -> Iterator[RawArticle]:
    """Document elements of a TREC/CLEF-style dump; tags map to fields as the layout says.

    A document runs from its opening tag to its closing tag, or, when that is missing (a file
    cut off, a broken dump), to the next opening tag, with a warning: one unclosed document
    never swallows the next. Elements the layout does not map are named in a warning.
    """
    text = "\n".join(lines)
    opener, closer, tags, para, mapped = _tagged_patterns(
        layout.spec["document"], tuple(layout.spec["tags"].items()), layout.spec.get("paragraph"))
    starts = list(_TagScanner(text, opener).openings())
    line_no, offset = 1, 0
    for position, m in enumerate(starts, 1):
        line_no += text.count("\n", offset, m.start)
        offset = m.start
        limit = starts[position].start if position < len(starts) else len(text)
        raw = RawArticle(layout=layout.name, position=position)
        raw.lines.append(LineUse(line_no, "document", layout.spec["document"]))
        close = closer.search(text, m.end, limit)
        inner = text[m.end: close.start() if close else limit]
        if close is None:
            raw.notes.append(f"document: no closing tag for <{m.name}> "
                             "(cut off?); read to the next document or the end")
        for name, name_at in tags.items():
            scanner = _TagScanner(inner, name_at)
            found = scanner.first_element()
            if found is not None:
                value = found[1]
            elif (unclosed := scanner.first_opening()) is not None:  # cut off: keep what is there
                value = inner[unclosed.end:]
                raw.notes.append(f"document: no closing tag for <{unclosed.name}> (cut off?)")
            else:
                continue
            if name == "body":
                parts = [p for _, p in _TagScanner(value, para).elements()] if para else []
                if parts:  # one paragraph per element; its hard-wrapped lines joined
                    raw.paragraphs.extend(t for t in map(_tagged_text, parts) if t)
                else:  # no paragraph elements: one paragraph per line
                    for line in value.split("\n"):
                        if line := clean_line(html.unescape(line)):
                            raw.paragraphs.append(line)
            elif name == "title":
                raw.title = _tagged_text(value) or None
            elif value := _tagged_text(value):
                raw.add(name, value)
        found_names = {tag.name.upper() for tag in _TagScanner(inner, _ANY_NAME_AT).openings()}
        unmapped = sorted(found_names - mapped)
        if unmapped:
            listed = ", ".join(f"<{n}>" for n in unmapped)
            raw.notes.append(f"layout: {listed} not mapped to a field by the layout; dropped")
        if "doc_id" not in raw.fields and m.attrs:
            attr = _ID_ATTRIBUTE.search(m.attrs)
            if attr:
                raw.add("doc_id", attr.group(1))
        if raw.title is None:
            raw.defect = f"document {position} has no title"
        elif not raw.paragraphs:
            raw.defect = f"document {position} has no body text"
        yield raw
