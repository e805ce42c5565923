"""cannot-reproduce-then-closed: the ticket closed on a "cannot reproduce"."""


def check(ctx):
    was_closed = False
    last_agent = None
    for i, m in enumerate(ctx.messages):
        if m.from_agent:
            last_agent = m
        closed = ctx.closed_at(i)
        if closed and not was_closed and last_agent is not None and last_agent.has("cannot_reproduce"):
            yield ctx.hit(last_agent, closed=ctx.when(m.at), reply=last_agent.id)
        was_closed = closed
