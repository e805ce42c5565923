"""Our readability scores use textstat's formulas on our own counts; with the same
syllable counter (pyphen) they equal textstat's."""

from __future__ import annotations

import pytest

from replylint.readability import flesch_kincaid_grade, flesch_reading_ease, syllables

TEXTS = [
    "The cat sat on the mat. The dog ran to the park.",
    "We restarted the gateway. The token refresh worked on both nodes after that.",
    "Consequently, authentication intermediaries require systematic administrative verification today.",
]


@pytest.fixture()
def textstat_with_pyphen(monkeypatch):
    textstat = pytest.importorskip("textstat")
    from textstat.backend.counts import _count_syllables

    # textstat >= 0.7.9 would load (and try to download) NLTK's cmudict; make it
    # use pyphen for every word, as replylint does.
    monkeypatch.setattr(_count_syllables, "get_cmudict", lambda lang: None)
    textstat.set_lang("en_US")
    return textstat


@pytest.mark.parametrize("text", TEXTS)
def test_readability_matches_textstat_with_same_syllables(textstat_with_pyphen, text):
    ts = textstat_with_pyphen
    words = ts.lexicon_count(text)
    sentences = ts.sentence_count(text)
    syl = ts.syllable_count(text)
    assert sum(syllables(w.strip(".,")) for w in text.split()) == syl
    assert flesch_reading_ease(words, sentences, syl) == pytest.approx(ts.flesch_reading_ease(text), abs=0.01)
    assert flesch_kincaid_grade(words, sentences, syl) == pytest.approx(ts.flesch_kincaid_grade(text), abs=0.01)


def test_readability_plain_beats_dense(engine):
    plain = engine.check_text("We found the cause. The secret expired. Please rotate it and tell us if it works.")
    dense = engine.check_text(" ".join(TEXTS[2:] * 3))
    assert not any(f.rule == "readability" for f in plain.findings)
    assert any(f.rule == "readability" for f in dense.findings)


def test_readability_cached_patterns_count_the_same(tmp_path, monkeypatch):
    import pyphen

    from replylint import readability

    words = ["extraordinarily", "synchronisation", "gateway", "reproduce", "the", "authentication"]
    reference = pyphen.Pyphen(lang="en_US")
    monkeypatch.setenv("REPLYLINT_CACHE_DIR", str(tmp_path))
    for _ in range(2):  # first parses and stores, second loads the cache
        readability._hyphenator.cache_clear()
        pyphen.hdcache.clear()
        hyph = readability._hyphenator()
        assert [len(hyph.positions(w)) for w in words] == [len(reference.positions(w)) for w in words]
    assert list(tmp_path.glob("hyph-en_US-*.marshal"))
    readability._hyphenator.cache_clear()
