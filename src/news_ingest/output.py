"""Output files written atomically: a temporary file beside the target, flushed to disk and
renamed over it only when the writing completes; the temporary files of killed runs removed.

Shared by every writer of the tool: the run's ``--out``, ``--errors`` and ``--stats`` (the
runner) and each part file an executor writes to a local folder (``executors.parts``). Text
(UTF-8, optionally gzipped) or bytes (a binary format such as Parquet).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, no clean-up of stale temporary files
    fcntl = None  # type: ignore[assignment]

#: Compression level of ``--out *.gz``.
GZIP_LEVEL = 6


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _part_pattern(name: str) -> re.Pattern[str]:
    """Names of this tool's temporary files beside ``name``: ``.articles.jsonl.k3v9x_2a.part``
    (``tempfile.mkstemp``'s 8 random characters)."""
    return re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.part")


def remove_stale_temp_files(folder: str, name: str) -> list[str]:
    """Remove temporary files a killed run left beside ``folder/name``; return their paths.

    A run holds an exclusive ``flock`` on its temporary file while it writes: a file that
    can be locked has no writer left. Files of a run still writing (locked) stay. Without
    ``fcntl`` (Windows) nothing is removed."""
    if fcntl is None:
        return []
    pattern = _part_pattern(name)
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for entry in names:
        if not pattern.fullmatch(entry):
            continue
        path = os.path.join(folder, entry)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # locked: a run is writing it
            continue
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)
                removed.append(path)
        finally:
            os.close(fd)
    return removed


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (best effort: not every system can open a folder)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _replace(tmp: str, target: str) -> None:
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, target)
    _fsync_folder(os.path.dirname(target))


class Renames:
    """Finished temporary files waiting to replace their targets together, once the whole run
    has succeeded: an output is never replaced by a run that then fails writing another (its
    errors file on a full disk) or is interrupted. ``commit`` renames them all; ``discard``
    (also on leaving the ``with`` block) removes those not renamed."""

    def __init__(self) -> None:
        self._pending: list[tuple[str, str, int]] = []

    def add(self, tmp: str, target: str, held: int) -> None:
        self._pending.append((tmp, target, held))

    def commit(self) -> None:
        while self._pending:
            tmp, target, held = self._pending[0]
            _replace(tmp, target)
            self._pending.pop(0)
            os.close(held)

    def discard(self) -> None:
        for tmp, _, held in self._pending:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            with contextlib.suppress(OSError):
                os.close(held)
        self._pending.clear()

    def __enter__(self) -> Renames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


@contextlib.contextmanager
def open_output(
    path: str | None, *, binary: bool = False, keep_existing: Callable[[], bool] | None = None,
    discard: Callable[[], bool] | None = None, renames: Renames | None = None,
) -> Iterator[Any]:
    """A stream for the output: stdout for ``None``/``-``, else a temporary file beside
    ``path`` that replaces it only when the block completes. UTF-8 text (gzipped when the path
    ends in ``.gz``), or with ``binary`` the bytes as written.

    The temporary file is flushed to disk (fsync) before the rename, and the folder after it.
    A symbolic link is written through: its target is replaced and the link stays. An existing
    file that is not a regular file (``/dev/null``, a FIFO), or any path under ``/dev/`` or
    ``/proc/`` (``/dev/stderr``), is written in place, appended to. Temporary files
    that killed runs left beside the target are removed first (``remove_stale_temp_files``).
    ``keep_existing``: asked when the block completes, if the target exists; when it says True
    the target is left as it was and what was written is discarded (a run that read nothing).
    ``discard``: asked when the block completes, whether the target exists or not; when it says
    True what was written is discarded and no file is created or replaced (nothing to write).
    ``renames``: the finished file waits there for ``Renames.commit`` instead of replacing the
    target at once.
    """
    if path is None or path == "-":
        if binary:
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
            return
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="",
                                  line_buffering=False, write_through=False)
        try:
            yield stream
            stream.flush()
        finally:
            stream.detach()
        return
    gzipped = path.lower().endswith(".gz") and not binary
    if path.startswith(("/dev/", "/proc/")):
        # A stream or device by name (/dev/stderr, /dev/fd/3, /dev/null): written in place and
        # appended to, never replaced (the file a shell redirected it to is not ours).
        with open(path, "ab") as raw:
            with _stream(raw, binary, gzipped) as stream:
                yield stream
        return
    target = os.path.realpath(path)
    try:
        mode = os.stat(target).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        with open(target, "wb") as raw:  # a device or a FIFO: there is nothing to replace
            with _stream(raw, binary, gzipped) as stream:
                yield stream
        return
    folder, name = os.path.split(target)
    remove_stale_temp_files(folder, name)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # tells remove_stale_temp_files this file is alive
        with os.fdopen(fd, "wb") as raw:
            with _stream(raw, binary, gzipped) as stream:
                yield stream
            raw.flush()
            os.fsync(raw.fileno())
            # A second descriptor keeps the lock while the rename waits for the others.
            held = os.dup(raw.fileno()) if renames is not None else None
        if (discard is not None and discard()) or (
                keep_existing is not None and os.path.exists(target) and keep_existing()):
            if held is not None:
                os.close(held)
            os.unlink(tmp)
            return
        if renames is not None and held is not None:
            renames.add(tmp, target, held)
            return
        _replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _stream(raw: IO[bytes], binary: bool, gzipped: bool) -> Iterator[Any]:
    """``raw`` itself (``binary``) or UTF-8 text over it (through gzip when ``gzipped``),
    flushed down to ``raw`` at the end of the block; ``raw`` itself stays open."""
    if binary:
        yield raw
        return
    # Level 6, gzip's own default, not Python's 9: 9 made the writing process spend 2.3 s of
    # CPU on 10k records (48 MB) for a file only 5% smaller than level 6's.
    packed: Any = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=GZIP_LEVEL) \
        if gzipped else raw
    stream = io.TextIOWrapper(packed, encoding="utf-8", newline="")
    try:
        yield stream
        stream.flush()
    finally:
        stream.detach()
    if packed is not raw:
        packed.close()  # writes the gzip trailer into raw
