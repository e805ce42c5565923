"""Readability figures computed from our own sentences and words.

textstat's formulas are used (Flesch 1948 reading ease, Flesch-Kincaid grade),
but the counts are ours: textstat's own sentence counter breaks "4.2.0" into
sentences, and its English syllable counter (0.7.9+) loads NLTK's cmudict, which
it tries to download at run time. Syllables here come from pyphen's hyphenation
dictionary (bundled in the wheel, no download) with textstat's own fallback
rule, hyphenation points + 1. tests/test_readability.py checks the figures
against textstat run with the same syllable counter.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from . import cache
from .checkapi import Metrics, SentenceView

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")


@lru_cache(maxsize=1)
def _hyphenator():
    """pyphen's en_US dictionary. Parsing it costs ~80 ms per process, a third of
    a cold check, so the parsed patterns are kept in the user's cache folder
    (derived from the installed pyphen, never downloaded) and reloaded in ~5 ms."""
    import pyphen

    dic_path = pyphen.LANGUAGES["en_US"]
    cached = _load_cached_patterns(Path(dic_path), pyphen.__version__)
    if cached is not None:
        hyph = pyphen.HyphDict.__new__(pyphen.HyphDict)
        hyph.patterns, hyph.maxlen, hyph.cache = cached[0], cached[1], {}
        pyphen.hdcache[dic_path] = hyph  # Pyphen() below reuses it instead of parsing
    hyphenator = pyphen.Pyphen(lang="en_US")
    if cached is None:
        _store_cached_patterns(Path(dic_path), pyphen.__version__, hyphenator.hd)
    return hyphenator


def _cache_name(dic_path: Path, version: str) -> str | None:
    try:
        stamp = int(dic_path.stat().st_mtime)
    except OSError:
        return None
    return f"hyph-en_US-{version}-{stamp}.marshal"


def _load_cached_patterns(dic_path: Path, version: str):
    name = _cache_name(dic_path, version)
    cached = cache.load(name) if name else None
    if isinstance(cached, tuple) and len(cached) == 2 and isinstance(cached[0], dict):
        return cached
    return None


def _store_cached_patterns(dic_path: Path, version: str, hyph) -> None:
    name = _cache_name(dic_path, version)
    if name:
        cache.store(name, (hyph.patterns, hyph.maxlen))


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    word = word.lower().strip("'-")
    if not word:
        return 0
    return len(_hyphenator().positions(word)) + 1


def flesch_reading_ease(words: int, sentences: int, syllable_count: int) -> float:
    if not words or not sentences:
        return 100.0
    return 206.835 - 1.015 * (words / sentences) - 84.6 * (syllable_count / words)


def flesch_kincaid_grade(words: int, sentences: int, syllable_count: int) -> float:
    if not words or not sentences:
        return 0.0
    return 0.39 * (words / sentences) + 11.8 * (syllable_count / words) - 15.59


def compute_metrics(sentences: tuple[SentenceView, ...]) -> Metrics:
    per_sentence = []
    total_words = total_syll = 0
    for s in sentences:
        words = _WORD.findall(s.text)
        per_sentence.append((s.index, len(words)))
        total_words += len(words)
        total_syll += sum(syllables(w) for w in words)
    n = len(sentences)
    return Metrics(
        sentences=n,
        words=total_words,
        syllables=total_syll,
        flesch_reading_ease=round(flesch_reading_ease(total_words, n, total_syll), 2),
        flesch_kincaid_grade=round(flesch_kincaid_grade(total_words, n, total_syll), 2),
        sentence_words=tuple(per_sentence),
    )
