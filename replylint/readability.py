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

from .checkapi import Metrics, SentenceView

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")


@lru_cache(maxsize=1)
def _hyphenator():
    import pyphen  # imported on first use: about 10 ms

    return pyphen.Pyphen(lang="en_US")


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
