"""next_steps: a sentence commits to further work or states the plan."""

import re

from replylint.checkapi import Detection, Evidence

# "If anything looks off, send me the address and I'll take a look": help offered
# in case the problem comes back is courtesy, not a plan.
IF_IT_COMES_BACK = re.compile(r"^[\W_]*if\s+(?:anything|something)\s+(?:else\s+)?(?:looks|seems|goes|is)\b|"
                              r"^[\W_]*if\s+(?:it|this|that|the\s+(?:issue|problem|error))\s+(?:ever\s+)?(?:happens\s+again|comes\s+back|(?:returns|recurs|persists)(?=\s*(?:[,.;]|$)|\s+(?:again|later)))|"
                              r"^[\W_]*if\s+you\s+(?:ever\s+)?(?:spot|notice|see|find|hit|need)\b", re.IGNORECASE)


def detect(ctx):
    evidence = []
    for s in ctx.sentences:
        if s.is_question:
            continue
        # The courtesy clause ends at the first ";" ("...; we will finish it by 6 pm").
        courtesy_end = 0
        if IF_IT_COMES_BACK.match(s.text):
            semicolon = s.text.find(";")
            courtesy_end = semicolon if semicolon >= 0 else len(s.text)
        for sig in s.matches("commitment"):
            if sig.start - s.start < courtesy_end:
                continue
            # "if you need anything, we will be happy to..." and "let us know if you
            # need us to check" are courtesy, not a plan.
            if s.has("closing-formula") and s.governed_by(sig, ("closing-formula", "conditional"), window=80):
                continue
            evidence.append(Evidence(s.index, f"commitment: {sig.text.strip()!r}"))
            break
    return Detection(bool(evidence), tuple(evidence))
