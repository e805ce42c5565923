def check(ctx):
    if ctx.elements["requests_batched"] is not False:
        return
    requests = ctx.evidence_sentences("info_request")
    first_block = requests[0].block
    for s in requests:
        if s.block != first_block:
            yield ctx.hit(s)
            return
