"""next_steps: a sentence commits to further work or states the plan."""

import re

from replylint.checkapi import Detection, Evidence

# "If anything looks off, send me the address and I'll take a look": help offered
# in case the problem comes back is courtesy, not a plan.
IF_IT_COMES_BACK = re.compile(r"^[\W_]*if\s+(?:anything|something)\s+(?:else\s+)?(?:looks|seems|goes|is)\b|"
                              r"^[\W_]*if\s+(?:it|this|that|the\s+(?:issue|problem|error))\s+(?:ever\s+)?(?:happens\s+again|comes\s+back|(?:returns|recurs|persists)(?=\s*(?:[,.;]|$)|\s+(?:again|later)))|"
                              r"^[\W_]*if\s+you\s+(?:ever\s+)?(?:spot|notice|see|find|hit|need)\b", re.IGNORECASE)

# "If you meant something different, just reply and I'll adjust it", "Reply here
# if you'd like it added and I'll set it up": help offered on the customer's
# word is a closing formula, not a plan (18 of 22 such replies on train, 19 of
# 27 on dev, are labelled no next step). "If you send me a sample, I will
# compare it" and "If you can reply with the HAR file and we'll analyse it"
# (the customer's verb inside the if-clause) are not one. The same goes for
# "If it doesn't, send me a screenshot and I'll take it from there", "In case
# the amount is not credited, kindly share the statement and we will raise a
# trace" and "..., so if anyone scans the wrong phone, let me know and I'll
# release a new one" (writers hu to hx; on train and dev 10 replies right, 1 wrong).
OFFER_ON_REPLY = re.compile(
    r"^[\W_]*(?:[^;,]{0,80}?,\s*(?:so|and|but)\s+)?(?:(?:if|in\s+case)\b[^;]*?(?<!\byou\s)(?<!\bthey\s)(?<!\bshe\s)(?<!\bhe\s)(?<!\bcan\s)(?<!\bcould\s)"
    r"(?<!\bwould\s)(?<!\bwill\s)(?<!\bmay\s)(?<!\bto\s)|(?=(?:(?!\band\s+(?:i|we)\b)[^;])*\bif\b))"
    r"\b(?:just\s+|simply\s+|please\s+|kindly\s+)?(?:reply|respond|tell\s+(?:me|us)|let\s+(?:me|us)\s+know|get\s+back\s+to\s+(?:me|us)|"
    r"drop\s+(?:me|us)|ping\s+(?:me|us)|e-?mail\s+(?:me|us)|contact\s+(?:me|us)|write\s+to\s+(?:me|us)|"
    r"(?:send|share|forward)\s+(?:me|us|the|a|your))\b"
    r"[^;]*?\band\s+(?:i|we)(?:'ll|\u2019ll|\s+will|\s+can|\s+shall)\b", re.IGNORECASE)


def detect(ctx):
    evidence = []
    for s in ctx.sentences:
        if s.is_question:
            continue
        # The courtesy clause ends at the first ";" ("...; we will finish it by 6 pm").
        courtesy_end = 0
        # An offer that names a time after its "and we will" ("... and we will
        # ship the fix in 4.2.1 next week") is a plan after all; a time in its
        # condition ("If it isn't there by Friday, reply and I'll trace it") is not.
        offer = OFFER_ON_REPLY.match(s.text)
        if offer and any(sig.start - s.start >= offer.end() for sig in s.matches("time")):
            offer = None
        if IF_IT_COMES_BACK.match(s.text) or offer:
            semicolon = s.text.find(";")
            courtesy_end = semicolon if semicolon >= 0 else len(s.text)
        # "Your next bill will be issued on 4 November": a routine billing date is
        # an ETA without a next step (corpus/README.md); a later clause may still commit.
        routine_end = max((sig.end for sig in s.matches("routine-bill")), default=s.start) - s.start
        for sig in s.matches("commitment"):
            if sig.start - s.start < max(courtesy_end, routine_end):
                continue
            # "if you need anything, we will be happy to..." and "let us know if you
            # need us to check" are courtesy, not a plan.
            if s.has("closing-formula") and s.governed_by(sig, ("closing-formula", "conditional"), window=80):
                continue
            evidence.append(Evidence(s.index, f"commitment: {sig.text.strip()!r}"))
            break
    return Detection(bool(evidence), tuple(evidence))
