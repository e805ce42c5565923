"""cannot_reproduce: the reply says the problem could not be reproduced here."""

from replylint.checkapi import Detection, Evidence


def detect(ctx):
    tried = {e.sentence for e in ctx.elements["actions_taken"].evidence}
    # "We reproduced it on an iPad Air ... it does not happen on an iPad Pro": once
    # the reply reports the problem reproduced, where it does not happen is detail.
    reproduced = any(s.has("reproduced") and s.index in tried for s in ctx.sentences)
    evidence = []
    for s in ctx.sentences:
        for sig in s.matches("cannot-reproduce", "works-for-us", "not-happening"):
            if sig.label == "not-happening" and reproduced:
                continue
            # "if it works on your side" and "does it work for you?" are not our result.
            if s.governed_by(sig, ("conditional", "question-to-customer")):
                continue
            if sig.label in ("works-for-us", "not-happening") and s.is_question:
                continue
            if sig.label == "not-happening" and s.has("after-fix", "remedy-action"):
                continue  # "it does not happen after the patch" is the fix working
            evidence.append(Evidence(s.index, f"{sig.label}: {sig.text.strip()!r}"))
            break
        else:
            # "We tried your config on 3.8.2 and it works fine": our own attempt
            # that succeeded is a failed reproduction, unless a fix made it work.
            blockers = ("conditional", "question-to-customer", "you-subject", "customer-side")
            success = [sig for sig in s.matches("success", "clean-result") if not s.governed_by(sig, blockers, window=60)]
            # "We built a replica from your snapshot. It stayed in sync for four hours."
            prev = ctx.sentences[s.index - 1] if s.index > 0 else None
            attempt_before = (prev is not None and prev.index in tried and prev.paragraph == s.paragraph
                              and prev.has("attempt") and not prev.has("after-fix", "remedy-action", "reproduced")
                              and any(sig.label == "clean-result" for sig in success))
            if success and (s.index in tried or attempt_before) and not s.has("after-fix") and not s.is_question:
                evidence.append(Evidence(s.index, f"our attempt succeeded: {success[0].text.strip()!r}"))
    return Detection(bool(evidence), tuple(evidence))
