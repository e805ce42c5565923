def check(ctx):
    if ctx.elements["request_justified"] is not False:
        return
    unjustified = [ctx.sentences[e.sentence] for e in ctx.detections["request_justified"].evidence]
    # The reply model can find a reply unjustified where the detector saw a
    # reason for every ask; the first ask then carries the finding.
    for sentence in unjustified or ctx.evidence_sentences("info_request")[:1]:
        yield ctx.hit(sentence)
