"""The spaCy pipeline: built once per registry, reused for every reply.

A blank English pipeline (tokenizer only, no download of any kind) with two
components of ours:

- ``replylint_sentences`` sets sentence starts from sentences.py, which knows
  lists, line breaks and version numbers;
- ``replylint_signals`` runs every pattern from checks/ (PhraseMatcher for phrase
  lists, Matcher for token patterns, compiled regular expressions per sentence)
  and stores the matches on the Doc.

With ``model=NAME`` a trained pipeline the user installed (en_core_web_sm...) is
loaded instead of the blank one, and our components are added after its own.
"""

from __future__ import annotations

from typing import Iterable

import json
from pathlib import Path

import numpy
from re import _constants as _sre_constants, _parser as _sre_parser
import spacy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from .checkapi import Signal
from .registry import PatternSpec, fold_case
from .sentences import Sentence, split_sentences

SENTENCES_KEY = "replylint_sentences"
SIGNALS_KEY = "replylint_signals"


TEXT_KEY = "replylint_text"


def doc_text(doc: Doc) -> str:
    """doc.text joins every token on each access; components share one copy."""
    text = doc.user_data.get(TEXT_KEY)
    if text is None:
        text = doc.user_data[TEXT_KEY] = doc.text
    return text


class LookupLemmas:
    """Lemmas from a small table shipped in the package (replylint/data/lemmas.json,
    built by tools/build_lemma_table.py from spaCy's WordNet-derived lookups):
    the forms of the words the checks use. Other words keep their lower-case form.
    No spacy-lookups-data (100 MB) at run time."""

    def __init__(self) -> None:
        path = Path(__file__).with_name("data") / "lemmas.json"
        self.table: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))

    def __call__(self, doc: Doc) -> Doc:
        table = self.table
        for token in doc:
            lower = token.lower_
            token.lemma_ = table.get(lower, lower)
        return doc


class SentenceBoundaries:
    def __call__(self, doc: Doc) -> Doc:
        sentences = split_sentences(doc_text(doc))
        doc.user_data[SENTENCES_KEY] = sentences
        if len(doc) and not doc.has_annotation("DEP"):
            # One array write: setting token.is_sent_start one token at a time
            # re-validates the whole Doc each time (quadratic on long replies).
            idx = doc.to_array("IDX").astype("int64")
            text = doc_text(doc)
            flags = numpy.where(numpy.isin(idx, [_marker_start(text, s) for s in sentences]), 1, -1)
            flags[0] = 1
            doc.from_array([SENT_START], flags.astype("uint64").reshape(-1, 1))
        return doc


class SignalMatcher:
    def __init__(self, nlp: Language) -> None:
        self.vocab = nlp.vocab
        self.make_doc = nlp.make_doc
        self.phrase_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.token_matcher = Matcher(nlp.vocab)
        self.regexes: list[tuple[PatternSpec, tuple[str, ...] | None]] = []
        self.sentence_filter: dict[str, tuple[str, ...] | None] = {}
        self.labels: dict[str, str] = {}

    def add_patterns(self, patterns: Iterable[PatternSpec]) -> None:
        for p in patterns:
            self.labels[p.id] = p.label
            if p.kind == "regex":
                prefixes = literal_prefixes(p.data.pattern) if p.folded else None
                if prefixes and min(len(x) for x in prefixes) < 2:
                    prefixes = None  # "i" is in every sentence: no use as a filter
                self.regexes.append((p, prefixes))
                # Testing dozens of prefixes per sentence costs more than the scan
                # it saves; those patterns are filtered once per reply only.
                self.sentence_filter[p.id] = prefixes if prefixes and len(prefixes) <= 12 else None
            elif p.kind == "phrases":
                self.phrase_matcher.add(p.id, [self.make_doc(text) for text in p.data])
            else:
                self.token_matcher.add(p.id, [p.data])

    def __call__(self, doc: Doc) -> Doc:
        sentences: list[Sentence] = doc.user_data.get(SENTENCES_KEY) or split_sentences(doc_text(doc))
        found: list[Signal] = []
        strings = self.vocab.strings
        for matcher in (self.phrase_matcher, self.token_matcher):
            if len(matcher) == 0:
                continue
            for match_id, start, end in matcher(doc):
                span = doc[start:end]
                pid = strings[match_id]
                found.append(Signal(self.labels[pid], pid, span.start_char, span.end_char, span.text))
        text = doc_text(doc)
        folded = fold_case(text)
        # Patterns none of whose prefixes occur anywhere in the reply are skipped
        # for every sentence at once.
        active = [(p, self.sentence_filter[p.id]) for p, prefixes in self.regexes
                  if prefixes is None or any(x in folded for x in prefixes)]
        for sentence in sentences:
            start, end = sentence.start, sentence.end
            chunk, low = text[start:end], folded[start:end]
            for p, prefixes in active:
                # Every match starts with one of the pattern's literal prefixes;
                # a substring test skips most patterns for most sentences.
                if prefixes is not None and not any(x in low for x in prefixes):
                    continue
                for m in p.data.finditer(low if p.folded else chunk):
                    if m.end() > m.start():
                        found.append(Signal(p.label, p.id, start + m.start(), start + m.end(), chunk[m.start():m.end()]))
        doc.user_data[SIGNALS_KEY] = found
        return doc


def _marker_start(text: str, sentence: Sentence) -> int:
    """Where a list item's Doc sentence starts: at its bullet ("1.", "-"), which
    our Sentence leaves out of its text."""
    if sentence.list_item is None:
        return sentence.start
    line_start = text.rfind("\n", 0, sentence.start) + 1
    prefix = text[line_start:sentence.start]
    return line_start + len(prefix) - len(prefix.lstrip()) if prefix.strip() else sentence.start


@Language.factory("replylint_lemmas")
def _make_lemmas(nlp: Language, name: str) -> LookupLemmas:
    return LookupLemmas()


@Language.factory("replylint_sentences")
def _make_sentences(nlp: Language, name: str) -> SentenceBoundaries:
    return SentenceBoundaries()


@Language.factory("replylint_signals")
def _make_signals(nlp: Language, name: str) -> SignalMatcher:
    return SignalMatcher(nlp)


class ModelNotFound(Exception):
    pass


def build_pipeline(patterns: Iterable[PatternSpec], model: str | None = None) -> Language:
    if model:
        try:
            nlp = spacy.load(model, exclude=["ner", "lemmatizer", "textcat"])
        except OSError:
            raise ModelNotFound(
                f"spaCy model '{model}' is not installed; install it yourself or drop --model (replylint never downloads one)"
            ) from None
    else:
        nlp = spacy.blank("en")
    # Replies of several megabytes are legal input; the blank tokenizer copes.
    nlp.max_length = 20_000_000
    nlp.add_pipe("replylint_sentences", first=True)
    if not model:
        nlp.add_pipe("replylint_lemmas", after="replylint_sentences")
    signals = nlp.add_pipe("replylint_signals", last=True)
    signals.add_patterns(patterns)
    return nlp


def literal_prefixes(pattern: str) -> tuple[str, ...] | None:
    """The literal strings one of which every match of ``pattern`` starts with
    (after leading anchors and lookarounds), or None when there is no such set."""
    try:
        parsed = _sre_parser.parse(pattern)
    except Exception:  # noqa: BLE001 - an unusual pattern simply gets no filter
        return None
    return _sequence_prefixes(list(parsed))


def _sequence_prefixes(items) -> tuple[str, ...] | None:
    c = _sre_constants
    i = 0
    while i < len(items) and items[i][0] in (c.AT, c.ASSERT, c.ASSERT_NOT):
        i += 1
    if i >= len(items):
        return None
    op, arg = items[i]
    if op == c.LITERAL:
        literal = ""
        while i < len(items) and items[i][0] == c.LITERAL:
            literal += chr(items[i][1])
            i += 1
        return (literal,)
    if op == c.SUBPATTERN:
        return _sequence_prefixes(list(arg[-1]))
    if op == c.BRANCH:
        out: list[str] = []
        for branch in arg[1]:
            found = _sequence_prefixes(list(branch))
            if found is None:
                return None
            out.extend(found)
        return tuple(sorted(set(out)))
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        inner = _sequence_prefixes(list(arg[2]))
        if arg[0] >= 1 or inner is None:
            return inner
        # An optional lead ("(?:the\s+)?reason"): a match starts with it or with what follows.
        rest = _sequence_prefixes(items[i + 1:])
        return None if rest is None else tuple(sorted(set(inner) | set(rest)))
    return None
