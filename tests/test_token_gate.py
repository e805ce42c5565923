"""spaCy's Matcher runs only on the sentences that hold a word of each set a
token pattern needs; that must never change the signals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replylint.inputs import source_from_text
from replylint.nlp import SIGNALS_KEY, token_gate

ROOT = Path(__file__).resolve().parent.parent


def test_gate_sets_come_from_required_tokens_only():
    pattern = [
        {"LEMMA": {"IN": ["contact", "ask"]}},
        {"LOWER": {"IN": ["out", "with"]}, "OP": "?"},
        {"LOWER": {"IN": ["your", "their"]}},
        {"IS_ALPHA": True, "OP": "?"},
        {"ORTH": "Team"},
    ]
    forms = {"contact": "contact", "contacted": "contact", "asks": "ask"}

    def lemma_forms(words):
        return frozenset({f for f, lemma in forms.items() if lemma in words} | {w for w in words if w not in forms})

    needed = token_gate(pattern, lemma_forms)
    assert needed == [frozenset({"contact", "contacted", "asks", "ask"}), frozenset({"your", "their"}), frozenset({"team"})]
    # Without our lemma table (a trained pipeline sets lemmas), LEMMA tells nothing.
    assert token_gate(pattern) == [frozenset({"your", "their"}), frozenset({"team"})]
    assert token_gate([{"IS_DIGIT": True}, {"LOWER": "x", "OP": "*"}]) is None


def test_lemma_forms_reach_inflected_words(engine):
    # "asked" and "teams" match the shipped pattern only through their lemmas,
    # so the gate must know the inflected forms.
    doc = engine.nlp("We found nothing wrong on our side; you should have asked their teams about the quota.")
    assert any(s.pattern == "bounce_back.contact-your-team" for s in doc.user_data[SIGNALS_KEY])


@pytest.fixture(scope="module")
def corpus_texts():
    texts = []
    for split in ("train", "dev"):
        for line in (ROOT / "corpus" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()[:250]:
            row = json.loads(line)
            texts.append((row["text"], row.get("format")))
    return texts


def test_gate_changes_no_signal_on_the_corpus(engine, corpus_texts):
    matcher = engine.nlp.get_pipe("replylint_signals")
    assert matcher.token_gate, "the shipped token pattern should be gated"

    def signals():
        out = []
        for text, fmt in corpus_texts:
            doc = engine.nlp(engine.parse(source_from_text(text, "t", fmt)).segmented.text)
            out.append(sorted((s.pattern, s.start, s.end) for s in doc.user_data[SIGNALS_KEY]))
        return out

    gated = signals()
    saved, matcher.token_gate = matcher.token_gate, None
    try:
        full = signals()
    finally:
        matcher.token_gate = saved
    assert gated == full
    assert any(p == "bounce_back.contact-your-team" for sigs in full for p, _, _ in sigs)
