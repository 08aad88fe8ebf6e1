"""The floor: the least work any ingest of a folder must do, in one process.

Walks DIR recursively for *.txt in sorted order (the order ``ingest`` uses), reads and decodes
each file as UTF-8, and writes one JSON line per file, ``{"path": ..., "text": ...}``
(``ensure_ascii=False``), to OUT. No parsing at all: nothing that parses can beat it in one
process. ``bench.py`` reports every other run's time as a ratio to this one.

Run:
    python benchmarks/floor.py DIR OUT
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator


def walk(folder: str) -> Iterator[str]:
    """*.txt files below ``folder``: sorted names, folders entered where they sort."""
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            yield from walk(path)
        elif name.endswith(".txt"):
            yield path


def main(folder: str, out: str) -> int:
    with open(out, "w", encoding="utf-8") as stream:
        for path in walk(folder):
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8")
            stream.write(json.dumps({"path": path, "text": text}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: floor.py DIR OUT")
    sys.exit(main(sys.argv[1], sys.argv[2]))
