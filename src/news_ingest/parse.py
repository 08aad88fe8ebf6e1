"""Parse stage: text + layout -> ``RawArticle`` (strings cut as found, nothing normalised away).

One generic engine per layout *kind*, driven entirely by the layout's data:

* ``lines``: one article per file, read line by line. Each line is, in this order of tests,
  chrome or boilerplate (dropped, with the rule's name), a labelled field, the start of the
  "read also" section, an inline related-links marker, an embedded post's signature, or body.
* ``tagged``: ``<DOC>…</DOC>`` elements (one or many per file), each tag mapped to a field.

Every non-blank input line is accounted for in ``RawArticle.lines``.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator

from .dates import read_date
from .errors import ParseError
from .layouts import Layout, LayoutSet
from .model import LineUse, RawArticle, RawEmbed, RawItem
from .text import clean_line, clean_lines

#: How many lines from the start and the end of a text detection looks at.
DETECT_HEAD_LINES = 400
DETECT_TAIL_LINES = 100

_URL = re.compile(r"https?://\S+")
_TRAILING_CLOSERS = "\"'”’»)]}› "


def prepare_lines(text: str) -> list[str]:
    """Stored-form lines of a text; a line of only (no-break) spaces becomes ''."""
    return clean_lines(text)


def detection_sample(lines: list[str]) -> list[str]:
    """The non-blank lines detection scores: the head and the tail of the text."""
    if len(lines) > DETECT_HEAD_LINES + DETECT_TAIL_LINES:
        lines = lines[:DETECT_HEAD_LINES] + lines[-DETECT_TAIL_LINES:]
    return [line for line in lines if line]


def parse_text(text: str, layouts: LayoutSet, layout_name: str | None = None) -> list[RawArticle]:
    """Parse one source text into raw articles with the named layout, or the detected one."""
    lines = prepare_lines(text)
    if not any(lines):
        raise ParseError("holds no text (empty or only white space)")
    layout = layouts.get(layout_name) if layout_name else layouts.detect(detection_sample(lines))
    return parse_lines(lines, layout)


def parse_lines(lines: list[str], layout: Layout) -> list[RawArticle]:
    """Apply ``layout`` to prepared lines."""
    if layout.kind == "tagged":
        articles = list(_parse_tagged(lines, layout))
        if not articles:
            raise ParseError(f"no <{layout.spec['document']}> element found")
        if len(articles) == 1:
            articles[0].position = None  # one article per file: named like the file
            if articles[0].defect:
                raise ParseError(articles[0].defect.replace("document 1 ", ""),
                                 line=articles[0].lines[0].line)
        return articles
    return [_LinesParser(layout, lines).run()]


# --- the 'lines' engine ----------------------------------------------------------------------


def is_headline(line: str, layout: Layout) -> bool:
    """A short line that does not end like a sentence: 'الرئيس الليتواني يحذر من …'."""
    stripped = line.rstrip(_TRAILING_CLOSERS)
    if not stripped or stripped[-1] in layout.headline_end_punctuation:
        return False
    return len(line.split()) <= layout.headline_max_words


class _LinesParser:
    def __init__(self, layout: Layout, lines: list[str]) -> None:
        self.layout = layout
        self.lines = lines
        self.raw = RawArticle(layout=layout.name)
        self.in_related = False
        self.section_start: int | None = None

    def use(self, index: int, role: str, rule: str = "") -> None:
        self.raw.lines.append(LineUse(index + 1, role, rule))

    def run(self) -> RawArticle:
        raw, layout = self.raw, self.layout
        # A layout with a title field takes the labelled line; otherwise the first kept line.
        labelled_title = any(name == "title" for name, _, _ in layout.fields)
        after_title = 0  # non-blank lines since the title
        for i, line in enumerate(self.lines):
            if not line:
                continue
            if self.dropped(i, line):
                continue
            if raw.title is None and not labelled_title:
                # The first kept line is the title, unless it is plainly something else: then
                # the page has lost its headline, and no other line is promoted to one.
                if self.is_field(line) or (layout.standalone_date_within and read_date(line)):
                    raise ParseError(f"no title line: the first line ({i + 1}) is a "
                                     f"{'labelled field' if self.is_field(line) else 'date'}",
                                     line=i + 1)
                raw.title = line
                self.use(i, "title")
                continue
            after_title += 1
            if self.field(i, line):
                self.in_related = False
                if raw.title is None and "title" in raw.fields:
                    raw.title = raw.fields.pop("title")[0]
                    after_title = 0
                continue
            if layout.read_also_marker is not None and layout.read_also_marker.match(line):
                self.use(i, "read_also", "marker")
                self.section_start = i + 1
                break
            if (
                layout.standalone_date_within
                and "date" not in raw.fields
                and after_title <= layout.standalone_date_within
                and read_date(line) is not None
            ):
                raw.add("date", line)
                self.use(i, "date", "standalone_date")
                continue
            self.body_line(i, line)
        if raw.title is None:
            raise ParseError("no title line found")
        if self.section_start is not None:
            self.read_also(self.section_start)
        if not raw.paragraphs and not raw.read_also:
            raise ParseError("has a title but no article text")
        return raw

    def dropped(self, i: int, line: str) -> bool:
        layout = self.layout
        for kind, rules in (("chrome", layout.chrome), ("boilerplate", layout.boilerplate)):
            for rule in rules:
                if rule.regex.match(line):
                    self.use(i, "dropped", f"{kind}:{rule.name}")
                    return True
        return False

    def is_field(self, line: str) -> bool:
        return any(regex.match(line) for _, regex, _ in self.layout.fields)

    def field(self, i: int, line: str) -> bool:
        for name, regex, repeat in self.layout.fields:
            m = regex.match(line)
            if m is None:
                continue
            value = (m.group("value") or "").strip()
            if name == "title" and self.raw.title is not None:
                self.raw.notes.append(f"title: second title line ignored at line {i + 1}: "
                                      f"{value}")
            elif name in self.raw.fields and not repeat:
                self.raw.notes.append(f"{name}: second value ignored at line {i + 1}: {value}")
            self.raw.add(name, value)
            self.use(i, name, "field")
            return True
        return False

    def body_line(self, i: int, line: str) -> None:
        layout, raw = self.layout, self.raw
        for rule in layout.related:
            m = rule.regex.match(line)
            if m:
                rest = (m.group("rest") or "").strip()
                self.in_related = True
                if rest:
                    raw.related.append(rest)
                self.use(i, "related", rule.name)
                return
        if self.in_related and is_headline(line, layout):
            raw.related.append(line)
            self.use(i, "related", "headline-after-marker")
            return
        self.in_related = False
        for rule in layout.glued_labels:
            m = rule.regex.match(line)
            if m:
                rest = (m.group("rest") or "").strip()
                if not rest:
                    self.use(i, "dropped", f"label:{rule.name}")
                elif is_headline(rest, layout):
                    raw.related.append(rest)
                    self.use(i, "related", rule.name)
                else:
                    self.paragraph(i, rest, f"label:{rule.name}")
                return
        self.paragraph(i, line)

    def paragraph(self, i: int, line: str, rule: str = "") -> None:
        """Body text, after taking out embedded posts whose signature is on this line."""
        raw = self.raw
        for embed in self.layout.embeds:
            m = embed.regex.search(line)
            if m is None:
                continue
            before, after = line[: m.start()].strip(), line[m.end() :].strip()
            text = before
            if not text and raw.paragraphs and _URL.search(raw.paragraphs[-1]):
                text = raw.paragraphs.pop()
                for use in reversed(raw.lines):
                    if use.role == "body":
                        use.role, use.rule = "embed", embed.name
                        break
            url = None
            urls = _URL.findall(text)
            if urls:
                url = urls[-1]
                text = text[: text.rfind(url)].strip()
            raw.embeds.append(
                RawEmbed(
                    kind=embed.name,
                    text=text,
                    url=url,
                    author=(m.group("author") or "").strip() or None
                    if "author" in m.groupdict() else None,
                    handle=m.group("handle") if "handle" in m.groupdict() else None,
                    date_raw=m.group("date") if "date" in m.groupdict() else None,
                )
            )
            self.use(i, "embed", embed.name)
            if after:
                self.paragraph(i, after, rule)
            return
        raw.paragraphs.append(line)
        self.use(i, "body", rule)

    def read_also(self, start: int) -> None:
        """Appended articles: a headline, maybe a byline, then paragraphs; repeat."""
        layout, raw = self.layout, self.raw
        item: RawItem | None = None
        for i in range(start, len(self.lines)):
            line = self.lines[i]
            if not line or self.dropped(i, line):
                continue
            if item is None or (item.paragraphs and is_headline(line, layout)):
                item = RawItem(title=line)
                raw.read_also.append(item)
                self.use(i, "read_also.title")
                continue
            if not item.paragraphs and item.byline is None:
                m = next((m for p in layout.bylines if (m := p.match(line))), None)
                if m is not None:
                    item.byline = line
                    item.outlet = ((m.group("outlet") or "").strip() or None
                                   if "outlet" in m.groupdict() else None)
                    self.use(i, "read_also.byline")
                    continue
            item.paragraphs.append(line)
            self.use(i, "read_also.body")
        # A 'headline' with no text after it, at the end of the page, was most likely the last
        # paragraph of the item before, cut off before its full stop: it goes back there.
        if len(raw.read_also) > 1 and not raw.read_also[-1].paragraphs \
                and raw.read_also[-1].byline is None:
            last = raw.read_also.pop()
            raw.read_also[-1].paragraphs.append(last.title)
            use = next(u for u in reversed(raw.lines) if u.role == "read_also.title")
            use.role = "read_also.body"
            raw.notes.append(f"read_also: line {use.line} has no text after it; kept as the "
                             "last paragraph of the item before (page cut off?)")


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


def _parse_tagged(lines: list[str], layout: Layout) -> Iterator[RawArticle]:
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
