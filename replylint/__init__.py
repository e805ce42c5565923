"""replylint: checks a support reply against the support protocol.

    >>> from replylint import check
    >>> result = check("We could not reproduce this.")
    >>> result["elements"]["cannot_reproduce"]
    True
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__version__ = "0.1.0"


def check(text: str, *, config: Any = None, name: str = "<string>", fmt: str | None = None) -> dict[str, Any]:
    """Check one reply and return the object the JSON output is made from.

    ``config`` may be a ``Settings``, a path to a config file, or None (defaults).
    The engine for a given config is built once and reused by later calls."""
    return engine_for(config).check_text(text, name=name, fmt=fmt).to_dict()


@lru_cache(maxsize=8)
def _engine_from_path(path: str | None):
    from pathlib import Path

    from .config import Settings, load_settings
    from .engine import Engine

    return Engine(load_settings(Path(path)) if path else Settings())


def engine_for(config: Any = None):
    """The Engine for a config: None (defaults) and config file paths are built
    once per process and reused; a ``Settings`` object builds a new Engine, so
    keep the returned Engine and call ``engine.check_text`` yourself."""
    from .config import Settings
    from .engine import Engine

    if isinstance(config, Settings):
        return Engine(config)
    return _engine_from_path(str(config) if config is not None else None)
