"""setup_stated: something concrete tied to the engineer's own attempt."""

from replylint.checkapi import Detection, Evidence


def _concrete(s):
    """Setup details in the sentence that are not release facts ("fixed in 5.8.0")."""
    release = s.matches("release-fact")
    out = []
    for d in s.matches("setup-detail"):
        if any(r.start <= d.start < r.end + 2 for r in release):
            continue
        if s.governed_by(d, ("you-subject",), window=40):
            continue  # "you are on Linux" is the customer's setup
        out.append(d)
    return out


def detect(ctx):
    # Only an attempt to reproduce or test counts: a setup named while restarting a
    # cluster or releasing a fix is not the setup tried.
    tried = ctx.evidence_indexes("cannot_reproduce")
    acted = ctx.evidence_indexes("actions_taken")
    planned = ctx.evidence_indexes("next_steps") - tried - acted
    evidence = []
    sentences = ctx.sentences
    for s in sentences:
        if s.is_question or s.index in planned:
            continue  # a setup we only plan to try is not a setup stated
        details = _concrete(s)
        if not details:
            continue
        attempt = s.has("attempt") or s.index in tried
        if not attempt:
            # "What I tried:" followed by a list of setup items.
            prev = _previous_lead(sentences, s)
            attempt = prev is not None and (prev.has("attempt") or prev.index in tried)
        if not attempt and len(details) >= 2 and s.index > 0:
            # "We reproduced it. On 3.2.1 (update 7) with OpenLDAP 2.6, ..."
            before = sentences[s.index - 1]
            attempt = before.paragraph == s.paragraph and (before.index in tried or before.has("attempt"))
        if attempt:
            evidence.append(Evidence(s.index, f"setup: {details[0].text.strip()!r}"))
    return Detection(bool(evidence), tuple(evidence))


def _previous_lead(sentences, s):
    if s.list_id is None:
        return None
    j = s.index - 1
    while j >= 0 and sentences[j].list_id == s.list_id:
        j -= 1
    return sentences[j] if j >= 0 else None
