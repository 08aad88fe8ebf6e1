"""Layouts: the knowledge of how one family of dumps is laid out, as data.

Each layout is a YAML file (the packaged ones sit beside this module; users add their own with
``--layouts``). This module validates a file against ``LAYOUT_SCHEMA``, compiles its patterns
once, and scores a text against every layout to pick one (detection). The engine that applies a
layout to text is ``news_ingest.parse``; nothing here names a particular outlet.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import DetectError, LayoutError

#: Field names a layout may fill; the normaliser maps them onto record keys.
FIELD_NAMES = (
    "date", "source", "tags", "site", "photo_credit", "url", "category", "author", "summary",
    "doc_id", "title", "body",
)

_PATTERN = {"type": "string", "minLength": 1}
#: One tag name, or several separated by '|' ('TITLE|HEADLINE').
_TAG_NAMES = "^[A-Za-z][A-Za-z0-9_-]*(?:[|][A-Za-z][A-Za-z0-9_-]*)*$"
_NAMED_PATTERN = {
    "type": "object",
    "required": ["name", "pattern"],
    "additionalProperties": False,
    "properties": {"name": {"type": "string", "minLength": 1}, "pattern": _PATTERN},
}

#: JSON Schema (draft 2020-12) of a layout file. Documented in docs/layouts.md.
LAYOUT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "news-ingest layout",
    "type": "object",
    "required": ["name", "kind", "detect"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"},
        "description": {"type": "string"},
        "kind": {"enum": ["lines", "tagged"]},
        "detect": {
            "type": "object",
            "required": ["rules"],
            "additionalProperties": False,
            "properties": {
                "min_score": {"type": "number", "minimum": 0},
                "rules": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["pattern"],
                        "additionalProperties": False,
                        "properties": {"pattern": _PATTERN, "weight": {"type": "number"}},
                    },
                },
            },
        },
        "title": {"enum": ["first_line"]},
        "standalone_date": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"within": {"type": "integer", "minimum": 1}},
        },
        "fields": {
            "type": "object",
            "propertyNames": {"enum": list(FIELD_NAMES)},
            "additionalProperties": {
                "type": "object",
                "required": ["pattern"],
                "additionalProperties": False,
                "properties": {"pattern": _PATTERN, "repeat": {"type": "boolean"}},
            },
        },
        "glued_labels": {"type": "array", "items": _NAMED_PATTERN},
        "related": {"type": "array", "items": _NAMED_PATTERN},
        "chrome": {"type": "array", "items": _NAMED_PATTERN},
        "boilerplate": {"type": "array", "items": _NAMED_PATTERN},
        "headline": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "max_words": {"type": "integer", "minimum": 1},
                "end_punctuation": {"type": "string"},
            },
        },
        "sections": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "read_also": {
                    "type": "object",
                    "required": ["marker"],
                    "additionalProperties": False,
                    "properties": {
                        "marker": _PATTERN,
                        "bylines": {"type": "array", "items": _PATTERN},
                    },
                },
            },
        },
        "embeds": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "pattern"],
                "additionalProperties": False,
                "properties": {"kind": {"type": "string"}, "pattern": _PATTERN},
            },
        },
        "document": {"type": "string", "pattern": _TAG_NAMES},
        "tags": {
            "type": "object",
            "propertyNames": {"enum": list(FIELD_NAMES)},
            "additionalProperties": {"type": "string", "pattern": _TAG_NAMES},
        },
        "paragraph": {"type": "string", "pattern": _TAG_NAMES},
    },
    # A tagged layout names its document element and its tags; a lines layout its title rule.
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "tagged"}}},
            "then": {"required": ["document", "tags"]},
        },
    ],
}



@functools.cache
def layout_validator() -> Any:
    """The JSON Schema validator of ``LAYOUT_SCHEMA``. jsonschema is imported only here, when a
    layout file of the user's is loaded: about 40 ms of every run's start-up otherwise. The
    packaged layouts are checked against the schema by the test suite instead."""
    import jsonschema

    return jsonschema.Draft202012Validator(LAYOUT_SCHEMA)

#: Keys that only the other kind of layout reads: an error, not silently ignored.
_LINES_ONLY = {"title", "standalone_date", "fields", "glued_labels", "related", "chrome",
               "boilerplate", "headline", "sections", "embeds"}
_TAGGED_ONLY = {"document", "tags", "paragraph"}
_OTHER_KIND_KEYS = {"lines": _TAGGED_ONLY, "tagged": _LINES_ONLY}


@dataclass(frozen=True)
class Rule:
    """A compiled, named pattern."""

    name: str
    regex: re.Pattern[str]


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
    chrome: list[Rule] = field(default_factory=list)
    boilerplate: list[Rule] = field(default_factory=list)
    glued_labels: list[Rule] = field(default_factory=list)
    related: list[Rule] = field(default_factory=list)
    embeds: list[Rule] = field(default_factory=list)
    read_also_marker: re.Pattern[str] | None = None
    bylines: list[re.Pattern[str]] = field(default_factory=list)
    standalone_date_within: int = 0
    headline_max_words: int = 24
    headline_end_punctuation: str = ".!?؟…:؛"

    def score(self, sample: str) -> float:
        """Sum of the weights of the detection rules found on some line of ``sample`` (lines
        each preceded by a newline; rules are compiled with ``re.MULTILINE``, so ``$`` anchors
        at each line end, and a leading ``^`` was turned into a newline: one search covers the
        whole sample)."""
        return sum(weight for regex, weight in self.detect_rules if regex.search(sample))


def _compile(pattern: str, where: str, origin: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise LayoutError(
            f"{origin}: key '{where}': expected a valid regular expression ({exc})"
        ) from None


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
    foreign = _OTHER_KIND_KEYS[spec["kind"]].intersection(spec)
    if foreign:
        key = sorted(foreign)[0]
        raise LayoutError(f"{origin}: key '{key}': not used by kind '{spec['kind']}' layouts "
                          f"(only by kind '{'tagged' if spec['kind'] == 'lines' else 'lines'}')")
    if spec["kind"] == "lines" and "body" in spec.get("fields", {}):
        raise LayoutError(f"{origin}: key 'fields.body': a lines layout's body is every line no "
                          "rule claims; it cannot be a labelled field")
    detect = spec["detect"]
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
        _compile(pattern, f"detect.rules.{i}.pattern", origin)  # errors name the user's pattern
        if pattern.startswith("^"):
            # '^X' searched as '\nX' in '\n' + sample: the same lines match, and the regex
            # engine can skip ahead to each line break instead of trying every position.
            pattern = "\n" + pattern[1:]
        regex = _compile(pattern, f"detect.rules.{i}.pattern", origin, re.MULTILINE)
        layout.detect_rules.append((regex, float(rule.get("weight", 1))))
    for name, fspec in spec.get("fields", {}).items():
        regex = _compile(fspec["pattern"], f"fields.{name}.pattern", origin)
        if "value" not in regex.groupindex:
            raise LayoutError(
                f"{origin}: key 'fields.{name}.pattern': expected a named group (?P<value>...)"
            )
        layout.fields.append((name, regex, bool(fspec.get("repeat", False))))
    for key in ("chrome", "boilerplate", "glued_labels", "related"):
        rules = [
            Rule(r["name"], _compile(r["pattern"], f"{key}.{i}.pattern", origin))
            for i, r in enumerate(spec.get(key, []))
        ]
        setattr(layout, key, rules)
    for key in ("glued_labels", "related"):
        for i, rule in enumerate(getattr(layout, key)):
            if "rest" not in rule.regex.groupindex:
                raise LayoutError(
                    f"{origin}: key '{key}.{i}.pattern': expected a named group (?P<rest>...)"
                )
    layout.embeds = [
        Rule(e["kind"], _compile(e["pattern"], f"embeds.{i}.pattern", origin))
        for i, e in enumerate(spec.get("embeds", []))
    ]
    for i, rule in enumerate(layout.embeds):
        if rule.regex.search("") is not None:
            raise LayoutError(f"{origin}: key 'embeds.{i}.pattern': expected a pattern that "
                              "cannot match empty text (it would match everywhere)")
    read_also = spec.get("sections", {}).get("read_also")
    if read_also:
        layout.read_also_marker = _compile(
            read_also["marker"], "sections.read_also.marker", origin
        )
        layout.bylines = [
            _compile(p, f"sections.read_also.bylines.{i}", origin)
            for i, p in enumerate(read_also.get("bylines", []))
        ]
    layout.standalone_date_within = spec.get("standalone_date", {}).get("within", 0)
    headline = spec.get("headline", {})
    layout.headline_max_words = headline.get("max_words", layout.headline_max_words)
    layout.headline_end_punctuation = headline.get(
        "end_punctuation", layout.headline_end_punctuation
    )
    return layout


def load_layout_file(path: str | Path, *, validate: bool = True) -> Layout:
    """Read one layout YAML file (safe loading only)."""
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError(f"{origin}: cannot read layout file ({exc})") from None
    try:
        data = yaml.safe_load(text)
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
            known = ", ".join(sorted(self._by_name))
            raise LayoutError(f"unknown layout '{name}' (known: {known})") from None

    def detect(self, lines: list[str]) -> Layout:
        """The single best-scoring layout for these (stored-form, non-blank) lines.

        Raises ``DetectError`` when none reaches its ``min_score`` or two tie for best.
        """
        scored = []
        sample = "\n" + "\n".join(lines)  # a line break before every line (see build_layout)
        for layout in self._by_name.values():
            score = layout.score(sample)
            if score >= layout.min_score:
                scored.append((score, layout))
        if not scored:
            raise DetectError("matches no layout (see 'ingest --list-layouts')")
        scored.sort(key=lambda pair: -pair[0])
        if len(scored) > 1 and scored[0][0] == scored[1][0]:
            names = ", ".join(layout.name for s, layout in scored if s == scored[0][0])
            raise DetectError(f"matches several layouts equally ({names}); pick one with --layout")
        return scored[0][1]
