"""The examples in the modules' docstrings are run: an example that no longer holds fails here.

``dates.py`` documents its reader with examples (``'12th, November 2023 GMT' -> 2023-11-12``);
so do ``tags.py`` and the corpus tools. Every module of the package is collected, so an example
added anywhere later runs too.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import news_ingest

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(news_ingest.__path__, "news_ingest.")
    if info.name != "news_ingest.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)  # optional extras are imported only when used
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_date_reader_examples_are_among_them() -> None:
    from news_ingest import dates

    assert doctest.testmod(dates).attempted >= 8
