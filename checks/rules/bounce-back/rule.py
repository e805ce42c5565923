def check(ctx):
    if ctx.elements["bounce_back"]:
        sentences = ctx.evidence_sentences("bounce_back")
        yield ctx.hit(sentences[0] if sentences else None)
