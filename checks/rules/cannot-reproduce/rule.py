def check(ctx):
    if not ctx.elements["cannot_reproduce"]:
        return
    # No sentence when a trained model, not the detector, set the element.
    sentence = next(iter(ctx.evidence_sentences("cannot_reproduce")), None)
    if not ctx.elements["setup_stated"]:
        yield ctx.hit(sentence, severity="error", detail=ctx.options["message-no-setup"])
    elif not (ctx.elements["next_steps"] or ctx.elements["info_request"]):
        yield ctx.hit(sentence, severity="warning", detail=ctx.options["message-no-next"])
