"""Thread-level checks: rules over a whole ticket, messages in time order.

A thread check is a folder ``checks/threads/<rule-id>/`` (or the same layout in
an organisation's check pack) with:

- ``thread.toml``  id, severity, summary, message (a format string filled from
                   the hit's data), doc (with a "## What it does" heading), options;
- ``rule.py``      ``check(ctx)``: a pure function from a ``ThreadContext`` to
                   an iterable of ``ThreadHit``;
- ``cases.toml``   firing, passing and hard cases (run by the test suite).

The loader validates every spec when it loads it; errors name the file and key.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..registry import RULE_ID, SEVERITIES, CheckLoadError, bundled_dir, load_hook
from .timeutil import BusinessCalendar, eta_deadline, from_utc_text

REQUIRED_DOC_HEADING = "## What it does"
# The agent of a thread finding in a ticket no agent has replied in yet.
UNASSIGNED = "unassigned"
# The agent of a reply with no author: the name the report's per-agent table
# gives those replies, so that their thread findings land in the same row.
UNKNOWN_AGENT = "(unknown)"


@dataclass(frozen=True)
class ThreadRuleSpec:
    id: str
    severity: str
    summary: str
    message: str
    doc: str
    options: Mapping[str, Any]
    check: Callable[..., Any]
    folder: Path


@dataclass(frozen=True)
class ThreadMessage:
    """One message of a ticket as thread checks see it. Customer messages have
    no kind, elements, requests or deadline."""

    id: str
    direction: str  # "agent" | "customer"
    author: str | None
    at: datetime | None
    status: str | None
    text: str
    kind: str | None = None
    elements: Mapping[str, bool | None] = field(default_factory=dict)
    requests: tuple[str, ...] = ()
    eta_phrases: tuple[str, ...] = ()
    eta_deadline: datetime | None = None

    @property
    def from_agent(self) -> bool:
        return self.direction == "agent"

    def has(self, element: str) -> bool:
        return bool(self.elements.get(element))


@dataclass(frozen=True)
class ThreadHit:
    message_id: str | None  # the message the finding points at; None: the ticket
    data: Mapping[str, Any] = field(default_factory=dict)
    severity: str | None = None


@dataclass(frozen=True)
class ThreadContext:
    ticket: str
    messages: tuple[ThreadMessage, ...]
    options: Mapping[str, Any]
    calendar: BusinessCalendar
    as_of: datetime  # the end of the export: "now" for open tickets
    closed_statuses: tuple[str, ...]
    closing_phrases: tuple[str, ...] = ()
    not_closing_phrases: tuple[str, ...] = ()

    def is_closed_status(self, status: str | None) -> bool:
        return bool(status) and status.strip().lower() in self.closed_statuses

    def says_closing(self, message: ThreadMessage) -> bool:
        """The agent's text says the ticket is being closed (phrases from
        checks/threads/audit.toml, used where the export has no status)."""
        if not message.from_agent:
            return False
        text = " ".join(message.text.lower().split())
        # "We are not closing this ticket", "we're closing in on the cause": a
        # closing phrase that overlaps one of these says nothing of closing.
        overruled = [span for p in self.not_closing_phrases for span in _phrase_spans(text, p)]
        return any(not any(start < b and a < end for a, b in overruled) and not _in_question(text, end)
                   for p in self.closing_phrases for start, end in _phrase_spans(text, p))

    def closed_at(self, index: int) -> bool:
        """Whether the ticket is closed as of message ``index``."""
        m = self.messages[index]
        if m.status is not None:
            return self.is_closed_status(m.status)
        return self.says_closing(m)

    def closed_at_end(self) -> bool:
        """A customer message after a closing re-opens the ticket, so only the
        last message decides."""
        return bool(self.messages) and self.closed_at(len(self.messages) - 1)

    def when(self, moment: datetime | None) -> str:
        """A moment as the team reads it: local date and time."""
        if moment is None:
            return "an unknown time"
        return self.calendar.local(moment).strftime("%Y-%m-%d %H:%M")

    def agent_after(self, index: int) -> int | None:
        """Index of the first agent message after message ``index``."""
        for j in range(index + 1, len(self.messages)):
            if self.messages[j].from_agent:
                return j
        return None

    def hit(self, message: ThreadMessage | None = None, severity: str | None = None, **data: Any) -> ThreadHit:
        return ThreadHit(message.id if message else None, data, severity)


@dataclass(frozen=True)
class ThreadFinding:
    rule: str
    severity: str
    message: str
    message_id: str | None
    at: str | None  # UTC text of that message
    agent: str = UNASSIGNED  # who the finding is attributed to (see attributed_agent)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message,
                "message_id": self.message_id, "at": self.at, "agent": self.agent}


# -- loading -----------------------------------------------------------------------

def thread_folders(extra_roots: Sequence[Path] = ()) -> list[Path]:
    roots = [bundled_dir("checks"), *extra_roots]
    return [f for root in roots for f in sorted(p for p in (Path(root) / "threads").glob("*") if p.is_dir())]


@dataclass(frozen=True)
class ThreadChecks:
    rules: Mapping[str, ThreadRuleSpec]
    closing_phrases: tuple[str, ...]
    unwanted_elements: tuple[str, ...] = ()
    neutral_elements: tuple[str, ...] = ()
    not_closing_phrases: tuple[str, ...] = ()

    def defaults(self) -> dict[str, Mapping[str, Any]]:
        return {rid: spec.options for rid, spec in self.rules.items()}


def load_thread_checks(extra_roots: Sequence[Path] = ()) -> ThreadChecks:
    """Thread checks of the bundled checks/ and of extra check packs (a later
    pack replaces a rule with the same id), and the shared lexicon."""
    rules: dict[str, ThreadRuleSpec] = {}
    data: dict[str, list[str]] = {key: [] for key in _AUDIT_DATA_KEYS}
    for root in [bundled_dir("checks"), *extra_roots]:
        path = Path(root) / "threads" / "audit.toml"
        if path.is_file():
            for key, values in _read_audit_data(path).items():
                data[key].extend(values)
    for folder in thread_folders(extra_roots):
        spec = load_thread_rule(folder)
        rules[spec.id] = spec
    return ThreadChecks(MappingProxyType(dict(sorted(rules.items()))), _phrases(data["closing-phrases"]),
                        tuple(dict.fromkeys(data["unwanted-elements"])), tuple(dict.fromkeys(data["neutral-elements"])),
                        _phrases(data["not-closing-phrases"]))


_AUDIT_DATA_KEYS = ("closing-phrases", "not-closing-phrases", "unwanted-elements", "neutral-elements")


def _phrases(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(" ".join(p.lower().split()) for p in values))


def _in_question(text: str, end: int) -> bool:
    """Whether the sentence around ``end`` ends with a question mark: asking
    whether to close is not closing."""
    stop = re.search(r"[.!?]", text[end:])
    return bool(stop) and stop.group() == "?"


def _phrase_spans(text: str, phrase: str) -> Iterator[tuple[int, int]]:
    """Where ``phrase`` stands in ``text`` as whole words: "closing the case" is
    not in "foreclosing the cases"; a phrase's own punctuation ("closing.")
    needs no boundary after it."""
    start = text.find(phrase)
    while start >= 0:
        end = start + len(phrase)
        if (start == 0 or not text[start - 1].isalnum()) and (
                not phrase[-1].isalnum() or end == len(text) or not text[end].isalnum()):
            yield start, end
        start = text.find(phrase, start + 1)


def _read_audit_data(path: Path) -> dict[str, list[str]]:
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CheckLoadError(f"{path}: invalid TOML: {exc}") from None
    out = {}
    for key, value in table.items():
        if key not in _AUDIT_DATA_KEYS:
            raise CheckLoadError(f"{path}: unknown key '{key}' (known: {', '.join(_AUDIT_DATA_KEYS)})")
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise CheckLoadError(f"{path}: key '{key}' must be a list of strings")
        out[key] = list(value)
    return out


def load_thread_rule(folder: Path) -> ThreadRuleSpec:
    path = folder / "thread.toml"
    if not path.is_file():
        raise CheckLoadError(f"{folder}: a thread check folder needs thread.toml")
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CheckLoadError(f"{path}: invalid TOML: {exc}") from None

    def need(key: str, typ: type) -> Any:
        if key not in table:
            raise CheckLoadError(f"{path}: missing key '{key}'")
        if not isinstance(table[key], typ):
            raise CheckLoadError(f"{path}: key '{key}' must be {typ.__name__}, not {type(table[key]).__name__}")
        return table[key]

    known = {"id", "severity", "summary", "message", "doc", "options"}
    for key in table:
        if key not in known:
            raise CheckLoadError(f"{path}: unknown key '{key}' (known: {', '.join(sorted(known))})")
    rule_id = need("id", str)
    if rule_id != folder.name or not RULE_ID.match(rule_id):
        raise CheckLoadError(f"{path}: key 'id': '{rule_id}' must be kebab-case and match its folder name '{folder.name}'")
    severity = need("severity", str)
    if severity not in SEVERITIES:
        raise CheckLoadError(f"{path}: key 'severity' must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    doc = need("doc", str)
    if REQUIRED_DOC_HEADING not in doc:
        raise CheckLoadError(f"{path}: key 'doc' needs a '{REQUIRED_DOC_HEADING}' heading")
    message = need("message", str)
    for name in re.findall(r"\{([^{}:!]*)", message):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise CheckLoadError(f"{path}: key 'message': placeholder {{{name}}} must be a simple name")
    options = table.get("options", {})
    if not isinstance(options, dict):
        raise CheckLoadError(f"{path}: key 'options' must be a table")
    check = load_hook(folder / "rule.py", "check", f"replylint_threads_{rule_id.replace('-', '_')}")
    return ThreadRuleSpec(rule_id, severity, need("summary", str), message, doc, MappingProxyType(dict(options)), check, folder)


def thread_ruleset_hash(checks: ThreadChecks, settings: Any) -> str:
    h = hashlib.blake2b(digest_size=12)
    h.update(json.dumps([checks.closing_phrases, checks.not_closing_phrases]).encode())
    for spec in checks.rules.values():
        for p in sorted(spec.folder.glob("*")):
            if p.suffix in (".toml", ".py"):
                h.update(p.name.encode())
                h.update(p.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()


# -- running ---------------------------------------------------------------------------

def thread_message(row: Mapping[str, Any], calendar: BusinessCalendar) -> ThreadMessage:
    """A stored message (with its reply result, if any) -> ThreadMessage."""
    at = from_utc_text(row.get("created_at"))
    eta = tuple(json.loads(row["eta"])) if row.get("eta") else ()
    return ThreadMessage(
        id=row["id"], direction=row["direction"], author=row.get("author"), at=at, status=row.get("status"),
        text=row.get("text") or "", kind=row.get("kind"),
        elements=json.loads(row["elements"]) if row.get("elements") else {},
        requests=tuple(json.loads(row["requests"])) if row.get("requests") else (),
        eta_phrases=eta, eta_deadline=eta_deadline(eta, at, calendar) if eta and at else None,
    )


def status_as_end_state(messages: Sequence[ThreadMessage]) -> tuple[ThreadMessage, ...]:
    """Zendesk and Freshdesk export the ticket's current status on every row of
    a ticket: "solved" on its first message does not mean it was solved then.
    A status that is the same on every message is taken as the state at the
    end of the export only (the last message's); the earlier messages are read
    as in an export without status (closing phrases). A status that changes
    within the ticket is a per-message status and is kept as it is. Blank
    statuses (a row exported without one) say nothing either way."""
    with_status = [i for i, m in enumerate(messages) if m.status is not None and m.status.strip()]
    if len(with_status) < 2 or len({messages[i].status.strip().lower() for i in with_status}) > 1:
        return tuple(messages)
    last = with_status[-1]
    return tuple(m if i == last else replace(m, status=None) for i, m in enumerate(messages))


def attributed_agent(messages: Sequence[ThreadMessage], target: ThreadMessage | None) -> str:
    """The agent a thread finding counts against, so that every finding has one
    and the per-agent counts add up to the total: the author of the reply it
    is about; for a customer message (left waiting, no daily update) the agent
    handling the ticket then: the last to reply before it, else the first to
    reply after it; for the ticket as a whole, the last agent who replied.
    ``UNASSIGNED`` when no agent replied in the ticket."""
    if target is not None and target.from_agent:
        return target.author or UNKNOWN_AGENT
    replies = [i for i, m in enumerate(messages) if m.from_agent]
    if not replies:
        return UNASSIGNED
    index = next((i for i, m in enumerate(messages) if m is target), None)
    if index is None:
        chosen = replies[-1]
    else:
        before = [i for i in replies if i < index]
        chosen = before[-1] if before else replies[0]
    return messages[chosen].author or UNKNOWN_AGENT


def run_thread_rules(ticket: str, messages: Sequence[ThreadMessage], checks: ThreadChecks,
                     options: Mapping[str, Mapping[str, Any]], calendar: BusinessCalendar, as_of: datetime,
                     closed_statuses: tuple[str, ...], ignore: Iterable[str] = ()) -> list[ThreadFinding]:
    ignored = set(ignore)
    messages = status_as_end_state(messages)
    by_id = {m.id: m for m in messages}
    found: list[ThreadFinding] = []
    for spec in checks.rules.values():
        if spec.id in ignored:
            continue
        ctx = ThreadContext(ticket, tuple(messages), MappingProxyType({**spec.options, **options.get(spec.id, {})}),
                            calendar, as_of, closed_statuses, checks.closing_phrases, checks.not_closing_phrases)
        for hit in spec.check(ctx) or ():
            try:
                text = spec.message.format(**hit.data)
            except (KeyError, IndexError, ValueError):
                text = spec.message
            target = by_id.get(hit.message_id) if hit.message_id else None
            at = target.at.strftime("%Y-%m-%dT%H:%M:%SZ") if target and target.at else None
            found.append(ThreadFinding(spec.id, hit.severity or spec.severity, text, hit.message_id, at,
                                       attributed_agent(messages, target)))
    found.sort(key=lambda f: (f.at or "", f.rule))
    return found
