"""How an incremental state names an input, however its path was spelt, and which files of the
state a run may call vanished.

A key is the input's path relative to the state file's folder: the path given on the command
line resolved (``os.path.realpath``), then the path below it as the walk found it. With the
state beside ``seeds/``, ``ingest seeds/``, ``ingest ./seeds``, ``ingest $PWD/seeds`` and
``cd seeds && ingest .`` all name seed 000 ``seeds/000_a24fdade88fa59b4.txt``; an archive
member is ``seeds/dump.zip!a.txt``; stdin is ``-``. Keys relative to the state's folder move
with it: a CI checkout at another path finds its files known.

A run judges vanishing only inside the roots it was given (``RunKeys.vanishes``): a file of the
state under no root of this run is out of its sight, not gone (one folder per dump: each run
names the new dump only); and nothing vanishes under a root or folder that could not be read
(missing, unreadable, holding no input), since its files may well be there.

A corpus tool beside ``state``; it never prints and never exits.
"""

from __future__ import annotations

import os

from ..sources import display_name

#: The key of standard input.
STDIN = "-"


def state_base(state_path: str) -> str:
    """The folder keys are relative to: the state file's own, resolved."""
    return os.path.realpath(os.path.dirname(os.path.abspath(state_path)))


def path_key(path: str, base: str) -> str:
    """``path`` resolved, relative to ``base``, with ``/`` between its parts:
    ``path_key('/data/./seeds', '/data')`` -> ``'seeds'``; the base itself is ``'.'``."""
    if path == STDIN:
        return STDIN
    real = os.path.realpath(path)
    try:
        relative = os.path.relpath(real, base)
    except ValueError:  # another drive (Windows): no relative path exists
        relative = real
    return display_name(relative.replace(os.sep, "/"))


def stored_key(name: str, base: str) -> str:
    """The key of a name a state file of schema 1 stored as the user had spelt it (relative
    names taken as relative to the state's folder, where the documented job runs):
    ``'./seeds/a.txt'`` -> ``'seeds/a.txt'``."""
    if name == STDIN:
        return STDIN
    if os.path.isabs(name):
        return path_key(name, base)
    return os.path.normpath(name).replace(os.sep, "/")


def _ancestors(key: str) -> list[str]:
    """``key`` and every key it lies under: ``'a/b.zip!c.txt'`` -> ``['a/b.zip!c.txt',
    'a/b.zip', 'a', '.']`` (``'.'``, the state's folder, holds every relative key)."""
    found = [key]
    for i in range(len(key) - 1, 0, -1):
        if key[i] in "/!":
            found.append(key[:i])
    if key != STDIN and not key.startswith(("../", "/")) and key != "..":
        found.append(".")
    return found


class RunKeys:
    """The keys of one run's inputs: ``key(root, name)`` names an input found under
    ``roots[root]``; ``protect(key)`` notes a path that could not be read (nothing under it
    vanishes); ``vanishes(key)`` says whether a file of the state this run did not see is gone.
    """

    def __init__(self, state_path: str, roots: list[str]) -> None:
        self.base = state_base(state_path)
        self.roots = [(display_name(root), path_key(root, self.base)) for root in roots]
        self._scope = {key for _, key in self.roots}
        self._protected: set[str] = set()

    def key(self, root: int, name: str) -> str:
        """The key of the input ``name`` found under root number ``root``."""
        shown, root_key = self.roots[root]
        if root_key == STDIN or name == shown:
            return root_key
        if not name.startswith(shown):  # not met: a walk's names start with the root's
            return path_key(name, self.base)
        rest = name[len(shown):]
        if rest.startswith("!"):
            return root_key + rest
        rest = rest.lstrip(os.sep).replace(os.sep, "/")
        return rest if root_key == "." else f"{root_key}/{rest}"

    def protect(self, key: str) -> None:
        self._protected.add(key)

    def vanishes(self, key: str) -> bool:
        """Whether ``key`` lies under a root of this run and under no path it could not read."""
        above = _ancestors(key)
        return (any(k in self._scope for k in above)
                and not any(k in self._protected for k in above))
