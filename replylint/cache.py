"""Small derived data kept between runs in the user's cache folder.

Everything stored here can be rebuilt from what is installed; a missing, stale
or unreadable entry only means rebuilding it. Nothing is ever downloaded.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    root = os.environ.get("REPLYLINT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "replylint")
    return Path(root)


def load(name: str) -> Any | None:
    try:
        return marshal.loads((cache_dir() / name).read_bytes())
    except Exception:  # noqa: BLE001 - no entry, or a stale/corrupt one: the caller rebuilds it
        return None


def store(name: str, value: Any) -> None:
    path = cache_dir() / name
    try:
        data = marshal.dumps(value)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # readers never see half a file
    except (OSError, ValueError):
        pass  # unwritable folder or a value marshal cannot store: rebuild next time
