"""Accuracy on labelled replies: per-element precision, recall and F1.

A labelled file is JSONL, one reply per line: ``id``, ``text``, ``format`` (text,
markdown, html, eml), ``kind`` and ``elements`` (the PROTOCOL.md keys). For the
two nullable elements (``request_justified``, ``requests_batched``) a reply counts
only where the gold label is not null, and a predicted null counts as false.
Macro-F1 is the unweighted mean of the element F1 scores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine import Engine, Result
from .inputs import Source


class CorpusError(Exception):
    pass


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if not self.fn else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else (1.0 if not self.fp else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Report:
    elements: dict[str, Counts]
    kind_correct: int = 0
    total: int = 0
    mismatches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        return sum(c.f1 for c in self.elements.values()) / len(self.elements) if self.elements else 0.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_correct / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "replies": self.total,
            "macro_f1": round(self.macro_f1, 4),
            "kind_accuracy": round(self.kind_accuracy, 4),
            "elements": {
                k: {"precision": round(c.precision, 4), "recall": round(c.recall, 4), "f1": round(c.f1, 4),
                    "support": c.support, "tp": c.tp, "fp": c.fp, "fn": c.fn, "tn": c.tn}
                for k, c in self.elements.items()
            },
        }

    def table(self) -> str:
        lines = [f"{'element':<20} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}"]
        for k, c in self.elements.items():
            lines.append(f"{k:<20} {c.precision:>9.3f} {c.recall:>7.3f} {c.f1:>6.3f} {c.support:>8}")
        lines.append(f"{'macro-F1':<20} {'':>9} {'':>7} {self.macro_f1:>6.3f} {self.total:>8}")
        lines.append(f"{'kind accuracy':<20} {'':>9} {'':>7} {self.kind_accuracy:>6.3f} {self.total:>8}")
        return "\n".join(lines)


def read_labelled(path: Path) -> Iterator[dict[str, Any]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{lineno}: not valid JSON ({exc.msg}); every line must be one JSON object") from None
            for key in ("text", "elements"):
                if key not in record:
                    raise CorpusError(f"{path}:{lineno}: record has no '{key}'")
            record.setdefault("id", f"{path.name}:{lineno}")
            yield record


def evaluate(engine: Engine, records: list[dict[str, Any]]) -> Report:
    keys = engine.registry.element_keys()
    report = Report({k: Counts() for k in keys})
    sources = [Source(name=str(r["id"]), text=r["text"], format=_format(r.get("format"))) for r in records]
    for record, result in zip(records, engine.check_sources(sources)):
        report.total += 1
        predicted = result.elements if result.error is None else {}
        gold = record["elements"]
        wrong = {}
        for k in keys:
            g = gold.get(k)
            if g is None:
                continue
            p = bool(predicted.get(k))
            c = report.elements[k]
            if g and p:
                c.tp += 1
            elif g and not p:
                c.fn += 1
                wrong[k] = "missed"
            elif p:
                c.fp += 1
                wrong[k] = "false alarm"
            else:
                c.tn += 1
        if record.get("kind") and result.kind == record["kind"]:
            report.kind_correct += 1
        elif record.get("kind"):
            wrong["kind"] = f"{result.kind} (gold {record['kind']})"
        if wrong:
            report.mismatches.append({"id": record["id"], "wrong": wrong, "result": result})
    return report


def _format(value: Any) -> str:
    return {"html": "html", "eml": "eml", "markdown": "markdown"}.get(str(value), "text")


def explain_mismatch(item: dict[str, Any]) -> str:
    result: Result = item["result"]
    out = [f"== {item['id']}: " + ", ".join(f"{k} {v}" for k, v in item["wrong"].items())]
    for s in result.sentences:
        labels = sorted({sig.label for sig in s.signals})
        out.append(f"   [{s.index}] {s.text[:160]!r} {labels}")
    for k in item["wrong"]:
        d = result.detections.get(k)
        if d is not None and d.evidence:
            out.append(f"   {k}: " + "; ".join(f"[{e.sentence}] {e.reason}" for e in d.evidence[:3]))
        if k in result.revised:
            out.append(f"   {k}: set by the trained reply model, not by a sentence")
    return "\n".join(out)
