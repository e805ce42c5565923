def check(ctx):
    if not ctx.elements["next_steps"] or ctx.elements["eta"]:
        return
    if any(s.has("vague-time") for s in ctx.sentences):
        return  # eta-vague reports it, with the vague phrase
    first = ctx.evidence_sentences("next_steps")
    yield ctx.hit(first[0] if first else None)
