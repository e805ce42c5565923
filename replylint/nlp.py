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

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from .checkapi import Signal
from .registry import PatternSpec
from .sentences import Sentence, split_sentences

SENTENCES_KEY = "replylint_sentences"
SIGNALS_KEY = "replylint_signals"


class SentenceBoundaries:
    def __call__(self, doc: Doc) -> Doc:
        sentences = split_sentences(doc.text)
        doc.user_data[SENTENCES_KEY] = sentences
        starts = {s.start for s in sentences}
        for token in doc:
            token.is_sent_start = token.i == 0 or token.idx in starts
        return doc


class SignalMatcher:
    def __init__(self, nlp: Language) -> None:
        self.vocab = nlp.vocab
        self.make_doc = nlp.make_doc
        self.phrase_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.token_matcher = Matcher(nlp.vocab)
        self.regexes: list[PatternSpec] = []
        self.labels: dict[str, str] = {}

    def add_patterns(self, patterns: Iterable[PatternSpec]) -> None:
        for p in patterns:
            self.labels[p.id] = p.label
            if p.kind == "regex":
                self.regexes.append(p)
            elif p.kind == "phrases":
                self.phrase_matcher.add(p.id, [self.make_doc(text) for text in p.data])
            else:
                self.token_matcher.add(p.id, [p.data])

    def __call__(self, doc: Doc) -> Doc:
        sentences: list[Sentence] = doc.user_data.get(SENTENCES_KEY) or split_sentences(doc.text)
        found: list[Signal] = []
        strings = self.vocab.strings
        for matcher in (self.phrase_matcher, self.token_matcher):
            if len(matcher) == 0:
                continue
            for match_id, start, end in matcher(doc):
                span = doc[start:end]
                pid = strings[match_id]
                found.append(Signal(self.labels[pid], pid, span.start_char, span.end_char, span.text))
        text = doc.text
        for sentence in sentences:
            chunk = text[sentence.start:sentence.end]
            for p in self.regexes:
                for m in p.data.finditer(chunk):
                    if m.end() > m.start():
                        found.append(Signal(p.label, p.id, sentence.start + m.start(), sentence.start + m.end(), m.group(0)))
        doc.user_data[SIGNALS_KEY] = found
        return doc


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
    signals = nlp.add_pipe("replylint_signals", last=True)
    signals.add_patterns(patterns)
    return nlp
