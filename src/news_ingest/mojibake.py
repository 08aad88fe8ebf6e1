"""Mojibake: UTF-8 text that was decoded with a single-byte code page before it was stored.

Stage: between sources and parse (``parse.parse_text`` calls `repair`), so that labels and
dates on a repaired line are found like any other. Each line is looked at on its own: a crawl
often garbles the body of a page and leaves its header clean.

Two shapes are repaired:

* UTF-8 Arabic read as Windows-1256 (``ط§ظ„`` for ``ال``). ftfy does not know this code page,
  so it is undone here: the line is encoded back to Windows-1256 and decoded as UTF-8. The
  crawl usually dropped the soft hyphen that byte 0xAD became, so every ``ح`` (bytes D8 AD)
  lost its second byte: a lead byte D8 left without its continuation is given 0xAD back.
* UTF-8 read as Windows-1252 or Latin-1 (``Ø§Ù„``, ``prÃ©sident``): ftfy's
  ``fix_encoding`` undoes it.

A line is only replaced when the round trip decodes cleanly into text of the expected script,
so clean text is never touched. Every repair is reported (`repair` returns notes for the
record's warnings); a line that looks garbled but cannot be repaired is reported too.
"""

from __future__ import annotations

import re

# What bytes 0x80-0xBF (UTF-8 continuation bytes) become when read as Windows-1256: in Arabic
# mojibake, nearly every 'ط' or 'ظ' (the lead bytes D8, D9) is followed by one of them.
_CP1256_CONTINUATIONS = bytes(range(0x80, 0xC0)).decode("cp1256")
_CP1256_PAIR = re.compile(f"[\u0637\u0638][{re.escape(_CP1256_CONTINUATIONS)}]")
# Characters that Latin-script mojibake is made of (Ã©, Ø§, â€™): clean Arabic has none of
# them, so ftfy is only asked about lines that hold some.
_LATIN_MOJIBAKE_HINT = re.compile(
    "[\u00c2\u00c3\u00c5\u00d8\u00d9\u00e2][\u0080-\u00bf\u0152-\u2122]")
# What any garbled page holds: 'ط§' (ا), 'ظ„' (ل), 'ظ…' (م) in Windows-1256 mojibake; 'Ø', 'Ù',
# 'Ã', 'â€' in the Latin kind.
_HINTS = ("\u0637\u00a7", "\u0638\u201e", "\u0638\u2026", "\u00d8", "\u00d9", "\u00c3",
          "\u00e2\u20ac")
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_LETTER = re.compile(r"[^\W\d_]")
# A repair never adds or removes a line end (lines are counted before it: the line accounting;
# U+0085 is a line end, and also what byte 0x85 becomes in Latin-1).
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
#: A line is taken for Windows-1256 mojibake from this many tell-tale pairs on.
MIN_PAIRS = 3


def _cp1256_repair(line: str) -> str | None:
    """The UTF-8 text a Windows-1256 reading garbled, or None when ``line`` is not that."""
    try:
        data = line.encode("cp1256")
    except UnicodeEncodeError:
        return None
    # D8 left without a continuation byte: its 0xAD (soft hyphen) was dropped, so it was 'ح'.
    data = re.sub(rb"\xd8(?![\x80-\xbf])", b"\xd8\xad", data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    letters = _LETTER.findall(text)
    if _LINE_BREAK.search(text) or not letters \
            or len(_ARABIC_LETTER.findall(text)) < 0.6 * len(letters):
        return None
    return text


def repair(text: str) -> tuple[str, list[str]]:
    """``text`` with garbled lines repaired, and notes saying what was done (or could not be).

    ``'ط§ظ„ط¹ط±ط¨ظٹط©'`` -> ``'العربية'`` with the note ``text: line 1 was UTF-8 read as
    Windows-1256 (mojibake); repaired``.
    """
    if not any(hint in text for hint in _HINTS):  # substring scans: about 2 instructions a char
        return text, []
    lines = text.split("\n")
    repaired: dict[str, list[int]] = {}
    failed: list[int] = []
    for number, line in enumerate(lines, 1):
        end = "\r" if line.endswith("\r") else ""  # a CRLF line end stays as it was
        line = line[:len(line) - len(end)]
        if _LINE_BREAK.search(line):  # another kind of line end inside: left as it is
            continue
        if len(_CP1256_PAIR.findall(line)) >= MIN_PAIRS:
            fixed = _cp1256_repair(line)
            if fixed is None:
                failed.append(number)
            else:
                lines[number - 1] = fixed + end
                repaired.setdefault("Windows-1256", []).append(number)
        elif _LATIN_MOJIBAKE_HINT.search(line):
            import ftfy  # only for pages that look garbled

            fixed, steps = ftfy.fix_encoding_and_explain(line)
            if steps and fixed != line and not _LINE_BREAK.search(fixed):
                lines[number - 1] = fixed + end
                encoding = next((arg for op, arg in steps if op == "encode"), "a code page")
                repaired.setdefault(encoding.replace("sloppy-", ""), []).append(number)
    notes = [f"text: {_lines(numbers)} UTF-8 read as {encoding} (mojibake); repaired"
             for encoding, numbers in repaired.items()]
    if failed:
        notes.append(f"text: {_lines(failed)} garbled (mojibake) and could not be repaired")
    return "\n".join(lines), notes


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:10])) + (", …" if len(numbers) > 10 else "")
    return f"line {shown} was" if len(numbers) == 1 else f"lines {shown} were"
