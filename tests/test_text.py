"""Stored form and match key (see the README's normalisation policy)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from news_ingest.text import (
    clean_line,
    clean_lines,
    match_key,
    match_key_lines,
    split_lines,
    stored_form,
)

ARABICISH = st.text(
    alphabet=st.sampled_from(
        list("ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإؤئةىیکـًٌٍَُِّْ٠١٢٣٤٥٦٧٨٩۰۱۲") +
        list(" \u00a0\t\u200b\u200f\u2028\r\u0085.,،؛:«»\"'-_#@abcXYZ0123\n\ufefb\u00ad\u06a9")),
    max_size=80)


def test_stored_form_keeps_spelling_but_folds_look_alikes_and_spaces() -> None:
    assert clean_line("  آسیا\u00a0\u00a0الوسطى ") == "آسيا الوسطى"  # Farsi yeh inside a word
    assert clean_line("فی") == "فى"  # Farsi yeh at a word's end is alef maksura
    assert clean_line("کتاب") == "كتاب"  # keheh
    assert clean_line("لـ «المدافع»") == "ل «المدافع»"  # tatweel removed
    assert clean_line("a\u200bb\u200f\u00adc") == "abc"  # invisible controls removed
    assert clean_line("\ufefb") == "لا"  # presentation form expanded
    assert clean_line("إِنَّ ١٢ ﷽") == "إِنَّ ١٢ ﷽"  # diacritics, digits, U+FDFD kept
    assert stored_form("a\r\n\u00a0\r\nb\u2028c\rd") == "a\n\nb\nc\nd"


def test_match_key_folds_what_stored_form_keeps() -> None:
    assert match_key("وسائل الإعلامِ") == match_key("وسائل الاعلام") == "وسائل الاعلام"
    assert match_key("مستشفى") == "مستشفي"
    assert match_key("مدرسة") == "مدرسه"
    assert match_key("RT Arabic ٢٠٢٤") == "rt arabic 2024"
    assert match_key("«الناتو»، اليوم!") == "الناتو اليوم"


@given(ARABICISH)
def test_normalisation_is_idempotent(text: str) -> None:
    assert clean_line(clean_line(text)) == clean_line(text)
    assert stored_form(stored_form(text)) == stored_form(text)
    assert match_key(match_key(text)) == match_key(text)


@given(ARABICISH)
def test_match_key_lines_agrees_with_match_key_line_by_line(text: str) -> None:
    lines = match_key_lines(stored_form(text)).split("\n")
    expected = [match_key(line) for line in stored_form(text).split("\n")]
    assert [" ".join(line.split()) for line in lines] == expected


@given(ARABICISH)
def test_clean_lines_is_clean_line_on_every_line(text: str) -> None:
    assert clean_lines(text) == [clean_line(line) for line in split_lines(text)]


WORK_CHARS = st.text(
    alphabet=st.sampled_from(
        list("ابی کـ\u064a\u0649 \u00a0\t\u200b\u200f\u202f\u3000\ufeff\u00ad\u06a9\u06cc") +
        list("\ufefb\ufbfc\ufdf2\ufdfa\ufe8d\ufb50\u0301e")),
    max_size=60)


@given(WORK_CHARS)
def test_a_long_text_gets_the_same_stored_form_as_a_short_one(text: str) -> None:
    # Short texts run only the steps their characters need; long ones (past 64 K characters)
    # run every step. Padding with ASCII lines changes neither what needs work nor the result.
    pad = "x" * (1 << 16)
    assert clean_lines(f"{text}\n{pad}") == [*clean_lines(text), pad]
