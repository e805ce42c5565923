def check(ctx):
    if ctx.elements["request_justified"] is not False:
        return
    for e in ctx.detections["request_justified"].evidence:
        yield ctx.hit(ctx.sentences[e.sentence])
