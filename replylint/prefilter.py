"""Which of the check patterns can match in a sentence, found in one pass.

Running each of the ~100 check patterns over each sentence with Python's ``re``
was three quarters of a warm check: most patterns start with ``\\b`` or a
look-behind, which turns off ``re``'s literal-prefix search, so every pattern
is tried at every position of every sentence.

Here every pattern gets a *widened* copy that RE2 can run (look-arounds and
``\\b`` dropped, upper repeat bounds dropped, character classes widened to
every non-ASCII character). A widened pattern matches wherever the original
does, so a sentence in which RE2's set search (one DFA pass for all patterns)
finds no match for a pattern cannot hold a match of the original either.
Only the surviving (pattern, sentence) pairs are run with ``re``, which still
decides every match, so results are exactly those of scanning everything.

If RE2's DFA runs out of memory it reports no match at all; a sentinel pattern
that matches every sentence tells that case apart, and the sentence is then
scanned with every pattern.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Sequence
from re import _constants as _c
from re import _parser as _sre_parser

from . import __version__, cache

try:
    import re2
except ImportError:  # pragma: no cover - google-re2 ships wheels for the common platforms
    re2 = None

_NON_ASCII = r"\x{80}-\x{10ffff}"
# The ASCII members of Python's classes are fixed; outside ASCII we accept
# everything, so no Unicode version difference between Python and RE2 matters.
_ASCII_MEMBERS = {
    _c.CATEGORY_DIGIT: frozenset(range(0x30, 0x3A)),
    _c.CATEGORY_WORD: frozenset([*range(0x30, 0x3A), *range(0x41, 0x5B), *range(0x61, 0x7B), 0x5F]),
    _c.CATEGORY_SPACE: frozenset([*range(0x09, 0x0E), *range(0x1C, 0x21)]),
}
_NEGATED = {_c.CATEGORY_NOT_DIGIT: _c.CATEGORY_DIGIT, _c.CATEGORY_NOT_WORD: _c.CATEGORY_WORD,
            _c.CATEGORY_NOT_SPACE: _c.CATEGORY_SPACE}
_ASCII = frozenset(range(0x80))
_WIDENING_VERSION = 1  # bump when widen() changes: cached results are keyed by it
_ZERO_WIDTH = (_c.AT, _c.ASSERT, _c.ASSERT_NOT)
_REPEATS = tuple(op for op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)) if op)
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)


class _Unsupported(Exception):
    pass


def widen(pattern: str, flags: int = 0) -> str | None:
    """An RE2 pattern matching at least wherever ``pattern`` matches, or None
    when there is no useful one (it would match the empty string, or uses
    ignore-case or a conditional group)."""
    if flags & re.IGNORECASE:
        return None
    try:
        parsed = _sre_parser.parse(pattern, flags)
        if parsed.state.flags & re.IGNORECASE or parsed.getwidth()[0] == 0:
            return None
        return _emit(list(parsed))
    except (_Unsupported, re.error, KeyError, RecursionError):
        return None


def _emit(items) -> str:
    out = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append(_char(av))
        elif op is _c.NOT_LITERAL:
            out.append(f"[^{_char(av)}]")
        elif op is _c.ANY:
            out.append(".")  # both engines: anything but a line feed
        elif op is _c.IN:
            out.append(_char_class(av))
        elif op is _c.CATEGORY:
            out.append(_char_class([(op, av)]))
        elif op is _c.BRANCH:
            out.append("(?:" + "|".join(_emit(list(b)) for b in av[1]) + ")")
        elif op is _c.SUBPATTERN:
            if av[1] & re.IGNORECASE:
                raise _Unsupported("scoped ignore-case")
            out.append("(?:" + _emit(list(av[3])) + ")")
        elif op is _ATOMIC:
            out.append("(?:" + _emit(list(av)) + ")")
        elif op in _REPEATS:
            low, _high, sub = av
            # Upper bounds make RE2's automaton large; dropping them only widens.
            out.append("(?:" + _emit(list(sub)) + (")*" if low == 0 else ")+"))
        elif op in _ZERO_WIDTH:
            continue  # dropping an assertion only widens
        elif op is _c.GROUPREF:
            out.append(r"(?s:.*)")
        else:
            raise _Unsupported(str(op))
    return "".join(out)


def _char(code: int) -> str:
    ch = chr(code)
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{code:x}}}"


def _char_class(items) -> str:
    negate = bool(items) and items[0][0] is _c.NEGATE
    members: set[int] = set()
    ranges: list[str] = []
    any_non_ascii = False
    for op, av in items[1:] if negate else items:
        if op is _c.LITERAL:
            members.add(av) if av < 0x80 else ranges.append(_char(av))
        elif op is _c.RANGE:
            ranges.append(f"{_char(av[0])}-{_char(av[1])}")
        elif op is _c.CATEGORY:
            if av in _ASCII_MEMBERS:
                members |= _ASCII_MEMBERS[av]
                any_non_ascii = True
            elif av in _NEGATED:
                members |= _ASCII - _ASCII_MEMBERS[_NEGATED[av]]
                any_non_ascii = True
            else:
                raise _Unsupported(str(av))
        else:
            raise _Unsupported(str(op))
    if negate:
        # Exclude only what the original surely excludes: literal members and
        # the ASCII part of each category.
        excluded = "".join(_char(m) for m in sorted(members)) + "".join(ranges)
        return f"[^{excluded}]" if excluded else r"(?s:.)"
    body = "".join(_char(m) for m in sorted(members)) + "".join(ranges) + (_NON_ASCII if any_non_ascii else "")
    return f"[{body}]"


class SentencePrefilter:
    """Built once per pipeline from the (folded) check patterns; ``candidates``
    answers, per sentence, which of them need running."""

    def __init__(self, patterns: Sequence[re.Pattern]) -> None:
        self.size = len(patterns)
        self.everything = tuple(range(self.size))
        widened = _widened_cached([(p.pattern, p.flags) for p in patterns])
        self.always = tuple(i for i, w in enumerate(widened) if w is None)
        self._set = None
        self._set_index: list[int] = []
        if re2 is None:
            return
        options = re2.Options()
        options.max_mem = 64 << 20
        options.log_errors = False
        search_set = re2.Set.SearchSet(options)
        search_set.Add("")  # the sentinel: matches every sentence
        for i, w in enumerate(widened):
            if w is not None:
                search_set.Add(w)
                self._set_index.append(i)
        search_set.Compile()
        self._set = search_set

    def candidates(self, sentence: str) -> Sequence[int]:
        """Indices (ascending) of the patterns that may match in ``sentence``."""
        if self._set is None:
            return self.everything
        try:
            hits = self._set.Match(sentence)
        except UnicodeEncodeError:  # lone surrogates: scan with everything
            return self.everything
        if not hits or 0 not in hits:
            return self.everything  # the DFA gave up: no sentinel
        index = self._set_index
        found = {index[h - 1] for h in hits if h}
        found.update(self.always)
        return sorted(found)


def _widened_cached(patterns: list[tuple[str, int]]) -> list[str | None]:
    """Widening re-parses every pattern (~70 ms for the shipped checks, a third
    of a cold check), so the results are kept in the user's cache folder."""
    # Keyed by everything that shapes the result: the patterns, this code, Python's parser.
    stamp = (patterns, __version__, sys.version_info[:2], _WIDENING_VERSION)
    key = hashlib.sha256(repr(stamp).encode("utf-8", "surrogatepass")).hexdigest()[:24]
    name = f"prefilter-{key}.marshal"
    cached = cache.load(name)
    if isinstance(cached, list) and len(cached) == len(patterns):
        return cached
    widened = [widen(pattern, flags) for pattern, flags in patterns]
    cache.store(name, widened)
    return widened
