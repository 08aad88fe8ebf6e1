"""The JSON Schema of a layout file (``LAYOUT_SCHEMA``) and its validator: what a user's layout
may say, checked before any of it is compiled (``layouts.build_layout``)."""

from __future__ import annotations

import functools
from typing import Any

from ..dates import NUMERIC_ORDERS

#: Stop-word lists a layout may use to tell running text from page furniture (data/stoplists/:
#: jusText's lists, BSD licence).
STOPLISTS = ("arabic", "english", "french")

#: Field names a layout may fill; the normaliser maps them onto record keys.
FIELD_NAMES = (
    "date", "source", "tags", "site", "photo_credit", "url", "category", "author", "summary",
    "doc_id", "title", "body",
)

_PATTERN = {"type": "string", "minLength": 1}
_WORDS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_WORD_NUMBERS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
#: One tag name, or several separated by '|' ('TITLE|HEADLINE').
_TAG_NAMES = "^[A-Za-z][A-Za-z0-9_-]*(?:[|][A-Za-z][A-Za-z0-9_-]*)*$"
# `needs`: substrings one of which a line must hold for the pattern to be tried (a pattern that
# searches along the whole line costs every line; a substring test costs almost nothing).
_NEEDS = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
_NAMED_PATTERN = {
    "type": "object",
    "required": ["name", "pattern"],
    "additionalProperties": False,
    "properties": {"name": {"type": "string", "minLength": 1}, "pattern": _PATTERN,
                   "needs": _NEEDS},
}

#: JSON Schema (draft 2020-12) of a layout file. Documented in docs/layouts.md.
LAYOUT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "news-ingest layout",
    "type": "object",
    "required": ["name", "kind"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"},
        "description": {"type": "string"},
        "kind": {"enum": ["lines", "tagged"]},
        "fallback": {"type": "boolean"},
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
        "title": {"enum": ["first_line", "headline"]},
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
                "properties": {"pattern": _PATTERN, "repeat": {"type": "boolean"},
                               "next_line": {"type": "boolean"}, "needs": _NEEDS},
            },
        },
        "glued_labels": {"type": "array", "items": _NAMED_PATTERN},
        "related": {"type": "array", "items": _NAMED_PATTERN},
        "chrome": {"type": "array", "items": {
            **_NAMED_PATTERN,
            "properties": {**_NAMED_PATTERN["properties"], "next_line": {"type": "boolean"}}}},
        "boilerplate": {"type": "array", "items": _NAMED_PATTERN},
        "headline": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "max_words": {"type": "integer", "minimum": 1},
                "min_words": {"type": "integer", "minimum": 1},
                "end_punctuation": {"type": "string"},
                "above_date": {"type": "boolean"},
            },
        },
        "end_markers": {"type": "array", "items": _NAMED_PATTERN},
        "bylines": {"type": "array", "items": _PATTERN},
        "dateline_outlets": {"type": "array", "items": _PATTERN},
        "outlets": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"packaged": {"type": "boolean"}, "names": _WORDS},
        },
        "header": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "credit_max_words": {"type": "integer", "minimum": 0},
                "summary_min_words": {"type": "integer", "minimum": 0},
            },
        },
        "paragraphs": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "min_words": {"type": "integer", "minimum": 1},
                "min_chars": {"type": "integer", "minimum": 0},
                "long_chars": {"type": "integer", "minimum": 1},
                "stopwords": {"type": "array", "items": {"enum": list(STOPLISTS)}},
                "min_stopword_density": {"type": "number", "minimum": 0, "maximum": 1},
                "drop_trailing": {"type": "boolean"},
                "short_run": {"type": "integer", "minimum": 0},
            },
        },
        "dates": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "labels": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "update_labels": {"type": "array", "items": {"type": "string", "minLength": 1}},
                "numeric_order": {"enum": list(NUMERIC_ORDERS)},
                "lead_dateline": {"type": "boolean"},
                "day_first_in": {"type": "array", "items": {"enum": list(STOPLISTS)}},
                "months": _WORD_NUMBERS,
                "abbreviations": _WORD_NUMBERS,
                "weekdays": _WORD_NUMBERS,
                **{key: _WORDS for key in (
                    "ignorable", "zones", "zone_words", "hijri_months", "ordinals",
                    "everyday_words", "today", "connectors", "month_words", "year_words",
                    "year_suffixes")},
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
    # A tagged layout names its document element and its tags; a layout is detected by its
    # rules unless it is the fallback (used when no other layout is detected).
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "tagged"}}},
            "then": {"required": ["document", "tags"]},
        },
        {
            "if": {"not": {"required": ["fallback"], "properties": {"fallback": {"const": True}}}},
            "then": {"required": ["detect"]},
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
