"""Layouts: the knowledge of how one family of dumps is laid out, as data.

Each layout is a YAML file (the packaged ones sit beside this module; users add their own with
``--layouts``). This module validates a file against ``LAYOUT_SCHEMA`` (``schema.py``),
compiles its patterns once, and scores a text against every layout to pick one (detection).
The engine that applies a
layout to text is ``news_ingest.parse``; nothing here names a particular outlet.

Its length (about 520 lines) is earned by ``build_layout``, which turns every key a layout
may hold into compiled rules and refuses the ones that cannot work with the key's name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..dates import DateReader
from ..errors import AmbiguousLayout, LayoutError, NoLayoutMatches, UnknownLayout
from ..text import match_key
from .schema import FIELD_NAMES, LAYOUT_SCHEMA, STOPLISTS, layout_validator

__all__ = ["FIELD_NAMES", "LAYOUT_SCHEMA", "STOPLISTS", "Layout", "LayoutSet", "backtracking",
           "build_layout", "layout_validator", "load_layout_file", "packaged_layouts"]

#: libyaml's safe loader where PyYAML was built with it (several times faster), else PyYAML's.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Keys that only the other kind of layout reads: an error, not silently ignored.
_LINES_ONLY = {"title", "standalone_date", "fields", "glued_labels", "related", "chrome",
               "boilerplate", "headline", "sections", "embeds", "end_markers", "bylines",
               "dateline_outlets", "outlets", "header", "paragraphs"}
_TAGGED_ONLY = {"document", "tags", "paragraph"}
_OTHER_KIND_KEYS = {"lines": _TAGGED_ONLY, "tagged": _LINES_ONLY}


@dataclass(frozen=True)
class Rule:
    """A compiled, named pattern; with ``needs``, tried only on lines holding one of them."""

    name: str
    regex: re.Pattern[str]
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineRule:
    """One of the patterns a line is tested against, in the order they are tested: ``kind`` is
    drop, update, end, field or date-label. ``needs``: case-folded substrings one of which the
    case-folded line must hold for the pattern to be tried."""

    kind: str
    name: str
    regex: re.Pattern[str]
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParagraphRules:
    """How a ``lines`` layout tells running text from page furniture (after jusText: length and
    stop-word density, with sentence punctuation standing in for jusText's DOM). A line is a
    *paragraph* when it has ``min_words`` words and ends like a sentence or a clause, or runs
    to ``long_chars`` characters, or holds a sentence end inside, or is the text's last line (a
    page cut off); with stop-word lists, it also needs ``min_stopword_density``. ``drop_trailing``
    and ``short_run`` are the generic page rules (see docs/layouts.md)."""

    min_words: int = 8
    min_chars: int = 0
    long_chars: int = 150
    stopwords: frozenset[str] = frozenset()
    min_stopword_density: float = 0.0
    drop_trailing: bool = False
    short_run: int = 0


#: Words of a page read to tell its language, and what is stripped around each.
_LANGUAGE_WORDS = 600
WORD_EDGES = "\"'“”‘’«»()[]{}.,،؛;:!?؟…-–—|/"


@functools.cache
def stoplist(name: str) -> frozenset[str]:
    """The words of ``data/stoplists/<name>.txt``, case-folded."""
    text = resources.files("news_ingest").joinpath(f"data/stoplists/{name}.txt").read_text(
        "utf-8")
    return frozenset(word.casefold() for word in text.split())


@functools.cache
def packaged_outlets() -> frozenset[str]:
    """Match keys of the news agencies and outlets of ``data/outlets.yaml``."""
    text = resources.files("news_ingest").joinpath("data/outlets.yaml").read_text("utf-8")
    return frozenset(match_key(str(name)) for name in yaml.load(text, SAFE_LOADER)["outlets"])


@dataclass
class Layout:
    """A validated layout with its patterns compiled. ``origin`` says where it came from."""

    name: str
    kind: str
    origin: str
    description: str = ""
    spec: dict[str, Any] = field(default_factory=dict)
    detect_rules: list[tuple[re.Pattern[str], float]] = field(default_factory=list)
    min_score: float = 1.0
    fields: list[tuple[str, re.Pattern[str], bool]] = field(default_factory=list)
    field_needs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Fields whose label may stand alone on its line, the value on the next ('ملخص').
    next_line_fields: frozenset[str] = frozenset()
    # Chrome labels alone on their line whose next line goes with them ('التعليق على الصورة،'
    # then the caption): the names of their line rules ('chrome:caption-label').
    next_line_drops: frozenset[str] = frozenset()
    chrome: list[Rule] = field(default_factory=list)
    boilerplate: list[Rule] = field(default_factory=list)
    glued_labels: list[Rule] = field(default_factory=list)
    related: list[Rule] = field(default_factory=list)
    embeds: list[Rule] = field(default_factory=list)
    # Every pattern a line is tested against, in order (see LineRule).
    line_rules: list[LineRule] = field(default_factory=list)
    # Those without ``needs``, as one pattern whose alternative k is in group k + 1: most
    # lines match none of them, and one call tells; for the others it tells which rule to
    # start from (None when they cannot be joined, e.g. a pattern with a back-reference).
    joined_rules: re.Pattern[str] | None = None
    joined_index: list[int] = field(default_factory=list)  # alternative k -> line_rules index
    read_also_marker: re.Pattern[str] | None = None
    bylines: list[re.Pattern[str]] = field(default_factory=list)
    standalone_date_within: int = 0
    headline_max_words: int = 24
    headline_min_words: int = 1
    headline_above_date: bool = False  # the headline is the line just above the date line
    headline_end_punctuation: str = ".!?؟…:؛"
    fallback: bool = False
    title_mode: str = "first_line"
    end_markers: list[Rule] = field(default_factory=list)
    header_bylines: list[re.Pattern[str]] = field(default_factory=list)
    dateline_outlets: list[re.Pattern[str]] = field(default_factory=list)
    outlets: frozenset[str] = frozenset()  # match keys of known outlets (credits, bylines)
    credit_max_words: int = 0
    summary_min_words: int = 0
    paragraphs: ParagraphRules = field(default_factory=ParagraphRules)
    date_reader: DateReader = field(default_factory=DateReader.packaged)
    # Labelled publication dates ('نشر بتاريخ: …'), and labels of dates that are not the
    # publication date ('آخر تحديث', 'Updated'): see `dates` in docs/layouts.md.
    date_label: re.Pattern[str] | None = None
    update_label: re.Pattern[str] | None = None
    lead_dateline: bool = False
    # Stop-word lists of the languages whose writers put the day first (`dates.day_first_in`)
    day_first_in: tuple[str, ...] = ()

    def written_day_first(self, lines: Sequence[str]) -> str | None:
        """The language of ``lines`` when it is one of ``day_first_in``: a slash date of such a
        page reads day first (``05/09/2024`` is 5 September on a French or Arabic page; only
        American English writes the month first). The language is the stop-word list with the
        largest share of the first words, at least a fifth of them and twice any other's share;
        None when no list is that clear."""
        if not self.day_first_in:
            return None
        words = [w.strip(WORD_EDGES).casefold()
                 for line in lines for w in line.split()][:_LANGUAGE_WORDS]
        if not words:
            return None
        shares = sorted(((sum(w in stoplist(name) for w in words) / len(words), name)
                         for name in STOPLISTS), reverse=True)
        (best, name), (second, _) = shares[0], shares[1]
        if name in self.day_first_in and best >= 0.2 and best >= 2 * second:
            return name
        return None

    def score(self, sample: str) -> float:
        """Sum of the weights of the detection rules found on some line of ``sample`` (lines
        each preceded by a newline; rules are compiled with ``re.MULTILINE``, so ``$`` anchors
        at each line end, and a leading ``^`` was turned into a newline: one search covers the
        whole sample)."""
        return sum(weight for regex, weight in self.detect_rules if regex.search(sample))


def _compile(pattern: str, where: str, origin: str, flags: int = 0,
             check: bool = False) -> re.Pattern[str]:
    try:
        regex = re.compile(pattern, flags)
    except re.error as exc:
        raise LayoutError(
            f"{origin}: key '{where}': expected a valid regular expression ({exc})"
        ) from None
    if check:
        growth = backtracking(pattern)
        if growth:
            raise LayoutError(
                f"{origin}: key '{where}': the pattern can backtrack without bound ({growth}); "
                "rewrite it so that each part of a line can be matched one way only")
    return regex


#: Patterns whose matching time may grow as this power of a line's length (or faster) are
#: refused in a user's layout: '^(a+)+$' takes longer than the age of the universe on 50 'a's.
MAX_STARRINESS = 3


def backtracking(pattern: str) -> str | None:
    """A description of how a pattern backtracks without bound, or None.

    regexploit finds it statically (nested or adjacent repeats that can share characters):
    ``'^(a+)+$'`` -> ``'exponential in the length of the text'``. Imported only for a user's
    layout file; the packaged patterns are checked by the test suite."""
    import warnings

    with warnings.catch_warnings():  # it reads patterns with sre_parse, deprecated since 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        from regexploit.ast.sre import SreOpParser
        from regexploit.redos import find
    try:
        found = [redos.starriness for redos in find(SreOpParser().parse_sre(pattern))]
    except Exception:  # a construct regexploit does not model: no verdict from it
        return None
    worst = max(found, default=0)
    if worst < MAX_STARRINESS:
        return None
    return ("exponential in the length of the text" if worst > 10
            else f"growing as the power {worst} of the length of the text")


def _path_of(error: Any) -> str:  # a jsonschema.ValidationError
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def build_layout(data: Any, origin: str, *, validate: bool = True) -> Layout:
    """Validate parsed YAML against ``LAYOUT_SCHEMA`` and compile it into a ``Layout``.

    Raises ``LayoutError`` naming the file, the key and what was expected. ``validate=False``
    is for the packaged layouts only, which the test suite validates.
    """
    if validate:
        errors = sorted(layout_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            err = errors[0]
            raise LayoutError(f"{origin}: key '{_path_of(err)}': {err.message}")
    spec: dict[str, Any] = data

    def compile_(pattern: str, where: str, flags: int = 0) -> re.Pattern[str]:
        return _compile(pattern, where, origin, flags, check=validate)
    foreign = _OTHER_KIND_KEYS[spec["kind"]].intersection(spec)
    if foreign:
        key = sorted(foreign)[0]
        raise LayoutError(f"{origin}: key '{key}': not used by kind '{spec['kind']}' layouts "
                          f"(only by kind '{'tagged' if spec['kind'] == 'lines' else 'lines'}')")
    if spec["kind"] == "lines" and "body" in spec.get("fields", {}):
        raise LayoutError(f"{origin}: key 'fields.body': a lines layout's body is every line no "
                          "rule claims; it cannot be a labelled field")
    detect = spec.get("detect", {"rules": []})
    layout = Layout(
        name=spec["name"],
        kind=spec["kind"],
        origin=origin,
        description=spec.get("description", ""),
        spec=spec,
        min_score=float(detect.get("min_score", 1)),
    )
    for i, rule in enumerate(detect["rules"]):
        pattern = rule["pattern"]
        compile_(pattern, f"detect.rules.{i}.pattern")  # errors name the user's pattern
        if pattern.startswith("^"):
            # '^X' searched as '\nX' in '\n' + sample: the same lines match, and the regex
            # engine can skip ahead to each line break instead of trying every position.
            pattern = "\n" + pattern[1:]
        regex = _compile(pattern, f"detect.rules.{i}.pattern", origin, re.MULTILINE)
        layout.detect_rules.append((regex, float(rule.get("weight", 1))))
    for name, fspec in spec.get("fields", {}).items():
        regex = compile_(fspec["pattern"], f"fields.{name}.pattern")
        if "value" not in regex.groupindex:
            raise LayoutError(
                f"{origin}: key 'fields.{name}.pattern': expected a named group (?P<value>...)"
            )
        layout.fields.append((name, regex, bool(fspec.get("repeat", False))))
        if fspec.get("needs"):
            layout.field_needs[name] = tuple(fspec["needs"])
        if fspec.get("next_line"):
            layout.next_line_fields |= {name}
    for key in ("chrome", "boilerplate", "glued_labels", "related"):
        rules = [
            Rule(r["name"], compile_(r["pattern"], f"{key}.{i}.pattern"), tuple(r.get("needs", ())))
            for i, r in enumerate(spec.get(key, []))
        ]
        setattr(layout, key, rules)
    layout.next_line_drops = frozenset(f"chrome:{r['name']}" for r in spec.get("chrome", [])
                                       if r.get("next_line"))
    for key in ("glued_labels", "related"):
        for i, rule in enumerate(getattr(layout, key)):
            if "rest" not in rule.regex.groupindex:
                raise LayoutError(
                    f"{origin}: key '{key}.{i}.pattern': expected a named group (?P<rest>...)"
                )
    layout.embeds = [
        Rule(e["kind"], compile_(e["pattern"], f"embeds.{i}.pattern"))
        for i, e in enumerate(spec.get("embeds", []))
    ]
    for i, rule in enumerate(layout.embeds):
        if rule.regex.search("") is not None:
            raise LayoutError(f"{origin}: key 'embeds.{i}.pattern': expected a pattern that "
                              "cannot match empty text (it would match everywhere)")
    read_also = spec.get("sections", {}).get("read_also")
    if read_also:
        layout.read_also_marker = compile_(read_also["marker"], "sections.read_also.marker")
        layout.bylines = [
            compile_(p, f"sections.read_also.bylines.{i}")
            for i, p in enumerate(read_also.get("bylines", []))
        ]
    layout.standalone_date_within = spec.get("standalone_date", {}).get("within", 0)
    headline = spec.get("headline", {})
    layout.headline_max_words = headline.get("max_words", layout.headline_max_words)
    layout.headline_min_words = headline.get("min_words", layout.headline_min_words)
    layout.headline_above_date = bool(headline.get("above_date", False))
    layout.headline_end_punctuation = headline.get(
        "end_punctuation", layout.headline_end_punctuation
    )
    layout.fallback = bool(spec.get("fallback", False))
    layout.title_mode = spec.get("title", "first_line")
    layout.end_markers = [
        Rule(r["name"], compile_(r["pattern"], f"end_markers.{i}.pattern"),
             tuple(r.get("needs", ())))
        for i, r in enumerate(spec.get("end_markers", []))
    ]
    layout.header_bylines = [compile_(p, f"bylines.{i}")
                             for i, p in enumerate(spec.get("bylines", []))]
    layout.dateline_outlets = [compile_(p, f"dateline_outlets.{i}")
                               for i, p in enumerate(spec.get("dateline_outlets", []))]
    for i, regex in enumerate(layout.dateline_outlets):
        if "outlet" not in regex.groupindex:
            raise LayoutError(f"{origin}: key 'dateline_outlets.{i}': expected a named group "
                              "(?P<outlet>...)")
    known = spec.get("outlets", {})
    layout.outlets = (packaged_outlets() if known.get("packaged") else frozenset()) | frozenset(
        match_key(name) for name in known.get("names", []))
    header = spec.get("header", {})
    layout.credit_max_words = header.get("credit_max_words", 0)
    layout.summary_min_words = header.get("summary_min_words", 0)
    rules = spec.get("paragraphs", {})
    layout.paragraphs = ParagraphRules(
        min_words=rules.get("min_words", 8),
        min_chars=rules.get("min_chars", 0),
        long_chars=rules.get("long_chars", 150),
        stopwords=frozenset().union(*(stoplist(name) for name in rules.get("stopwords", []))),
        min_stopword_density=rules.get("min_stopword_density", 0.0),
        drop_trailing=rules.get("drop_trailing", False),
        short_run=rules.get("short_run", 0),
    )
    dates = spec.get("dates", {})
    words = {k: v for k, v in dates.items()
             if k not in ("labels", "update_labels", "numeric_order", "lead_dateline",
                          "day_first_in")}
    layout.date_reader = DateReader.extended(words, dates.get("numeric_order", "day-first"))
    layout.lead_dateline = bool(dates.get("lead_dateline", False))
    layout.day_first_in = tuple(dates.get("day_first_in", ()))
    if dates.get("labels"):
        # The label, then a colon or not: without a colon the value must read as a date (the
        # parser checks), so 'Le président …' is not a date line.
        layout.date_label = re.compile(
            rf"^(?:{_literal_alternation(dates['labels'])})(?![^\W\d_])\s*(?P<colon>:)?\s*"
            r"(?P<value>.*)$", re.IGNORECASE)
    if dates.get("update_labels"):
        # Anywhere on its line: what stands before it is looked at again ('18-03-2024 20:37
        # اخر تحديث: 18-03-2024 20:49' keeps its first date).
        # (A label glued after a capital or a digit is found too: 'GMTUpdated 2 days ago'.)
        layout.update_label = re.compile(
            rf"^(?P<rest>.*?)(?<![a-z\u0621-\u064a])"
            rf"(?i:{_literal_alternation(dates['update_labels'])})(?![^\W\d_]).*$")
    def folded(words: Iterable[str]) -> tuple[str, ...]:
        return tuple(" ".join(word.casefold().split()) for word in words)

    layout.line_rules = [
        *(LineRule("drop", f"{kind}:{rule.name}", rule.regex, folded(rule.needs))
          for kind in ("chrome", "boilerplate") for rule in getattr(layout, kind)),
        *([LineRule("update", "update-stamp", layout.update_label,
                    folded(dates["update_labels"]))] if layout.update_label else []),
        *(LineRule("end", rule.name, rule.regex, folded(rule.needs))
          for rule in layout.end_markers),
        *(LineRule("field", name, regex, folded(layout.field_needs.get(name, ())))
          for name, regex, _ in layout.fields),
        *([LineRule("date-label", "date", layout.date_label)] if layout.date_label else []),
    ]
    layout.joined_index = [n for n, rule in enumerate(layout.line_rules) if not rule.needs]
    layout.joined_rules = _joined([layout.line_rules[n].regex for n in layout.joined_index])
    return layout


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _joined(regexes: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern that matches where any of ``regexes`` matches, the k-th in group k + 1
    (their own groups made plain, so that ``lastindex`` names the alternative)."""
    parts = []
    for regex in regexes:
        if "(?P=" in regex.pattern or regex.flags & ~(re.UNICODE | re.IGNORECASE) \
                or regex.groups != len(regex.groupindex):
            return None  # a back-reference, flags that cannot be scoped, a numbered group
        flags = "(?i:" if regex.flags & re.IGNORECASE else "(?:"
        parts.append(f"({flags}{_NAMED_GROUP.sub('(?:', regex.pattern)}))")
    if not parts:
        return None
    try:
        return re.compile("|".join(parts))
    except re.error:  # a global inline flag inside a pattern ('(?i)…'): tested one by one
        return None


def _literal_alternation(words: Iterable[str]) -> str:
    """Literal words as one alternation, longest first; a space matches any run of spaces."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+")
                    for w in sorted(set(words), key=lambda w: (-len(w), w)))


#: The largest layout file read (the packaged generic layout is about 12,000 characters).
MAX_LAYOUT_CHARS = 1_000_000


def load_layout_file(path: str | Path, *, validate: bool = True) -> Layout:
    """Read one layout YAML file (safe loading only)."""
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError(f"{origin}: cannot read layout file ({exc})") from None
    if validate and len(text) > MAX_LAYOUT_CHARS:
        raise LayoutError(f"{origin}: a layout file of {len(text):,} characters is too large "
                          f"(at most {MAX_LAYOUT_CHARS:,})")
    try:
        # Anchors and aliases are refused: a few hundred bytes of nested aliases expand to
        # billions of nodes for whatever walks the data (and a layout never needs them).
        if validate and any(isinstance(token, yaml.AliasToken)
                            for token in yaml.scan(text, Loader=SAFE_LOADER)):
            raise LayoutError(f"{origin}: YAML aliases (*name) are not allowed in a layout file")
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise LayoutError(f"{origin}: not valid YAML{where}") from None
    return build_layout(data, origin, validate=validate)


def _yaml_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if path.is_file():
        return [path]
    raise LayoutError(f"{path}: no such layout file or folder")


def packaged_layouts() -> list[Layout]:
    """The layouts shipped with the tool, in name order."""
    folder = resources.files(__name__)
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            with resources.as_file(entry) as path:
                layout = load_layout_file(path, validate=False)  # validated by the test suite
            layout.origin = f"packaged:{entry.name}"
            out.append(layout)
    return out


class LayoutSet:
    """All known layouts: the packaged ones plus the user's. Picks one per text."""

    def __init__(self, layouts: Iterable[Layout]) -> None:
        self._by_name: dict[str, Layout] = {}
        for layout in layouts:
            self._by_name[layout.name] = layout  # a user's layout replaces a packaged namesake

    @classmethod
    def load(cls, extra: Iterable[str | Path] = ()) -> LayoutSet:
        """Packaged layouts, then every YAML file of each path in ``extra`` (file or folder)."""
        layouts = packaged_layouts()
        for item in extra:
            layouts.extend(load_layout_file(p) for p in _yaml_files(Path(item)))
        return cls(layouts)

    def __iter__(self) -> Iterator[Layout]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str) -> Layout:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownLayout(name, sorted(self._by_name)) from None

    @property
    def fallback(self) -> Layout | None:
        """The layout used when no other is detected (the last fallback layout loaded)."""
        found = [layout for layout in self._by_name.values() if layout.fallback]
        return found[-1] if found else None

    def detect(self, lines: list[str]) -> Layout:
        """The single best-scoring layout for these (stored-form, non-blank) lines, or the
        fallback layout when none reaches its ``min_score`` (its own rules are not scored).

        Raises ``AmbiguousLayout`` (both ``DetectError``) when two tie for best, and
        ``NoLayoutMatches`` when none matches and there is no fallback layout.
        """
        scored = []
        sample = "\n" + "\n".join(lines)  # a line break before every line (see build_layout)
        for layout in self._by_name.values():
            if layout.fallback:
                continue
            score = layout.score(sample)
            if score >= layout.min_score:
                scored.append((score, layout))
        if not scored:
            if self.fallback is not None:
                return self.fallback
            raise NoLayoutMatches()
        scored.sort(key=lambda pair: -pair[0])
        if len(scored) > 1 and scored[0][0] == scored[1][0]:
            raise AmbiguousLayout([layout.name for s, layout in scored if s == scored[0][0]])
        return scored[0][1]
