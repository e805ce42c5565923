"""cannot_reproduce: the reply says the problem could not be reproduced here."""

from replylint.checkapi import Detection, Evidence


def detect(ctx):
    evidence = []
    for s in ctx.sentences:
        for sig in s.matches("cannot-reproduce", "works-for-us"):
            # "if it works on your side" and "does it work for you?" are not our result.
            if s.governed_by(sig, ("conditional", "question-to-customer")):
                continue
            if sig.label == "works-for-us" and s.is_question:
                continue
            evidence.append(Evidence(s.index, f"{sig.label}: {sig.text.strip()!r}"))
            break
    return Detection(bool(evidence), tuple(evidence))
