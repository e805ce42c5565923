"""Which kind of reply this is: resolution, info-request, status-update or other."""


def classify(ctx):
    sentences = ctx.sentences
    v = ctx.value
    requests = {e.sentence for e in ctx.elements["info_request"].evidence}
    admin = any(s.has("admin-close") for s in sentences)
    resolved = [s for s in sentences if s.has("resolved") and not s.is_question and s.index not in requests]
    progress = v("next_steps") and not resolved
    if admin and not v("next_steps") and not requests:
        return "other"
    if v("bounce_back") and not requests and not resolved:
        return "other"
    if resolved and not (v("next_steps") and _future_fix(ctx)):
        if not requests or v("actions_taken") or len(resolved) >= len(requests):
            return "resolution"
    if requests:
        prose = len([s for s in sentences if s.index not in requests])
        if not v("actions_taken") or len(requests) >= prose or not progress:
            return "info-request"
    if v("actions_taken") or v("outcome") or v("next_steps"):
        return "status-update"
    if admin:
        return "other"
    return "status-update" if sentences else "other"


def _future_fix(ctx):
    """The fix is still ahead ("will be fixed in 2.4"): progress, not resolution."""
    for e in ctx.elements["next_steps"].evidence:
        s = ctx.sentences[e.sentence]
        if s.has("resolved"):
            return True
    return False
