"""Text with a map back to the original input.

Every stage that changes text (HTML to text, MIME decoding) returns a ``MappedText``
so that a finding found in the analysed text can still point at the line and
column of the file the user opened.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MappedText:
    """``text`` plus, for each of its characters, the index of the original
    character it came from. ``origin is None`` means the identity map."""

    text: str
    origin: tuple[int, ...] | None = None

    def to_original(self, index: int) -> int:
        if self.origin is None:
            return index
        if not self.origin:
            return 0
        if index >= len(self.origin):
            return self.origin[-1] + 1
        return self.origin[index]

    def from_original(self, index: int) -> int:
        """The first character of ``text`` that comes from original ``index``
        or later (``len(text)`` past the end): where a position in the file
        lands in the analysed text."""
        if self.origin is None:
            return index
        return min(bisect.bisect_left(self.origin, index), len(self.origin))


class TextBuilder:
    """Accumulates output characters together with their original indices."""

    def __init__(self) -> None:
        self._chars: list[str] = []
        self._origin: list[int] = []

    def add(self, text: str, origin_start: int, *, synthetic: bool = False) -> None:
        """Append ``text``; ``synthetic`` text (inserted newlines, bullets) maps
        every character to ``origin_start``."""
        for i, ch in enumerate(text):
            self._chars.append(ch)
            self._origin.append(origin_start if synthetic else origin_start + i)

    def add_char(self, ch: str, origin: int) -> None:
        self._chars.append(ch)
        self._origin.append(origin)

    def drop_trailing(self, chars: str) -> None:
        while self._chars and self._chars[-1] in chars:
            self._chars.pop()
            self._origin.pop()

    def last(self) -> str:
        return self._chars[-1] if self._chars else ""

    def build(self) -> MappedText:
        return MappedText("".join(self._chars), tuple(self._origin))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class LineIndex:
    """Turns an index into the original text into 1-based (line, column).

    Columns count Unicode code points, as ruff and Vale do; ``\\r\\n`` is one break.
    """

    text: str
    starts: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        starts = [0]
        starts.extend(m.end() for m in _LINE_BREAK.finditer(self.text))
        object.__setattr__(self, "starts", tuple(starts))

    def position(self, index: int) -> tuple[int, int]:
        index = max(0, min(index, len(self.text)))
        line = bisect.bisect_right(self.starts, index) - 1
        return line + 1, index - self.starts[line] + 1

    def end_position(self) -> tuple[int, int]:
        """Position just after the last visible character."""
        end = len(self.text)
        while end > 0 and self.text[end - 1] in "\r\n":
            end -= 1
        return self.position(end)
