"""requests_batched: the requests are not split by other prose."""

from replylint.checkapi import Detection, Evidence


def request_units(ctx):
    """Map each prose unit (a list with its lead-in, or a paragraph) to its order,
    and return (unit order of each sentence, units holding a request)."""
    units = {}
    unit_of = {}
    for s in ctx.sentences:
        key = s.block
        if s.lead_in:
            nxt = ctx.sentences[s.index + 1]
            key = nxt.block
        if key not in units:
            units[key] = len(units)
        unit_of[s.index] = units[key]
    requests = [e.sentence for e in ctx.elements["info_request"].evidence]
    return unit_of, sorted({unit_of[i] for i in requests})


def detect(ctx):
    if not ctx.value("info_request"):
        return Detection(None)
    _unit_of, with_requests = request_units(ctx)
    batched = with_requests[-1] - with_requests[0] + 1 == len(with_requests)
    ev = () if batched else tuple(Evidence(e.sentence, "request in another part of the reply") for e in ctx.elements["info_request"].evidence)
    return Detection(batched, ev)
