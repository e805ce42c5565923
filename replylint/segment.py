"""Separate the engineer's own prose from everything else in a reply.

Quoted history, code, logs, configuration, greetings, sign-offs, signatures and
replylint's own comments are *masked*: replaced by spaces (newlines kept), so the
masked text has the same length as the input and every offset stays valid.
The words that recognise greetings, sign-offs and quote headers are data
(checks/lexicons/mail.toml), handed in as ``MailConventions``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_QUOTE_LINE = re.compile(r"^\s{0,3}>")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SUPPRESSION = re.compile(
    r"<!--\s*replylint\s*:\s*(?P<action>ignore|disable|enable)\s*(?:\[(?P<rules>[^\]]*)\])?\s*(?P<reason>.*?)\s*-->",
    re.DOTALL | re.IGNORECASE,
)
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_VERSIONISH = re.compile(r"^v?\d+(\.\d+)+[\w.\-+]*$|^[\w.\-+@/]{1,30}\s+v?\d+(\.\d+)+[\w.\-+]*$")
_MD_LINK_TARGET = re.compile(r"\]\((?:[^()\s]|\([^()\s]*\))+\)")

_CODE_LINE = re.compile(
    r"""^\s*(?:
        \[?\d{4}-\d{2}-\d{2}[ T]\d            # timestamped log line
      | \[?\d{2}:\d{2}:\d{2}[.,\]]            # time-first log line
      | \[\d{4}                                # [2024...
      | (?:ERROR|WARN|WARNING|INFO|DEBUG|TRACE|FATAL|SEVERE)\b\s*[\]:\-|]
      | \[(?:ERROR|WARN|WARNING|INFO|DEBUG|TRACE|FATAL|SEVERE)\]
      | at\s+[\w$.<>/]+\(.*\)\s*$              # Java stack frame
      | \.\.\.\s\d+\smore\s*$
      | Caused\sby:\s
      | Traceback\s\(most\srecent\scall\slast\)
      | File\s".*",\sline\s\d+
      | [\w.]*(?:Exception|Error)(?::\s.*)?$      # exception line
      | (?:\$|\#|>>>|PS\s[A-Z]:\\|[A-Z]:\\[^ ]*>)\s
      | (?:sudo|curl|kubectl|docker|npm|npx|pip|pip3|mvn|helm|systemctl|wget|ssh|scp|tail|grep|cat|cd|ls|export|java\s-|python3?\s)\s*\S
      | </?[A-Za-z][\w:.-]*(?:\s+[\w:.-]+=(?:"[^"]*"|'[^']*'))*\s*/?>
      | [{}\[\]()],?;?\s*$
      | "[^"\n]+"\s*:\s*
      | [\w-]+(?:\.[\w-]+)+\s*[:=]\s*\S        # dotted.config.key = value
      | [\w.-]+=\S*\s*$                        # key=value
      | \[[\w.\-"]+\]\s*$                       # [toml.table]
      | (?:def|class|import|from\s\S+\simport|public|private|protected|function|const|let|var|return|package)\s
      | //|/\*|\*/
    )""",
    re.VERBOSE,
)
_CODE_END = re.compile(r"[;{}]\s*$")


@dataclass(frozen=True, slots=True)
class MailConventions:
    greeting: re.Pattern[str]
    greeting_prefix: re.Pattern[str]
    signoff: re.Pattern[str]
    quote_header: re.Pattern[str]
    quote_start: re.Pattern[str]
    # A helpdesk's marker over the message it mails out: at the top, only that
    # line is masked and the reply under it is read (under a reply, it starts history).
    top_marker: re.Pattern[str]
    # The date line of a helpdesk's comment header ("Nov 26, 2026, 09:20 GMT"
    # under the author's name), in the thread a notification mails below the marker.
    comment_date: re.Pattern[str]
    # The helpdesk's notice between that marker and the newest comment.
    notice_line: re.Pattern[str]
    # A line under a name that makes the name a signature's: a job title, a
    # company, a phone number, an address ("Support Engineer | Acme Ltd.").
    signature_detail: re.Pattern[str]
    # Words of a heading over the reply's own text ("Root Cause", "Next Steps"), never of a name.
    heading_words: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Region:
    start: int
    end: int
    kind: str  # quote | code | greeting | signoff | comment


@dataclass(frozen=True, slots=True)
class SuppressionComment:
    action: str  # ignore | disable | enable
    rules: tuple[str, ...]  # empty: all rules
    reason: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Segmented:
    text: str  # masked text: same length as the input
    regions: tuple[Region, ...]
    suppressions: tuple[SuppressionComment, ...]


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, end excluding the newline."""
    spans = []
    start = 0
    for m in re.finditer(r"\n", text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


# Neither alphanumeric nor space (``\w`` is alphanumeric or "_").
_SYMBOL = re.compile(r"[^\w\s]|_")


def looks_like_code(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    if _CODE_LINE.match(line):
        return True
    if _CODE_END.search(stripped) and not stripped.endswith(("...", ":)")):
        return True
    if len(stripped) >= 12:
        symbols = len(_SYMBOL.findall(stripped))
        if symbols / len(stripped) > 0.3:
            return True
    return False


def segment(text: str, conv: MailConventions) -> Segmented:
    regions: list[Region] = []
    suppressions = tuple(
        SuppressionComment(
            action=m.group("action").lower(),
            rules=tuple(r.strip() for r in (m.group("rules") or "").split(",") if r.strip()),
            reason=m.group("reason").strip(),
            start=m.start(),
            end=m.end(),
        )
        for m in _SUPPRESSION.finditer(text)
    )
    for m in _COMMENT.finditer(text):
        regions.append(Region(m.start(), m.end(), "comment"))

    lines = _lines(text)
    kinds: list[str | None] = [None] * len(lines)
    in_fence = False
    quote_rest_from: int | None = None
    prose_seen = False  # a line of the reply's own text before this one
    history_from: int | None = None  # an older comment of a mailed helpdesk thread
    for i, (s, e) in enumerate(lines):
        if i and not prose_seen and kinds[i - 1] is None:
            prose_seen = bool(text[lines[i - 1][0]:lines[i - 1][1]].strip())
        if i == history_from:
            quote_rest_from = i
            break
        if kinds[i] is not None:
            continue  # a helpdesk notice or comment header, marked with its marker
        line = text[s:e].replace("\r", "")
        if _FENCE.match(line):
            kinds[i] = "code"
            in_fence = not in_fence
            continue
        if in_fence:
            kinds[i] = "code"
            continue
        if _QUOTE_LINE.match(line):
            kinds[i] = "quote"
            continue
        if not prose_seen and conv.top_marker.match(line):
            kinds[i] = "quote"
            headers = _comment_headers(lines, i + 1, text, conv)
            if headers:
                # The notice and the newest comment's header are the helpdesk's;
                # its text is the reply; an older comment starts the history.
                for j in range(i + 1, headers[0][1] + 1):
                    kinds[j] = "quote"
                history_from = headers[1][0] if len(headers) > 1 else None
            continue
        if conv.quote_start.match(line) or _is_outlook_header(lines, i, text):
            quote_rest_from = i
            break
        header = conv.quote_header.match(line) or _two_line_wrote(lines, i, text, conv)
        if header:
            # Gmail prefixes the history with '>'; other clients do not, so the
            # rest of the message is history unless it is '>'-quoted.
            following = [text[a:b] for a, b in lines[i + 1:i + 4] if text[a:b].strip()]
            kinds[i] = "quote"
            if header is not True and isinstance(header, int):
                kinds[header] = "quote"
            if following and _QUOTE_LINE.match(following[0]):
                continue
            quote_rest_from = i
            break
        if looks_like_code(line):
            kinds[i] = "code"
    if quote_rest_from is not None:
        for j in range(quote_rest_from, len(lines)):
            kinds[j] = "quote"
    _mark_transcripts(text, lines, kinds)

    _mark_greeting_and_signoff(text, lines, kinds, conv, regions)

    for i, kind in enumerate(kinds):
        if kind:
            s, e = lines[i]
            regions.append(Region(s, e, kind))

    for m in _INLINE_CODE.finditer(text):
        inner = m.group(2).strip()
        if _VERSIONISH.match(inner):
            # "`4.2.0`" is still a version the setup check must see: drop only the ticks.
            regions.append(Region(m.start(), m.start() + len(m.group(1)), "code"))
            regions.append(Region(m.end() - len(m.group(1)), m.end(), "code"))
        else:
            regions.append(Region(m.start(), m.end(), "code"))
    for m in _MD_LINK_TARGET.finditer(text):
        regions.append(Region(m.start() + 1, m.end(), "code"))

    masked = list(text)
    for r in regions:
        for k in range(r.start, min(r.end, len(masked))):
            if masked[k] != "\n":
                masked[k] = " "
    if regions:
        # Inline code in the middle of a sentence becomes one placeholder word, so
        # "send the output of `java -version`" still reads as a request.
        for r in regions:
            if r.kind == "code" and r.end - r.start >= 3 and "\n" not in text[r.start:r.end]:
                masked[r.start:r.start + 3] = list("___")
    masked_text = "".join(masked).replace("\r", " ")
    return Segmented(masked_text, tuple(sorted(regions, key=lambda r: (r.start, r.end))), suppressions)


_TRANSCRIPT_START = re.compile(r"^\s*\[[^\]\n]*\b(?:transcript|chat\s+log|call\s+log|conversation\s+log)\b[^\]\n]*\]\s*$", re.IGNORECASE)
_TRANSCRIPT_END = re.compile(r"^\s*\[\s*end\s+of\b[^\]\n]*\]\s*$", re.IGNORECASE)
_TIMED_TURN = re.compile(r"^\s*[\[(]?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?[\])]?\s*[-–]?\s*[^:\n]{1,40}?:\s+\S")
_SPEAKER_TURN = re.compile(r"^\s*([A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2})(?:\s*\([^)\n]{1,30}\))?:\s+\S")
# "Status: investigating", "ETA: Friday": labels of the reply itself, not speakers.
_LABEL_WORDS = frozenset([
    "status", "eta", "next", "note", "notes", "update", "summary", "cause", "root", "impact", "workaround",
    "resolution", "result", "results", "action", "actions", "ticket", "ref", "reference", "priority", "severity",
    "issue", "problem", "fix", "solution", "step", "steps", "reason", "environment", "version", "subject", "from",
    "to", "date", "sent", "cc", "error", "warning", "info", "debug", "trace", "question", "answer", "q", "a",
])


def _mark_transcripts(text: str, lines: list[tuple[int, int]], kinds: list[str | None]) -> None:
    """A pasted chat or call transcript is quoted history, like a quoted mail:
    a '[Chat transcript ...]' ... '[End of transcript]' block, timestamped turns
    ('[10:02] Jonas: ...'), or a run of three or more 'Name: ...' turns in which
    some speaker talks twice."""
    n = len(lines)
    i = 0
    while i < n:
        line = text[lines[i][0]:lines[i][1]]
        if kinds[i] is None and _TRANSCRIPT_START.match(line):
            j = i + 1
            while j < n and not _TRANSCRIPT_END.match(text[lines[j][0]:lines[j][1]]):
                if not text[lines[j][0]:lines[j][1]].strip() and not _ends_later(text, lines, j):
                    break
                j += 1
            for k in range(i, min(j + 1, n)):
                kinds[k] = kinds[k] or "quote"
            i = j + 1
            continue
        i += 1
    for turn, min_run in ((_TIMED_TURN, 2), (_SPEAKER_TURN, 3)):
        i = 0
        while i < n:
            j = i
            speakers: list[str] = []
            while j < n and kinds[j] is None:
                m = turn.match(text[lines[j][0]:lines[j][1]])
                if not m:
                    break
                speakers.append(m.group(1).lower() if m.groups() else "")
                j += 1
            if j - i >= min_run and (turn is _TIMED_TURN or _looks_like_dialogue(speakers)):
                for k in range(i, j):
                    kinds[k] = "quote"
            i = max(j, i + 1)


def _ends_later(text: str, lines: list[tuple[int, int]], j: int) -> bool:
    """A blank line inside a marked transcript is part of it if the end marker follows soon."""
    return any(_TRANSCRIPT_END.match(text[a:b]) for a, b in lines[j + 1:j + 12])


def _looks_like_dialogue(speakers: list[str]) -> bool:
    distinct = set(speakers)
    if len(distinct) < 2 or len(distinct) == len(speakers):
        return False  # one voice, or every "speaker" once: a list of labels
    return not any(word in _LABEL_WORDS for name in distinct for word in name.split())


def _is_outlook_header(lines: list[tuple[int, int]], i: int, text: str) -> bool:
    """An Outlook-style 'From: ... Sent: ... To: ... Subject:' block, not a body line
    that happens to start with 'From:'."""
    first = text[lines[i][0]:lines[i][1]].strip().lstrip("*").lower()
    if not first.startswith(("from:", "de:", "von:")):
        return False
    window = " ".join(text[a:b].lower().lstrip("* ") for a, b in lines[i + 1:i + 6])
    has_when = any(k in window for k in ("sent:", "date:", "envoyé:", "gesendet:"))
    has_what = any(k in window for k in ("to:", "subject:", "objet:", "betreff:"))
    return has_when and has_what


_SEPARATOR = re.compile(r"^[-_=*]{3,}$")


def _comment_headers(lines: list[tuple[int, int]], start: int, text: str, conv: MailConventions) -> list[tuple[int, int]]:
    """(name line, date line) of each comment header from line ``start`` on, in
    a helpdesk's mailed thread: a date line with the author's name on the
    non-blank line before it ("Omar (Acme Support)" / "Nov 26, 2026, 09:20 GMT").
    The newest comment's header comes right under the marker, its notice
    ("Your request (48213) has been updated ...") and separators; an older one
    after a separator line, or under a name already seen. A date inside a
    comment is neither."""
    filled = [j for j in range(start, len(lines)) if text[lines[j][0]:lines[j][1]].strip()]
    headers: list[tuple[int, int]] = []
    names: set[str] = set()
    for k in range(1, len(filled)):
        name_line, date_line = filled[k - 1], filled[k]
        name = text[lines[name_line][0]:lines[name_line][1]].strip()
        if (not conv.comment_date.match(text[lines[date_line][0]:lines[date_line][1]].strip()) or len(name) > 80
                or name.endswith((".", "!", "?", ":", ";", ","))):
            continue
        if not headers:
            above = (text[lines[j][0]:lines[j][1]].strip() for j in filled[:k - 1])
            if not all(_SEPARATOR.match(a) or conv.notice_line.search(a) for a in above):
                return []  # the reply's own text before any header: no mailed thread
        elif not (_SEPARATOR.match(text[lines[filled[k - 2]][0]:lines[filled[k - 2]][1]].strip()) or name in names):
            continue  # an older comment: after a separator line, or under a name already seen
        headers.append((name_line, date_line))
        names.add(name)
    return headers


def _two_line_wrote(lines: list[tuple[int, int]], i: int, text: str, conv: MailConventions) -> int | bool:
    """Gmail wraps long 'On ..., X <x@y> wrote:' headers over two lines."""
    if i + 1 >= len(lines):
        return False
    first = text[lines[i][0]:lines[i][1]]
    if not re.match(r"^\s*On\s", first):
        return False
    joined = first.rstrip() + " " + text[lines[i + 1][0]:lines[i + 1][1]].strip()
    if conv.quote_header.match(joined):
        return i + 1
    return False


def _mark_greeting_and_signoff(text, lines, kinds, conv: MailConventions, regions: list[Region]) -> None:
    prose = [i for i, k in enumerate(kinds) if k is None and text[lines[i][0]:lines[i][1]].strip()]
    if not prose:
        return
    first = prose[0]
    s, e = lines[first]
    line = text[s:e]
    if conv.greeting.match(line):
        kinds[first] = "greeting"
    else:
        m = conv.greeting_prefix.match(line)
        if m:
            regions.append(Region(s, s + m.end(), "greeting"))
    # Sign-off: the first closing formula in the last stretch of prose masks
    # everything after it up to quoted history (name, title, phone, disclaimer);
    # without one, a signature block does (a name over its title or company).
    for i in prose:
        s, e = lines[i]
        if (conv.signoff.match(text[s:e]) or _starts_signature(i, text, lines, conv)) and _is_late(i, prose, text, lines):
            for j in range(i, len(kinds)):
                if kinds[j] == "quote":
                    break
                if kinds[j] is None:
                    kinds[j] = "signoff"
            break


# A name on a line of its own: one to four capitalised words ("Omar Haddad",
# "Mary-Jane O'Neil", "J. R. Smith"), with a lower-case particle between ("Anna van Dijk").
_NAME_LINE = re.compile(r"^\s*(?:[A-Z][a-zà-ÿ'’-]+(?:[A-Z][a-zà-ÿ'’-]+)?|[A-Z]\.)(?:\s+(?:[A-Z][a-zà-ÿ'’-]+(?:[A-Z][a-zà-ÿ'’-]+)?|[A-Z]\.|van|von|de|der|den|da|di|du|le|la|al|el|bin|ibn)){0,3}\s*$")


# A detail line is no sentence: "Support Engineer | Acme Ltd.", not "Team B deployed a change."
_SENTENCE_WORDS = re.compile(r"\b(?:we|you|i|our|your|will|please|is|are|was|were|can|should|see|has|have)\b", re.IGNORECASE)
_ABBREVIATION_END = re.compile(r"(?:\b(?:ltd|inc|corp|co|plc|llc|gmbh|bv|sa|pty)|\b[a-z])\.$", re.IGNORECASE)


def _starts_signature(i: int, text: str, lines, conv: MailConventions) -> bool:
    """Line ``i`` is a name that opens a signature block: it begins its
    paragraph, is no heading, and the line under it reads as a signature's
    detail (short, no sentence, a title, team, company, phone or address)."""
    name = text[lines[i][0]:lines[i][1]]
    if not _NAME_LINE.match(name) or any(w.lower().strip(".") in conv.heading_words for w in name.split()):
        return False
    if i and text[lines[i - 1][0]:lines[i - 1][1]].strip():
        return False
    if i + 1 >= len(lines):
        return False
    below = text[lines[i + 1][0]:lines[i + 1][1]].strip()
    if not below or len(below.split()) > 8 or _SENTENCE_WORDS.search(below):
        return False
    if below.endswith((".", "!", "?", ";", ":")) and not _ABBREVIATION_END.search(below):
        return False
    return conv.signature_detail.search(below) is not None


def _is_late(i: int, prose: list[int], text: str, lines) -> bool:
    """A sign-off stands in the last few prose lines, not at the top. As the
    first prose line ("> quoted question" then "Thanks, Lena." and the answer)
    it is a thank-you opening unless only a short signature follows."""
    remaining = [j for j in prose if j > i]
    if i == prose[0] and remaining:
        return len(remaining) <= 3 and all(lines[j][1] - lines[j][0] <= 60 for j in remaining)
    if remaining and lines[remaining[0]][1] - lines[remaining[0]][0] > 80:
        # "Thank you for your patience." followed by a paragraph of prose: a
        # courtesy line, not the sign-off (a signature's next line is a name).
        return False
    return len(remaining) <= 8 or i == prose[-1]
