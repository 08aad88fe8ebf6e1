"""The JSON Schema (draft 2020-12) of a record, as printed by ``ingest --schema``.

Derived from the record type (``model.Article``, its nested ``ReadAlso`` and ``Embed``): a key's
type gives its JSON type (``str | None`` -> ``["string", "null"]``, ``list[...]`` -> an array,
a ``TypedDict`` -> an object with exactly its keys), and its ``model.Rule`` the pattern,
minimum length and description. Every record the tool writes validates against it; the tests
check that over all fixtures and over generated inputs.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin, is_typeddict

from .model import Article, Rule, base_type, key_types


def record_schema() -> dict[str, Any]:
    """A fresh copy of the record schema."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/news-ingest/news-ingest/schema/record.json",
        "title": "news-ingest article record",
        **_object(Article, list(key_types(Article))),
    }


def _object(cls: type, required: list[str]) -> dict[str, Any]:
    types = key_types(cls)
    optional = [key for key in types if key not in required]  # (a base TypedDict's come first)
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": {key: json_type(types[key]) for key in [*required, *optional]},
    }


def json_type(hint: Any) -> dict[str, Any]:
    """The JSON Schema of a value of this (annotated) type:
    ``Annotated[str, Rule(min_length=1)]`` -> ``{"type": "string", "minLength": 1}``."""
    rules = [r for r in getattr(hint, "__metadata__", ()) if isinstance(r, Rule)]
    hint = base_type(hint)
    origin = get_origin(hint)
    if is_typeddict(hint):
        return _object(hint, [k for k in key_types(hint) if k in hint.__required_keys__])
    if origin is list:
        return {"type": "array", "items": json_type(get_args(hint)[0])}
    schema: dict[str, Any] = {"type": ["string", "null"] if type(None) in get_args(hint)
                              else "string"}
    for rule in rules:
        if rule.pattern is not None:
            schema["pattern"] = rule.pattern
        if rule.min_length is not None:
            schema["minLength"] = rule.min_length
    for rule in rules:
        if rule.description is not None:
            schema["description"] = rule.description
    return schema
