"""Sources: what the user names (files, folders, ``-`` for stdin, archives) -> inputs to parse.

First stage of the flow. ``iter_sources`` walks the arguments in a deterministic order and
yields ``Source`` items (read lazily, so worker processes do the I/O) or ``SourceProblem`` for
a path that cannot be read, or a folder that holds no input; ``decode`` turns bytes into text,
saying which encoding it used; ``read_path_list`` reads a list of inputs, one a line. One input
and its reading are ``inputs``'s; archives are ``archives``'s.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import gzip
import io
import os
import stat
import sys
import tarfile
import threading
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from .archives import iter_archive
from .errors import DecodeError, SourceError
from .inputs import (
    ALL_TEXT,
    ARCHIVE_SUFFIXES,
    DEFAULT_MAX_BYTES,
    TEXT_SUFFIXES,
    NameFilter,
    Source,
    SourceProblem,
    _os_reason,
    _read_stream,
    _special,
    display_name,
    is_archive,
)

__all__ = ["ALL_TEXT", "ARCHIVE_SUFFIXES", "DEFAULT_MAX_BYTES", "TEXT_SUFFIXES", "CountStopped",
           "NameFilter", "Source", "SourceProblem", "count_inputs", "decode", "display_name",
           "is_archive", "iter_archive", "iter_sources", "read_path_list"]

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
    follow: bool = False, pick: NameFilter = ALL_TEXT, skipped: Counter[str] | None = None,
) -> Iterator[Source | SourceProblem]:
    """Files below ``top`` in sorted order (depth first, iteratively: any depth of folders),
    those ``pick`` wants (``skipped`` counts the others by their ending: ``'.html'``).

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
        below = path[len(top):].lstrip(os.sep)  # what a pattern with a '/' is matched against
        shown = display_name(path)
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                st = os.stat(path)
                if not follow and not _inside(os.path.realpath(path), root):
                    if pick.wanted(below) or pick.archive(name) or stat.S_ISDIR(st.st_mode):
                        yield SourceProblem(shown, "symbolic link out of the input folder: not "
                                            "followed", "link_out")
                    continue
        except OSError as exc:
            if os.path.islink(path):
                yield SourceProblem(shown, _link_problem(exc))
            else:
                yield SourceProblem(shown, f"cannot read: {_os_reason(exc)}")
            continue
        if stat.S_ISDIR(st.st_mode):
            if (problem := enter(path, st)) is not None:
                yield problem
        elif not (pick.wanted(below) or pick.archive(name)):
            if skipped is not None:
                skipped[_ending(name)] += 1
            continue
        elif not stat.S_ISREG(st.st_mode):
            yield SourceProblem(shown, _special(st.st_mode) or "not a regular file")
        elif pick.archive(name) and open_archives:
            yield from iter_archive(path, max_bytes, pick)
        else:
            yield Source(shown, path=path)


def _ending(name: str) -> str:
    """How a skipped file is counted: ``'page.HTML'`` -> ``'*.html'``, ``'README'`` -> ``''``."""
    stem, dot, ext = name.lower().rpartition(".")
    return f"*.{ext}" if dot and stem and " " not in ext and len(ext) <= 10 else ""


def _nothing_found(skipped: Counter[str], what: str) -> str:
    """Why a folder gave no input: ``'no input found: 3 files, none named like an input
    (2 *.html, 1 without an extension)'``."""
    total = sum(skipped.values())
    if not total:
        return f"no input found: the {what} holds no file"
    counts = sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [f"{n} {ending or 'without an extension'}" for ending, n in counts[:4]]
    if len(counts) > 4:
        shown.append("...")
    files = "1 file" if total == 1 else f"{total} files"
    return f"no input found: {files}, none named like an input ({', '.join(shown)})"


def _not_empty(found: Iterator[Source | SourceProblem], shown: str,
               why: Callable[[], str]) -> Iterator[Source | SourceProblem]:
    """``found``, or when it yields nothing, one problem naming ``shown`` with ``why()``."""
    empty = True
    for item in found:
        empty = False
        yield item
    if empty:
        yield SourceProblem(shown, why(), "no_input")


#: The first bytes of a gzip stream.
GZIP_MAGIC = b"\x1f\x8b"


def _read_stdin(max_bytes: int) -> Source | SourceProblem:
    """Standard input, gunzipped when it is a gzip stream (``zcat`` is not needed)."""
    try:
        data = _read_stream(sys.stdin.buffer, max_bytes)
        if data.startswith(GZIP_MAGIC):
            data = _read_stream(gzip.GzipFile(fileobj=io.BytesIO(data)), max_bytes)
    except SourceError as exc:
        return SourceProblem.of("-", exc)
    except (OSError, EOFError, zlib.error) as exc:
        return SourceProblem("-", f"cannot read: {_os_reason(exc)}")
    return Source("-", data=data, plain=True)


def _link_problem(exc: OSError) -> str:
    """Why a symbolic link cannot be followed: a loop, or a target that is not there."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return "broken symbolic link"


def iter_sources(
    inputs: list[str], max_bytes: int = DEFAULT_MAX_BYTES, follow: bool = False,
    names: NameFilter = ALL_TEXT,
) -> Iterator[Source | SourceProblem]:
    """Every input named by ``inputs``, in order: ``-`` is stdin (gunzipped when it is gzip),
    a folder is walked recursively for the files ``names`` wants (``*.txt``, ``*.txt.gz`` and
    archives by default) in sorted order. A file named explicitly is read whatever its name,
    but only if it is a regular file; ``follow``: follow symbolic links out of a folder (they
    are always followed inside it). A folder or archive that holds no input is a problem of
    kind ``no_input``: a mistyped or empty dump is never a run that silently did nothing."""
    for item in inputs:
        if item == "-":
            yield _read_stdin(max_bytes)
            continue
        shown = display_name(item)
        try:
            mode = os.stat(item).st_mode
        except OSError as exc:
            if os.path.islink(item):
                yield SourceProblem(shown, _link_problem(exc))
            elif isinstance(exc, FileNotFoundError):
                yield SourceProblem(shown, "no such file or folder")
            else:
                yield SourceProblem(shown, f"cannot read: {_os_reason(exc)}")
            continue
        if stat.S_ISDIR(mode):
            skipped: Counter[str] = Counter()
            yield from _not_empty(_walk(item, max_bytes, follow=follow, pick=names,
                                        skipped=skipped),
                                  shown, functools.partial(_nothing_found, skipped, "folder"))
        elif not stat.S_ISREG(mode):
            yield SourceProblem(shown, _special(mode) or "not a regular file")
        elif is_archive(item):
            yield from _not_empty(iter_archive(item, max_bytes, names), shown, lambda: (
                "no input found: no member of the archive is named like an input"))
        else:
            yield Source(shown, path=item)


def read_path_list(path: str) -> list[str]:
    """The inputs a list names, one a line (``find``, ``git diff --name-only``), or separated
    by NUL bytes (``find -print0``, ``git diff -z``); ``-`` reads the list from stdin. Blank
    lines are skipped; a name's bytes that are not UTF-8 are kept as the file system's
    (``os.fsdecode``). An ``OSError`` when the list cannot be read."""
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as fh:
            data = fh.read()
    if b"\0" in data:
        lines = data.split(b"\0")
    else:
        lines = [line.rstrip(b"\r") for line in data.split(b"\n")]
    return [os.fsdecode(line) for line in lines if line.strip()]


class CountStopped(Exception):
    """``count_inputs`` was told to stop before it finished."""


def count_inputs(
    inputs: list[str], stop: threading.Event | None = None, follow: bool = False,
    names: NameFilter = ALL_TEXT,
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
            for found in _walk(item, open_archives=False, follow=follow, pick=names):
                check()
                archive = isinstance(found, Source) and found.path and is_archive(found.path)
                total += (_count_archive(found.path, check, names)  # type: ignore[arg-type]
                          if archive else 1)
        elif item != "-" and is_archive(item) and os.path.isfile(item):
            total += _count_archive(item, check, names)
        else:
            total += 1
    return total


def _count_archive(path: str, check: Callable[[], None] = lambda: None,
                   names: NameFilter = ALL_TEXT) -> int:
    def counted(entries: Iterable[bool]) -> int:
        total = 0
        for wanted in entries:
            check()
            total += wanted
        return total

    try:
        if path.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                return counted(not i.is_dir() and (names.wanted(i.filename)
                                                    or is_archive(i.filename))
                               for i in zf.infolist())
        with tarfile.open(path, mode="r:*") as tf:
            return counted(not m.isdir() and (names.wanted(m.name) or is_archive(m.name))
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
