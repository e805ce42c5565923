CLEAN_RUN_LABELS = ("cannot-reproduce", "works-for-us", "not-happening", "success", "clean-result")


def check(ctx):
    if not ctx.elements["cannot_reproduce"]:
        return
    # When the reply model, not the detector, found the failed reproduction, the
    # first sentence that reads like one (a clean run, "works on our side"), else
    # the first result reported ("It finished in 40 seconds."), carries it.
    sentence = next(iter(ctx.evidence_sentences("cannot_reproduce")), None) or next(
        (s for s in ctx.sentences if s.has(*CLEAN_RUN_LABELS)), None) or next(
        iter(ctx.evidence_sentences("outcome")), None)
    if not ctx.elements["setup_stated"]:
        yield ctx.hit(sentence, severity="error", detail=ctx.options["message-no-setup"])
    elif not (ctx.elements["next_steps"] or ctx.elements["info_request"]):
        yield ctx.hit(sentence, severity="warning", detail=ctx.options["message-no-next"])
