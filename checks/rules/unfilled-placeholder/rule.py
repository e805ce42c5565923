import re

PLACEHOLDER = re.compile(r"\[\[FILL:[^\]]*\]\]")


def check(ctx):
    # Scans the whole text, code and quotes included: a placeholder is never
    # legitimate anywhere in a reply.
    for m in PLACEHOLDER.finditer(ctx.text):
        yield ctx.span_hit(m.start(), m.end(), placeholder=m.group(0))
