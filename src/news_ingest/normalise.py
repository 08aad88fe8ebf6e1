"""Normalise stage: ``RawArticle`` -> ``Article``.

Pure functions, one concern each: text to stored form (``text``), dates to ISO 8601 without
inventing a part (``dates``), keyword lines to tags (``tags``). Whatever cannot be settled is
said in ``warnings``, never guessed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .dates import DateReader
from .model import Article, RawArticle, RawEmbed, RawItem
from .tags import TagLexicon, split_tags
from .text import clean_line

#: Fields of a layout copied onto the record key of the same name.
_SINGLE_FIELDS = ("site", "photo_credit", "url", "category", "author", "summary", "doc_id")


def article_id(title: str, body: str) -> str:
    """16 hex characters of SHA-256 over the stored title and body."""
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()[:16]


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    return clean_line(value) or None


def _paragraphs(lines: Iterable[str]) -> list[str]:
    # The parser hands over stored-form lines (it cleans every line before matching layout
    # patterns), so only empty ones are left to drop here.
    return [line for line in lines if line]


_QUOTES = {'"': '"', "'": "'", "«": "»", "“": "”", "„": "“"}


def _unquoted(value: str) -> str:
    """A value without the quotes that enclose it whole: '"أ ف ب"' -> 'أ ف ب'."""
    if len(value) > 2 and _QUOTES.get(value[0]) == value[-1] and value[-1] not in value[1:-1]:
        return value[1:-1].strip()
    return value


def _dedupe(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


def normalise_date(
    date_raw: str | None, evidence: list[str], warnings: list[str],
    reader: DateReader | None = None,
    day_first: Callable[[Sequence[str]], str | None] | None = None,
) -> str | None:
    """ISO date of a date line, inferring a missing year only from the article's own text.

    ``('٠٧ نوفمبر', ['… 7 نوفمبر/تشرين الثاني 2024.'])`` -> ``'2024-11-07'`` plus a warning.
    A date that could be read two ways, or whose line names a weekday it does not fall on, is
    not trusted: None, and a warning says why. ``day_first`` names the language of the text
    when its writers put the day first (see `Layout.written_day_first`): then a slash date
    reads day first, and a warning says so.
    """
    reader = reader or DateReader.packaged()
    if date_raw is None:
        warnings.append("date: no date line found")
        return None
    parts = reader.read(date_raw)
    if parts is None:
        warnings.append(f"date: could not read '{date_raw}'")
        return None
    language = day_first(evidence) if parts.ambiguous and day_first is not None else None
    if language is not None:
        warnings.append(f"date: '{date_raw}' read day first, as {language} pages write dates")
        parts = dataclasses.replace(parts, ambiguous=False)
    elif parts.ambiguous:
        warnings.append(f"date: '{date_raw}' could be day/month or month/day; not taken")
        return None
    if parts.year is None and parts.month is not None and parts.day is not None:
        year = reader.infer_year(parts, evidence)
        if year is None:
            warnings.append(f"date: '{date_raw}' states no year and the text gives none")
            return None
        iso = type(parts)(year, parts.month, parts.day).iso()
        if iso is not None:
            warnings.append(f"date: year {year} inferred from the same day and month in the text")
        return iso
    if parts.weekday_disagrees():
        warnings.append(f"date: '{date_raw}' names a weekday that date does not fall on; "
                        "not taken")
        return None
    iso = parts.iso()
    if iso is None:
        warnings.append(f"date: '{date_raw}' is not a complete calendar date")
    return iso


def _item(raw: RawItem, reader: DateReader) -> dict[str, Any]:
    paragraphs = _paragraphs(raw.paragraphs)
    date = None
    if paragraphs:
        date = next((d.iso() for d in reader.find(paragraphs[0])
                     if d.complete and d.iso() and not d.ambiguous), None)
    return {
        "title": clean_line(raw.title),
        "outlet": _text(raw.outlet),
        "date": date,
        "body": "\n\n".join(paragraphs),
    }


def _embed(raw: RawEmbed, reader: DateReader) -> dict[str, Any]:
    date = None
    if raw.date_raw:
        parts = reader.read(raw.date_raw)
        date = parts.iso() if parts else None
    return {
        "kind": raw.kind,
        "text": clean_line(raw.text),
        "url": raw.url,
        "author": _text(raw.author),
        "handle": raw.handle,
        "date": date,
    }


def normalise(
    raw: RawArticle, source_file: str, lexicon: TagLexicon | None = None,
    reader: DateReader | None = None,
    day_first: Callable[[Sequence[str]], str | None] | None = None,
) -> Article:
    """Turn what the parser found into the documented record. ``reader`` reads dates with the
    words of the layout that parsed ``raw`` (the packaged words when None); ``day_first``
    settles the order of a slash date (see `normalise_date`)."""
    reader = reader or DateReader.packaged()
    warnings = [clean_line(note) for note in raw.notes]
    title = clean_line(raw.title or "") or None
    paragraphs = _paragraphs(raw.paragraphs)
    body = "\n\n".join(paragraphs)
    sources = _dedupe(s for s in (_text(_unquoted(clean_line(v)))
                                  for v in raw.fields.get("source", [])) if s)
    date_raw = raw.first("date") or None  # an empty label states nothing
    evidence = [title or "", *paragraphs]
    date = normalise_date(date_raw, evidence, warnings, reader, day_first)
    tags_raw = raw.first("tags") or None
    tags = split_tags(tags_raw, evidence, lexicon) if tags_raw else []
    if not body:
        warnings.append("body: empty")
    where = source_file if raw.position is None else f"{source_file}#{raw.position}"
    article = Article(
        id=article_id(title or "", body),
        source_file=where,
        layout=raw.layout,
        title=title,
        body=body,
        date=date,
        date_raw=date_raw,
        outlet=sources[-1] if sources else None,
        sources=sources,
        tags=tags,
        tags_raw=tags_raw,
        related=_paragraphs(raw.related),
        read_also=[_item(item, reader) for item in raw.read_also],
        embeds=[_embed(e, reader) for e in raw.embeds],
        warnings=warnings,
    )
    for key in _SINGLE_FIELDS:
        setattr(article, key, _text(raw.first(key)))
    return article
