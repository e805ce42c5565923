"""Which kind of reply this is: resolution, info-request, status-update or other."""


def classify(ctx):
    sentences = ctx.sentences
    v = ctx.value
    requests = [e.sentence for e in ctx.elements["info_request"].evidence]
    commitments = {e.sentence for e in ctx.elements["next_steps"].evidence}
    # "Once you send the logs we will check" waits on the customer: not work in progress.
    active = {i for i in commitments if not sentences[i].has("conditional")}
    admin = any(s.has("admin-close") for s in sentences)
    conclusions = [s for s in sentences if s.has("resolved") and not s.is_question
                   and s.index not in requests and s.index not in commitments]
    # A fix already made (not one still to come) closes the technical question; a
    # change we made (restart, patch on staging) only justifies asking to verify it.
    # In a sentence that also commits to something, the fix must come first: "The
    # fix is merged and ships in 2.4.1" reports it done, "working to get this fixed"
    # does not.
    fix_done = any(sig.label == "fixed" and not s.governed_by(sig, ("will-future",), window=30)
                   and (s.index not in commitments or sig.start < min(c.start for c in s.matches("commitment")))
                   for s in sentences for sig in s.signals)
    changed = fix_done or any(s.has("remedy-action") for s in sentences)
    # Requests to try, check or confirm something (not to send information).
    act_only = bool(requests) and all(
        sentences[i].has("request-act", "bounce-advice", "verify-fix") and not _asks_for_information(sentences[i])
        for i in requests
    )
    investigated = v("actions_taken") or v("outcome")

    if admin and not v("actions_taken"):
        return "other"
    # "Works fine on our side, please check at your end": a failed reproduction is
    # not a concrete finding, so a reply that adds only a hand-back is "other".
    reproduce_only = {e.sentence for e in ctx.elements["cannot_reproduce"].evidence}
    concrete = [e for e in ctx.elements["outcome"].evidence if e.sentence not in reproduce_only]
    if v("bounce_back") and not requests and not concrete:
        return "other"
    if active and not fix_done and investigated:
        return "status-update"  # the investigation or the fix is still ahead
    if requests:
        if (conclusions or changed or v("cannot_reproduce")) and (act_only or len(requests) <= len(conclusions)):
            return "resolution"
        return "info-request"
    if conclusions or fix_done or v("cannot_reproduce"):
        return "resolution"
    if v("outcome") and not any(s.has("unresolved") for s in sentences):
        return "resolution"  # an explanation or a conclusion, nothing left failing
    if investigated or commitments:
        return "status-update"
    return "other"


def _asks_for_information(sentence):
    return any(sig.pattern.endswith(("could-you", "please-info", "we-need", "imperative-info", "need-terse"))
               and not sentence.has("request-act") for sig in sentence.matches("request")) or sentence.is_question
