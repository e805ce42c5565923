"""request-rounds: more request rounds than the limit allows."""


def check(ctx):
    limit = int(ctx.options["max-rounds"])
    rounds = 0
    customer_since_request = True
    first_over = None
    for m in ctx.messages:
        if not m.from_agent:
            customer_since_request = True
            continue
        if m.has("info_request") or m.requests:
            if customer_since_request:
                rounds += 1
                if rounds == limit + 1:
                    first_over = m
            customer_since_request = False
    if first_over is not None:
        yield ctx.hit(first_over, rounds=rounds, limit=limit)
