"""Exception types of the library. The library raises these; only the CLI turns them into
messages and exit codes. Every error names what failed and why, in one line."""

from __future__ import annotations


class IngestError(Exception):
    """Base class: something about one input, or the configuration, could not be handled."""

    #: which stage raised it: 'read', 'decode', 'detect', 'parse', 'normalise', 'config', 'write'
    stage = "ingest"

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
