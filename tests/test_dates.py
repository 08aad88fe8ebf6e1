"""Tests for news_ingest.dates: raw date text -> parts -> ISO date."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from news_ingest import dates
from news_ingest.dates import PartialDate, find_dates, infer_year, read_date

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def parts(d: PartialDate | None) -> tuple[int | None, int | None, int | None] | None:
    return None if d is None else (d.year, d.month, d.day)


def mentions(text: str) -> list[tuple[int | None, int | None, int | None, str]]:
    return [(d.year, d.month, d.day, text[d.start : d.end]) for d in find_dates(text)]


# --------------------------------------------------------------------------------------------
# PartialDate


def test_partial_date_complete_and_iso() -> None:
    assert PartialDate(2024, 11, 7).complete is True
    assert PartialDate(2024, 11, 7).iso() == "2024-11-07"
    assert PartialDate(None, 11, 7).complete is False
    assert PartialDate(None, 11, 7).iso() is None
    assert PartialDate(2024, 11, None).iso() is None


def test_invalid_calendar_date_gives_no_iso_and_no_exception() -> None:
    d = read_date("31 فبراير 2024")
    assert parts(d) == (2024, 2, 31)
    assert d is not None and d.complete and d.iso() is None
    assert PartialDate(2023, 2, 29).iso() is None
    assert PartialDate(2024, 2, 29).iso() == "2024-02-29"
    assert PartialDate(2024, 13, 1).iso() is None


# --------------------------------------------------------------------------------------------
# read_date: English and numeric


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("12th, November 2023 GMT", "2023-11-12"),
        ("25th, September 2023 GMT", "2023-09-25"),
        ("25th, January 2024 GMT", "2024-01-25"),
        ("November 1, 2023", "2023-11-01"),
        ("1 Nov 2023", "2023-11-01"),
        ("Nov. 5, 2023", "2023-11-05"),
        ("NOVEMBER 12TH, 2023", "2023-11-12"),
        ("1st March 2024 UTC", "2024-03-01"),
        ("2nd of March 2024", "2024-03-02"),
        ("March 3rd, 2024 Z", "2024-03-03"),
        ("Mon, 26 Feb 2018 02:20:10 GMT", "2018-02-26"),
        ("Sun, 15 Jul 2018 21:56:56 +0400", "2018-07-15"),
        ("2018-07-15T21:56:56+04:00", "2018-07-15"),
        ("2018-07-15T21:56:56Z", "2018-07-15"),
        ("2018-07-15", "2018-07-15"),
        ("20231112T103000Z", "2023-11-12"),
        ("Sun Nov 12 10:30:00 2023", "2023-11-12"),  # through the dateutil fallback
        ("تاريخ النشر: 12th, November 2023 GMT", "2023-11-12"),
        ("Published: Mon, 26 Feb 2018 02:20:10 GMT", "2018-02-26"),
        ("15 أكتوبر ,2023: 11:02 ص GST", "2023-10-15"),  # comma before the year, Gulf time
        ("الثلاثاء 10/سبتمبر/2024 - 05:30 م", "2024-09-10"),  # slashes around the month name
        ("أبريل 12, 2025", "2025-04-12"),  # month first, as WordPress writes it
        ("Nov 18,2024", "2024-11-18"),  # no space after the comma
    ],
)
def test_read_date_english_and_iso(text: str, iso: str) -> None:
    d = read_date(text)
    assert d is not None
    assert d.iso() == iso


def test_an_arabic_month_first_needs_its_comma_and_year() -> None:
    assert find_dates("ارتفع في أبريل 12 ألف طن") == []  # a month alone is no mention


def test_a_year_after_a_slash_only_after_a_month_name() -> None:
    assert [d.iso() for d in find_dates("في 3/نوفمبر/2023 لا في 10/2024")] == ["2023-11-03"]


def test_rfc2822_date_is_the_date_in_its_own_offset_not_utc() -> None:
    # 23:30 at -05:00 is already the 16th in UTC; the written date is the 15th.
    assert read_date("Sun, 15 Jul 2018 23:30:00 -0500").iso() == "2018-07-15"  # type: ignore[union-attr]
    assert read_date("Mon, 16 Jul 2018 01:30:00 +0400").iso() == "2018-07-16"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-11-07", (2024, 11, 7)),
        ("2024-01-12", (2024, 1, 12)),  # never swapped by a day-first reading
        ("2024/01/12 10:30", (2024, 1, 12)),
        ("2024.01.12", (2024, 1, 12)),
        ("07/11/2024", (2024, 11, 7)),  # numeric dates without a leading year are day-first
        ("07/11/2024 - 10:30 م", (2024, 11, 7)),
        ("11/17/2024", (2024, 11, 17)),  # 17 cannot be a month: month-first is the only reading
        ("2024-11", (2024, 11, None)),
    ],
)
def test_read_date_numeric(text: str, expected: tuple[int, int, int | None]) -> None:
    assert parts(read_date(text)) == expected


def test_read_date_span_points_at_the_date() -> None:
    text = "تاريخ النشر: 12th, November 2023 GMT"
    d = read_date(text)
    assert d is not None
    assert text[d.start : d.end] == "12th, November 2023"
    d = read_date("  ٠٧ نوفمبر  ")
    assert d is not None and (d.start, d.end) == (2, 11)


# --------------------------------------------------------------------------------------------
# Never invent a part


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("٠٧ نوفمبر", (None, 11, 7)),
        ("7 November", (None, 11, 7)),
        ("November 2023", (2023, 11, None)),
        ("فبراير 2022", (2022, 2, None)),
        ("مارس", (None, 3, None)),
        ("أيلول/ سبتمبر", (None, 9, None)),
        ("Nov 12 23", (None, 11, 12)),  # a two-digit year is not a year
        ("12 Nov 23", (None, 11, 12)),
        ("12 نوفمبر 23", None),  # '23' is not a year and not ignorable
    ],
)
def test_missing_parts_stay_none(text: str, expected: tuple | None) -> None:
    assert parts(read_date(text)) == expected


def test_results_do_not_depend_on_today() -> None:
    # No clock is frozen: nothing in the module reads it, so these hold on any day.
    assert read_date("٠٧ نوفمبر").year is None  # type: ignore[union-attr]
    # The dateutil fallback parses twice with two different defaults and keeps only parts that
    # agree and are written in the text.
    assert dates._dateutil_parts("Nov 12 23") == (None, 11, 12)
    assert dates._dateutil_parts("Sun Nov 12 10:30:00 2023") == (2023, 11, 12)
    assert dates._dateutil_parts("Nov 2023") == (2023, 11, None)  # day from the defaults: dropped
    assert dates._dateutil_parts("10:30") is None  # no month name: never sent to dateutil


@pytest.mark.parametrize("text", ["", "   ", "2024", "23", "10:30", "اليوم الخميس", "hello"])
def test_not_a_date(text: str) -> None:
    assert read_date(text) is None


def test_read_date_rejects_lines_with_other_words() -> None:
    assert read_date("في 14 يونيو الماضي") is None
    assert read_date("7 نوفمبر 2024 و8 نوفمبر 2024") is None
    assert read_date("x" * 10_000 + " 7 نوفمبر 2024") is None  # too long to be a date line


def test_read_date_implausible_parts() -> None:
    assert read_date("45 نوفمبر 2024") is None  # not a day
    assert read_date("7 نوفمبر 1500") is None  # not a plausible year
    assert read_date("2024-13-01") is None
    assert read_date("00/11/2024") is None


# --------------------------------------------------------------------------------------------
# Arabic: digits, month families, hamza variants, dual forms, weekdays


def test_arabic_indic_and_persian_digits() -> None:
    assert read_date("٧ نوفمبر ٢٠٢٤").iso() == "2024-11-07"  # type: ignore[union-attr]
    assert read_date("۷ نوفمبر ۲۰۲۴").iso() == "2024-11-07"  # type: ignore[union-attr]
    assert read_date("٢٠٢٤-١١-٠٧").iso() == "2024-11-07"  # type: ignore[union-attr]


EGYPTIAN = [
    ("يناير", 1), ("فبراير", 2), ("مارس", 3), ("أبريل", 4), ("ابريل", 4), ("إبريل", 4),
    ("مايو", 5), ("يونيو", 6), ("يونيه", 6), ("يونية", 6), ("يوليو", 7), ("يوليه", 7),
    ("أغسطس", 8), ("اغسطس", 8), ("سبتمبر", 9), ("أكتوبر", 10), ("اكتوبر", 10),
    ("نوفمبر", 11), ("ديسمبر", 12),
]
LEVANTINE = [
    ("كانون الثاني", 1), ("شباط", 2), ("آذار", 3), ("اذار", 3), ("نيسان", 4), ("أيار", 5),
    ("ايار", 5), ("حزيران", 6), ("تموز", 7), ("آب", 8), ("اب", 8), ("أيلول", 9),
    ("ايلول", 9), ("تشرين الأول", 10), ("تشرين الاول", 10), ("تشرين الثاني", 11),
    ("كانون الأول", 12), ("كانون الاول", 12), ("تشرين 1", 10), ("تشرين 2", 11),
    ("كانون 1", 12), ("كانون 2", 1), ("تشرين2", 11), ("تشرين الثانى", 11),
]
MAGHREBI = [
    ("جانفي", 1), ("فيفري", 2), ("مارس", 3), ("أفريل", 4), ("افريل", 4), ("ماي", 5),
    ("جوان", 6), ("جويلية", 7), ("أوت", 8), ("اوت", 8), ("سبتمبر", 9), ("أكتوبر", 10),
    ("نوفمبر", 11), ("ديسمبر", 12),
]
MOROCCAN = [("يوليوز", 7), ("غشت", 8), ("شتنبر", 9), ("نونبر", 11), ("دجنبر", 12)]


@pytest.mark.parametrize(("name", "month"), EGYPTIAN + LEVANTINE + MAGHREBI + MOROCCAN)
def test_arabic_month_names(name: str, month: int) -> None:
    assert parts(read_date(f"5 {name} 2024")) == (2024, month, 5)
    assert [(y, m, d) for y, m, d, _ in mentions(f"وفي 5 {name} 2024 أعلن")] == [
        (2024, month, 5)
    ]


def test_month_names_with_diacritics_and_tatweel() -> None:
    assert read_date("٢٢ كانونِ الأوّل ٢٠٢٤").iso() == "2024-12-22"  # type: ignore[union-attr]
    assert read_date("5 نوفمـــبر 2024").iso() == "2024-11-05"  # type: ignore[union-attr]


def test_levantine_name_with_digits() -> None:
    assert parts(read_date("تشرين 2 2024")) == (2024, 11, None)
    assert mentions("في تشرين 2 2024 وصل") == [(2024, 11, None, "تشرين 2 2024")]
    assert mentions("في تشرين 2024") == []  # تشرين alone names no month


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7 نوفمبر/تشرين الثاني 2024", (2024, 11, 7)),
        ("7 تشرين الثاني/نوفمبر 2024", (2024, 11, 7)),
        ("7 نوفمبر (تشرين الثاني) 2024", (2024, 11, 7)),
        ("أيلول/ سبتمبر", (None, 9, None)),
        ("23 مارس/آذار", (None, 3, 23)),
        ("1 كانون الثاني/يناير/جانفي 2025", (2025, 1, 1)),
    ],
)
def test_dual_forms(text: str, expected: tuple) -> None:
    assert parts(read_date(text)) == expected


def test_dual_form_that_disagrees_is_not_a_date() -> None:
    assert read_date("7 نوفمبر/ديسمبر 2024") is None
    assert read_date("أيلول/ أكتوبر") is None
    # seed 002: 'في 20 يناير كانون الأول المقبل' names January and December
    assert find_dates("أن يتسلم ترامب مهماته رسميا في 20 يناير كانون الأول المقبل.") == []


@pytest.mark.parametrize(
    "weekday", ["الأحد", "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"]
)
def test_weekdays_and_alyawm_are_ignored(weekday: str) -> None:
    assert read_date(f"{weekday} 7 نوفمبر 2024").iso() == "2024-11-07"  # type: ignore[union-attr]
    assert read_date(f"اليوم {weekday}، 7 نوفمبر 2024").iso() == "2024-11-07"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "الخميس، 7 نوفمبر، 2024",
        "7 نوفمبر عام 2024",
        "7 نوفمبر سنة 2024",
        "7 نوفمبر 2024م",
        "الخميس ٧ نوفمبر ٢٠٢٤م",
        "يوم الخميس الموافق 7 نوفمبر 2024",
        "الخميس 7 نوفمبر 2024 - 10:30 ص",
        "7 نوفمبر 2024 | 10:30 مساءً",
    ],
)
def test_arabic_separators_and_year_words(text: str) -> None:
    assert read_date(text).iso() == "2024-11-07"  # type: ignore[union-attr]


def test_year_suffix_is_inside_the_span() -> None:
    text = "الخميس، ٧ نوفمبر ٢٠٢٤م"
    d = read_date(text)
    assert d is not None and text[d.start : d.end] == "٧ نوفمبر ٢٠٢٤م"


# --------------------------------------------------------------------------------------------
# find_dates


def test_find_dates_levantine_in_parentheses() -> None:
    text = 'توعّد الرئيس الروسي فلاديمير بوتين، اليوم الأحد، (22 كانون الأول 2024)، بإلحاق'
    found = find_dates(text)
    assert len(found) == 1
    assert found[0].iso() == "2024-12-22"
    assert text[found[0].start : found[0].end] == "22 كانون الأول 2024"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("اليوم الخميس 7 نوفمبر/تشرين الثاني 2024.", [(2024, 11, 7, "7 نوفمبر/تشرين الثاني 2024")]),
        ("يذكر أنه في 14 يونيو الماضي، صرح", [(None, 6, 14, "14 يونيو")]),
        ("والتي اندلعت في فبراير 2022 وتسببت", [(2022, 2, None, "فبراير 2022")]),
        ("في الصين في أيلول/ سبتمبر المقبل.", [(None, 9, None, "أيلول/ سبتمبر")]),
        ("في مارس من العام 2022", [(2022, 3, None, "مارس من العام 2022")]),
        ("(@20fourMedia) November 1, 2023وقال بيسكوف", [(2023, 11, 1, "November 1, 2023")]),
        ("تاريخ النشر: 12th, November 2023 GMT", [(2023, 11, 12, "12th, November 2023")]),
        ("بين مايو ويونيو 2023", [(2023, 6, None, "يونيو 2023")]),
        ("في ٥ مارس ٢٠٢٤", [(2024, 3, 5, "٥ مارس ٢٠٢٤")]),
        ("وصل 5 يونيو 3000 جندي", [(None, 6, 5, "5 يونيو")]),  # 3000 is no year
        ("صدر في 2024-11-07 ثم 07/11/2024", [
            (2024, 11, 7, "2024-11-07"), (2024, 11, 7, "07/11/2024")
        ]),
    ],
)
def test_find_dates_examples(text: str, expected: list) -> None:
    assert mentions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "وسُجلت حوالي 20 واقعة لأفراد حاولوا",
        "تجنيد أكثر من 300 ألف روسي قسرا",
        "منطقة القوقاز وآسيا الوسطى في القرن 19، ولا تزال",
        "بنسبة 30% خلال الأسبوع الماضي",
        "في خريف 2022، أُبلغ عن عشرات الهجمات",  # a year alone is not a date mention
        "مارس الضغط على 20 دولة",  # مارس the verb; no day before it, no year after it
        "مارس الضغط عليهم",
        "في نوفمبر الماضي",  # a single month name without day or year
        "وقف على باب 2024",  # باب is not ب + آب
        "المصدر: موقع 24",
        "45 نوفمبر",
        "نحو 2.5 مليون",
        "",
    ],
)
def test_find_dates_ignores_plain_numbers_and_words(text: str) -> None:
    assert find_dates(text) == []


def test_find_dates_in_order_with_several_mentions() -> None:
    text = "بين 14 يونيو و15 يوليو 2024، ثم في آب 2024 وأخيرا 1 Nov 2023"
    assert mentions(text) == [
        (None, 6, 14, "14 يونيو"),
        (2024, 7, 15, "15 يوليو 2024"),
        (2024, 8, None, "آب 2024"),
        (2023, 11, 1, "1 Nov 2023"),
    ]


def test_find_dates_on_seed_files() -> None:
    expected = {
        "000": ["2023-11-12", (None, 6, 14), (2022, 2, None)],
        "001": ["2023-11-12", "2023-11-01"],
        "002": ["2023-09-25", "2024-12-22"],
        "003": ["2024-01-25", (None, 9, None), (None, 9, None)],
        "004": [(None, 11, 7), "2024-11-07"],
    }
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        got = [d.iso() or (d.year, d.month, d.day) for d in find_dates(text)]
        assert got == expected[path.name[:3]], path.name


def test_find_dates_handles_a_large_paragraph() -> None:
    # Correctness on a big input; the regexes are bounded, so this is linear (no timing assert).
    unit = "وقال بيسكوف في 7 نوفمبر/تشرين الثاني 2024، إن 300 ألف شخص (30%) حضروا. "
    text = unit * (1_000_000 // len(unit))
    found = find_dates(text)
    assert len(found) == 1_000_000 // len(unit)
    assert {d.iso() for d in found} == {"2024-11-07"}
    assert find_dates("1 " * 100_000) == []
    assert read_date(text) is None


def test_window_bounds_every_match() -> None:
    try:
        from re import _parser as sre_parse  # Python >= 3.11
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    _, longest = sre_parse.parse(dates._MASTER.pattern).getwidth()
    assert longest + 4 <= dates._WINDOW


def test_mention_far_from_other_anchors() -> None:
    filler = "كلام " * 400
    text = f"{filler}في 7 نوفمبر 2024 {filler}أيلول/ سبتمبر {filler}"
    assert [(y, m, d) for y, m, d, _ in mentions(text)] == [(2024, 11, 7), (None, 9, None)]


# --------------------------------------------------------------------------------------------
# infer_year


def test_infer_year_from_the_article_text() -> None:
    partial = read_date("٠٧ نوفمبر")
    assert partial is not None
    body = ["أوضح وزير الخارجية ... اليوم الخميس 7 نوفمبر/تشرين الثاني 2024."]
    assert infer_year(partial, body) == 2024


def test_infer_year_disagreement_or_no_evidence() -> None:
    partial = read_date("٠٧ نوفمبر")
    assert partial is not None
    assert infer_year(partial, ["في 7 نوفمبر 2023 قال", "وفي 7 نوفمبر 2024 أضاف"]) is None
    assert infer_year(partial, ["في 8 نوفمبر 2024", "في 7 ديسمبر 2024", "نوفمبر 2024"]) is None
    assert infer_year(partial, []) is None


def test_infer_year_edge_cases() -> None:
    partial = PartialDate(None, 11, 7)
    # the same year twice is agreement, not disagreement
    assert infer_year(partial, ["7 نوفمبر 2024", "الخميس 7 نوفمبر/تشرين الثاني 2024"]) == 2024
    assert infer_year(partial, "في 7 نوفمبر 2024") == 2024  # a lone string is one text
    assert infer_year(PartialDate(2023, 11, 7), ["7 نوفمبر 2024"]) == 2023  # keeps its own
    assert infer_year(PartialDate(None, 11, None), ["7 نوفمبر 2024"]) is None
    # only real calendar dates count as evidence
    assert infer_year(PartialDate(None, 2, 29), ["29 فبراير 2023", "29 فبراير 2024"]) == 2024


# --------------------------------------------------------------------------------------------
# Properties

_TOKENS = [
    "7", "٠٧", "۱۲", "31", "2024", "٢٠٢٤", "23", "1800", "99", "12th", "نوفمبر", "تشرين",
    "الثاني", "كانون", "الأول", "آب", "مارس", "أيلول", "سبتمبر", "November", "Nov.", "May",
    "/", "،", ",", "-", "(", ")", ":", "GMT", "+0400", "10:30", "اليوم", "الخميس", "عام", "م",
    "2024-11-07", "07/11/2024", "T", "\u064e", "\u0640", "\u200f", "\n", " ",
]
_date_like = st.lists(st.sampled_from(_TOKENS), max_size=12).map(" ".join)
_glued = st.lists(st.sampled_from(_TOKENS), max_size=12).map("".join)
_anything = st.one_of(st.text(max_size=300), _date_like, _glued, st.binary().map(
    lambda b: b.decode("latin-1")
))


@settings(max_examples=300, deadline=None)
@given(_anything)
def test_read_date_is_total(text: str) -> None:
    for result in (read_date(text), dates._read_date(text)):  # public, and unguarded inside
        assert result is None or isinstance(result, PartialDate)
        if result is not None:
            assert 0 <= result.start <= result.end <= len(text)
            assert result.month is None or 1 <= result.month <= 12
            assert result.day is None or 1 <= result.day <= 31
            assert result.year is None or dates.YEAR_MIN <= result.year <= dates.YEAR_MAX
            result.iso()  # never raises


@settings(max_examples=300, deadline=None)
@given(_anything)
def test_find_dates_spans_are_inside_the_text(text: str) -> None:
    found = find_dates(text)
    previous_end = 0
    for d in found:
        assert 0 <= d.start < d.end <= len(text)
        assert d.start >= previous_end  # in order, not overlapping
        previous_end = d.end
        assert d.month is not None
        assert d.day is not None or d.year is not None or "/" in text or "-" in text \
            or "(" in text or "|" in text or "\\" in text or "\u2013" in text


def test_a_line_with_two_years_is_not_read() -> None:
    """Which year is meant cannot be told: nothing is picked."""
    assert read_date("November 5 2023 2024") is None
    assert read_date("Sun Nov 12 10:30:00 2023").iso() == "2023-11-12"
