"""The engine: one parsed reply in, elements, kind, findings and score out.

Nothing here knows the protocol's wording: elements, kinds, rules and their
messages all come from the check folders through the ``Registry``.
"""

from __future__ import annotations

import bisect
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .checkapi import DetectContext, Detection, Hit, RuleContext, SentenceView, Signal
from .config import Settings
from .inputs import InputError, Source, read_path, source_from_text, to_plain
from .nlp import SENTENCES_KEY, SIGNALS_KEY, build_pipeline
from .readability import compute_metrics
from .registry import Registry, RuleSpec, load
from .segment import MailConventions, Segmented, SuppressionComment, segment
from .text import LineIndex, MappedText

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
SUPPRESSION_RULE = "unused-suppression"


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    suggestion: str | None = None
    fix_title: str | None = None
    fix_safety: str | None = None
    start: int | None = None  # offsets into the original input; None: whole reply
    end: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "suggestion": self.suggestion,
        }
        if self.fix_title:
            out["fix"] = {"title": self.fix_title, "safety": self.fix_safety}
        return out


@dataclass(frozen=True)
class ParsedReply:
    source: Source
    plain: MappedText
    segmented: Segmented
    lines: LineIndex


@dataclass(frozen=True)
class Result:
    source: str
    kind: str | None = None
    score: int | None = None
    elements: Mapping[str, bool | None] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    detections: Mapping[str, Detection] = field(default_factory=dict)
    sentences: tuple[SentenceView, ...] = ()
    reply: ParsedReply | None = None
    suppressed: int = 0
    revised: tuple[str, ...] = ()  # elements whose value the trained reply model set, not a detector

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"source": self.source, "error": self.error}
        return {
            "source": self.source,
            "kind": self.kind,
            "score": self.score,
            "elements": dict(self.elements),
            "findings": [f.to_dict() for f in self.findings],
            # Elements whose value a trained model set against its detector (a key
            # added to the protocol's contract, which allows additions).
            "revised_elements": list(self.revised),
        }


def compile_conventions(registry: Registry) -> MailConventions:
    lex = registry.lexicons
    mail = registry.mail

    def alternation(name: str) -> str:
        words = sorted(lex.get(name, ()), key=len, reverse=True)
        return "|".join(r"\s+".join(map(re.escape, w.split())) for w in words) or r"(?!x)x"

    greet = alternation("greetings")
    signoff = alternation("signoffs")
    return MailConventions(
        greeting=re.compile(rf"^\s*(?:{greet})\b[^\n.!?]{{0,60}}[,!:.]?\s*$", re.IGNORECASE),
        greeting_prefix=re.compile(rf"^\s*(?:{greet})(?:\s+[@\w.'\-]{{1,30}}){{0,3}}\s*[,!:]\s*", re.IGNORECASE),
        signoff=re.compile(rf"^\s*(?:{signoff})(?:[\s,.!]*$|,\s*[A-Z][\w.\- ]{{0,40}}$)", re.IGNORECASE),
        quote_header=re.compile(mail.get("quote_header", r"(?!x)x"), re.IGNORECASE),
        quote_start=re.compile(mail.get("quote_start", r"(?!x)x"), re.IGNORECASE),
        top_marker=re.compile(mail.get("top_marker", r"(?!x)x"), re.IGNORECASE),
        comment_date=re.compile(mail.get("comment_date", r"(?!x)x"), re.IGNORECASE),
        notice_line=re.compile(mail.get("notice_line", r"(?!x)x"), re.IGNORECASE),
        signature_detail=re.compile(mail.get("signature_detail", r"(?!x)x"), re.IGNORECASE),
        heading_words=frozenset(w.lower() for w in mail.get("heading_words", ())),
    )


class Engine:
    """Holds what is expensive to build (registry, spaCy pipeline) and nothing
    that changes between replies."""

    def __init__(self, settings: Settings | None = None, registry: Registry | None = None) -> None:
        self.settings = settings or Settings()
        self.registry = registry or load(self.settings.check_folders, self.settings.lexicons)
        self.conventions = compile_conventions(self.registry)
        self.nlp = build_pipeline(self.registry.patterns, self.settings.model)
        self._fixer = None

    # -- inputs -------------------------------------------------------------
    def parse(self, source: Source) -> ParsedReply:
        plain = to_plain(source)
        return ParsedReply(source, plain, segment(plain.text, self.conventions), LineIndex(source.text))

    def check_text(self, text: str, name: str = "<string>", fmt: str | None = None) -> Result:
        return self.check_source(source_from_text(text, name, fmt))

    def check_source(self, source: Source) -> Result:
        return next(iter(self.check_sources([source])))

    def check_paths(self, paths: Iterable[str]) -> Iterator[Result]:
        def sources() -> Iterator[Source | Result]:
            for path in paths:
                try:
                    yield read_path(path, max_bytes=self.settings.max_bytes)
                except InputError as exc:
                    yield Result(source=str(path), error=str(exc))

        return self.check_sources(sources())

    def check_sources(self, items: Iterable[Source | Result]) -> Iterator[Result]:
        """Check many replies, tokenising them in one ``nlp.pipe`` stream; items
        that are already error results pass through in order."""
        pending: deque[Source | Result] = deque()
        parsed: deque[ParsedReply] = deque()

        def texts() -> Iterator[str]:
            for item in items:
                if isinstance(item, Result):
                    pending.append(item)
                    continue
                try:
                    reply = self.parse(item)
                except Exception as exc:  # noqa: BLE001 - one bad input never stops the rest
                    pending.append(Result(source=item.name, error=f"{item.name}: cannot be parsed ({type(exc).__name__}: {exc})"))
                    continue
                pending.append(item)
                parsed.append(reply)
                yield reply.segmented.text

        doc_iter = self.nlp.pipe(texts(), batch_size=64)
        for doc in doc_iter:
            reply = parsed.popleft()
            while pending and isinstance(pending[0], Result):
                yield pending.popleft()
            pending.popleft()
            try:
                yield self._evaluate(reply, doc)
            except Exception as exc:  # noqa: BLE001 - a bug in one check must not lose the other replies
                yield Result(source=reply.source.name,
                             error=f"{reply.source.name}: internal error while checking ({type(exc).__name__}: {exc}); please report it")
        while pending:
            item = pending.popleft()
            if isinstance(item, Result):
                yield item

    # -- analysis -----------------------------------------------------------
    def _evaluate(self, reply: ParsedReply, doc) -> Result:
        sentences = _sentence_views(doc.user_data.get(SENTENCES_KEY, []), doc.user_data.get(SIGNALS_KEY, []))
        detections = self.detect(sentences)
        kind, revised = self.registry.judge_reply(DetectContext(sentences, detections, {}))
        if revised:
            # A revised element keeps no evidence: the detector's sentences argued
            # for the value the model overruled ("request without a reason").
            detections = {key: Detection(revised[key]) if key in revised else d for key, d in detections.items()}
        elements = {key: d.value for key, d in detections.items()}
        metrics = compute_metrics(sentences) if self._rule_active("readability") else None
        ctx_base = {"kind": kind, "elements": elements, "detections": detections, "sentences": sentences, "metrics": metrics,
                    "facts": _facts(reply, sentences, detections), "text": reply.plain.text}
        findings: list[Finding] = []
        for spec in self.registry.rules.values():
            if not self._rule_active(spec.id) or (spec.kinds and kind not in spec.kinds):
                continue
            ctx = RuleContext(options=self._rule_options(spec), **ctx_base)
            for hit in spec.check(ctx) or ():
                findings.append(self._finding(spec, hit, reply, ctx))
        findings, unused = apply_suppressions(findings, reply)
        kept = [f for f in findings if f is not None]
        suppressed = len(findings) - len(kept)
        unused_spec = self.registry.rules.get(SUPPRESSION_RULE)
        if unused_spec and self._rule_active(SUPPRESSION_RULE):
            for comment in unused:
                # A misspelt rule id is the likeliest reason a comment suppresses
                # nothing; "remove it" would be the wrong advice then.
                unknown = [r for r in comment.rules if r not in self.registry.rules]
                options = self._rule_options(unused_spec)
                advice = (options["unknown-rule-advice"].format(ids=", ".join(repr(r) for r in unknown)) if unknown
                          else options["advice"])
                hit = Hit(None, None, {"rules": ", ".join(comment.rules) or "all rules", "advice": advice})
                span = (reply.plain.to_original(comment.start), reply.plain.to_original(comment.end - 1) + 1)
                kept.append(self._finding(unused_spec, hit, reply, None, original_span=span))
        kept.sort(key=lambda f: (f.line, f.column, f.rule))
        return Result(
            source=reply.source.name,
            kind=kind,
            score=score(kept, self.settings.penalties),
            elements={k: elements[k] for k in self.registry.element_keys()},
            findings=tuple(kept),
            detections=detections,
            sentences=sentences,
            reply=reply,
            suppressed=suppressed,
            revised=tuple(revised),
        )

    def detect(self, sentences: tuple[SentenceView, ...]) -> dict[str, Detection]:
        detections: dict[str, Detection] = {}
        for spec in self.registry.elements:
            ctx = DetectContext(sentences, detections, self.settings.element_options.get(spec.key, {}))
            result = spec.detect(ctx)
            if not isinstance(result, Detection):
                result = Detection(bool(result))
            detections[spec.key] = result
        return detections

    def _rule_active(self, rule_id: str) -> bool:
        return rule_id in self.registry.rules and self.settings.selects(rule_id)

    def _rule_options(self, spec: RuleSpec) -> Mapping[str, Any]:
        return {**spec.options, **self.settings.rule_options.get(spec.id, {})}

    def _finding(self, spec: RuleSpec, hit: Hit, reply: ParsedReply, ctx: RuleContext | None,
                 original_span: tuple[int, int] | None = None) -> Finding:
        severity = self.settings.severity.get(spec.id) or hit.severity or spec.severity
        data = dict(hit.data)
        try:
            message = spec.message.format(**data)
        except (KeyError, IndexError, ValueError):
            message = spec.message
        if original_span is not None:
            start, end = original_span
        elif hit.start is None:
            start = end = None
        else:
            start = reply.plain.to_original(hit.start)
            end = reply.plain.to_original(max(hit.start, (hit.end or hit.start) - 1)) + 1
        if start is None:
            line, col = 1, 1
            end_line, end_col = reply.lines.end_position()
        else:
            line, col = reply.lines.position(start)
            end_line, end_col = reply.lines.position(end)
        suggestion = None
        if spec.fix is not None and ctx is not None:
            suggestion = self.fixer.suggest(spec, hit, ctx, reply)
        elif spec.fix is not None:
            # Engine-made findings (unused suppressions) have no rule context.
            suggestion = self.fixer.render(spec.fix.template, {"data": data, "facts": {}, "span": "", "kind": None, "elements": {}})
        return Finding(
            rule=spec.id, severity=severity, message=message, line=line, column=col, end_line=end_line,
            end_column=end_col, suggestion=suggestion, fix_title=spec.fix.title if spec.fix else None,
            fix_safety=spec.fix.safety if spec.fix else None, start=start, end=end, data=data,
        )

    @property
    def fixer(self):
        if self._fixer is None:
            from .fixes import Fixer  # Jinja is imported only when a fix is rendered

            self._fixer = Fixer(self.settings.template_folders)
        return self._fixer


def _sentence_views(sentences, signals: list[Signal]) -> tuple[SentenceView, ...]:
    starts = [s.start for s in sentences]
    buckets: list[list[Signal]] = [[] for _ in sentences]
    for sig in signals:
        i = bisect.bisect_right(starts, sig.start) - 1
        if 0 <= i < len(sentences) and sig.start < sentences[i].end:
            buckets[i].append(sig)
    return tuple(
        SentenceView(i, s.start, s.end, s.text, s.paragraph, s.list_item, s.list_id, s.lead_in, tuple(buckets[i]))
        for i, s in enumerate(sentences)
    )


_GREETING_NAME = re.compile(r"^\s*(?:hi|hello|hey|dear|good\s+\w+)[ ,]+(?:mr\.?\s+|ms\.?\s+|mrs\.?\s+|dr\.?\s+)?@?([A-Z][\w'\-]+)", re.IGNORECASE)


def _facts(reply: ParsedReply, sentences, detections) -> dict[str, Any]:
    """What a fix template may quote from the reply itself."""
    text = reply.plain.text
    facts: dict[str, Any] = {}
    for region in reply.segmented.regions:
        if region.kind == "greeting":
            m = _GREETING_NAME.match(text[region.start:region.end + 40])
            if m:
                facts["customer_name"] = m.group(1)
            break
    for s in sentences:
        for sig in s.signals:
            if sig.label.startswith("fact:"):
                facts.setdefault(sig.label[5:], sig.text.strip())
    return facts


def apply_suppressions(findings: list[Finding], reply: ParsedReply) -> tuple[list[Finding | None], list[SuppressionComment]]:
    """Drop findings covered by ``<!-- replylint: ignore|disable|enable -->``
    comments; return the findings (None where suppressed) and unused comments."""
    comments = reply.segmented.suppressions
    if not comments:
        return list(findings), []
    text = reply.plain.text
    ranges: list[tuple[SuppressionComment, int, int]] = []
    for i, c in enumerate(comments):
        if c.action == "ignore":
            ranges.append((c, c.end, _next_paragraph_end(text, c.end)))
        elif c.action == "disable":
            end = len(text)
            for later in comments[i + 1:]:
                if later.action == "enable" and (not later.rules or not c.rules or set(c.rules) & set(later.rules)):
                    end = later.start
                    break
            ranges.append((c, c.end, end))
    used: set[int] = set()
    out: list[Finding | None] = []
    for f in findings:
        hit = None
        for c, lo, hi in ranges:
            if c.rules and f.rule not in c.rules:
                continue
            plain_start = reply.plain.from_original(f.start) if f.start is not None else None
            if plain_start is None or lo <= plain_start < hi:
                hit = c
                break
        if hit is None:
            out.append(f)
        else:
            used.add(id(hit))
            out.append(None)
    unused = [c for c, _, _ in ranges if id(c) not in used]
    return out, unused


def _next_paragraph_end(text: str, start: int) -> int:
    m = re.search(r"\S", text[start:])
    if not m:
        return len(text)
    para_start = start + m.start()
    blank = re.search(r"\n[ \t\r]*\n", text[para_start:])
    return para_start + blank.start() if blank else len(text)


def score(findings: Iterable[Finding], penalties: Mapping[str, int]) -> int:
    total = 100
    for f in findings:
        total -= penalties.get(f.severity, 0)
    return max(0, total)


def meets_level(severity: str, level: str) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[level]
