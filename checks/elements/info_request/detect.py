"""info_request: the reply asks the customer for information or an informative action."""

import re

from replylint.checkapi import Detection, Evidence

# What a report-back names to send back to us: "... and revert to us with the
# reason they give", "..., then send both to us" (not "send them the error
# message", which goes to the customer's IT team, nor "revert with the same").
NAMED_RETURN = re.compile(r"\s+(?:back\s+)?to\s+(?:us|me)\s+with\s+(?:the|their|both|all)\s+"
                          r"(?!(?:same|result|results|outcome|update|status|feedback|confirmation|response)\b)\w+|"
                          r"\s+(?:both|them|it|those|these|the\s+\w+(?:\s+\w+)?)\s+(?:back\s+)?to\s+(?:us|me)\b", re.IGNORECASE)
# "I'll check with your network team and share the results": our own plan.
OUR_PLAN = re.compile(r"\b(?:i|we)(?:'ll|’ll|\s+will|\s+shall)\b", re.IGNORECASE)


def request_sentences(ctx):
    """Indices of the sentences that ask something of the customer. The other
    request checks (justified, batched) and the rules reuse this."""
    found = []
    for s in ctx.sentences:
        if s.has("courtesy") and not s.has("request", "request-when-ready"):
            continue
        # "Kindly let us know if any queries": the ask is the closing formula itself.
        formulas = s.matches("not-request")
        asks = [sig for sig in s.matches("request") if not s.governed_by(sig, ("conditional",), window=50)
                and not sig.overlaps_any(formulas)]
        # "When you have the export, simply reply with it attached": the
        # condition is the ask's own wording, so the conditional filter above
        # does not apply (the pattern itself leaves out recurrences).
        asks += [sig for sig in s.matches("request-when-ready") if not sig.overlaps_any(formulas)]
        if s.has("not-request") and not asks:
            continue
        reports = [sig for sig in s.matches("report-back") if not sig.overlaps_any(formulas)]
        acts_then_reports = s.has("request-act") and bool(reports)
        # "Kindly contact your bank to check why the payment was returned, and
        # revert to us with the reason they give": a hand-back that names what
        # to send back asks for it too (writers ic to ij label it so).
        hands_back_for = (s.has("bounce") and any(NAMED_RETURN.match(s.text, sig.end - s.start) for sig in reports)
                          and not OUR_PLAN.search(s.text))
        question = s.is_question and s.has("question-form") and not s.has("courtesy")
        if asks or acts_then_reports or hands_back_for or question:
            found.append(s.index)
    found = set(found)
    # Items of a list introduced by a request ("Could you share the following:")
    # are requests themselves; only an item's first sentence is the ask, the rest
    # of the item explains it.
    for s in ctx.sentences:
        if s.lead_in and s.index in found:
            previous_item = None
            for item in ctx.sentences[s.index + 1:]:
                if item.list_id is None:
                    break
                if item.list_item != previous_item:
                    found.add(item.index)
                previous_item = item.list_item
    return sorted(found)


def detect(ctx):
    idx = request_sentences(ctx)
    return Detection(bool(idx), tuple(Evidence(i, "request") for i in idx))
