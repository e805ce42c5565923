"""bounce_back: the customer is asked to do the work, and we report none of our own."""

from replylint.checkapi import Detection, Evidence


def concrete_findings(ctx):
    """Outcome sentences that are our own concrete finding: not only "works on
    our side", not a hedged guess."""
    cr = ctx.evidence_indexes("cannot_reproduce")
    out = []
    for e in ctx.elements["outcome"].evidence:
        s = ctx.sentences[e.sentence]
        # Whose job it is ("the payment is processed by PayPal") is no finding of
        # ours, unless the sentence also reports what we found ("The 403s come
        # from your WAF: our gateway log shows ...").
        if e.sentence in cr or s.has("hedge") or (s.has("not-our-domain") and not _reports_finding(s)):
            continue
        out.append(e.sentence)
    return out


# Outcome patterns that report something we looked at and found.
FINDING_PATTERNS = (".found", ".found-that", ".records-show", ".see-in", ".checked-colon")


def _reports_finding(sentence) -> bool:
    return any(sig.pattern.endswith(FINDING_PATTERNS) for sig in sentence.signals)


def detect(ctx):
    pushes = [s for s in ctx.sentences if s.has("bounce", "bounce-advice")]
    if not pushes:
        return Detection(False)
    if ctx.value("actions_taken") or concrete_findings(ctx):
        return Detection(False)
    # "Please try X" alone is advice; with "at your end", "go to the docs", or no
    # request of ours to work from, it hands the case back.
    strong = [s for s in pushes if s.has("bounce")]
    advice_only = [s for s in pushes if not s.has("bounce")]
    hits = strong or advice_only
    return Detection(True, tuple(Evidence(s.index, "hands the work to the customer") for s in hits))
