"""Which kind of reply this is: resolution, info-request, status-update or other."""


def classify(ctx):
    sentences = ctx.sentences
    v = ctx.value
    requests = {e.sentence for e in ctx.elements["info_request"].evidence}
    commitments = {e.sentence for e in ctx.elements["next_steps"].evidence}
    admin = any(s.has("admin-close") for s in sentences)
    resolved = [s for s in sentences if s.has("resolved") and not s.is_question and s.index not in requests]
    # A fix already made (not one still to come) closes the technical question.
    fix_done = any(sig.label == "fixed" and not s.governed_by(sig, ("future-marker",), window=30)
                   for s in sentences if s.index not in commitments for sig in s.signals)
    verify_only = bool(requests) and all(sentences[i].has("verify-fix") for i in requests)

    if admin and not v("actions_taken"):
        return "other"
    if v("bounce_back") and not requests and not v("outcome"):
        return "other"
    if requests and not (fix_done and verify_only):
        prose = len(sentences) - len(requests)
        if v("cannot_reproduce") or not (v("actions_taken") and v("outcome")) or len(requests) >= prose:
            return "info-request"
    if commitments and not fix_done:
        return "status-update"  # the investigation or the fix is still ahead
    if resolved or fix_done or v("cannot_reproduce"):
        return "resolution"
    if v("outcome") and not any(s.has("unresolved") for s in sentences):
        return "resolution"  # an explanation or a conclusion, nothing left failing
    if v("actions_taken") or v("next_steps"):
        return "status-update"
    if admin or v("bounce_back"):
        return "other"
    return "status-update" if sentences else "other"
