# Where a hand-back is worded, in order of preference, when the reply model (not
# the detector) found the reply hands the work back: advice or a push to the
# customer, then an ask to act.
HAND_BACK_LABELS = (("bounce", "bounce-advice"), ("request-act",))


def check(ctx):
    if ctx.elements["bounce_back"]:
        sentences = ctx.evidence_sentences("bounce_back") or _worded_hand_back(ctx)
        yield ctx.hit(sentences[0] if sentences else None)


def _worded_hand_back(ctx):
    for labels in HAND_BACK_LABELS:
        found = [s for s in ctx.sentences if s.has(*labels)]
        if found:
            return found
    return ()
