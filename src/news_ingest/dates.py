"""Read dates out of scraped (Arabic-first) news text.

Stage: normalise. Raw date text -> parts -> ISO date ('YYYY-MM-DD').

* `read_date` reads a string that *is* a date (a header or date line such as
  ``تاريخ النشر: 12th, November 2023 GMT`` or ``٠٧ نوفمبر``).
* `find_dates` finds every date mention inside running text, with character spans.
* `infer_year` supplies a missing year from the article's own text, or nothing.

The words it knows (month names of every family, weekdays, the words a date line may hold
around its date) are data: ``data/dates.yaml``. A layout extends them under its ``dates:`` key
(`DateReader.extended`), so a layout for an outlet in another language needs no code. The
module functions use the packaged words (`DateReader.packaged`).

The words and the regular expressions built from them live in `news_ingest.datewords`; this
module interprets what they match, in an order tuned against real pages. Its length (under
500 lines) is that order, kept in one place to stay readable.

Rules every function follows:

* Never invent a part. A part that is not written in the text is ``None``; nothing is ever
  taken from "today". A two-digit year is not a year.
* Arabic-Indic (U+0660-U+0669) and Extended (U+06F0-U+06F9) digits count as ASCII digits.
* Arabic month names of all three families (Egyptian/Gulf, Levantine/Iraqi, Maghrebi, plus the
  Moroccan spellings), English and French names are matched on a folded form (alef/hamza,
  ya/alef maqsura, ta marbuta/ha are folded; diacritics and tatweel are skipped). Dual forms
  (``نوفمبر/تشرين الثاني``) must agree; when they name different months the mention is dropped.
* Numeric dates: year-first (``2024-11-07``) is always Y-M-D; otherwise day-first
  (``07/11/2024`` is 7 November), unless the middle number cannot be a month (``11/17/2024``).
  A reader built with ``numeric_order='unknown'`` marks a slash date whose two first numbers
  could each be the month (``5/7/2023``) as ``ambiguous``; ``'month-first'`` reads it M/D/Y.
  A numeric date needs its four-digit year.
* Times and zones are ignored, never applied: ``Sun, 15 Jul 2018 21:56:56 +0400`` is 2018-07-15,
  the date as written in its own offset. A weekday named on a date line is kept
  (``PartialDate.weekday``) so that a caller can check it against the date.

Folding maps one character to one character, so spans found on the folded text are spans of the
input. The regular expressions of the packaged reader are compiled at import. The one that scans
running text has only bounded repeats (its longest match is under 256 characters), and
`find_dates` runs it only in windows around digits and dual-form separators, so text without
them costs one linear scan. `read_date` looks only at lines of at most 256 characters, and
checks what surrounds the date token by token, never with a nested repeat (no backtracking).
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dateutil import parser as du_parser

from .datewords import DateWords, Grammar, compile_grammar, fold, packaged_words, word_key

__all__ = ["DateReader", "PartialDate", "find_dates", "infer_year", "read_date"]

YEAR_MIN = 1800
YEAR_MAX = 2200
# A line longer than this is not a date line; `read_date` returns None without parsing it.
MAX_DATE_LINE = 256
#: How a reader reads a numeric date whose first two numbers could each be the month.
NUMERIC_ORDERS = ("day-first", "month-first", "unknown")


@dataclass(frozen=True)
class PartialDate:
    """A date whose parts may be missing; ``start``/``end`` is the span of the matched text.

    ``weekday`` (0 = Monday) is the weekday a date line names beside its date; ``ambiguous``
    says the numbers could be read day-first or month-first (see ``NUMERIC_ORDERS``).
    """

    year: int | None
    month: int | None
    day: int | None
    start: int = 0
    end: int = 0
    weekday: int | None = None
    ambiguous: bool = False

    @property
    def complete(self) -> bool:
        """True when year, month and day are all present.

        >>> PartialDate(2024, 11, None).complete
        False
        """
        return self.year is not None and self.month is not None and self.day is not None

    def iso(self) -> str | None:
        """'YYYY-MM-DD' when complete and a real calendar date, else None.

        >>> PartialDate(2024, 11, 7).iso()
        '2024-11-07'
        """
        if self.year is None or self.month is None or self.day is None:
            return None
        try:
            return date(self.year, self.month, self.day).isoformat()
        except (ValueError, OverflowError, TypeError):
            return None

    def weekday_disagrees(self) -> bool:
        """True when the line names a weekday the (complete) date does not fall on.

        >>> PartialDate(2023, 10, 20, weekday=4).weekday_disagrees()  # a Friday
        False
        """
        iso = self.iso()
        if self.weekday is None or iso is None:
            return False
        return date.fromisoformat(iso).weekday() != self.weekday


# Separators that make two adjacent month names a dual form on their own (month-only mention).
_DUAL_HINT = re.compile(r"[/\\|(\-\u2013]")
# find_dates only runs the big pattern near an anchor: every mention it accepts holds a digit
# or a dual-form separator. _WINDOW bounds the length of any master match (a test checks it),
# so a mention lies inside the window of each of its anchors.
_WINDOW = 256
_ANCHORS = r"0-9\u0660-\u0669\u06f0-\u06f9/\\|(\-\u2013"
_CLUSTER = re.compile(rf"[{_ANCHORS}]+(?:[^{_ANCHORS}]{{1,{2 * _WINDOW}}}[{_ANCHORS}]+)*")
# 'تاريخ النشر:' / 'Published:' in front of the date (no digit before the colon).
_LABEL = re.compile(r"[^0-9:\n]{1,40}:")
# Compact ISO (read_date only): 20231112, 20231112T103000Z.
_COMPACT_ISO = re.compile(
    r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"
    r"(?:T[0-9]{2}:?[0-9]{2}(?::?[0-9]{2}(?:\.[0-9]{1,9})?)?)?(?:Z|[+\-][0-9]{2}:?[0-9]{2})?",
    re.IGNORECASE,
)
_ISO_MONTH = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})")
# Between a year and a time glued to it (the span of the date before it is unchanged).
_GLUED_TIME = re.compile(r"(?<=(?<![0-9])(?:1[89]|2[0-2])[0-9]{2})(?=[0-9]{1,2}:[0-9]{2})")


# --------------------------------------------------------------------------------------------
# The reader


class DateReader:
    """Reads dates with a set of words (`DateWords`) and a numeric order (`NUMERIC_ORDERS`).

    Build one with `packaged` or `extended`; both are cached, so every layout with the same
    words shares one compiled grammar.
    """

    def __init__(self, words: DateWords, numeric_order: str = "day-first") -> None:
        if numeric_order not in NUMERIC_ORDERS:
            raise ValueError(f"numeric_order must be one of {NUMERIC_ORDERS}")
        self.words = words
        self.numeric_order = numeric_order
        self._grammar = _grammar(words)
        self._months = {**dict(words.months), **dict(words.abbreviations)}
        self._digit_months = {name: dict(forms) for name, forms in words.digit_months}
        self._weekdays = dict(words.weekdays)

    @classmethod
    def packaged(cls, numeric_order: str = "day-first") -> DateReader:
        """A reader of the packaged words (``data/dates.yaml``)."""
        return _reader(packaged_words(), numeric_order)

    @classmethod
    def extended(cls, spec: Mapping[str, Any] | None, numeric_order: str = "day-first"
                 ) -> DateReader:
        """A reader of the packaged words plus ``spec`` (a layout's ``dates:`` mapping, in the
        shape of ``data/dates.yaml``)."""
        if not spec:
            return cls.packaged(numeric_order)
        return _reader(packaged_words().merged(DateWords.from_data(spec)), numeric_order)

    # --- public API ---------------------------------------------------------------------------

    def read(self, text: str) -> PartialDate | None:
        """See `read_date`."""
        try:
            return self._read(text)
        except Exception:  # totality: a date reader must never take the pipeline down
            return None

    def find(self, text: str) -> list[PartialDate]:
        """See `find_dates`."""
        if not isinstance(text, str) or not text:
            return []
        found: list[PartialDate] = []
        n = len(text)
        for cluster in _CLUSTER.finditer(text):
            win_start = max(0, cluster.start() - _WINDOW)
            win_end = min(n, cluster.end() + _WINDOW)
            base = max(0, win_start - 2)  # lookbehinds see up to two characters before
            folded = fold(text[base:win_end])
            for m in self._grammar.master.finditer(folded, win_start - base):
                result = self._interpret(m)
                if result is None:
                    continue
                pd, dual = result
                if pd.day is None and pd.year is None and not dual:
                    continue
                found.append(PartialDate(pd.year, pd.month, pd.day, pd.start + base,
                                         pd.end + base, ambiguous=pd.ambiguous))
        return found

    def infer_year(self, partial: PartialDate, texts: Iterable[str]) -> int | None:
        """See `infer_year`."""
        if partial.year is not None:
            return partial.year
        if partial.day is None or partial.month is None:
            return None
        if isinstance(texts, str):
            texts = [texts]
        years: set[int] = set()
        for text in texts:
            if not isinstance(text, str):
                continue
            for d in self.find(text):
                same_day = d.day == partial.day and d.month == partial.month
                if same_day and d.year is not None and d.iso() is not None and not d.ambiguous:
                    years.add(d.year)
        return years.pop() if len(years) == 1 else None

    def named_today(self, text: str) -> PartialDate | None:
        """The date that ``text`` ends with, when a word for 'today' introduces it, read as a
        date line from that word on (so a weekday named with it is kept): ``'أفاد مصدر، اليوم
        الاثنين (21 آب 2023'`` -> 2023-08-21, weekday 0. None otherwise.

        >>> DateReader.packaged().named_today('أفاد مصدر أمني، اليوم الاثنين (21 آب 2023').iso()
        '2023-08-21'
        """
        starts = [m.start() for m in self._grammar.today.finditer(fold(text))]
        return self.read(text[starts[-1]:]) if starts else None

    # --- internals ----------------------------------------------------------------------------

    def _month_of(self, name: str) -> int | None:
        key = word_key(name)
        if key in self._months:
            return self._months[key]
        digits = re.fullmatch(r"(.*?)\s*([12])", key)
        if digits and digits.group(1) in self._digit_months:
            return self._digit_months[digits.group(1)].get(int(digits.group(2)))
        return None

    def _numeric(self, y: str, m: str, d: str, sep: str, start: int, end: int,
                 dayfirst: bool) -> PartialDate | None:
        year, month, day = _year(y), int(m), int(d)
        ambiguous = False
        if dayfirst:
            if month > 12 and 1 <= day <= 12:  # 11/17/2024 can only be M/D/Y
                month, day = day, month
            elif sep == "/" and month != day and month <= 12 and day <= 12:
                if self.numeric_order == "month-first":
                    month, day = day, month
                elif self.numeric_order == "unknown":
                    ambiguous = True
        if year is None or not 1 <= month <= 12 or not 1 <= day <= 31:
            return None
        return PartialDate(year, month, day, start, end, ambiguous=ambiguous)

    def _interpret(self, m: re.Match[str]) -> tuple[PartialDate, bool] | None:
        """A master match -> (date, is_explicit_dual); None when it is not a trustworthy date
        (a dual form whose names disagree, a number that cannot be a day, ...)."""
        if m.group("c_y") is not None:
            pd = self._numeric(m["c_y"], m["c_m"], m["c_d"], m["c_s"], m.start(), m.end(),
                               dayfirst=False)
            return None if pd is None else (pd, False)
        if m.group("e_y") is not None:
            pd = self._numeric(m["e_y"], m["e_m"], m["e_d"], m["e_s"], m.start(), m.end(),
                               dayfirst=True)
            return None if pd is None else (pd, False)

        if m.group("f_mg") is not None:
            day, year = _day(m["f_d"]), _year(m["f_y"])
            if day is None or year is None:
                return None
            return PartialDate(year, self._month_of(m["f_mg"]), day, m.start("f_mg"),
                               m.end("f_y")), False
        if m.group("b_mg") is not None:
            day, year = _day(m["b_d"]), _year(m["b_y"])
            if day is None:
                return None
            end = m.end("b_d") if year is None else m.end("b_y")
            return PartialDate(year, self._month_of(m["b_mg"]), day, m.start("b_mg"), end), False

        p = "a_" if m.group("a_mg") is not None else "n_"
        group = m[p + "mg"]
        names = [self._month_of(n.group()) for n in self._grammar.name.finditer(group)]
        months = {n for n in names if n is not None}
        if len(months) != 1:
            return None  # 'نوفمبر/ديسمبر': the two names disagree
        month = months.pop()
        if m.group(p + "cl") is not None:
            first = self._grammar.name.match(group)
            if first is not None and word_key(first.group()) in self.words.everyday:
                return None
        day = _day(m["a_d"]) if p == "a_" else None
        if p == "a_" and day is None:  # '45 نوفمبر': a number that cannot be a day is no date
            return None
        year = _year(m[p + "y"])  # '5 يونيو 3000 جندي': an implausible year is dropped
        start, end = m.span(p + "mg")
        if day is not None:
            start = m.start("a_d")
        if year is not None:
            end = m.end(p + "ym") if m.group(p + "ym") is not None else m.end(p + "y")
        dual = len(names) > 1 and _DUAL_HINT.search(group) is not None
        return PartialDate(year, month, day, start, end), dual

    def _tokens(self, s: str) -> tuple[bool, int | None]:
        """Whether ``s`` holds only what may surround a date on a date line, and the weekday it
        names (None when none or several). Token by token: linear, never backtracking."""
        pos, weekdays = 0, set()
        token = self._grammar.token
        while pos < len(s):
            m = token.match(s, pos)
            if m is None or m.end() == pos:
                return False, None
            if m.group("wd") is not None:
                weekdays.add(self._weekdays.get(word_key(m.group("wd"))))
            pos = m.end()
        return True, (weekdays.pop() if len(weekdays) == 1 else None)

    def _read(self, text: str) -> PartialDate | None:
        if not isinstance(text, str):
            return None
        stripped = text.strip()
        if not stripped or len(stripped) > MAX_DATE_LINE:
            return None
        lead = len(text) - len(text.lstrip())
        s = fold(stripped)
        if ":" in s:  # a crawl glued the time to the year: 'November 18, 20245:12 PM'
            s = _GLUED_TIME.sub(" ", s)

        body_start = 0
        label = _LABEL.match(s)
        if label is not None:
            body_start = label.end()

        body = s[body_start:]
        body_lead = body_start + len(body) - len(body.lstrip())
        for rx in (_COMPACT_ISO, _ISO_MONTH):
            full = rx.fullmatch(s, body_lead)
            if full is not None:
                return _numeric_line(full, lead)

        m = self._grammar.master.search(s, body_start)
        if m is not None:
            before, weekday_before = self._tokens(s[body_start : m.start()])
            after, weekday_after = self._tokens(s[m.end() :])
            if before and after:
                result = self._interpret(m)
                if result is None or any(
                    m.group(g) is not None and _year(m[g]) is None for g in ("b_y", "a_y", "n_y")
                ):
                    return None  # a date line with an implausible year is not a partial date
                pd = result[0]
                named = {w for w in (weekday_before, weekday_after) if w is not None}
                return PartialDate(pd.year, pd.month, pd.day, pd.start + lead, pd.end + lead,
                                   weekday=named.pop() if len(named) == 1 else None,
                                   ambiguous=pd.ambiguous)

        parts = _dateutil_parts(stripped, self._grammar.en_month_word)
        if parts is None:
            return None
        year, month, day = parts
        return PartialDate(year, month, day, lead, lead + len(stripped))


@functools.lru_cache(maxsize=32)
def _reader(words: DateWords, numeric_order: str) -> DateReader:
    return DateReader(words, numeric_order)


@functools.lru_cache(maxsize=32)
def _grammar(words: DateWords) -> Grammar:
    """One compiled grammar per set of words, whatever the numeric order of its readers."""
    return compile_grammar(words)


def _day(s: str | None) -> int | None:
    if s is None:
        return None
    n = int(s)
    return n if 1 <= n <= 31 else None


def _year(s: str | None) -> int | None:
    if s is None or len(s) != 4:
        return None
    n = int(s)
    return n if YEAR_MIN <= n <= YEAR_MAX else None


def _numeric_line(full: re.Match[str], lead: int) -> PartialDate | None:
    year, month = _year(full["y"]), int(full["m"])
    day = int(full["d"]) if "d" in full.re.groupindex else None
    if year is None or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return PartialDate(year, month, day, lead + full.start(), lead + full.end())


# --------------------------------------------------------------------------------------------
# Public API (the packaged words, numeric dates day-first)

_DEFAULT = DateReader.packaged()
_MASTER = _DEFAULT._grammar.master  # the running-text pattern (its width is tested)


def find_dates(text: str) -> list[PartialDate]:
    """Every date mention inside running text (a paragraph), in order, with spans.

    A mention needs a month plus a day or a four-digit year next to it, or is a numeric date
    with a four-digit year. A dual form whose two names agree and are joined by '/' (or '\\',
    '|', '-', parentheses) also counts on its own (``أيلول/ سبتمبر``). Dual forms whose names
    disagree are dropped. Plain numbers and lone years are never dates.

    >>> [d.iso() for d in find_dates('اليوم الخميس 7 نوفمبر/تشرين الثاني 2024.')]
    ['2024-11-07']
    """
    return _DEFAULT.find(text)


def read_date(text: str) -> PartialDate | None:
    """Read a text that IS a date (a header/date line) into its parts; None when it is not a date.

    Weekday names, اليوم, a leading label ending in ':' (``تاريخ النشر:``), times, zones and a
    Hijri date beside the Gregorian one may surround the date and are ignored; anything else
    makes the line not a date. A month name on its own is a date with only a month. The span is
    that of the date inside ``text``; a weekday named on the line is kept.

    >>> read_date('٠٧ نوفمبر')
    PartialDate(year=None, month=11, day=7, start=0, end=9, weekday=None, ambiguous=False)
    >>> read_date('الجمعة - 20 أكتوبر 2023 - 02:16 م بتوقيت عدن').weekday
    4
    """
    return _DEFAULT.read(text)


def infer_year(partial: PartialDate, texts: Iterable[str]) -> int | None:
    """A year for a date that lacks one, from the article's own text: the year of a complete
    date in `texts` with the same day and month. None when there is no such evidence or when the
    evidence disagrees (two different years).

    A date that already has a year keeps it; one without a day or a month gets None.

    >>> infer_year(read_date('٠٧ نوفمبر'), ['اليوم الخميس 7 نوفمبر/تشرين الثاني 2024.'])
    2024
    """
    return _DEFAULT.infer_year(partial, texts)


def _read_date(text: str) -> PartialDate | None:
    """`read_date` without its guard (for tests of totality)."""
    return _DEFAULT._read(text)


# dateutil fallback: English lines our grammar does not cover ('Sun Nov 12 10:30:00 2023').
# Parsed twice with two different defaults; a part is kept only when both parses agree *and*
# it is written in the text, so nothing can come from the defaults (or from today).
_DEFAULT_A = datetime(2000, 1, 1)
_DEFAULT_B = datetime(2004, 2, 2)  # both leap years, so a year-less 29 Feb still parses
_TRAILING_ZONE = re.compile(r"\s*(?:GMT|UTC|Z)\s*$", re.IGNORECASE)
_DATEUTIL_MAX = 100
_FOUR_DIGITS = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")


def _dateutil_parts(s: str, month_word: re.Pattern[str] | None = None
                    ) -> tuple[int | None, int, int | None] | None:
    month_word = month_word or _DEFAULT._grammar.en_month_word
    if len(s) > _DATEUTIL_MAX or not s.isascii() or month_word.search(s) is None:
        return None
    if len(_FOUR_DIGITS.findall(s)) > 1:
        return None  # 'November 5 2023 2024': two years, and nothing says which one is meant
    s = _TRAILING_ZONE.sub("", s)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = du_parser.parse(s, default=_DEFAULT_A, ignoretz=True)
            b = du_parser.parse(s, default=_DEFAULT_B, ignoretz=True)
    except Exception:
        return None
    if a.month != b.month:
        return None
    year = a.year if a.year == b.year else None
    if year is not None and (
        not YEAR_MIN <= year <= YEAR_MAX or re.search(rf"(?<![0-9]){year}(?![0-9])", s) is None
    ):
        year = None  # e.g. a two-digit year: not written as a year, so not a year
    day = a.day if a.day == b.day else None
    if day is not None and re.search(rf"(?<![0-9])0?{day}(?![0-9])", s) is None:
        day = None
    return year, a.month, day
