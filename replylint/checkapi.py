"""What check code (checks/**/detect.py, rule.py) may use from the engine.

Detectors get a ``DetectContext`` and return a ``Detection``; rules get a
``RuleContext`` and yield ``Hit``s. Both contexts are read-only views of one
parsed reply: check code does no I/O and keeps no state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Signal:
    """One pattern match: which pattern, its label, where (offsets in the analysed text)."""

    label: str
    pattern: str
    start: int
    end: int
    text: str

    def overlaps_any(self, others) -> bool:
        """True when this match shares a character with one of ``others``."""
        return any(o.start < self.end and self.start < o.end for o in others)


@dataclass(frozen=True, slots=True)
class SentenceView:
    index: int
    start: int
    end: int
    text: str
    paragraph: int
    list_item: int | None
    list_id: int | None
    lead_in: bool
    signals: tuple[Signal, ...]
    # Detectors ask has()/matches() hundreds of times per reply, mostly for
    # labels the sentence does not carry: one set test answers those.
    labels: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", frozenset(s.label for s in self.signals))

    def has(self, *labels: str) -> bool:
        return not self.labels.isdisjoint(labels)

    def matches(self, *labels: str) -> tuple[Signal, ...]:
        if self.labels.isdisjoint(labels):
            return ()
        return tuple(s for s in self.signals if s.label in labels)

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")

    def governed_by(self, signal: Signal, labels: tuple[str, ...], window: int = 60) -> bool:
        """True when a signal with one of ``labels`` starts before ``signal`` in the
        same clause (no , ; : between them) and at most ``window`` characters before."""
        for other in self.signals:
            if other.label not in labels or other.start > signal.start or other is signal:
                continue
            if signal.start - other.start > window:
                continue
            between = self.text[other.end - self.start:signal.start - self.start]
            if not any(c in between for c in ",;:()"):
                return True
        return False

    @property
    def block(self) -> tuple[str, int]:
        """The unit requests are batched in: a list, or else a paragraph."""
        return ("list", self.list_id) if self.list_id is not None else ("paragraph", self.paragraph)


@dataclass(frozen=True, slots=True)
class Evidence:
    sentence: int
    reason: str


@dataclass(frozen=True, slots=True)
class Detection:
    value: bool | None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class DetectContext:
    sentences: tuple[SentenceView, ...]
    elements: Mapping[str, Detection]
    options: Mapping[str, Any]

    def value(self, key: str) -> bool | None:
        d = self.elements.get(key)
        return d.value if d else None

    def evidence_indexes(self, key: str) -> frozenset[int]:
        """The indexes of the sentences element ``key``'s detector cited (its
        detector must have run: elements are detected in registry order)."""
        return frozenset(e.sentence for e in self.elements[key].evidence)

    def evidence_sentences(self, key: str) -> tuple[SentenceView, ...]:
        d = self.elements.get(key)
        if not d:
            return ()
        idx = sorted({e.sentence for e in d.evidence})
        return tuple(self.sentences[i] for i in idx)


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule's finding before the engine adds severity, message and position.

    ``start``/``end`` are offsets in the analysed text, or None for the whole reply.
    ``data`` fills the rule's message and its fix template."""

    start: int | None = None
    end: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    severity: str | None = None  # overrides the rule's default severity for this hit


@dataclass(frozen=True, slots=True)
class Metrics:
    sentences: int
    words: int
    syllables: int
    flesch_reading_ease: float
    flesch_kincaid_grade: float
    sentence_words: tuple[tuple[int, int], ...]  # (sentence index, word count)


@dataclass(frozen=True, slots=True)
class RuleContext:
    kind: str
    elements: Mapping[str, bool | None]
    detections: Mapping[str, Detection]
    sentences: tuple[SentenceView, ...]
    options: Mapping[str, Any]
    metrics: Metrics | None
    facts: Mapping[str, Any]
    text: str = ""  # the analysed text, unmasked (quotes and code included)

    def evidence_sentences(self, key: str) -> tuple[SentenceView, ...]:
        d = self.detections.get(key)
        if not d:
            return ()
        idx = sorted({e.sentence for e in d.evidence})
        return tuple(self.sentences[i] for i in idx)

    def hit(self, sentence: SentenceView | None = None, severity: str | None = None, **data: Any) -> Hit:
        if sentence is None:
            return Hit(None, None, data, severity)
        return Hit(sentence.start, sentence.end, data, severity)

    def span_hit(self, start: int, end: int, severity: str | None = None, **data: Any) -> Hit:
        return Hit(start, end, data, severity)
