"""outcome: a sentence reports a result or a conclusion about the case."""

import re

from replylint.checkapi import Detection, Evidence

# A result inside a question or advice to the customer is not ours; neither is
# one inside a condition, which governs its whole clause, however long ("...
# tells us whether the provider returns X or our client drops it").
BLOCKERS = ("question-to-customer", "you-subject")
SYMPATHY = re.compile(r"^[\W_]*(?:(?:i'?m|i\s+am|we'?re|we\s+are|so|really|very|truly)\s+)*sorry\s+(?:to\s+hear\s+)?(?:that|about|the|your|for|you're|you\s+are)\b",
                      re.IGNORECASE)
THEIR_REPORT = re.compile(r"^[\W_]*(?:(?:from|per|according\s+to|as\s+(?:per|in))\s+your\s+(?:last\s+|earlier\s+|previous\s+)?"
                          r"(?:message|mail|e-?mail|report|description|ticket|update|note|call)|as\s+you\s+(?:said|described|mentioned|reported|explained|wrote)|(?:so,?\s+)?(?:to\s+sum\s+up|to\s+recap|to\s+summari[sz]e)\s+what\s+you|to\s+make\s+sure\s+(?:i\s+(?:have|understand|got)|i've\s+got)\s+(?:it|this|that)\s+right|"
                          r"just\s+to\s+confirm\s+(?:my\s+understanding|i\s+understand))\b",
                          re.IGNORECASE)
# The same in a later clause: "Thanks for shopping with us, and I'm so sorry to hear
# that your code isn't working", "we're thrilled to hear the dashboard is working
# well": what follows passes on their report.
THEIR_NEWS_LATER = re.compile(r"[,;]\s*(?:and\s+|but\s+)?(?:(?:i'?m|i\s+am|we'?re|we\s+are|so|really|very|truly)\s+)*"
                              r"(?:sorry|glad|happy|thrilled|delighted|pleased|relieved)\s+to\s+hear\b", re.IGNORECASE)
# What their welcomed news is about ("glad the key ...", "happy that it's ..."),
# with no "we" after it: "glad the exports run since we deployed the patch" is ours.
_THEIR_THING = r"(?:that\s+)?(?:the|your|it|it's|everything|all|things|this|they)\b(?![^.;!?]*\b(?:we|our|i|us)\b)"
# "Thanks for letting us know, Jenny - really glad the key is behaving again!":
# the same without "to hear", after a thanks or a greeting only. Behind our own
# action it is our result ("We replaced the board - glad the lift runs again").
THEIR_NEWS_AFTER_THANKS = re.compile(r"^[\W_]*(?:thanks|thank\s+you|cheers|great|brilliant|perfect)\b[^.;!?]*?(?:[,;]|\s[-–—])\s*"
                                     r"(?P<news>(?:(?:i'?m|i\s+am|we'?re|we\s+are|so|really|very|truly)\s+)*(?:glad|happy|thrilled|delighted|pleased|relieved)\s+"
                                     rf"{_THEIR_THING})",
                                     re.IGNORECASE)
# ("We will trace the call to see where it is rejected": where is what we look for.)
OPEN_QUESTION = re.compile(r"\b(?:investigat\w*|look(?:ing)?\s+into|checking|trying\s+to\s+(?:find\s+out|understand)|"
                           r"find\s+out|work\s+out|understand|to\s+(?:see|check|learn|confirm))\s+(?:why|whether|if|how|what|where|which|when)\b[^.;:!?]*$",
                           re.IGNORECASE)
# "The metadata tells me which formats your IdP offers, and the trace shows which
# one it sends": in a sentence that gives a reason of its own, what a record
# would show (not "The audit log shows which user deleted the record: j.smith").
WHAT_IT_WOULD_SHOW = re.compile(r"\s+(?:which|where|when)\b", re.IGNORECASE)
# "Ah brilliant, glad the wave release is behaving again!": their news, welcomed
# (not "Happy to see the exports run again since we deployed the patch").
THEIR_NEWS_FIRST = re.compile(r"^[\W_]*(?:(?:ah|oh|great|brilliant|excellent|perfect|good|nice|wonderful|awesome|thanks)[\s,!.]+)*"
                              r"(?:(?:i'?m|i\s+am|we'?re|we\s+are|so|really|very)\s+)*(?:glad|happy|pleased|relieved|delighted|thrilled)\s+"
                              rf"(?:to\s+hear\s+)?{_THEIR_THING}",
                              re.IGNORECASE)


# "so we're going to mark it as solved", "I've set the ticket as resolved": the
# ticket's status, not a result.
STATUS_SET = re.compile(r"\b(?:mark|marked|marking|set|flag|flagged)\s+(?:(?:it|this|that|the|your)\s+(?:ticket\s+|case\s+|request\s+)?)?as\s+$",
                        re.IGNORECASE)


def detect(ctx):
    evidence = list(ctx.elements["cannot_reproduce"].evidence) if ctx.value("cannot_reproduce") else []
    seen = {e.sentence for e in evidence}
    # In a request ("logs of the failed refunds") words like "failed" describe the
    # customer's report; only "it is fixed" before the ask is our result there.
    requests = ctx.evidence_indexes("info_request")
    for s in ctx.sentences:
        if s.index in seen or s.is_question:
            continue
        if s.text.lstrip(" *-•>(").lower().startswith(("if ", "unless ")):
            continue  # "If it's also 40 s, the cache isn't the culprit": a hypothesis
        if SYMPATHY.match(s.text) or THEIR_REPORT.match(s.text) or THEIR_NEWS_FIRST.match(s.text):
            continue  # "sorry the login keeps failing!", "From your message, ... still failed": their report, not our result
        labels = ("fixed",) if s.index in requests else ("result", "finding", "fixed", "reproduced")
        their_news = THEIR_NEWS_LATER.search(s.text)
        news_at = their_news.start() if their_news else None
        if news_at is None and (thanks := THEIR_NEWS_AFTER_THANKS.search(s.text)):
            news_at = thanks.start("news")
        for sig in s.matches(*labels):
            if news_at is not None and sig.start - s.start >= news_at:
                continue
            if s.governed_by(sig, BLOCKERS, window=40) or s.governed_by(sig, ("conditional",), window=80):
                continue
            if sig.pattern.endswith(".case-state") and s.governed_by(sig, ("request-act", "bounce-advice", "bounce"), window=60):
                continue  # "Please check that the DNS records are configured correctly": what to check
            if (sig.pattern.endswith(".records-show") and WHAT_IT_WOULD_SHOW.match(s.text, sig.end - s.start)
                    and any(not reason.overlaps_any((sig,)) for reason in s.matches("reason"))):
                continue
            if OPEN_QUESTION.search(s.text[:sig.start - s.start]):
                continue  # "still investigating why the PDFs are missing": what is asked, not found
            if sig.label in ("fixed", "reproduced") and s.governed_by(sig, ("will-future",), window=30):
                continue  # "will be fixed in 2.4" is a plan
            if _premise_of_a_reason(s, sig, requests, ctx.sentences):
                continue
            if sig.label == "fixed" and STATUS_SET.search(s.text[:sig.start - s.start]):
                continue
            if sig.label == "fixed" and s.governed_by(sig, ("assumption",), window=60):
                continue  # "As we assume the matter has now been resolved": not a fix we report
            evidence.append(Evidence(s.index, f"{sig.label}: {sig.text.strip()!r}"))
            break
    evidence.extend(_under_finding_headings(ctx, requests, {e.sentence for e in evidence}))
    evidence.sort(key=lambda e: e.sentence)
    return Detection(bool(evidence), tuple(evidence))


# The reasons that say what the answer settles ("tells me whether", "your answer
# will tell us if", "which would explain"), not what it lets us do ("so we can
# compare your trace against ours", which may follow a result of ours).
SETTLES = (".tell-whether", ".answer-decides")


def _premise_of_a_reason(s, sig, requests, sentences) -> bool:
    """"Version 7.58 had a bug that dropped the login, which would explain the
    message", "Decline messages come from different places, so it tells me
    whether it's the app or your bank": beside an ask (in it, or the sentence
    after it in its paragraph), what comes before the ask's reason is what the
    answer would settle, not what we found."""
    beside_ask = s.index in requests or (s.index - 1 in requests and sentences[s.index - 1].paragraph == s.paragraph)
    return beside_ask and any(reason.start >= sig.end and reason.pattern.endswith(SETTLES)
                              for reason in s.matches("reason"))


EMPTY_SECTION = re.compile(r"^[\W_]*(?:n/?a|tbd|tbc|none|nothing(?:\s+(?:conclusive|yet|found))?(?:\s+so\s+far)?|unknown|"
                           r"not\s+(?:yet\s+)?(?:known|clear|found)|not\s+yet|pending|in\s+progress|under\s+investigation|"
                           r"to\s+be\s+(?:determined|confirmed)|-+)?[\W_]*$", re.IGNORECASE)
# "Cause:\nResolution: upgrade to 5.2": the next line is another heading, not a finding.
ANOTHER_HEADING = re.compile(r"^[\W_]*\w[\w /&-]{0,30}:(?:\s|$)")


def _under_finding_headings(ctx, requests, seen):
    """What a "Findings:" or "Root cause" heading introduces: the rest of its line,
    or the next sentence when the heading stands alone, unless that is empty ("N/A"),
    a request, a question or a plan."""
    commitments = ctx.evidence_indexes("next_steps")
    sentences = ctx.sentences
    for s in sentences:
        heading = next(iter(s.matches("finding-heading")), None)
        if heading is None:
            continue
        rest = s.text[heading.end - s.start:]
        if rest.strip():
            target = s if not EMPTY_SECTION.match(rest) else None
        else:
            target = sentences[s.index + 1] if s.index + 1 < len(sentences) else None
        if (target is None or target.index in seen or target.index in requests or target.index in commitments
                or target.is_question or target.has("will-future") or EMPTY_SECTION.match(target.text)
                or (target is not s and ANOTHER_HEADING.match(target.text))):
            continue
        yield Evidence(target.index, f"under a findings heading: {heading.text.strip()!r}")

