def check(ctx):
    if not ctx.elements["actions_taken"]:
        yield ctx.hit()
