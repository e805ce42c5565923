"""Which of the check patterns can match in a sentence, found with RE2.

Running each of the ~100 check patterns over each sentence with Python's ``re``
was three quarters of a warm check: most patterns start with ``\\b`` or a
look-behind, which turns off ``re``'s literal-prefix search, so every pattern
is tried at every position of every sentence.

Here every pattern gets a *requirement*: for each top-level alternative, the
segments of it that any match must contain, widened so RE2 can run them
(look-arounds and ``\\b`` dropped, upper repeat bounds dropped, ``\\w``/``\\s``/``\\d``
taking every non-ASCII character) and cut where the pattern has a letter-eating
gap. Wherever a pattern matches, its requirement is met, so a sentence that
does not meet it cannot hold a match. RE2 set searches (the segments spread
over a few sets) test every requirement in one DFA pass per set; only the
patterns that survive run with ``re``, which still decides every match, so the
results are exactly those of scanning everything.

If RE2's DFA runs out of memory it reports no match at all; a sentinel pattern
in each set that matches every sentence tells that case apart, and the sentence
is then scanned with every pattern.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Sequence
from functools import lru_cache
from re import _constants as _c
from re import _parser as _sre_parser

from . import __version__, cache


@lru_cache(maxsize=1)
def _re2():
    """google-re2, imported when a prefilter is first built (13 ms), or None."""
    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 ships wheels for the common platforms
        return None
    return re2

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
_REQUIREMENTS_VERSION = 4  # bump when requirements() changes: cached results are keyed by it
_ZERO_WIDTH = (_c.AT, _c.ASSERT, _c.ASSERT_NOT)
_REPEATS = tuple(op for op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)) if op)
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)


class _Unsupported(Exception):
    pass


def requirements(pattern: str, flags: int = 0) -> tuple[tuple[str, ...], ...] | None:
    """What a sentence must contain for ``pattern`` to match in it: for each
    top-level alternative, RE2 patterns (segments) that must all match. None
    when there is no useful requirement.

    Segments stop at *gaps*, repeats over classes that take most letters
    (``[^.;]{0,40}``, ``(?:\\w+\\s+){0,3}``): a set search over patterns that
    keep partial matches alive across such gaps has a DFA whose states
    multiply with the text, and building them made a cold pass over varied
    replies slower than no prefilter at all. Dropping a gap only weakens the
    requirement, so it is still met wherever the pattern matches."""
    if flags & re.IGNORECASE:
        return None
    try:
        parsed = _sre_parser.parse(pattern, flags)
        if parsed.state.flags & re.IGNORECASE or parsed.getwidth()[0] == 0:
            return None
        out = []
        for alternative in _alternatives(list(parsed)):
            segments = _segments(alternative, parsed.state)
            if not segments:
                return None  # this alternative could match without any segment
            out.append(tuple(dict.fromkeys(segments)))
        return tuple(out)
    except (_Unsupported, re.error, KeyError, RecursionError):
        return None


def _alternatives(items) -> list[list]:
    """The top-level alternatives of a sequence (through groups wrapping one
    alternation); a plain sequence is one alternative."""
    core = [item for item in items if item[0] not in _ZERO_WIDTH]
    if len(core) == 1:
        op, av = core[0]
        if op is _c.BRANCH:
            return [alt for branch in av[1] for alt in _alternatives(list(branch))]
        if op is _c.SUBPATTERN and not av[1] & re.IGNORECASE:
            return _alternatives(list(av[3]))
    return [items]


def _segments(items, state) -> list[str]:
    segments: list[str] = []
    current: list[tuple[str, int]] = []  # (emitted RE2 text, minimum width)

    def width(part) -> int:
        return _sre_parser.SubPattern(state, list(part)).getwidth()[0]

    def close() -> None:
        if sum(w for _, w in current) >= 2:
            segments.append("".join(text for text, _ in current))
        current.clear()

    for item in items:
        op, av = item
        if op is _c.ASSERT and not _has_gap_in(av[1]):
            # "(?<=update\slevel\s)\d+": what a positive look-around needs is
            # in the text too, so it is a requirement of its own.
            if width(av[1]) >= 2:
                segments.append(_emit(list(av[1])))
            continue
        if op in _ZERO_WIDTH:
            continue  # dropping an assertion only widens
        if not _has_gap(item):
            current.append((_emit([item]), width([item])))
            continue
        branches = _branches(item)
        if branches is not None:
            # "(?:check\s+with|raise\s+(?:it|a\s+\w+)\s+with)": each alternative
            # up to its first gap still follows the text before it directly.
            prefixes = [_before_gap(list(b)) for b in branches]
            current.append(("(?:" + "|".join(_emit(p) for p in prefixes) + ")", min(width(p) for p in prefixes)))
        close()
    close()
    return segments


def _branches(item):
    """The alternatives of an alternation (also when wrapped in a group)."""
    op, av = item
    if op is _c.BRANCH:
        return av[1]
    if op is _c.SUBPATTERN and not av[1] & re.IGNORECASE and len(av[3]) == 1:
        return _branches(av[3][0])
    return None


def _before_gap(items) -> list:
    out = []
    for item in items:
        if item[0] in _ZERO_WIDTH:
            continue
        if _has_gap(item):
            break
        out.append(item)
    return out


def _has_gap_in(items) -> bool:
    return any(_has_gap(i) for i in items)


def _has_gap(item) -> bool:
    op, av = item
    if op in _REPEATS:
        _low, high, sub = av
        if (high is _c.MAXREPEAT or high > 1) and _takes_most_letters(list(sub)):
            return True
        return _has_gap_in(sub)
    if op is _c.SUBPATTERN:
        return _has_gap_in(av[3])
    if op is _ATOMIC:
        return _has_gap_in(av)
    if op is _c.BRANCH:
        return any(_has_gap_in(branch) for branch in av[1])
    return op is _c.GROUPREF


_LOWER_LETTERS = frozenset(range(0x61, 0x7B))


def _takes_most_letters(items) -> bool:
    for op, av in items:
        if op is _c.ANY:
            return True
        if op in (_c.IN, _c.CATEGORY):
            if len(_ascii_members(op, av) & _LOWER_LETTERS) >= 20:
                return True
        elif op in _REPEATS and _takes_most_letters(list(av[2])) or op is _c.SUBPATTERN and _takes_most_letters(list(av[3])) or op is _c.BRANCH and any(_takes_most_letters(list(b)) for b in av[1]):
            return True
    return False


def _ascii_members(op, av) -> frozenset[int]:
    items = av if op is _c.IN else [(op, av)]
    negate = bool(items) and items[0][0] is _c.NEGATE
    members: set[int] = set()
    for iop, iav in items[1:] if negate else items:
        if iop is _c.LITERAL:
            members.add(iav)
        elif iop is _c.RANGE:
            members.update(range(iav[0], min(iav[1], 0x7F) + 1))
        elif iop is _c.CATEGORY:
            members |= _category_ascii(iav) or frozenset()
    members &= _ASCII
    return frozenset(_ASCII - members) if negate else frozenset(members)


def _category_ascii(category) -> frozenset[int] | None:
    """The ASCII members of ``\\d``, ``\\w``, ``\\s`` or their negations (fixed in
    Python whatever the Unicode version), or None for another category."""
    if category in _ASCII_MEMBERS:
        return _ASCII_MEMBERS[category]
    if category in _NEGATED:
        return _ASCII - _ASCII_MEMBERS[_NEGATED[category]]
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
            ascii_part = _category_ascii(av)
            if ascii_part is None:
                raise _Unsupported(str(av))
            members |= ascii_part
            any_non_ascii = True
        else:
            raise _Unsupported(str(op))
    if negate:
        # Exclude only what the original surely excludes: literal members and
        # the ASCII part of each category.
        excluded = "".join(_char(m) for m in sorted(members)) + "".join(ranges)
        return f"[^{excluded}]" if excluded else r"(?s:.)"
    body = "".join(_char(m) for m in sorted(members)) + "".join(ranges) + (_NON_ASCII if any_non_ascii else "")
    return f"[{body}]"


# Segments are spread over this many RE2 sets. One set's DFA state is a
# combination of every pattern's partial match, so on varied text it keeps
# building new states (measured on the 720 corpus replies, first pass: 0.77 ms
# a reply with one set, 0.39 ms with four, 0.31 ms with eight); each extra set
# costs ~1 µs a sentence once its states exist.
SETS = 4


class SentencePrefilter:
    """Built once per pipeline from the (folded) check patterns; ``candidates``
    answers, per sentence, which of them need running."""

    def __init__(self, patterns: Sequence[re.Pattern]) -> None:
        self.size = len(patterns)
        self.everything = tuple(range(self.size))
        needs = _requirements_cached([(p.pattern, p.flags) for p in patterns])
        self.always = tuple(i for i, n in enumerate(needs) if n is None)
        self._sets: list = []
        # Segment id -> (pattern, all segments of one alternative), filed under
        # the alternative's longest segment only.
        self._by_segment: dict[int, list[tuple[int, frozenset[int]]]] = {}
        re2 = _re2()
        if re2 is None:
            return
        segment_ids: dict[str, int] = {}
        for i, need in enumerate(needs):
            for alternative in need or ():
                ids = frozenset(segment_ids.setdefault(seg, len(segment_ids)) for seg in alternative)
                self._by_segment.setdefault(segment_ids[max(alternative, key=len)], []).append((i, ids))
        options = re2.Options()
        options.max_mem = 64 << 20
        options.log_errors = False
        segments = list(segment_ids)
        for k in range(SETS):
            search_set = re2.Set.SearchSet(options)
            search_set.Add("")  # the sentinel, index 0: matches every sentence
            ids = list(range(k, len(segments), SETS))
            for sid in ids:
                search_set.Add(segments[sid])
            search_set.Compile()
            self._sets.append((search_set, [-1, *ids]))

    def candidates(self, sentence: str) -> Sequence[int]:
        """Indices (ascending) of the patterns that may match in ``sentence``."""
        if not self._sets:
            return self.everything
        matched: set[int] = set()
        try:
            for search_set, ids in self._sets:
                hits = search_set.Match(sentence)
                if not hits or 0 not in hits:
                    return self.everything  # the DFA gave up: no sentinel
                matched.update(map(ids.__getitem__, hits))
        except UnicodeEncodeError:  # lone surrogates: scan with everything
            return self.everything
        found = set(self.always)
        by_segment = self._by_segment
        for sid in matched:
            for pattern, needed in by_segment.get(sid, ()):
                if needed <= matched:
                    found.add(pattern)
        return sorted(found)


def _requirements_cached(patterns: list[tuple[str, int]]) -> list:
    """Deriving requirements re-parses every pattern (~70 ms for the shipped
    checks, a third of a cold check), so the results are kept in the user's
    cache folder."""
    # Keyed by everything that shapes the result: the patterns, this code, Python's parser.
    stamp = (patterns, __version__, sys.version_info[:2], _REQUIREMENTS_VERSION)
    key = hashlib.sha256(repr(stamp).encode("utf-8", "surrogatepass")).hexdigest()[:24]
    name = f"prefilter-{key}.marshal"
    cached = cache.load(name)
    if isinstance(cached, list) and len(cached) == len(patterns):
        return cached
    needs = [requirements(pattern, flags) for pattern, flags in patterns]
    cache.store(name, needs)
    return needs
