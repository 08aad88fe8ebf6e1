"""Text normalisation: the stored form every record carries, and the match key used to compare.

Sits in the normalise stage (and is used by the parser to split lines). Two forms, never mixed:

* ``stored_form`` / ``clean_line``: canonical but spelling-preserving. NFC; line ends unified;
  space-like characters become one plain space; invisible controls deleted; Arabic presentation
  forms expanded; Persian/Urdu keyboard look-alikes (Farsi yeh, keheh) become Arabic letters;
  tatweel removed. Hamza forms, ة/ى, diacritics and digits are kept as written.
* ``match_key``: never stored. Folds alef forms, alef maksura, teh marbuta, diacritics, digits,
  case and punctuation, so that ``وسائل الإعلام`` and ``وسائل الاعلام`` compare equal.
"""

from __future__ import annotations

import re
import unicodedata

#: Line separators other than ``\n`` that real dumps contain.
LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\u0085")

#: Characters that count as a plain space in the stored form.
SPACE_CHARS = (
    "\t\u000b\u000c\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u202f\u205f\u3000"
)

#: Invisible controls deleted from the stored form (zero-width, soft hyphen, bidi marks).
INVISIBLE_CHARS = (
    "\u200b\u2060\ufeff\u00ad\u200e\u200f\u061c"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

TATWEEL = "\u0640"

_SPACE_TABLE = {ord(c): " " for c in SPACE_CHARS}
_SPACE_TABLE.update({ord(c): None for c in INVISIBLE_CHARS})
_SPACE_TABLE[ord(TATWEEL)] = None
_SPACE_TABLE[0x06A9] = "\u0643"  # keheh -> kaf

_RUN_OF_SPACES = re.compile(r" {2,}")
_PRESENTATION_FORMS = re.compile(r"[\ufb50-\ufdfb\ufdfe\ufdff\ufe70-\ufefe]")
# Farsi yeh at a word's end is alef maksura in Arabic spelling, elsewhere yeh.
_FARSI_YEH_FINAL = re.compile(r"\u06cc(?![\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff])")
_NEEDS_WORK = re.compile(
    "[" + SPACE_CHARS + INVISIBLE_CHARS + TATWEEL + r"\u06a9\u06cc\ufb50-\ufdff\ufe70-\ufefe]"
)


def _expand_presentation_form(m: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", m.group(0))


_SPACE_STR_TABLE = {chr(cp): (value or "") for cp, value in _SPACE_TABLE.items()}
_OTHER_LINE_ENDS = ("\r", "\u2028", "\u2029", "\u0085")


_LIST_WORK_MAX = 1 << 16
_ALL_WORK = {*_SPACE_STR_TABLE, "\u06cc", "\ufb50"}


def _canonical(text: str) -> str:
    """The stored-form steps that do not depend on lines: look-alikes, spaces, controls, NFC."""
    if not text.isascii():
        # One scan for what needs work, then only the steps that have some. (A long text is not
        # listed character by character: it gets every step, each a no-op without its work.)
        if len(text) <= _LIST_WORK_MAX:
            found = set(_NEEDS_WORK.findall(text))
        else:
            found = _ALL_WORK if _NEEDS_WORK.search(text) else set()
        if found:
            if "\u06cc" in found:
                text = _FARSI_YEH_FINAL.sub("\u0649", text).replace("\u06cc", "\u064a")
            for char in found:
                replacement = _SPACE_STR_TABLE.get(char)
                if replacement is not None:
                    text = text.replace(char, replacement)
            if any(char >= "\ufb50" for char in found):  # presentation forms
                text = _PRESENTATION_FORMS.sub(_expand_presentation_form, text)
        text = unicodedata.normalize("NFC", text)
    elif "\t" in text or "\x0b" in text or "\x0c" in text:
        text = text.translate(_SPACE_TABLE)
    if "  " in text:
        text = _RUN_OF_SPACES.sub(" ", text)
    return text


def clean_line(line: str) -> str:
    """Stored form of one line (no line breaks inside): spaces folded, ends stripped.

    ``'  آسیا\u00a0الوسطى '`` -> ``'آسيا الوسطى'`` (Farsi yeh -> Arabic yeh, NBSP -> space).
    """
    return _canonical(line).strip()


def clean_lines(text: str) -> list[str]:
    """Stored form of every line of a text: ``[clean_line(l) for l in split_lines(text)]``,
    done on the whole text at once (one scan instead of one per line: the parser's hot path).

    ``'a\u00a0\u00a0b\r\n\u00a0\r\nc '`` -> ``['a b', '', 'c']``.
    """
    return [line.strip() for line in _canonical(_unify_line_ends(text)).split("\n")]


def split_lines(text: str) -> list[str]:
    """Split on every line end real dumps use (CRLF, CR, LF, U+2028/U+2029/U+0085)."""
    return _unify_line_ends(text).split("\n")


def _unify_line_ends(text: str) -> str:
    """Every line end as ``\n`` (the regex runs only when there is another kind)."""
    if any(end in text for end in _OTHER_LINE_ENDS):
        return LINE_BREAKS.sub("\n", text)
    return text


def stored_form(text: str) -> str:
    """Stored form of a multi-line text: each line cleaned, blank-line runs folded to one.

    ``'a\u00a0\u00a0b\r\n\u00a0\r\nc'`` -> ``'a b\n\nc'``.
    """
    out: list[str] = []
    for raw in split_lines(text):
        line = clean_line(raw)
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


# --- match key -------------------------------------------------------------------------------

_KEY_DELETE = [
    0x0640, 0x0670, 0x200C, 0x200D,
    *range(0x064B, 0x0660),
    *range(0x0610, 0x061B),
    *range(0x06D6, 0x06DD),
    *range(0x06DF, 0x06E9),
    *range(0x06EA, 0x06EE),
]
_KEY_TABLE: dict[int, str | None] = {cp: None for cp in _KEY_DELETE}
_KEY_TABLE.update({cp: "\u0627" for cp in (0x0622, 0x0623, 0x0625, 0x0671, 0x0672, 0x0673)})
_KEY_TABLE.update({cp: "\u064a" for cp in (0x0649, 0x06CC, 0x06D0, 0x06D2)})
_KEY_TABLE.update({cp: "\u0647" for cp in (0x0629, 0x06C0, 0x06C1, 0x06D5)})
_KEY_TABLE.update({cp: "\u0643" for cp in (0x06A9, 0x06AA)})
_KEY_TABLE.update({0x0660 + i: str(i) for i in range(10)})
_KEY_TABLE.update({0x06F0 + i: str(i) for i in range(10)})

_KEY_PUNCT = re.compile(r"[\W_][\W_]*")


def match_key(text: str) -> str:
    """Key for comparing Arabic text; never stored.

    ``'وسائل الإعلامِ، اليوم'`` -> ``'وسائل الاعلام اليوم'``; ``'مستشفى'`` -> ``'مستشفي'``.
    """
    text = unicodedata.normalize("NFKC", clean_line(text)).casefold().translate(_KEY_TABLE)
    return _KEY_PUNCT.sub(" ", text).strip()


def _replace_present(text: str, table: dict[str, str]) -> str:
    """``str.translate`` for a sparse table: one C-level ``replace`` per character of the table
    that occurs in ``text``. Several times faster than ``translate`` on long Arabic text, where
    CPython's translate looks every character up in a dict."""
    for char in _KEY_CHARS:
        if char in text:
            text = text.replace(char, table[char])
    return text


_KEY_STR_TABLE = {chr(cp): (value or "") for cp, value in _KEY_TABLE.items()}
_KEY_STR_TABLE.update({c: "" for c in INVISIBLE_CHARS})
_KEY_STR_TABLE["_"] = " "  # a word character to the regex below, punctuation to the key
_KEY_CHARS = tuple(_KEY_STR_TABLE)
# Runs of anything but word characters, plain spaces and line breaks (punctuation, symbols, tabs).
# Plain spaces are left alone, which keeps the substitution cheap on running text.
# (Spelt XX* rather than X+: a pattern that starts with a character set lets the regex engine
# skip ahead to candidates in C, about twice as fast on running text.)
_KEY_BREAKS = re.compile(r"[^\w \n][^\w \n]*")


def match_key_lines(text: str) -> str:
    """``match_key`` of a whole text in one pass, keeping its line breaks as separators (runs of
    spaces are not folded: split on white space to compare words).

    ``'وسائل الإعلامِ\nاليوم.'`` -> ``'وسائل الاعلام\nاليوم '``. For callers that key a long
    text piece by piece: one call instead of one per piece.
    """
    text = _replace_present(unicodedata.normalize("NFKC", text).casefold(), _KEY_STR_TABLE)
    return _KEY_BREAKS.sub(" ", text)
