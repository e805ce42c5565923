def check(ctx):
    # The engine reports unused suppressions after all other rules ran.
    return ()
