"""Reading inputs: files, stdin, strings; plain text, Markdown, HTML and .eml.

Reading never raises for bad content: what cannot be read becomes an
``InputError`` with a message that says which input and what to do.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from .htmltext import html_to_text, looks_like_html
from .text import MappedText, TextBuilder

MAX_BYTES_DEFAULT = 10 * 1024 * 1024
FORMATS = ("text", "markdown", "html", "eml")
_EXTENSIONS = {
    ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html", ".eml": "eml",
}
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:\s")
_MAIL_HEADERS = re.compile(r"^(from|to|subject|date|mime-version|content-type|message-id|received|return-path):",
                           re.IGNORECASE | re.MULTILINE)


class InputError(Exception):
    """An input that cannot be checked; the message tells the user why and what to do."""


@dataclass(frozen=True)
class Source:
    """One input as given: its name, its declared or sniffed format, its text."""

    name: str
    text: str
    format: str = "text"


def detect_format(name: str, text: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    head = text[:4000]
    first_block = head.split("\n\n", 1)[0].replace("\r", "")
    lines = [ln for ln in first_block.split("\n") if ln.strip()]
    if lines and len(_MAIL_HEADERS.findall(first_block)) >= 2 and all(
        _HEADER_LINE.match(ln) or ln[:1] in " \t" for ln in lines
    ):
        return "eml"
    if looks_like_html(head):
        return "html"
    return "text"


# Windows saves "Unicode" text as UTF-16 with a byte-order mark; longest first,
# since the UTF-32 LE mark begins with the UTF-16 LE one.
_BYTE_ORDER_MARKS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                     (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"\xef\xbb\xbf", "utf-8"))


def decode_bytes(data: bytes, name: str) -> str:
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return data[len(mark):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(f"{name}: starts with a {encoding} byte-order mark but is not valid {encoding} "
                                 f"(byte {exc.start + len(mark)}); save it as UTF-8") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file (it contains NUL bytes); give a text, Markdown, HTML or "
                         ".eml reply (UTF-16 text needs its byte-order mark, or save it as UTF-8)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # One stray byte in an otherwise UTF-8 file (a pasted Latin-1 name) should not
    # turn every accented letter into two cp1252 characters and shift columns:
    # where valid multi-byte UTF-8 outnumbers the bad bytes, read it as UTF-8.
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    if sum(ord(c) > 127 and c != "\ufffd" for c in lenient) > bad:
        return lenient
    # Exports from Windows mail clients are often cp1252; every byte decodes.
    return data.decode("cp1252", errors="replace")


def read_path(path: str | Path, *, fmt: str | None = None, max_bytes: int = MAX_BYTES_DEFAULT) -> Source:
    p = Path(path)
    name = str(path)
    if p.is_dir():
        raise InputError(f"{name}: is a directory; give the files in it (for example {name}/*.txt)")
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if size > max_bytes:
        raise InputError(f"{name}: is {size:,} bytes, over the {max_bytes:,}-byte limit (raise max-bytes in the config to check it)")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    return source_from_bytes(data, name, fmt=fmt)


def source_from_bytes(data: bytes, name: str, *, fmt: str | None = None) -> Source:
    text = decode_bytes(data, name)
    return Source(name=name, text=text, format=fmt or detect_format(name, text))


def source_from_text(text: str, name: str = "<string>", fmt: str | None = None) -> Source:
    return Source(name=name, text=text, format=fmt or detect_format(name, text))


# -- turning a source into analysable text -----------------------------------

def to_plain(source: Source) -> MappedText:
    """The text to analyse, mapped back to ``source.text``."""
    if source.format == "html":
        return html_to_text(source.text)
    if source.format == "eml":
        return _eml_to_text(source.text)
    return MappedText(source.text)


def _eml_to_text(raw: str) -> MappedText:
    # compat32 is about ten times faster than the default policy and is lenient.
    msg = email.message_from_string(raw, policy=email.policy.compat32)
    part, subtype = mail_body_part(msg)
    if part is None:
        return MappedText("")
    body = decode_mail_part(part)
    exact = _quoted_printable_map(part, raw, body)
    if exact is not None:
        if subtype != "html":
            return exact
        converted = html_to_text(exact.text)
        return MappedText(converted.text, tuple(exact.to_original(converted.to_original(i))
                                                for i in range(len(converted.text))))
    if subtype == "html":
        converted = html_to_text(body)
        return _align(converted.text, raw, _body_start(raw))
    return _align(body, raw, _body_start(raw))


def mail_body_part(msg: Message, whole_message_fallback: bool = True) -> tuple[Message | None, str]:
    """The part of a mail that holds the reply, and "plain" or "html": the first
    text/plain part that is not an attachment, else the first text/html one,
    else (with ``whole_message_fallback``) a single-part message itself."""
    html_part = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        if (part.get("Content-Disposition") or "").lower().startswith("attachment"):
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            return part, "plain"
        if ctype == "text/html" and html_part is None:
            html_part = part
    if html_part is not None:
        return html_part, "html"
    if whole_message_fallback and not msg.is_multipart():
        return msg, "plain"
    return None, "plain"


def decode_mail_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        # Unknown or wrong charset labels are common in real mail.
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")


def _quoted_printable_map(part: Message, raw: str, decoded: str) -> MappedText | None:
    """The decoded quoted-printable body, each character mapped to its escape or
    character in ``raw``. _align cannot place a line such as ``caf=E9`` (it
    differs from ``café``); without this, its findings land on an earlier line.
    None when the body is not quoted-printable or this decoding does not
    reproduce ``decoded``."""
    if (part.get("Content-Transfer-Encoding") or "").strip().lower() != "quoted-printable":
        return None
    payload = part.get_payload()
    offset = raw.find(payload, _body_start(raw)) if isinstance(payload, str) and payload else -1
    if offset < 0:
        return None
    # The charsets decode_mail_part tries, in its order.
    for charset, errors in ((part.get_content_charset() or "utf-8", "strict"), ("utf-8", "strict"), ("cp1252", "replace")):
        try:
            mapped = _decode_quoted_printable(payload, offset, charset, errors)
        except (LookupError, UnicodeDecodeError):
            continue
        return mapped if mapped.text.splitlines() == decoded.splitlines() else None
    return None


_QP_LINE = re.compile(r"([^\r\n]*)(\r\n|\n|\r)?")
_QP_ASCII_RUN = re.compile(r"[\x00-\x3c\x3e-\x7f]+")  # ASCII but "="
_HEX = frozenset("0123456789abcdefABCDEF")


def _decode_quoted_printable(payload: str, offset: int, charset: str, errors: str) -> MappedText:
    """Decode as the email package does (``=`` at a line end joins lines, line
    breaks become ``\\n``, trailing blanks stay); ``offset`` is where ``payload`` starts in
    the raw message. A character encoded in several bytes maps to its first."""
    decoder = codecs.getincrementaldecoder(charset)(errors)
    out = TextBuilder()
    held_from: int | None = None  # raw index of the first byte the decoder holds

    def feed(data: bytes, at: int, final: bool = False) -> None:
        nonlocal held_from
        if held_from is None:
            held_from = at
        chars = decoder.decode(data, final)
        if chars:
            out.add(chars, held_from, synthetic=True)
            held_from = None

    pos = 0
    while pos < len(payload):
        line = _QP_LINE.match(payload, pos)
        content, line_break = line.group(1), line.group(2)
        joined = bool(line_break) and content.endswith("=") and not content.endswith("==")
        if joined:
            content = content[:-1]
        i = 0
        while i < len(content):
            at = offset + pos + i
            ch = content[i]
            if ch == "=" and content[i + 1:i + 2] == "=":
                feed(b"=", at)
                i += 2
            elif ch == "=" and len(content) > i + 2 and content[i + 1] in _HEX and content[i + 2] in _HEX:
                feed(bytes([int(content[i + 1:i + 3], 16)]), at)
                i += 3
            elif ch.isascii():
                run = _QP_ASCII_RUN.match(content, i)
                if held_from is None and run:
                    # Plain ASCII decodes to itself; one add instead of a decode per character.
                    out.add(run.group(), at)
                    i = run.end()
                else:
                    feed(ch.encode("ascii"), at)
                    i += 1
            else:
                feed(b"", at, final=True)
                out.add_char(ch, at)
                i += 1
        if line_break and not joined:
            feed(b"\n", offset + pos + len(line.group(1)))
        pos = line.end()
    feed(b"", offset + len(payload), final=True)
    return out.build()


def _body_start(raw: str) -> int:
    m = re.search(r"\r?\n\r?\n", raw)
    return m.end() if m else 0


def _align(decoded: str, raw: str, start: int) -> MappedText:
    """Map decoded body text onto the raw message, line by line.

    Unencoded bodies map exactly; a line that was transfer-encoded and cannot be
    found maps to where the search stands (the nearest earlier line)."""
    out = TextBuilder()
    cursor = start
    for line in decoded.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        found = raw.find(content, cursor) if content.strip() else -1
        if found >= 0 and (found - cursor) < 4000:
            out.add(content, found)
            cursor = found + len(content)
        else:
            out.add(content, min(cursor, max(len(raw) - 1, 0)), synthetic=True)
        if len(line) != len(content):
            out.add_char("\n", min(cursor, max(len(raw) - 1, 0)))
    return out.build()
