"""How a ``lines`` layout reads the head of a page: the headline, the date beside it, bylines,
credits, subtitles and captions, the lead sentence's own dateline, and the tests that tell a
headline and a paragraph from page furniture.

Stage: parse. ``lines.LinesParser`` holds these as its ``HeaderReading`` part; the line tests
(``is_title_like``, ``is_paragraph``, ``is_headline``) are also used on their own. What each
test looks for is the layout's data (docs/layouts.md); nothing here names an outlet.

Its length (about 410 lines) is earned by keeping every judgement about a page's head in one
place: which line is the headline, which date beside it is the publication date, what a byline
or a dateline names. They weigh one another, and apart they would drift.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .layouts import WORD_EDGES as _WORD_EDGES
from .layouts import Layout
from .model import RawArticle
from .text import match_key

TRAILING_CLOSERS = "\"'”’»)]}› "


def is_headline(line: str, layout: Layout) -> bool:
    """A short line that does not end like a sentence: 'الرئيس الليتواني يحذر من …'."""
    stripped = line.rstrip(TRAILING_CLOSERS)
    if not stripped or stripped[-1] in layout.headline_end_punctuation:
        return False
    return len(line.split()) <= layout.headline_max_words


# A line ends like a sentence or a clause (after closing quotes and brackets): running text.
_CLAUSE_END = frozenset(".:;,،؛")
# A sentence end inside a line ('… الأوسط. 18.02.2026'), not an ellipsis ('العام.. فما').
_INNER_SENTENCE_END = re.compile(r"(?<![.…])[.!?؟][\"'”’»)\]]*\s+[^\s.…]")
# A lead sentence's own date (see `HeaderReading.lead_dateline`): a place of one to four words
# before it, a dash, bracket or slash after it; or a sentence end before it and ', <outlet>'
# closing the paragraph after it.
LEAD_WINDOW = 400
_DATE_LINE_CHARS = 120  # longer lines are not date lines
_DATE_LINE_WORDS = 16
# A kicker above a headline (see `HeaderReading.past_kicker`): at most this many words, and the
# headline at least this many more.
_KICKER_WORDS = 6
_KICKER_MARGIN = 3
_HEADLINE_PUNCTUATION = re.compile(r"[,:;?!'\"’‘“”]")
_BYLINE_END = re.compile(r"\s*[,،]\s*|\s+[/\-–—]\s+")
_DIGIT = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")
_TODAY_REACH = 30  # 'اليوم الاثنين (' stands at most this far before the date
_DATELINE_PLACE = re.compile(r"\s*[^\W\d_]+(?:[ '’.-][^\W\d_]+){0,3}\s*[,،\-–—]\s*")
_BARE_PLACE = re.compile(r"\s*[^\W\d_]+(?:\s[^\W\d_]+)?\s+")
_DATELINE_AFTER = re.compile(r"\s*[,،]?\s*[\-–—(/]")
_DATELINE_TAIL = re.compile(r"\s*[,،]\s*[^\W\d_]+(?:\s[^\W\d_]+){0,3}\s*")
_SENTENCE_BEFORE = re.compile(r"[.!?؟][\"'”’»)]*[\s,،]*$")



def reads_as_sentence(text: str) -> bool:
    """A short line that still reads as a sentence: three words or more, a final full stop."""
    stripped = text.rstrip(TRAILING_CLOSERS)
    return len(text.split()) >= 3 and bool(stripped) and stripped[-1] in ".!?؟…"


def is_title_like(line: str, layout: Layout) -> bool:
    """A headline: between ``headline.min_words`` and ``max_words`` words, not ending like a
    sentence or a clause ('.', ':', ','), no sentence end inside. A headline may end with '?',
    '!' or '…' ('… فما هو؟')."""
    words = len(line.split())
    if not layout.headline_min_words <= words <= layout.headline_max_words:
        return False
    stripped = line.rstrip(TRAILING_CLOSERS)
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
    stripped = line.rstrip(TRAILING_CLOSERS)
    if not (last or len(line) >= rules.long_chars or (stripped and stripped[-1] in _CLAUSE_END)
            or _INNER_SENTENCE_END.search(line)):
        return False
    if rules.stopwords:
        hits = sum(w.strip(_WORD_EDGES).casefold() in rules.stopwords for w in words)
        if hits < rules.min_stopword_density * len(words):
            return False
    return True


@dataclass(slots=True)
class Entry:
    """One non-blank line (or the part of one that a rule's ``rest`` group left over), with
    what the layout's patterns say it is: ``drop`` (chrome, boilerplate, a stamp), ``field``,
    ``end`` (an end marker), or ``text``."""

    index: int
    text: str
    kind: str
    rule: str = ""
    name: str = ""
    value: str = ""


class HeaderReading:
    """The head of a page, for ``lines.LinesParser``: the headline, the date and the outlet
    beside it, what stands between it and the text."""

    layout: Layout
    raw: RawArticle
    repeated: set[str]
    date_lines: dict[str, bool]
    entries_list: list[Entry]
    seen_dates: list[str]

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

    def date_part(self, text: str) -> str:
        """The date of a line that holds a date beside a byline, split at '|' ('محمد أرسلان |
        23.09.2024', 'By Jane Doe | May 12, 2024') or after the byline at a comma ('Reuters ,
        Thursday 23 Jan 2025', 'OLJ / Par Rédaction, le 18 février 2025 à 14h12'): the one part
        that is a date, when the others are short and hold no digit (a name, a desk); else ''."""
        def byline_like(part: str) -> bool:
            return len(part.split()) <= 4 and not _DIGIT.search(part) \
                and not reads_as_sentence(part)

        if "|" in text:
            parts = [p.strip(" -–—") for p in text.split("|")]
            dates = [p for p in parts if p and self.is_date_line(p)]
            others = [p for p in parts if p and p not in dates]
            if len(dates) == 1 and others and all(byline_like(p) for p in others):
                return dates[0]
            return ""
        text = text.rstrip(" ,،")
        # The byline ends at a comma, a spaced slash or a spaced dash ('OLJ / AFP / le 28
        # janvier 2025', 'By Petra - Nov 18,2024'); each of its pieces is byline-like.
        for m in _BYLINE_END.finditer(text):
            before, after = text[:m.start()], text[m.end():].strip(" -–—|/,،")
            if not before.strip() or not byline_like(_BYLINE_END.split(before)[-1]):
                return ""
            if after and self.is_date_line(after):
                return after
        return ""

    def above_date(self, head: list[Entry]) -> int | None:
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

    def dated(self, head: list[Entry], n: int) -> bool:
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
        any a stop word ('News Opinion Sport Culture Lifestyle'), and no punctuation between
        them; a headline has some of either ('Saudi Arabia, Egypt Sign Investment …', in the
        title case of English sites)."""
        stopwords = self.layout.paragraphs.stopwords
        if not stopwords or (text[:1].isalpha() and not text[:1].isupper()) \
                or _HEADLINE_PUNCTUATION.search(text):
            return False
        words = [w for w in text.split() if any(c.isalpha() for c in w)]
        if len(words) < 4 or not all(
                next(c for c in w if c.isalpha()).isupper() for w in words):
            return False
        # (jusText's lists hold frequent content words too: 'World' may be one.)
        return sum(w.casefold() in stopwords for w in words) < 0.2 * len(words)

    @staticmethod
    def menu_after(head: list[Entry], n: int) -> bool:
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

    def past_standfirst(self, entries: list[Entry], texts: list[int], body_start: int,
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

    def choose_title(self, entries: list[Entry], first_paragraph: int,
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
        if not any(text == entries[run[0]].text for run in runs if run[0] != best[1]):
            return self.past_kicker(entries, next(run for run in runs if run[0] == best[1]))
        return next(run[0] for run in runs if entries[run[0]].text == text)

    def past_kicker(self, entries: list[Entry], run: list[int]) -> int:
        """The headline of a run whose first line may be a kicker: a phrase of a few words
        above a headline clearly longer than it ('بعد سيول العام الماضي' over its headline).
        A headline's subtitle stands below it and is no shorter, so the first line stays the
        headline unless it is that short and the next line that much longer."""
        if len(run) < 2:
            return run[0]
        kicker, headline = entries[run[0]].text, entries[run[1]].text
        words, next_words = len(kicker.split()), len(headline.split())
        if words <= _KICKER_WORDS and next_words >= words + _KICKER_MARGIN \
                and kicker.rstrip()[-1:] not in "?!؟:…" and headline not in self.repeated:
            return run[1]
        return run[0]

    def just_before_text(self, n: int, body_start: int) -> bool:
        """With no headline: whether line ``n`` stands in the text's own header, with at most
        three lines (a byline, a credit, a caption) between it and the first paragraph."""
        between = [e for e in self.entries_list[n + 1:body_start] if e.kind != "drop"]
        return n < body_start and len(between) <= 3 and all(
            e.kind == "field" or len(e.text.split()) <= 12 for e in between)

    def header_line(self, i: int, text: str) -> None:
        """A line between the headline and the text: a credit naming the outlet, a sentence
        right under the header's date line (the text's first paragraph, however short), a
        subtitle (the record's summary), or a photo caption."""
        raw, layout = self.raw, self.layout
        words = text.split()
        above = next((use.role for use in reversed(raw.lines) if use.role != "dropped"), None)
        if len(words) <= layout.credit_max_words and "source" not in raw.fields \
                and self.is_outlet(text):
            raw.add("source", text)
            self.use(i, "source", "credit-line")
        elif above == "date" and reads_as_sentence(text) and text not in self.repeated:
            self.body_line(i, text)
        elif layout.summary_min_words and len(words) >= layout.summary_min_words \
                and "summary" not in raw.fields and text not in self.repeated:
            raw.add("summary", text)
            self.use(i, "summary", "subtitle")
        else:
            self.use(i, "dropped", "caption")

    def short_runs(self, entries: list[Entry], body_start: int, end_at: int) -> set[int]:
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
                    and not reads_as_sentence(entry.text) and not self.is_date_line(entry.text):
                run.append(n)
                continue
            if len(run) >= size:
                found.update(run)
            run = []
        return found

    def bare_place(self, before: str) -> bool:
        """Whether ``before`` is a place of one or two words with no separator before the
        date ('بورتسودان 18 يناير 2025 – أعلنت', 'عمان 9 تموز (بترا)-'): none of its words is a
        short stop word or one that opens with a conjunction, so 'في 18 يناير –' or 'وقال إن
        18 …' is never a dateline. (Stop lists hold frequent place names too: 'عمان'.)"""
        m = _BARE_PLACE.fullmatch(before)
        stopwords = self.layout.paragraphs.stopwords
        return m is not None and bool(stopwords) and not any(
            word.casefold() in stopwords and (len(word) <= 3 or word[0] in "وف")
            for word in before.split())

    def lead_dateline(self, lead: str) -> None:
        """A date the lead sentence gives as its own: a dateline at its start ('القاهرة - 3
        مارس 2024 (أ ش أ) -', 'PARIS, 3 mars 2024 (AFP) -'), a date and an outlet closing it
        ('…, 18.02.2026, سبوتنيك عربي'), or 'today' named with a weekday that falls on the date
        ('اليوم الاثنين (21 آب 2023)'). Only the lead's first date can be such a date."""
        reader = self.layout.date_reader
        found = reader.find(lead[:LEAD_WINDOW])
        if not found:
            return
        parts = found[0]
        before, after, written = lead[:parts.start], lead[parts.end:], lead[parts.start:parts.end]
        dateline = _DATELINE_AFTER.match(after) is not None and (
            _DATELINE_PLACE.fullmatch(before) is not None or self.bare_place(before))
        if dateline and parts.year is None and parts.month is not None and parts.day is not None:
            # 'عمان 9 تموز (بترا)-': a dateline without its year, which a date line seen on
            # the page gives (the same day and month, with a year).
            full = next((text for text in self.seen_dates if (seen := reader.read(text))
                         and seen.iso() and not seen.ambiguous
                         and (seen.month, seen.day) == (parts.month, parts.day)), None)
            if full is not None:
                self.raw.add("date", full)
                self.raw.notes.append(f"date: the lead's dateline '{written}' states no year; "
                                      f"'{full}' on the page gives the same day and month")
            return
        if parts.iso() is None or parts.ambiguous:
            return
        kind = None
        if dateline:
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
