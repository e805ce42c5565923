def check(ctx):
    if ctx.elements["eta"]:
        return
    for s in ctx.sentences:
        for sig in s.matches("vague-time"):
            yield ctx.span_hit(sig.start, sig.end, phrase=sig.text.strip())
            return
