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
    return ctx.hit(message, since=ctx.when(message.at), waited=business_wait(waited), limit=limit,
                   limit_text=business_wait(limit))


def business_wait(days: float) -> str:
    """"1 business day and 1 hour", not "1.0 business days": a wait of 25 hours
    rounded to a tenth of a day read as no more than the one-day limit (review).
    Rounded down, to the minute under an hour, so a wait past the limit never
    reads as the limit."""
    minutes = int(days * 24 * 60 + 1e-6)  # 25 h is 1,500 minutes, not 1,499.999...
    whole, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{whole} business day{'s' if whole != 1 else ''}"] if whole else []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    elif minutes or not parts:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " and ".join(parts)
