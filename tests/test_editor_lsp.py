"""`replylint lsp` end to end: pygls's language client talks to the server over stdio."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound
from pygls.lsp.client import BaseLanguageClient
from pygls.uris import from_fs_path

REPLYLINT = Path(sys.executable).with_name("replylint")

# A 300-word status update with a few problems (a vague time, an unexplained
# request, requests split over the reply): the warm-latency document.
REPLY_300_WORDS = """Hi Priya,

Thanks for the detailed logs and the thread dump you attached to the case yesterday afternoon; they made this much faster to trace.

We set up a two-node cluster on APIM 4.2.0 with update level 45, connected to MySQL 8.0 on Ubuntu 22.04 with JDK 17, and replayed the token refresh requests from your HAR file against both gateways. The refresh succeeded on node 1 every time. On node 2 it failed in about one call out of five with the same invalid_grant error that you reported, and the failures lined up with the moments when the key manager cache was being refreshed.

We then compared the two nodes and found that node 2 reads its keystore from a different path, so after a cache refresh it briefly validates tokens with the old signing key. This matches the timestamps in your carbon log, where every failure follows a cache refresh within two seconds.

We assume your nodes share one database and one keystore, as the deployment diagram in the case shows, and that both nodes were restarted after the last update was applied on Monday. If that is not the case, the cause may be different, so please tell us.

Could you share the deployment.toml from node 2?

Next, we will build a patch that makes the key manager reload the signing key together with the cache, test it on our cluster with your configuration, and send it to you soon. Our team has already started on the change and the first tests look good.

Also, please send the output of `java -version` from both nodes so we can confirm that they run the same JDK build, because a different JDK can change which keystore type is loaded by default.

Best regards,
Sam
Support Engineer | Acme
"""


@dataclass
class Session:
    """A language client connected to `replylint lsp` over stdio, with the
    diagnostics it has been sent, per document."""

    client: BaseLanguageClient
    published: dict[str, list[types.PublishDiagnosticsParams]] = field(default_factory=dict)
    registrations: list[types.Registration] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    versions: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    server_capabilities: types.ServerCapabilities | None = None

    async def diagnostics(self, uri: str, version: int | None = None, timeout: float = 60) -> types.PublishDiagnosticsParams:
        """Wait for the diagnostics of ``uri`` (at ``version`` if given)."""

        def ready():
            got = self.published.get(uri)
            return got and (version is None or got[-1].version == version)

        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(ready), timeout)
        return self.published[uri][-1]

    async def wait_for(self, uri: str, predicate, timeout: float = 60) -> types.PublishDiagnosticsParams:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.published.get(uri) and predicate(self.published[uri][-1])),
                                   timeout)
        return self.published[uri][-1]

    def open(self, uri: str, text: str, language: str = "markdown") -> None:
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))

    def change(self, uri: str, edits: list[types.TextEdit]) -> int:
        """Send ``edits`` as incremental changes (as an editor does) and keep our copy in step."""
        self.versions[uri] += 1
        for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            self.texts[uri] = apply_text_edit(self.texts[uri], edit)
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                             for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                                             reverse=True)]))
        return self.versions[uri]

    async def code_actions(self, uri: str, rng: types.Range | None = None, only=None) -> list[types.CodeAction]:
        rng = rng or types.Range(start=types.Position(line=0, character=0), end=types.Position(line=10_000, character=0))
        return await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
            context=types.CodeActionContext(diagnostics=[], only=only))) or []

    def apply(self, uri: str, action: types.CodeAction) -> int:
        """Apply a code action's edit the way an editor does, then tell the server."""
        (document_edit,) = action.edit.document_changes
        assert document_edit.text_document.uri == uri
        assert document_edit.text_document.version == self.versions[uri]  # the edit is for the text we have
        return self.change(uri, list(document_edit.edits))


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def offset_of(text: str, position: types.Position) -> int:
    lines = text.split("\n")
    offset = sum(len(line) + 1 for line in lines[:position.line])
    units = 0
    line = lines[position.line] if position.line < len(lines) else ""
    for i, ch in enumerate(line):
        if units >= position.character:
            return offset + i
        units += utf16_units(ch)
    return offset + len(line)


def apply_text_edit(text: str, edit: types.TextEdit) -> str:
    return text[:offset_of(text, edit.range.start)] + edit.new_text + text[offset_of(text, edit.range.end):]


def position_of(text: str, needle: str) -> types.Position:
    offset = text.index(needle)
    line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=utf16_units(text[line_start:offset]))


async def start_session(*args: str, workspace: Path | None = None) -> Session:
    client = BaseLanguageClient("replylint-tests", "1")
    session = Session(client)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    async def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        async with session.changed:
            session.published.setdefault(params.uri, []).append(params)
            session.changed.notify_all()

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        session.registrations.extend(params.registrations)

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params) -> None:
        pass

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def on_show(params) -> None:
        pass

    await client.start_io(str(REPLYLINT), "lsp", *args)
    capabilities = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)),
        general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]))
    result = await client.initialize_async(types.InitializeParams(
        process_id=os.getpid(), capabilities=capabilities, root_uri=from_fs_path(str(workspace)) if workspace else None))
    session.server_capabilities = result.capabilities
    client.initialized(types.InitializedParams())
    return session


async def stop_session(session: Session) -> int:
    await session.client.shutdown_async(None)
    session.client.exit(None)
    await session.client.stop()
    return session.client._server.returncode


class LoopThread:
    """An event loop in a thread, so one server process serves several tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function, *args):
        """Run ``function`` in the loop's thread. A message bigger than the pipe's
        buffer is written partly later, by the loop: sent from another thread, the
        loop is never woken to write the rest (a 2.8 MB didOpen hung 1 run in 4)."""
        async def in_loop():
            return function(*args)
        return self.run(in_loop())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def lsp(tmp_path_factory):
    """(loop, session, workspace folder) for a server with no debounce."""
    workspace = tmp_path_factory.mktemp("lsp-workspace")
    loop = LoopThread()
    session = loop.run(start_session("--debounce-ms", "0", "--max-document-bytes", "200000", workspace=workspace))
    yield loop, session, workspace
    code = loop.run(stop_session(session))
    loop.close()
    assert code == 0


def uri_in(folder: Path, name: str) -> str:
    return from_fs_path(str(folder / name))


# -- the whole cycle, in its own server process --------------------------------------

ERROR_REPLY = "Hi Priya,\n\nWe could not reproduce this issue on our side.\n\nThanks\n"
CLEAN_REPLY = """Hi Priya,

We set up a two-node cluster on APIM 4.2.0 with update level 45 and replayed your token refresh request. The refresh failed on node 2 because its clock was four minutes behind node 1, so the new token was rejected as not yet valid.

Next, we will confirm the fix on a copy of your deployment.toml and send you the result by Friday 17:00 UTC.

Best regards,
Sam
"""


def test_editor_lsp_initialize_open_change_code_action_apply_edit_shutdown(tmp_path):
    async def scenario() -> None:
        session = await start_session("--debounce-ms", "50", workspace=tmp_path)
        capabilities = session.server_capabilities
        assert capabilities.position_encoding == types.PositionEncodingKind.Utf16
        assert capabilities.hover_provider and capabilities.code_action_provider
        assert capabilities.text_document_sync.change == types.TextDocumentSyncKind.Incremental

        uri = uri_in(tmp_path, "case.md")
        session.open(uri, CLEAN_REPLY)
        opened = await session.diagnostics(uri, version=1)
        assert list(opened.diagnostics) == []  # nothing to complain about

        # The engineer rewrites what was done as "cannot reproduce", with no setup: an error.
        line = CLEAN_REPLY.split("\n")[2]
        version = session.change(uri, [types.TextEdit(range=types.Range(start=types.Position(line=2, character=0),
                                                                         end=types.Position(line=2, character=len(line))),
                                                      new_text="We could not reproduce this on our side.")])
        changed = await session.diagnostics(uri, version=version)
        (diagnostic,) = [d for d in changed.diagnostics if d.code == "cannot-reproduce"]
        assert diagnostic.severity == types.DiagnosticSeverity.Error and diagnostic.source == "replylint"
        assert diagnostic.code_description.href.startswith("file://") and diagnostic.code_description.href.endswith("/rules/cannot-reproduce/rule.toml")
        assert diagnostic.range.start == types.Position(line=2, character=0)
        assert diagnostic.range.end == types.Position(line=2, character=len("We could not reproduce this on our side."))

        actions = await session.code_actions(uri, diagnostic.range)
        rewrite = next(a for a in actions if a.title.startswith("Rewrite as the setup tried"))
        assert rewrite.kind == types.CodeActionKind.QuickFix and rewrite.diagnostics[0].code == "cannot-reproduce"
        version = session.apply(uri, rewrite)
        after = await session.diagnostics(uri, version=version)
        codes = [d.code for d in after.diagnostics]
        assert "cannot-reproduce" not in codes
        assert "unfilled-placeholder" in codes  # the rewrite leaves [[FILL: ...]] for the engineer
        assert "[[FILL:" in session.texts[uri]

        assert await stop_session(session) == 0

    asyncio.run(scenario())


def test_editor_lsp_debounces_a_burst_of_edits_into_one_check(tmp_path):
    async def scenario() -> None:
        session = await start_session("--debounce-ms", "300", workspace=tmp_path)
        uri = uri_in(tmp_path, "burst.md")
        session.open(uri, "Hi Priya,\n\nWe restarted the gateway.\n")
        await session.diagnostics(uri, version=1)
        for _ in range(5):  # typing: five edits well inside the debounce window
            last = session.change(uri, [types.TextEdit(range=types.Range(start=types.Position(line=2, character=0),
                                                                          end=types.Position(line=2, character=0)),
                                                       new_text="x")])
        await session.diagnostics(uri, version=last)
        assert [p.version for p in session.published[uri]] == [1, last]  # nothing for versions 2-5
        assert await stop_session(session) == 0

    asyncio.run(scenario())


# -- behaviours, on one shared server ---------------------------------------------------

def test_editor_lsp_positions_count_utf16_code_units(lsp):
    loop, session, workspace = lsp
    uri = uri_in(workspace, "emoji.md")
    text = "Hi Priya,\n\n🎉🚀 Thanks for waiting: we restarted node 2 and will send the patch soon.\n\nThanks\n"
    session.open(uri, text)
    published = loop.run(session.diagnostics(uri, version=1))
    (vague,) = [d for d in published.diagnostics if d.code == "eta-vague"]
    line_text = text.split("\n")[2]
    expected = utf16_units(line_text[:line_text.index("soon")])
    assert expected == line_text.index("soon") + 2  # each emoji is two UTF-16 units
    assert vague.range.start == types.Position(line=2, character=expected)
    assert vague.range.end == types.Position(line=2, character=expected + 4)


def test_editor_lsp_hover_shows_the_rules_explanation(lsp):
    loop, session, workspace = lsp
    uri = uri_in(workspace, "hover.md")
    text = "Hi Priya,\n\nWe restarted node 2 and will send the patch soon.\n\nThanks\n"
    session.open(uri, text)
    loop.run(session.diagnostics(uri, version=1))
    hover = loop.run(session.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(text, "oon."))))
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "replylint `eta-vague`" in hover.contents.value
    assert "## Why" in hover.contents.value and "/rules/eta-vague" in hover.contents.value
    nothing = loop.run(session.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(text, "Thanks"))))
    assert nothing is None


def _finding_codes(params: types.PublishDiagnosticsParams) -> list[str]:
    return [d.code for d in params.diagnostics]


@pytest.mark.parametrize("text, rule, title, expect_in_text", [
    # gather (safe): the scattered requests become one list
    (("Hi Priya,\n\nCould you share the carbon log from node 2 so we can compare the handler order?\n\n"
      "We restarted the gateway and the error did not come back.\n\n"
      "Also, please send your deployment.toml so we can check the keystore path.\n\nThanks\n"),
     "scattered-requests", "Gather the requests", "1. Could you share the carbon log"),
    # insert a section (unsafe): a "What we did" paragraph after the greeting
    ("Hi Priya,\n\nWe are still checking this and will update you by Friday.\n\nThanks\n",
     "missing-actions", "Insert a \"What we did\" paragraph", "Hi Priya,\n\nWhat we did: we checked"),
    # replace (unsafe): the vague time becomes a date placeholder
    ("Hi Priya,\n\nWe restarted node 2 and will send the patch soon.\n\nThanks\n",
     "eta-vague", "Replace the vague time", "by [[FILL:"),
])
def test_editor_lsp_code_actions_apply_each_kind_of_fix(lsp, text, rule, title, expect_in_text):
    loop, session, workspace = lsp
    uri = uri_in(workspace, f"fix-{rule}.md")
    session.open(uri, text)
    before = loop.run(session.diagnostics(uri, version=1))
    assert rule in _finding_codes(before)
    (diagnostic,) = [d for d in before.diagnostics if d.code == rule][:1]
    actions = loop.run(session.code_actions(uri, diagnostic.range))
    (action,) = [a for a in actions if a.title.startswith(title)]
    version = session.apply(uri, action)
    after = loop.run(session.diagnostics(uri, version=version))
    assert rule not in _finding_codes(after)
    assert expect_in_text in session.texts[uri]


def test_editor_lsp_suppress_with_a_reason(lsp):
    loop, session, workspace = lsp
    uri = uri_in(workspace, "suppress.md")
    text = "Hi Priya,\n\nWe restarted node 2.\nWe will send the patch soon.\n\nThanks\n"
    session.open(uri, text)
    before = loop.run(session.diagnostics(uri, version=1))
    (vague,) = [d for d in before.diagnostics if d.code == "eta-vague"]
    actions = loop.run(session.code_actions(uri, vague.range))
    (suppress,) = [a for a in actions if a.title == "Suppress eta-vague here, with a reason"]
    version = session.apply(uri, suppress)
    assert session.texts[uri].startswith(
        "Hi Priya,\n\n<!-- replylint: ignore[eta-vague] [[FILL: why this finding does not apply here]] -->\nWe restarted")
    after = loop.run(session.diagnostics(uri, version=version))
    assert "eta-vague" not in _finding_codes(after)
    assert "unfilled-placeholder" in _finding_codes(after)  # until the engineer writes the reason

    placeholder = "[[FILL: why this finding does not apply here]]"
    start = position_of(session.texts[uri], placeholder)
    end = types.Position(line=start.line, character=start.character + len(placeholder))
    version = session.change(uri, [types.TextEdit(range=types.Range(start=start, end=end),
                                                  new_text="the customer agreed to wait for the release notes")])
    final = loop.run(session.diagnostics(uri, version=version))
    assert "eta-vague" not in _finding_codes(final) and "unfilled-placeholder" not in _finding_codes(final)


SUPPRESS_ETA = "<!-- replylint: ignore[eta-vague] [[FILL: why this finding does not apply here]] -->"


# Each case: the HTML reply split where the comment belongs, and the comment as inserted.
@pytest.mark.parametrize(("head", "comment", "tail"), [
    ("<html><body>\n<p>Hello Mr. Schulz,</p>\n", SUPPRESS_ETA + "\n",
     ("<p>Thank you for the logs. We are looking into the timeout and will share a fix <b>soon</b>.</p>\n"
     "<p>Kind regards,<br>Tech Support</p>\n</body></html>\n")),
    ('<div dir="ltr">Hello Mr. Schulz,<br><br>', SUPPRESS_ETA,
     "Thank you for the logs. We are looking into the timeout and will share a fix soon.<br><br>Kind regards,<br>Sam</div>\n"),
], ids=["paragraphs", "gmail-br"])
def test_editor_lsp_suppress_with_a_reason_in_html(lsp, head, comment, tail):
    loop, session, workspace = lsp
    uri = uri_in(workspace, f"suppress-{len(head)}.html")
    session.open(uri, head + tail)
    before = loop.run(session.diagnostics(uri, version=1))
    (vague,) = [d for d in before.diagnostics if d.code == "eta-vague"]
    actions = loop.run(session.code_actions(uri, vague.range))
    (suppress,) = [a for a in actions if a.title == "Suppress eta-vague here, with a reason"]
    version = session.apply(uri, suppress)
    assert session.texts[uri] == head + comment + tail
    after = _finding_codes(loop.run(session.diagnostics(uri, version=version)))
    assert "eta-vague" not in after and "unused-suppression" not in after
    assert "unfilled-placeholder" in after  # until the engineer writes the reason


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_editor_lsp_fix_all_applies_only_safe_fixes(lsp, newline):
    """Only safe fixes, and in the document's own line endings (a CRLF reply
    once got a request list with bare LF line ends)."""
    loop, session, workspace = lsp
    uri = uri_in(workspace, f"fixall-{len(newline)}.md")
    text = ("Hi Priya,\n\nCould you share the carbon log from node 2 so we can compare the handler order?\n\n"
            "We restarted the gateway and will send the patch soon.\n\n"
            "Also, please send your deployment.toml so we can check the keystore path.\n\nThanks\n").replace("\n", newline)
    session.open(uri, text)
    loop.run(session.diagnostics(uri, version=1))
    (fix_all,) = loop.run(session.code_actions(uri, only=["source.fixAll"]))
    assert fix_all.kind == "source.fixAll.replylint"
    (document_edit,) = fix_all.edit.document_changes
    new_text = "".join(e.new_text for e in document_edit.edits)
    assert "1. Could you share the carbon log" in new_text
    assert newline == "\n" or "\n" not in new_text.replace("\r\n", "")
    version = session.apply(uri, fix_all)
    after = loop.run(session.diagnostics(uri, version=version))
    assert "scattered-requests" not in _finding_codes(after)
    assert "eta-vague" in _finding_codes(after)  # unsafe: left for the engineer
    assert "[[FILL" not in session.texts[uri]


def test_editor_lsp_reloads_config_when_it_changes(lsp):
    loop, session, workspace = lsp
    assert any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in session.registrations)
    folder = workspace / "team"
    folder.mkdir()
    uri = uri_in(folder, "reply.md")
    session.open(uri, ERROR_REPLY)
    before = loop.run(session.diagnostics(uri, version=1))
    assert "cannot-reproduce" in _finding_codes(before)

    config = folder / ".replylint.toml"
    config.write_text('ignore = ["cannot-reproduce"]\n[severity]\nmissing-next-steps = "info"\n')
    session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=from_fs_path(str(config)), type=types.FileChangeType.Created)]))
    after = loop.run(session.wait_for(uri, lambda p: "cannot-reproduce" not in _finding_codes(p)))
    assert after.version == 1  # re-checked without an edit

    config.write_text('fail-level = "sometimes"\n')
    session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=from_fs_path(str(config)), type=types.FileChangeType.Changed)]))
    broken = loop.run(session.wait_for(uri, lambda p: _finding_codes(p) == ["config-error"]))
    assert "key 'fail-level'" in broken.diagnostics[0].message


def test_editor_lsp_survives_malformed_messages(lsp):
    loop, session, workspace = lsp
    stdin = session.client._server.stdin

    def frame(body: bytes) -> bytes:
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    stdin.write(b"this is not a header\r\n\r\n")
    stdin.write(frame(b"{not json at all"))
    stdin.write(frame(json.dumps({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"bogus": 1}}).encode()))
    stdin.write(frame(json.dumps({"jsonrpc": "2.0", "method": "textDocument/didChange",
                                  "params": {"textDocument": {"uri": "file:///never-opened.md", "version": 2},
                                             "contentChanges": [{"text": "x"}]}}).encode()))
    unknown = loop.run(_request_unknown_method(session))
    assert isinstance(unknown, JsonRpcMethodNotFound)  # an error answer, not silence or a crash

    uri = uri_in(workspace, "after-garbage.md")
    session.open(uri, ERROR_REPLY)
    published = loop.run(session.diagnostics(uri, version=1))
    assert "cannot-reproduce" in _finding_codes(published)  # still checking


def test_editor_lsp_answers_a_request_it_cannot_read(tmp_path):
    """A request whose params do not fit its method gets JSON-RPC's Invalid
    Params answer (user review: the client waited for ever). Raw frames: a
    pygls client will not send such a request."""
    def frame(message: dict) -> bytes:
        body = json.dumps(message).encode()
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    requests = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
                {"jsonrpc": "2.0", "method": "initialized", "params": {}},
                {"jsonrpc": "2.0", "id": 99, "method": "textDocument/hover", "params": {"bogus": 1}},
                {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}, {"jsonrpc": "2.0", "method": "exit"}]
    server = subprocess.run([str(REPLYLINT), "lsp"], input=b"".join(map(frame, requests)), capture_output=True,
                            cwd=tmp_path, timeout=120, check=False)
    answers = [json.loads(part) for part in re.split(rb"Content-Length: \d+\r\n(?:[^\r\n]+\r\n)*\r\n", server.stdout)
               if part.strip()]
    answer = next((a for a in answers if a.get("id") == 99), None)
    assert answer is not None and answer["error"]["code"] == -32602, answers
    assert server.returncode == 0


async def _request_unknown_method(session: Session):
    try:
        await session.client.protocol.send_request_async("replylint/noSuchMethod", {})
    except Exception as exc:  # noqa: BLE001 - the error answer is what we want
        return exc
    return None


def test_editor_lsp_huge_document_gets_a_notice_not_a_hang(lsp):
    loop, session, workspace = lsp
    uri = uri_in(workspace, "huge.md")
    huge = ("We restarted node 2 and will update you soon.\n\n" * 60_000)  # ~2.8 MB
    started = time.monotonic()
    loop.call(session.open, uri, huge)
    published = loop.run(session.diagnostics(uri, version=1))
    assert time.monotonic() - started < 10
    (notice,) = published.diagnostics
    assert notice.code == "too-large" and "200,000-byte limit" in notice.message
    # Still answering: an edit to the huge document and a normal document next to it.
    version = loop.call(session.change, uri, [types.TextEdit(range=types.Range(start=types.Position(line=0, character=0),
                                                                               end=types.Position(line=0, character=0)),
                                                             new_text="Hi, ")])
    assert loop.run(session.diagnostics(uri, version=version)).diagnostics[0].code == "too-large"
    small = uri_in(workspace, "small.md")
    session.open(small, ERROR_REPLY)
    assert "cannot-reproduce" in _finding_codes(loop.run(session.diagnostics(small, version=1)))


def test_editor_lsp_rechecks_every_edit_of_a_300_word_reply(lsp):
    """Typing a placeholder and deleting it, again and again: each version gets
    its own diagnostics (the placeholder's error appears and goes), and once the
    text is back to what it was, so are they. (How fast that is lives in
    bench/bench_editor.py: a timed assertion here, p95 under 50 ms, failed on a
    busy machine with 151 ms.)"""
    loop, session, workspace = lsp
    uri = uri_in(workspace, "latency.md")
    assert 290 <= len(REPLY_300_WORDS.split()) <= 320
    session.open(uri, REPLY_300_WORDS)

    def shown(params):  # what the editor draws (the data field carries the version)
        return [(d.range, d.code, d.severity, d.message) for d in params.diagnostics]

    original = shown(loop.run(session.diagnostics(uri, version=1)))
    assert original and "unfilled-placeholder" not in [code for _, code, _, _ in original]
    placeholder = "[[FILL: date]] "
    for i in range(10):
        typed = i % 2 == 0
        version = session.change(uri, [types.TextEdit(range=types.Range(start=types.Position(line=2, character=0),
                                                                         end=types.Position(line=2, character=0 if typed else len(placeholder))),
                                                      new_text=placeholder if typed else "")])
        published = shown(loop.run(session.diagnostics(uri, version=version)))
        if typed:
            assert "unfilled-placeholder" in [code for _, code, _, _ in published]
        else:
            assert published == original


# -- position conversion, without a server ---------------------------------------------

@pytest.mark.parametrize("encoding, expected", [
    (types.PositionEncodingKind.Utf16, 6),  # "é" 1 unit, "😀" 2 units, "a b" 3
    (types.PositionEncodingKind.Utf8, 9),   # "é" 2 bytes, "😀" 4 bytes, "a b" 3
    (types.PositionEncodingKind.Utf32, 5),  # code points
])
def test_editor_lsp_position_mapper_counts_in_the_negotiated_encoding(encoding, expected):
    from replylint.lsp import PositionMapper

    text = "first line\r\né😀a bTARGET\rthird\n"
    mapper = PositionMapper(text, encoding)
    target = text.index("TARGET")
    assert mapper.position(target) == types.Position(line=1, character=expected)
    assert mapper.offset(types.Position(line=1, character=expected)) == target
    assert mapper.position(text.index("third")) == types.Position(line=2, character=0)  # a lone \r ends a line
    # Past the end of a line or of the text: clamped, as LSP asks.
    assert mapper.offset(types.Position(line=0, character=99)) == len("first line")
    assert mapper.offset(types.Position(line=9, character=0)) == len(text)
