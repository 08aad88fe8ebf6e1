"""Executors: what runs the pipeline's ``process`` over many inputs, chosen by name.

Every engine has the same interface (``base.Executor``): built from ``EngineOptions``, its
``results(items, config)`` gives the inputs' results in input order, identical whatever runs
them; one whose workers can write the records themselves also has ``write_parts(...)``
(``base.PartsExecutor``), yielding a ``parts.PartResult`` per part file.

Choosing an engine is a lookup in ``ENGINES``. Adding one (Ray, say) is one new module beside
``local.py`` and ``dask.py`` with a class like theirs, and one entry in ``ENGINES``;
``parts.py`` holds what engines share (part files written atomically, the portable
configuration, a per-process context cache, stale-part clean-up).
"""

from __future__ import annotations

from ..errors import UnknownEngine
from .base import EngineOptions, Executor, PartsExecutor
from .dask import DaskExecutor
from .local import LocalExecutor, run

#: Engines by name (``--engine``); the first is the default.
ENGINES: dict[str, type[Executor]] = {"local": LocalExecutor, "dask": DaskExecutor}

__all__ = ["ENGINES", "EngineOptions", "Executor", "PartsExecutor", "get_executor", "run"]


def get_executor(name: str, options: EngineOptions | None = None) -> Executor:
    """The engine called ``name``, built with ``options``; ``UnknownEngine`` (with the names
    there are) otherwise."""
    try:
        engine = ENGINES[name]
    except KeyError:
        raise UnknownEngine(name, list(ENGINES)) from None
    return engine(options or EngineOptions())
