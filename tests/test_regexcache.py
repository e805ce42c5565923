"""Check patterns handed back from the compiled-pattern cache must behave exactly
as freshly compiled ones, and a damaged cache must never stop a check."""

from __future__ import annotations

import re

from replylint import cache, registry
from replylint.regexcache import _NAME

TEXTS = [
    "We could not reproduce the timeout on 4.2.0. Could you send the gateway log so we can compare it with ours?",
    "works fine on our side tbh 🤷 pls check at your end and lmk",
    "The fix is merged and ships in 2024.07.1 on 9 July; I'll update you by Friday 17:00 CET.",
    "Kindly share the HAR file, we have check the server yesterday and found the disk is full.",
]


def _regexes(reg):
    return {p.id: p.data for p in reg.patterns if p.kind == "regex"}


def test_regexcache_patterns_from_the_cache_match_like_fresh_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("REPLYLINT_CACHE_DIR", str(tmp_path))
    first = _regexes(registry.load())          # compiles and fills the cache
    assert (tmp_path / _NAME).is_file()
    second = _regexes(registry.load())         # built from the cache
    assert first.keys() == second.keys() and len(second) > 100
    for pid, pattern in second.items():
        fresh = re.compile(pattern.pattern)
        assert (pattern.pattern, pattern.flags, pattern.groupindex) == (fresh.pattern, fresh.flags, fresh.groupindex), pid
        for text in TEXTS:
            low = text.lower()
            assert [m.span() for m in pattern.finditer(low)] == [m.span() for m in fresh.finditer(low)], pid


def test_regexcache_damaged_entries_fall_back_to_compiling(tmp_path, monkeypatch):
    monkeypatch.setenv("REPLYLINT_CACHE_DIR", str(tmp_path))
    reg = registry.load()
    sources = [p.data.pattern for p in reg.patterns if p.kind == "regex"]
    # Opcodes _sre rejects ("invalid SRE code") for every pattern: each is compiled afresh.
    cache.store(_NAME, {s: (32, [0], 0, {}, ()) for s in sources})
    again = _regexes(registry.load())
    matched = 0
    for pattern in again.values():
        fresh = re.compile(pattern.pattern)
        for text in TEXTS:
            spans = [m.span() for m in pattern.finditer(text.lower())]
            assert spans == [m.span() for m in fresh.finditer(text.lower())]
            matched += bool(spans)
    assert matched > 20  # the patterns work, not merely agree on matching nothing
    (tmp_path / _NAME).write_bytes(b"not marshal data")
    assert len(_regexes(registry.load())) == len(again)
