"""Sources: what the user names (files, folders, ``-`` for stdin, archives) -> inputs to parse.

First stage of the flow. ``iter_sources`` walks the arguments in a deterministic order and
yields ``Source`` items (read lazily, so worker processes do the I/O) or ``SourceProblem`` for
a path that cannot be read; ``decode`` turns bytes into text, saying which encoding it used.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import functools
import gzip
import io
import lzma
import os
import stat
import sys
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import SIZE_LIMIT, DecodeError, SourceError, TooLarge

#: Largest input (file or archive member) read by default: 64 MiB.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: File names a folder walk picks up.
TEXT_SUFFIXES = (".txt",)
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


@dataclass
class Source:
    """One input text: a file read on demand, or bytes already in memory (stdin, archives).

    ``name`` names the input in records and messages (valid Unicode: a file name's bytes that
    are not UTF-8 are written ``\xe9``); ``path`` is what the file system calls it. ``digest``:
    the SHA-256 of ``data`` when whoever read it needed one (an incremental run); the result
    of the input carries it back."""

    name: str
    path: str | None = None
    data: bytes | None = None
    plain: bool = False  # ``data`` was read already (and gunzipped): return it as it is
    digest: str | None = None

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
    an input folder not followed, '' for most)."""

    name: str
    reason: str
    kind: str = ""

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


def _wanted(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(TEXT_SUFFIXES) or lower.endswith(tuple(s + ".gz" for s in TEXT_SUFFIXES))


# --- folders ----------------------------------------------------------------------------------

#: File systems a walk never enters: they are the kernel's, not files (a link to '/' under
#: --follow must not walk /proc).
PSEUDO_FILE_SYSTEMS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs",
    "tracefs", "pstore", "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs", "binfmt_misc",
    "efivarfs", "selinuxfs", "autofs", "rpc_pipefs", "nsfs",
})


@functools.lru_cache(maxsize=1)
def _pseudo_devices() -> dict[int, str]:
    """Device number -> type of every mounted pseudo file system (Linux; empty elsewhere)."""
    found: dict[int, str] = {}
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as fh:
            mounts = [line.split() for line in fh]
    except OSError:
        return found
    for fields in mounts:
        if len(fields) >= 3 and fields[2] in PSEUDO_FILE_SYSTEMS:
            point = fields[1].replace("\\040", " ")
            with contextlib.suppress(OSError):
                found.setdefault(os.stat(point).st_dev, fields[2])
    return found


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _walk(
    top: str, max_bytes: int = DEFAULT_MAX_BYTES, open_archives: bool = True,
    follow: bool = False,
) -> Iterator[Source | SourceProblem]:
    """Files below ``top`` in sorted order (depth first, iteratively: any depth of folders).

    Symbolic links are followed while they stay inside ``top``; one that leads out of it is
    named and not followed unless ``follow`` (``-L``). A link back to a folder above it (a loop)
    is a problem named by the link's path; a folder reached a second time by another way (a
    link beside it) is not read again. Files that are not regular (FIFOs, devices, sockets)
    and are named like inputs are named as skipped; pseudo file systems (/proc, /sys, /dev) are
    never entered.
    """
    root = os.path.realpath(top)
    pseudo = _pseudo_devices()
    seen: set[tuple[int, int]] = set()
    above: set[tuple[int, int]] = set()  # folders on the path from top to the current one
    # (folder, its key, the names left to visit): the explicit stack of a depth-first walk
    stack: list[tuple[str, tuple[int, int] | None, Iterator[str]]] = []

    def enter(folder: str, st: os.stat_result) -> SourceProblem | None:
        key = (st.st_dev, st.st_ino)
        if key in above:
            return SourceProblem(display_name(folder), "symbolic link loop: folder already visited")
        if key in seen:
            return None
        if st.st_dev in pseudo:
            return SourceProblem(display_name(folder), f"a {pseudo[st.st_dev]} file system "
                                 "(kernel files, not documents): not walked")
        seen.add(key)
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            return SourceProblem(display_name(folder), f"cannot list folder: {_os_reason(exc)}")
        above.add(key)
        stack.append((folder, key, iter(names)))
        return None

    try:
        st = os.stat(top)
    except OSError as exc:
        yield SourceProblem(display_name(top), f"cannot read folder: {_os_reason(exc)}")
        return
    if (problem := enter(top, st)) is not None:
        yield problem
    while stack:
        folder, key, names = stack[-1]
        name = next(names, None)
        if name is None:
            stack.pop()
            if key is not None:
                above.discard(key)
            continue
        path = os.path.join(folder, name)
        shown = display_name(path)
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                st = os.stat(path)
                if not follow and not _inside(os.path.realpath(path), root):
                    if _wanted(name) or is_archive(name) or stat.S_ISDIR(st.st_mode):
                        yield SourceProblem(shown, "symbolic link out of the input folder: not "
                                            "followed", "link_out")
                    continue
        except OSError as exc:
            if os.path.islink(path):
                yield SourceProblem(shown, "broken symbolic link")
            else:
                yield SourceProblem(shown, f"cannot read: {_os_reason(exc)}")
            continue
        if stat.S_ISDIR(st.st_mode):
            if (problem := enter(path, st)) is not None:
                yield problem
        elif not (_wanted(name) or is_archive(name)):
            continue
        elif not stat.S_ISREG(st.st_mode):
            yield SourceProblem(shown, _special(st.st_mode) or "not a regular file")
        elif is_archive(name) and open_archives:
            yield from iter_archive(path, max_bytes)
        else:
            yield Source(shown, path=path)


# --- archives ---------------------------------------------------------------------------------

_MEMBER_KINDS = (
    ("issym", "a symbolic link"), ("islnk", "a hard link"), ("ischr", "a character device"),
    ("isblk", "a block device"), ("isfifo", "a FIFO"),
)


def _skipped_member(kind: str) -> str:
    return f"{kind} inside the archive, not a file: skipped"


def iter_archive(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Source | SourceProblem]:
    """Members of a zip or tar archive (compressed or not), in archive order, read in place.

    Members are named ``archive!member``. Every member named like an input is accounted for:
    read, or named with the reason it was not (larger than ``max_bytes`` as counted while
    reading, damaged, encrypted, a link or device, an archive inside the archive). A damaged
    member costs itself; damage that ends the archive early is named, with how far it got.
    The whole archive is read to its end, so a compressed tar's CRC and trailer are checked.
    """
    shown = display_name(path)
    if path.lower().endswith(".zip"):
        yield from _iter_zip(path, shown, max_bytes)
    else:
        yield from _iter_tar(path, shown, max_bytes)


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


def _iter_zip(path: str, shown: str, max_bytes: int) -> Iterator[Source | SourceProblem]:
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
            if not _wanted(info.filename):
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


def _iter_tar(path: str, shown: str, max_bytes: int) -> Iterator[Source | SourceProblem]:
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
                if not _wanted(member.name):
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


def iter_sources(
    inputs: list[str], max_bytes: int = DEFAULT_MAX_BYTES, follow: bool = False
) -> Iterator[Source | SourceProblem]:
    """Every input named by ``inputs``, in order: ``-`` is stdin, a folder is walked
    recursively for ``*.txt`` (and ``*.txt.gz``, archives) in sorted order. A file named
    explicitly is read whatever its name, but only if it is a regular file; ``follow``:
    follow symbolic links out of a folder (they are always followed inside it)."""
    for item in inputs:
        if item == "-":
            try:
                data = _read_stream(sys.stdin.buffer, max_bytes)
            except SourceError as exc:
                yield SourceProblem.of("-", exc)
            except OSError as exc:
                yield SourceProblem("-", f"cannot read: {_os_reason(exc)}")
            else:
                yield Source("-", data=data)
            continue
        shown = display_name(item)
        try:
            mode = os.stat(item).st_mode
        except OSError as exc:
            if os.path.islink(item):
                yield SourceProblem(shown, "broken symbolic link")
            elif isinstance(exc, FileNotFoundError):
                yield SourceProblem(shown, "no such file or folder")
            else:
                yield SourceProblem(shown, f"cannot read: {_os_reason(exc)}")
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(item, max_bytes, follow=follow)
        elif not stat.S_ISREG(mode):
            yield SourceProblem(shown, _special(mode) or "not a regular file")
        elif is_archive(item):
            yield from iter_archive(item, max_bytes)
        else:
            yield Source(shown, path=item)


class CountStopped(Exception):
    """``count_inputs`` was told to stop before it finished."""


def count_inputs(
    inputs: list[str], stop: threading.Event | None = None, follow: bool = False
) -> int:
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
        if item != "-" and os.path.isdir(item):
            for found in _walk(item, open_archives=False, follow=follow):
                check()
                archive = isinstance(found, Source) and found.path and is_archive(found.path)
                total += _count_archive(found.path, check) if archive else 1  # type: ignore[arg-type]
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
                return counted(not i.is_dir() and (_wanted(i.filename) or is_archive(i.filename))
                               for i in zf.infolist())
        with tarfile.open(path, mode="r:*") as tf:
            return counted(not m.isdir() and (_wanted(m.name) or is_archive(m.name))
                           for m in tf)
    except Exception:  # a damaged archive: iter_archive names it; a count is only a nicety
        return 1


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
