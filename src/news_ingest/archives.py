"""Archives read in place: zip and tar (plain, gzip, bzip2, xz) members -> inputs.

Part of the first stage of the flow (``sources.iter_sources`` opens archives met among the
inputs). Every member named like an input is accounted for: read, or named with the reason it
was not; a damaged archive costs only what the damage reaches.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from typing import Any

from .errors import SIZE_LIMIT, SourceError, TooLarge
from .inputs import (
    ALL_TEXT,
    DEFAULT_MAX_BYTES,
    READ_CHUNK,
    NameFilter,
    Source,
    SourceProblem,
    _os_reason,
    _read_stream,
    display_name,
    is_archive,
)

_MEMBER_KINDS = (
    ("issym", "a symbolic link"), ("islnk", "a hard link"), ("ischr", "a character device"),
    ("isblk", "a block device"), ("isfifo", "a FIFO"),
)


def _skipped_member(kind: str) -> str:
    return f"{kind} inside the archive, not a file: skipped"


def iter_archive(path: str, max_bytes: int = DEFAULT_MAX_BYTES,
                 names: NameFilter = ALL_TEXT) -> Iterator[Source | SourceProblem]:
    """Members of a zip or tar archive (compressed or not), in archive order, read in place.

    Members are named ``archive!member``; ``names`` says which are inputs (``*.txt`` by
    default). Every member named like an input is accounted for:
    read, or named with the reason it was not (larger than ``max_bytes`` as counted while
    reading, damaged, encrypted, a link or device, an archive inside the archive). A damaged
    member costs itself; damage that ends the archive early is named, with how far it got.
    The whole archive is read to its end, so a compressed tar's CRC and trailer are checked.
    """
    shown = display_name(path)
    if path.lower().endswith(".zip"):
        yield from _iter_zip(path, shown, max_bytes, names)
    else:
        yield from _iter_tar(path, shown, max_bytes, names)


#: What a damaged archive or member raises, whichever library reads it: OSError, EOFError,
#: zlib.error, lzma.LZMAError, tarfile.TarError, zipfile.BadZipFile, UnicodeDecodeError ...
#: and, on bytes their authors did not foresee, IndexError or KeyError (a zip entry whose name
#: is empty): anything a library raises on hostile bytes costs that member, never the run.
_DAMAGE = (Exception,)


def _damage_kind(exc: BaseException) -> str:
    """The kind of a problem whose reason holds ``_damage(exc)``."""
    return "too_large" if isinstance(exc, _HeaderTooLarge) else ""


def _damage(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "a member name flagged UTF-8 is not UTF-8"
    if isinstance(exc, NotImplementedError):
        return f"{exc} (unsupported compression method)"
    return _os_reason(exc)


#: Compression methods Python's zipfile reads.
_ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                          zipfile.ZIP_LZMA})


def _iter_zip(path: str, shown: str, max_bytes: int,
              names: NameFilter) -> Iterator[Source | SourceProblem]:
    try:
        zf = zipfile.ZipFile(path)
    except _DAMAGE as exc:
        yield SourceProblem(shown, f"damaged or unreadable archive: {_damage(exc)}",
                            _damage_kind(exc))
        return
    with zf:
        for number, info in enumerate(zf.infolist(), 1):
            if not info.filename:
                yield SourceProblem(f"{shown}!<member {number}>",
                                    "damaged archive member: it has no name")
                continue
            if info.is_dir():
                continue
            name = f"{shown}!{display_name(info.filename)}"
            if is_archive(info.filename):
                yield SourceProblem(name, "an archive inside the archive: not opened")
                continue
            if not names.wanted(info.filename):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                yield SourceProblem(name, _skipped_member("a symbolic link"))
                continue
            if info.flag_bits & 0x1:
                yield SourceProblem(name, "encrypted (password required): not read")
                continue
            if info.compress_type not in _ZIP_METHODS:
                yield SourceProblem(name, f"compressed with method {info.compress_type}, "
                                    "which this tool cannot read (stored, deflate, bzip2, lzma)")
                continue
            if info.file_size > max_bytes:  # an honest header saves inflating it
                yield SourceProblem.of(name, TooLarge(max_bytes, info.file_size))
                continue
            try:
                with zf.open(info) as fh:
                    data = _read_stream(fh, max_bytes)
            except SourceError as exc:
                yield SourceProblem.of(name, exc)
            except _DAMAGE as exc:
                yield SourceProblem(name, f"damaged archive member: {_damage(exc)}")
            else:
                yield Source(name, data=data)


class _Bounded:
    """A decompressed tar stream that refuses any single read larger than ``max_bytes``: a PAX
    or GNU long-name header that says it is 1 GiB is refused, not read whole into memory.
    (Member data is read in chunks of at most ``max_bytes + 1``; headers in 512-byte blocks.)"""

    def __init__(self, fh: Any, max_bytes: int) -> None:
        self.fh = fh
        self.max_bytes = max_bytes
        self.limit = max(max_bytes + 1, tarfile.RECORDSIZE)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > self.limit:
            raise _HeaderTooLarge(f"an archive header of {size:,} bytes, larger than "
                                  f"{SIZE_LIMIT} ({self.max_bytes:,} bytes)")
        return self.fh.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.fh.seek(offset, whence)

    def tell(self) -> int:
        return self.fh.tell()


class _HeaderTooLarge(OSError):
    """A tar header larger than the size limit."""


def _tar_header(block: bytes) -> bool:
    """Whether ``block`` is a tar header: its checksum field matches its bytes (unsigned or, as
    some old tars wrote it, signed), with the field itself counted as eight spaces."""
    if len(block) < tarfile.BLOCKSIZE:
        return False
    try:
        stored = int(block[148:156].replace(b"\0", b" ").strip() or b"x", 8)
    except ValueError:
        return False
    rest = block[:148] + b" " * 8 + block[156:512]
    return stored in (sum(rest), sum(b - 256 if b > 127 else b for b in rest))


def _decompressed(raw: Any) -> Any:
    """The tar stream inside ``raw``: the file itself when it starts with a tar header (a
    member may be named 'BZh...'), else by its compression's magic bytes (gzip, bzip2, xz)."""
    block = raw.read(tarfile.BLOCKSIZE)
    raw.seek(0)
    if _tar_header(block):
        return raw
    magic = block[:6]
    if magic.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw)
    if magic.startswith(b"BZh"):
        return bz2.BZ2File(raw)
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw)
    return raw


def _iter_tar(path: str, shown: str, max_bytes: int,
              names: NameFilter) -> Iterator[Source | SourceProblem]:
    count = 0  # members gone by (read, refused or skipped)

    def lost(reason: str, kind: str = "") -> SourceProblem:
        where = f"after {count} members" if count else "before its first member"
        return SourceProblem(shown, f"damaged archive {where}: {reason}", kind)

    try:
        raw = open(path, "rb")
    except OSError as exc:
        yield SourceProblem(shown, f"cannot read: {_os_reason(exc)}")
        return
    with raw:
        try:
            stream = _Bounded(_decompressed(raw), max_bytes)
            tf = tarfile.open(fileobj=stream, mode="r:")  # type: ignore[call-overload]
        except _DAMAGE as exc:
            yield SourceProblem(shown, f"damaged or unreadable archive: {_damage(exc)}",
                                _damage_kind(exc))
            return
        try:
            while (member := tf.next()) is not None:
                tf.members.clear()  # tarfile keeps every header: memory would grow with them
                count += 1
                if member.isdir():
                    continue
                name = f"{shown}!{display_name(member.name)}"
                if is_archive(member.name):
                    yield SourceProblem(name, "an archive inside the archive: not opened")
                    continue
                if not names.wanted(member.name):
                    continue
                kind = next((k for test, k in _MEMBER_KINDS if getattr(member, test)()), None)
                if kind is not None or not member.isfile():
                    yield SourceProblem(name, _skipped_member(kind or "an entry of another kind"))
                    continue
                if member.size > max_bytes:  # the bytes a tar member has are its header's
                    yield SourceProblem.of(name, TooLarge(max_bytes, member.size))
                    continue
                try:
                    fh = tf.extractfile(member)
                    if fh is None:
                        raise tarfile.ExtractError("member cannot be read")
                    data = _read_stream(fh, max_bytes)
                except SourceError as exc:
                    yield SourceProblem.of(name, exc)
                    continue
                except _DAMAGE as exc:
                    yield SourceProblem(name, f"damaged archive member: {_damage(exc)}",
                                        _damage_kind(exc))
                    raise _Stop() from exc  # the stream is broken: the rest is lost
                yield Source(name, data=data)
            reason = _check_end(stream, tf.offset)
            if reason:
                yield lost(reason)
        except _Stop:
            yield lost("a member could not be read (named above); the rest is lost")
        except _DAMAGE as exc:
            yield lost(f"{_damage(exc)}; the rest is lost", _damage_kind(exc))


class _Stop(Exception):
    """A member could not be read: the archive ends there."""


def _check_end(stream: _Bounded, offset: int) -> str | None:
    """Why the archive does not end where tarfile stopped reading it, or None.

    tarfile ends quietly at a header it cannot read (a damaged block, data cut off at a
    member's boundary). A real end is a block of zeros, then only zeros, then the end of the
    compressed stream, whose CRC and trailer the decompressor checks as it reaches them.
    """
    stream.seek(offset)
    zeros = 0
    while chunk := stream.fh.read(READ_CHUNK):
        if chunk.count(0) != len(chunk):
            at = offset + zeros + next(i for i, b in enumerate(chunk) if b)
            return f"unreadable entry at byte {at:,} of the tar stream; the rest is lost"
        zeros += len(chunk)
    if zeros < tarfile.BLOCKSIZE:
        return "no end-of-archive marker (cut off?)"
    return None
