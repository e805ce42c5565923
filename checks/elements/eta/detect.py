"""eta: a bounded time for what happens next, in a sentence that looks ahead."""

from replylint.checkapi import Detection, Evidence

# A time counts when the sentence looks ahead (a commitment, "will", "expected",
# "ETA") or the time is bound by "by"/"until"/"within" in a sentence that reports
# no past work. "On Monday we deployed the fix" and "valid until 2026-08-01" on a
# certificate we replaced are history, not an ETA.
ANCHOR_WINDOW = 18


def detect(ctx):
    commitments = {e.sentence for e in ctx.elements["next_steps"].evidence}
    past = {e.sentence for e in ctx.elements["actions_taken"].evidence}
    # "Please revert by EOD today": a deadline set for the customer, not our time.
    asks = {e.sentence for e in ctx.elements["info_request"].evidence} - commitments
    evidence = []
    for s in ctx.sentences:
        times = s.matches("time")
        if not times:
            continue
        if (s.is_question and s.index not in commitments) or s.index in asks:
            continue
        # "I'll close this case on Friday": the only thing ahead is closing it.
        closing_only = s.has("admin-future") and s.index not in commitments and not s.has("eta-marker")
        ahead = s.index in commitments or s.has("eta-marker") or (s.has("will-future") and not closing_only)
        anchored = any(_anchored(s, t) for t in times)
        if ahead or (anchored and s.index not in past):
            evidence.append(Evidence(s.index, f"time: {times[0].text.strip()!r}"))
    return Detection(bool(evidence), tuple(evidence))


def _anchored(sentence, time_signal):
    offset = time_signal.start - sentence.start
    before = sentence.text[max(0, offset - ANCHOR_WINDOW):offset].lower()
    words = before.split()
    tail = " ".join(words[-3:])
    return any(tail.endswith(a) or f" {a} " in f" {tail} " for a in ANCHORS) or time_signal.text.lower().startswith(("within", "in the next", "no later than"))


ANCHORS = ("by", "until", "till", "within", "no later than", "eta", "eta:", "latest by")
