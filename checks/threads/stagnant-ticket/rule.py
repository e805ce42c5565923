"""stagnant-ticket: a stretch without progress longer than the limit."""


def check(ctx):
    limit = float(ctx.options["max-days"])
    progress = tuple(ctx.options["progress-elements"])
    # A fix given for the customer to confirm, or information asked of them:
    # the next move is theirs, and escalating would not bring it sooner.
    hands_over = frozenset(ctx.options["customer-turn-kinds"])
    timed = [(i, m) for i, m in enumerate(ctx.messages) if m.at is not None]
    if not timed:
        return
    since = None  # start of the current stretch without progress; None while closed or waiting
    waiting = False  # the customer's turn: only their message (or our progress) restarts the clock
    for i, m in timed:
        made_progress = m.from_agent and any(m.has(e) for e in progress)
        customer_turn = m.from_agent and m.kind in hands_over
        if since is not None and (made_progress or customer_turn or ctx.closed_at(i)):
            days = (m.at - since).total_seconds() / 86400
            if days > limit:
                yield ctx.hit(m, days=f"{days:.1f}", since=ctx.when(since), until=ctx.when(m.at), limit=f"{limit:g}")
        if ctx.closed_at(i) or customer_turn:
            since = None  # the clock stops while the ticket is closed or waits on the customer
            waiting = customer_turn and not ctx.closed_at(i)
        elif waiting and m.from_agent and not made_progress:
            continue  # our nudge ("did the fix work?") leaves the turn with the customer
        elif made_progress or since is None:
            since = m.at  # progress, the first message, a re-opening or the customer's answer (re)starts the clock
            waiting = False
    if since is not None and not ctx.closed_at_end():
        days = (ctx.as_of - since).total_seconds() / 86400
        if days > limit:
            yield ctx.hit(timed[-1][1], days=f"{days:.1f}", since=ctx.when(since), until=ctx.when(ctx.as_of), limit=f"{limit:g}")
