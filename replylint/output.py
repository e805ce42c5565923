"""Output formats: text (ruff style), json, jsonl, sarif (2.1.0), github annotations."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

import click

from . import __version__
from .engine import Result
from .registry import Registry

_SEVERITY_COLOUR = {"error": "red", "warning": "yellow", "info": "blue"}
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _artifact_uri(name: str) -> str:
    """SARIF wants a URI: an absolute path as file:///..., a relative one as a
    percent-encoded reference ("a,b 100%.txt" -> "a%2Cb%20100%25.txt")."""
    path = Path(name)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


def rule_doc_uri(registry: Registry, rule_id: str) -> str:
    """Where a rule's documentation lives: its rule.toml in the installed check
    folder (a file URI an editor or SARIF viewer can open; no web site needed)."""
    spec = registry.rule(rule_id)
    return (spec.folder / "rule.toml").resolve().as_uri() if spec is not None else ""


def render_text(results: Sequence[Result], colour: bool, show_summary: bool = True) -> str:
    out: list[str] = []

    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if colour else text

    total = errors = 0
    for r in results:
        if r.error is not None:
            errors += 1
            out.append(style(f"{r.source}: error: ", fg="red", bold=True) + r.error)
            continue
        for f in r.findings:
            total += 1
            where = style(f"{r.source}:{f.line}:{f.column}:", bold=True)
            rule = style(f.rule, fg=_SEVERITY_COLOUR.get(f.severity, "white"), bold=True)
            out.append(f"{where} {rule} [{f.severity}] {f.message}")
            if f.suggestion and f.fix_title:
                safety = "" if f.fix_safety == "safe" else " (unsafe)"
                out.append(style(f"  help: {f.fix_title}{safety}", fg="cyan"))
        if show_summary:
            has = [k for k, v in r.elements.items() if v]
            lacks = [k for k, v in r.elements.items() if v is False]
            score = style(f"{r.score}/100", fg="green" if (r.score or 0) >= 80 else "yellow" if (r.score or 0) >= 50 else "red", bold=True)
            out.append(f"{style(r.source, bold=True)}: {r.kind}, score {score}")
            out.append(f"  has:   {', '.join(has) or '-'}")
            out.append(f"  lacks: {', '.join(lacks) or '-'}")
    replies = len(results) - errors
    tail = f"Found {total} finding{'s' if total != 1 else ''} in {replies} repl{'ies' if replies != 1 else 'y'}"
    if errors:
        tail += f"; {errors} input{'s' if errors != 1 else ''} could not be checked"
    out.append(style(tail + ".", bold=True) if total or errors else style("All checks passed!" if replies else tail + ".", fg="green", bold=True))
    return "\n".join(out)


def render_json(results: Sequence[Result], single: bool) -> str:
    data = [r.to_dict() for r in results]
    return json.dumps(data[0] if single and len(data) == 1 else data, indent=2, ensure_ascii=False)


def render_jsonl(results: Iterable[Result]) -> str:
    return "\n".join(json.dumps(r.to_dict(), ensure_ascii=False) for r in results)


def render_github(results: Sequence[Result]) -> str:
    lines = []
    for r in results:
        if r.error is not None:
            lines.append(f"::error file={_gh_prop(r.source)},title=replylint::{_gh_data(r.error)}")
            continue
        for f in r.findings:
            level = {"error": "error", "warning": "warning", "info": "notice"}[f.severity]
            lines.append(
                f"::{level} file={_gh_prop(r.source)},line={f.line},col={f.column},endLine={f.end_line},"
                f"endColumn={f.end_column},title={_gh_prop(f.rule)}::{_gh_data(f.message)}"
            )
    return "\n".join(lines)


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_sarif(results: Sequence[Result], registry: Registry) -> str:
    rules = []
    index = {}
    for i, spec in enumerate(registry.rules.values()):
        index[spec.id] = i
        rules.append({
            "id": spec.id,
            "name": "".join(part.title() for part in spec.id.split("-")),
            "shortDescription": {"text": spec.summary},
            "fullDescription": {"text": spec.doc.strip()},
            "help": {"text": spec.doc.strip(), "markdown": spec.doc.strip()},
            "helpUri": rule_doc_uri(registry, spec.id),
            "defaultConfiguration": {"level": _SARIF_LEVEL[spec.severity]},
        })
    sarif_results = []
    notifications = []
    for r in results:
        if r.error is not None:
            notifications.append({"level": "error", "message": {"text": r.error},
                                  "locations": [{"physicalLocation": {"artifactLocation": {"uri": _artifact_uri(r.source)}}}]})
            continue
        for f in r.findings:
            item = {
                "ruleId": f.rule,
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": _artifact_uri(r.source)},
                    "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line, "endColumn": f.end_column},
                }}],
                "properties": {"kind": r.kind, "score": r.score},
            }
            if f.rule in index:
                item["ruleIndex"] = index[f.rule]
            if f.suggestion:
                # SARIF fixes need concrete replacements; the suggestion text is
                # advice, so it travels as a property.
                item["properties"]["suggestion"] = f.suggestion
            sarif_results.append(item)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "replylint", "version": __version__,
                                "informationUri": "https://github.com/replylint/replylint", "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": sarif_results,
            "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
