"""Mojibake: lines of UTF-8 that a wrong code page garbled are repaired, and said so."""

from __future__ import annotations

from pathlib import Path

from news_ingest.mojibake import repair

PAGE = Path(__file__).resolve().parent / "data" / "mojibake-page.txt"  # a real page, cut


def test_windows_1256_mojibake_is_repaired_line_by_line() -> None:
    text, notes = repair(PAGE.read_text(encoding="utf-8"))
    lines = text.split("\n")
    assert lines[0] == ("الاحتفال بالذكرى العاشرة لتأسيس جمعية الانترنت باليمن .. وتنظيم ندوة "
                        "عن التشفير")  # every ح restored: its second byte was lost in the crawl
    assert lines[1] == "تاريخ النشر: 27th, October 2023 GMT"  # the clean line is left alone
    assert lines[2] == "سام برس"
    assert notes == ["text: lines 1, 3, 4, 5 were UTF-8 read as Windows-1256 (mojibake); "
                     "repaired"]


def test_latin_mojibake_is_repaired_with_ftfy() -> None:
    text, notes = repair("Ø§Ù„Ø¹Ø±Ø¨ÙŠØ©\nLe prÃ©sident\nسطر سليم")
    assert text == "العربية\nLe président\nسطر سليم"
    assert notes == ["text: line 1 was UTF-8 read as windows-1252 (mojibake); repaired",
                     "text: line 2 was UTF-8 read as latin-1 (mojibake); repaired"]
    assert repair("سطر سليم تماما\nوآخر") == ("سطر سليم تماما\nوآخر", [])




def test_a_garbled_line_that_cannot_be_repaired_is_named() -> None:
    garbled = "ط§ظ„ط¹ط±ط¨ظٹط© ظ…ط±ط­ط¨ط§ ظ…ط¹ ظ†طµ"
    text, notes = repair(garbled + "ب")  # a clean letter glued on: no longer a round trip
    assert text == garbled + "ب"
    assert notes == ["text: line 1 was garbled (mojibake) and could not be repaired"]


def test_a_repair_never_adds_or_removes_a_line_end() -> None:
    """'Â\x85' holds U+0085, a line end, which ftfy would turn into '…': such a line is left
    as it is, so the lines the parser counts are the lines of the input."""
    assert repair("Ø\nÂ\x850") == ("Ø\nÂ\x850", [])


def test_lines_ending_in_crlf_are_repaired_and_keep_their_line_ends() -> None:
    page = PAGE.read_text(encoding="utf-8")
    crlf_text, crlf_notes = repair(page.replace("\n", "\r\n"))
    text, notes = repair(page)
    assert crlf_text == text.replace("\n", "\r\n")
    assert crlf_notes == notes != []
