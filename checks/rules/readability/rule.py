def check(ctx):
    m = ctx.metrics
    if m is None:
        return
    limit = ctx.options["max-sentence-words"]
    for index, words in m.sentence_words:
        if words > limit:
            yield ctx.hit(ctx.sentences[index], detail=f"Sentence of {words} words (limit {limit}); split it.")
    if m.words < ctx.options["min-words"] or m.sentences < ctx.options["min-sentences"]:
        return
    if m.flesch_reading_ease < ctx.options["min-flesch"]:
        yield ctx.hit(detail=f"Flesch reading ease {m.flesch_reading_ease:.0f} is below {ctx.options['min-flesch']:.0f}; use shorter sentences and plainer words.")
    elif m.flesch_kincaid_grade > ctx.options["max-grade"]:
        yield ctx.hit(detail=f"Reading grade {m.flesch_kincaid_grade:.1f} is above {ctx.options['max-grade']:.1f}; use shorter sentences and plainer words.")
