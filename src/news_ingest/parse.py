"""Parse stage: text + layout -> ``RawArticle`` (strings cut as found, nothing normalised away).

One generic engine per layout *kind*, driven entirely by the layout's data:

* ``lines``: one article per file, read line by line, in three steps (docs/layouts.md). Each
  line is first classified by the layout's patterns alone: chrome or boilerplate (dropped, with
  the rule's name), an update stamp, an end marker, a labelled field, the start of the "read
  also" section, or text. Then the text's start (the first paragraph) and the headline are
  found. Last, every line is walked in order: furniture above the headline, the header between
  it and the text (date line, byline, credit, subtitle, captions), the body (inline related
  links, glued labels, embedded posts), what follows the text's end.
* ``tagged``: ``<DOC>…</DOC>`` elements (one or many per file), each tag mapped to a field.

Every non-blank input line is accounted for in ``RawArticle.lines``.

Its length (about 950 lines) is earned by keeping one engine in one place: the line tests of
a ``lines`` layout are an ordered cascade whose order is the behaviour, tuned against real
pages, and the tagged scanner is one linear pass; splitting either would spread one
decision over modules. Its public functions (``parse_text``, ``parse_lines``,
``prepare_lines``, ``detection_sample``) are what the rest of the tool relies on.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import attrgetter

from . import mojibake
from .errors import ParseError
from .layouts import Layout, LayoutSet
from .model import LineUse, RawArticle, RawEmbed, RawItem
from .text import clean_line, clean_lines, match_key

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
    """Parse one source text into raw articles with the named layout, or the detected one.

    Lines garbled by a wrong code page are repaired first (``mojibake``), and said so in every
    article's notes; so is a text that no site layout claimed and the fallback layout parsed.
    """
    text, notes = mojibake.repair(text)
    lines = prepare_lines(text)
    if not any(lines):
        raise ParseError("holds no text (empty or only white space)")
    layout = layouts.get(layout_name) if layout_name else layouts.detect(detection_sample(lines))
    if layout.fallback and not layout_name:
        notes.append(f"layout: no site layout matched; parsed with the {layout.name} rules")
    articles = parse_lines(lines, layout)
    if notes:
        for raw in articles:
            raw.notes[:0] = notes
    return articles


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


# A line ends like a sentence or a clause (after closing quotes and brackets): running text.
_CLAUSE_END = frozenset(".:;,،؛")
# A sentence end inside a line ('… الأوسط. 18.02.2026'), not an ellipsis ('العام.. فما').
_INNER_SENTENCE_END = re.compile(r"(?<![.…])[.!?؟][\"'”’»)\]]*\s+[^\s.…]")
_WORD_EDGES = "\"'“”‘’«»()[]{}.,،؛;:!?؟…-–—|/"
# A lead sentence's own date (see `_LinesParser.lead_dateline`): a place of one to four words
# before it, a dash, bracket or slash after it; or a sentence end before it and ', <outlet>'
# closing the paragraph after it.
_LEAD_WINDOW = 400
_DATE_LINE_CHARS = 120  # longer lines are not date lines
_DATE_LINE_WORDS = 16
_DIGIT = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")
_TODAY_REACH = 30  # 'اليوم الاثنين (' stands at most this far before the date
_DATELINE_PLACE = re.compile(r"\s*[^\W\d_]+(?:[ '’.-][^\W\d_]+){0,3}\s*[,،\-–—]\s*")
_DATELINE_AFTER = re.compile(r"\s*[,،]?\s*[\-–—(/]")
_DATELINE_TAIL = re.compile(r"\s*[,،]\s*[^\W\d_]+(?:\s[^\W\d_]+){0,3}\s*")
_BYLINE_PARTS = re.compile(r"[-–—/|,،()]")
# A place and an agency glued before the lead sentence: 'الكويت - كونا - أعلنت', 'مسقط -
# العمانية: أظهرت' (the agency must be a known outlet).
_LEAD_BYLINE = re.compile(
    r"[^\W\d_][^\-–—:/()\d]{0,25}?\s*[-–—/]\s*(?P<outlet>[^\s\-–—:/()][^\-–—:/()]{1,24}?)"
    r"\s*[-–—:]")
_SENTENCE_BEFORE = re.compile(r"[.!?؟][\"'”’»)]*[\s,،]*$")


def _group(m: re.Match[str], name: str) -> str | None:
    """The group ``name``, or, in a pattern of several alternatives, the first of ``name2``,
    ``name3``, … that matched (a regular expression cannot reuse a group name)."""
    index = m.re.groupindex
    if name not in index:
        return None
    value = m.group(name)
    k = 2
    while value is None and f"{name}{k}" in index:
        value = m.group(f"{name}{k}")
        k += 1
    return value


def _sentence(text: str) -> bool:
    """A short line that still reads as a sentence: three words or more, a final full stop."""
    stripped = text.rstrip(_TRAILING_CLOSERS)
    return len(text.split()) >= 3 and bool(stripped) and stripped[-1] in ".!?؟…"


def is_title_like(line: str, layout: Layout) -> bool:
    """A headline: between ``headline.min_words`` and ``max_words`` words, not ending like a
    sentence or a clause ('.', ':', ','), no sentence end inside. A headline may end with '?',
    '!' or '…' ('… فما هو؟')."""
    words = len(line.split())
    if not layout.headline_min_words <= words <= layout.headline_max_words:
        return False
    stripped = line.rstrip(_TRAILING_CLOSERS)
    if not stripped or (stripped[-1] in _CLAUSE_END and not stripped.endswith("..")):
        return False
    return _INNER_SENTENCE_END.search(line) is None


def is_paragraph(line: str, layout: Layout, last: bool = False) -> bool:
    """Running text, not page furniture (see ``layouts.ParagraphRules``): enough words and
    characters, and a sentence or clause end, or a long line, or a sentence end inside, or the
    text's last line (a page cut off mid-sentence); with stop-word lists, enough stop words."""
    rules = layout.paragraphs
    words = line.split()
    if len(words) < rules.min_words or len(line) < rules.min_chars:
        return False
    stripped = line.rstrip(_TRAILING_CLOSERS)
    if not (last or len(line) >= rules.long_chars or (stripped and stripped[-1] in _CLAUSE_END)
            or _INNER_SENTENCE_END.search(line)):
        return False
    if rules.stopwords:
        hits = sum(w.strip(_WORD_EDGES).casefold() in rules.stopwords for w in words)
        if hits < rules.min_stopword_density * len(words):
            return False
    return True


@dataclass(slots=True)
class _Entry:
    """One non-blank line (or the part of one that a rule's ``rest`` group left over), with
    what the layout's patterns say it is: ``drop`` (chrome, boilerplate, a stamp), ``field``,
    ``end`` (an end marker), or ``text``."""

    index: int
    text: str
    kind: str
    rule: str = ""
    name: str = ""
    value: str = ""


class _LinesParser:
    def __init__(self, layout: Layout, lines: list[str]) -> None:
        self.layout = layout
        self.lines = lines
        self.raw = RawArticle(layout=layout.name)
        self.in_related = False
        self.section_start: int | None = None
        self.unused_dates: list[str] = []  # date lines seen and not taken (for the warning)
        self.short: set[int] = set()
        self.repeated: set[str] = set()
        self.last_paragraph = -1
        self.date_lines: dict[str, bool] = {}
        self.entries_list: list[_Entry] = []
        self.captions: list[_Entry] = []
        self.bylines: list[str] = []  # bylines before the text

    def use(self, index: int, role: str, rule: str = "") -> None:
        self.raw.lines.append(LineUse(index + 1, role, rule))

    # -- phase 1: what each line is, by the layout's patterns alone

    def entries(self) -> list[_Entry]:
        out: list[_Entry] = []
        layout = self.layout
        marker = layout.read_also_marker
        joined, joined_index = layout.joined_rules, layout.joined_index
        needing = [(n, rule) for n, rule in enumerate(layout.line_rules) if rule.needs]
        for i, line in enumerate(self.lines):
            if not line:
                continue
            if marker is not None and marker.match(line):
                self.section_start = i
                break
            present = set()
            if needing:
                folded = line.casefold()
                present = {n for n, rule in needing if any(w in folded for w in rule.needs)}
            start: int | None = 0
            if joined is not None:
                found = joined.match(line)
                start = joined_index[(found.lastindex or 1) - 1] if found else None
                if start is None and not present:
                    out.append(_Entry(i, line, "text"))  # no rule matches: most lines
                    continue
            entry, rest = self.match_rules(i, line, start, present)
            if rest is None or not rest.strip():
                out.append(entry)
            else:
                out.extend(self.classify(i, line))
            if self.captions:  # a caption beside a field ('… Photo: X / AFP'): dropped by name
                out.extend(self.captions)
                self.captions.clear()
        return out

    def classify(self, i: int, line: str, depth: int = 0) -> list[_Entry]:
        """What ``line`` is. Text that a rule's ``rest`` group leaves over (glued after a label,
        or standing before an update stamp) is classified again, on the same line number."""
        entry, rest = self.match_rules(i, line)
        if rest is None or not rest.strip() or depth >= 3:
            return [entry]
        again = self.classify(i, rest.strip(), depth + 1)
        return [*again, entry] if entry.rule == "update-stamp" else [entry, *again]

    def match_rules(self, i: int, line: str, start: int | None = 0,
                    present: set[int] | None = None) -> tuple[_Entry, str | None]:
        """The first of the layout's line rules that ``line`` matches, as an entry, and the
        text the rule's ``rest`` group leaves over. ``start``: the first rule without ``needs``
        that may match (None: none does); ``present``: the rules with ``needs`` the line holds
        (None: every one, tested from the pattern alone)."""
        for n, rule in enumerate(self.layout.line_rules):
            if rule.needs:
                if present is not None and n not in present:
                    continue
            elif start is None or n < start:
                continue
            m = rule.regex.match(line)
            if not m:
                continue
            kind, name = rule.kind, rule.name
            if kind == "drop":
                return _Entry(i, line, "drop", name), _group(m, "rest")
            if kind == "update":
                before = m.group("rest")
                return _Entry(i, line[len(before):].strip(), "drop", "update-stamp"), before
            if kind == "end":
                return _Entry(i, line, "end", name), None
            if kind == "field":
                value = (_group(m, "value") or "").strip()
                caption = _group(m, "caption")
                if caption and caption.strip():
                    self.captions.append(_Entry(i, caption.strip(), "drop", "caption"))
                return _Entry(i, line, "field", "field", name, value), _group(m, "rest")
            if m.group("colon") or self.is_date_line(m.group("value")):  # a date label
                value = m.group("value").strip().rstrip(",،;")
                return _Entry(i, line, "field", "date-label", "date", value), None
        return _Entry(i, line, "text"), None

    # -- phase 2: the headline, and where the text starts

    def is_date_line(self, text: str) -> bool:
        """A line that is a date with at least a day or a year ('٠٧ نوفمبر', '15-8-2023 |
        13:37'), not a month alone. (A date line is short and holds a digit: other lines are
        not read, which keeps the cost of asking off running text.)"""
        known = self.date_lines.get(text)
        if known is None:
            known = False
            if len(text) <= _DATE_LINE_CHARS and text.count(" ") < _DATE_LINE_WORDS \
                    and _DIGIT.search(text):
                parts = self.layout.date_reader.read(text)
                known = parts is not None and parts.month is not None and \
                    (parts.day is not None or parts.year is not None)
            self.date_lines[text] = known
        return known

    def above_date(self, head: list[_Entry]) -> int | None:
        """The headline-like line just above the date label (or, with no label, the first date
        line), past dropped lines; None when there is no date or no such line above it."""
        dates = [n for n, e in enumerate(head) if e.kind == "field" and e.name == "date"] or [
            n for n, e in enumerate(head) if e.kind == "text" and self.is_date_line(e.text)]
        if not dates:
            return None
        above = next((k for k in range(dates[0] - 1, -1, -1) if head[k].kind != "drop"), None)
        if above is not None and head[above].kind == "text" \
                and is_title_like(head[above].text, self.layout) \
                and self.byline(head[above].text) is None and not self.is_date_line(
                    head[above].text):
            return above
        return None

    def dated(self, head: list[_Entry], n: int) -> bool:
        """Whether a date, a label or a byline comes right after ``head[n]`` (past copies of it
        and one short line such as an author's name or a credit)."""
        short_lines = 0
        for e in head[n + 1:]:
            if e.kind == "drop" or (e.kind == "text" and e.text == head[n].text):
                continue
            if e.kind == "field" or self.is_date_line(e.text) or self.byline(e.text) is not None:
                return True
            if e.kind != "text" or len(e.text.split()) > 3 or short_lines:
                return False
            short_lines += 1
        return False

    def menu_line(self, text: str) -> bool:
        """A menu on one line, in a cased script: four words or more, each capitalised, hardly
        any a stop word ('News Opinion Sport Culture Lifestyle'); a headline has some."""
        stopwords = self.layout.paragraphs.stopwords
        if not stopwords or (text[:1].isalpha() and not text[:1].isupper()):
            return False
        words = [w for w in text.split() if any(c.isalpha() for c in w)]
        if len(words) < 4 or not all(
                next(c for c in w if c.isalpha()).isupper() for w in words):
            return False
        # (jusText's lists hold frequent content words too: 'World' may be one.)
        return sum(w.casefold() in stopwords for w in words) < 0.2 * len(words)

    @staticmethod
    def menu_after(head: list[_Entry], n: int) -> bool:
        """Whether a menu (three or more lines of one or two words in a row) follows
        ``head[n]`` before the text: the headline stands below the site's menus."""
        run = 0
        for e in head[n + 1:]:
            if e.kind == "drop":
                continue
            run = run + 1 if e.kind == "text" and len(e.text.split()) <= 2 else 0
            if run >= 3:
                return True
        return False

    def past_standfirst(self, entries: list[_Entry], texts: list[int], body_start: int,
                        is_text: Callable[[int], bool]) -> int:
        """Where the text starts when its first paragraph is a standfirst: a paragraph that a
        label or a byline (the date, the author) follows before the next paragraph."""
        following = next((n for n in texts if n > body_start and is_text(n)), None)
        if following is None:
            return body_start
        between = entries[body_start + 1:following]
        if any(e.kind == "field" or (e.kind == "text" and self.byline(e.text) is not None)
               for e in between):
            return following
        return body_start

    def byline(self, text: str) -> re.Match[str] | None:
        return next((m for p in self.layout.header_bylines if (m := p.match(text))), None)

    def choose_title(self, entries: list[_Entry], first_paragraph: int,
                     body_start: int) -> int | None:
        """Index (in ``entries``) of the headline, or None.

        ``first_line``: the first kept line, unless it is a labelled field or a date.
        ``headline``: with ``headline.above_date``, the line just above the date label. Else
        headline-like lines before the first paragraph, in runs of adjacent ones (a headline,
        its copy, a subtitle, the captions under it; a dropped line, a label or any other line
        ends a run); the first line of the run with the most evidence: printed twice, a date, a
        label or a byline right after the run, a long first line, the run nearest the text, and
        no menu between it and the text (a site's slogan stands above its menu). Never a
        paragraph, a date line or a byline.
        """
        layout = self.layout
        if any(name == "title" for name, _, _ in layout.fields):
            return None  # a labelled title
        if layout.title_mode == "first_line":
            for n, entry in enumerate(entries):
                if entry.kind in ("drop", "end"):
                    continue
                if entry.kind != "text" or (layout.standalone_date_within
                                            and self.is_date_line(entry.text)):
                    what = "date" if entry.kind == "text" else "labelled field"
                    self.raw.notes.append(
                        f"title: no headline: the first line ({entry.index + 1}) is a {what}")
                    return None
                return n
            return None
        head = entries[:body_start]
        if layout.headline_above_date:  # the site's own rule: the line just above its date
            above = self.above_date(head)
            if above is not None:
                return above
        runs: list[list[int]] = []
        after_candidate = False
        for n, entry in enumerate(entries[:first_paragraph]):
            candidate = entry.kind == "text" and is_title_like(entry.text, layout) \
                and not self.is_date_line(entry.text) and self.byline(entry.text) is None \
                and not self.menu_line(entry.text)
            if candidate and after_candidate:
                runs[-1].append(n)
            elif candidate:
                runs.append([n])
            after_candidate = candidate
        best: tuple[int, int] | None = None
        for k, run in enumerate(runs):
            first, last = run[0], run[-1]
            score = 3 if any(entries[n].text in self.repeated for n in run) else 0
            score += 2 * self.dated(head, last)
            score += len(entries[first].text.split()) >= 5
            score += 2 * (k == len(runs) - 1)  # the run nearest the text
            score -= 3 * self.menu_after(head, last)
            if best is None or score > best[0]:
                best = (score, first)
        if best is None:
            return None
        # The headline printed twice: its first print (what stands between is its subtitle).
        text = entries[best[1]].text
        return next(run[0] for run in runs if entries[run[0]].text == text)

    # -- phase 3: every line in order

    def run(self) -> RawArticle:
        raw, layout = self.raw, self.layout
        entries = self.entries_list = self.entries()
        texts = [n for n, e in enumerate(entries) if e.kind == "text"]
        # The last line of a page cut off mid-sentence is running text too, unless it is the
        # page's only line.
        last_text = texts[-1] if len(texts) > 1 and self.section_start is None else None
        def is_text(n: int) -> bool:
            return is_paragraph(entries[n].text, layout, last=n == last_text) \
                and not self.is_date_line(entries[n].text)

        page_rules = layout.paragraphs.drop_trailing  # a page: furniture around the text
        body_start = next((n for n in texts if is_text(n)), None)
        if body_start is None and page_rules:
            # No running text: a short item still starts at its first sentence; a page of
            # furniture alone (a menu, a list of links) is not an article.
            body_start = next((n for n in texts if _sentence(entries[n].text)), None)
            if body_start is None and self.section_start is None:
                raise ParseError(f"no line reads as article text (the {layout.name} layout "
                                 "needs a sentence or a paragraph)")
        if body_start is None:
            body_start = len(entries)
        first_paragraph = body_start
        if page_rules and body_start < len(entries):
            body_start = self.past_standfirst(entries, texts, body_start, is_text)
        seen: set[str] = set()
        for entry in entries[:body_start]:
            if entry.kind == "text":
                (self.repeated if entry.text in seen else seen).add(entry.text)
        title_at = self.choose_title(entries, first_paragraph, body_start)
        if title_at is not None:
            raw.title = entries[title_at].text
        # The article ends at the first end marker after its text has started.
        end_at = next((n for n, e in enumerate(entries) if e.kind == "end" and n > body_start),
                      len(entries))
        if page_rules:
            self.last_paragraph = next(
                (n for n in reversed(texts) if body_start <= n < end_at and (
                    n == body_start or is_text(n))), -1)
        self.short = self.short_runs(entries, body_start, end_at)
        after_title = 0  # non-blank lines since the title
        for n, entry in enumerate(entries):
            i = entry.index
            if n >= end_at:
                self.use(i, "dropped", f"trailer:{entries[end_at].rule}")
            elif entry.kind == "drop":
                self.use(i, "dropped", entry.rule)
                if entry.rule == "update-stamp":
                    self.unused_dates.append(f"'{entry.text}' (a last-update stamp)")
            elif entry.kind == "end":
                self.use(i, "dropped", f"marker-before-text:{entry.rule}")
            elif n == title_at:
                self.use(i, "title")
            elif entry.kind == "field":
                after_title += title_at is not None and n > title_at
                self.field(i, entry)
            elif title_at is not None and n < title_at:  # site furniture above the headline
                if self.is_date_line(entry.text):
                    self.unused_dates.append(f"'{entry.text}' (above the headline)")
                self.use(i, "dropped", "above-title")
            else:
                after_title += 1
                self.text_line(n, entry, body_start, after_title)
        if raw.title is None and "title" in raw.fields:
            raw.title = raw.fields.pop("title")[0] or None
        if raw.title is None:
            raw.notes.append("title: no headline found")
        self.finish()
        return raw

    def text_line(self, n: int, entry: _Entry, body_start: int, after_title: int) -> None:
        """One text line after the headline (or any text line of a page without one)."""
        raw, layout, i, text = self.raw, self.layout, entry.index, entry.text
        if raw.title is not None and n < body_start and not raw.paragraphs \
                and not raw.related and text.casefold() == raw.title.casefold():
            self.use(i, "dropped", "repeated-title")
            return
        if self.is_date_line(text):
            # Beside the headline: within `standalone_date.within` lines of it (with the page
            # rules: anywhere between it and the text); with no headline, just before the text.
            if raw.title is not None:
                beside = after_title <= layout.standalone_date_within or (
                    layout.paragraphs.drop_trailing and n < body_start)
            else:
                beside = self.just_before_text(n, body_start)
            if "date" not in raw.fields and layout.standalone_date_within and beside:
                raw.add("date", text)
                self.use(i, "date", "standalone_date")
            else:
                self.unused_dates.append(f"'{text}'")
                self.use(i, "dropped", "date-stamp")
            return
        if n < body_start:
            m = self.byline(text)
            if m is not None:
                outlet = (m.groupdict().get("outlet") or "").strip() or next(
                    (part.strip() for part in _BYLINE_PARTS.split(text)
                     if part.strip() and self.is_outlet(part)), "")
                if outlet:
                    raw.add("source", outlet)
                self.bylines.append(text)
                self.use(i, "byline", "byline")
                return
            if layout.credit_max_words or layout.summary_min_words:
                self.header_line(i, text)
                return
        if n in self.short:
            self.use(i, "dropped", "short-run")
            return
        if layout.paragraphs.drop_trailing and n > self.last_paragraph >= 0 \
                and not _sentence(text):
            self.use(i, "dropped", "after-body")
            return
        self.body_line(i, text)

    def just_before_text(self, n: int, body_start: int) -> bool:
        """With no headline: whether line ``n`` stands in the text's own header, with at most
        three lines (a byline, a credit, a caption) between it and the first paragraph."""
        between = [e for e in self.entries_list[n + 1:body_start] if e.kind != "drop"]
        return n < body_start and len(between) <= 3 and all(
            e.kind == "field" or len(e.text.split()) <= 12 for e in between)

    def header_line(self, i: int, text: str) -> None:
        """A line between the headline and the text: a credit naming the outlet, a subtitle
        (the record's summary), or a photo caption."""
        raw, layout = self.raw, self.layout
        words = text.split()
        if len(words) <= layout.credit_max_words and "source" not in raw.fields \
                and self.is_outlet(text):
            raw.add("source", text)
            self.use(i, "source", "credit-line")
        elif layout.summary_min_words and len(words) >= layout.summary_min_words \
                and "summary" not in raw.fields and text not in self.repeated:
            raw.add("summary", text)
            self.use(i, "summary", "subtitle")
        else:
            self.use(i, "dropped", "caption")

    def short_runs(self, entries: list[_Entry], body_start: int, end_at: int) -> set[int]:
        """Runs of very short lines inside the text (menus, tag lists, categories): at least
        ``paragraphs.short_run`` text lines in a row of at most three words each."""
        size = self.layout.paragraphs.short_run
        found: set[int] = set()
        if not size:
            return found
        run: list[int] = []
        for n in range(body_start, end_at + 1):
            entry = entries[n] if n < end_at else None
            if entry is not None and entry.kind == "drop":
                continue
            if entry is not None and entry.kind == "text" and len(entry.text.split()) <= 3 \
                    and not _sentence(entry.text) and not self.is_date_line(entry.text):
                run.append(n)
                continue
            if len(run) >= size:
                found.update(run)
            run = []
        return found

    def finish(self) -> None:
        raw, layout = self.raw, self.layout
        if self.section_start is not None:
            self.use(self.section_start, "read_also", "marker")
            self.read_also(self.section_start + 1)
        if "date" not in raw.fields and layout.lead_dateline and raw.paragraphs:
            self.lead_dateline(raw.paragraphs[0])
        if "source" not in raw.fields and raw.paragraphs:
            lead = raw.paragraphs[0][:_LEAD_WINDOW]
            m = next((m for p in layout.dateline_outlets if (m := p.match(lead))), None)
            outlet = m.group("outlet").strip() if m is not None else ""
            if not outlet and layout.outlets:  # 'الكويت - كونا - أعلنت': a known agency
                glued = _LEAD_BYLINE.match(lead)
                if glued is not None and self.is_outlet(glued.group("outlet")):
                    outlet = glued.group("outlet").strip()
            if outlet:
                raw.add("source", outlet)
                raw.notes.append("outlet: named by the lead sentence's dateline")
        for byline in self.bylines:  # 'بغداد اليوم – بغداد لم تعد …': the next article begins
            key = match_key(byline)
            for n, paragraph in enumerate(raw.paragraphs[1:], 2):
                if key and match_key(paragraph[:len(byline) + 8]).startswith(key + " "):
                    raw.notes.append(f"body: paragraph {n} starts with the page's byline again "
                                     f"('{byline}'): another article glued on?")
                    break
        if "date" not in raw.fields and self.unused_dates:
            seen = ", ".join(self.unused_dates[:3])
            raw.notes.append(f"date: no publication date stated; seen, not taken: {seen}")
        if any(a.line > b.line for a, b in zip(raw.lines, raw.lines[1:], strict=False)):
            raw.lines.sort(key=attrgetter("line"))
        if not raw.paragraphs and not raw.read_also:
            raise ParseError("has no article text" if raw.title is None
                             else "has a title but no article text")

    def lead_dateline(self, lead: str) -> None:
        """A date the lead sentence gives as its own: a dateline at its start ('القاهرة - 3
        مارس 2024 (أ ش أ) -', 'PARIS, 3 mars 2024 (AFP) -'), a date and an outlet closing it
        ('…, 18.02.2026, سبوتنيك عربي'), or 'today' named with a weekday that falls on the date
        ('اليوم الاثنين (21 آب 2023)'). Only the lead's first date can be such a date."""
        reader = self.layout.date_reader
        found = reader.find(lead[:_LEAD_WINDOW])
        if not found:
            return
        parts = found[0]
        if parts.iso() is None or parts.ambiguous:
            return
        before, after, written = lead[:parts.start], lead[parts.end:], lead[parts.start:parts.end]
        kind = None
        if _DATELINE_PLACE.fullmatch(before) and _DATELINE_AFTER.match(after):
            kind = "a dateline"
        elif _DATELINE_TAIL.fullmatch(after) and _SENTENCE_BEFORE.search(before):
            kind = "a date and outlet closing it"
        else:
            named = reader.named_today(before[-_TODAY_REACH:] + written)
            if named is not None and named.weekday is not None and not named.weekday_disagrees():
                kind = "'today' with a weekday that falls on it"
        if kind is not None:
            self.raw.add("date", written)
            self.raw.notes.append(f"date: taken from the lead sentence ({kind}: '{written}')")

    def is_outlet(self, text: str) -> bool:
        """A name of the layout's known outlets ('رويترز', 'واس', 'Reuters')."""
        return bool(self.layout.outlets) and match_key(text) in self.layout.outlets

    def dropped(self, i: int, line: str) -> bool:
        """A chrome or boilerplate line (in the read-also section), accounted for."""
        layout = self.layout
        for kind, rules in (("chrome", layout.chrome), ("boilerplate", layout.boilerplate)):
            for rule in rules:
                if rule.regex.match(line):
                    self.use(i, "dropped", f"{kind}:{rule.name}")
                    return True
        return False

    def field(self, i: int, entry: _Entry) -> None:
        name, value = entry.name, entry.value
        repeat = any(n == name and r for n, _, r in self.layout.fields)
        self.in_related = False
        if name == "title" and self.raw.title is not None:
            self.raw.notes.append(f"title: second title line ignored at line {i + 1}: {value}")
        elif name in self.raw.fields and not repeat:
            self.raw.notes.append(f"{name}: second value ignored at line {i + 1}: {value}")
        self.raw.add(name, value)
        self.use(i, name, entry.rule)
        if name == "author" and self.is_outlet(value):  # 'By Reuters'
            self.raw.add("source", value)

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
