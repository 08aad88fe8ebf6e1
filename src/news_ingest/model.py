"""Record types that flow between the stages.

``RawArticle`` is what the parser found (strings as found, plus where each line went);
``Article`` is the normalised record with the fixed, documented keys of ``RECORD_KEYS``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class LineUse:
    """Where one input line went: ``role`` names the field (or ``dropped``), ``rule`` the layout
    rule that decided it (for dropped lines: the chrome/boilerplate entry's name)."""

    line: int  # 1-based line number in the source text
    role: str
    rule: str = ""


@dataclass
class RawItem:
    """An appended 'read also' article, as found."""

    title: str
    byline: str | None = None
    outlet: str | None = None
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class RawEmbed:
    """An embedded post (e.g. a pasted tweet), as found."""

    kind: str
    text: str
    url: str | None = None
    author: str | None = None
    handle: str | None = None
    date_raw: str | None = None


@dataclass
class RawArticle:
    """Fields of one article exactly as the parser cut them from the text (not normalised).

    Every string is a piece of a stored-form line (``text.clean_line``): the parser cleans each
    line before it matches layout patterns, and the normaliser relies on that.

    ``fields`` maps a field name (``date``, ``source``, ``tags``, ``site``, ``photo_credit``,
    ``url``, ``category``, ``author``, ``summary``, ``doc_id``) to every value found, in order.
    """

    layout: str
    title: str | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)
    paragraphs: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    read_also: list[RawItem] = field(default_factory=list)
    embeds: list[RawEmbed] = field(default_factory=list)
    lines: list[LineUse] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    position: int | None = None  # 1-based index of the article in a file holding several
    defect: str | None = None  # why this document (of several in a file) gives no record

    def first(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The keys of every record, in output order (also the CSV header). Documented in README.
RECORD_KEYS: tuple[str, ...] = (
    "id",
    "source_file",
    "layout",
    "doc_id",
    "url",
    "title",
    "date",
    "date_raw",
    "outlet",
    "sources",
    "site",
    "author",
    "category",
    "summary",
    "body",
    "tags",
    "tags_raw",
    "related",
    "read_also",
    "embeds",
    "photo_credit",
    "warnings",
)

#: Keys whose value is a list or object (JSON-encoded in a CSV cell).
STRUCTURED_KEYS = frozenset({"sources", "tags", "related", "read_also", "embeds", "warnings"})
#: Keys whose value is a string that may be null.
NULLABLE_KEYS = frozenset(
    {"title", "doc_id", "url", "date", "date_raw", "outlet", "site", "author", "category",
     "summary", "tags_raw", "photo_credit"}
)


@dataclass
class Article:
    """One normalised record. ``to_dict`` gives the keys of ``RECORD_KEYS`` in that order."""

    id: str
    source_file: str
    layout: str
    title: str | None  # None: the page shows no headline (never another line promoted)
    body: str
    doc_id: str | None = None
    url: str | None = None
    date: str | None = None
    date_raw: str | None = None
    outlet: str | None = None
    sources: list[str] = field(default_factory=list)
    site: str | None = None
    author: str | None = None
    category: str | None = None
    summary: str | None = None
    tags: list[str] = field(default_factory=list)
    tags_raw: str | None = None
    related: list[str] = field(default_factory=list)
    read_also: list[dict[str, Any]] = field(default_factory=list)
    embeds: list[dict[str, Any]] = field(default_factory=list)
    photo_credit: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        # Fields hold only strings, lists of strings and lists of flat dicts: a shallow copy of
        # each list is a full copy, and much cheaper than dataclasses.asdict's deep walk.
        return {key: _copy(getattr(self, key)) for key in RECORD_KEYS}


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    return value
