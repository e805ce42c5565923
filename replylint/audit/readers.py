"""Reading audit inputs into ``Message`` records, streamed one at a time.

Inputs: JSONL/CSV/TSV ticket exports (one row per message, columns found through
the field map), folders of .txt/.md/.html/.eml replies, and mbox files. A row or
file that cannot be used becomes a ``Problem`` (file, line, why) in the same
stream, so the caller counts and reports it; nothing is dropped silently.

Each item comes with the number of bytes of its input consumed so far, which is
what the progress bar measures (the number of rows is not known in advance).
"""

from __future__ import annotations

import csv
import email
import email.message
import email.policy
import hashlib
import json
import mailbox
import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import Any

from ..inputs import (
    InputError,
    decode_bytes,
    decode_mail_part,
    detect_format,
    mail_body_part,
)
from .config import VISIBILITY_FIELDS, AuditConfig
from .timeutil import TimeError, parse_timestamp, to_utc_text, zone

REPLY_SUFFIXES = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
                  ".html": "html", ".htm": "html", ".eml": "eml"}
TABLE_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}
AGENT, CUSTOMER = "agent", "customer"
# JSON may spell half of a UTF-16 pair ("\ud83d"): valid JSON, but not text that
# can be stored or checked.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Message:
    id: str
    ticket: str | None
    direction: str  # "agent" (scored) or "customer" (thread context only)
    author: str | None
    created_at: str | None  # UTC, "YYYY-MM-DDTHH:MM:SSZ"
    status: str | None
    text: str
    format: str
    origin: str  # where it came from: "file:line"
    # An internal (private) note: not scored and left out of thread checks,
    # only counted (read from a mapped public/private column).
    internal: bool = False
    # True when replylint made the id up (no id column, no Message-ID): such a
    # message is known only through its input, so a re-read of that input that
    # no longer yields the id means the message is gone (edited, renamed, deleted).
    derived_id: bool = False

    @cached_property
    def text_hash(self) -> str:
        # Read several times a message (dedup, stored texts, checks): hashed once.
        return text_hash(self.text, self.format)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    why: str
    fatal: bool = False  # the whole input could not be read (not a single row): the run exits 2
    # The direction value that is neither an agent nor a customer value, so that
    # a run that read nothing can say which values to list in the config.
    unknown_direction: str | None = None
    # What makes two reports the same problem whatever the file is called: the
    # message id of the row ("id:..."), else a hash of the row's content
    # ("row:..."); None for a problem of the file itself. A helpdesk names each
    # export anew, and the same broken row read again is still one problem.
    key: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.why}" if self.line else f"{self.file}: {self.why}"

    @property
    def identity(self) -> str:
        if self.key is not None:
            return self.key
        return f"file:{Path(self.file).resolve()}:{self.line or ''}:{self.why}"


ID_KEY_PREFIX = "id:"


def problem_key_of_id(message_id: str) -> str:
    """The key of a problem with a message whose id could be read."""
    return f"{ID_KEY_PREFIX}{message_id}"


def row_key(content: str | bytes) -> str:
    """The key of a problem with a row that has no readable id: its content."""
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    return "row:" + hashlib.blake2b(data.strip(), digest_size=16).hexdigest()


def text_hash(text: str, fmt: str) -> str:
    return hashlib.blake2b(f"{fmt}\0{text}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def input_id(path: Path) -> str:
    """What derived ids start with: the input's absolute path, so that two
    inputs never share an id (ann/reply1.txt and bob/reply1.txt) and the same
    input gives the same ids from any working directory."""
    return str(path.resolve())


def input_size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_input(path: Path, config: AuditConfig, max_bytes: int) -> Iterator[tuple[Message | Problem, int]]:
    """Dispatch on what ``path`` is. Yields (item, bytes of this input consumed),
    with the ids of ``config.source`` (see ``in_source``)."""
    items = _read_input(path, config, max_bytes)
    if config.source is None:
        yield from items
        return
    for item, consumed in items:
        yield in_source(item, config.source), consumed


def in_source(item: Message | Problem, source: str) -> Message | Problem:
    """A message's id and ticket prefixed with its source ("zendesk:1201"), and
    a problem's id key likewise, so that Zendesk ticket 1201 and Freshdesk
    ticket 1201 stay two tickets in one database and a row fixed later still
    clears its problem."""
    if isinstance(item, Problem):
        if item.key is not None and item.key.startswith(ID_KEY_PREFIX):
            return replace(item, key=problem_key_of_id(f"{source}:{item.key[len(ID_KEY_PREFIX):]}"))
        return item
    return replace(item, id=f"{source}:{item.id}", ticket=None if item.ticket is None else f"{source}:{item.ticket}")


def is_table_input(path: Path) -> bool:
    """An export read through the field map (not a folder, mbox or reply file)."""
    return not path.is_dir() and path.suffix.lower() in TABLE_SUFFIXES


def _read_input(path: Path, config: AuditConfig, max_bytes: int) -> Iterator[tuple[Message | Problem, int]]:
    if path.is_dir():
        yield from read_folder(path, config, max_bytes)
        return
    if not path.exists():
        yield Problem(str(path), None, "no such file or folder", fatal=True), 0
        return
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        kind = TABLE_SUFFIXES[suffix]
        yield from (read_jsonl(path, config, max_bytes) if kind == "jsonl" else read_csv(path, config, max_bytes, "\t" if kind == "tsv" else ","))
        return
    # A reply's suffix wins over sniffing: "From our side, we reproduced..." is a
    # reply, not an mbox. Mail clients often save an mbox without a suffix (Inbox).
    if suffix in REPLY_SUFFIXES:
        item = read_reply_file(path, path.parent, config, max_bytes, {})
        yield item, input_size(path)
        return
    if suffix == ".mbox" or _starts_with_from_line(path):
        yield from read_mbox(path, config, max_bytes)
        return
    yield Problem(str(path), None, "unknown input type (give .jsonl, .csv, .tsv, .mbox, a folder, or .txt/.md/.html/.eml files)"), input_size(path)


# An mbox separator: "From sender@example.com Mon Jun 10 09:00:00 2024".
_FROM_LINE = re.compile(rb"From \S+ +.*\b\d{1,2}:\d{2}")


def _starts_with_from_line(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return bool(_FROM_LINE.match(fh.readline(1000)))
    except OSError:
        return False


# -- ticket exports ------------------------------------------------------------

def _lookup(row: Mapping[str, Any], column: str) -> Any:
    """A column, or a dotted path into nested JSON objects (author.name)."""
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


@dataclass
class RowIds:
    """Ids for the rows of one export that has no id column. Built from what
    the row says, not from its text (an edited reply keeps its id and replaces
    the old version) nor its line (rows added above it would shift it)."""

    input_id: str
    repeats: dict[str, int] = field(default_factory=dict)

    def for_row(self, ticket: str | None, created: str | None, direction: str, author: str | None, line: int) -> str:
        if not (ticket and created):
            return f"{self.input_id}:{line}"
        key = f"{ticket}/{created}/{direction}/{author or ''}"
        # Two messages by the same author in the same ticket and second: the
        # second is "#2", the same one again on every re-read of the input.
        self.repeats[key] = self.repeats.get(key, 0) + 1
        return key if self.repeats[key] == 1 else f"{key}#{self.repeats[key]}"


def message_from_row(row: Mapping[str, Any], config: AuditConfig, file: str, line: int, max_bytes: int,
                     row_ids: RowIds) -> Message | Problem:
    """One export row -> Message, or the Problem that makes it unusable, keyed
    by the row's id or else its content (see ``Problem.key``)."""
    item = _message_from_row(row, config, file, line, max_bytes, row_ids)
    if isinstance(item, Message):
        return item
    raw_id = _lookup(row, config.field_map["id"])
    if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id).strip() \
            and not _SURROGATE.search(str(raw_id)):
        return replace(item, key=problem_key_of_id(str(raw_id)))
    return replace(item, key=row_key(json.dumps(row, sort_keys=True, default=str, ensure_ascii=False)))


def _message_from_row(row: Mapping[str, Any], config: AuditConfig, file: str, line: int, max_bytes: int,
                      row_ids: RowIds) -> Message | Problem:
    fmap = config.field_map

    def get(name: str) -> Any:
        return _lookup(row, fmap[name]) if config.reads(name) else None

    def optional_text(name: str) -> str | None:
        value = get(name)
        if value is None or value == "":
            return None
        return str(value)

    text = get("text")
    if text is None:
        return Problem(file, line, f"no '{fmap['text']}' field (the reply text; map it with --map text=COLUMN)")
    if not isinstance(text, str):
        return Problem(file, line, f"field '{fmap['text']}' is {type(text).__name__}, not text")
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return Problem(file, line, f"text is over the {max_bytes:,}-byte limit (raise max-bytes in the config)")
    internal = False
    for name in VISIBILITY_FIELDS:
        if not config.reads(name):
            continue
        raw = optional_text(name)
        says = _is_internal(raw, name) if raw is not None else None
        if says is None:
            what = f"is {raw!r}" if raw is not None else "is empty"
            return Problem(file, line, f"field '{fmap[name]}' {what}: it must say whether the message is {name} "
                                       "(true/false, yes/no, 1/0, or public/private/internal)")
        internal = says
    direction = AGENT
    raw_direction = optional_text("direction")
    if raw_direction is not None:
        value = raw_direction.strip().lower()
        if value in config.agent_values:
            direction = AGENT
        elif value in config.customer_values:
            direction = CUSTOMER
        else:
            return Problem(file, line, f"field '{fmap['direction']}' is {raw_direction!r}: neither an agent value "
                                       f"({', '.join(config.agent_values[:4])}...) nor a customer value (set audit.agent-values / customer-values)",
                           unknown_direction=raw_direction.strip())
    elif "direction" in config.mapped:
        return Problem(file, line, f"no '{fmap['direction']}' field (who wrote the message)")
    if direction == AGENT and not text.strip() and not internal:
        return Problem(file, line, "empty reply text")
    created = None
    raw_created = get("created_at")
    if raw_created not in (None, ""):
        try:
            created = to_utc_text(parse_timestamp(raw_created, zone(config.timezone)))
        except TimeError as exc:
            return Problem(file, line, f"field '{fmap['created_at']}': {exc}")
    elif "created_at" in config.mapped:
        return Problem(file, line, f"no '{fmap['created_at']}' field (when the message was sent)")
    ticket = optional_text("ticket")
    author = optional_text("agent")
    fmt = (optional_text("format") or config.input_format).lower()
    if fmt == "auto":
        fmt = detect_format("", text)
    elif fmt not in ("text", "markdown", "html", "eml"):
        return Problem(file, line, f"field '{fmap['format']}' is {fmt!r} (use text, markdown, html or eml)")
    if fmt == "eml":
        body = mail_body(email.message_from_string(text, policy=email.policy.compat32))
        if body is None or not body[0].strip():
            return Problem(file, line, f"field '{fmap['text']}' is a mail without a text/plain or text/html part")
        text, fmt = body
    msg_id = optional_text("id")
    for name, value in (("text", text), ("id", msg_id), ("ticket", ticket), ("agent", author), ("status", optional_text("status"))):
        bad = _SURROGATE.search(value) if value else None
        if bad:
            return Problem(file, line, f"field '{fmap[name]}' has a lone surrogate escape (\\u{ord(bad.group()):04x} at "
                                       f"character {bad.start() + 1}), which is not text (often an emoji cut in half by the "
                                       "exporter); fix or remove it in the export")
    derived = msg_id is None
    if msg_id is None:
        msg_id = row_ids.for_row(ticket, created, direction, author, line)
    return Message(msg_id, ticket, direction, author, created, optional_text("status"), text, fmt, f"{file}:{line}",
                   internal=internal, derived_id=derived)


_YES = ("true", "yes", "y", "1")
_NO = ("false", "no", "n", "0")


def _is_internal(value: str, field_name: str) -> bool | None:
    """Whether a public/private column's value marks an internal note, the
    way helpdesks export it (Zendesk "Public" true/false, Freshdesk "Private"
    true/false, "internal" notes); None for a value that says neither."""
    word = value.strip().lower()
    if word == "public":
        return False
    if word in ("private", "internal"):
        return True
    if word in _YES or word in _NO:
        return (word in _YES) == (field_name == "private")
    return None


def _binary_lines(path: Path, consumed: list[int]) -> Iterator[bytes]:
    with path.open("rb") as fh:
        for raw in fh:
            consumed[0] += len(raw)
            yield raw


def _utf16_lines(path: Path, consumed: list[int]) -> Iterator[str]:
    with path.open(encoding="utf-16", errors="replace", newline="") as fh:
        for line in fh:
            consumed[0] += 2 * len(line)
            yield line


def _export_lines(path: Path, consumed: list[int]) -> Iterator[bytes] | Iterator[str] | None:
    """The physical lines of an export, read as its first line says: text for
    UTF-16 with a byte-order mark (Excel's "Unicode text", some helpdesk
    exports), else bytes; None when the first line has NUL bytes (UTF-16
    without a byte-order mark, or not text), which the readers refuse."""
    try:
        with path.open("rb") as fh:
            head = fh.readline(4096)
    except OSError:
        head = b""  # reading the lines raises it again, and the reader reports it
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _utf16_lines(path, consumed)
    return None if b"\x00" in head else _binary_lines(path, consumed)


_UTF16_WITHOUT_BOM = ("has NUL bytes in its first line: UTF-16 without a byte-order mark, or not text; "
                      "save it as UTF-8 (in Excel: Save As, CSV UTF-8)")


def read_jsonl(path: Path, config: AuditConfig, max_bytes: int) -> Iterator[tuple[Message | Problem, int]]:
    file = str(path)
    consumed = [0]
    rows = 0
    row_ids = RowIds(input_id(path))
    lines = _export_lines(path, consumed)
    if lines is None:
        yield Problem(file, 1, _UTF16_WITHOUT_BOM, fatal=True), input_size(path)
        return
    try:
        for line_no, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            rows += 1
            if line_no == 1 and isinstance(raw, bytes) and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                row = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield Problem(file, line_no, f"not valid JSON ({exc.msg if hasattr(exc, 'msg') else exc})",
                              key=row_key(raw)), consumed[0]
                continue
            if not isinstance(row, dict):
                yield Problem(file, line_no, f"a JSON {type(row).__name__}, not an object", key=row_key(raw)), consumed[0]
                continue
            yield message_from_row(row, config, file, line_no, max_bytes, row_ids), consumed[0]
        if rows == 0:
            yield Problem(file, None, "is empty (no rows)"), consumed[0]
    except OSError as exc:
        yield Problem(file, None, f"cannot be read ({exc.strerror or exc})", fatal=True), consumed[0]


def read_csv(path: Path, config: AuditConfig, max_bytes: int, delimiter: str = ",") -> Iterator[tuple[Message | Problem, int]]:
    file = str(path)
    consumed = [0]

    def decoded(physical: Iterator[bytes] | Iterator[str]) -> Iterator[tuple[int, str]]:
        for line_no, raw in enumerate(physical, start=1):
            if isinstance(raw, str):  # UTF-16, decoded already
                yield line_no, raw
                continue
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield line_no, raw.decode("utf-8")
            except UnicodeDecodeError:
                yield line_no, raw.decode("cp1252", errors="replace")  # spreadsheet exports from Windows

    physical = _export_lines(path, consumed)
    if physical is None:
        yield Problem(file, 1, _UTF16_WITHOUT_BOM, fatal=True), input_size(path)
        return
    lines = decoded(physical)
    row_ids = RowIds(input_id(path))
    # A stray quote makes the csv module read the rows after it as one quoted
    # field. The physical lines of each record are kept, so that when the record
    # turns out broken, the lines after its first are read again as rows.
    record_lines: list[tuple[int, str]] = []
    read_again: deque[tuple[int, str]] = deque()

    def feed() -> Iterator[str]:
        while True:
            item = read_again.popleft() if read_again else next(lines, None)
            if item is None:
                return
            record_lines.append(item)
            yield item[1]

    try:
        reader = csv.reader(feed(), delimiter=delimiter, strict=True)
        header: list[str] | None = None
        while True:
            record_lines.clear()
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if not record_lines:
                    break
                first_line, later = record_lines[0][0], record_lines[1:]
                why = (f"not valid CSV ({exc}: a quote opened in this row is never closed)" if "end of data" in str(exc)
                       else f"not valid CSV ({exc})")
                yield Problem(file, first_line, f"{why}; the row is skipped, fix its quotes in the export",
                              key=row_key("".join(text for _, text in record_lines))), consumed[0]
                read_again.extendleft(reversed(later))
                # the old reader may have seen the end of the input: start a new one
                reader = csv.reader(feed(), delimiter=delimiter, strict=True)
                continue
            start_line = record_lines[0][0]
            if header is None:
                header = [h.strip() for h in fields]
                # Checked once here rather than row by row: a wrong mapping would
                # otherwise skip every row with the same complaint.
                missing = [name for name in sorted({"text"} | config.mapped) if config.field_map[name] not in header]
                if missing:
                    columns = " or ".join(f"'{config.field_map[n]}'" + (f" (mapped to {n})" if n in config.mapped else "")
                                          for n in missing)
                    yield Problem(file, start_line, f"the header has no {columns} column (its columns: {', '.join(header[:12])}); "
                                                    f"name the right column with --map {missing[0]}=COLUMN",
                                  fatal=True), consumed[0]
                    return
                rows = 0
                continue
            if not any(f.strip() for f in fields):
                continue
            rows += 1
            if len(fields) != len(header):
                yield Problem(file, start_line, f"has {len(fields)} fields, the header has {len(header)}",
                              key=row_key("".join(text for _, text in record_lines))), consumed[0]
                continue
            yield message_from_row(dict(zip(header, fields)), config, file, start_line, max_bytes, row_ids), consumed[0]
        if header is None:
            yield Problem(file, None, "is empty (no header row, no rows)"), consumed[0]
        elif rows == 0:
            yield Problem(file, None, "has a header but no rows"), consumed[0]
    except OSError as exc:
        yield Problem(file, None, f"cannot be read ({exc.strerror or exc})", fatal=True), consumed[0]


# -- mail ----------------------------------------------------------------------

_MSGID = re.compile(r"<[^<>\s]+>")


def split_origin(origin: str) -> tuple[str, int | None]:
    """A message's origin ("export.csv:42") as the file and line a Problem names."""
    file, _, line = origin.rpartition(":")
    return (file, int(line)) if line.isdigit() else (origin, None)


def message_from_mail(raw: str, origin: str, config: AuditConfig, roots: dict[str, str], fallback_id: str) -> Message | Problem:
    """A mail message -> Message. Thread = the root of References/In-Reply-To
    (``roots`` remembers roots seen so far in this input)."""
    msg = email.message_from_string(raw, policy=email.policy.compat32)
    file, line_no = split_origin(origin)
    own = (_MSGID.findall(msg.get("Message-ID", "") or "") or [None])[0]
    refs = _MSGID.findall(msg.get("References", "") or "") + _MSGID.findall(msg.get("In-Reply-To", "") or "")
    root = None
    for ref in refs:
        root = roots.get(ref, ref)
        break
    root = root or own
    if own:
        roots[own] = root or own
    sender = parseaddr(msg.get("From", "") or "")[1].lower()
    direction = AGENT
    if config.agent_domains:
        domain = sender.rpartition("@")[2]
        direction = AGENT if any(domain == d or domain.endswith("." + d) for d in config.agent_domains) else CUSTOMER
    created = None
    if msg.get("Date"):
        try:
            created = to_utc_text(parse_timestamp(str(msg.get("Date")), zone(config.timezone)))
        except TimeError as exc:
            return Problem(file, line_no, f"Date header: {exc}", key=problem_key_of_id(own) if own else None)
    body = mail_body(msg)
    if body is None or not body[0].strip():
        return Problem(file, line_no, "the message has no body (no text/plain or text/html part)")
    text, fmt = body
    return Message(own or fallback_id, root or fallback_id, direction, sender or None, created, None, text, fmt, origin,
                   derived_id=own is None)


def mail_body(msg: email.message.Message) -> tuple[str, str] | None:
    """The reply in a mail, decoded, with its format ("text" or "html"), as
    `replylint check` reads an .eml (a mail with no text part has none).
    Stored instead of the raw message, so that thread checks ("Closing the
    ticket.") and report excerpts see the words, not headers and base64."""
    part, subtype = mail_body_part(msg, whole_message_fallback=False)
    if part is None:
        return None
    return decode_mail_part(part), "html" if subtype == "html" else "text"


def read_mbox(path: Path, config: AuditConfig, max_bytes: int) -> Iterator[tuple[Message | Problem, int]]:
    file = str(path)
    # mailbox finds messages by "From " lines; the same scan gives each one's line.
    starts: list[int] = []
    try:
        with path.open("rb") as fh:
            for line_no, raw in enumerate(fh, start=1):
                if raw.startswith(b"From "):
                    starts.append(line_no)
        box = mailbox.mbox(str(path), create=False)
        keys = list(box.iterkeys())
    except (OSError, mailbox.Error) as exc:
        yield Problem(file, None, f"cannot be read as mbox ({exc})", fatal=True), input_size(path)
        return
    total = input_size(path)
    roots: dict[str, str] = {}
    if not keys:
        yield Problem(file, None, "has no mail messages in it"), total
    for index, key in enumerate(keys):
        line_no = starts[index] if index < len(starts) else None
        consumed = total * (index + 1) // max(1, len(keys))
        try:
            data = box.get_bytes(key)
        except (OSError, KeyError, mailbox.Error) as exc:
            yield Problem(file, line_no, f"message {index + 1} cannot be read ({exc})"), consumed
            continue
        if len(data) > max_bytes:
            yield Problem(file, line_no, f"message {index + 1} is over the {max_bytes:,}-byte limit"), consumed
            continue
        try:
            raw = decode_bytes(data, f"{file}:{line_no}")
        except InputError as exc:
            yield Problem(file, line_no, str(exc).split(": ", 1)[-1]), consumed
            continue
        yield message_from_mail(raw, f"{file}:{line_no}", config, roots, f"{input_id(path)}#{index + 1}"), consumed
    box.close()


def read_reply_file(path: Path, base: Path, config: AuditConfig, max_bytes: int, roots: dict[str, str]) -> Message | Problem:
    file = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Problem(file, None, f"is {size:,} bytes, over the {max_bytes:,}-byte limit")
        text = decode_bytes(path.read_bytes(), file)
    except InputError as exc:
        return Problem(file, None, str(exc).split(": ", 1)[-1])
    except OSError as exc:
        return Problem(file, None, f"cannot be read ({exc.strerror or exc})")
    rel = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name
    reply_id = input_id(path)
    fmt = REPLY_SUFFIXES.get(path.suffix.lower(), "text")
    if fmt == "eml":
        return message_from_mail(text, f"{file}:1", config, roots, reply_id)
    if not text.strip():
        return Problem(file, None, "empty reply")
    # A folder per ticket (tickets/1234/reply-1.txt) makes the folder the ticket.
    parent = Path(rel).parent.as_posix()
    return Message(reply_id, None if parent == "." else parent, AGENT, None, None, None, text, fmt, f"{file}:1",
                   derived_id=True)


def read_folder(folder: Path, config: AuditConfig, max_bytes: int) -> Iterator[tuple[Message | Problem, int]]:
    consumed = 0
    roots: dict[str, str] = {}
    files = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue  # .git, .DS_Store: not part of the export
        files += 1
        consumed += input_size(path)
        if path.suffix.lower() not in REPLY_SUFFIXES:
            yield Problem(str(path), None, "skipped: not a reply file (.txt, .md, .html or .eml)"), consumed
            continue
        yield read_reply_file(path, folder, config, max_bytes, roots), consumed

    if files == 0:
        yield Problem(str(folder), None, "is an empty folder (no .txt, .md, .html or .eml replies in it)"), consumed
