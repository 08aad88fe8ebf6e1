"""Real pages vary: the variants of the two seed sites, and the generic layout for any other site.

Each fixture under tests/golden/ is a short page (real excerpts are named ``real-*``); the golden
test pins its whole record, and the tests here say what each one shows. The real pages of
``../shared/pages`` are checked against their hand-made expectations when they are present.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from news_ingest.errors import IngestError
from news_ingest.layouts import LayoutSet
from news_ingest.parse import parse_text, prepare_lines
from news_ingest.pipeline import Config, Context, process
from news_ingest.sources import Source
from news_ingest.text import clean_line

from .conftest import GOLDEN, ROOT

CTX = Context(Config())
GENERIC = Context(Config(layout="generic"))
PAGES = ROOT.parent / "shared" / "pages"


def record(relative: str) -> dict:
    path = GOLDEN / relative
    (rec,) = process(Source(path.name, path=str(path)), CTX).records
    return rec


def one_record(text: str) -> dict:
    """The one record of a page given as text, parsed as a file would be."""
    (rec,) = process(Source("x.txt", data=text.encode()), CTX).records
    return rec


def first_paragraph(rec: dict) -> str:
    return rec["body"].split("\n\n")[0]


def lines_of(rec_path: str) -> dict[int, list[tuple[str, str]]]:
    text = (GOLDEN / rec_path).read_text(encoding="utf-8")
    (raw,) = parse_text(text, LayoutSet.load())
    uses: dict[int, list[tuple[str, str]]] = {}
    for use in raw.lines:
        uses.setdefault(use.line, []).append((use.role, use.rule))
    return uses


# --- the aggregator site's variants -----------------------------------------------------------


@pytest.mark.parametrize("name,title,date,outlet,first", [
    ("variant-capture-header", "لافروف: الغرب يحاول جر روسيا إلى مواجهة مباشرة", "2024-11-24",
     "RT Arabic", "قال وزير الخارجية الروسي"),
    ("variant-headline-repeated-nbsp-lines",
     "الكرملين يعلق على تصريحات ماكرون بشأن إرسال قوات إلى أوكرانيا", "2024-02-27", "نوفوستي",
     "علق المتحدث باسم الكرملين"),
    ("variant-byline-bare-read-also", "الحوثيون يعلنون استهداف سفينة في البحر الأحمر",
     "2024-01-15", "حيروت", "أعلنت جماعة الحوثي"),
    ("variant-desk-word-byline", "مصادر: اجتماع مرتقب بين وفدين روسي وأمريكي في الرياض",
     "2025-02-17", "عرب خبر", "كشفت مصادر مطلعة"),
    ("variant-upstream-tags-glued-source", "بوتين يوقع مرسوما بشأن التجنيد الخريفي", "2024-09-30",
     "RT Arabic", "وقع الرئيس الروسي"),
    ("variant-no-title-no-date", None, None, "سبوتنيك", "أكد الرئيس الروسي فلاديمير بوتين"),
    # an upstream site's name, menu and render stamp above the headline; an agency byline;
    # a keyword label glued after the second source
    ("variant-upstream-header-agency-byline", "أردوغان وبوتين يبحثان هاتفيا التطورات في غزة",
     "2023-12-19", "الميادين نت", "بحث الرئيس التركي"),
])
def test_aggregator_variants_parse_with_the_site_layout(
    name: str, title: str | None, date: str | None, outlet: str, first: str
) -> None:
    rec = record(f"aggregator/{name}.txt")
    assert rec["layout"] == "aggregator"
    assert (rec["title"], rec["date"], rec["outlet"]) == (title, date, outlet)
    assert first_paragraph(rec).startswith(first)
    assert not any(label in rec["body"] for label in ("المصدر", "تاريخ النشر", "Tags:", "حيروت"))


def test_capture_header_above_the_headline_is_the_crawls_not_the_title() -> None:
    uses = lines_of("aggregator/variant-capture-header.txt")
    assert uses[1] == [("dropped", "above-title")] and uses[2] == [("dropped", "above-title")]
    assert uses[3] == [("title", "")]


def test_a_copy_of_the_headline_after_the_date_line_is_dropped_by_name() -> None:
    uses = lines_of("aggregator/variant-headline-repeated-nbsp-lines.txt")
    assert uses[3] == [("dropped", "repeated-title")]


def test_glued_labels_come_apart() -> None:
    """Two source labels on one line, and an upstream keyword line with the source label glued
    to its end: each label is read, the upstream line is dropped by name."""
    text = ("عنوان الخبر هنا\nتاريخ النشر: 8th, December 2024 GMT\n"
            "وصل الرئيس إلى العاصمة في زيارة رسمية تستمر يومين.\n"
            "المصدر : وكالة سواالمصدر: وكالة سوا الإخبارية\n")
    rec = one_record(text)
    assert rec["sources"] == ["وكالة سوا", "وكالة سوا الإخبارية"]
    assert rec["outlet"] == "وكالة سوا الإخبارية"
    uses = lines_of("aggregator/variant-upstream-tags-glued-source.txt")
    assert uses[5] == [("dropped", "chrome:upstream-tags"), ("source", "field")]


def test_text_glued_before_a_source_label_comes_apart() -> None:
    """A source label glued to the end of the last sentence: the sentence stays the last
    paragraph, the label gives the outlet (site layout and generic layout alike)."""
    sentence = "وأكد الوزير أن المحادثات ستستمر خلال الأسبوع المقبل في العاصمة."
    aggregator = (f"عنوان الخبر هنا للتجربة\nتاريخ النشر: 8th, December 2024 GMT\n"
                  "وصل الرئيس إلى العاصمة في زيارة رسمية تستمر يومين.\n"
                  f"{sentence}المصدر: الأهرام\n")
    generic = ("وزير الخارجية يبحث مع نظيره تطورات الأوضاع في المنطقة\n"
               "بحث وزير الخارجية اليوم مع نظيره في اتصال هاتفي تطورات الأوضاع في المنطقة "
               f"وسبل دعم جهود التهدئة.\n{sentence}المصدر: الأهرام\n")
    for text, layout in ((aggregator, "aggregator"), (generic, "generic")):
        rec = one_record(text)
        assert rec["layout"] == layout
        assert rec["outlet"] == "الأهرام"
        assert rec["body"].split("\n\n")[-1] == sentence


def test_text_left_after_four_glued_labels_is_accounted_for() -> None:
    """Four glued labels are read; what is left after them is a line of its own, named in the
    line accounting, not dropped unsaid."""
    text = ("عنوان الخبر هنا عن شيء ما\n"
            "بدأ الاجتماع اليوم في العاصمة بحضور عدد كبير من المسؤولين والخبراء من دول عدة.\n"
            "المصدر: أ المصدر: ب المصدر: ج المصدر: د المصدر: هـ وبقية\n")
    (raw,) = parse_text(text, LayoutSet.load())
    assert raw.fields["source"] == ["أ", "ب", "ج", "د"]
    assert [(u.role, u.rule) for u in raw.lines if u.line == 3] == [
        *[("source", "field")] * 4, ("dropped", "after-body")]


def test_a_bare_read_also_marker_gives_no_item() -> None:
    rec = record("aggregator/variant-byline-bare-read-also.txt")
    assert rec["read_also"] == []
    assert rec["sources"] == ["حيروت"]  # the byline's outlet, then the source line's (the same)


def test_desk_word_alone_is_a_byline_not_text_nor_title() -> None:
    rec = record("aggregator/variant-desk-word-byline.txt")
    assert "خاص" not in rec["body"].split()
    assert lines_of("aggregator/variant-desk-word-byline.txt")[3] == [("byline", "byline")]


def test_mojibake_is_repaired_and_said() -> None:
    rec = record("aggregator/variant-mojibake.txt")
    assert rec["title"] == ("الاحتفال بالذكرى العاشرة لتأسيس جمعية الانترنت باليمن .. وتنظيم ندوة "
                            "عن التشفير")
    assert rec["date"] == "2023-10-27"
    assert "احتفلت جمعية الإنترنت في اليمن" in rec["body"]
    assert any("UTF-8 read as Windows-1256 (mojibake); repaired" in w for w in rec["warnings"])


# --- the Russia–Islamic World site's variants -------------------------------------------------


def test_header_date_with_a_year_and_footer_only_pages_keep_their_site_layout() -> None:
    rec = record("russia-islamic-world/variant-header-date-with-year.txt")
    assert (rec["layout"], rec["title"], rec["date"]) == (
        "russia-islamic-world", "قديروف يستقبل وفدا من علماء الدين في غروزني", "2023-06-15")
    rec = record("russia-islamic-world/variant-footer-only.txt")
    assert (rec["layout"], rec["title"], rec["outlet"]) == ("russia-islamic-world", None, "تاس")
    assert "title: no headline found" in rec["warnings"]


def test_a_page_whose_header_the_crawl_lost_still_gives_its_text() -> None:
    rec = record("generic/real-header-lost-to-crawl.txt")
    assert rec["layout"] == "generic" and rec["title"] is None
    assert first_paragraph(rec).startswith("أكد مارات حوسنولين")
    # 'اليوم الخميس 26 ديسمبر / كانون الأول 2024': 'today' with a weekday that falls on it
    assert rec["date"] == "2024-12-26"


# --- the generic layout ------------------------------------------------------------------------


@pytest.mark.parametrize("name,title,date,outlet,first", [
    ("real-update-stamp-above-title", "الكرملين: وصف بايدن لبوتين بالطاغية غير مقبول",
     "2023-10-20", "المرصد", "ندد الكرملين الجمعة"),
    ("real-render-stamp-and-trailing-chrome",
     "شويغو يتفقد أحد التشكيلات العسكرية الروسية على خط الجبهة", None, None,
     "الوكيل الإخباري- تفقد"),
    ("real-url-credit-iso-stamps",
     "لافروف: روسيا تنظر إلى السعودية بصفتها شريكا استراتيجيا في الشرق الأوسط", "2026-02-18",
     "سبوتنيك عربي", "أكد وزير الخارجية الروسي"),
    ("real-quoted-source-font-size", 'زيلينسكي يستقبل ستولتنبرغ: الإنضمام إلى "الناتو" مسألة وقت',
     None, "أ ف ب", "استقبل الرئيس الأوكراني"),
    ("real-crawl-date-artefact", None, "2025-08-07", None, "قال الرئيس الروسي"),
    ("french-publie-le",
     "Vladimir Poutine annonce des exercices nucléaires tactiques près de l'Ukraine",
     "2024-05-06", None, "Le président russe a ordonné"),
    ("english-wire-dateline", "Kremlin says Putin and Trump discussed Ukraine in phone call",
     "2025-03-18", "Reuters", "MOSCOW (Reuters) -"),
    ("iso-seconds-english", "UN Security Council to meet on Red Sea shipping attacks",
     "2024-01-10", None, "The UN Security Council"),
    ("nushira-arabic-indic-levantine", "مجلس الأمن يعقد جلسة طارئة بشأن الوضع في غزة",
     "2023-10-23", None, "عقد مجلس الأمن الدولي"),
    ("weekday-date-widget-above", "وزير الخارجية يستقبل نظيره الإيراني في القاهرة",
     "2024-10-23", None, "استقبل وزير الخارجية"),
    ("dotted-date-url-first",
     "بوتين: روسيا مستعدة لاستخدام الأسلحة النووية إذا تعرضت سيادتها للتهديد", "2024-03-12",
     None, "صرح الرئيس الروسي"),
    ("dash-date-masthead-credit", "وزير الري يتابع موقف المشروعات الجارية في محافظات الصعيد",
     "2024-07-03", None, "تابع وزير الموارد المائية"),  # a site's name is not an agency
    ("time-first-date-related-trailer",
     "زلزال بقوة 5.2 درجات يضرب جنوب تركيا دون أنباء عن إصابات", "2024-06-14", None,
     "ضرب زلزال بقوة"),
    ("update-stamp-older-article", "الأمم المتحدة تحذر من مجاعة وشيكة في السودان", "2024-03-14",
     None, "حذرت الأمم المتحدة"),
    ("hijri-beside-gregorian", "السعودية تعلن موعد بداية شهر رمضان", "2024-03-10", "واس",
     "أعلنت المحكمة العليا"),  # 'الرياض - واس': a place and an agency
    ("lead-dateline-agency", "مصر تدعو إلى وقف فوري لإطلاق النار في لبنان", "2024-10-03",
     "أ ش أ", "القاهرة - 3 أكتوبر 2024"),
    ("event-date-in-body-no-date", "افتتاح معرض الكتاب الدولي بمشاركة 50 دولة", None, None,
     "افتتح وزير الثقافة"),
    ("ambiguous-slash-date", "وزير النفط يبحث مع شركات أجنبية زيادة الإنتاج", "2024-06-04",
     None, "بحث وزير النفط"),
    ("standfirst-publie-partager",
     "Le Niger et le Bénin rouvrent leur frontière après huit mois de fermeture", "2024-04-12",
     None, "Le Niger et le Bénin ont annoncé"),  # the standfirst is the summary
    ("menu-subtitle-author-agency-byline",
     "وزراء خارجية تركيا وروسيا وإيران يجتمعون في الدوحة لبحث الأزمة السورية", "2024-12-07",
     "الأناضول", "اجتمع وزراء خارجية"),
    ("no-headline-date-before-text", None, "2024-03-12", None, "أعلنت سلطة الطيران المدني"),
    ("maghrebi-month-two-part-breadcrumb", "لجنة وزارية لمتابعة توفير الأدوية في الصيدليات",
     "2024-07-11", None, "كشفت وزارة الصناعة الصيدلانية"),
    ("menu-line-ap-caption-update-on-line",
     "Jordan reopens main border crossing with Syria to cargo traffic", "2024-03-04", "AP",
     "AMMAN, Jordan (AP) — Jordan reopened"),
    ("lead-glued-agency", "الأرصاد: درجات الحرارة تتجاوز 50 مئوية خلال الأيام المقبلة", None,
     "كونا", "الكويت - كونا - أعلنت"),
    ("english-caption-credit-glued-date",
     "EU agrees new sanctions package against Russia over Ukraine war", "2025-02-24", "Reuters",
     "BRUSSELS (Reuters) - European Union"),
])
def test_generic_layout_finds_headline_date_outlet_and_text(
    name: str, title: str | None, date: str | None, outlet: str | None, first: str
) -> None:
    rec = record(f"generic/{name}.txt")
    assert rec["layout"] == "generic"
    assert rec["warnings"][0] == "layout: no site layout matched; parsed with the generic rules"
    assert (rec["title"], rec["date"], rec["outlet"]) == (title, date, outlet)
    assert first_paragraph(rec).startswith(first)


def test_dates_that_are_not_the_publication_date_are_named_not_taken() -> None:
    rec = record("generic/real-render-stamp-and-trailing-chrome.txt")
    assert rec["date"] is None
    assert ("date: no publication date stated; seen, not taken: 'الأحد 2024-11-24 12:40 م' "
            "(above the headline)") in rec["warnings"]
    rec = record("generic/ambiguous-slash-date.txt")  # an Arabic page: day first, said
    assert (rec["date"], rec["date_raw"]) == ("2024-06-04", "04/06/2024")
    assert "date: '04/06/2024' read day first, as arabic pages write dates" in rec["warnings"]
    rec = record("generic/real-crawl-date-artefact.txt")
    assert rec["date"] == "2025-08-07" and not first_paragraph(rec).startswith("date")


def test_a_weekday_that_does_not_fall_on_the_date_is_not_trusted() -> None:
    text = ("عنوان خبر تجريبي عن اجتماع الحكومة\nالخميس 20 أكتوبر 2023\n"
            "عقدت الحكومة اجتماعها الأسبوعي برئاسة رئيس الوزراء وناقشت عددا من الملفات.\n")
    rec = one_record(text)
    assert rec["date"] is None and rec["date_raw"] == "الخميس 20 أكتوبر 2023"
    assert any("names a weekday that date does not fall on" in w for w in rec["warnings"])


def test_site_furniture_is_dropped_by_named_rules() -> None:
    uses = lines_of("generic/real-render-stamp-and-trailing-chrome.txt")
    roles = [use for line in sorted(uses) for use in uses[line]]
    assert ("dropped", "above-title") in roles  # the render stamp
    assert ("dropped", "chrome:time") in roles  # '10:06 ص'
    assert ("dropped", "after-body") in roles  # the credit line after the text
    assert ("dropped", "chrome:social") in roles  # 'gnews'
    assert ("dropped", "trailer:most-read") in roles
    uses = lines_of("generic/real-url-credit-iso-stamps.txt")
    assert uses[1] == [("dropped", "chrome:url")]
    assert uses[5] == [("dropped", "repeated-title")]
    assert uses[7] == [("source", "credit-line")]
    assert [uses[n] for n in (17, 19, 21)] == [[("dropped", "short-run")]] * 3


def test_a_second_article_glued_on_after_the_byline_is_named() -> None:
    rec = record("generic/real-byline-next-article-glued.txt")
    assert rec["title"] is None and rec["outlet"] is None  # 'بغداد اليوم - بغداد': no agency
    assert first_paragraph(rec).startswith("أفاد مصدر أمني، اليوم الاثنين")
    assert ("body: paragraph 4 starts with the page's byline again ('بغداد اليوم - بغداد'): "
            "another article glued on?") in rec["warnings"]


def test_captions_and_subtitles_between_headline_and_text() -> None:
    text = (PAGES / "other-sites" / "aawsat_5191673_arabnews-jubilee.txt").read_text(
        encoding="utf-8") if PAGES.is_dir() else None
    if text is None:
        pytest.skip("../shared/pages is not beside the project")
    (raw,) = parse_text(text, LayoutSet.load())
    assert raw.title.startswith("في يوبيلها الذهبي")
    assert raw.fields["summary"][0].startswith("الأمير تركي الفيصل")
    assert [u.rule for u in raw.lines if u.role == "dropped"].count("caption") == 4
    assert raw.paragraphs[0].startswith("أقامت صحيفة")


def test_a_standfirst_under_its_label_alone_is_the_summary_not_the_title() -> None:
    """'ملخص' alone on its line: the next line is the summary, and the headline above keeps
    its place."""
    text = ("أسعار الذهب تقفز إلى مستوى قياسي مع صعود الأوقية عالميا\nملخص\n"
            "سجل سعر الذهب أعلى مستوى في تاريخه بالسوق المحلية مدفوعا بارتفاع الأسعار العالمية\n"
            "بقلم: سامي يوسف\nالخميس 6 فبراير 2025 13:45\n"
            "قفزت أسعار الذهب خلال تعاملات اليوم إلى مستوى قياسي جديد، إذ سجل سعر الغرام نحو "
            "4100 جنيه مقارنة بختام تعاملات أمس.\n")
    rec = one_record(text)
    assert rec["title"] == "أسعار الذهب تقفز إلى مستوى قياسي مع صعود الأوقية عالميا"
    assert rec["summary"].startswith("سجل سعر الذهب أعلى مستوى")
    assert (rec["date"], rec["author"]) == ("2025-02-06", "سامي يوسف")
    assert rec["body"].startswith("قفزت أسعار الذهب")


def test_a_date_beside_a_byline_on_one_line_is_the_date() -> None:
    """'name | date' under the headline gives the date; a line of the text that holds a '|'
    and a date is left alone."""
    text = ("مطار المدينة يستقبل أكثر من عشرة ملايين مسافر في ستة أشهر\n"
            "سامي يوسف   |23.09.2024 - تحديث : 24.09.2024\n"
            "استقبل مطار المدينة الدولي أكثر من عشرة ملايين مسافر خلال الأشهر الستة الأولى من "
            "العام الجاري، بزيادة كبيرة.\n")
    rec = one_record(text)
    assert (rec["date"], rec["date_raw"]) == ("2024-09-23", "23.09.2024")
    english = ("Airport passenger numbers climb to a record in the first half\n"
               "By Jane Doe | May 12, 2024\n"
               "The city's airport handled more passengers in the first half of the year than "
               "in any half-year before, the operator said on Sunday.\n")
    rec = one_record(english)
    assert rec["date"] == "2024-05-12"


def test_a_slash_date_reads_day_first_only_on_a_page_in_a_day_first_language() -> None:
    """'05/09/2024' is 5 September on a French or Arabic page, said in a warning; on an
    English page it stays null, its two readings named."""
    french = ("Importations : le gouvernement durcit les conditions de domiciliation\n"
              "Publié le 05/09/2024 à 15h30\n"
              "Les importateurs devront désormais présenter un certificat de conformité pour "
              "obtenir la domiciliation bancaire de leurs opérations, selon une note.\n")
    rec = one_record(french)
    assert (rec["date"], rec["date_raw"]) == ("2024-09-05", "05/09/2024 à 15h30")
    assert "date: '05/09/2024 à 15h30' read day first, as french pages write dates" \
        in rec["warnings"]
    arabic = ("الحكومة تشدد شروط التوطين البنكي لعمليات الاستيراد\nنشر في 05/09/2024\n"
              "أعلنت وزارة التجارة أن المستوردين سيكونون ملزمين بتقديم شهادة مطابقة قبل شحن "
              "البضائع، وفق مذكرة وجهت إلى البنوك التجارية.\n")
    rec = one_record(arabic)
    assert rec["date"] == "2024-09-05"
    english = ("Importers face stricter rules for bank domiciliation of their shipments\n"
               "Published 05/09/2024\n"
               "Importers will have to present a certificate of conformity issued before the "
               "goods are shipped, according to a note sent to the banks.\n")
    rec = one_record(english)
    assert (rec["date"], rec["date_raw"]) == (None, "05/09/2024")
    assert "date: '05/09/2024' could be day/month or month/day; not taken" in rec["warnings"]


def test_a_labelled_date_followed_by_chrome_on_its_line_is_the_date() -> None:
    """'Publié le 18 mars 2025 Lecture : 4 minutes.': the date, and the reading time dropped
    by name on the same line; a sentence that opens with a date after a label-like word is
    text."""
    text = ("Entre Rabat et Nouakchott, le chantier discret d'un corridor routier\n"
            "Publié le 18 mars 2025 Lecture : 4 minutes.\n"
            "Le 3 mars 2025, les deux capitales ont relancé le projet de corridor routier vers "
            "le Sahel, loin des projecteurs.\n"
            "Selon un responsable, l'objectif est de réduire de moitié le temps de transit des "
            "camions entre les ports.\n")
    (raw,) = parse_text(text, LayoutSet.load())
    assert raw.fields["date"] == ["18 mars 2025"]
    assert [(u.line, u.role, u.rule) for u in raw.lines if u.line == 2] == [
        (2, "date", "date-label"), (2, "dropped", "chrome:reading-time")]
    assert raw.paragraphs[0].startswith("Le 3 mars 2025, les deux capitales")


def test_a_short_sentence_right_under_the_date_line_opens_the_text() -> None:
    """Under the header's date line, a sentence shorter than a paragraph is the text's first
    paragraph, not a subtitle."""
    text = ("الغد\nالمياه الجوفية.. الرصيد الذي نستنزفه بصمت\n"
            "الأحد 3 تشرين الثاني 2024 - 11:05 م\n"
            "ليس سرا أن الأردن من أفقر دول العالم مائيا.\n"
            "لكن ما لا يقال بصوت عال هو أننا نسحب من أحواضنا الجوفية كل عام أكثر مما تعيده "
            "الأمطار، وفق أرقام رسمية.\n")
    rec = one_record(text)
    assert rec["date"] == "2024-11-03"
    assert rec["summary"] is None
    assert first_paragraph(rec) == "ليس سرا أن الأردن من أفقر دول العالم مائيا."


def test_a_kicker_above_the_headline_is_not_the_title() -> None:
    """A phrase of a few words over a clearly longer headline is a kicker; a headline over a
    longer subtitle stays the headline when it is itself of headline length."""
    text = ("الغد\nمحليات\nبعد سيول العام الماضي\n"
            '"الأرصاد" تطلق نظاما وطنيا للإنذار المبكر من السيول\nعمان- الغد\n'
            "أطلقت دائرة الأرصاد الجوية، أمس، نظاما وطنيا للإنذار المبكر من السيول، يعتمد على "
            "شبكة من محطات الرصد.\n")
    rec = one_record(text)
    assert rec["title"] == '"الأرصاد" تطلق نظاما وطنيا للإنذار المبكر من السيول'
    text = ("«لا تعافي من دون إعادة هيكلة المصارف»\n"
            "أستاذ الاقتصاد في الجامعة اللبنانية: الودائع ليست أرقاماً دفترية\nرنا سعد\n"
            "يرى أستاذ الاقتصاد في الجامعة اللبنانية أن أي خطة للتعافي المالي ستبقى حبراً على "
            "ورق ما لم تبدأ بإعادة هيكلة المصارف.\n")
    rec = one_record(text)
    assert rec["title"] == "«لا تعافي من دون إعادة هيكلة المصارف»"
    assert rec["summary"].startswith("أستاذ الاقتصاد")


def test_a_dateline_without_a_dash_after_its_place() -> None:
    """'بورتسودان 18 يناير 2025 – أعلنت': a place of one word, no stop word, then the date and
    a dash; 'في 18 يناير 2025 – …' is a sentence, not a dateline."""
    lead = ("بورتسودان 18 يناير 2025 – أعلنت وزارة الصحة الاتحادية في السودان، السبت، تراجع "
            "الإصابات اليومية بالكوليرا في ولاية الخرطوم.\n")
    head = "وزارة الصحة السودانية: تراجع حالات الكوليرا في ولاية الخرطوم بنسبة كبيرة\n"
    rec = one_record(head + lead)
    assert rec["date"] == "2025-01-18"
    sentence = lead.replace("بورتسودان 18", "في 18")
    rec = one_record(head + sentence)
    assert rec["date"] is None


def test_bylines_captions_and_stamps_of_other_sites() -> None:
    """'place - «outlet»، وكالات' is a byline naming the outlet; 'Last update: …' is an update
    stamp; a caption closed by 'NAME / AFP' is a photo credit, not the first paragraph."""
    text = ("الأمم المتحدة: 2.3 مليون شخص بحاجة إلى مساعدات عاجلة في منطقة الساحل\n"
            "نيويورك - «الخليج»، وكالات\n"
            "حذر مكتب الأمم المتحدة لتنسيق الشؤون الإنسانية من أن نحو 2.3 مليون شخص بحاجة إلى "
            "مساعدات عاجلة.\n")
    rec = one_record(text)
    assert (rec["outlet"], rec["body"][:14]) == ("الخليج", "حذر مكتب الأمم")
    english = ("Sudan: UN aid convoy reaches El Fasher for first time in months\n"
               "Published date: 27 January 2025 16:48 GMT\nLast update: 2 days 5 hours ago\n"
               "A dry wheat field near Settat, on 20 February 2025. STRINGER / AFP\n"
               "A United Nations aid convoy has reached the besieged city of El Fasher for the "
               "first time in months, the UN said.\n")
    (raw,) = parse_text(english, LayoutSet.load())
    assert raw.title.startswith("Sudan: UN aid convoy")
    assert raw.fields["date"] == ["27 January 2025 16:48 GMT"]
    assert raw.fields["photo_credit"] == ["STRINGER / AFP"]
    assert ("dropped", "update-stamp") in [(u.role, u.rule) for u in raw.lines if u.line == 3]
    assert raw.paragraphs[0].startswith("A United Nations aid convoy")


def test_a_caption_under_its_label_alone_is_dropped_with_it() -> None:
    """'التعليق على الصورة،' alone, then the caption: both dropped by the label's rule, so the
    caption is not the headline."""
    text = ("BBC News, عربي\n"
            "لبنان: الحكومة تقر خطة لإعادة هيكلة المصارف وسط تحفظات من صندوق النقد\n"
            "التعليق على الصورة،\nمصرف لبنان المركزي في بيروت\n12 مارس/ آذار 2025\n"
            "أقرت الحكومة اللبنانية، الأربعاء، مشروع قانون لإعادة هيكلة القطاع المصرفي بعد "
            "أشهر من النقاش.\n")
    (raw,) = parse_text(text, LayoutSet.load())
    assert raw.title.startswith("لبنان: الحكومة تقر خطة")
    assert [(u.line, u.rule) for u in raw.lines if u.role == "dropped"][-2:] == [
        (3, "chrome:caption-label"), (4, "chrome:caption-label:next")]


@pytest.mark.parametrize("byline,outlet", [
    ("أبوظبي: «وام»", "وام"),  # a place, a colon, the agency in guillemets
    ("هسبريس - و.م.ع", "و.م.ع"),  # an agency written with dots
    ("أبوظبي (وام)", "وام"),  # a place and the agency in brackets, no dash
    ("الدوحة - قنا:", "قنا"),  # a colon after the agency
    ("مسقط، (العمانية):", "العمانية"),
    ("LE MATIN (avec MAP)", "MAP"),  # the paper, and the agency it worked with
])
def test_agency_bylines_of_other_sites(byline: str, outlet: str) -> None:
    text = ("20 مليار درهم تجارة الإمارات غير النفطية مع دول آسيا الوسطى\n"
            f"{byline}\n"
            "ارتفعت التجارة الخارجية غير النفطية بين الإمارات ودول آسيا الوسطى إلى مستوى "
            "قياسي خلال العام الماضي.\n")
    rec = one_record(text)
    assert rec["outlet"] == outlet
    assert rec["body"].startswith("ارتفعت التجارة")


def test_a_source_label_glued_to_the_photo_credit_comes_apart() -> None:
    text = ("Ru En\nمنتدى «قازان» 2024 يختتم أعماله بتوقيع 180 اتفاقية\n٢١ مايو ٢٠٢٤\n"
            "اختتم المنتدى الاقتصادي الدولي أعماله في قازان بتوقيع 180 اتفاقية.\n"
            "الصورة: kazanforum.ruالمصدر: تاس\n")
    rec = one_record(text)
    assert rec["layout"] == "russia-islamic-world"
    assert (rec["photo_credit"], rec["outlet"]) == ("kazanforum.ru", "تاس")


def test_a_numeric_date_alone_under_the_byline_is_a_date_not_a_number() -> None:
    text = ("وزير الخزانة التركي: التضخم سيتراجع إلى خانة الآحاد نهاية العام المقبل\n"
            "أنقرة / الأناضول\n24.06.2024\nتحديث: 25.06.2024\n"
            "قال وزير الخزانة والمالية التركي إن معدل التضخم في البلاد سيبدأ بالتراجع خلال "
            "الأشهر المقبلة.\n")
    rec = one_record(text)
    assert (rec["date"], rec["outlet"]) == ("2024-06-24", "الأناضول")


def test_a_read_also_list_of_bare_headlines_gives_an_item_each() -> None:
    text = ("الأرصاد تطلق نظاما وطنيا للإنذار المبكر من السيول في المملكة\n"
            "أطلقت دائرة الأرصاد الجوية، أمس، نظاما وطنيا للإنذار المبكر من السيول، يعتمد على "
            "شبكة من محطات الرصد.\nاقرأ أيضاً:\n"
            "الأرصاد: منخفض جوي يؤثر على المملكة منتصف الأسبوع\n"
            '"المياه": رفع جاهزية الكوادر للتعامل مع الظروف الجوية\n')
    rec = one_record(text)
    assert [item["title"] for item in rec["read_also"]] == [
        "الأرصاد: منخفض جوي يؤثر على المملكة منتصف الأسبوع",
        '"المياه": رفع جاهزية الكوادر للتعامل مع الظروف الجوية']


def test_a_byline_and_a_date_joined_by_a_comma() -> None:
    """'Reuters , Thursday 23 Jan 2025': the date, and the agency as the outlet; 'OLJ / Par
    Rédaction, le 18 février 2025 à 14h12, mis à jour à 16h40': the date, the update dropped,
    no outlet (the paper's own byline)."""
    english = ("Egypt's central bank holds key interest rates steady for sixth straight meeting\n"
               "Reuters , Thursday 23 Jan 2025\n"
               "Egypt's central bank kept its overnight deposit and lending rates unchanged on "
               "Thursday, as expected, saying inflation was still easing.\n")
    rec = one_record(english)
    assert (rec["date"], rec["outlet"]) == ("2025-01-23", "Reuters")
    french = ("Le Parlement adopte le budget 2025 après trois jours de débats\n"
              "OLJ / Par Rédaction, le 18 février 2025 à 14h12, mis à jour à 16h40\n"
              "Le Parlement libanais a adopté mardi le projet de loi de finances pour l'année "
              "2025, au terme de trois jours de débats.\n")
    rec = one_record(french)
    assert (rec["date"], rec["outlet"], rec["summary"]) == ("2025-02-18", None, None)
    assert rec["body"].startswith("Le Parlement libanais")


@pytest.mark.parametrize("byline,date,outlet", [
    ("OLJ / AFP / le 28 janvier 2025 à 18h32, mis à jour à 21h05", "2025-01-28", "AFP"),
    ("By Petra - Nov 18,2024 - Last updated at Nov 19,2024", "2024-11-18", "Petra"),
])
def test_a_byline_and_its_date_joined_by_a_spaced_slash_or_dash(byline: str, date: str,
                                                                outlet: str) -> None:
    text = ("Le Parlement adopte le budget 2025 après deux jours de débats houleux\n"
            f"{byline}\n"
            "Le Parlement libanais a adopté mardi soir le projet de loi de finances pour "
            "l'année 2025, au terme de deux jours de débats.\n")
    rec = one_record(text)
    assert (rec["date"], rec["outlet"]) == (date, outlet)


@pytest.mark.parametrize("lead,outlet", [
    ("الدوحة في 05 مايو /قنا/ وقعت دولة قطر والمملكة المغربية اليوم مذكرة تفاهم.", "قنا"),
    ("المنامة في 20 يناير/ بنا / ترأس ولي العهد الاجتماع الاعتيادي الأسبوعي.", "بنا"),
    ("رام الله 3-6-2025 وفا- قال وزير المالية إن الاقتطاعات تجاوزت المليار.", "وفا"),
    ("وطنية - أعلنت إدارة المرفأ في بيان اليوم أن الإيرادات ارتفعت خلال الشهر.", "وطنية"),
])
def test_an_agency_code_in_the_lead_dateline_is_the_outlet(lead: str, outlet: str) -> None:
    text = f"وزير المالية يعلن أرقام الاقتطاعات من أموال المقاصة خلال العام\n{lead}\n"
    rec = one_record(text)
    assert rec["outlet"] == outlet


def test_a_yearless_dateline_takes_its_year_from_a_date_line_of_the_same_day() -> None:
    """'عمان 9 تموز (بترا)-' states no year; the page's '2025-07-09 13:45:00' (above the
    headline, not taken alone) gives it. Another day on the page gives none."""
    page = ("{stamp}\n\"الإحصاءات العامة\": ارتفاع التضخم خلال النصف الأول من العام\n"
            "عمان 9 تموز (بترا)- ارتفع معدل التضخم للأشهر الستة الأولى من العام الحالي بنسبة "
            "1.9 بالمئة.\n")
    rec = one_record(page.format(stamp="2025-07-09 13:45:00"))
    assert (rec["date"], rec["outlet"]) == ("2025-07-09", "بترا")
    rec = one_record(page.format(stamp="2025-07-10 13:45:00"))
    assert rec["date"] is None


def test_a_title_case_headline_is_not_a_menu_and_an_agency_credit_closes_a_caption() -> None:
    """English sites write headlines in title case: with a comma in it, the line is no menu.
    A caption closed by '(SPA)', printed twice, is a photo credit, not the text's start."""
    text = ("Asharq Al-Awsat\nEnglish\nArabic\nBusiness\n"
            "Saudi Arabia, Egypt Sign Investment Protection Agreement\n"
            "The agreement aims to raise bilateral investments to $30 billion by 2030\n"
            "Tuesday, 4 March, 2025 - 10:07\n"
            "The Saudi and Egyptian ministers during the signing ceremony in Riyadh. (SPA)\n"
            "The Saudi and Egyptian ministers during the signing ceremony in Riyadh. (SPA)\n"
            "Saudi Arabia and Egypt signed on Monday an agreement on the mutual promotion and "
            "protection of investments, reports said.\n")
    rec = one_record(text)
    assert rec["title"] == "Saudi Arabia, Egypt Sign Investment Protection Agreement"
    assert (rec["date"], rec["photo_credit"]) == ("2025-03-04", "SPA")
    assert rec["body"].startswith("Saudi Arabia and Egypt signed")


def test_a_wordpress_date_line_under_the_headline() -> None:
    """'أبريل 12, 2025' (month first, as WordPress writes it) is the date line."""
    text = ("استئناف الرحلات الدولية من مطار بورتسودان بعد توقف استمر شهورا\n"
            "أبريل 12, 2025\n"
            "أعلنت سلطة الطيران المدني في السودان استئناف الرحلات الدولية من مطار بورتسودان.\n")
    rec = one_record(text)
    assert rec["date"] == "2025-04-12"


def test_a_caption_that_dates_and_credits_its_photo_is_not_a_headline() -> None:
    """With the headline lost, a caption ending in a full date and a bracketed credit is
    dropped by name, and the date stamp just before the text is the date."""
    text = ("2025-02-17T14:05:00+03:00\n"
            "عمال يزيلون الأنقاض من طريق في ريف المدينة الجنوبي - 16 شباط 2025 (الوكالة/ سامي)\n"
            "أعلنت فرق الدفاع المدني إعادة فتح طريق رئيسي يربط بين عدد من القرى، بعد أعمال "
            "استمرت أسبوعين لإزالة الأنقاض.\n")
    (raw,) = parse_text(text, LayoutSet.load())
    assert raw.title is None
    assert ("dropped", "chrome:dated-caption") in [(u.role, u.rule) for u in raw.lines]
    rec = one_record(text)
    assert (rec["title"], rec["date"]) == (None, "2025-02-17")


def test_a_breadcrumb_from_the_home_page_is_not_the_headline() -> None:
    text = ("Ru En\nالرئيسية / أخبار\nمعرض للمنتجات الحلال في موسكو يستقطب مشاركين\n"
            "٢٩ يناير ٢٠٢٥\nانطلقت في موسكو فعاليات المعرض الدولي بمشاركة أكثر من مئة شركة.\n"
            "المصدر: تتار إنفورم\n")
    rec = one_record(text)
    assert rec["layout"] == "russia-islamic-world"
    assert rec["title"] == "معرض للمنتجات الحلال في موسكو يستقطب مشاركين"


def test_a_page_with_no_sentence_is_a_named_failure() -> None:
    result = process(Source("menu.txt", data="الرئيسية\nسياسة\nاقتصاد\nرياضة\n".encode()), CTX)
    assert result.records == []
    (problem,) = result.problems
    assert problem.reason.startswith("no line reads as article text")


def test_a_short_item_still_starts_at_its_first_sentence() -> None:
    text = "وصول وفد حكومي إلى العاصمة لإجراء محادثات\nوصل الوفد صباح اليوم.\n"
    (rec,) = process(Source("brief.txt", data=text.encode()), CTX).records
    assert (rec["title"], rec["body"]) == ("وصول وفد حكومي إلى العاصمة لإجراء محادثات",
                                           "وصل الوفد صباح اليوم.")


def test_a_layout_for_another_language_needs_no_code(tmp_path: Path) -> None:
    """The `dates` block of docs/layouts.md, in a user's layout, reads Spanish dates."""
    docs = (ROOT / "docs" / "layouts.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(dates:\n.*?)```", docs, re.S).group(1)
    layout = tmp_path / "diario.yaml"
    layout.write_text("name: diario\nkind: lines\ndetect:\n  rules:\n"
                      "    - {pattern: '^Diario del Sur$', weight: 1}\n"
                      "title: headline\nheadline: {min_words: 4}\n" + block, encoding="utf-8")
    text = ("Diario del Sur\nEl gobierno aprueba el nuevo presupuesto nacional\n"
            "Publicado el 3 de marzo de 2024 a las 10:00\n"
            "El consejo de ministros aprobó este martes el proyecto de presupuesto para el año.\n")
    ctx = Context(Config(layout_paths=(str(layout),)))
    (rec,) = process(Source("d.txt", data=text.encode()), ctx).records
    assert (rec["layout"], rec["title"], rec["date"]) == (
        "diario", "El gobierno aprueba el nuevo presupuesto nacional", "2024-03-03")


# --- properties --------------------------------------------------------------------------------

_PIECES = [
    "عنوان الخبر الرئيسي اليوم هنا", "تاريخ النشر: 12th, November 2023 GMT", "المصدر: رويترز",
    "الجمعة - 20 أكتوبر 2023 - 02:16 م", "آخر تحديث: 24 نوفمبر 2024", "في نفس السياق",
    "وقال المتحدث إن الاجتماع انتهى دون اتفاق على البنود المطروحة للنقاش بين الطرفين.",
    "This website uses cookies.", "https://example.com/a", "A+ A-", "بغداد اليوم - بغداد", "خاص",
    "إقرأ أيضاً:", "كلمات دلالية: بوتين روسيا", "date 2024-03-07 قال الرئيس إن البلاد بخير.",
    "5/7/2023", "Ru En", "", "\u00a0", "القاهرة - 3 أكتوبر 2024 (أ ش أ) - دعت الوزارة إلى الهدوء.",
]
_page = st.lists(st.sampled_from(_PIECES) | st.text(max_size=60), max_size=25).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(_page)
def test_generic_layout_gives_a_record_or_a_named_failure_and_accounts_for_every_line(
    text: str,
) -> None:
    result = process(Source("p.txt", data=text.encode()), GENERIC)
    assert len(result.records) + len(result.problems) == 1
    if result.problems:
        assert result.problems[0].stage in ("parse", "decode")
        return
    (raw,) = parse_text(text, GENERIC.layouts, "generic")
    used = {use.line for use in raw.lines}
    for number, line in enumerate(prepare_lines(text), 1):
        assert (number in used) == bool(line), (number, line)
    for use in raw.lines:
        assert use.role != "dropped" or use.rule  # every dropped line names its rule


# --- the real pages, when they are beside the project ------------------------------------------


def test_real_pages_meet_their_expectations() -> None:
    """../shared/pages: every article page gives a record, no date is wrong, and the fields
    the expectations give are right (the scorer's measure, 132 of 132 when this was written)."""
    if not (PAGES / "expected.json").is_file():
        pytest.skip("../shared/pages is not beside the project")
    expected = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
    wrong: list[str] = []
    for rel, exp in sorted(expected.items()):
        result = process(Source(rel, path=str(PAGES / rel)), CTX)
        if exp.get("non_article"):
            continue
        assert len(result.records) == 1, (rel, [p.message() for p in result.problems])
        (rec,) = result.records
        if "date" in exp and rec["date"] not in (None, exp["date"]):
            wrong.append(f"{rel}: wrong date {rec['date']}")
        for key in ("title", "date", "outlet"):  # compared in stored form, as the scorer does
            if key in exp and rec[key] != (exp[key] and clean_line(exp[key])):
                wrong.append(f"{rel}: {key} {rec[key]!r} != {exp[key]!r}")
        if "body_first" in exp and not first_paragraph(rec).startswith(
                clean_line(exp["body_first"])):
            wrong.append(f"{rel}: body starts {first_paragraph(rec)[:40]!r}")
    assert wrong == []


# --- the engine's shortcuts change nothing ------------------------------------------------------


def _without_shortcuts(layout):
    """The same layout read without `needs` and without the joined pattern: every line tested
    against every rule, one by one."""
    import copy

    import yaml

    from news_ingest.layouts import build_layout

    spec = copy.deepcopy(layout.spec)
    for key in ("chrome", "boilerplate", "end_markers"):
        for rule in spec.get(key, []):
            rule.pop("needs", None)
    for fspec in spec.get("fields", {}).values():
        fspec.pop("needs", None)
    plain = build_layout(yaml.safe_load(yaml.safe_dump(spec)), "test", validate=False)
    plain.joined_rules = None
    return plain


_SHORTCUT_PAGES = sorted(GOLDEN.glob("*/*.txt")) + sorted(PAGES.glob("*/*.txt"))


@pytest.mark.parametrize("name", ["generic", "aggregator", "russia-islamic-world"])
def test_needs_and_the_joined_pattern_change_no_result(name: str) -> None:
    from news_ingest.parse import parse_lines

    layout = CTX.layouts.get(name)
    plain = _without_shortcuts(layout)
    assert layout.joined_rules is not None and plain.joined_rules is None
    compared = 0
    for path in _SHORTCUT_PAGES:
        lines = prepare_lines(path.read_text(encoding="utf-8", errors="replace"))
        results = []
        for each in (layout, plain):
            try:
                results.append(parse_lines(lines, each)[0].to_dict())
            except IngestError as exc:  # a named failure: the same one both ways
                results.append(repr(exc))
        assert results[0] == results[1], path
        compared += 1
    assert compared >= 40
