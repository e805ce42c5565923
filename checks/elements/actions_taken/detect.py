"""actions_taken: a sentence reports work already done on the case."""

from replylint.checkapi import Detection, Evidence

# A past form under a question to the customer ("have you tried"), a condition
# ("if you restarted") or an assumption ("we take it that the invoices were
# created before ...") reports nothing done.
BLOCKERS = ("question-to-customer", "conditional", "assumption")


def detect(ctx):
    evidence = []
    for s in ctx.sentences:
        if s.is_question and not s.has("action-terse"):
            continue
        reading = s.matches("read-their-message")
        for sig in s.matches("action", "action-terse"):
            if sig.overlaps_any(reading):
                continue
            if not s.governed_by(sig, BLOCKERS):
                evidence.append(Evidence(s.index, f"{sig.label}: {sig.text.strip()!r}"))
                break
    return Detection(bool(evidence), tuple(evidence))
