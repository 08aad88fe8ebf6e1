"""Exception types of the library. The library raises these; only the CLI turns them into
messages and exit codes. Every error names what failed and why, in one line, in the library's
words (``Config.max_bytes`` is "the size limit", never a command-line flag), and carries the
facts as attributes (``TooLarge.limit`` and ``.size``, ``UnknownLayout.name`` and ``.known``)
so that a front end can word it its own way."""

from __future__ import annotations


class IngestError(Exception):
    """Base class: something about one input, or the configuration, could not be handled."""

    #: which stage raised it: 'read', 'decode', 'detect', 'parse', 'config', 'write', 'internal'
    #: (a pipeline ``Problem`` may also be of stage 'timeout' or 'strict')
    stage = "ingest"
    #: what kind of problem, for a caller that words some of them its own way ('' for most)
    kind = ""

    def __init__(self, reason: str, *, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class SourceError(IngestError):
    """An input could not be read (missing, unreadable, too large, a loop)."""

    stage = "read"


class DecodeError(IngestError):
    """The bytes of an input are not text in any encoding we accept."""

    stage = "decode"


class DetectError(IngestError):
    """No layout, or more than one equally, matches an input."""

    stage = "detect"


class ParseError(IngestError):
    """The text matched a layout but holds no article (e.g. no title, no body)."""

    stage = "parse"


class LayoutError(IngestError):
    """A layout file is malformed. Raised before any input is read."""

    stage = "config"


class TooLarge(SourceError):
    """An input (or archive member) larger than the size limit, counted as it was read.
    ``size`` is None when reading stopped at the limit (a stream: its size is not known)."""

    kind = "too_large"

    def __init__(self, limit: int, size: int | None = None) -> None:
        self.limit = limit
        self.size = size
        if size is None:
            super().__init__(f"larger than {SIZE_LIMIT} ({limit:,} bytes)")
        else:
            super().__init__(f"larger than {SIZE_LIMIT} ({size:,} > {limit:,} bytes)")


#: How messages name the limits a caller set (``Config.max_bytes``, ``Config.timeout``): a front
#: end that calls them something else (the CLI's ``--max-bytes``) replaces these words in the
#: reasons of problems of kind ``too_large`` and ``timeout``.
SIZE_LIMIT = "the size limit"
TIME_LIMIT = "the time limit"


class NoLayoutMatches(DetectError):
    """No layout matches an input, and there is no fallback layout."""

    kind = "no_layout"

    def __init__(self) -> None:
        super().__init__("matches no layout")


class AmbiguousLayout(DetectError):
    """Several layouts match an input equally well; ``names`` lists them."""

    kind = "ambiguous_layout"

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(f"matches several layouts equally ({', '.join(names)})")


class UnknownLayout(LayoutError):
    """A layout was asked for by a name no layout has; ``known`` lists the names there are."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"unknown layout '{name}' (known: {', '.join(known)})")


class ConfigError(IngestError):
    """The run's configuration cannot work; raised before any input is read."""

    stage = "config"


class ExtraMissing(ConfigError):
    """Something asked for needs an optional extra that is not installed: ``extra`` is its
    name (``pip install 'news-ingest[EXTRA]'``), ``what`` the thing asked for
    (``"engine 'dask'"``, ``"format 'parquet'"``, ``"near-duplicate detection"``)."""

    def __init__(self, extra: str, what: str) -> None:
        self.extra = extra
        self.what = what
        super().__init__(f"{what} needs the {extra} extra: {install_hint(extra)}")


def install_hint(extra: str) -> str:
    """``'dask'`` -> ``"pip install 'news-ingest[dask]'"``."""
    return f"pip install 'news-ingest[{extra}]'"


class UnknownName(ConfigError):
    """A name (of an engine, a format) that is not registered; ``known`` lists those that are."""

    what = "name"

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"unknown {self.what} '{name}' (expected one of {', '.join(known)})")


class UnknownEngine(UnknownName):
    what = "engine"


class UnknownFormat(UnknownName):
    what = "format"
