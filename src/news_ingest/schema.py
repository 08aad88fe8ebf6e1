"""The JSON Schema (draft 2020-12) of a record, as printed by ``ingest --schema``.

Every record the tool writes validates against it; the tests check that over all fixtures and
over generated inputs. Keep it in step with ``model.RECORD_KEYS`` (a test checks that too).
"""

from __future__ import annotations

from typing import Any

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_DATE = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_STRLIST = {"type": "array", "items": {"type": "string", "minLength": 1}}


def record_schema() -> dict[str, Any]:
    """A fresh copy of the record schema."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/news-ingest/news-ingest/schema/record.json",
        "title": "news-ingest article record",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id", "source_file", "layout", "doc_id", "url", "title", "date", "date_raw", "outlet",
            "sources", "site", "author", "category", "summary", "body", "tags", "tags_raw",
            "related", "read_also", "embeds", "photo_credit", "warnings",
        ],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9a-f]{16}$",
                   "description": "SHA-256 (first 16 hex) of the normalised title and body"},
            "source_file": {"type": "string", "minLength": 1,
                            "description": "input path as given; '#N' for the Nth article of a "
                                           "file, '!member' inside an archive"},
            "layout": {"type": "string", "minLength": 1},
            "doc_id": {**_NSTR, "description": "document number stated by the dump"},
            "url": _NSTR,
            "title": {"type": ["string", "null"], "minLength": 1,
                      "description": "headline; null when the page shows none"},
            "date": {**_DATE, "description": "publication date, ISO 8601; null when not stated"},
            "date_raw": {**_NSTR, "description": "the date text exactly as found"},
            "outlet": {**_NSTR, "description": "the outlet credited (the last source line)"},
            "sources": _STRLIST,
            "site": _NSTR,
            "author": _NSTR,
            "category": _NSTR,
            "summary": _NSTR,
            "body": {**_STR, "description": "paragraphs separated by one blank line"},
            "tags": _STRLIST,
            "tags_raw": _NSTR,
            "related": _STRLIST,
            "read_also": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["title", "outlet", "date", "body"],
                    "properties": {"title": {"type": "string", "minLength": 1},
                                   "outlet": _NSTR, "date": _DATE, "body": _STR,
                                   "id": {"type": "string", "pattern": "^[0-9a-f]{16}$"}},
                },
            },
            "embeds": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "text", "url", "author", "handle", "date"],
                    "properties": {"kind": _STR, "text": _STR, "url": _NSTR, "author": _NSTR,
                                   "handle": _NSTR, "date": _DATE},
                },
            },
            "photo_credit": _NSTR,
            "warnings": {"type": "array", "items": _STR},
        },
    }
