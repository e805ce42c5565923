"""eta-missed: the time promised passed before the next agent message."""

from datetime import timedelta


def _duration(delta):
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.1f} days"


def check(ctx):
    grace = timedelta(hours=float(ctx.options["grace-hours"]))
    for i, m in enumerate(ctx.messages):
        if not m.from_agent or m.eta_deadline is None or m.at is None:
            continue
        deadline = m.eta_deadline + grace
        later = ctx.agent_after(i)
        eta = ", ".join(m.eta_phrases)
        if later is not None:
            nxt = ctx.messages[later]
            if nxt.at is not None and nxt.at > deadline:
                yield ctx.hit(m, given=ctx.when(m.at), eta=eta, deadline=ctx.when(m.eta_deadline),
                              what=f"the next update came {_duration(nxt.at - m.eta_deadline)} later")
            continue
        if ctx.as_of > deadline and not ctx.closed_at_end():
            yield ctx.hit(m, given=ctx.when(m.at), eta=eta, deadline=ctx.when(m.eta_deadline),
                          what="no update followed")
