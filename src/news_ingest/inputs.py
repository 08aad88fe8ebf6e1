"""One input: ``Source`` (a file read on demand, or bytes in memory) and ``SourceProblem``,
reading bytes with the size limit counted as they are read, and how inputs are named.

The lowest part of the first stage of the flow: ``archives`` and ``sources`` build on it.
"""

from __future__ import annotations

import fnmatch
import gzip
import io
import os
import posixpath
import stat
import zlib
from dataclasses import dataclass
from typing import Any

from .errors import SourceError, TooLarge

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: File names a folder walk picks up.
TEXT_SUFFIXES = (".txt",)
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


@dataclass
class Source:
    """One input text: a file read on demand, or bytes already in memory (stdin, archives).

    ``name`` names the input in records and messages (valid Unicode: a file name's bytes that
    are not UTF-8 are written ``\xe9``); ``path`` is what the file system calls it. ``digest``:
    the SHA-256 of ``data`` when whoever read it needed one (an incremental run); ``key``: what
    an incremental state calls the input (its normalised path). The result of the input
    carries both back."""

    name: str
    path: str | None = None
    data: bytes | None = None
    plain: bool = False  # ``data`` was read already (and gunzipped): return it as it is
    digest: str | None = None
    key: str | None = None

    def read(self, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
        """The input's bytes, gunzipped when its name ends in ``.gz`` (a file, or a member of
        an archive); more than ``max_bytes`` read is a ``SourceError``. Sizes the file system
        or a header states are never trusted: the bytes are counted as they are read."""
        gzipped = self.name.lower().endswith(".gz") and not self.plain
        try:
            if self.data is not None:
                if gzipped:
                    return _read_stream(gzip.GzipFile(fileobj=io.BytesIO(self.data)), max_bytes)
                if len(self.data) > max_bytes:
                    raise TooLarge(max_bytes, len(self.data))
                return self.data
            assert self.path is not None
            # Unbuffered: a regular file comes in one read of the size fstat gives. Opened
            # without blocking, so a FIFO (met here only if one replaced a file since the walk)
            # does not wait for a writer: fstat then refuses it.
            with open(self.path, "rb", buffering=0, opener=_opener) as fh:
                st = os.fstat(fh.fileno())
                refusal = _special(st.st_mode)
                if refusal:
                    raise SourceError(refusal)
                if gzipped:
                    return _read_stream(gzip.GzipFile(fileobj=fh), max_bytes)
                return _read_file(fh, st.st_size, max_bytes)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"cannot read: {_os_reason(exc)}") from None


@dataclass
class SourceProblem:
    """A named input that yields nothing, with the reason (and its kind, as ``IngestError``
    has one: ``too_large`` for an input past the size limit, ``link_out`` for a link out of
    an input folder not followed, ``no_input`` for a folder or archive holding no file named
    like an input, '' for most). ``key`` as ``Source.key``."""

    name: str
    reason: str
    kind: str = ""
    key: str | None = None

    @classmethod
    def of(cls, name: str, error: SourceError) -> SourceProblem:
        return cls(name, error.reason, error.kind)


#: Bytes asked for at a time when the size is not known (a stream, a decompressor): one read
#: never inflates more than this, whatever a header claims.
READ_CHUNK = 1024 * 1024


def _read_stream(fh: Any, max_bytes: int, total: int = 0) -> bytes:
    """The rest of a stream whose size is not known (stdin, a gzip stream, an archive member),
    read to its end (a decompressor checks its CRC and trailer there) unless it passes
    ``max_bytes``, counting ``total`` bytes read before."""
    parts: list[bytes] = []
    while chunk := fh.read(min(READ_CHUNK, max_bytes + 1 - total)):
        parts.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise TooLarge(max_bytes)
    return b"".join(parts)


def _read_file(fh: Any, size: int, max_bytes: int) -> bytes:
    """A regular file's bytes: the size ``fstat`` gave in one read (one allocation, one system
    call), then whatever more there is, counted (a file that grows, a /proc file that says it
    is empty, a read that came back short)."""
    if size > max_bytes:
        raise TooLarge(max_bytes, size)
    data = fh.read(size + 1)
    if len(data) == size:
        return data  # the end came where fstat said
    if len(data) > max_bytes:
        raise TooLarge(max_bytes, len(data))
    return data + _read_stream(fh, max_bytes, len(data))


def _opener(path: str, flags: int) -> int:
    # Non-blocking: should the file have become a FIFO since it was checked, opening it must
    # not wait for a writer; the fstat after the open refuses it.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
)


def _special(mode: int) -> str | None:
    """Why a file of this mode is not read ('not a regular file (a FIFO) ...'), or None."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a file")
    return (f"not a regular file ({kind}); not read (pipe a stream to stdin, '-', to read "
            "it)")


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def display_name(path: str) -> str:
    """A file name as records and messages show it: bytes that are not UTF-8 (kept in a
    ``str`` as surrogates by ``os.listdir`` and ``tarfile``) written as ``\xe9``.

    ``'caf\udce9.txt'`` -> ``'caf\\xe9.txt'``; a name that is valid Unicode is returned as is.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate no file system decoding made
            return path.encode("utf-8", "backslashreplace").decode("utf-8")
    return path


def is_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


_GZ_TEXT_SUFFIXES = tuple(s + ".gz" for s in TEXT_SUFFIXES)


def _wanted(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(TEXT_SUFFIXES) or lower.endswith(_GZ_TEXT_SUFFIXES)


@dataclass(frozen=True)
class NameFilter:
    """Which files met in a folder or an archive are inputs, by name (files named one by one
    are read whatever their name).

    ``globs`` work as ripgrep's: a pattern chooses files, ``!pattern`` leaves files out; with no
    choosing pattern, files named ``*.txt`` are chosen. A pattern is matched without regard to
    case against the file's name or, when it holds a ``/``, against its path below the folder
    (or inside the archive); ``NAME.gz`` is matched as ``NAME`` (it is read gunzipped).
    Archives are opened unless a ``!`` pattern leaves them out.

    >>> NameFilter(("*.html",)).wanted("site/page.HTML.gz"), NameFilter().wanted("a.html")
    (True, False)
    >>> NameFilter(("*", "!*.*")).wanted("extensionless"), NameFilter(("!draft*",)).wanted("d.txt")
    (True, True)
    """

    globs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        take = tuple(g.lower() for g in self.globs if not g.startswith("!"))
        leave = tuple(g[1:].lower() for g in self.globs if g.startswith("!"))
        object.__setattr__(self, "_take", take)
        object.__setattr__(self, "_leave", leave)

    def _left_out(self, path: str) -> bool:
        return any(_match(path, pattern) for pattern in self._leave)  # type: ignore[attr-defined]

    def wanted(self, path: str) -> bool:
        """Whether a file at ``path`` (below the folder, or inside an archive) is a text input."""
        if not self.globs:
            return _wanted(path)
        lower = path.lower()
        if lower.endswith(".gz"):
            lower = lower[:-3]
        take = self._take  # type: ignore[attr-defined]
        chosen = any(_match(lower, p) for p in take) if take else _wanted(lower)
        return chosen and not self._left_out(lower)

    def archive(self, path: str) -> bool:
        """Whether a file at ``path`` is an archive to open."""
        return is_archive(path) and not (self.globs and self._left_out(path.lower()))


def _match(path: str, pattern: str) -> bool:
    """``path`` (lower case) against one lower-case pattern: its name, or with a ``/`` in the
    pattern, the whole path. A leading ``**/`` matches any folders or none (``**/*.txt`` is
    every ``*.txt``), as in ripgrep and .gitignore.

    >>> _match("a.txt", "**/*.txt"), _match("x/y/a.txt", "**/y/*.txt"), _match("a.txt", "x/*")
    (True, True, False)
    """
    if pattern.startswith("**/"):
        return _match(path, pattern[3:]) or fnmatch.fnmatchcase(path.replace(os.sep, "/"),
                                                                pattern)
    if "/" in pattern:
        return fnmatch.fnmatchcase(path.replace(os.sep, "/"), pattern.lstrip("/"))
    return fnmatch.fnmatchcase(posixpath.basename(path.replace(os.sep, "/")), pattern)


#: The walk's default: ``*.txt`` and ``*.txt.gz``, and archives.
ALL_TEXT = NameFilter()
