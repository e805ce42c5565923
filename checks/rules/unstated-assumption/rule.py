def check(ctx):
    if ctx.elements["assumption_stated"]:
        return
    for s in ctx.sentences:
        for sig in s.matches("hedge"):
            yield ctx.span_hit(sig.start, sig.end, phrase=sig.text.strip())
            return
