"""Sentence boundaries that respect lists, line breaks and version numbers.

spaCy's rule-based sentencizer makes "1." a sentence of its own and splits
"4.2.0"-style strings badly; replies are full of both. This splitter works on the
masked text (see segment.py) and knows about paragraphs and list items, which the
batching check needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*\u2022+\u25aa\u2013]|\(?\d{1,2}[.)]|\(?[a-hA-H][.)]|\[[ xX]\])[ \t]+(?=\S)")
_ABBREVIATIONS = frozenset(
    ["e.g", "i.e", "etc", "vs", "approx", "mr", "mrs", "ms", "dr", "no", "nos", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc", "ltd", "co", "corp", "st", "p.s", "ps", "a.m", "p.m", "am", "pm", "eg", "ie", "cf", "al", "ver", "v"]
)
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_INITIAL = re.compile(r"\b[A-Z]$")
# Pictographs (with their variation selectors, joiners and skin tones) and the
# common emoticons. In chat and casual mail they end a clause as a full stop would:
# "works for me 🤷 are you still seeing it?" is two sentences.
# One class after the first pictograph, never a repeated group: a nested
# quantifier over overlapping classes backtracks exponentially on a run of emoji
# not followed by a space. Arrows (➜ ➡ ⬅) and ticks (✓ ✔) are left out: they
# stand inside a sentence ("Settings ➜ Billing", "Tests ✔ passed").
_PICTOGRAPH = "\U0001F000-\U0001FAFF\u2600-\u2712\u2715-\u2793\u2B1B\u2B1C\u2B50\u2B55"
_EMOJI = f"[{_PICTOGRAPH}][{_PICTOGRAPH}\uFE0F\u200D\U0001F3FB-\U0001F3FF]*"
_EMOTICON = r"(?<!\S)(?::-?[)(DPp]|;-?\)|:\+1:)"
_PUNCTUATION_BOUNDARY = r"([.!?]+|[.!?]*[\"')\]]+)(?=\s+[\"'(\[]?[A-Z0-9@#*_`])|[!?]+(?=\s)|\.(?=\s+[a-z]{2,}\s)"
_BOUNDARY = re.compile(rf"{_PUNCTUATION_BOUNDARY}|(?<=\s){_EMOJI}(?=\s)|{_EMOTICON}(?=\s)")
# Most chunks are ASCII with no ':' or ';', where no emoji or emoticon can stand:
# the shorter expression finds the same boundaries faster.
_PLAIN_BOUNDARY = re.compile(_PUNCTUATION_BOUNDARY)
_ENDS_WITH_EMOJI = re.compile(rf"(?:\s{_EMOJI}|{_EMOTICON})$")
_EMOTICON_LAST_CHARS = frozenset(")(DPp:")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str
    paragraph: int  # index of the block of non-blank lines it stands in
    list_item: int | None  # index of the list item it belongs to, if any
    list_id: int | None  # index of the list (run of items) it belongs to, if any
    lead_in: bool = False  # ends with ':' (or announces its items with '?') and introduces a list

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")


def split_sentences(masked: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    paragraph = -1
    list_item = -1
    list_id = -1
    in_list = False
    prev_blank = True
    chunk_start: int | None = None
    chunk_item: int | None = None
    chunk_list: int | None = None
    chunk_para = 0

    def flush(end: int) -> None:
        nonlocal chunk_start
        if chunk_start is not None:
            sentences.extend(_split_chunk(masked, chunk_start, end, chunk_para, chunk_item, chunk_list))
        chunk_start = None

    pos = 0
    prev_line = ""
    for raw_line in masked.split("\n"):
        line_start = pos
        line_end = pos + len(raw_line)
        pos = line_end + 1
        if not raw_line.strip():
            flush(line_start)
            prev_blank = True
            prev_line = ""
            continue
        if prev_blank:
            paragraph += 1
        item = _LIST_ITEM.match(raw_line)
        content_start = line_start + (item.end() if item else len(raw_line) - len(raw_line.lstrip()))
        starts_new = (
            prev_blank
            or item is not None
            or _ends_sentence(prev_line)
            or (_is_short(prev_line) and raw_line.lstrip()[:1].isupper())
        )
        if item is not None:
            if not in_list:
                list_id += 1
            in_list = True
            list_item += 1
        elif prev_blank and not raw_line.startswith((" ", "\t")):
            in_list = False
        if starts_new:
            flush(line_start)
            chunk_start = content_start
            chunk_para = paragraph
            chunk_item = list_item if in_list else None
            chunk_list = list_id if in_list else None
        prev_blank = False
        prev_line = raw_line
    flush(len(masked))
    return _mark_lead_ins(sentences)


# "Could you send me a few more details?" over a list announces its items as a
# colon does; "Did the restart help?" over a list of what we did does not.
_ANNOUNCES_ITEMS = re.compile(r"\b(?:following|these|those|below|details|info(?:rmation)?|things|questions|items|points)\b", re.IGNORECASE)


def ends_as_lead_in(text: str) -> bool:
    """Whether a sentence ends as a list's lead-in would: with a colon, or as a
    question that announces the items ("... a few more details?")."""
    text = text.rstrip()
    return text.endswith(":") or (text.endswith("?") and _ANNOUNCES_ITEMS.search(text) is not None)


def _mark_lead_ins(sentences: list[Sentence]) -> list[Sentence]:
    out = []
    for i, s in enumerate(sentences):
        nxt = sentences[i + 1] if i + 1 < len(sentences) else None
        lead = ends_as_lead_in(s.text) and nxt is not None and nxt.list_item is not None and s.list_item is None
        out.append(Sentence(s.start, s.end, s.text, s.paragraph, s.list_item, s.list_id, lead) if lead else s)
    return out


def _ends_sentence(line: str) -> bool:
    line = line.rstrip()
    if line.endswith((".", "!", "?", ":", ";")):
        return True
    last = line[-1:]
    return bool(last) and (not last.isascii() or last in _EMOTICON_LAST_CHARS) and _ENDS_WITH_EMOJI.search(line[-64:]) is not None


def _is_short(line: str) -> bool:
    return 0 < len(line.strip()) < 45


def _split_chunk(text: str, start: int, end: int, para: int, item: int | None, list_id: int | None) -> list[Sentence]:
    out = []
    chunk = text[start:end]
    cursor = 0
    boundary = _PLAIN_BOUNDARY if chunk.isascii() and ":" not in chunk and ";" not in chunk else _BOUNDARY
    for m in boundary.finditer(chunk):
        cut = m.end()
        before = chunk[cursor:m.start()]
        # Only the end of ``before`` matters; every abbreviation is far shorter
        # than the window, so a word cut by it cannot be one either.
        last_word = _LAST_WORD.search(before[-24:])
        if m.group(0).startswith(".") and last_word and last_word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        if m.group(0) == "." and _INITIAL.search(before[-2:]):
            continue  # initials: "J. Smith"
        _add(out, text, start + cursor, start + cut, para, item, list_id)
        cursor = cut
    _add(out, text, start + cursor, end, para, item, list_id)
    return out


def _add(out, text, s, e, para, item, list_id) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s and any(c.isalnum() for c in text[s:e]):
        out.append(Sentence(s, e, text[s:e], para, item, list_id))
