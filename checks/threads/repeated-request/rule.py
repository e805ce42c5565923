"""repeated-request: an item asked for again after the customer has replied."""

import re
from functools import lru_cache

from replylint.sentences import ends_as_lead_in

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

# Why the agent asks is not what they ask for: "(we need this to compare the
# cache settings)", "so we can check the gateway log". The fix templates give
# every ask such a reason, so two different asks share it word for word.
_PURPOSE_IN_BRACKETS = re.compile(r"\(\s*(?:so\b|in order\b|to\b|we\b|this\b|it\b|that\b|which\b)[^()]*\)")
_PURPOSE_OPENER = re.compile(
    r"(?:,\s*|\s+|^)(?:so(?: that)? (?:we|i|our [a-z]+|the team)\b|in order to\b|to (?:help|let|allow|enable) us\b"
    r"|(?:which|that|this|it) (?:will |would |should )?(?:help|let|allow)s? us\b|as (?:we|this|it) (?:need|helps?|will|would)\b"
    r"|we need (?:this|it|them) to\b)")
# A reason runs to the end of its clause: the sentence's end, or the next ask.
_CLAUSE_END = re.compile(r"[;?!]|,\s*(?:and|also|plus|as well as|or)\b|\.(?:\s|$)")
# A reason that opens the request ("To help us reproduce, could you send the
# HAR file?") ends at its first comma: the ask follows it.
_LEADING_CLAUSE_END = re.compile(r"[,;?!]|\.(?:\s|$)")

# An item named together with its value is advice about it, not an ask for it:
# "retry with version 4.3.0", "the 4.2.0 version", "update level 45". A count
# is not a value ("take a thread dump 3 times, 10 s apart").
_VALUE_AFTER = re.compile(r"\s*(?:[:=]\s*|to\s+)?[vu]?\d+(?:\.\d+)*(?!\w|\.\w)(?!\s*(?:x\b|times\b|%|s\b|ms\b|secs?\b|seconds?\b"
                          r"|mins?\b|minutes?\b|h\b|hours?\b|days?\b|apart\b))")
_VALUE_BEFORE = re.compile(r"(?<![\w.])[vu]?\d+(?:\.\d+)+\s+$")
# The values a request names: different values make different asks ("set the
# timeout to 30 s and retry", then "set it to 60 s and retry").
_VALUE = re.compile(r"(?<![\w.])[vu]?\d+(?:[.:]\d+)*(?![\w])")


def _normal(text):
    return " ".join(text.lower().split())


def is_lead_in(request):
    """A request that ends as a lead-in (':', or a question announcing its items)
    introduces what follows (the list of asks, a command to run): its own words
    are the frame, "could you send us the following in one reply", not a topic."""
    return ends_as_lead_in(request)


def asked_part(request):
    """The request without the reasons given for it, lower-cased."""
    text = _PURPOSE_IN_BRACKETS.sub(" ", _normal(request))
    while (opener := _PURPOSE_OPENER.search(text)) is not None:
        leading = not text[:opener.start()].strip(" ,")
        end = (_LEADING_CLAUSE_END if leading else _CLAUSE_END).search(text, opener.end())
        text = text[:opener.start()] + (text[end.start():] if end else "")
    return " ".join(text.split())


def _asked_for(text, match):
    return not (_VALUE_AFTER.match(text, match.end()) or _VALUE_BEFORE.search(text[:match.start()]))


def _items(text, item_patterns):
    return {item for item, pattern in item_patterns
            if any(_asked_for(text, m) for m in pattern.finditer(text))}


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
    return {w.strip(".-") for w in _WORD.findall(text)} - _COMMON


def _values(text):
    return set(_VALUE.findall(text))


def _similar(a, b, threshold, min_shared):
    if threshold <= 0:
        return False
    (words_a, values_a), (words_b, values_b) = a, b
    if values_a - values_b and values_b - values_a:
        return False  # each names a value the other does not: two different asks
    shared = words_a & words_b
    return len(shared) >= min_shared and len(shared) / len(words_a | words_b) >= threshold


def topics(request, item_patterns):
    """What a request asks for: the lexicon items it asks for, and its content
    words and values (None for a lead-in, which is compared by items only)."""
    text = asked_part(request)
    items = _items(text, item_patterns)
    content = None if is_lead_in(request) else (_words(text), _values(text))
    return items, content


def check(ctx):
    item_patterns = _item_patterns(_frozen(ctx.options["items"]))
    threshold = float(ctx.options["similarity"])
    min_shared = int(ctx.options["min-shared-words"])
    asked = []  # (items, content, message, index) for every earlier request
    for i, m in enumerate(ctx.messages):
        if not m.from_agent or not m.requests:
            continue
        repeated = []
        first = None
        current = []
        for request in m.requests:
            items, content = topics(request, item_patterns)
            current.append((items, content))
            for earlier_items, earlier_content, earlier, j in asked:
                if not any(not ctx.messages[k].from_agent for k in range(j + 1, i)):
                    continue  # no customer message since: a reminder, not a repeat
                same = items & earlier_items
                if same or (not items and not earlier_items and content is not None and earlier_content is not None
                            and _similar(content, earlier_content, threshold, min_shared)):
                    repeated.extend(sorted(same) or [" ".join(request.split())[:60]])
                    first = first or earlier
        for items, content in current:
            asked.append((items, content, m, i))
        if repeated:
            yield ctx.hit(m, items=", ".join(dict.fromkeys(repeated)), first=ctx.when(first.at))
