"""Sources: what the user names (files, folders, ``-`` for stdin, archives) -> inputs to parse.

First stage of the flow. ``iter_sources`` walks the arguments in a deterministic order and
yields ``Source`` items (read lazily, so worker processes do the I/O) or ``SourceProblem`` for
a path that cannot be read; ``decode`` turns bytes into text, saying which encoding it used.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import stat
import sys
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .errors import DecodeError, SourceError

#: Largest input (file or archive member) read by default: 64 MiB.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: File names a folder walk picks up.
TEXT_SUFFIXES = (".txt",)
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


@dataclass
class Source:
    """One input text: a file read on demand, or bytes already in memory (stdin, archives)."""

    name: str
    path: str | None = None
    data: bytes | None = None
    plain: bool = False  # ``data`` was read already (and gunzipped): return it as it is

    def read(self, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
        """The input's bytes, gunzipped when its name ends in ``.gz`` (a file, or a member of
        an archive); more than ``max_bytes`` is a ``SourceError``."""
        gzipped = self.name.lower().endswith(".gz") and not self.plain
        try:
            if self.data is not None:
                if gzipped:
                    return _read_limited(gzip.GzipFile(fileobj=io.BytesIO(self.data)), max_bytes)
                if len(self.data) > max_bytes:
                    raise SourceError(_too_large(len(self.data), max_bytes))
                return self.data
            assert self.path is not None
            with open(self.path, "rb") as fh:
                if gzipped:
                    return _read_limited(gzip.GzipFile(fileobj=fh), max_bytes)
                size = os.fstat(fh.fileno()).st_size
                if size > max_bytes:
                    raise SourceError(_too_large(size, max_bytes))
                # A plain read: read(max_bytes + 1) would allocate the whole limit every time.
                data = fh.read()
                if len(data) > max_bytes:  # grew while we read it
                    raise SourceError(_too_large(len(data), max_bytes))
                return data
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise SourceError(f"cannot read: {_os_reason(exc)}") from None


@dataclass
class SourceProblem:
    """A named input that yields nothing, with the reason."""

    name: str
    reason: str


def _too_large(size: int, limit: int) -> str:
    return f"larger than --max-bytes ({size:,} > {limit:,} bytes)"


def _read_limited(fh, max_bytes: int) -> bytes:  # type: ignore[no-untyped-def]
    """At most ``max_bytes`` of a stream whose size is not known (a gzip stream)."""
    data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SourceError(f"larger than --max-bytes ({max_bytes:,} bytes)")
    return data


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def is_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def _wanted(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(TEXT_SUFFIXES) or lower.endswith(tuple(s + ".gz" for s in TEXT_SUFFIXES))


def _walk(
    top: str, max_bytes: int = DEFAULT_MAX_BYTES, open_archives: bool = True
) -> Iterator[Source | SourceProblem]:
    """Files below ``top`` in sorted order, following links but never around a loop.

    A link back to a folder above it (a loop) is a problem named by the link's path. A folder
    reached a second time by another way (a link beside it, not above it) is not read again:
    its files were already read under the first name.
    """
    seen: set[tuple[int, int]] = set()

    def visit(folder: str, above: frozenset[tuple[int, int]]) -> Iterator[Source | SourceProblem]:
        try:
            st = os.stat(folder)
        except OSError as exc:
            yield SourceProblem(folder, f"cannot read folder: {_os_reason(exc)}")
            return
        key = (st.st_dev, st.st_ino)
        if key in above:
            yield SourceProblem(folder, "symbolic link loop: folder already visited")
            return
        if key in seen:
            return
        seen.add(key)
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            yield SourceProblem(folder, f"cannot list folder: {_os_reason(exc)}")
            return
        for name in names:
            path = os.path.join(folder, name)
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                if os.path.islink(path):
                    yield SourceProblem(path, "broken symbolic link")
                else:
                    yield SourceProblem(path, f"cannot read: {_os_reason(exc)}")
                continue
            if stat.S_ISDIR(mode):
                yield from visit(path, above | {key})
            elif stat.S_ISREG(mode):
                if is_archive(name) and open_archives:
                    yield from iter_archive(path, max_bytes)
                elif is_archive(name):
                    yield Source(path, path=path)
                elif _wanted(name):
                    yield Source(path, path=path)

    yield from visit(top, frozenset())


def iter_archive(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Source | SourceProblem]:
    """Members of a zip or tar archive (compressed or not), in archive order, read in place.

    Members are named ``archive!member``; a member larger than ``max_bytes`` is a problem.
    """
    try:
        if path.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if info.is_dir() or not _wanted(info.filename):
                        continue
                    name = f"{path}!{info.filename}"
                    if info.file_size > max_bytes:
                        yield SourceProblem(name, _too_large(info.file_size, max_bytes))
                        continue
                    yield Source(name, data=zf.read(info))
            return
        with tarfile.open(path, mode="r:*") as tf:
            for member in tf:
                if not member.isfile() or not _wanted(member.name):
                    continue
                name = f"{path}!{member.name}"
                if member.size > max_bytes:
                    yield SourceProblem(name, _too_large(member.size, max_bytes))
                    continue
                fh = tf.extractfile(member)
                if fh is None:
                    yield SourceProblem(name, "archive member cannot be read")
                    continue
                yield Source(name, data=fh.read())
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile) as exc:
        yield SourceProblem(path, f"damaged or unreadable archive: {_os_reason(exc)}")


def iter_sources(
    inputs: list[str], max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Source | SourceProblem]:
    """Every input named by ``inputs``, in order: ``-`` is stdin, a folder is walked
    recursively for ``*.txt`` (and ``*.txt.gz``, archives) in sorted order."""
    for item in inputs:
        if item == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
            if len(data) > max_bytes:
                yield SourceProblem("-", f"larger than --max-bytes ({max_bytes:,} bytes)")
            else:
                yield Source("-", data=data)
        elif os.path.isdir(item):
            yield from _walk(item, max_bytes)
        elif is_archive(item) and os.path.isfile(item):
            yield from iter_archive(item, max_bytes)
        elif os.path.lexists(item):
            if os.path.exists(item):
                yield Source(item, path=item)
            else:
                yield SourceProblem(item, "broken symbolic link")
        else:
            yield SourceProblem(item, "no such file or folder")


class CountStopped(Exception):
    """``count_inputs`` was told to stop before it finished."""


def count_inputs(inputs: list[str], stop: threading.Event | None = None) -> int:
    """How many items ``iter_sources`` will yield, for a progress bar: folders are walked by
    name (nothing is read) and archives are listed (a compressed tar is decompressed once).

    ``stop``: when it is set, counting gives up (``CountStopped``) at the next file or
    archive member, so a count running beside the run ends with it."""
    def check() -> None:
        if stop is not None and stop.is_set():
            raise CountStopped()

    total = 0
    for item in inputs:
        check()
        if os.path.isdir(item):
            for found in _walk(item, open_archives=False):
                check()
                total += _count_archive(found.name, check) if is_archive(found.name) else 1
        elif item != "-" and is_archive(item) and os.path.isfile(item):
            total += _count_archive(item, check)
        else:
            total += 1
    return total


def _count_archive(path: str, check: Callable[[], None] = lambda: None) -> int:
    def counted(entries: Iterable[bool]) -> int:
        total = 0
        for wanted in entries:
            check()
            total += wanted
        return total

    try:
        if path.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                return counted(not i.is_dir() and _wanted(i.filename) for i in zf.infolist())
        with tarfile.open(path, mode="r:*") as tf:
            return counted(m.isfile() and _wanted(m.name) for m in tf)
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile):
        return 1  # iter_archive will report it as one problem


# --- decoding ---------------------------------------------------------------------------------

#: The legacy Arabic encoding tried when bytes are not UTF-8.
FALLBACK_ENCODING = "cp1256"
_CUT_OFF = "encoding: text cut off inside its last character; the partial character dropped"


def decode(data: bytes, encoding: str | None = None) -> tuple[str, list[str]]:
    """Text of an input and the warnings decoding raised.

    UTF-8 (with or without BOM) and UTF-16 with BOM are read as such; other bytes that are not
    UTF-8 are read as Windows-1256 with a warning. A UTF-8 or UTF-16 text cut inside its last
    character is kept up to that character, with a warning. ``encoding`` forces one.
    """
    if encoding:
        try:
            return data.decode(encoding), []
        except (UnicodeDecodeError, LookupError) as exc:
            raise DecodeError(f"cannot decode as {encoding}: {exc}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as exc:
            if exc.start >= len(data) - 3 and exc.reason in ("truncated data",
                                                             "unexpected end of data"):
                return data[: exc.start].decode("utf-16"), [_CUT_OFF]
            text = data.decode("utf-16", errors="replace")
            return text, ["encoding: damaged UTF-16, bad bytes replaced with U+FFFD"]
    if b"\x00" in data:
        raise DecodeError("binary file (NUL bytes), not text")
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        # Cut inside its last character, when what comes before shows it is UTF-8 (ASCII
        # followed by one high byte is as likely Windows-1256: read it so, with a warning).
        if (exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
                and not data[: exc.start].isascii()):
            return data[: exc.start].decode("utf-8"), [_CUT_OFF]
    try:
        return data.decode(FALLBACK_ENCODING), [
            f"encoding: not UTF-8; read as {FALLBACK_ENCODING} (Windows Arabic)"
        ]
    except UnicodeDecodeError as exc:
        raise DecodeError(f"not UTF-8 nor {FALLBACK_ENCODING}: {exc.reason}") from None
