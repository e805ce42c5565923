def check(ctx):
    if ctx.elements["actions_taken"] and not ctx.elements["outcome"]:
        first = ctx.evidence_sentences("actions_taken")
        yield ctx.hit(first[0] if first else None)
