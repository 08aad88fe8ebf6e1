"""The ``lines`` engine: one article per file, read line by line (docs/layouts.md).

Stage: parse (``parse.parse_lines`` calls it). Three steps: every line is classified by the
layout's patterns alone (``entries``); the text's start and the headline are found
(``headline.HeaderReading``); every line is walked in order (``run``): furniture above the
headline, the head between it and the text, the body (inline related links, glued labels,
embedded posts), what follows the text's end, the appended read-also articles. Every non-blank
line is accounted for in ``RawArticle.lines``, each dropped one with the rule that dropped it.

Its length (about 450 lines) is earned: the walk is one ordered cascade whose order is the
behaviour, and its steps share the state of one page.
"""

from __future__ import annotations

import re
from operator import attrgetter

from .errors import ParseError
from .headline import (
    LEAD_WINDOW,
    Entry,
    HeaderReading,
    is_headline,
    is_paragraph,
    reads_as_sentence,
)
from .layouts import Layout
from .model import LineUse, RawArticle, RawEmbed, RawItem
from .text import match_key

_URL = re.compile(r"https?://\S+")
_DATE_SCAN = 120  # a labelled date starts its value: only the value's start is searched
_SEPARATORS = " \t|·•▪-–—,،;"
_BY = re.compile(r"^(?i:by|par)\s+")  # 'By Petra': the agency after the word
_BYLINE_PARTS = re.compile(r"[-–—/|,،()]")
# A place and an agency glued before the lead sentence: 'الكويت - كونا - أعلنت', 'مسقط -
# العمانية: أظهرت' (the agency must be a known outlet).
_LEAD_BYLINE = re.compile(
    r"[^\W\d_][^\-–—:/()\d]{0,25}?\s*[-–—/]\s*(?P<outlet>[^\s\-–—:/()][^\-–—:/()]{1,24}?)"
    r"\s*[-–—:]")
_LEAD_AGENCY = re.compile(r"/\s?(?P<outlet>[^/\d\s][^/\d]{1,19}?)\s?/\s"
                          r"|(?<=\s)(?P<outlet2>[^\W\d_]{2,12})[-–—]\s"
                          r"|^(?P<outlet3>[^\W\d_]{2,12})\s?[-–—]\s")
_LEAD_AGENCY_REACH = 60


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



class LinesParser(HeaderReading):
    """Reads one page with a ``lines`` layout into a ``RawArticle`` (``run``)."""
    def __init__(self, layout: Layout, lines: list[str]) -> None:
        self.layout = layout
        self.lines = lines
        self.raw = RawArticle(layout=layout.name)
        self.in_related = False
        self.section_start: int | None = None
        self.unused_dates: list[str] = []  # date lines seen and not taken (for the warning)
        self.seen_dates: list[str] = []  # their texts (not update stamps): a yearless
        # dateline of the same day and month takes its year from one (`lead_dateline`)
        self.short: set[int] = set()
        self.repeated: set[str] = set()
        self.last_paragraph = -1
        self.date_lines: dict[str, bool] = {}
        self.entries_list: list[Entry] = []
        self.captions: list[Entry] = []
        self.before: list[Entry] = []  # text glued before a field's label ('… الجاري.المصدر: X')
        self.bylines: list[str] = []  # bylines before the text

    def use(self, index: int, role: str, rule: str = "") -> None:
        self.raw.lines.append(LineUse(index + 1, role, rule))

    # -- phase 1: what each line is, by the layout's patterns alone

    def entries(self) -> list[Entry]:
        out: list[Entry] = []
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
                    out.append(Entry(i, line, "text"))  # no rule matches: most lines
                    continue
            entry, rest = self.match_rules(i, line, start, present)
            if rest is None or not rest.strip():
                out.extend(self.before)
                out.append(entry)
                self.before.clear()
            else:
                self.before.clear()
                out.extend(self.classify(i, line))
            if self.captions:  # a caption beside a field ('… Photo: X / AFP'): dropped by name
                out.extend(self.captions)
                self.captions.clear()
        if layout.next_line_fields:
            self.label_alone(out)
        if layout.next_line_drops:
            self.dropped_with_label(out)
        return out

    def dropped_with_label(self, out: list[Entry]) -> None:
        """The text line after a chrome label alone on its line (a caption under 'التعليق على
        الصورة،') is dropped by the label's rule, named with ``:next``."""
        for n, entry in enumerate(out):
            if entry.kind != "drop" or entry.rule not in self.layout.next_line_drops:
                continue
            k = next((k for k in range(n + 1, len(out)) if out[k].kind != "drop"), None)
            if k is not None and out[k].kind == "text":
                out[k] = Entry(out[k].index, out[k].text, "drop", f"{entry.rule}:next")

    def label_alone(self, out: list[Entry]) -> None:
        """A label alone on its line ('ملخص') whose field takes the next line: that text line
        becomes the field's value, the label line is dropped."""
        for n, entry in enumerate(out):
            if entry.kind != "field" or entry.value or entry.name not in \
                    self.layout.next_line_fields:
                continue
            k = next((k for k in range(n + 1, len(out)) if out[k].kind != "drop"), None)
            if k is not None and out[k].kind == "text":
                nxt = out[k]
                out[k] = Entry(nxt.index, nxt.text, "field", "field", entry.name, nxt.text)
                out[n] = Entry(entry.index, entry.text, "drop", f"label:{entry.name}")

    def classify(self, i: int, line: str, depth: int = 0) -> list[Entry]:
        """What ``line`` is. Text that a rule's ``rest`` group leaves over (glued after a label,
        or standing before an update stamp) is classified again, on the same line number."""
        entry, rest = self.match_rules(i, line)
        before, self.before = self.before, []
        if rest is None or not rest.strip():
            return [*before, entry]
        # Past three glued labels, what is left is kept as text rather than read again.
        again = self.classify(i, rest.strip(), depth + 1) if depth < 3 else \
            [Entry(i, rest.strip(), "text")]
        return [*again, entry] if entry.rule == "update-stamp" else [*before, entry, *again]

    def match_rules(self, i: int, line: str, start: int | None = 0,
                    present: set[int] | None = None) -> tuple[Entry, str | None]:
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
                return Entry(i, line, "drop", name), _group(m, "rest")
            if kind == "update":
                before = m.group("rest")
                return Entry(i, line[len(before):].strip(), "drop", "update-stamp"), before
            if kind == "end":
                return Entry(i, line, "end", name), None
            if kind == "field":
                value = (_group(m, "value") or "").strip()
                caption = _group(m, "caption")
                if caption and caption.strip():
                    self.captions.append(Entry(i, caption.strip(), "drop", "caption"))
                before = _group(m, "before")
                if before and before.strip():
                    self.before.append(Entry(i, before.strip(), "text"))
                    line = line[len(before):]
                return Entry(i, line, "field", "field", name, value), _group(m, "rest")
            if m.group("colon") or self.is_date_line(m.group("value")):  # a date label
                value = m.group("value").strip().rstrip(",،;")
                return Entry(i, line, "field", "date-label", "date", value), None
            split = self.date_then_chrome(i, m.group("value"))
            if split is not None:
                return Entry(i, line, "field", "date-label", "date", split[0]), split[1]
        return Entry(i, line, "text"), None

    def date_then_chrome(self, i: int, value: str) -> tuple[str, str] | None:
        """A date label's value that is a date and then site chrome on the same line ('18 mars
        2025 Lecture : 4 minutes.'): the date, and the rest to classify again. The rest must be
        a line the layout drops, so a sentence that opens with a date ('Le 3 mars, le …') is
        never cut."""
        value = value.strip()
        found = self.layout.date_reader.find(value[:_DATE_SCAN])
        if not found or found[0].start != 0 or found[0].month is None:
            return None
        date, rest = value[:found[0].end], value[found[0].end:].strip(_SEPARATORS)
        if not rest or not self.is_date_line(date) or \
                self.match_rules(i, rest)[0].kind != "drop":
            return None
        return date, rest

    # -- phase 2: the headline, and where the text starts

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
            body_start = next((n for n in texts if reads_as_sentence(entries[n].text)), None)
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
                    self.seen_dates.append(entry.text)
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

    def text_line(self, n: int, entry: Entry, body_start: int, after_title: int) -> None:
        """One text line after the headline (or any text line of a page without one)."""
        raw, layout, i, text = self.raw, self.layout, entry.index, entry.text
        if raw.title is not None and n < body_start and not raw.paragraphs \
                and not raw.related and text.casefold() == raw.title.casefold():
            self.use(i, "dropped", "repeated-title")
            return
        if self.is_date_line(text) or (n < body_start and (part := self.date_part(text))):
            if not self.is_date_line(text):
                # A byline beside the date: an agency it names is a source ('Reuters , …').
                outlet = next((p.strip() for p in _BYLINE_PARTS.split(text.replace(part, ""))
                               if p.strip() and self.is_outlet(_BY.sub("", p.strip()))), "")
                outlet = _BY.sub("", outlet)
                if outlet and "source" not in raw.fields:
                    raw.add("source", outlet)
                text = part
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
                self.seen_dates.append(text)
                self.use(i, "dropped", "date-stamp")
            return
        if n < body_start:
            m = self.byline(text)
            if m is not None:
                outlet = (m.groupdict().get("outlet") or "").strip() or next(
                    (part.strip(" :") for part in _BYLINE_PARTS.split(text)
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
                and not reads_as_sentence(text):
            self.use(i, "dropped", "after-body")
            return
        self.body_line(i, text)

    def finish(self) -> None:
        raw, layout = self.raw, self.layout
        if self.section_start is not None:
            self.use(self.section_start, "read_also", "marker")
            self.read_also(self.section_start + 1)
        if "date" not in raw.fields and layout.lead_dateline and raw.paragraphs:
            self.lead_dateline(raw.paragraphs[0])
        if "source" not in raw.fields and raw.paragraphs:
            lead = raw.paragraphs[0][:LEAD_WINDOW]
            m = next((m for p in layout.dateline_outlets if (m := p.match(lead))), None)
            outlet = m.group("outlet").strip() if m is not None else ""
            if not outlet and layout.outlets:  # 'الكويت - كونا - أعلنت': a known agency
                glued = _LEAD_BYLINE.match(lead)
                if glued is not None and self.is_outlet(glued.group("outlet")):
                    outlet = glued.group("outlet").strip()
            if not outlet and layout.outlets:
                # An agency's code in its dateline: 'الدوحة في 05 مايو /قنا/ وقعت', 'رام الله
                # 3-6-2025 وفا- قال' (a known agency, in the lead's first words).
                found = (_group(m, "outlet") or "" for m in _LEAD_AGENCY.finditer(
                    lead[:_LEAD_AGENCY_REACH]))
                outlet = next((name.strip() for name in found if self.is_outlet(name)), "")
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

    def dropped(self, i: int, line: str) -> bool:
        """A chrome or boilerplate line (in the read-also section), accounted for."""
        layout = self.layout
        for kind, rules in (("chrome", layout.chrome), ("boilerplate", layout.boilerplate)):
            for rule in rules:
                if rule.regex.match(line):
                    self.use(i, "dropped", f"{kind}:{rule.name}")
                    return True
        return False

    def field(self, i: int, entry: Entry) -> None:
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
        page_rules = layout.paragraphs.drop_trailing
        item: RawItem | None = None
        for i in range(start, len(self.lines)):
            line = self.lines[i]
            if not line or self.dropped(i, line):
                continue
            if item is None or (item.paragraphs and is_headline(line, layout)) or (
                    page_rules and not item.paragraphs and item.byline is None
                    and is_headline(line, layout) and not reads_as_sentence(line)):
                # (on a page, a list of bare headlines is an item each)
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
                and raw.read_also[-1].byline is None and raw.read_also[-2].paragraphs:
            last = raw.read_also.pop()
            raw.read_also[-1].paragraphs.append(last.title)
            use = next(u for u in reversed(raw.lines) if u.role == "read_also.title")
            use.role = "read_also.body"
            raw.notes.append(f"read_also: line {use.line} has no text after it; kept as the "
                             "last paragraph of the item before (page cut off?)")
