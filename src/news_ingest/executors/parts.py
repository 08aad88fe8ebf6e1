"""What every engine shares: part files, the portable configuration, a per-process context.

* ``write_part``: a batch of inputs -> one part file (``part-00000.jsonl``, ...) in any format
  of ``export.FORMATS``, written all or nothing: atomically in a local folder
  (``output.open_output``), or rendered first and uploaded in one PUT to an fsspec URL
  (``s3://bucket/prefix``). Only names, problems and counts come back (``PartResult``).
* ``remove_stale_parts``: after a complete run, the part files an earlier run left there.
* ``portable_config`` / ``portable``: local paths made absolute, so that a worker with another
  working folder reads the same files.
* ``context_for``: a ``pipeline.Context`` built once per worker process and configuration.

Nothing here needs a cluster; URLs other than local paths need ``fsspec`` (the dask extra).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import posixpath
import re
from collections.abc import Iterable
from typing import Any

from ..errors import ExtraMissing
from ..export import FORMATS, get_format, make_writer
from ..output import open_output
from ..pipeline import Config, Context, FileResult, Result, process
from ..report import FileOutcome
from ..sources import Source
from .base import Item, PartResult

__all__ = ["PartResult", "context_for", "portable", "portable_config", "process_batch",
           "remove_stale_parts", "write_part"]


def part_name(index: int, fmt: str) -> str:
    """``part_name(3, 'jsonl')`` -> ``'part-00003.jsonl'``."""
    return f"part-{index:05d}{get_format(fmt).extension}"


#: A part file's name, in any output format.
PART_NAME = re.compile(
    r"part-[0-9]{5,}(?:" + "|".join(re.escape(f.extension) for f in FORMATS.values()) + ")")


def import_fsspec() -> Any:
    try:
        import fsspec
    except ImportError:
        raise ExtraMissing("dask", "writing part files") from None
    return fsspec


def is_local(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def output_root(out_dir: str, options: dict[str, Any]) -> str:
    """``out_dir`` as workers should see it: an absolute local path, or a full URL."""
    fs, root = import_fsspec().core.url_to_fs(out_dir, **options)
    if is_local(fs):
        return root.rstrip("/") or "/"
    return str(fs.unstrip_protocol(root.rstrip("/")))


def _absolute(path: str) -> str:
    return os.path.abspath(path) if os.path.exists(path) else path


def portable_config(config: Config) -> Config:
    """``config`` with local paths made absolute, so workers with another working folder
    read the same files (records do not depend on these paths)."""
    return dataclasses.replace(
        config,
        layout_paths=tuple(_absolute(p) for p in config.layout_paths),
        lexicon_path=_absolute(config.lexicon_path) if config.lexicon_path else None,
    )


def portable(item: Item) -> Item:
    """A file-backed source with an absolute path (its ``name``, used in records, is kept)."""
    if isinstance(item, Source) and item.data is None and item.path is not None:
        absolute = os.path.abspath(item.path)
        if absolute != item.path:
            return Source(item.name, path=absolute, digest=item.digest)
    return item


#: Contexts built in this (worker) process, by configuration.
_CONTEXTS: dict[Config, Context] = {}
_MAX_CONTEXTS = 4


def context_for(config: Config) -> Context:
    """The ``Context`` of ``config``, built once in this process."""
    ctx = _CONTEXTS.get(config)
    if ctx is None:
        if len(_CONTEXTS) >= _MAX_CONTEXTS:
            _CONTEXTS.clear()
        ctx = _CONTEXTS[config] = Context(config)
    return ctx


def process_batch(batch: list[Item], config: Config) -> list[Result]:
    # process() turns any failure of an input, bugs included, into a problem of that input, as
    # in a local run; what still fails here (a dead worker) is the engine's to report.
    ctx = context_for(config)
    return [process(item, ctx) for item in batch]


def write_part(
    index: int, batch: list[Item], config: Config, root: str, fmt: str, defuse: bool,
    options: dict[str, Any],
) -> PartResult:
    """Process a batch and write its records to ``root/part-<index>.<ext>``. A batch whose
    inputs all failed writes nothing: an empty part never replaces one of an earlier run."""
    results = process_batch(batch, config)
    path: str | None = f"{root.rstrip('/')}/{part_name(index, fmt)}"
    records = [record for r in results if isinstance(r, FileResult) for record in r.records]
    if records:
        _write_part(path, fmt, records, defuse, options, config.fields, config.bom)
    else:
        path = None
    return PartResult(path, len(records), [FileOutcome.of(r) for r in results])


def _write_part(path: str, fmt: str, records: list[dict[str, Any]], defuse: bool,
                options: dict[str, Any], keys: tuple[str, ...] | None = None,
                bom: bool = False) -> None:
    """Write ``records`` (their ``keys``; a byte-order mark first with ``bom``) to ``path``,
    all or nothing."""
    render = functools.partial(_render, keys=keys, bom=bom)
    binary = get_format(fmt).binary
    fsspec = import_fsspec()
    fs, fs_path = fsspec.core.url_to_fs(path, **options)
    if is_local(fs):
        os.makedirs(os.path.dirname(fs_path), exist_ok=True)
        with open_output(fs_path, binary=binary) as stream:
            render(stream, fmt, records, defuse)
        return
    # Object stores: render first, then one upload at close (nothing partial is ever stored).
    buffer = io.BytesIO()
    if binary:
        render(buffer, fmt, records, defuse)
    else:
        text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
        render(text, fmt, records, defuse)
        text.flush()
        text.detach()
    with fsspec.open(path, "wb", **options) as stream:
        stream.write(buffer.getvalue())


def _render(stream: Any, fmt: str, records: list[dict[str, Any]], defuse: bool, *,
            keys: tuple[str, ...] | None = None, bom: bool = False) -> None:
    writer = make_writer(fmt, stream, defuse_formulas=defuse, keys=keys, bom=bom)
    for record in records:
        writer.write(record)
    writer.close()


def remove_stale_parts(
    out_dir: str, written: Iterable[str], storage_options: dict[str, Any] | None = None,
    *, dry_run: bool = False,
) -> list[str]:
    """After a complete run into ``out_dir``: delete the part files an earlier run left there
    (``part-NNNNN.<ext>`` of any format, not among ``written``, the paths this run's parts were
    written to), so that the folder holds this run's output and nothing else. Other files are
    never touched. Returns the paths removed (with ``dry_run``: that would be), sorted."""
    options = dict(storage_options or {})
    fs, root = import_fsspec().core.url_to_fs(out_dir, **options)
    keep = {posixpath.basename(str(path)) for path in written}
    try:
        listed = fs.ls(root, detail=True)
    except FileNotFoundError:  # nothing was written and the folder was never made
        return []
    stale = sorted(str(entry["name"]) for entry in listed
                   if entry.get("type") == "file"
                   and PART_NAME.fullmatch(name := posixpath.basename(str(entry["name"])))
                   and name not in keep)
    if not dry_run:
        for path in stale:
            fs.rm(path)
    return stale
