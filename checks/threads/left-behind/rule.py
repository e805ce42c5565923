"""left-behind: open, re-opened or waiting on us at the end of the export."""


def check(ctx):
    if not ctx.messages or ctx.closed_at_end():
        return
    last = ctx.messages[-1]
    reopened_at = None
    was_closed = False
    for i, m in enumerate(ctx.messages):
        if ctx.closed_at(i):
            was_closed = True
        elif was_closed:
            reopened_at = reopened_at or m
            was_closed = False
    if reopened_at is not None:
        yield ctx.hit(last, state=f"was re-opened on {ctx.when(reopened_at.at)} and is still open")
    elif not last.from_agent:
        yield ctx.hit(last, state=f"is waiting on us since {ctx.when(last.at)}")
    elif last.at is not None and (ctx.as_of - last.at).total_seconds() > float(ctx.options["idle-days"]) * 86400:
        yield ctx.hit(last, state=f"is open with no activity since {ctx.when(last.at)}")
