"""The RE2 prefilter only narrows which patterns run on a sentence: the signals
must be exactly those of running every pattern on every sentence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replylint.inputs import source_from_text
from replylint.nlp import SIGNALS_KEY
from replylint.prefilter import SentencePrefilter, widen
from replylint.registry import fold_case

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def signal_matcher(engine):
    return engine.nlp.get_pipe("replylint_signals")


def _signals(engine, text):
    doc = engine.nlp(engine.parse(source_from_text(text, "t", "text")).segmented.text)
    return [(s.pattern, s.start, s.end) for s in doc.user_data[SIGNALS_KEY]]


def _signals_scanning_everything(engine, signal_matcher, text, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(signal_matcher.prefilter, "candidates", lambda sentence: signal_matcher.prefilter.everything)
        return _signals(engine, text)


# Words the checks look for, mixed with characters where Python's and RE2's
# ideas of \w, \s and \d could differ.
FRAGMENTS = st.sampled_from([
    "we", "tested", "could not reproduce", "on 4.2.0", "update level 45", "please", "share", "the logs",
    "so that we can", "by Friday", "tomorrow", "in 2 days", "fixed in", "PR #123", "it works", "assume",
    "your team", "I'll", "we’ll", "étape", "ß", "İ", "\u00a0", "\u2028", "٣", "_", "-", ".", ",", "?", "\n",
    "\n\n", "1.", "- ", "  ", "Could you", "because", "if it fails", "we have", "confirm whether", "v2.3",
])
TEXTS = st.lists(FRAGMENTS, max_size=40).map(" ".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_prefilter_gives_the_signals_of_a_full_scan(engine, signal_matcher, monkeypatch, text):
    assert _signals(engine, text) == _signals_scanning_everything(engine, signal_matcher, text, monkeypatch)


def test_prefilter_full_scan_equivalence_on_corpus_replies(engine, signal_matcher, monkeypatch):
    rows = [json.loads(line) for line in (ROOT / "corpus" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    for row in rows[::3]:
        assert _signals(engine, row["text"]) == _signals_scanning_everything(engine, signal_matcher, row["text"], monkeypatch)


def test_prefilter_narrows_most_sentences(signal_matcher):
    # If widening broke (everything a candidate), the check would silently be 3x slower.
    prefilter = signal_matcher.prefilter
    sentence = fold_case("Thanks for the logs, I will look at them tomorrow.")
    assert len(prefilter.candidates(sentence)) < prefilter.size / 4


def test_prefilter_falls_back_to_everything_when_re2_gives_up(signal_matcher, monkeypatch):
    prefilter = signal_matcher.prefilter
    # RE2's set search returns no match at all when its DFA runs out of memory;
    # the sentinel pattern is then missing too.
    monkeypatch.setattr(prefilter, "_set", type("GaveUp", (), {"Match": staticmethod(lambda text: [])})())
    assert list(prefilter.candidates("anything")) == list(range(prefilter.size))


@pytest.mark.parametrize("pattern, matching", [
    (r"(?<!not )\bfixed\b", ["not fixed", "prefixed"]),  # assertions dropped: wider
    (r"\bv?\d+\.\d+", ["v٣.٣", "x1.2"]),  # non-ASCII digits are digits to Python
    (r"we\s+tested", ["we\u00a0tested", "we\u2028tested"]),  # Unicode spaces
    (r"[^\w\s]{2}", ["?!", "’’"]),
    (r"\w{2,3}x", ["ééééx"]),  # upper bounds dropped
])
def test_widened_pattern_matches_where_the_original_does(pattern, matching):
    import re2

    widened = widen(pattern)
    assert widened is not None
    for text in matching:
        assert re2.search(widened, text), (pattern, widened, text)


@pytest.mark.parametrize("pattern, flags", [
    (r"(?:foo)?", 0),  # matches the empty string: no use as a filter
    (r"fixed", re.IGNORECASE),
    (r"(?i:fixed) it", 0),
])
def test_unwidenable_patterns_are_always_run(pattern, flags):
    assert widen(pattern, flags) is None
    prefilter = SentencePrefilter([re.compile(pattern, flags), re.compile(r"\bzzz\b")])
    assert prefilter.always == (0,)
    assert list(prefilter.candidates("nothing here")) == [0]
