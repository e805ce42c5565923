"""Compiled check patterns kept between runs.

Python spends about 0.12 s compiling the ~150 check patterns, close to half of a
one-reply `replylint check` beyond loading spaCy. What `re` compiles a pattern to
(the list of opcodes for its matching engine) depends only on the pattern text
and the Python version, so it is kept in the user's cache folder and handed back
to the engine on the next run. A missing or unusable entry means compiling as
usual; anything unexpected in Python's internals turns the cache off, never the
check.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from . import __version__, cache

try:  # CPython's own modules behind re.compile; their names are stable per version
    import _sre
    from re import _compiler, _parser
except ImportError:  # pragma: no cover - another Python implementation
    _sre = _compiler = _parser = None

_NAME = f"regex-{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}-{__version__}.marshal"


class RegexCompiler:
    """Compiles patterns for one registry load, from the cache where it can."""

    def __init__(self) -> None:
        cached = cache.load(_NAME) if _sre is not None else None
        self._cached: dict[str, Any] = cached if isinstance(cached, dict) else {}
        self._used: dict[str, Any] = {}

    def compile(self, source: str) -> re.Pattern:
        """Like re.compile(source); raises re.error for a bad pattern."""
        entry = self._cached.get(source)
        if entry is not None:
            try:
                pattern = _sre.compile(source, *entry)
            except Exception:  # noqa: BLE001 - a stale or foreign entry: compile it afresh
                pattern = None
            if pattern is not None:
                self._used[source] = entry
                return pattern
        entry = _parts(source)
        if entry is None:
            return re.compile(source)  # the usual way, and the usual re.error for a bad pattern
        self._used[source] = entry
        return _sre.compile(source, *entry)

    def save(self) -> None:
        """Keep what this load used (only that, so the file does not grow)."""
        if self._used and self._used != self._cached:
            cache.store(_NAME, self._used)


def _parts(source: str) -> tuple | None:
    """The arguments _sre.compile needs, as re._compiler.compile builds them; None
    for a pattern that does not compile (re.compile then reports why)."""
    try:
        parsed = _parser.parse(source, 0)
        code = _compiler._code(parsed, 0)
        groups = parsed.state.groups
        index_group = [None] * groups
        for name, index in parsed.state.groupdict.items():
            index_group[index] = name
        return (int(parsed.state.flags), [int(op) for op in code], groups - 1, dict(parsed.state.groupdict), tuple(index_group))
    except Exception:  # noqa: BLE001 - internals changed: no cache entry, the pattern still works
        return None
