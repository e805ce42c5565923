def check(ctx):
    if ctx.elements["requests_batched"] is not False:
        return
    requests = ctx.evidence_sentences("info_request")
    first_block = requests[0].block
    for s in requests:
        if s.block != first_block:
            # The fix gathers every request, in order, from the unmasked text
            # (inline code included) into one list where the first one stood.
            yield ctx.hit(s, spans=[(r.start, r.end) for r in requests],
                          requests=[" ".join(ctx.text[r.start:r.end].split()) for r in requests])
            return
