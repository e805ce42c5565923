"""next_steps: a sentence commits to further work or states the plan."""

from replylint.checkapi import Detection, Evidence


def detect(ctx):
    evidence = []
    for s in ctx.sentences:
        if s.is_question:
            continue
        for sig in s.matches("commitment"):
            # "if you need anything, we will be happy to..." and "let us know if you
            # need us to check" are courtesy, not a plan.
            if s.has("closing-formula") and s.governed_by(sig, ("closing-formula", "conditional"), window=80):
                continue
            evidence.append(Evidence(s.index, f"commitment: {sig.text.strip()!r}"))
            break
    return Detection(bool(evidence), tuple(evidence))
