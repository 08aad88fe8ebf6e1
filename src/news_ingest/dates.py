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

Its length (about 780 lines) is earned: every form of date it reads shares one set of words
and one rule, never invent a part, and the forms are tried in an order tuned against real
pages; one module keeps that order readable in one place.

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
from importlib import resources
from typing import Any

import yaml
from dateutil import parser as du_parser

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


# --------------------------------------------------------------------------------------------
# Folding: one character in, one character out (spans stay valid).

_TATWEEL = "\u0640"


def _build_fold() -> dict[int, str]:
    table: dict[int, str] = {}
    for i in range(10):
        table[0x0660 + i] = str(i)
        table[0x06F0 + i] = str(i)
    for ch in "\u0622\u0623\u0625\u0671\u0672\u0673":  # آ أ إ ٱ ٲ ٳ
        table[ord(ch)] = "\u0627"  # ا
    for ch in "\u0649\u06cc\u06d0":  # ى ی ې
        table[ord(ch)] = "\u064a"  # ي
    for ch in "\u0629\u06c0\u06c1\u06d5":  # ة ۀ ہ ە
        table[ord(ch)] = "\u0647"  # ه
    for ch in "\u06a9\u06aa":  # ک ڪ
        table[ord(ch)] = "\u0643"  # ك
    # Diacritics and invisible controls become tatweel, which the patterns skip.
    skipped = [*range(0x064B, 0x0660), 0x0670, *range(0x0610, 0x061B)]
    skipped += [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x00AD, 0x061C]
    skipped += [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    for cp in skipped:
        table[cp] = _TATWEEL
    return table


_FOLD = _build_fold()


def _fold(text: str) -> str:
    return text.translate(_FOLD)


_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
_TATWEEL_DOT_RE = re.compile(r"[\u0640.]+")
_SPACES_RE = re.compile(r"\s+")


def _word_key(name: str) -> str:
    """The key a name is looked up by: folded, tatweel and dots out, spaces folded, lower case."""
    return _SPACES_RE.sub(" ", _TATWEEL_DOT_RE.sub("", _fold(name))).strip().lower()


# --------------------------------------------------------------------------------------------
# The words a reader knows (data/dates.yaml, extended by a layout's `dates:` key).


@dataclass(frozen=True)
class DateWords:
    """Month names, weekdays and the other words of date lines, each keyed by `_word_key`."""

    months: tuple[tuple[str, int], ...]
    abbreviations: tuple[tuple[str, int], ...]
    digit_months: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]
    everyday: frozenset[str]
    weekdays: tuple[tuple[str, int], ...]
    ignorable: tuple[str, ...]
    zones: tuple[str, ...]
    zone_words: tuple[str, ...]
    hijri: tuple[str, ...]
    ordinals: tuple[str, ...]
    today: tuple[str, ...] = ()
    connectors: tuple[str, ...] = ()
    month_words: tuple[str, ...] = ()
    year_words: tuple[str, ...] = ()
    year_suffixes: tuple[str, ...] = ()

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> DateWords:
        def pairs(key: str) -> tuple[tuple[str, int], ...]:
            return tuple(sorted({_word_key(str(k)): int(v)
                                 for k, v in (data.get(key) or {}).items()}.items()))

        def words(key: str) -> tuple[str, ...]:  # matched as written (folded): 'a.m' keeps its dot
            return tuple(sorted({_SPACES_RE.sub(" ", _fold(str(w))).strip().lower()
                                 for w in data.get(key) or []}))

        digits = tuple(sorted(
            (_word_key(str(name)), tuple(sorted((int(k), int(v)) for k, v in forms.items())))
            for name, forms in (data.get("digit_months") or {}).items()))
        return cls(
            months=pairs("months"), abbreviations=pairs("abbreviations"), digit_months=digits,
            everyday=frozenset(_word_key(str(w)) for w in data.get("everyday_words") or []),
            weekdays=pairs("weekdays"),
            ignorable=words("ignorable"), zones=words("zones"), zone_words=words("zone_words"),
            hijri=words("hijri_months"), ordinals=words("ordinals"), today=words("today"),
            connectors=words("connectors"), month_words=words("month_words"),
            year_words=words("year_words"), year_suffixes=words("year_suffixes"),
        )

    def merged(self, other: DateWords) -> DateWords:
        """These words plus ``other``'s (a name in both takes ``other``'s month)."""
        def union(a: tuple, b: tuple) -> tuple:
            return tuple(sorted({**dict(a), **dict(b)}.items()))

        def both(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(sorted({*a, *b}))

        return DateWords(
            months=union(self.months, other.months),
            abbreviations=union(self.abbreviations, other.abbreviations),
            digit_months=union(self.digit_months, other.digit_months),
            everyday=self.everyday | other.everyday,
            weekdays=union(self.weekdays, other.weekdays),
            ignorable=both(self.ignorable, other.ignorable),
            zones=both(self.zones, other.zones),
            zone_words=both(self.zone_words, other.zone_words),
            hijri=both(self.hijri, other.hijri), ordinals=both(self.ordinals, other.ordinals),
            today=both(self.today, other.today),
            connectors=both(self.connectors, other.connectors),
            month_words=both(self.month_words, other.month_words),
            year_words=both(self.year_words, other.year_words),
            year_suffixes=both(self.year_suffixes, other.year_suffixes),
        )


@functools.cache
def packaged_words() -> DateWords:
    """The words of ``data/dates.yaml``."""
    text = resources.files("news_ingest").joinpath("data/dates.yaml").read_text("utf-8")
    return DateWords.from_data(yaml.load(text, Loader=getattr(yaml, "CSafeLoader",
                                                               yaml.SafeLoader)))


# --------------------------------------------------------------------------------------------
# The grammar: regular expressions built from the words.

_SP = r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u0640]"  # no line breaks
_LETTER = r"[^\W\d_\u0640]"  # a letter (tatweel does not count)
_NOT_LETTER_AHEAD = rf"(?!{_LETTER})"
_NOT_LETTER_BEHIND = rf"(?<!{_LETTER})"

# A name is a sequence of atoms; names are merged into a trie so that the regex engine tests
# one first letter instead of a hundred alternatives (it runs at every position of the text).
_Atom = tuple[int, str]  # (rank, regex); letters (rank 0) are tried before optional atoms


def _ar_atoms(name: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    for w, word in enumerate(name.split(" ")):
        for i, ch in enumerate(word):
            if i > 0:
                joint = r"\u0640{0,3}"  # up to three diacritics (folded to tatweel)
            elif w > 0:
                joint = rf"{_SP}{{1,3}}"
            else:
                joint = ""
            atoms.append((0, joint + re.escape(ch)))
    return atoms


def _latin_atoms(name: str, abbr: bool) -> list[list[_Atom]]:
    """Title, lower and upper case (no re.IGNORECASE: it disables the fast literal checks)."""
    out = []
    for variant in sorted({name.capitalize(), name, name.upper()}):
        atoms: list[_Atom] = []
        for w, word in enumerate(variant.split(" ")):
            for i, ch in enumerate(word):
                joint = rf"{_SP}{{1,3}}" if w > 0 and i == 0 else ""
                atoms.append((0, joint + re.escape(ch)))
        out.append([*atoms, (1, r"\.?")] if abbr else atoms)
    return out


def _trie_regex(names: Iterable[list[_Atom]]) -> str:
    trie: dict = {}
    for atoms in names:
        node = trie
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[""] = {}

    def emit(node: dict) -> str:
        optional = "" in node
        branches = [a[1] + emit(node[a]) for a in sorted(k for k in node if k != "")]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not optional else "|".join(branches)
        if len(branches) == 1 and not optional:
            return body
        return f"(?:{body}){'?' if optional else ''}"

    return emit(trie)


def _alternation(words: Iterable[str]) -> str:
    """Words as one alternation, longest first, spaces inside a word matching 1-3 spaces."""
    parts = [re.escape(w).replace(r"\ ", rf"{_SP}{{1,3}}")
             for w in sorted(set(words), key=lambda w: (-len(w), w))]
    return "|".join(parts) or "(?!)"


_DIGIT_FORM: _Atom = (1, rf"{_SP}{{0,3}}[12](?![0-9])")  # تشرين 2, كانون 1
_DAY = r"(?<![0-9.:/\-\u066b])[0-9]{1,2}(?![0-9%\u066a]|[.,\u066b][0-9])"
_YEAR = r"(?<![0-9.:/\-\u066b])[0-9]{4}(?![0-9]|[.,\u066b/\-][0-9])"
_SEP = rf"{_SP}{{0,4}}(?:[,\u060c\-\u2013]{_SP}{{0,4}})?"
# Separators that make two adjacent month names a dual form on their own (month-only mention).
_DUAL_HINT = re.compile(r"[/\\|(\-\u2013]")
# find_dates only runs the big pattern near an anchor: every mention it accepts holds a digit
# or a dual-form separator. _WINDOW bounds the length of any master match (a test checks it),
# so a mention lies inside the window of each of its anchors.
_WINDOW = 256
_ANCHORS = r"0-9\u0660-\u0669\u06f0-\u06f9/\\|(\-\u2013"
_CLUSTER = re.compile(rf"[{_ANCHORS}]+(?:[^{_ANCHORS}]{{1,{2 * _WINDOW}}}[{_ANCHORS}]+)*")
# What else a date line may hold: times, zone offsets, separators.
_IGN_NUMS = (
    r"t?[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"  # 21:56:56, T21:56:56.123
    r"|[0-9]{1,2}h(?:[0-9]{2})?"  # 10h30 (French)
    r"|[0-9]{1,2}\.[0-9]{2}(?![.0-9])"  # 10.00 GMT
    r"|[+\-\u2212][0-9]{2}:?[0-9]{2}"  # +0400, +04:00
)
# (A minus sign before digits is left to the zone offsets: '-0500'.)
_IGN_SEPARATORS = (r"(?:[\s\u0640,\u060c.;:\u2013\u2014|/()\[\]@\u2022\u00b7\u25aa\u25cf]"
                   r"|[\-\u2212](?![0-9]))+")
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


@dataclass(frozen=True)
class _Grammar:
    master: re.Pattern[str]
    name: re.Pattern[str]
    token: re.Pattern[str]  # one ignorable token of a date line; group 'wd' for a weekday
    en_month_word: re.Pattern[str]
    today: re.Pattern[str]


def _compile_grammar(words: DateWords) -> _Grammar:
    arabic = [(n, m) for n, m in words.months if _ARABIC_LETTER.search(n)]
    latin = [(n, m) for n, m in words.months if not _ARABIC_LETTER.search(n)]
    digit_names = [name for name, _ in words.digit_months]
    ar_name = _trie_regex([_ar_atoms(n) for n, _ in arabic]
                          + [[*_ar_atoms(n), _DIGIT_FORM] for n in digit_names])
    latin_name = _trie_regex([a for n, _ in latin for a in _latin_atoms(n, False)]
                             + [a for n, _ in words.abbreviations
                                for a in _latin_atoms(n, True)])
    name = rf"(?:(?:{ar_name}|{latin_name}){_NOT_LETTER_AHEAD})"
    latin_only = rf"(?:{latin_name}{_NOT_LETTER_AHEAD})"
    ordinal = rf"(?:{_alternation(o for w in words.ordinals for o in (w, w.upper()))})" \
              rf"(?![A-Za-z])"
    # A second (or third) name of a dual form: نوفمبر/تشرين الثاني, أيلول/ سبتمبر,
    # يناير كانون الثاني, نوفمبر (تشرين الثاني).
    dual = (
        rf"(?:{_SP}{{0,3}}[/\\|\-\u2013]{_SP}{{0,3}}{name}"
        rf"|{_SP}{{1,3}}{name}"
        rf"|{_SP}{{0,3}}\({_SP}{{0,3}}{name}{_SP}{{0,3}}\))"
    )

    # '7 من نوفمبر', '3 de marzo'; 'شهر نوفمبر'; 'عام 2024', 'de 2024'; '2024م'.
    connector = rf"(?:(?:{_alternation(words.connectors)}){_SP}{{1,3}})?"
    month_word = rf"(?:(?:{_alternation(words.month_words)}){_SP}{{1,3}})?"
    year_word = rf"(?:(?:{_alternation(words.year_words)}){_SP}{{0,3}})?"
    year_suffix = rf"(?:{_alternation(words.year_suffixes)}){_NOT_LETTER_AHEAD}"

    def named_month(p: str) -> str:
        """Month name(s), then an optional year; group names start with ``p``."""
        return (
            rf"{_NOT_LETTER_BEHIND}(?P<{p}cl>[وبلف]\u0640{{0,3}})?(?P<{p}mg>{name}{dual}{{0,2}})"
            rf"(?:{_SEP}{year_word}(?P<{p}y>{_YEAR})(?P<{p}ym>{year_suffix})?)?"
        )

    # Each alternative is guarded by a one-character lookahead so that the engine gives up at
    # once on the vast majority of positions (spaces, punctuation).
    master = re.compile(
        r"(?=[0-9])(?:"
        # C: year-first numeric, always Y-M-D.
        rf"(?P<c_y>(?<![0-9.:/\-])[0-9]{{4}})(?P<c_s>[\-/.])(?P<c_m>[0-9]{{1,2}})(?P=c_s)"
        rf"(?P<c_d>[0-9]{{1,2}})(?![0-9]|[./\-][0-9])"
        # D: day-first numeric with a four-digit year.
        rf"|(?P<e_d>(?<![0-9.:/\-])[0-9]{{1,2}})(?P<e_s>[\-/.])(?P<e_m>[0-9]{{1,2}})(?P=e_s)"
        rf"(?P<e_y>[0-9]{{4}})(?![0-9]|[./\-][0-9])"
        # A1: day, month name(s), optional year: 7 نوفمبر/تشرين الثاني 2024, 12th, November 2023.
        rf"|(?P<a_d>{_DAY})(?:{ordinal})?{_SEP}{connector}{month_word}"
        rf"{named_month('a_')}"
        r")|(?=[^\W\d_])(?:"
        # B: English month-first: November 1, 2023.
        rf"{_NOT_LETTER_BEHIND}(?P<b_mg>{latin_only}){_SEP}(?P<b_d>{_DAY})(?:{ordinal})?"
        rf"(?:{_SEP}(?P<b_y>{_YEAR}))?"
        # A2: month name(s) and optional year, no day: فبراير 2022, أيلول/ سبتمبر.
        rf"|{named_month('n_')}"
        r")"
    )
    hijri = (rf"(?:[0-9]{{1,2}}{_SP}{{1,3}})?(?:{_alternation(words.hijri)})"
             rf"(?:{_SP}{{1,3}}[0-9]{{3,4}})?(?:{_SP}{{0,3}}ه)?{_NOT_LETTER_AHEAD}")
    token = re.compile(
        rf"(?P<wd>{_alternation(w for w, _ in words.weekdays)}){_NOT_LETTER_AHEAD}\.?"
        rf"|(?:{_alternation((*words.ignorable, *words.today))}){_NOT_LETTER_AHEAD}\.?"
        rf"|(?:{_alternation(words.zones)}){_NOT_LETTER_AHEAD}(?:[+\-\u2212][0-9]{{1,2}})?"
        rf"|(?:{_alternation(words.zone_words)})(?:{_SP}{{1,3}}{_LETTER}{{2,20}}){{0,2}}"
        rf"|{hijri}"
        rf"|[0-9]{{3,4}}{_SP}{{0,3}}ه{_NOT_LETTER_AHEAD}"  # a Hijri year: 1445 هـ
        rf"|(?:{_IGN_NUMS})(?![0-9])"
        rf"|{_IGN_SEPARATORS}",
        re.IGNORECASE,
    )
    today = re.compile(rf"{_NOT_LETTER_BEHIND}(?:{_alternation(words.today)}){_NOT_LETTER_AHEAD}",
                       re.IGNORECASE)
    return _Grammar(master=master, name=re.compile(rf"{_NOT_LETTER_BEHIND}{name}"),
                    token=token, en_month_word=re.compile(rf"{_NOT_LETTER_BEHIND}{latin_only}"),
                    today=today)


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
            folded = _fold(text[base:win_end])
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
        starts = [m.start() for m in self._grammar.today.finditer(_fold(text))]
        return self.read(text[starts[-1]:]) if starts else None

    # --- internals ----------------------------------------------------------------------------

    def _month_of(self, name: str) -> int | None:
        key = _word_key(name)
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
            if first is not None and _word_key(first.group()) in self.words.everyday:
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
                weekdays.add(self._weekdays.get(_word_key(m.group("wd"))))
            pos = m.end()
        return True, (weekdays.pop() if len(weekdays) == 1 else None)

    def _read(self, text: str) -> PartialDate | None:
        if not isinstance(text, str):
            return None
        stripped = text.strip()
        if not stripped or len(stripped) > MAX_DATE_LINE:
            return None
        lead = len(text) - len(text.lstrip())
        s = _fold(stripped)
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
def _grammar(words: DateWords) -> _Grammar:
    """One compiled grammar per set of words, whatever the numeric order of its readers."""
    return _compile_grammar(words)


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
