def check(ctx):
    if not ctx.elements["next_steps"]:
        yield ctx.hit()
