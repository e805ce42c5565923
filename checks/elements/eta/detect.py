"""eta: a bounded time for what happens next, in a sentence that looks ahead."""

from replylint.checkapi import Detection, Evidence

# A time in a sentence that reports past work ("on Monday we deployed the fix")
# is history, unless the sentence also looks ahead ("...and will verify by Friday").


def detect(ctx):
    commitments = {e.sentence for e in ctx.elements["next_steps"].evidence}
    past = {e.sentence for e in ctx.elements["actions_taken"].evidence}
    evidence = []
    for s in ctx.sentences:
        times = s.matches("time")
        if not times:
            continue
        looks_ahead = s.index in commitments or s.has("prospective")
        if not looks_ahead or (s.index in past and s.index not in commitments and not _prospective_near_time(s, times)):
            continue
        if s.is_question and s.index not in commitments:
            continue
        evidence.append(Evidence(s.index, f"time: {times[0].text.strip()!r}"))
    return Detection(bool(evidence), tuple(evidence))


def _prospective_near_time(sentence, times):
    for t in times:
        for p in sentence.matches("prospective"):
            if 0 <= t.start - p.end <= 20:
                return True
    return False
