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
from replylint.prefilter import SentencePrefilter, requirements
from replylint.registry import fold_case

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def signal_matcher(engine):
    matcher = engine.nlp.get_pipe("replylint_signals")
    matcher.prefilter  # noqa: B018 - built now, so every check below goes through it
    return matcher


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
    "Kofi will swap", "Ana Silva", "'ll reply", ", no E-17", "no CrashLoopBackOff", "No 401", "KOFI WILL CALL",
])
TEXTS = st.lists(FRAGMENTS, max_size=40).map(" ".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_prefilter_gives_the_signals_of_a_full_scan(engine, signal_matcher, monkeypatch, text):
    assert _signals(engine, text) == _signals_scanning_everything(engine, signal_matcher, text, monkeypatch)


@pytest.mark.parametrize("text", [
    "Visit confirmed for Tuesday. Kofi will swap the steam boiler.",
    "Marta Kowalczyk will reply to you directly by tomorrow afternoon.",
    "Ran 3 descale cycles back to back, no E-17.",
    "Tried chart 2.4.1 on kind v0.22. DaemonSet rolls out fine, no CrashLoopBackOff.",
])
def test_case_sensitive_patterns_pass_the_prefilter(engine, signal_matcher, monkeypatch, text):
    """Patterns with ignore_case = false run on the original text; the prefilter
    narrows them by their lower-cased form and must still let them fire."""
    found = _signals(engine, text)
    assert found == _signals_scanning_everything(engine, signal_matcher, text, monkeypatch)
    assert any(p.endswith(("named-colleague-will", "no-error-code-after-attempt")) for p, _, _ in found)


def test_case_sensitive_patterns_are_narrowed_too(signal_matcher):
    """They used to run on every sentence (0.2 ms a reply for two of them)."""
    case_sensitive = [i for i, p in enumerate(signal_matcher.regexes) if not p.folded]
    assert case_sensitive
    assert not set(case_sensitive) & set(signal_matcher.prefilter.always)


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
    gave_up = type("GaveUp", (), {"Match": staticmethod(lambda text: [])})()
    monkeypatch.setattr(prefilter, "_sets", [*prefilter._sets[:-1], (gave_up, [-1])])
    assert list(prefilter.candidates("anything")) == list(range(prefilter.size))


def _requirement_met(need, text):
    import re2

    return any(all(re2.search(segment, text) for segment in alternative) for alternative in need)


@pytest.mark.parametrize("pattern, matching", [
    (r"(?<!not )\bfixed\b", ["not fixed", "prefixed"]),  # assertions dropped: wider
    (r"\bv?\d+\.\d+", ["v٣.٣", "x1.2"]),  # non-ASCII digits are digits to Python
    (r"we\s+tested", ["we\u00a0tested", "we\u2028tested"]),  # Unicode spaces
    (r"[^\w\s]{2}x", ["?!x", "’’x"]),
    (r"\w{2,3}xy", ["ééééxy"]),  # upper bounds dropped
    (r"\b(?:we|i)\b[^.;]{0,40}?\b(?:tested|tried)\b", ["we have not yet tested", "I really tried"]),  # gaps
    (r"^if\s+(?:the|a)\s+\w+\s+(?:fails|breaks),\s*that\s+would", ["if the build breaks, that would"]),
    (r"(?<=update\slevel\s)\d{1,4}\b", ["on update level 45"]),  # look-behind content required
    (r"\b(?:check\s+with|raise\s+(?:it|a\s+\w+)\s+with)\s+(?:your|the)\s+team", ["raise a ticket with the team"]),
])
def test_requirement_is_met_wherever_the_pattern_matches(pattern, matching):
    need = requirements(pattern)
    assert need is not None
    for text in matching:
        assert _requirement_met(need, text), (pattern, need, text)


def test_look_arounds_and_gapped_alternations_still_narrow():
    assert not _requirement_met(requirements(r"(?<=update\slevel\s)\d{1,4}\b"), "we tested 45 builds")
    need = requirements(r"\b(?:check\s+with|raise\s+(?:it|a\s+\w+)\s+with)\s+(?:your|the)\s+team")
    assert not _requirement_met(need, "the team will check it")


def test_requirements_split_at_gaps_and_alternatives():
    need = requirements(r"\bcould\s+you\s+(?:\w+\s+){0,3}share\b|\bplease\s+send\b")
    assert len(need) == 2  # one per top-level alternative
    assert len(need[0]) == 2  # "could you" and "share", the word gap between them dropped
    assert not _requirement_met(need, "we will share it")  # a narrowing, not a pass-through


@pytest.mark.parametrize("pattern, flags", [
    (r"(?:foo)?", 0),  # matches the empty string: no use as a filter
    (r"fixed", re.IGNORECASE),
    (r"(?i:fixed) it", 0),
    (r"\w+[^.]*", 0),  # nothing but gaps
])
def test_patterns_without_requirements_are_always_run(pattern, flags):
    assert requirements(pattern, flags) is None
    prefilter = SentencePrefilter([re.compile(pattern, flags), re.compile(r"\bzzz\b")])
    assert prefilter.always == (0,)
    assert list(prefilter.candidates("nothing here")) == [0]


def test_without_re2_every_pattern_runs(monkeypatch):
    # google-re2 missing (an unusual platform): slower, same results.
    import replylint.prefilter as prefilter_module

    monkeypatch.setattr(prefilter_module, "_re2", lambda: None)
    prefilter = SentencePrefilter([re.compile(r"\bzzz\b"), re.compile(r"\bqqq\b")])
    assert list(prefilter.candidates("nothing here")) == [0, 1]
