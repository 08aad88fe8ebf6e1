"""Tag splitting: a raw keyword line -> a list of tags.

Sits in the normalise stage, after the parser has cut out the text after ``كلمات دلالية:``
(the record keeps that text as ``tags_raw``; this module produces ``tags``). The site joins
multi-word tags with plain spaces and no delimiter, so ``دميتري بيسكوف وسائل الاعلام`` has to
be split into ``دميتري بيسكوف`` / ``وسائل الاعلام`` by evidence:

* the article's own title and body: a multi-word chunk whose match key occurs unbroken (on word
  boundaries, not across punctuation) in the match key of the title/body is a tag;
* a :class:`TagLexicon` learnt from many tag lines of a corpus: phrases that recur as units with
  varied neighbours. Only a lexicon can find the site-wide trending tags the site prepends to
  every line (seed 001: ``محاكمة ترامب``, ``مانشستر سيتي`` ...), which the article never mentions.

:func:`split_tags` picks the best segmentation by dynamic programming over the tokens (chunks of
1..5 tokens): single tokens are always allowed, a multi-word chunk only when supported; fewest
chunks wins, then chunks backed by the article over lexicon-only ones, then longer chunks, then
the leftmost-longest split. Tags are deduplicated by match key in first-seen order and returned in
stored form (``text.clean_line`` of the words as written).

Measured against the hand labels in ``tests/data/tags_truth.yaml`` (26 tags),
on seeds 000–003: 18 of 26 true tags recovered without a lexicon, precision 18/34 = 0.53
(splitting at every space: 8 of 26, precision 8/44 = 0.18); seeds 000, 002 and 003 come out
exactly, and all 8 misses are seed 001's trending tags (split word by word). With a lexicon
learnt from a synthetic corpus of the site's tag lines whose trending tags change order from
line to line (``tests/test_tags.py``): 26 of 26, precision 1.0. With a lexicon learnt by
``ingest --tag-lexicon`` from the 10,000 files of ``benchmarks/generate.py`` (which copies seed
keyword lines whole, so the trending prefix never varies and cannot be learnt): 19 of 26,
precision 19/33 = 0.58. A lexicon phrase never overrides the article: one that spans a chunk the
article itself supports is not used.

Its length (about 540 lines) is earned by the two halves of one problem, which share their
scoring: splitting a line by evidence, and learning and storing the lexicon that evidence
comes from.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence

import yaml

from news_ingest.text import clean_line, match_key, match_key_lines, split_lines

__all__ = ["LEXICON_VERSION", "MAX_CHUNK", "TagLexicon", "split_tags"]

#: Longest tag, in tokens, that :func:`split_tags` will form.
MAX_CHUNK = 5

#: Format version written to (and required in) lexicon YAML files.
LEXICON_VERSION = 1

# Shortest / longest phrase, in tokens, that TagLexicon.learn counts.
_LEARN_MIN_N = 2
_LEARN_MAX_N = 4

# Explicit delimiters some sites do use between tags: always a tag boundary, never kept.
_DELIMITER = re.compile(r"[,،;؛|]+")
# Punctuation inside a word ("24.ae", "al-Quds", "O'Brien") does not break evidence ...
# (Written punctuation first, the look-behind after it: a pattern that starts with a character set
# lets the regex engine skip ahead to candidates in C; the same set behind a look-behind does not.)
_JOINER = re.compile(r"[-'’.](?<=\w[-'’.])(?=\w)")
# ... any other run of punctuation/symbols does: "(الكرملين) دميتري" is not evidence for
# the chunk "الكرملين دميتري". Combining marks and tatweel are not punctuation.
_NOT_IN_WORD = (
    r"[^\w\s\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d]"
)
_BREAK = re.compile(f"{_NOT_IN_WORD}{_NOT_IN_WORD}*")  # X+ spelt XX*, for the same reason
_SPACES = re.compile(" {2,}")
_EDGE = ""  # neighbour value for a line start/end (or an explicit delimiter)


#: Match keys of tag words: the same words recur across a corpus's tag lines.
_word_key = functools.lru_cache(maxsize=1 << 16)(match_key)


def _tokenize(
    raw: str, key_cache: dict[str, str] | None = None
) -> tuple[list[str], list[str], list[bool]]:
    """Words (stored form), their match keys, and whether a hard boundary follows each word."""
    words: list[str] = []
    keys: list[str] = []
    hard: list[bool] = []
    line = clean_line(" ".join(split_lines(raw)))
    for segment in _DELIMITER.split(line):
        for word in segment.split():
            word = word.lstrip("#")
            key = key_cache.get(word) if key_cache is not None else None
            if key is None:
                key = _word_key(word) if word else ""
                if key_cache is not None:
                    key_cache[word] = key
            if not key:  # a lone dash, an emoji ...: not a word, but a boundary
                if hard:
                    hard[-1] = True
                continue
            words.append(word)
            keys.append(key)
            hard.append(False)
        if hard:
            hard[-1] = True
    return words, keys, hard


def _evidence_key(texts: Iterable[str]) -> str:
    """Match keys of the punctuation-free runs of ``texts``, one run a line, each line padded with
    one space at both ends and its words separated by one space.

    So ``f" {key} " in result`` finds a chunk of 2+ words only where it occurs unbroken in the
    text, and ``result.split()`` gives every word of the texts. Linear in the text length; built
    once per article, keyed in one pass over the joined text.
    """
    joined = "\n".join(split_lines("\n".join(texts)))
    keyed = match_key_lines(_BREAK.sub("\n", _JOINER.sub(" ", joined)))
    return _SPACES.sub(" ", " " + keyed.replace("\n", " \n ") + " ")


#: Above this many characters of evidence scanned in all (phrases x evidence length), phrases
#: are looked for in one pass over the evidence instead of one substring search each.
_SCAN_BUDGET = 4_000_000


def _occurring(ev: str, phrases: set[str]) -> set[str]:
    """The ``phrases`` (match keys of 2+ words) that occur unbroken in ``ev`` (an
    ``_evidence_key``): what ``f" {phrase} " in ev`` says of each.

    A substring search per phrase costs phrases x evidence: a keyword line of 64k words that
    each occur in a long body, never side by side, took 92 s. Past ``_SCAN_BUDGET`` the phrases
    go into a word trie with failure links (Aho-Corasick) and the evidence is read once: time
    and memory in proportion to the phrases' words plus the evidence's.
    """
    if len(phrases) * len(ev) <= _SCAN_BUDGET:
        return {phrase for phrase in phrases if f" {phrase} " in ev}
    # First the cheap test that settles the usual worst case (the words occur, never side by
    # side): every pair of neighbouring words of a phrase must stand side by side somewhere.
    vocabulary = {word for phrase in phrases for word in phrase.split(" ")}
    tokens = ev.split(" ")
    pairs = {f"{a} {b}" for a, b in itertools.pairwise(tokens)
             if a in vocabulary and b in vocabulary}
    phrases = {phrase for phrase in phrases if all(
        f"{a} {b}" in pairs for a, b in itertools.pairwise(phrase.split(" ")))}
    if len(phrases) * len(ev) <= _SCAN_BUDGET:
        return {phrase for phrase in phrases if f" {phrase} " in ev}
    # Word ids: a word no phrase holds (and the line separator) takes none and sends the scan
    # back to the root, so a match never spans it.
    ids: dict[str, int] = {}
    children: list[dict[int, int]] = [{}]
    ends: dict[int, list[str]] = {}  # trie node -> the phrases that end there
    for phrase in phrases:
        node = 0
        for word in phrase.split(" "):
            word_id = ids.setdefault(word, len(ids))
            nxt = children[node].get(word_id)
            if nxt is None:
                nxt = len(children)
                children[node][word_id] = nxt
                children.append({})
            node = nxt
        ends.setdefault(node, []).append(phrase)
    fail = [0] * len(children)
    queue = list(children[0].values())
    while queue:  # breadth first: a node's failure link is set before its children need it
        following: list[int] = []
        for node in queue:
            for word_id, child in children[node].items():
                back = fail[node]
                while back and word_id not in children[back]:
                    back = fail[back]
                target = children[back].get(word_id, 0)
                fail[child] = target if target != child else 0
                following.append(child)
        queue = following
    reached = [False] * len(children)
    node = 0
    for word in tokens:
        word_id = ids.get(word, -1)
        while node and word_id not in children[node]:
            node = fail[node]
        node = children[node].get(word_id, 0)
        # Every phrase that is a suffix of the text read so far ends at this node or on its
        # failure chain; a node marked before has its whole chain marked already.
        walk = node
        while walk and not reached[walk]:
            reached[walk] = True
            walk = fail[walk]
    return {phrase for node, found in ends.items() if reached[node] for phrase in found}


def split_tags(
    raw: str, evidence: Sequence[str] = (), lexicon: TagLexicon | None = None
) -> list[str]:
    """Split a keyword line into tags, deduplicated (by match_key) in first-seen order.

    ``evidence``: the article's own title and body paragraphs. Tags are returned in stored form
    (``text.clean_line`` of the words as written in ``raw``, e.g. Farsi yeh already fixed).
    Explicit delimiters (``, ، ; ؛ |``) are always boundaries and are dropped.

    >>> split_tags("دميتري بيسكوف وسائل الاعلام",
    ...            ["وصف الناطق باسم الكرملين دميتري بيسكوف", "الأمر ليس في وسائل الإعلام."])
    ['دميتري بيسكوف', 'وسائل الاعلام']
    """
    words, keys, hard = _tokenize(raw)
    if isinstance(evidence, str):  # one text passed where a sequence of texts was meant
        evidence = (evidence,)
    ev = _evidence_key(evidence)
    known = lexicon._phrases if lexicon is not None else {}

    # Supported multi-word chunks, (start, end) -> 1 if only the lexicon supports it, else 0.
    # A chunk's first and last words must both occur in the evidence before the (costlier)
    # substring test: most candidate chunks fail there.
    n = len(words)
    ev_words = set(ev.split()) if ev else set()
    present = [all(token in ev_words for token in key.split()) for key in keys]
    chunks: list[tuple[int, int, str, bool]] = []  # (start, end, key, may be in the article)
    for start in range(n):
        if not known and not present[start]:
            continue  # no chunk starting here can be in the article, nor in an empty lexicon
        key = keys[start]
        for end in range(start + 2, min(start + MAX_CHUNK, n) + 1):
            if hard[end - 2]:  # a delimiter inside; longer chunks contain it too
                break
            if not known and not present[end - 1]:
                break  # a word not in the article: no chunk through it is either
            key = f"{key} {keys[end - 1]}"
            chunks.append((start, end, key, present[start] and present[end - 1]))
    in_article = _occurring(ev, {key for _, _, key, may in chunks if may})
    supported: dict[tuple[int, int], int] = {}
    for start, end, key, may in chunks:
        if may and key in in_article:
            supported[start, end] = 0
        elif key in known:
            supported[start, end] = 1
    # The article outranks the lexicon: a lexicon phrase that spans a chunk the article itself
    # supports is dropped (the corpus glued two tags that this article writes apart).
    for (start, end), lexicon_only in list(supported.items()):
        if lexicon_only and any(
            supported.get((a, b)) == 0
            for a in range(start, end) for b in range(a + 2, end + 1) if (a, b) != (start, end)
        ):
            del supported[start, end]

    # best[end]: (chunks, lexicon-only chunks, -sum of squared chunk lengths), all minimised.
    # Candidates for the chunk ending at ``end``: the single word, then the supported chunks
    # from shortest to longest (on a full tie the first candidate, the shorter chunk, stays).
    ending: list[list[tuple[int, int]]] = [[(end - 1, 0)] for end in range(n + 1)]
    for (start, end), lexicon_only in sorted(supported.items(), key=lambda item: -item[0][0]):
        ending[end].append((start, lexicon_only))
    best: list[tuple[int, int, int]] = [(0, 0, 0)] + [(n + 1, 0, 0)] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for start, lexicon_only in ending[end]:
            chunks, lex, sq = best[start]
            length = end - start
            cand = (chunks + 1, lex + lexicon_only, sq - length * length)
            if cand < best[end]:  # strict: on a full tie the earlier (shorter last) chunk stays
                best[end] = cand
                back[end] = start

    bounds: list[tuple[int, int]] = []
    end = n
    while end:
        bounds.append((back[end], end))
        end = back[end]
    tags: list[str] = []
    seen: set[str] = set()
    for start, end in reversed(bounds):
        key = " ".join(keys[start:end])
        if key not in seen:
            seen.add(key)
            tags.append(" ".join(words[start:end]))
    return tags


class TagLexicon:
    """Multi-word phrases known to be tags, learnt from many tag lines.

    Compares by match key; keeps, for display, the most frequent written form of each phrase and
    the number of tag lines it occurred in.

    >>> lex = TagLexicon({"مانشستر سيتي": 12})
    >>> "مانشستر  سيتي" in lex, len(lex)
    (True, 1)
    """

    def __init__(
        self,
        phrases: Mapping[str, int] | None = None,
        *,
        min_count: int = 3,
        min_neighbours: int = 2,
        min_cohesion: float = 0.5,
        lines: int = 0,
    ) -> None:
        """``phrases``: phrase (any spelling) -> count; spellings with one match key are merged."""
        self.min_count = min_count
        self.min_neighbours = min_neighbours
        self.min_cohesion = min_cohesion
        self.lines = lines
        self._phrases: dict[str, tuple[str, int]] = {}  # match key -> (display form, count)
        for phrase, count in (phrases or {}).items():
            if not isinstance(phrase, str):
                raise ValueError(f"phrase {phrase!r} is not a string")
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError(f"count of phrase {phrase!r} is {count!r}, not an integer >= 1")
            key = match_key(phrase)
            if len(key.split()) < 2:
                raise ValueError(f"phrase {phrase!r} has fewer than two words")
            form, old = self._phrases.get(key, (clean_line(phrase), 0))
            self._phrases[key] = (form, old + count)

    @classmethod
    def learn(
        cls,
        tag_lines: Iterable[str],
        min_count: int = 3,
        min_neighbours: int = 2,
        *,
        min_cohesion: float = 0.5,
    ) -> TagLexicon:
        """Learn phrases of 2..4 words that recur as units in ``tag_lines`` (one pass).

        A phrase (compared by match key) is kept when it occurs in at least ``min_count`` lines,
        with at least ``min_neighbours`` distinct left and right neighbours (a line start/end or a
        delimiter counts as one value), when its words stick together (at each inner split
        ``L|R``: occurrences of the phrase >= ``min_cohesion`` * min(occurrences of L, of R), which
        rejects two independent tags that happen to be adjacent), and when it is not merely a part
        of a longer kept phrase that always surrounds it. Pass the text after ``كلمات دلالية:``.
        Reads ``tag_lines`` twice (an iterator is first turned into a list).

        >>> lines = [f"{a} مانشستر سيتي {b}" for a, b in zip("abcd", "efgh")]
        >>> list(TagLexicon.learn(lines))
        ['مانشستر سيتي']
        """
        # Two passes over the lines (kept in memory if they are not a sequence already). Pass 1
        # counts words and the lines each adjacent word pair occurs in; pass 2 collects the
        # statistics of only those phrases whose every adjacent pair passed min_count (a phrase
        # cannot occur in more lines than any of its pairs), which keeps memory proportional to
        # the frequent phrases rather than to every n-gram of the corpus.
        if isinstance(tag_lines, str) or not isinstance(tag_lines, Sequence):
            tag_lines = list(tag_lines)
        key_cache: dict[str, str] = {}
        occ: Counter[str] = Counter()  # words, then kept-candidate phrases -> occurrences
        pair_lines: Counter[str] = Counter()
        for line in tag_lines:
            _, keys, hard = _tokenize(line, key_cache)
            occ.update(keys)
            pair_lines.update(
                {f"{keys[i]} {keys[i + 1]}" for i in range(len(keys) - 1) if not hard[i]}
            )
        frequent = {pair for pair, lines in pair_lines.items() if lines >= min_count}
        del pair_lines

        # phrase key -> [lines, occurrences, left neighbours, right neighbours, forms, last line]
        # neighbours/forms start as one string and become a set/Counter only when they vary.
        stats: dict[str, list] = {}
        for number, line in enumerate(tag_lines):
            words, keys, hard = _tokenize(line, key_cache)
            joins = [
                not hard[i] and f"{keys[i]} {keys[i + 1]}" in frequent for i in range(len(keys) - 1)
            ]
            for i in range(len(keys) - 1):
                before = _EDGE if i == 0 or hard[i - 1] else keys[i - 1]
                for j in range(i + _LEARN_MIN_N, min(i + _LEARN_MAX_N, len(keys)) + 1):
                    if not joins[j - 2]:  # this pair (and every longer phrase) is rare
                        break
                    key = " ".join(keys[i:j])
                    form = " ".join(words[i:j])
                    after = _EDGE if j == len(keys) or hard[j - 1] else keys[j]
                    entry = stats.get(key)
                    if entry is None:
                        stats[key] = [1, 1, before, after, form, number]
                        continue
                    if entry[5] != number:
                        entry[0] += 1
                        entry[5] = number
                    entry[1] += 1
                    for slot, value in ((2, before), (3, after)):
                        seen = entry[slot]
                        if isinstance(seen, str):
                            if seen != value:
                                entry[slot] = {seen, value}
                        elif len(seen) < min_neighbours:  # only "at least n distinct" matters
                            seen.add(value)
                    forms = entry[4]
                    if isinstance(forms, str):
                        if forms != form:  # every earlier occurrence had the first form
                            entry[4] = Counter({forms: entry[1] - 1, form: 1})
                    else:
                        forms[form] += 1

        def distinct(neighbours: str | set[str]) -> int:
            return 1 if isinstance(neighbours, str) else len(neighbours)

        for key, entry in stats.items():
            occ[key] = entry[1]

        def cohesive(key: str) -> bool:
            parts = key.split(" ")
            for cut in range(1, len(parts)):
                weaker = min(occ[" ".join(parts[:cut])], occ[" ".join(parts[cut:])])
                if occ[key] < min_cohesion * weaker:
                    return False
            return True

        kept = [
            key
            for key, entry in stats.items()
            if entry[0] >= min_count
            and distinct(entry[2]) >= min_neighbours
            and distinct(entry[3]) >= min_neighbours
            and cohesive(key)
        ]
        # "merely a part": a kept phrase inside a longer kept one that occurs as often
        inside: dict[str, list[str]] = {}
        for key in kept:
            parts = key.split(" ")
            for size in range(_LEARN_MIN_N, len(parts)):
                for i in range(len(parts) - size + 1):
                    inside.setdefault(" ".join(parts[i : i + size]), []).append(key)
        lexicon = cls(
            min_count=min_count,
            min_neighbours=min_neighbours,
            min_cohesion=min_cohesion,
            lines=len(tag_lines),
        )
        for key in kept:
            if any(occ[longer] >= occ[key] for longer in inside.get(key, ())):
                continue
            forms = stats[key][4]
            form = forms if isinstance(forms, str) else forms.most_common(1)[0][0]
            lexicon._phrases[key] = (form, stats[key][0])
        return lexicon

    def __contains__(self, phrase: object) -> bool:
        return isinstance(phrase, str) and match_key(phrase) in self._phrases

    def __len__(self) -> int:
        return len(self._phrases)

    def __iter__(self) -> Iterator[str]:
        """Display forms, sorted."""
        return iter(sorted(form for form, _ in self._phrases.values()))

    def __repr__(self) -> str:
        return f"TagLexicon({len(self)} phrases, min_count={self.min_count})"

    def count(self, phrase: str) -> int:
        """Number of tag lines ``phrase`` was learnt from (0 if unknown)."""
        return self._phrases.get(match_key(phrase), ("", 0))[1]

    def items(self) -> list[tuple[str, int]]:
        """(display form, count) pairs sorted by display form: ``[('مانشستر سيتي', 12)]``."""
        return sorted(self._phrases.values())

    def merge(self, other: TagLexicon) -> TagLexicon:
        """A new lexicon with the phrases of both; counts add, the larger side's form is shown.

        Thresholds become the looser of the two. ``TagLexicon({"a b": 1}).merge(
        TagLexicon({"a b": 2, "c d": 1}))`` has ``a b`` -> 3 and ``c d`` -> 1.
        """
        merged = TagLexicon(
            min_count=min(self.min_count, other.min_count),
            min_neighbours=min(self.min_neighbours, other.min_neighbours),
            min_cohesion=min(self.min_cohesion, other.min_cohesion),
            lines=self.lines + other.lines,
        )
        merged._phrases = dict(self._phrases)
        for key, (form, count) in other._phrases.items():
            mine, my_count = merged._phrases.get(key, (form, 0))
            merged._phrases[key] = (mine if my_count >= count else form, my_count + count)
        return merged

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the lexicon as human-readable YAML (UTF-8), phrases sorted by display form.

        ``TagLexicon({"مانشستر سيتي": 12}).save("lex.yaml")`` writes a commented header, then
        ``version: 1``, the thresholds, ``lines`` and ``phrases: {مانشستر سيتي: 12}`` (block style).
        """
        body = {
            "version": LEXICON_VERSION,
            "min_count": self.min_count,
            "min_neighbours": self.min_neighbours,
            "min_cohesion": self.min_cohesion,
            "lines": self.lines,
            "phrases": dict(self.items()),
        }
        text = yaml.safe_dump(
            body, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000
        )
        # Beside the target, then renamed over it: a run killed mid-save leaves the old file
        # (or none), never a cut one that the next run would refuse.
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part",
                                   dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(_HEADER + text)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TagLexicon:
        """Read a file written by :meth:`save` (``yaml.safe_load`` only).

        Raises ``ValueError`` naming the file and the problem when it is malformed, e.g.
        ``ValueError: lex.yaml: 'phrases' must be a mapping of phrase -> count``.
        """
        name = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ValueError(f"{name}: not a readable YAML tag lexicon ({exc})") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{name}: expected a YAML mapping with 'version' and 'phrases'")
        version = data.get("version")
        if isinstance(version, bool) or version != LEXICON_VERSION:
            raise ValueError(f"{name}: 'version' is {version!r}, expected {LEXICON_VERSION}")
        phrases = data.get("phrases")
        if phrases is None:
            phrases = {}
        if not isinstance(phrases, dict):
            raise ValueError(f"{name}: 'phrases' must be a mapping of phrase -> count")
        settings: dict[str, int | float] = {}
        for field, kinds in (
            ("min_count", (int,)),
            ("min_neighbours", (int,)),
            ("min_cohesion", (int, float)),
            ("lines", (int,)),
        ):
            if field in data:
                value = data[field]
                if isinstance(value, bool) or not isinstance(value, kinds) or value < 0:
                    raise ValueError(f"{name}: {field!r} is {value!r}, not a number >= 0")
                settings[field] = value
        try:
            return cls(phrases, **settings)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc


_HEADER = """\
# news-ingest tag lexicon (news_ingest.tags.TagLexicon): multi-word phrases known to be tags.
# version:        file format version
# min_count:      a phrase occurred in at least this many tag lines
# min_neighbours: ... with at least this many distinct left and right neighbours
# min_cohesion:   ... and its words stuck together (see TagLexicon.learn)
# lines:          number of tag lines learnt from
# phrases:        phrase (most frequent spelling) -> number of tag lines it occurred in
"""
