"""What the seeds demand, as explicit assertions (issue: core ingester).

The golden files pin every field; these tests name the behaviour each seed exists to prove, so a
regression reads as a sentence rather than a JSON diff.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from news_ingest.layouts import LayoutSet
from news_ingest.parse import parse_text, prepare_lines
from news_ingest.pipeline import Config, Context, process
from news_ingest.sources import Source, decode

from .conftest import SEEDS

LABEL = re.compile(r"^(?:[إا]قرأ|المزيد|أيضاً?)")
SEED = {p.name[:3]: p for p in sorted(SEEDS.glob("*.txt"))}


def record(num: str) -> dict:
    result = process(Source(str(SEED[num]), path=str(SEED[num])), Context(Config()))
    assert not result.problems
    (rec,) = result.records
    return rec


def paragraphs(rec: dict) -> list[str]:
    return rec["body"].split("\n\n")


def test_000_read_more_label_is_cut_from_its_paragraph() -> None:
    rec = record("000")
    paras = paragraphs(rec)
    assert paras[1].startswith("وقال بيسكوف")
    assert not any("إقرأ المزيد" in p or "اقرأ المزيد" in p for p in paras)
    assert rec["outlet"] == "RT Arabic"
    assert rec["sources"] == ["نوفوستي", "RT Arabic"]
    assert rec["tags"] == ["دميتري بيسكوف", "وسائل الاعلام"]
    assert rec["date"] == "2023-11-12" and rec["date_raw"] == "12th, November 2023 GMT"
    (item,) = rec["read_also"]
    assert item["title"] == "بيسكوف: بوتين وترامب يجريان حاليًا محادثة هاتفية"
    assert item["date"] is None  # '14 يونيو الماضي' has no year: no date is made up


def test_001_pasted_tweet_becomes_an_embed() -> None:
    rec = record("001")
    assert rec["embeds"] == [{
        "kind": "tweet",
        "text": "في زيارة ترفضها #موسكو.. #كازاخستان تستقبل رئيس #فرنسا",
        "url": "https://t.co/zWsn6TNl3w",
        "author": "24.ae",
        "handle": "@20fourMedia",
        "date": "2023-11-01",
    }]
    paras = paragraphs(rec)
    assert any(p.startswith("وقال بيسكوف إن كازاخستان") for p in paras)
    assert not any("t.co" in p or "@20fourMedia" in p for p in paras)


def test_001_app_promo_is_boilerplate_and_persian_yeh_is_folded() -> None:
    rec = record("001")
    (item,) = rec["read_also"]
    assert "تابع أحدث الأخبار" not in item["body"]
    assert item["body"].startswith("أعلن وزير الخارجية الروسي")
    assert "\u06cc" not in rec["tags_raw"]
    assert "آسيا الوسطى" in rec["tags"]


def test_002_read_also_item_outlet_and_levantine_date() -> None:
    rec = record("002")
    (item,) = rec["read_also"]
    assert item["title"] == "موجة حرائق متعمدة في روسيا.. وبوتين يتوعد بدمار مضاعف"
    assert item["outlet"] == "بغداد اليوم"
    assert item["date"] == "2024-12-22"
    assert not item["body"].startswith("بغداد اليوم")


def test_003_inline_read_also_headlines_are_related_not_body() -> None:
    rec = record("003")
    assert rec["related"] == [
        "شكري يبحث مع سكرتير عام «الناتو» جهود تدشين برنامج الشراكة بين الجانبين",
        "أكبر مناورة عسكرية منذ الحرب الباردة.. الناتو يعلن الاستعداد ل «المدافع الصامد» "
        "بمشاركة 90 ألف جندي |فيديو",
        "الرئيس الليتواني يحذر من احتمال شن روسيا هجمات على الناتو",
    ]
    assert len(paragraphs(rec)) == 3
    assert not any("الليتواني" in p or "شكري" in p for p in paragraphs(rec))


def test_004_second_layout() -> None:
    rec = record("004")
    assert rec["layout"] == "russia-islamic-world"
    assert rec["title"] == "لافروف: الحل المشترك للقضايا يعزز العلاقات بين روسيا وكازاخستان"
    assert rec["date_raw"] == "٠٧ نوفمبر"
    assert rec["date"] == "2024-11-07"
    assert any("inferred" in w for w in rec["warnings"])
    assert rec["site"] == 'مجموعة الرؤية الإستراتيجية "روسيا - العالم الإسلامي"'
    assert rec["photo_credit"] == "وزارة الخارجية الروسية"
    assert rec["outlet"] == "تاس"
    assert len(paragraphs(rec)) == 7
    assert "\u00a0" not in rec["body"]


@pytest.mark.parametrize("num", sorted(SEED))
def test_every_non_empty_line_is_accounted_for(num: str) -> None:
    """Each non-blank line lands in a field or is dropped by a named layout rule, and the text
    of every kept line is found in the record."""
    path: Path = SEED[num]
    text, _ = decode(path.read_bytes())
    lines = prepare_lines(text)
    layouts = LayoutSet.load()
    (raw,) = parse_text(text, layouts)
    layout = layouts.get(raw.layout)
    uses: dict[int, list] = {}
    for use in raw.lines:
        uses.setdefault(use.line, []).append(use)
    rec = record(num)
    flat = re.sub(r"\s+", " ", str(rec))
    for number, line in enumerate(lines, 1):
        if not line:
            assert number not in uses
            continue
        assert number in uses, f"line {number} not accounted for: {line}"
        roles = {use.role for use in uses[number]}
        if "dropped" in roles or "read_also.byline" in roles:
            assert all(use.rule or use.role != "dropped" for use in uses[number])
            continue  # named by a layout rule (chrome, boilerplate, a byline's desk word)
        if "embed" in roles:  # the signature lives on as the embed's author, handle and date
            for embed in layout.embeds:
                line = embed.regex.sub(" ", line)
        if any(use.rule == "field" for use in uses[number]) and ":" in line:
            line = line.split(":", 1)[1]  # a labelled field keeps its value, not its label
        # Every word of a kept line is in the record, except a label glued to the next word.
        words = [w.replace("ـ", "").replace("\u06cc", "ي") for w in line.split()]
        missing = [w for w in words if w not in flat and not LABEL.match(w)]
        assert missing == [], f"line {number} ({roles}) lost words: {missing}"


def test_page_cut_before_its_last_full_stop_keeps_the_text_in_its_item() -> None:
    text = SEED["000"].read_text(encoding="utf-8")[:-40]  # cut inside the last paragraph
    result = process(Source("cut.txt", data=text.encode()), Context(Config()))
    (rec,) = result.records
    (item,) = rec["read_also"]
    assert item["body"].endswith("والتي اندلعت في فبراير 2022 وتسببت")
    assert rec["warnings"] == ["read_also: line 20 has no text after it; kept as the last "
                               "paragraph of the item before (page cut off?)"]


VARIANT_PAGE = """عنوان تجريبي لخبر من الموقع نفسه

تاريخ النشر: 3rd, March 2024 GMT

الفقرة الأولى من الخبر تنتهي بنقطة.

اقرأ المزيد: عنوان خبر آخر من الموقع
الفقرة الثانية تبدأ هنا وتستمر حتى النهاية.
كلمات دلالية: الكرملين
اقرأ أيضا:
عنوان المقال الملحق
سبوتنيك - متابعة
نص المقال الملحق في 5 آذار 2024 وما بعده.
"""


def test_other_pages_of_the_same_site_vary() -> None:
    """Labels without hamza or tanwin, a headline after a read-more label, blank lines between
    paragraphs, a byline of another outlet atop a read-also item, no source line."""
    result = process(Source("v.txt", data=VARIANT_PAGE.encode()), Context(Config()))
    (rec,) = result.records
    assert rec["layout"] == "aggregator" and rec["date"] == "2024-03-03"
    assert rec["related"] == ["عنوان خبر آخر من الموقع"]
    assert paragraphs(rec) == ["الفقرة الأولى من الخبر تنتهي بنقطة.",
                               "الفقرة الثانية تبدأ هنا وتستمر حتى النهاية."]
    assert rec["outlet"] is None and rec["sources"] == []
    assert rec["read_also"] == [{"title": "عنوان المقال الملحق", "outlet": "سبوتنيك",
                                 "date": "2024-03-05",
                                 "body": "نص المقال الملحق في 5 آذار 2024 وما بعده."}]
