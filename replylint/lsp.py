"""`replylint lsp`: the language server (pygls, stdio).

What an editor gets:

- diagnostics when a document is opened and, debounced, when it changes: rule id
  as ``code``, severity, a link to the rule's documentation (``codeDescription``);
- code actions: one per fix a rule's fix template offers (replace, append, insert a
  section, gather the requests...), "suppress with a reason" for every finding, and
  ``source.fixAll`` for the safe fixes;
- hover on a diagnostic: the rule's explanation and its fix;
- config reload: engines are keyed on the config file's modification stamp, and a
  change reported by the editor (watched files, or saving the file) re-checks
  every open document at once.

Positions are in the encoding negotiated at initialize: UTF-16 code units unless
the client offers something else (LSP 3.17 ``positionEncodings``), converted from
the engine's code-point offsets by ``PositionMapper``.

Concurrency: one thread runs every engine call (checks, fixes) and owns the
``EngineCache``; the asyncio loop only receives messages, debounces and publishes,
so a slow check never stops the server from answering.
"""

from __future__ import annotations

import asyncio
import bisect
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from . import __version__
from .config import CONFIG_NAMES, find_config
from .output import rule_doc_uri  # the same rule links as SARIF's helpUri
from .server import EngineCache, EngineUnavailable

SOURCE = "replylint"
SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "info": types.DiagnosticSeverity.Information}
SUPPRESS_REASON = "[[FILL: why this finding does not apply here]]"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")


@dataclass(frozen=True)
class LspOptions:
    debounce_ms: int = 150
    max_document_bytes: int = 256 * 1024
    config_globs: tuple[str, ...] = tuple(f"**/{name}" for name in CONFIG_NAMES)

    def with_initialization_options(self, given: Any) -> LspOptions:
        """Editors may override the command-line defaults in initializationOptions:
        {"debounceMs": 150, "maxDocumentBytes": 262144}."""
        if not isinstance(given, dict):
            return self
        changes = {}
        for key, attr in (("debounceMs", "debounce_ms"), ("maxDocumentBytes", "max_document_bytes")):
            value = given.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                changes[attr] = value
        return replace(self, **changes)


class PositionMapper:
    """Offsets into a text (Python string indices, i.e. code points) to and from
    LSP positions, whose characters count in the negotiated encoding. Line breaks
    are \\n, \\r\\n and \\r, as LSP defines them."""

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16) -> None:
        self.text = text
        self.encoding = encoding
        self.line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    def _units(self, segment: str) -> int:
        if self.encoding == types.PositionEncodingKind.Utf8:
            return len(segment.encode("utf-8"))
        if self.encoding == types.PositionEncodingKind.Utf32 or segment.isascii():
            return len(segment)
        return len(segment.encode("utf-16-le")) // 2

    def _line_end(self, line: int) -> int:
        """Offset of the end of a line's content (before its break)."""
        if line + 1 < len(self.line_starts):
            end = self.line_starts[line + 1]
            while end > self.line_starts[line] and self.text[end - 1] in "\r\n":
                end -= 1
            return end
        return len(self.text)

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line]
        offset = min(offset, self._line_end(line))  # never inside a \r\n pair
        return types.Position(line=line, character=self._units(self.text[start:offset]))

    def offset(self, position: types.Position) -> int:
        if position.line >= len(self.line_starts):
            return len(self.text)
        start = self.line_starts[max(position.line, 0)]
        end = self._line_end(position.line)
        if self.encoding == types.PositionEncodingKind.Utf32:
            return min(start + position.character, end)
        units = 0
        for i in range(start, end):
            if units >= position.character:
                return i
            units += self._units(self.text[i])
        return end

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))

    def first_line(self) -> types.Range:
        return types.Range(start=types.Position(0, 0), end=types.Position(0, self._units(self.text[:self._line_end(0)])))


@dataclass
class CheckedDocument:
    """The last check of one open document, for code actions and hover."""

    uri: str
    version: int | None
    text: str
    mapper: PositionMapper
    result: Any = None  # replylint.engine.Result
    engine: Any = None
    diagnostics: list[types.Diagnostic] = field(default_factory=list)


class AnsweringProtocol(LanguageServerProtocol):
    """pygls logs a request whose params it cannot read and never answers it, so
    the client waits for ever; this answers it with the JSON-RPC error."""

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                self._send_response(data["id"], error=exc.to_response_error())
            raise


class ReplyLanguageServer(LanguageServer):
    """pygls server holding the options, the engine cache and the last check of
    each open document."""

    def __init__(self, options: LspOptions) -> None:
        super().__init__(SOURCE, __version__, protocol_cls=AnsweringProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.options = options
        self.engines = EngineCache()  # used only from the engine thread
        self.engine_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replylint-engine")
        self.checked: dict[str, CheckedDocument] = {}
        self.pending: dict[str, asyncio.Task] = {}

    # -- running checks -------------------------------------------------------------
    def schedule(self, uri: str, delay_ms: int) -> None:
        """Check ``uri`` after ``delay_ms``; a later call for the same document
        replaces a check that has not started yet (the debounce)."""
        previous = self.pending.pop(uri, None)
        if previous is not None and not previous.done():
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._check_later(uri, delay_ms))

    async def _check_later(self, uri: str, delay_ms: int) -> None:
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        await self.check_now(uri)

    async def check_now(self, uri: str) -> CheckedDocument | None:
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        text, version = document.source, document.version
        mapper = PositionMapper(text, self.workspace.position_encoding or types.PositionEncodingKind.Utf16)
        checked = CheckedDocument(uri, version, text, mapper)
        size = len(text.encode("utf-8", errors="replace"))
        if size > self.options.max_document_bytes:
            checked.diagnostics = [types.Diagnostic(
                range=mapper.first_line(), severity=types.DiagnosticSeverity.Information, source=SOURCE, code="too-large",
                message=(f"replylint does not check this document in the editor: it is {size:,} bytes, over the "
                         f"{self.options.max_document_bytes:,}-byte limit (replylint lsp --max-document-bytes); "
                         "run `replylint check` on it instead."))]
        else:
            path = _document_path(uri)
            loop = asyncio.get_running_loop()
            try:
                checked.engine, checked.result = await loop.run_in_executor(self.engine_thread, self._check_sync, path, text)
            except EngineUnavailable as exc:
                checked.diagnostics = [types.Diagnostic(
                    range=mapper.first_line(), severity=types.DiagnosticSeverity.Error, source=SOURCE, code="config-error",
                    message=f"replylint cannot check this document: {exc}")]
            else:
                checked.diagnostics = self._diagnostics(checked)
        current = self.workspace.text_documents.get(uri)
        if current is None or current.version != version:
            return None  # edited (or closed) meanwhile: a newer check is on its way
        self.checked[uri] = checked
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=checked.diagnostics,
                                                                               version=version))
        return checked

    def _check_sync(self, path: Path | None, text: str):
        from .inputs import source_from_text

        config = find_config(path if path is not None else Path.cwd())
        engine = self.engines.engine(config)
        result = engine.check_source(source_from_text(text, str(path) if path else "<editor>"))
        engine.fixer.problems.clear()
        return engine, result

    async def current(self, uri: str) -> CheckedDocument | None:
        """The check of the document as it is now (checking it if an edit is pending)."""
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        checked = self.checked.get(uri)
        if checked is not None and checked.version == document.version:
            return checked
        pending = self.pending.pop(uri, None)
        if pending is not None and not pending.done():
            pending.cancel()
        return await self.check_now(uri)

    def recheck_all(self) -> None:
        for uri in list(self.workspace.text_documents):
            self.schedule(uri, 0)

    # -- what the editor shows ------------------------------------------------------
    def _diagnostics(self, checked: CheckedDocument) -> list[types.Diagnostic]:
        result = checked.result
        if result.error is not None:
            return [types.Diagnostic(range=checked.mapper.first_line(), severity=types.DiagnosticSeverity.Error,
                                     source=SOURCE, code="input-error", message=result.error)]
        return [types.Diagnostic(
            range=finding_range(checked.mapper, f), severity=SEVERITY.get(f.severity, types.DiagnosticSeverity.Warning),
            code=f.rule, code_description=types.CodeDescription(href=rule_doc_uri(checked.engine.registry, f.rule)), source=SOURCE,
            message=f.message, data={"rule": f.rule, "index": i, "version": checked.version},
        ) for i, f in enumerate(result.findings)]

    def code_actions(self, checked: CheckedDocument, wanted: types.Range, only: Sequence[str] | None) -> list[types.CodeAction]:
        """Runs in the engine thread (plan_edits and fix_source use the engine)."""
        from .fixes import apply_edits, fix_source, plan_edits
        from .inputs import source_from_text

        if checked.result is None or checked.result.error is not None:
            return []
        result, engine = checked.result, checked.engine

        def allowed(kind: str) -> bool:
            return not only or any(kind == k or kind.startswith(k + ".") for k in only)

        actions: list[types.CodeAction] = []
        for f, diagnostic in zip(result.findings, checked.diagnostics):
            if not _overlaps(diagnostic.range, wanted):
                continue
            spec = engine.registry.rule(f.rule)
            if allowed(types.CodeActionKind.QuickFix) and spec is not None and spec.fix is not None:
                planned = plan_edits(replace(result, findings=(f,)), engine, unsafe=True)
                _, edits = apply_edits(checked.text, planned)
                if edits:
                    unsafe = spec.fix.safety != "safe"
                    actions.append(types.CodeAction(
                        title=f"{spec.fix.title} ({f.rule}{', review the [[FILL]] placeholders' if unsafe else ''})",
                        kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic], is_preferred=not unsafe,
                        edit=self._workspace_edit(checked, [(e.start, e.end, e.text) for e in edits])))
            if allowed(types.CodeActionKind.QuickFix) and result.reply.source.format != "eml":
                start, text = suppression_edit(result.reply, f)
                actions.append(types.CodeAction(
                    title=f"Suppress {f.rule} here, with a reason", kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic], edit=self._workspace_edit(checked, [(start, start, text)])))
        fix_all_kind = "source.fixAll.replylint"
        if only and allowed(fix_all_kind) or (not only and any(
                (s := engine.registry.rule(f.rule)) is not None and s.fix is not None and s.fix.safety == "safe"
                for f in result.findings)):
            outcome = fix_source(engine, source_from_text(checked.text, result.source), unsafe=False)
            engine.fixer.problems.clear()
            if outcome.text != checked.text:
                start, end, new = _minimal_change(checked.text, outcome.text)
                actions.append(types.CodeAction(title="Apply all safe replylint fixes", kind=fix_all_kind,
                                                edit=self._workspace_edit(checked, [(start, end, new)])))
        return actions

    def _workspace_edit(self, checked: CheckedDocument, edits: list[tuple[int, int, str]]) -> types.WorkspaceEdit:
        text_edits = [types.TextEdit(range=checked.mapper.range(a, b), new_text=t) for a, b, t in edits]
        # Versioned, so that an editor refuses the edit if the text changed since.
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=checked.uri, version=checked.version),
            edits=text_edits)])

    def hover(self, checked: CheckedDocument, position: types.Position) -> types.Hover | None:
        if checked.result is None or checked.result.error is not None:
            return None
        offset = checked.mapper.offset(position)
        parts: list[str] = []
        hit_range = None
        for f, diagnostic in zip(checked.result.findings, checked.diagnostics):
            inside = (f.start is None and position.line == 0) or (
                f.start is not None and f.start <= offset <= max(f.start, (f.end or f.start)))
            if not inside:
                continue
            hit_range = hit_range or diagnostic.range
            spec = checked.engine.registry.rule(f.rule)
            lines = [f"**replylint `{f.rule}`** ({f.severity}): {f.message}"]
            if spec is not None:
                lines += ["", spec.summary, "", spec.doc.strip()]
                if spec.fix is not None:
                    lines += ["", f"**Fix:** {spec.fix.title} ({spec.fix.safety})"]
            if f.suggestion:
                lines += ["", f"**Suggestion:** {f.suggestion}"]
            lines += ["", f"[Rule documentation]({rule_doc_uri(checked.engine.registry, f.rule)})"]
            parts.append("\n".join(lines))
        if not parts:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
                           range=hit_range)


def finding_range(mapper: PositionMapper, finding) -> types.Range:
    """A finding about the whole reply (no span) is shown on the first line, not
    over the whole document."""
    if finding.start is None:
        return mapper.first_line()
    return mapper.range(finding.start, max(finding.start, finding.end or finding.start))


def suppression_edit(reply, finding) -> tuple[int, str]:
    """Where and what to insert so that ``<!-- replylint: ignore[rule] reason -->``
    covers the finding: on its own line before the finding's paragraph (or at the top
    for a finding about the whole reply); in HTML, right before the paragraph's
    block element (or its first character, in a block of ``<br>``-separated
    paragraphs). The reason is a [[FILL: ...]] placeholder, which the
    unfilled-placeholder rule reports until the engineer writes one."""
    text = reply.source.text
    newline = "\r\n" if "\r\n" in text else "\n"
    comment = f"<!-- replylint: ignore[{finding.rule}] {SUPPRESS_REASON} -->"
    if reply.source.format == "html":
        # HTML has no blank lines between paragraphs to find them by; the plain
        # text has, and maps back into the markup.
        from .fixes import html_paragraph_start

        start = html_paragraph_start(reply, finding.start)
        return start, comment + (newline if text[:start].endswith("\n") else "")
    comment += newline
    if finding.start is None:
        return 0, comment
    paragraph_start = 0
    for m in _BLANK_LINE.finditer(text, 0, finding.start):
        paragraph_start = m.end()
    # Skip leading blank space so the comment sits right above the paragraph's text.
    while paragraph_start < finding.start and text[paragraph_start] in " \t":
        paragraph_start += 1
    line_start = text.rfind("\n", 0, paragraph_start) + 1
    return line_start, comment


def _minimal_change(old: str, new: str) -> tuple[int, int, str]:
    """One edit turning old into new: the differing middle, not the whole text."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return prefix, len(old) - suffix, new[prefix:len(new) - suffix]


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _document_path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def create_server(options: LspOptions | None = None) -> ReplyLanguageServer:
    server = ReplyLanguageServer(options or LspOptions())

    @server.feature(types.INITIALIZE)
    def initialize(ls: ReplyLanguageServer, params: types.InitializeParams) -> None:
        ls.options = ls.options.with_initialization_options(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ReplyLanguageServer, params: types.InitializedParams) -> None:
        workspace = ls.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        if watched is not None and watched.dynamic_registration:
            # Ask the editor to tell us when a config file changes anywhere in the workspace.
            ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
                id="replylint-config-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=g) for g in ls.options.config_globs]))]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ReplyLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ReplyLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.options.debounce_ms)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ReplyLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        path = _document_path(params.text_document.uri)
        if path is not None and path.name in CONFIG_NAMES:
            ls.recheck_all()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ReplyLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        pending = ls.pending.pop(uri, None)
        if pending is not None and not pending.done():
            pending.cancel()
        ls.checked.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: ReplyLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(Path(to_fs_path(change.uri) or "").name in CONFIG_NAMES for change in params.changes):
            ls.recheck_all()

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, "source.fixAll.replylint"]))
    async def code_action(ls: ReplyLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        checked = await ls.current(params.text_document.uri)
        if checked is None:
            return []
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(ls.engine_thread, ls.code_actions, checked, params.range, params.context.only)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: ReplyLanguageServer, params: types.HoverParams) -> types.Hover | None:
        checked = await ls.current(params.text_document.uri)
        return ls.hover(checked, params.position) if checked is not None else None

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: ReplyLanguageServer, params: None) -> None:
        for task in ls.pending.values():
            task.cancel()
        ls.engine_thread.shutdown(wait=False, cancel_futures=True)

    return server


def run_stdio(options: LspOptions | None = None) -> None:
    create_server(options).start_io()
