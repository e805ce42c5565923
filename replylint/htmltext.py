"""HTML mail to plain text, keeping a map back to the HTML source.

Block elements become line breaks, list items become "- " bullets, <blockquote>
and Gmail/Outlook quote containers become "> " lines (so the segmenter treats them
as quoted history), <pre>/<code> blocks become fenced code. Entities are decoded.
The stdlib parser is used on purpose: it tolerates unbalanced tags and reports
the source position of every token, which is what the offset map needs.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from .text import LineIndex, MappedText, TextBuilder

BLOCK_TAGS = frozenset([
    "p", "div", "br", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt",
    "dd", "hr", "section", "article", "header", "footer", "address", "center", "form", "fieldset",
    "figure", "figcaption", "main", "nav", "aside", "details", "summary",
])
SKIP_TAGS = frozenset(["style", "script", "head", "title", "template", "noscript"])
VOID_TAGS = frozenset(["br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base"])
QUOTE_CLASS = re.compile(r"gmail_quote|yahoo_quoted|moz-cite-prefix|OutlookMessageHeader|divRplyFwdMsg|"
                         r"protonmail_quote|zmail_extra", re.IGNORECASE)
# Outlook puts the reply header in its own element and the quoted body after it,
# outside it: everything from such an element to the end is history.
HISTORY_FROM_HERE = re.compile(r"divRplyFwdMsg|OutlookMessageHeader|appendonsend", re.IGNORECASE)
_SPACE = re.compile(r"[ \t\r\n\f\u00a0]")


class _Converter(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.lines = LineIndex(source)
        self.out = TextBuilder()
        self.skip_depth = 0
        self.pre_depth = 0
        self.quote_stack: list[str] = []  # tag names that opened a quote level
        self.history_started = False
        self.open_tags: list[tuple[str, bool]] = []  # (tag, opened_quote)

    # -- position helpers -------------------------------------------------
    def _here(self) -> int:
        line, col = self.getpos()
        return self.lines.starts[line - 1] + col if line - 1 < len(self.lines.starts) else len(self.source)

    def _newline(self, at: int) -> None:
        if self.out.last() not in ("", "\n"):
            self.out.add_char("\n", at)

    def _line_prefix(self, at: int) -> None:
        if self.out.last() in ("", "\n") and self.quote_stack:
            self.out.add("> " * len(self.quote_stack), at, synthetic=True)

    # -- parser callbacks ---------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = self._here()
        if tag in SKIP_TAGS:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        attr = dict(attrs)
        marks = (attr.get("class") or "") + " " + (attr.get("id") or "")
        is_quote = tag == "blockquote" or bool(QUOTE_CLASS.search(marks))
        if not self.history_started and HISTORY_FROM_HERE.search(marks):
            # A quote level that no end tag closes.
            self.history_started = True
            self._newline(at)
            self.quote_stack.append("history")
        if tag in BLOCK_TAGS or tag in ("li", "blockquote", "pre"):
            self._newline(at)
        if tag == "br":
            self.out.add_char("\n", at)
        if tag in ("td", "th") and self.out.last() not in ("", "\n", " ", "\t"):
            # Cells of a row stay apart ("Serial number<TAB>PT-200"), not "Serial numberPT-200".
            self.out.add("\t", at, synthetic=True)
        if is_quote:
            self._newline(at)
            self.quote_stack.append(tag)
        if tag == "li":
            self._line_prefix(at)
            self.out.add("- ", at, synthetic=True)
        if tag == "pre":
            self._line_prefix(at)
            self.out.add("```\n", at, synthetic=True)
            self.pre_depth += 1
        if tag not in VOID_TAGS:
            self.open_tags.append((tag, is_quote))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        at = self._here()
        if tag in SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        # Unbalanced HTML: close back to the matching open tag if there is one.
        if not any(t == tag for t, _ in self.open_tags):
            if tag in BLOCK_TAGS:
                self._newline(at)
            return
        while self.open_tags:
            open_tag, was_quote = self.open_tags.pop()
            if open_tag == "pre":
                self._newline(at)
                self._line_prefix(at)
                self.out.add("```\n", at, synthetic=True)
                self.pre_depth = max(0, self.pre_depth - 1)
            if was_quote and self.quote_stack:
                self._newline(at)
                self.quote_stack.pop()
            if open_tag == tag:
                break
        if tag in BLOCK_TAGS or tag in ("li", "blockquote"):
            self._newline(at)
            if tag in ("p", "div", "blockquote", "ul", "ol", "table") and not self.quote_stack:
                # A paragraph end is a blank line, so paragraphs stay apart.
                self.out.add_char("\n", at)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        self._emit(data, self._here())

    def _emit(self, data: str, start: int) -> None:
        for i, ch in enumerate(data):
            at = start + i
            if self.pre_depth:
                if ch == "\n":
                    self.out.add_char("\n", at)
                else:
                    self._line_prefix(at)
                    self.out.add_char(ch, at)
                continue
            if _SPACE.match(ch):
                if self.out.last() not in ("", " ", "\n"):
                    self.out.add_char(" ", at)
                continue
            self._line_prefix(at)
            self.out.add_char(ch, at)

    def handle_entityref(self, name: str) -> None:
        self._entity(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._entity(f"&#{name};")

    def _entity(self, raw: str) -> None:
        if self.skip_depth:
            return
        at = self._here()
        text = html.unescape(raw)
        if text == "\u00a0":
            text = " "
        self._emit(text, at) if text.strip() else self._emit(" ", at)

    def handle_comment(self, data: str) -> None:
        # Suppression comments (<!-- replylint: ... -->) must survive conversion.
        if self.skip_depth or "replylint" not in data:
            return
        at = self._here()
        self._newline(at)
        self.out.add(f"<!--{data}-->", at)
        self.out.add_char("\n", at)


def html_to_text(source: str) -> MappedText:
    """Convert an HTML mail body to text with an offset map into ``source``."""
    converter = _Converter(source)
    try:
        converter.feed(source)
        converter.close()
    except Exception:  # noqa: BLE001, S110 - malformed markup must never stop a check
        pass
    mapped = converter.out.build()
    return _trim_blank_runs(mapped)


def _trim_blank_runs(mapped: MappedText) -> MappedText:
    """Collapse 3+ newlines into 2 and strip trailing spaces on lines."""
    out = TextBuilder()
    text = mapped.text
    newlines = 0
    for i, ch in enumerate(text):
        origin = mapped.to_original(i)
        if ch == "\n":
            out.drop_trailing(" ")
            newlines += 1
            if newlines <= 2:
                out.add_char(ch, origin)
            continue
        if ch == " " and out.last() in ("", "\n"):
            continue
        newlines = 0
        out.add_char(ch, origin)
    return out.build()


def looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return bool(re.search(r"<(html|body|div|p|br|table|span|blockquote|ul|ol)\b[^>]*>", head))
