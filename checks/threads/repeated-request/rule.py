"""repeated-request: an item asked for again after the customer has replied."""

import re
from functools import lru_cache

_WORD = re.compile(r"[a-z][a-z0-9_.\-]{2,}")
# Words every request shares; they say nothing about what is asked for.
_COMMON = frozenset([
    "could", "would", "can", "please", "kindly", "share", "send", "provide", "attach", "upload",
    "give", "let", "know", "the", "and", "for", "from", "with", "that", "this", "your", "you",
    "our", "us", "have", "has", "had", "will", "also", "any", "all", "more", "some", "them", "they",
    "their", "what", "which", "when", "where", "while", "into", "over", "under", "about", "need",
    "needs", "needed", "require", "required", "check", "confirm", "again", "once", "thanks",
    "thank", "help", "able",
])


def _items(text, item_patterns):
    lowered = " ".join(text.lower().split())
    return {item for item, pattern in item_patterns if pattern.search(lowered)}


def _frozen(lexicon):
    return tuple((item, tuple(phrases)) for item, phrases in lexicon.items())


@lru_cache(maxsize=16)
def _item_patterns(lexicon):
    """One pattern per item (its phrases as alternatives), compiled once per lexicon."""
    return tuple(
        (item, re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(p.lower()) for p in phrases) + r")(?![\w])"))
        for item, phrases in lexicon
        if phrases  # an item with no phrases is never found
    )


def _words(text):
    return {w.strip(".-") for w in _WORD.findall(text.lower())} - _COMMON


def _similar(a, b, threshold, min_shared):
    if threshold <= 0:
        return False
    shared = a & b
    return len(shared) >= min_shared and len(shared) / len(a | b) >= threshold


def check(ctx):
    item_patterns = _item_patterns(_frozen(ctx.options["items"]))
    threshold = float(ctx.options["similarity"])
    min_shared = int(ctx.options["min-shared-words"])
    asked = []  # (item or None, word set, message, index) for every earlier request
    for i, m in enumerate(ctx.messages):
        if not m.from_agent or not m.requests:
            continue
        repeated = []
        first = None
        current = []
        for request in m.requests:
            items = _items(request, item_patterns)
            words = _words(request)
            current.append((items, words))
            for earlier_items, earlier_words, earlier, j in asked:
                if not any(not ctx.messages[k].from_agent for k in range(j + 1, i)):
                    continue  # no customer message since: a reminder, not a repeat
                same = items & earlier_items
                if same or (not items and not earlier_items and _similar(words, earlier_words, threshold, min_shared)):
                    repeated.extend(sorted(same) or [" ".join(request.split())[:60]])
                    first = first or earlier
        for items, words in current:
            asked.append((items, words, m, i))
        if repeated:
            yield ctx.hit(m, items=", ".join(dict.fromkeys(repeated)), first=ctx.when(first.at))
