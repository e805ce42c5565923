"""no-daily-update: a customer message left longer than the limit without an update or ETA."""


def check(ctx):
    limit = int(ctx.options["max-business-days"])
    wanted = tuple(ctx.options["update-elements"])
    waiting = None  # the first customer message not answered yet
    for m in ctx.messages:
        if m.at is None:
            continue
        if not m.from_agent:
            waiting = waiting or m
            continue
        if waiting is None or not any(m.has(e) for e in wanted):
            continue
        if m.at > ctx.calendar.add_business_days(waiting.at, limit):
            yield _hit(ctx, waiting, m.at, limit)
        waiting = None
    if waiting is not None and not ctx.closed_at_end() and ctx.as_of > ctx.calendar.add_business_days(waiting.at, limit):
        yield _hit(ctx, waiting, ctx.as_of, limit)


def _hit(ctx, message, until, limit):
    waited = ctx.calendar.business_days_between(message.at, until)
    return ctx.hit(message, since=ctx.when(message.at), waited=f"{waited:.1f}", limit=limit)
