"""assumption_stated: an explicit assumption marker in the engineer's own text."""

from replylint.checkapi import Detection, Evidence


def detect(ctx):
    evidence = []
    for s in ctx.sentences:
        for sig in s.matches("assumption"):
            if any(o.start <= sig.start < o.end for o in s.matches("others-assumption")):
                continue
            evidence.append(Evidence(s.index, f"assumption: {sig.text.strip()!r}"))
            break
    return Detection(bool(evidence), tuple(evidence))
