"""request_justified: every request carries a reason that names what it verifies."""

import re

from replylint.checkapi import Detection, Evidence

# "Also try moving the hub and see if the drops stop": advice beside an ask, whose
# "see if" is the customer's check, not the ask's reason.
ADVICE = re.compile(r"^[\W_]*(?:also,?\s+|and\s+|meanwhile,?\s+|in\s+the\s+meantime,?\s+)?(?:please\s+)?try\b", re.IGNORECASE)
# A fix delivered with the reply ("Patch for 44018 is attached", "pls find attached
# hotfix HF-002"): asking to install and confirm it is justified by it.
DELIVERED_FIX = re.compile(r"\b(?:hot)?fix(?:es)?\b|\bpatch(?:es|ed)?\b|\bcorrection\b", re.IGNORECASE)


# What follows the command or link a request introduces and speaks of it
# ("Please upload it here:" / a link / "We need the thread dumps in it to check whether ...").
REFERS_BACK = re.compile(r"^[\W_]*(?:if\s+(?:it|this|that|the\s+output|the\s+result)\b|(?:it|this|that|its)\s|the\s+(?:output|result|first|second|last)\b|"
                         r"(?:we|i)\s+need\s+(?:it|them|this|that|the\s+[\w-]+(?:\s+[\w-]+)?\s+in\s+(?:it|them))\b)", re.IGNORECASE)


def _delivers_fix(sentence):
    return any(sig.pattern.endswith(".attached-deliverable") for sig in sentence.signals) and DELIVERED_FIX.search(sentence.text) is not None


def unjustified_requests(ctx):
    """Request sentences with no reason of their own, none beside them, and no
    lead-in reason. Used by the detector and by the `unjustified-request` rule."""
    requests = [e.sentence for e in ctx.elements["info_request"].evidence]
    # Asking to test or confirm a change we report having made is justified by it.
    actions = ctx.evidence_indexes("actions_taken")
    fix_reported = any(s.has("remedy-action", "fixed") or (s.index in actions and _delivers_fix(s)) for s in ctx.sentences)
    sentences = ctx.sentences
    missing = []
    for i in requests:
        s = sentences[i]
        if s.lead_in:
            continue  # its list items are the requests; each is checked
        if _announces(s) and (i + 1) in requests:
            continue  # "A couple of things would help." before the asks themselves
        if _is_heading(s) and any(_has_reason(n) for n in sentences[i + 1:i + 3]):
            continue  # "What we need from you" over the asks: they carry the reasons
        if _own_reason(s) or (fix_reported and s.has("verify-fix")):
            continue
        if _neighbour_reason(sentences, i, set(requests)):
            continue
        if _lead_in_reason(sentences, i):
            continue
        missing.append(i)
    return missing


def _is_heading(s):
    text = s.text.strip().strip("*#_ ").rstrip()
    return bool(text) and not text.endswith((".", "?", "!", ":", ";", ",")) and len(text.split()) <= 6


def _announces(s):
    asks = s.matches("request")
    return bool(asks) and all(a.pattern.endswith(".would-help") for a in asks) and len(s.text.split()) <= 8


def _has_reason(s):
    return s.has("reason")


def _own_reason(s):
    """Reasons that only explain their own sentence ("..., because the names changed in 0.9")."""
    return s.has("reason", "own-reason")


def _neighbour_reason(sentences, i, requests):
    s = sentences[i]
    for j in _neighbours(sentences, i, requests):
        if 0 <= j < len(sentences):
            n = sentences[j]
            if j == i - 1 and (i - 2) in requests:
                continue  # that reason already explains the request before it
            # A reason beside a request explains it when it stands in the same block
            # and is not another list item's own reason.
            # "please send the output of these two commands:" then the commands,
            # then "The first shows whether ...": the reason stands after the
            # block the request introduces.
            # A short command line between them ("run on the PC:" / "pnputil
            # /enum-drivers" / "If it lists a 6.x package, ...") stays inside.
            introduces = s.text.rstrip().endswith(":") and (j == i + 1 or (j == i + 2 and REFERS_BACK.match(n.text) is not None))
            if (n.block != s.block and not introduces) or not _has_reason(n) or n.is_question or ADVICE.match(n.text):
                continue
            if n.list_item is not None and j in requests and n.list_item != s.list_item:
                continue  # another list item's own reason (a second sentence of the same item explains it)
            # A neighbour that asks for something else keeps its reason for itself;
            # "we need the server side to see which cipher it rejects" explains the ask.
            direct_asks = [sig for sig in n.matches("request") if not sig.pattern.endswith(".we-need")]
            # "Does it only happen with that lockfile? If so, please attach it;
            # I want to see whether ...": the follow-up's reason covers the question.
            follow_up = j == i + 1 and n.text.lower().startswith(("if so", "if yes", "if it does", "if that's the case", "if they do"))
            if not direct_asks or follow_up:
                return True
    return False


def _neighbours(sentences, i, requests):
    yield i + 1
    yield i - 1
    # "Which version are you on? `tool --version` prints it. The retry loop
    # changed in 2.7, so ...": a short aside between the ask and its reason.
    aside = sentences[i + 1] if i + 1 < len(sentences) else None
    if aside is not None and (i + 1) not in requests and not _has_reason(aside) and len(aside.text.split()) <= 8:
        yield i + 2


def _lead_in_reason(sentences, i):
    s = sentences[i]
    if s.list_id is None:
        return False
    # A reason right after the list ("These will show whether ...") covers it too.
    end = i
    while end + 1 < len(sentences) and sentences[end + 1].list_id == s.list_id:
        end += 1
    after = sentences[end + 1] if end + 1 < len(sentences) else None
    if after is not None and _has_reason(after) and not after.has("request") and not after.is_question:
        return True
    j = i - 1
    while j >= 0 and sentences[j].list_id == s.list_id and not sentences[j].lead_in:
        j -= 1
    if j < 0:
        return False
    lead = sentences[j]
    # The reason may also be the sentence just before the lead-in, even across a
    # paragraph break ("Your configuration will confirm or rule that out." /
    # "Could you send:"), unless it is an item of another list (its reason is its own).
    before = sentences[j - 1] if j > 0 else None
    return (lead.lead_in or lead.list_id != s.list_id) and (
        _has_reason(lead) or (before is not None and _has_reason(before) and before.list_id is None))


def detect(ctx):
    if not ctx.value("info_request"):
        return Detection(None)
    missing = unjustified_requests(ctx)
    return Detection(not missing, tuple(Evidence(i, "request without a reason") for i in missing))
