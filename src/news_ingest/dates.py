"""Read dates out of scraped (Arabic-first) news text.

Stage: normalise. Raw date text -> parts -> ISO date ('YYYY-MM-DD').

* `read_date` reads a string that *is* a date (a header or date line such as
  ``تاريخ النشر: 12th, November 2023 GMT`` or ``٠٧ نوفمبر``).
* `find_dates` finds every date mention inside running text, with character spans.
* `infer_year` supplies a missing year from the article's own text, or nothing.

Rules every function follows:

* Never invent a part. A part that is not written in the text is ``None``; nothing is ever
  taken from "today". A two-digit year is not a year.
* Arabic-Indic (U+0660-U+0669) and Extended (U+06F0-U+06F9) digits count as ASCII digits.
* Arabic month names of all three families (Egyptian/Gulf, Levantine/Iraqi, Maghrebi, plus the
  Moroccan spellings) and English names are matched on a folded form (alef/hamza, ya/alef maqsura,
  ta marbuta/ha are folded; diacritics and tatweel are skipped). Dual forms
  (``نوفمبر/تشرين الثاني``) must agree; when they name different months the mention is dropped.
* Numeric dates: year-first (``2024-11-07``) is always Y-M-D; otherwise day-first
  (``07/11/2024`` is 7 November), unless the middle number cannot be a month (``11/17/2024``).
  A numeric date needs its four-digit year.
* Times and zones are ignored, never applied: ``Sun, 15 Jul 2018 21:56:56 +0400`` is 2018-07-15,
  the date as written in its own offset.

Folding maps one character to one character, so spans found on the folded text are spans of the
input. All regular expressions are compiled at import. The one that scans running text has only
bounded repeats (its longest match is under 256 characters), and `find_dates` runs it only in
windows around digits and dual-form separators, so text without them costs one linear scan.
`read_date` looks only at lines of at most 256 characters.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from dateutil import parser as du_parser

__all__ = ["PartialDate", "find_dates", "infer_year", "read_date"]

YEAR_MIN = 1800
YEAR_MAX = 2200
# A line longer than this is not a date line; `read_date` returns None without parsing it.
MAX_DATE_LINE = 256


@dataclass(frozen=True)
class PartialDate:
    """A date whose parts may be missing; ``start``/``end`` is the span of the matched text."""

    year: int | None
    month: int | None
    day: int | None
    start: int = 0
    end: int = 0

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


# --------------------------------------------------------------------------------------------
# Month names, in folded spelling.

_AR_MONTHS: dict[str, int] = {
    # Egyptian / Gulf
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6,
    "يوليو": 7, "يوليه": 7, "اغسطس": 8, "سبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
    # Levantine / Iraqi
    "كانون الثاني": 1, "كانون ثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5,
    "حزيران": 6, "تموز": 7, "اب": 8, "ايلول": 9, "تشرين الاول": 10, "تشرين اول": 10,
    "تشرين الثاني": 11, "تشرين ثاني": 11, "كانون الاول": 12, "كانون اول": 12,
    # Maghrebi (Algeria, Tunisia)
    "جانفي": 1, "فيفري": 2, "افريل": 4, "ماي": 5, "جوان": 6, "جويليه": 7, "اوت": 8,
    # Moroccan
    "يوليوز": 7, "غشت": 8, "شتنبر": 9, "نونبر": 11, "دجنبر": 12,
}
# Levantine names written with a digit: تشرين 1 / تشرين 2 / كانون 1 / كانون 2.
_AR_DIGIT_MONTHS: dict[str, int] = {"تشرين1": 10, "تشرين2": 11, "كانون1": 12, "كانون2": 1}
# Names that are also everyday words (مارس "he practised", ماي, اب "father", اوت): never read
# with a clitic letter glued in front (باب is "door", not "in August").
_AR_AMBIGUOUS = frozenset({"مارس", "ماي", "اب", "اوت"})

_EN_FULL = (
    "january february march april may june july august september october november december"
).split()
_EN_MONTHS: dict[str, int] = {name: i for i, name in enumerate(_EN_FULL, 1)}
_EN_ABBR: dict[str, int] = {name[:3]: i for i, name in enumerate(_EN_FULL, 1)}
_EN_ABBR["sept"] = 9
del _EN_ABBR["may"]

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


_DIGIT_FORM: _Atom = (1, rf"{_SP}{{0,3}}[12](?![0-9])")  # تشرين 2, كانون 1
_AR_NAME = _trie_regex(
    [_ar_atoms(n) for n in _AR_MONTHS]
    + [[*_ar_atoms(n), _DIGIT_FORM] for n in ("تشرين", "كانون")]
)


def _en_atoms(name: str, abbr: bool) -> list[list[_Atom]]:
    """Title, lower and upper case (no re.IGNORECASE: it disables the fast literal checks)."""
    out = []
    for variant in {name.capitalize(), name, name.upper()}:
        atoms = [(0, re.escape(ch)) for ch in variant]
        out.append([*atoms, (1, r"\.?")] if abbr else atoms)
    return out


_EN_NAME = _trie_regex(
    [a for n in _EN_MONTHS for a in _en_atoms(n, False)]
    + [a for n in _EN_ABBR for a in _en_atoms(n, True)]
)
_NAME = rf"(?:(?:{_AR_NAME}|{_EN_NAME}){_NOT_LETTER_AHEAD})"
_EN_ONLY = rf"(?:{_EN_NAME}{_NOT_LETTER_AHEAD})"

# A second (or third) name of a dual form: نوفمبر/تشرين الثاني, أيلول/ سبتمبر,
# يناير كانون الثاني, نوفمبر (تشرين الثاني).
_DUAL = (
    rf"(?:{_SP}{{0,3}}[/\\|\-\u2013]{_SP}{{0,3}}{_NAME}"
    rf"|{_SP}{{1,3}}{_NAME}"
    rf"|{_SP}{{0,3}}\({_SP}{{0,3}}{_NAME}{_SP}{{0,3}}\))"
)

_SEP = rf"{_SP}{{0,4}}(?:[,\u060c\-\u2013]{_SP}{{0,4}})?"
_DAY = r"(?<![0-9.:/\-\u066b])[0-9]{1,2}(?![0-9%\u066a]|[.,\u066b][0-9])"
_ORD = r"(?:st|nd|rd|th|ST|ND|RD|TH)(?![A-Za-z])"
_YEAR = r"(?<![0-9.:/\-\u066b])[0-9]{4}(?![0-9]|[.,\u066b/\-][0-9])"
_YEAR_WORD = rf"(?:من{_SP}{{1,3}})?(?:لل|ال|ل)?(?:عام|سنه){_SP}{{0,3}}"
_M_SUFFIX = rf"م{_NOT_LETTER_AHEAD}"  # 2024م


def _named_month(p: str) -> str:
    """Month name(s), then an optional year; group names start with ``p``."""
    return (
        rf"{_NOT_LETTER_BEHIND}(?P<{p}cl>[وبلف]\u0640{{0,3}})?(?P<{p}mg>{_NAME}{_DUAL}{{0,2}})"
        rf"(?:{_SEP}(?:{_YEAR_WORD})?(?P<{p}y>{_YEAR})(?P<{p}ym>{_M_SUFFIX})?)?"
    )


# Each alternative is guarded by a one-character lookahead so that the engine gives up at once
# on the vast majority of positions (spaces, punctuation).
_MASTER = re.compile(
    r"(?=[0-9])(?:"
    # C: year-first numeric, always Y-M-D.
    rf"(?P<c_y>(?<![0-9.:/\-])[0-9]{{4}})(?P<c_s>[\-/.])(?P<c_m>[0-9]{{1,2}})(?P=c_s)"
    rf"(?P<c_d>[0-9]{{1,2}})(?![0-9]|[./\-][0-9])"
    # D: day-first numeric with a four-digit year.
    rf"|(?P<e_d>(?<![0-9.:/\-])[0-9]{{1,2}})(?P<e_s>[\-/.])(?P<e_m>[0-9]{{1,2}})(?P=e_s)"
    rf"(?P<e_y>[0-9]{{4}})(?![0-9]|[./\-][0-9])"
    # A1: day, month name(s), optional year: 7 نوفمبر/تشرين الثاني 2024, 12th, November 2023.
    rf"|(?P<a_d>{_DAY})(?:{_ORD})?{_SEP}(?:(?:من|of){_SP}{{1,3}})?(?:شهر{_SP}{{1,3}})?"
    rf"{_named_month('a_')}"
    r")|(?=[^\W\d_])(?:"
    # B: English month-first: November 1, 2023.
    rf"{_NOT_LETTER_BEHIND}(?P<b_mg>{_EN_ONLY}){_SEP}(?P<b_d>{_DAY})(?:{_ORD})?"
    rf"(?:{_SEP}(?P<b_y>{_YEAR}))?"
    # A2: month name(s) and optional year, no day: فبراير 2022, أيلول/ سبتمبر.
    rf"|{_named_month('n_')}"
    r")"
)
_NAME_RE = re.compile(rf"{_NOT_LETTER_BEHIND}{_NAME}")
_TATWEEL_DOT_RE = re.compile(r"[\u0640.]+")
_SPACES_RE = re.compile(r"\s+")
# Separators that make two adjacent month names a dual form on their own (month-only mention).
_DUAL_HINT = re.compile(r"[/\\|(\-\u2013]")

# find_dates only runs the big pattern near an anchor: every mention it accepts holds a digit
# or a dual-form separator. _WINDOW bounds the length of any _MASTER match (a test checks it),
# so a mention lies inside the window of each of its anchors.
_WINDOW = 256
_ANCHORS = r"0-9\u0660-\u0669\u06f0-\u06f9/\\|(\-\u2013"
_CLUSTER = re.compile(rf"[{_ANCHORS}]+(?:[^{_ANCHORS}]{{1,{2 * _WINDOW}}}[{_ANCHORS}]+)*")

# What may surround a date on a date line: weekdays, اليوم, times, zones, punctuation.
_IGN_WORDS = (
    "(?:ال)?(?:احد|اثنين|ثلاثاء|اربعاء|خميس|جمعه|سبت)|اليوم|يوم|الموافق|في|بتاريخ|تاريخ"
    "|الساعه|ساعه|صباحا|مساءا|مساء|ظهرا|عصرا|ليلا|فجرا|ص|م|بتوقيت|غرينتش|جرينتش|توقيت"
    "|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    "|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun|on|at|am|pm|a\\.m|p\\.m"
    "|gmt|utc|ut|z|est|edt|cst|cdt|mst|mdt|pst|pdt|cet|cest|eet|eest|msk|bst|wet|west|ast"
)
_IGN_NUMS = (
    r"t?[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"  # 21:56:56, T21:56:56.123
    r"|[+\-\u2212][0-9]{2}:?[0-9]{2}"  # +0400, +04:00
    r"|(?<=[a-z])[+\-\u2212][0-9]{1,2}"  # GMT+3
)
_IGNORABLE = re.compile(
    rf"(?:(?:{_IGN_WORDS}){_NOT_LETTER_AHEAD}\.?|(?:{_IGN_NUMS})(?![0-9])"
    r"|[\s\u0640,\u060c.;:\-\u2013\u2014|/()\[\]])*",
    re.IGNORECASE,
)
# 'تاريخ النشر:' / 'Published:' in front of the date (no digit before the colon).
_LABEL = re.compile(r"[^0-9:\n]{1,40}:")
# Compact ISO (read_date only): 20231112, 20231112T103000Z.
_COMPACT_ISO = re.compile(
    r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"
    r"(?:T[0-9]{2}:?[0-9]{2}(?::?[0-9]{2}(?:\.[0-9]{1,9})?)?)?(?:Z|[+\-][0-9]{2}:?[0-9]{2})?",
    re.IGNORECASE,
)
_ISO_MONTH = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})")

def _month_of(name: str) -> int | None:
    key = _SPACES_RE.sub(" ", _TATWEEL_DOT_RE.sub("", name)).strip().lower()
    if key in _AR_MONTHS:
        return _AR_MONTHS[key]
    if key in _EN_MONTHS:
        return _EN_MONTHS[key]
    if key in _EN_ABBR:
        return _EN_ABBR[key]
    return _AR_DIGIT_MONTHS.get(key.replace(" ", ""))


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


def _numeric(y: str, m: str, d: str, start: int, end: int, dayfirst: bool) -> PartialDate | None:
    year, month, day = _year(y), int(m), int(d)
    if dayfirst and month > 12 and 1 <= day <= 12:  # 11/17/2024 can only be M/D/Y
        month, day = day, month
    if year is None or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    return PartialDate(year, month, day, start, end)


def _interpret(m: re.Match[str]) -> tuple[PartialDate, bool] | None:
    """A match of `_MASTER` -> (date, is_explicit_dual); None when it is not a trustworthy date
    (a dual form whose names disagree, a number that cannot be a day, ...)."""
    if m.group("c_y") is not None:
        pd = _numeric(m["c_y"], m["c_m"], m["c_d"], m.start(), m.end(), dayfirst=False)
        return None if pd is None else (pd, False)
    if m.group("e_y") is not None:
        pd = _numeric(m["e_y"], m["e_m"], m["e_d"], m.start(), m.end(), dayfirst=True)
        return None if pd is None else (pd, False)

    if m.group("b_mg") is not None:
        day, year = _day(m["b_d"]), _year(m["b_y"])
        if day is None:
            return None
        end = m.end("b_d") if year is None else m.end("b_y")
        return PartialDate(year, _month_of(m["b_mg"]), day, m.start("b_mg"), end), False

    p = "a_" if m.group("a_mg") is not None else "n_"
    group = m[p + "mg"]
    names = [_month_of(n.group()) for n in _NAME_RE.finditer(group)]
    months = {n for n in names if n is not None}
    if len(months) != 1:
        return None  # 'نوفمبر/ديسمبر': the two names disagree
    month = months.pop()
    if m.group(p + "cl") is not None:
        first = _NAME_RE.match(group)
        if first is not None and _TATWEEL_DOT_RE.sub("", first.group()) in _AR_AMBIGUOUS:
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


# --------------------------------------------------------------------------------------------
# Public API


def find_dates(text: str) -> list[PartialDate]:
    """Every date mention inside running text (a paragraph), in order, with spans.

    A mention needs a month plus a day or a four-digit year next to it, or is a numeric date
    with a four-digit year. A dual form whose two names agree and are joined by '/' (or '\\',
    '|', '-', parentheses) also counts on its own (``أيلول/ سبتمبر``). Dual forms whose names
    disagree are dropped. Plain numbers and lone years are never dates.

    >>> [d.iso() for d in find_dates('اليوم الخميس 7 نوفمبر/تشرين الثاني 2024.')]
    ['2024-11-07']
    """
    if not isinstance(text, str) or not text:
        return []
    found: list[PartialDate] = []
    n = len(text)
    for cluster in _CLUSTER.finditer(text):
        win_start = max(0, cluster.start() - _WINDOW)
        win_end = min(n, cluster.end() + _WINDOW)
        base = max(0, win_start - 2)  # lookbehinds see up to two characters before the window
        folded = _fold(text[base:win_end])
        for m in _MASTER.finditer(folded, win_start - base):
            result = _interpret(m)
            if result is None:
                continue
            pd, dual = result
            if pd.day is None and pd.year is None and not dual:
                continue
            found.append(PartialDate(pd.year, pd.month, pd.day, pd.start + base, pd.end + base))
    return found


def read_date(text: str) -> PartialDate | None:
    """Read a text that IS a date (a header/date line) into its parts; None when it is not a date.

    Weekday names, اليوم, a leading label ending in ':' (``تاريخ النشر:``), times and zones may
    surround the date and are ignored; anything else makes the line not a date. A month name on
    its own is a date with only a month. The span is that of the date inside ``text``.

    >>> read_date('٠٧ نوفمبر')
    PartialDate(year=None, month=11, day=7, start=0, end=9)
    """
    try:
        return _read_date(text)
    except Exception:  # totality: a date reader must never take the pipeline down
        return None


def infer_year(partial: PartialDate, texts: Iterable[str]) -> int | None:
    """A year for a date that lacks one, from the article's own text: the year of a complete
    date in `texts` with the same day and month. None when there is no such evidence or when the
    evidence disagrees (two different years).

    A date that already has a year keeps it; one without a day or a month gets None.

    >>> infer_year(read_date('٠٧ نوفمبر'), ['اليوم الخميس 7 نوفمبر/تشرين الثاني 2024.'])
    2024
    """
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
        for d in find_dates(text):
            same_day = d.day == partial.day and d.month == partial.month
            if same_day and d.year is not None and d.iso() is not None:
                years.add(d.year)
    return years.pop() if len(years) == 1 else None


# --------------------------------------------------------------------------------------------
# read_date internals


def _ignorable(s: str) -> bool:
    return _IGNORABLE.fullmatch(s) is not None


def _numeric_line(full: re.Match[str], lead: int) -> PartialDate | None:
    year, month = _year(full["y"]), int(full["m"])
    day = int(full["d"]) if "d" in full.re.groupindex else None
    if year is None or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return PartialDate(year, month, day, lead + full.start(), lead + full.end())


def _read_date(text: str) -> PartialDate | None:
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_DATE_LINE:
        return None
    lead = len(text) - len(text.lstrip())
    s = _fold(stripped)

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

    m = _MASTER.search(s, body_start)
    if m is not None and _ignorable(s[body_start : m.start()]) and _ignorable(s[m.end() :]):
        result = _interpret(m)
        if result is None or any(
            m.group(g) is not None and _year(m[g]) is None for g in ("b_y", "a_y", "n_y")
        ):
            return None  # a date line with an implausible year is not read as a partial date
        pd = result[0]
        return PartialDate(pd.year, pd.month, pd.day, pd.start + lead, pd.end + lead)

    parts = _dateutil_parts(stripped)
    if parts is None:
        return None
    year, month, day = parts
    return PartialDate(year, month, day, lead, lead + len(stripped))


# dateutil fallback: English lines our grammar does not cover ('Sun Nov 12 10:30:00 2023').
# Parsed twice with two different defaults; a part is kept only when both parses agree *and*
# it is written in the text, so nothing can come from the defaults (or from today).
_DEFAULT_A = datetime(2000, 1, 1)
_DEFAULT_B = datetime(2004, 2, 2)  # both leap years, so a year-less 29 Feb still parses
_EN_MONTH_WORD = re.compile(rf"{_NOT_LETTER_BEHIND}{_EN_ONLY}")
_TRAILING_ZONE = re.compile(r"\s*(?:GMT|UTC|Z)\s*$", re.IGNORECASE)
_DATEUTIL_MAX = 100
_FOUR_DIGITS = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")


def _dateutil_parts(s: str) -> tuple[int | None, int, int | None] | None:
    if len(s) > _DATEUTIL_MAX or not s.isascii() or _EN_MONTH_WORD.search(s) is None:
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
