"""Fixes: suggestions rendered from Jinja templates, and edits that apply them.

A fixable rule names, in its rule.toml ``[fix]`` table, a template (in templates/,
or an organisation's template folder searched first), a safety (``safe`` fixes
are applied by ``replylint fix``; ``unsafe`` ones need ``--unsafe-fixes``) and an
action saying where the rendered text goes:

- ``replace``             replace the finding's span;
- ``append-to-sentence``  insert before the sentence's final punctuation;
- ``insert-after``        insert after the finding's sentence;
- ``insert-section``      a new paragraph at ``anchor``: ``after-greeting``,
                          ``before-signoff`` or ``after-span`` (after the
                          paragraph of the finding's span);
- ``delete``              remove the span;
- ``gather``              replace the first of ``data["spans"]`` with the
                          rendered text and delete the others.

Templates run in Jinja's SandboxedEnvironment with StrictUndefined: reply text is
untrusted, and a template that uses a missing variable fails loudly. A broken
template is reported (file, line, variable) and only its own fix is dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checkapi import Hit, RuleContext
from .htmltext import BLOCK_TAGS, VOID_TAGS
from .registry import RuleSpec, bundled_dir


@dataclass(frozen=True)
class Edit:
    start: int  # offsets in the original input
    end: int
    text: str
    rule: str
    safety: str
    replaced: str = ""  # the text the edit removed (filled in when applied)


@dataclass
class TemplateProblem:
    template: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.template}:{self.line}" if self.line else self.template
        return f"{where}: {self.message}"


@dataclass
class Fixer:
    """Renders fix templates. Holds the Jinja environments (built once)."""

    template_folders: tuple[Path, ...] = ()
    problems: list[TemplateProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        folders = [str(p) for p in self.template_folders] + [str(bundled_dir("templates"))]
        loader = ChoiceLoader([FileSystemLoader(f) for f in folders])
        # Output is plain text (or escaped below for HTML replies), never markup
        # built from reply text: autoescape stays off and HTML is escaped by us.
        # auto_reload off: templates are read once per process, not stat()ed per finding.
        self.env = SandboxedEnvironment(loader=loader, undefined=StrictUndefined, autoescape=False,
                                        keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True,
                                        auto_reload=False)

    def render(self, name: str, variables: dict[str, Any]) -> str | None:
        from jinja2 import (
            TemplateError,
            TemplateNotFound,
            TemplateSyntaxError,
            UndefinedError,
        )

        template_name = name if name.endswith(".j2") else f"{name}.j2"
        try:
            template = self.env.get_template(template_name)
            return template.render(**variables).strip()
        except TemplateNotFound:
            self._problem(template_name, None, "template not found in " + ", ".join(map(str, self.search_path())))
        except TemplateSyntaxError as exc:
            self._problem(exc.filename or template_name, exc.lineno, f"syntax error: {exc.message}")
        except UndefinedError as exc:
            self._problem(template_name, _error_line(exc, template_name), f"undefined variable: {exc.message}")
        except TemplateError as exc:
            self._problem(template_name, _error_line(exc, template_name), str(exc))
        return None

    def search_path(self) -> list[Path]:
        return [*self.template_folders, bundled_dir("templates")]

    def _problem(self, template: str, line: int | None, message: str) -> None:
        problem = TemplateProblem(template, line, message)
        if not any(str(p) == str(problem) for p in self.problems):
            self.problems.append(problem)

    def suggest(self, spec: RuleSpec, hit: Hit, ctx: RuleContext, reply) -> str | None:
        assert spec.fix is not None
        return self.render(spec.fix.template, template_variables(hit, ctx, reply))

    def list_scaffolds(self) -> list[str]:
        names: set[str] = set()
        for folder in self.search_path():
            for p in (Path(folder) / "scaffolds").glob("*.j2"):
                names.add(p.name[: -len(".j2")].split(".")[0])
        return sorted(names)


def _error_line(exc: Exception, template_name: str) -> int | None:
    """Jinja puts the template line in the traceback; find it."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(template_name):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def template_variables(hit: Hit, ctx: RuleContext, reply) -> dict[str, Any]:
    """What a template may use: the hit's data (a rule passes what its fix needs,
    e.g. the requests to gather), facts the reply states, the finding's text."""
    text = reply.plain.text
    span_text = text[hit.start:hit.end] if hit.start is not None else ""
    return {
        "data": dict(hit.data),
        "facts": dict(ctx.facts),
        "span": span_text,
        "kind": ctx.kind,
        "elements": dict(ctx.elements),
    }


# -- planning and applying edits ----------------------------------------------

def plan_edits(result, engine, unsafe: bool) -> list[Edit]:
    """Edits for the fixable findings of one checked reply."""
    reply = result.reply
    if reply is None or reply.source.format == "eml":
        return []  # transfer-encoded mail bodies do not map back exactly
    edits: list[Edit] = []
    for f in result.findings:
        spec = engine.registry.rule(f.rule)
        if spec is None or spec.fix is None or f.suggestion is None:
            continue
        if spec.fix.safety == "unsafe" and not unsafe:
            continue
        edits.extend(_edits_for(spec, f, reply))
    return edits


def _edits_for(spec: RuleSpec, finding, reply) -> list[Edit]:
    fix = spec.fix
    assert fix is not None
    source = reply.source
    original = source.text
    is_html = source.format == "html"
    newline = "\r\n" if "\r\n" in original else "\n"
    body = finding.suggestion
    if is_html:
        body_html = html.escape(body).replace("\n", "<br>" + newline)
    action = fix.action
    rule, safety = spec.id, fix.safety

    def edit(start: int, end: int, text: str) -> Edit:
        return Edit(start, end, text, rule, safety)

    if action == "insert-section":
        if is_html:
            return [_html_section(fix.anchor, finding, reply, body_html, newline, edit)]
        pos = _anchor(fix.anchor, finding, reply)
        block = body.replace("\n", newline)
        before, after = original[:pos], original[pos:]
        # One blank line on each side of the new paragraph, counting the line
        # breaks already there.
        if not before.strip():
            lead = ""
        else:
            lead = newline * (2 - min(2, _trailing_breaks(before, newline)))
        if not after.strip():
            tail = newline
        else:
            tail = newline * (2 - min(2, _leading_breaks(after, newline)))
        return [edit(pos, pos, lead + block + tail)]
    if finding.start is None:
        return []
    start, end = finding.start, finding.end
    if is_html and "<" in original[start:end]:
        return []  # the span crosses markup; a text edit could break the HTML
    # A gathered list spans lines; its breaks must match the file's.
    text = body_html if is_html else body.replace("\n", newline)
    if action == "replace":
        return [edit(start, end, text)]
    if action == "append-to-sentence":
        pos = end
        while pos > start and original[pos - 1] in ".?!:":
            pos -= 1
        return [edit(pos, pos, " " + text)]
    if action == "insert-after":
        return [edit(end, end, " " + text)]
    if action == "delete":
        tail = end
        while tail < len(original) and original[tail] in " \t":
            tail += 1
        if original[tail:tail + len(newline)] == newline and (start == 0 or original[start - 1] in "\n"):
            tail += len(newline)
        return [edit(start, tail, "")]
    if action == "gather":
        spans = finding.data.get("spans") or []
        if not spans:
            return []
        mapped = [(reply.plain.to_original(a), reply.plain.to_original(max(a, b - 1)) + 1) for a, b in spans]
        first = mapped[0]
        out = [edit(first[0], first[1], text)]
        for a, b in mapped[1:]:
            out.append(edit(*_whole_lines(original, a, b)))
        return out
    return []


def _trailing_breaks(text: str, newline: str) -> int:
    count = 0
    while text.endswith(newline * (count + 1)):
        count += 1
    return count


def _leading_breaks(text: str, newline: str) -> int:
    count = 0
    while text.startswith(newline * (count + 1)):
        count += 1
    return count


def _whole_lines(text: str, start: int, end: int) -> tuple[int, int, str]:
    """A removed span that fills its lines takes their line breaks (and one blank
    line after) with it, so gathering requests leaves no holes."""
    line_start = _line_start(text, start)
    rest = text[end:]
    stripped = rest.lstrip(" \t")
    if text[line_start:start].strip() or not (stripped.startswith(("\n", "\r\n")) or not stripped):
        return start, end, ""
    stop = end + (len(rest) - len(stripped))
    for _ in range(2):
        if text.startswith("\r\n", stop):
            stop += 2
        elif text.startswith("\n", stop):
            stop += 1
        if text[stop:stop + 1] not in ("\n", "\r") or _line_start(text, start) == 0:
            break
    return line_start, stop, ""


def _anchor(anchor: str, finding, reply) -> int:
    regions = reply.segmented.regions
    original_len = len(reply.source.text)
    to_orig = reply.plain.to_original
    if anchor == "after-greeting":
        for r in regions:
            if r.kind == "greeting":
                pos = to_orig(max(r.start, r.end - 1)) + 1
                return _line_end(reply.source.text, pos)
        return _first_prose(reply)
    if anchor == "after-span" and finding.end is not None:
        return _paragraph_end(reply.source.text, finding.end)
    # before-signoff: before the sign-off, else after the last prose line.
    for r in regions:
        if r.kind == "signoff":
            return _line_start(reply.source.text, to_orig(r.start))
    quote = next((r for r in regions if r.kind == "quote" and _only_quotes_after(reply, r.start)), None)
    if quote is not None:
        return _line_start(reply.source.text, to_orig(quote.start))
    return original_len


def _only_quotes_after(reply, start: int) -> bool:
    masked = reply.segmented.text
    return not masked[start:].strip()


def _first_prose(reply) -> int:
    masked = reply.segmented.text
    m = re.search(r"\S", masked)
    return _line_start(reply.source.text, reply.plain.to_original(m.start())) if m else 0


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl + 1


def _paragraph_end(text: str, pos: int) -> int:
    m = re.search(r"\r?\n[ \t]*\r?\n", text[pos:])
    return pos + m.start() if m else len(text.rstrip("\r\n"))


# -- new paragraphs in HTML ----------------------------------------------------
# HTML has no blank lines to find paragraphs by, and a whole reply is often one
# line, so its anchors are found in the plain text (where blocks and <br><br>
# are paragraph breaks) and then moved to a tag boundary in the markup.

_HTML_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
_HTML_ENTITY = re.compile(r"&#?\w+;")
# A paragraph may not go inside these; at their edge, look one level further out.
_HTML_CONTAINERS = frozenset({"li", "dt", "dd", "td", "th", "tr", "tbody", "thead", "tfoot"})
# The edges of the document: a new paragraph stays inside them.
_HTML_OUTER = frozenset({"html", "body", "head"})


def _html_section(anchor: str, finding, reply, body_html: str, newline: str, edit) -> Edit:
    plain = reply.plain.text
    regions = reply.segmented.regions
    if anchor == "after-greeting":
        greeting = next((r for r in regions if r.kind == "greeting"), None)
        if greeting is not None:
            return _html_after(reply, greeting.end, body_html, newline, edit)
        first = re.search(r"\S", reply.segmented.text)
        return _html_before(reply, first.start() if first else 0, body_html, newline, edit)
    if anchor == "after-span" and finding.end is not None:
        at = reply.plain.from_original(finding.end - 1)
        blank = re.search(r"\n[ \t]*\n", plain[at:])
        end = at + blank.start() if blank else len(plain)
        # Table rows convert to single line breaks, so the next blank line can lie
        # inside the sign-off: the paragraph ends where a sign-off or quote begins.
        end = min([end, *(r.start for r in regions if r.kind in ("signoff", "quote") and r.start > at)])
        return _html_after(reply, end, body_html, newline, edit)
    for r in regions:
        if r.kind == "signoff":
            return _html_before(reply, r.start, body_html, newline, edit)
    quote = next((r for r in regions if r.kind == "quote" and _only_quotes_after(reply, r.start)), None)
    if quote is not None:
        return _html_before(reply, quote.start, body_html, newline, edit)
    return _html_after(reply, len(reply.segmented.text.rstrip()), body_html, newline, edit)


def _html_after(reply, plain_end: int, body_html: str, newline: str, edit) -> Edit:
    """A new paragraph after the one ending at ``plain_end`` (exclusive): after
    its block's end tag, or ``<br><br>`` and the text when the paragraph is
    one of several in a block, separated by line breaks."""
    plain, original = reply.plain.text, reply.source.text
    last = len(plain[:plain_end].rstrip()) - 1
    if last < 0:
        return _html_before(reply, 0, body_html, newline, edit)
    pos = _outside_tag(original, reply.plain.to_original(last) + 1)
    entity = _HTML_ENTITY.match(original, pos - 1) if original[pos - 1:pos] == "&" else None
    if entity:
        pos = entity.end()
    scan = pos
    while True:
        gap = len(original) - len(original[scan:].lstrip()) - scan
        tag = _HTML_TAG.match(original, scan + gap)
        if tag is None or not tag.group(1) or tag.group(2).lower() in _HTML_OUTER:
            return edit(pos, pos, f"<br><br>{body_html}")
        if tag.group(2).lower() in ("td", "th"):
            # Mail laid out as a table: the new paragraph stays in the cell (text
            # between rows would be invalid HTML).
            return edit(pos, pos, f"<br><br>{body_html}")
        scan = pos = tag.end()
        if _is_block(tag.group(2)):
            break
    lead = newline if original.startswith(("\n", "\r\n"), pos) else ""
    return edit(pos, pos, f"{lead}<p>{body_html}</p>")


def _html_before(reply, plain_start: int, body_html: str, newline: str, edit) -> Edit:
    """A new paragraph before the one starting at ``plain_start``: before its
    block's start tag, or the text and ``<br><br>`` inside a block."""
    pos, before_block = _html_start_of(reply, plain_start)
    if not before_block:
        return edit(pos, pos, f"{body_html}<br><br>")
    tail = newline if reply.source.text[:pos].endswith("\n") else ""
    return edit(pos, pos, f"<p>{body_html}</p>{tail}")


def _html_start_of(reply, plain_start: int) -> tuple[int, bool]:
    """Where markup goes to come right before the paragraph starting at
    ``plain_start``, and whether that is before the start tag of its own block
    (else it is inside a block, at the paragraph's first character)."""
    plain, original = reply.plain.text, reply.source.text
    first = plain_start + len(plain[plain_start:]) - len(plain[plain_start:].lstrip())
    pos = _outside_tag(original, reply.plain.to_original(min(first, max(len(plain) - 1, 0))))
    scan = pos
    while True:
        tag = _last_tag(original[:scan].rstrip())
        if tag is None or tag.group(1) or tag.group(2).lower() in _HTML_OUTER | VOID_TAGS:
            return pos, False
        scan = pos = tag.start()
        if _is_block(tag.group(2)):
            return pos, True


def html_paragraph_start(reply, original_index: int | None) -> int:
    """Where, in an HTML reply, a line of markup (a suppression comment) goes to
    come right before the paragraph holding ``original_index`` (the first
    paragraph when None)."""
    at = 0 if original_index is None else reply.plain.from_original(original_index)
    paragraph_start = 0
    for blank in re.finditer(r"\n[ \t]*\n", reply.plain.text[:at]):
        paragraph_start = blank.end()
    return _html_start_of(reply, paragraph_start)[0]


def _is_block(tag_name: str) -> bool:
    name = tag_name.lower()
    return name not in _HTML_CONTAINERS and (name in BLOCK_TAGS or name in ("blockquote", "pre"))


def _outside_tag(original: str, pos: int) -> int:
    """Text the converter made up (code fences, bullets) maps into a tag; an
    insertion there would cut the tag in two, so it moves to the tag's start."""
    opened = original.rfind("<", 0, pos)
    return opened if opened > original.rfind(">", 0, pos) else pos


def _last_tag(head: str) -> re.Match[str] | None:
    if not head.endswith(">"):
        return None
    start = head.rfind("<")
    return _HTML_TAG.fullmatch(head, start) if start >= 0 else None


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, list[Edit]]:
    """Apply non-overlapping edits (first come wins); return the text and the
    edits applied."""
    chosen: list[Edit] = []
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if chosen and e.start < chosen[-1].end:
            continue
        if chosen and e.start == chosen[-1].end == chosen[-1].start and e.start == e.end:
            continue  # two insertions at one point: keep the first, the next pass adds the other
        chosen.append(e)
    out = text
    for e in reversed(chosen):
        out = out[:e.start] + e.text + out[e.end:]
    return out, [Edit(e.start, e.end, e.text, e.rule, e.safety, text[e.start:e.end]) for e in chosen]


@dataclass
class FixOutcome:
    text: str
    applied: list[Edit]
    remaining: Any  # the Result of the last check
    passes: int


def fix_source(engine, source, unsafe: bool = False, max_passes: int = 6) -> FixOutcome:
    """Check, apply fixes, re-check, until nothing more changes (as ruff does)."""
    from .inputs import Source

    current = source
    applied: list[Edit] = []
    result = engine.check_source(current)
    passes = 0
    while passes < max_passes:
        if result.error is not None:
            break
        edits = plan_edits(result, engine, unsafe)
        if not edits:
            break
        new_text, done = apply_edits(current.text, edits)
        if not done or new_text == current.text:
            break
        applied.extend(done)
        current = Source(current.name, new_text, current.format)
        result = engine.check_source(current)
        passes += 1
    return FixOutcome(current.text, applied, result, passes)
