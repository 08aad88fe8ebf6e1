"""Record types that flow between the stages.

``RawArticle`` is what the parser found (strings as found, plus where each line went);
``Article`` is the normalised record: its fields are the one list of a record's keys, in output
order, and their types say which keys are nullable or structured. ``RECORD_KEYS``,
``NULLABLE_KEYS``, ``STRUCTURED_KEYS``, the JSON Schema (``schema.py``) and the Parquet schema
(``export.py``) are derived from it; ``ReadAlso`` and ``Embed`` do the same for nested items.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Annotated, Any, TypedDict, get_args, get_origin, get_type_hints


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


#: What a record id looks like: 16 hex characters of SHA-256.
ID_PATTERN = "^[0-9a-f]{16}$"
#: What a normalised date looks like: ISO 8601, ``YYYY-MM-DD``.
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class Rule:
    """What a key's type alone does not say, in JSON Schema's words (``schema.py`` reads them
    off the annotations: ``Annotated[str, Rule(min_length=1)]``)."""

    pattern: str | None = None
    min_length: int | None = None
    description: str | None = None


Text = Annotated[str, Rule(min_length=1)]
IsoDate = Annotated[str | None, Rule(pattern=DATE_PATTERN)]


class _Linked(TypedDict, total=False):
    id: Annotated[str, Rule(pattern=ID_PATTERN)]  # with --link-read-also, when it is linked


class ReadAlso(_Linked):
    """An appended "read also" article (``record["read_also"][i]``)."""

    title: Text
    outlet: str | None
    date: IsoDate
    body: str


class Embed(TypedDict):
    """An embedded post (``record["embeds"][i]``)."""

    kind: str
    text: str
    url: str | None
    author: str | None
    handle: str | None
    date: IsoDate


@dataclass(kw_only=True)
class Article:
    """One normalised record: the one place its keys are listed. Fields are in output order
    (``RECORD_KEYS``, the CSV header, the JSON Schema and the Parquet schema all derive from
    them); a type that admits None makes a nullable key, a list a structured one.
    ``to_dict`` gives the keys in that order."""

    id: Annotated[str, Rule(pattern=ID_PATTERN, description="SHA-256 (first 16 hex) of the "
                                                           "normalised title and body")]
    source_file: Annotated[str, Rule(min_length=1, description="input path as given; '#N' for "
                                     "the Nth article of a file, '!member' inside an archive")]
    layout: Text
    doc_id: Annotated[str | None, Rule(description="document number stated by the dump")] = None
    url: str | None = None
    # None: the page shows no headline (never another line promoted)
    title: Annotated[str | None, Rule(min_length=1,
                                      description="headline; null when the page shows none")]
    date: Annotated[IsoDate, Rule(description="publication date, ISO 8601; null when not "
                                              "stated")] = None
    date_raw: Annotated[str | None, Rule(description="the date text exactly as found")] = None
    outlet: Annotated[str | None, Rule(description="the outlet credited (the last source "
                                                   "line)")] = None
    sources: list[Text] = field(default_factory=list)
    site: str | None = None
    author: str | None = None
    category: str | None = None
    summary: str | None = None
    body: Annotated[str, Rule(description="paragraphs separated by one blank line")]
    tags: list[Text] = field(default_factory=list)
    tags_raw: str | None = None
    related: list[Text] = field(default_factory=list)
    read_also: list[ReadAlso] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)
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


def key_types(cls: type = Article) -> dict[str, Any]:
    """The annotated type of each key of a record type (``Article``, ``ReadAlso``, ``Embed``),
    in order, ``Annotated`` rules kept: ``key_types()["tags"] == list[Text]``."""
    return get_type_hints(cls, include_extras=True)


def base_type(hint: Any) -> Any:
    """A type without its ``Annotated`` rules: ``IsoDate`` -> ``str | None``."""
    while get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    return hint


def nullable(hint: Any) -> bool:
    """Whether a key of this type may be null: ``str | None`` -> True."""
    return type(None) in get_args(base_type(hint))


#: The keys of every record, in output order (also the CSV header). Documented in README.
RECORD_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Article))
_TYPES = key_types()
#: Keys whose value is a list or object (JSON-encoded in a CSV cell).
STRUCTURED_KEYS = frozenset(k for k, t in _TYPES.items() if get_origin(base_type(t)) is list)
#: Keys whose value is a string that may be null.
NULLABLE_KEYS = frozenset(k for k, t in _TYPES.items() if nullable(t))
