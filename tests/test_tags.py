"""Tests for news_ingest.tags: splitting keyword lines into tags, and the tag lexicon."""

from __future__ import annotations

import doctest
import random
import re
import time
from functools import cache
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from news_ingest import tags as tags_module
from news_ingest.tags import TagLexicon, split_tags
from news_ingest.text import clean_line, match_key

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
TRUTH = yaml.safe_load((ROOT / "tests" / "data" / "tags_truth.yaml").read_text(encoding="utf-8"))
TAG_LABEL = "كلمات دلالية:"

# The site's trending tags, prepended to every article's keyword line (seed 001).
TRENDING = [
    "التغير المناخي",
    "محاكمة ترامب",
    "أحداث السودان",
    "سلطان النيادي",
    "مانشستر سيتي",
    "غزة وإسرائيل",
    "الحرب الأوكرانية",
    "عام الاستدامة",
]
# Articles' own tags (from the seeds' topics).
ARTICLE_TAGS = [
    "روسيا",
    "الاتحاد الأوروبي",
    "آسيا الوسطى",
    "الكرملين",
    "دميتري بيسكوف",
    "أوكرانيا",
    "قوات حفظ السلام الروسية",
    "الرئيس الروسي",
    "فلاديمير بوتين",
    "الناتو",
    "موسكو",
    "كازاخستان",
]


def read_seed(name: str) -> tuple[str, list[str]]:
    """(keyword text after the label, evidence = title + body) of one seed file."""
    lines = (SEEDS / name).read_text(encoding="utf-8").split("\n")
    title = lines[0]
    date_line = next(i for i, line in enumerate(lines) if line.startswith("تاريخ النشر:"))
    source_line = next(i for i, line in enumerate(lines) if line.startswith("المصدر:"))
    tag_line = next(line for line in lines if line.startswith(TAG_LABEL))
    return tag_line[len(TAG_LABEL) :], [title, *lines[date_line + 1 : source_line]]


def score(predicted: list[str], truth: list[str]) -> tuple[int, int]:
    """(true tags recovered, tags predicted), compared by match key."""
    truth_keys = {match_key(t) for t in truth}
    return sum(match_key(p) in truth_keys for p in predicted), len(predicted)


def evaluate(lexicon: TagLexicon | None = None) -> tuple[dict[str, list[str]], int, int, int]:
    """Split every labelled seed; return (predictions, recovered, predicted, true)."""
    predictions: dict[str, list[str]] = {}
    hit = predicted = true = 0
    for name, truth in TRUTH.items():
        raw, evidence = read_seed(name)
        predictions[name] = split_tags(raw, evidence, lexicon)
        h, p = score(predictions[name], truth)
        hit, predicted, true = hit + h, predicted + p, true + len(truth)
    return predictions, hit, predicted, true


def report(hit: int, predicted: int, true: int) -> str:
    precision = f"{hit}/{predicted} = {hit / predicted:.2f}"
    return f"recovered {hit} of {true} true tags, precision {precision}"


def synthetic_tag_lines(n: int = 30, shuffle_trending: bool = True) -> list[str]:
    """Keyword lines of the seed-001 site: its trending tags, then the article's own tags.

    Trending lists change from day to day, so by default their order varies between lines.
    """
    rng = random.Random(20231112)
    lines = []
    for _ in range(n):
        trending = rng.sample(TRENDING, len(TRENDING)) if shuffle_trending else TRENDING
        own = rng.sample(ARTICLE_TAGS, rng.randint(2, 5))
        lines.append(" ".join(trending + own))
    return lines


# --- truth file --------------------------------------------------------------------------------


def test_truth_file_matches_the_seed_keyword_lines() -> None:
    assert sum(len(v) for v in TRUTH.values()) == 26
    for name, truth in TRUTH.items():
        raw, _ = read_seed(name)
        words = clean_line(raw).split()
        assert all(t == clean_line(t) for t in truth)
        # every true tag occurs on the line as a run of whole words, in first-seen order
        padded = f" {' '.join(words)} "
        positions = [padded.find(f" {t} ") for t in truth]
        assert -1 not in positions, (name, positions)
        assert positions == sorted(positions), name
        # the tags are the whole line once repeated tags are dropped (seed 001 repeats one)
        assert explains(words, truth), name


# --- seeds, no lexicon -------------------------------------------------------------------------


def test_seeds_without_lexicon() -> None:
    predictions, hit, predicted, true = evaluate()
    figures = report(hit, predicted, true)
    for seed in ("000", "002", "003"):
        name = next(n for n in TRUTH if n.startswith(seed))
        assert predictions[name] == TRUTH[name], figures
    # seed 001: only the article's own tags have evidence; the trending tags come out word by word
    seed_001 = predictions["001_e6f550ea9df77be0.txt"]
    assert seed_001[-3:] == ["روسيا", "الاتحاد الأوروبي", "آسيا الوسطى"], figures
    assert seed_001[:4] == ["التغير", "المناخي", "محاكمة", "ترامب"], figures
    assert (hit, predicted, true) == (18, 34, 26), figures
    assert hit >= 18, figures


def test_splitting_at_every_space_is_the_baseline_to_beat() -> None:
    hit = predicted = 0
    for name, truth in TRUTH.items():
        raw, _ = read_seed(name)
        h, p = score(list(dict.fromkeys(clean_line(raw).split())), truth)
        hit, predicted = hit + h, predicted + p
    assert (hit, predicted) == (8, 44), report(hit, predicted, 26)
    assert evaluate()[1] > hit


# --- seeds, with a lexicon learnt from a synthetic corpus ---------------------------------------


def test_lexicon_recovers_the_trending_tags_of_seed_001() -> None:
    name = "001_e6f550ea9df77be0.txt"
    raw, evidence = read_seed(name)
    truth = TRUTH[name]
    before = score(split_tags(raw, evidence), truth)
    lexicon = TagLexicon.learn(synthetic_tag_lines())
    after_tags = split_tags(raw, evidence, lexicon)
    after = score(after_tags, truth)
    figures = f"seed 001 recall before {before[0]}/{len(truth)}, after {after[0]}/{len(truth)}"
    assert before[0] == 3, figures
    assert after_tags == truth, figures
    for tag in TRENDING:
        assert tag in lexicon, (tag, figures)


def test_lexicon_does_not_hurt_the_other_seeds() -> None:
    lexicon = TagLexicon.learn(synthetic_tag_lines())
    predictions, hit, predicted, true = evaluate(lexicon)
    assert predictions == TRUTH, report(hit, predicted, true)
    assert (hit, predicted, true) == (26, 26, 26)


def test_learnt_lexicon_holds_units_not_chance_neighbours() -> None:
    lexicon = TagLexicon.learn(synthetic_tag_lines())
    expected = {t for t in TRENDING + ARTICLE_TAGS if " " in t}
    assert set(lexicon) == expected
    assert lexicon.count("مانشستر سيتي") == 30


def test_a_constant_trending_prefix_alone_gives_no_boundaries() -> None:
    # Documented limitation: if the prefix never changes, every phrase inside it has a single
    # left and right neighbour, so nothing inside it can be learnt.
    lexicon = TagLexicon.learn(synthetic_tag_lines(shuffle_trending=False))
    assert not any(tag in lexicon for tag in TRENDING)
    assert "الاتحاد الأوروبي" in lexicon


# --- split_tags details ------------------------------------------------------------------------


def test_evidence_does_not_cross_punctuation() -> None:
    raw = "الكرملين دميتري بيسكوف"
    assert split_tags(raw, ["الرئاسة الروسية (الكرملين) دميتري بيسكوف"]) == [
        "الكرملين",
        "دميتري بيسكوف",
    ]
    assert split_tags(raw, ["قال الكرملين دميتري بيسكوف"]) == ["الكرملين دميتري بيسكوف"]


def test_evidence_is_compared_by_match_key_and_tags_keep_their_spelling() -> None:
    assert split_tags("وسائل الاعلام آسیا الوسطى", ["في وسائل الإعلامِ وآسيا", "آسيا  الوسطى"]) == [
        "وسائل الاعلام",
        "آسيا الوسطى",
    ]


def test_single_evidence_string_is_not_iterated_by_character() -> None:
    assert split_tags("دميتري بيسكوف", "قال دميتري بيسكوف") == ["دميتري بيسكوف"]


def test_duplicates_removed_by_match_key_first_seen_kept() -> None:
    assert split_tags("الحرب الأوكرانية روسيا الحرب الاوكرانية", ["الحرب الأوكرانية"]) == [
        "الحرب الأوكرانية",
        "روسيا",
    ]


def test_explicit_delimiters_are_boundaries() -> None:
    assert split_tags("روسيا، أوكرانيا | الناتو ؛ موسكو", ["روسيا أوكرانيا الناتو موسكو"]) == [
        "روسيا",
        "أوكرانيا",
        "الناتو",
        "موسكو",
    ]
    assert split_tags("#روسيا - أوكرانيا", ["روسيا أوكرانيا"]) == ["روسيا", "أوكرانيا"]


def test_fewest_chunks_then_longest() -> None:
    evidence = ["أمن الرئيس الروسي", "الرئيس الروسي"]
    assert split_tags("أمن الرئيس الروسي", evidence) == ["أمن الرئيس الروسي"]
    # two equally short splits: the leftmost-longest one wins
    assert split_tags("a b c", ["a b", "b c"]) == ["a b", "c"]
    # evidence from the article beats a lexicon-only chunk
    lexicon = TagLexicon({"a b": 5})
    assert split_tags("a b c", ["b c"], lexicon) == ["a", "b c"]
    assert split_tags("a b c", [], lexicon) == ["a b", "c"]


def test_chunks_are_at_most_five_words() -> None:
    words = "a b c d e f g"
    assert split_tags(words, [words]) == ["a b c d e", "f g"]


def test_empty_input() -> None:
    assert split_tags("") == []
    assert split_tags("  \u00a0 ، ") == []


def test_docstring_examples() -> None:
    result = doctest.testmod(tags_module)
    assert result.attempted >= 4
    assert result.failed == 0


# --- TagLexicon --------------------------------------------------------------------------------


def test_learn_requires_min_count_lines() -> None:
    lines = ["a مانشستر سيتي b", "c مانشستر سيتي d"]
    assert "مانشستر سيتي" not in TagLexicon.learn(lines)
    assert "مانشستر سيتي" in TagLexicon.learn([*lines, "e مانشستر سيتي f"])
    assert "مانشستر سيتي" in TagLexicon.learn(lines, min_count=2)


def test_learn_requires_varied_neighbours_on_both_sides() -> None:
    left_fixed = ["x مانشستر سيتي a", "x مانشستر سيتي b", "x مانشستر سيتي c"]
    assert "مانشستر سيتي" not in TagLexicon.learn(left_fixed)
    # without the neighbour test the unit learnt would wrongly include the fixed neighbour
    assert list(TagLexicon.learn(left_fixed, min_neighbours=1)) == ["x مانشستر سيتي"]
    # a line start/end counts as a neighbour value
    edges = ["مانشستر سيتي a", "b مانشستر سيتي", "c مانشستر سيتي d"]
    assert "مانشستر سيتي" in TagLexicon.learn(edges)


def test_learn_rejects_adjacent_independent_tags() -> None:
    rng = random.Random(3)
    singles = ["روسيا", "أوكرانيا", "الناتو", "موسكو", "كييف", "بكين"]
    lines = [" ".join(rng.sample(singles, 4)) for _ in range(60)]
    lexicon = TagLexicon.learn(lines)
    assert len(lexicon) == 0, lexicon.items()
    assert len(TagLexicon.learn(lines, min_cohesion=0.0)) > 0


def test_learn_drops_parts_of_a_longer_phrase_that_always_surrounds_them() -> None:
    lines = [f"{a} قوات حفظ السلام الروسية {b}" for a, b in zip("abcd", "efgh", strict=True)]
    lexicon = TagLexicon.learn(lines, min_neighbours=1)
    assert list(lexicon) == ["قوات حفظ السلام الروسية"]
    # a part that also occurs on its own is a phrase in its own right
    lexicon = TagLexicon.learn([*lines, "x حفظ السلام y"], min_neighbours=1)
    assert "حفظ السلام" in lexicon


def test_learn_keeps_the_most_frequent_spelling() -> None:
    lines = [f"{a} وسائل الإعلام {b}" for a, b in zip("abc", "def", strict=True)]
    lexicon = TagLexicon.learn([*lines, "g وسائل الاعلام h"])
    assert lexicon.items() == [("وسائل الإعلام", 4)]
    assert "وسائل الاعلام" in lexicon


def test_contains_and_len() -> None:
    lexicon = TagLexicon({"مانشستر سيتي": 3, "آسیا الوسطى": 2, "آسيا الوسطي": 1})
    assert len(lexicon) == 2
    assert "مانشستر\u00a0سيتي" in lexicon
    assert "آسيا الوسطى" in lexicon
    assert lexicon.count("آسيا الوسطى") == 3
    assert "مانشستر" not in lexicon
    assert 3 not in lexicon


def test_merge() -> None:
    a = TagLexicon({"مانشستر سيتي": 3, "وسائل الاعلام": 1}, min_count=3, lines=10)
    b = TagLexicon({"وسائل الإعلام": 4, "آسيا الوسطى": 2}, min_count=2, lines=5)
    merged = a.merge(b)
    assert merged.items() == [("آسيا الوسطى", 2), ("مانشستر سيتي", 3), ("وسائل الإعلام", 5)]
    assert (merged.min_count, merged.lines) == (2, 15)
    assert len(a) == 2 and len(b) == 2  # inputs unchanged


def test_save_load_round_trip(tmp_path: Path) -> None:
    lexicon = TagLexicon.learn(synthetic_tag_lines())
    path = tmp_path / "lexicon.yaml"
    lexicon.save(path)
    text = path.read_text(encoding="utf-8")
    assert "مانشستر سيتي: 30" in text  # readable, not \u-escaped
    assert text.startswith("# news-ingest tag lexicon")
    data = yaml.safe_load(text)
    assert data["version"] == 1 and data["min_count"] == 3 and data["lines"] == 30
    assert list(data["phrases"]) == sorted(data["phrases"])
    loaded = TagLexicon.load(path)
    assert loaded.items() == lexicon.items()
    assert (loaded.min_count, loaded.min_neighbours, loaded.min_cohesion, loaded.lines) == (
        3,
        2,
        0.5,
        30,
    )
    loaded.save(tmp_path / "again.yaml")
    assert (tmp_path / "again.yaml").read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.yaml", "lexicon.yaml"]


def test_a_save_that_fails_leaves_the_old_lexicon(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lexicon.yaml"
    TagLexicon({"مانشستر سيتي": 12}).save(path)
    before = path.read_bytes()

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        TagLexicon({"آسيا الوسطى": 3}).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["lexicon.yaml"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("version: 1\nphrases: [unclosed\n", "not a readable YAML"),
        ("- a\n- b\n", "expected a YAML mapping"),
        ("phrases: {a b: 1}\n", "'version'"),
        ("version: 2\nphrases: {a b: 1}\n", "'version'"),
        ("version: true\nphrases: {a b: 1}\n", "'version'"),
        ("", "expected a YAML mapping"),
        ("version: 1\nphrases: [a b, c d]\n", "'phrases' must be a mapping"),
        ("version: 1\nphrases: {a b: many}\n", "not an integer"),
        ("version: 1\nphrases: {a b: 0}\n", "not an integer"),
        ("version: 1\nphrases: {ab: 3}\n", "fewer than two words"),
        ("version: 1\nmin_count: -1\nphrases: {}\n", "'min_count'"),
        ("version: 1\nphrases: {a b: !!python/object:os.system x}\n", "not a readable YAML"),
    ],
)
def test_load_malformed_raises_value_error_naming_the_file(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "broken-lexicon.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path))) as info:
        TagLexicon.load(path)
    assert problem in str(info.value)


def test_load_non_utf8_raises_value_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"version: 1\nphrases: {caf\xe9 au lait: 3}\n")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        TagLexicon.load(path)


# --- property ----------------------------------------------------------------------------------

LETTERS = "ابتثجحخدذرسشصضطظعغفقكلمنهويأإآةىیab"
POOL = ["روسيا", "الرئيس", "الروسي", "الرئیس", "الروسى", "أمن", "امن", "a", "B", "b"]
words = st.one_of(st.sampled_from(POOL), st.text(alphabet=LETTERS, min_size=1, max_size=5))
spaces = st.sampled_from([" ", "  ", "\u00a0", "\t", " \u200f"])


def explains(tokens: list[str], tags: list[str]) -> bool:
    """Can ``tokens`` be cut into runs of 1..5 words that give ``tags`` once repeats are dropped?

    A run is either the next tag (same words, as written) or a repeat of an earlier tag (same
    match key).
    """
    tag_words = [t.split(" ") for t in tags]
    tag_keys = [match_key(t) for t in tags]

    @cache
    def ok(i: int, j: int) -> bool:
        if i == len(tokens):
            return j == len(tags)
        if j < len(tags) and tokens[i : i + len(tag_words[j])] == tag_words[j]:
            if ok(i + len(tag_words[j]), j + 1):
                return True
        seen = set(tag_keys[:j])
        for m in range(1, min(5, len(tokens) - i) + 1):
            if match_key(" ".join(tokens[i : i + m])) in seen and ok(i + m, j):
                return True
        return False

    return ok(0, 0)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_property_no_word_invented_or_lost(data: st.DataObject) -> None:
    pieces = data.draw(st.lists(st.tuples(words, spaces), max_size=14))
    raw = "".join(w + s for w, s in pieces)
    tokens = clean_line(raw).split()
    # evidence: runs of the line's own words (so multi-word chunks do get support), plus noise
    runs = data.draw(
        st.lists(st.tuples(st.integers(0, len(tokens)), st.integers(0, 5)), max_size=4)
    )
    evidence = [" ".join(tokens[i : i + n]) for i, n in runs]
    evidence += data.draw(st.lists(st.text(max_size=30), max_size=2))
    lexicon = None
    if data.draw(st.booleans()):
        phrases = {" ".join(tokens[i : i + n]): 3 for i, n in runs if 2 <= n <= len(tokens) - i}
        lexicon = TagLexicon(phrases)

    result = split_tags(raw, evidence, lexicon)

    assert all(1 <= len(t.split(" ")) <= 5 for t in result)
    keys = [match_key(t) for t in result]
    assert len(keys) == len(set(keys))
    assert explains(tokens, result), (tokens, result)
    if lexicon is None and not evidence:  # nothing supports a multi-word chunk: every word
        first_seen: dict[str, str] = {}
        for token in tokens:
            first_seen.setdefault(match_key(token), token)
        assert result == list(first_seen.values())


@settings(max_examples=200, deadline=None)
@given(st.text(), st.lists(st.text(), max_size=3), st.lists(st.text(), max_size=5))
def test_property_never_raises(raw: str, evidence: list[str], corpus: list[str]) -> None:
    lexicon = TagLexicon.learn(corpus, min_count=1, min_neighbours=1)
    result = split_tags(raw, evidence, lexicon)
    assert all(t and t == clean_line(t) and match_key(t) for t in result)
    assert len({match_key(t) for t in result}) == len(result)


def test_article_evidence_outranks_a_lexicon_phrase_that_glues_two_tags() -> None:
    """A corpus that always copies two tags side by side teaches the lexicon a glued phrase;
    an article that writes the two apart still gets them apart."""
    lexicon = TagLexicon({"دميتري بيسكوف وسائل الاعلام": 9})
    evidence = ["قال دميتري بيسكوف اليوم", "الأمر ليس في وسائل الإعلام."]
    assert split_tags("دميتري بيسكوف وسائل الاعلام", evidence, lexicon) == [
        "دميتري بيسكوف", "وسائل الاعلام"]
    assert split_tags("دميتري بيسكوف وسائل الاعلام", [], lexicon) == [
        "دميتري بيسكوف وسائل الاعلام"]  # no evidence: the lexicon is all there is


# --- worst cases (issue 12): time in proportion to the keyword line plus the article ----------

EVIDENCE_WORDS = ["روسيا", "وسائل", "الاعلام", "بوتين", "24.ae", "al-Quds", "x", "y", "، "]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(EVIDENCE_WORDS), max_size=30),
       st.lists(st.lists(st.sampled_from(EVIDENCE_WORDS), max_size=12), max_size=6),
       st.booleans())
def test_one_pass_search_finds_what_substring_search_finds(
    line: list[str], body: list[list[str]], lexicon: bool
) -> None:
    """Past the scan budget the phrases are found in one pass (pair filter, then a word trie):
    the tags must be the same as with one substring search per phrase."""
    raw = " ".join(line)
    evidence = [" ".join(words) for words in body]
    lex = TagLexicon({"وسائل الاعلام": 3, "بوتين روسيا x": 3}) if lexicon else None
    expected = split_tags(raw, evidence, lex)
    budget = tags_module._SCAN_BUDGET
    tags_module._SCAN_BUDGET = 0
    try:
        assert split_tags(raw, evidence, lex) == expected
    finally:
        tags_module._SCAN_BUDGET = budget


def test_phrases_found_in_one_pass() -> None:
    ev = tags_module._evidence_key(["أ ب ج د", "ب ج هـ", "و ز"])
    phrases = {"ب ج", "ب ج د", "ج د", "ج هـ", "د ب", "ز و", "ب ج هـ"}
    budget = tags_module._SCAN_BUDGET
    tags_module._SCAN_BUDGET = 0
    try:
        found = tags_module._occurring(ev, {match_key(p) for p in phrases})
    finally:
        tags_module._SCAN_BUDGET = budget
    assert found == {match_key(p) for p in ("ب ج", "ب ج د", "ج د", "ج هـ", "ب ج هـ")}


@pytest.mark.parametrize("together", [False, True], ids=["never side by side", "in pairs"])
def test_long_keyword_line_against_a_long_body_is_near_linear(together: bool) -> None:
    """6,000 keywords, each in a 2 MB body: alone on its line, or beside the next one (every
    pair occurs, no triple). One substring search per phrase took ~10 s here (phrases x body;
    64k keywords: 92 s); the one-pass search takes under a second."""
    n = 6_000
    words = [f"كلمة{i}" for i in range(n)]
    if together:
        body = [f"{words[i]} {words[i + 1]}" for i in range(0, n - 1, 2)] + [
            f"{words[i]} {words[i + 1]}" for i in range(1, n - 1, 2)]
    else:
        body = [f"{word} ." for word in words]
    body += ["وأضاف المسؤول أن الاجتماع تناول عدة ملفات اقتصادية وسياسية مهمة في المنطقة."] * 30_000
    started = time.perf_counter()
    tags = split_tags(" ".join(words), body)
    elapsed = time.perf_counter() - started
    assert elapsed < 4.0, f"{elapsed:.1f} s"
    if together:
        assert tags == [f"{words[i]} {words[i + 1]}" for i in range(0, n, 2)]
    else:
        assert tags == words
