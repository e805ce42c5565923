"""The spaCy pipeline: built once per registry, reused for every reply.

A blank English pipeline (tokenizer only, no download of any kind) with two
components of ours:

- ``replylint_sentences`` sets sentence starts from sentences.py, which knows
  lists, line breaks and version numbers;
- ``replylint_signals`` runs every pattern from checks/ (PhraseMatcher for phrase
  lists, Matcher for token patterns, compiled regular expressions per sentence,
  narrowed first by prefilter.py) and stores the matches on the Doc.

With ``model=NAME`` a trained pipeline the user installed (en_core_web_sm...) is
loaded instead of the blank one, and our components are added after its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy
import spacy
from spacy.attrs import LEMMA, LOWER, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from .checkapi import Signal
from .prefilter import SentencePrefilter
from .registry import PatternSpec, fold_case, lower_pattern
from .sentences import Sentence, split_sentences

SENTENCES_KEY = "replylint_sentences"
SIGNALS_KEY = "replylint_signals"
LOWERS_KEY = "replylint_lowers"


TEXT_KEY = "replylint_text"


def doc_text(doc: Doc) -> str:
    """doc.text joins every token on each access; components share one copy."""
    text = doc.user_data.get(TEXT_KEY)
    if text is None:
        text = doc.user_data[TEXT_KEY] = doc.text
    return text


class TextKeepingTokenizer:
    """Wraps the pipeline's tokenizer and keeps the text it was given on the
    Doc, so ``doc_text`` never has to rebuild it token by token."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        doc.user_data[TEXT_KEY] = text
        return doc

    def __getattr__(self, name: str):
        return getattr(self.tokenizer, name)


class LookupLemmas:
    """Lemmas from a small table shipped in the package (replylint/data/lemmas.json,
    built by tools/build_lemma_table.py from spaCy's WordNet-derived lookups):
    the forms of the words the checks use. Other words keep their lower-case form.
    No spacy-lookups-data (100 MB) at run time."""

    def __init__(self, nlp: Language) -> None:
        path = Path(__file__).with_name("data") / "lemmas.json"
        table: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        strings = nlp.vocab.strings
        # Hash to hash, so a Doc's lemmas are set in one array write instead of
        # one Python-level assignment per token.
        self.by_hash = {strings.add(form): strings.add(lemma) for form, lemma in table.items()}
        self.table = table

    def forms_of(self, lemmas: Iterable[str]) -> frozenset[str]:
        """Every lower-case form this table gives one of ``lemmas``."""
        wanted = set(lemmas)
        return frozenset({form for form, lemma in self.table.items() if lemma in wanted}
                         | {lemma for lemma in wanted if lemma not in self.table})

    def __call__(self, doc: Doc) -> Doc:
        if len(doc):
            by_hash = self.by_hash
            lowers = doc.to_array(LOWER).tolist()
            doc.user_data[LOWERS_KEY] = lowers
            lemmas = [by_hash.get(h, h) for h in lowers]
            doc.from_array([LEMMA], numpy.array(lemmas, dtype="uint64").reshape(-1, 1))
        return doc


class SentenceBoundaries:
    def __call__(self, doc: Doc) -> Doc:
        sentences = split_sentences(doc_text(doc))
        doc.user_data[SENTENCES_KEY] = sentences
        if len(doc) and not doc.has_annotation("DEP"):
            # One array write: setting token.is_sent_start one token at a time
            # re-validates the whole Doc each time (quadratic on long replies).
            text = doc_text(doc)
            starts = {_marker_start(text, s) for s in sentences}
            flags = [1 if i in starts else -1 for i in doc.to_array("IDX").tolist()]
            flags[0] = 1
            doc.from_array([SENT_START], numpy.array(flags, dtype="int64").astype("uint64").reshape(-1, 1))
        return doc


class SignalMatcher:
    def __init__(self, nlp: Language) -> None:
        self.vocab = nlp.vocab
        self.make_doc = nlp.make_doc
        self.phrase_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.token_matcher = Matcher(nlp.vocab)
        self.regexes: list[PatternSpec] = []
        # Per token pattern, sets of lower-case forms (as hashes) it needs a
        # word of each; None when some pattern cannot be narrowed so (token_gate).
        self.token_gate: list[list[frozenset[int]]] | None = []
        self.lemma_forms = None  # set by build_pipeline when our table is the only lemmatizer
        self._prefilter: SentencePrefilter | None = None
        self._sentences_seen = 0
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
                needed = token_gate(p.data, self.lemma_forms)
                if needed is None or self.token_gate is None:
                    self.token_gate = None
                else:
                    strings = self.vocab.strings
                    self.token_gate.append([frozenset(strings.add(form) for form in forms) for forms in needed])
        self._prefilter = None

    def _token_pattern_possible(self, lowers: set[int]) -> bool:
        return any(all(not forms.isdisjoint(lowers) for forms in needed) for needed in self.token_gate)

    def _token_matches(self, doc: Doc, sentences: list[Sentence]):
        """Token-pattern matches, sentence by sentence. spaCy's Matcher walks every
        token in Python, so it only runs on the sentences that hold a word of each
        set a pattern needs (token_gate); a match never spans two sentences."""
        lowers = doc.user_data.get(LOWERS_KEY)
        if self.token_gate is None or lowers is None:
            return [(m, a, b) for m, a, b in self.token_matcher(doc)]
        if not self._token_pattern_possible(set(lowers)):
            return []
        token_starts = doc.to_array("IDX")
        matches = []
        for sentence in sentences:
            first, last = numpy.searchsorted(token_starts, (sentence.start, sentence.end))
            if last > first and self._token_pattern_possible(set(lowers[first:last])):
                matches.extend((m, first + a, first + b) for m, a, b in self.token_matcher(doc[first:last]))
        return matches

    @property
    def prefilter(self) -> SentencePrefilter:
        if self._prefilter is None:
            # Case-sensitive patterns run on the original text, but the prefilter
            # reads the folded one, so it gets their lower-cased form: whatever
            # literal a match needs, the folded sentence holds it lower-cased.
            # (Left out, they ran on every sentence: 0.2 ms a reply for two.)
            self._prefilter = SentencePrefilter([p.data if p.folded else re.compile(lower_pattern(p.data.pattern))
                                                 for p in self.regexes])
        return self._prefilter

    def _candidates(self, sentence_count: int):
        """The prefilter costs ~45 ms to set up (RE2 import and compile), more
        than scanning a few replies in full saves, so a one-reply CLI check scans
        in full; long-running use (API, editor, audit) switches to it after a
        few replies. Both give the same signals."""
        self._sentences_seen += sentence_count
        if self._prefilter is None and self._sentences_seen <= PREFILTER_AFTER_SENTENCES:
            everything = tuple(range(len(self.regexes)))
            return lambda sentence: everything
        return self.prefilter.candidates

    def __call__(self, doc: Doc) -> Doc:
        sentences: list[Sentence] = doc.user_data.get(SENTENCES_KEY) or split_sentences(doc_text(doc))
        found: list[Signal] = []
        strings = self.vocab.strings
        for matcher in (self.phrase_matcher, self.token_matcher):
            if len(matcher) == 0:
                continue
            for match_id, start, end in self._token_matches(doc, sentences) if matcher is self.token_matcher else matcher(doc):
                span = doc[start:end]
                pid = strings[match_id]
                found.append(Signal(self.labels[pid], pid, span.start_char, span.end_char, span.text))
        if self.regexes:
            text = doc_text(doc)
            folded = fold_case(text)
            regexes, candidates = self.regexes, self._candidates(len(sentences))
            for sentence in sentences:
                start, end = sentence.start, sentence.end
                chunk, low = text[start:end], folded[start:end]
                for i in candidates(low):
                    p = regexes[i]
                    for m in p.data.finditer(low if p.folded else chunk):
                        if m.end() > m.start():
                            found.append(Signal(p.label, p.id, start + m.start(), start + m.end(), chunk[m.start():m.end()]))
        doc.user_data[SIGNALS_KEY] = found
        return doc


PREFILTER_AFTER_SENTENCES = 150

_REQUIRED_OPS = (None, "+", "{1,}")


def token_gate(pattern: list[dict], lemma_forms=None) -> list[frozenset[str]] | None:
    """For a Matcher ``pattern``, sets of lower-case word forms such that any
    match holds a word of every set; None when no token says so. One set per
    required token (no ``?``, ``*`` or ``!``) that names its words by LOWER,
    ORTH/TEXT, or LEMMA when ``lemma_forms`` maps lemmas to their forms."""
    needed: list[frozenset[str]] = []
    for spec in pattern:
        if spec.get("OP") not in _REQUIRED_OPS:
            continue
        for attr, value in spec.items():
            if isinstance(value, str):
                words = [value]
            elif isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(w, str) for w in value["IN"]):
                words = value["IN"]
            else:
                continue
            if attr == "LOWER":
                needed.append(frozenset(w for w in words if w == w.lower()))  # an upper-case LOWER never matches
            elif attr in ("ORTH", "TEXT"):
                needed.append(frozenset(w.lower() for w in words))
            elif attr == "LEMMA" and lemma_forms is not None:
                needed.append(lemma_forms(words))
    return needed or None


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
    return LookupLemmas(nlp)


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
    nlp.tokenizer = TextKeepingTokenizer(nlp.tokenizer)
    nlp.add_pipe("replylint_sentences", first=True)
    # A model's own lemmatizer is excluded above; LEMMA patterns need ours either way.
    lemmas = nlp.add_pipe("replylint_lemmas", after="replylint_sentences")
    signals = nlp.add_pipe("replylint_signals", last=True)
    if not model:
        # A trained pipeline's own components may set lemmas too, so only
        # the blank one can narrow LEMMA patterns by our table's forms.
        signals.lemma_forms = lemmas.forms_of
    signals.add_patterns(patterns)
    return nlp
