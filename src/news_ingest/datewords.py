"""The words a date reader knows, and the grammar (regular expressions) built from them.

Stage: normalise. Used by `news_ingest.dates`, which reads dates with this grammar.

* `fold` maps one character to one character (alef/hamza, ya/alef maqsura, ta marbuta/ha,
  Arabic-Indic digits; diacritics and invisible controls become tatweel, which the patterns
  skip), so spans found on folded text are spans of the input.
* `DateWords` holds month names, weekdays and the other words of date lines, from
  ``data/dates.yaml`` (`packaged_words`) or a layout's ``dates:`` key.
* `compile_grammar` builds the patterns: names merged into a trie (one first-letter test per
  position instead of a hundred alternatives), bounded repeats only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

__all__ = ["DateWords", "Grammar", "compile_grammar", "fold", "packaged_words", "word_key"]

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


def fold(text: str) -> str:
    return text.translate(_FOLD)


_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
_TATWEEL_DOT_RE = re.compile(r"[\u0640.]+")
_SPACES_RE = re.compile(r"\s+")


def word_key(name: str) -> str:
    """The key a name is looked up by: folded, tatweel and dots out, spaces folded, lower case."""
    return _SPACES_RE.sub(" ", _TATWEEL_DOT_RE.sub("", fold(name))).strip().lower()


# --------------------------------------------------------------------------------------------
# The words a reader knows (data/dates.yaml, extended by a layout's `dates:` key).


@dataclass(frozen=True)
class DateWords:
    """Month names, weekdays and the other words of date lines, each keyed by `word_key`."""

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
            return tuple(sorted({word_key(str(k)): int(v)
                                 for k, v in (data.get(key) or {}).items()}.items()))

        def words(key: str) -> tuple[str, ...]:  # matched as written (folded): 'a.m' keeps its dot
            return tuple(sorted({_SPACES_RE.sub(" ", fold(str(w))).strip().lower()
                                 for w in data.get(key) or []}))

        digits = tuple(sorted(
            (word_key(str(name)), tuple(sorted((int(k), int(v)) for k, v in forms.items())))
            for name, forms in (data.get("digit_months") or {}).items()))
        return cls(
            months=pairs("months"), abbreviations=pairs("abbreviations"), digit_months=digits,
            everyday=frozenset(word_key(str(w)) for w in data.get("everyday_words") or []),
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
# (a day is not the start of a decimal '18,5', but may touch its year: 'Nov 18,2024')
_DAY = r"(?<![0-9.:/\-\u066b])[0-9]{1,2}(?![0-9%\u066a]|[.\u066b][0-9]|,(?![0-9]{4}(?![0-9]))[0-9])"
# (a '/' before the year only after a month name: '10/سبتمبر/2024', never '10/09/2024')
_YEAR = r"(?<![0-9.:\-\u066b])(?<![0-9]/)[0-9]{4}(?![0-9]|[.,\u066b/\-][0-9])"
_SEP = rf"{_SP}{{0,4}}(?:[,\u060c\-\u2013/]{_SP}{{0,4}})?"
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
@dataclass(frozen=True)
class Grammar:
    master: re.Pattern[str]
    name: re.Pattern[str]
    token: re.Pattern[str]  # one ignorable token of a date line; group 'wd' for a weekday
    en_month_word: re.Pattern[str]
    today: re.Pattern[str]


def compile_grammar(words: DateWords) -> Grammar:
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
        # B2: any month name first, as WordPress writes it: أبريل 12, 2025 (the comma and the
        # year are needed: 'أبريل 12' alone may be a month and a count).
        rf"|{_NOT_LETTER_BEHIND}(?P<f_mg>{name}){_SP}{{1,3}}(?P<f_d>{_DAY}){_SP}{{0,2}},"
        rf"{_SP}{{0,3}}(?P<f_y>{_YEAR})"
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
    return Grammar(master=master, name=re.compile(rf"{_NOT_LETTER_BEHIND}{name}"),
                    token=token, en_month_word=re.compile(rf"{_NOT_LETTER_BEHIND}{latin_only}"),
                    today=today)
