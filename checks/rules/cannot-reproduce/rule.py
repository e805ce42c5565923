def check(ctx):
    if not ctx.elements["cannot_reproduce"]:
        return
    sentence = ctx.evidence_sentences("cannot_reproduce")[0]
    if not ctx.elements["setup_stated"]:
        yield ctx.hit(sentence, severity="error", detail=ctx.options["message-no-setup"])
    elif not (ctx.elements["next_steps"] or ctx.elements["info_request"]):
        yield ctx.hit(sentence, severity="warning", detail=ctx.options["message-no-next"])
