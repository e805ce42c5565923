"""Shared fixtures. Every test runs with the network blocked: only loopback and
Unix sockets may connect, so any download attempt (spaCy models, NLTK data)
fails the test that made it."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkBlocked(RuntimeError):
    pass


def _allowed(sock, address) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost",)


def _guard_connect(self, address):
    if not _allowed(self, address):
        raise NetworkBlocked(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


def _guard_connect_ex(self, address):
    if not _allowed(self, address):
        raise NetworkBlocked(f"test tried to reach the network: {address!r}")
    return _real_connect_ex(self, address)


def _guard_getaddrinfo(host, *args, **kwargs):
    if host not in (None, "localhost", "127.0.0.1", "::1", "") and not str(host).startswith("127."):
        raise NetworkBlocked(f"test tried to resolve {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


_real_getaddrinfo = socket.getaddrinfo


def pytest_configure(config):
    # The pyphen pattern cache goes to a fresh folder, not the user's ~/.cache.
    import os
    import tempfile

    os.environ["REPLYLINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="replylint-cache-")
    socket.socket.connect = _guard_connect
    socket.socket.connect_ex = _guard_connect_ex
    socket.getaddrinfo = _guard_getaddrinfo


@pytest.fixture(scope="session")
def engine():
    """One engine (one spaCy pipeline) for the whole session."""
    from replylint.engine import Engine

    return Engine()


@pytest.fixture(scope="session")
def load_tool():
    """Imports a script of tools/ (not a package) by its name."""
    import importlib.util

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent.parent / "tools" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="session")
def registry(engine):
    return engine.registry


@pytest.fixture(scope="session")
def engine_judging(engine):
    """Builds an engine whose reply model is overridden: ``revisions`` are the
    element values it sets (none: the detectors' reading stands), ``kind`` pins
    the reply's kind (none: the trained kind model's)."""
    import dataclasses

    from replylint.engine import Engine

    judge = engine.registry.judge_reply

    def make(revisions=None, kind=None):
        revised = dict(revisions or {})
        return Engine(engine.settings, dataclasses.replace(
            engine.registry, judge_reply=lambda ctx: (kind or judge(ctx)[0], revised)))

    return make
