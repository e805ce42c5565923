"""eta: a bounded time for what happens next, in a sentence that looks ahead."""

import re

from replylint.checkapi import Detection, Evidence

# A time counts when the sentence looks ahead (a commitment, "will", "expected",
# "ETA") or the time is bound by "by"/"until"/"within" in a sentence that reports
# no past work. "On Monday we deployed the fix" and "valid until 2026-08-01" on a
# certificate we replaced are history, not an ETA.
ANCHOR_WINDOW = 18


def detect(ctx):
    commitments = ctx.evidence_indexes("next_steps")
    past = ctx.evidence_indexes("actions_taken")
    # "Please revert by EOD today": a deadline set for the customer, not our time.
    asks = ctx.evidence_indexes("info_request") - commitments
    evidence = []
    for s in ctx.sentences:
        # "we haven't heard back since 3 May", "our message of 28 May": history.
        times = [t for t in s.matches("time") if not HISTORY_BEFORE.search(s.text[:t.start - s.start])]
        if not times:
            continue
        if (s.is_question and s.index not in commitments) or s.index in asks:
            continue
        # "I'll close this case on Friday": the only thing ahead is closing it.
        closing_only = s.has("admin-future") and s.index not in commitments and not s.has("eta-marker")
        # A routine billing date ("Your first bill will be sent in September") is
        # ahead though it is no next step of ours (corpus/README.md).
        ahead = (s.index in commitments or _looks_ahead(s) or (s.has("will-future") and not closing_only)
                 or s.has("routine-bill"))
        anchored = [t for t in times if _anchored(s, t)]
        # "were charged twice within a minute": a bound in a past account is history.
        told_in_past = not s.has("future-marker") and _told_in_past(s.text[:times[0].start - s.start])
        # "Outlook may need up to 60 minutes to show it": how long something will take.
        takes = s.has("future-marker") and any(t.pattern.endswith(".duration") and t.text.lower().startswith(("take", "need")) for t in times)
        # After a report of our work, "... - it usually shows up within 3-5
        # business days": a bound in a clause of its own is still ahead.
        reported = s.index in past or told_in_past
        if (ahead or takes or (anchored and not reported) or _usual_duration(s, times) or _moved_to_date(s, times)
                or (reported and any(_present_clause_before(s, t) for t in anchored))):
            evidence.append(Evidence(s.index, f"time: {times[0].text.strip()!r}"))
    return Detection(bool(evidence), tuple(evidence))


# What takes that long is on its way to the customer, named right before "takes":
# "Delivery usually takes 3-5 business days", not "the report takes 3 min" nor
# "We ran the payment export: it takes 3 min".
PROCESS_BEFORE_TAKES = re.compile(r"\b(?:re)?(?:deliver(?:y|ies)|refunds?|banks?|shipping|transfers?|credits?|payments?|approvals?|dispatch|replacements?|parcels?|orders?|claims?|process(?:ing)?|restores?|restoration|customs|reviews?|verification|activation|porting)\s+(?:usually\s+|normally\s+|typically\s+|generally\s+|can\s+|may\s+|then\s+)?$", re.IGNORECASE)
# "which normally takes a day or two": the same, said of a step just named, in
# days; not how long a job runs ("it usually takes 3 min there", "which usually
# takes 2-3 hours on a laptop", "pls rerun the backup ..., it normally takes
# around 40 min").
PRONOUN_BEFORE_TAKES = re.compile(r"\bwhich\s+(?:usually|normally|typically|generally)\s+$", re.IGNORECASE)
# Deliveries and payments are counted in days; a symptom or a job in minutes.
DAYS_OR_MORE = re.compile(r"\b(?:days?|weeks?|a\s+day\s+or\s+two|months?)\b", re.IGNORECASE)
# "it usually shows on your card in 3-5 business days", "normally arrives within
# a week": when something on its way normally gets there (in days: "the error
# usually appears in 2-3 minutes after login" is a symptom).
USUAL_ARRIVAL = re.compile(r"(?:\b(?:usually|normally|typically|generally)\s+|"
                           # "Depending on your bank it shows up in 3-5 working days" (eleventh landing)
                           r"\bdepending\s+on\s+(?:your|the)\s+(?:[\w-]+\s+)?(?:bank|card\s+issuer|issuer|provider|card)\b[^.;!?]*?)"
                           r"(?:shows?(?:\s+up)?|arrives?|appears?|reaches|lands?|reflects?|clears?|posts?|comes?\s+through|goes\s+through)\b(?![^.;!?]*\b(?:was|were|had)\b)", re.IGNORECASE)
# "Yesterday we moved your delivery to 14:00": a change already past.
HISTORY = re.compile(r"\b(?:yesterday|ago|last\s+(?:night|week|month|mon\w*|tue\w*|wed\w*|thu\w*|fri\w*|sat\w*|sun\w*))\b", re.IGNORECASE)
# A verb that carries a time ahead in a clause after our report: "it usually
# shows up within 3-5 business days" (not "renewals can be refunded within 14 days").
AHEAD_VERB = re.compile(r"\b(?:will|'ll|’ll|shows?|arrives?|appears?|reaches?|lands?|gets?|goes|takes?|should)\b", re.IGNORECASE)
# "moved your booking to", "rebooked the visit for": the new date is ahead.
REBOOKED_TO = re.compile(r"\b(?:moved|rebooked|re-booked|rescheduled|re-scheduled|postponed|pushed)\s+(?:it|(?:your|the|this|that)?\s*(?:[\w'’-]+\s+){0,2}?(?:booking|visit|appointment|delivery|collection|slot|order|session|call|install(?:ation)?|exchange|survey|repair|pick-?up|drop-?off|box)(?:\s+[\w-]*\d[\w-]*)?)\s+(?:to|for|until)\s+(?:the\s+|[*_]+\s*)?$", re.IGNORECASE)
# Where a clause starts after a report of our work: " - it usually shows up ...".
CLAUSE_BREAK = re.compile(r"(?:;|(?<!\d):(?!\d)|—|–|\s-\s|,\s+(?:and|so|which|where)\b)")


def _usual_duration(sentence, times) -> bool:
    """"Delivery usually takes 3-5 business days", "it usually shows on your card
    in 3-5 business days": how long it normally takes to arrive."""
    # Beside an ask to act, only a named process counts: "pls rerun the backup ...,
    # which normally takes ..." is how long the customer's own job runs.
    asks_customer = sentence.has("request-act")
    for t in times:
        if not t.pattern.endswith(".duration"):
            continue
        before = sentence.text[:t.start - sentence.start]
        # "Normally the bank needs 3-5 working days to show it" reads as "takes".
        takes = t.text.lower().startswith(("take", "need"))
        if takes and PROCESS_BEFORE_TAKES.search(before):
            return True
        usual = PRONOUN_BEFORE_TAKES if takes else USUAL_ARRIVAL
        if not asks_customer and usual.search(before) and DAYS_OR_MORE.search(t.text):
            return True
    return False


def _moved_to_date(sentence, times) -> bool:
    """"I've moved your booking to Friday 14 June": the new date is ahead,
    whatever the verb (not "Yesterday we moved it to 14:00")."""
    return (not sentence.has("you-subject") and not HISTORY.search(sentence.text)
            and any(REBOOKED_TO.search(sentence.text[:t.start - sentence.start]) for t in times))


def _present_clause_before(sentence, time_signal) -> bool:
    """After the last clause break before the time, a present or future verb and
    no past one: "refunded it this morning - it usually shows up within 3 days"."""
    before = sentence.text[:time_signal.start - sentence.start]
    breaks = list(CLAUSE_BREAK.finditer(before))
    if not breaks:
        return False
    clause = before[breaks[-1].end():]
    return AHEAD_VERB.search(clause) is not None and PAST.search(clause) is None


# Past tense before the time, with no future or modal word in the sentence.
PAST = re.compile(r"\b(?:was|were|had)\b", re.IGNORECASE)
PRESENT_OR_FUTURE = re.compile(r"\b(?:is|are|gets?|takes?|will|shall|should|can|goes|comes|arrives?|shows?|appears?)\b|(?<!\d\s)\bmay\b(?!\s+\d)",
                               re.IGNORECASE)
# "is expected." and "expected behaviour" say what is normal, not when; "was most
# likely the certificate rotation at 02:00" guesses at the past.
EXPECTED_AS_NORMAL = re.compile(r"^expected$", re.IGNORECASE)
HEDGES = ("likely", "probably")
# What makes the time right after it history: "since 3 May", and (thirteenth
# landing) a message of ours, "no reply to our message of 28 May".
HISTORY_BEFORE = re.compile(r"\bsince\s+(?:the\s+|last\s+|early\s+|late\s+)?$"
                            r"|\b(?:our|my)\s+(?:last\s+|previous\s+|earlier\s+)?(?:message|e-?mail|mail|reply|letter|update|note)"
                            r"\s+(?:of|from|dated|on|sent\s+on)\s+(?:the\s+)?$", re.IGNORECASE)
AS_NORMAL_BEFORE = re.compile(r"\b(?:where|as|what|how)\s+(?:they|it|he|she|things?|everything)\s+$", re.IGNORECASE)
# "caught up by itself at 01:22": "by" that binds no time.
NOT_A_BOUND = re.compile(r"\bby\s+(?:itself|themselves|hand|e-?mail|phone|mail|default|design)\b", re.IGNORECASE)


def _told_in_past(before_time):
    """A past verb governs the time: "were charged twice within a minute", not "the
    card you were charged on gets the credit within 3 days"."""
    pasts = list(PAST.finditer(before_time))
    return bool(pasts) and PRESENT_OR_FUTURE.search(before_time[pasts[-1].end():]) is None


def _looks_ahead(sentence):
    # "every file opened with all the columns where they should be": what is
    # normal, not what comes next.
    markers = [m for m in sentence.matches("eta-marker") if not AS_NORMAL_BEFORE.search(sentence.text[:m.start - sentence.start])]
    if not markers:
        return False
    words = [m.text.strip().lower() for m in markers]
    after = sentence.text[markers[-1].end - sentence.start:].lstrip()
    says_normal = all(EXPECTED_AS_NORMAL.match(w) for w in words) and (
        not after or after[0] in ".,;:!)" or after.lower().startswith(("behavio", "and ", "because")))
    guesses_past = all(w in HEDGES for w in words) and not sentence.has("future-marker") and PAST.search(sentence.text) is not None
    return not (says_normal or guesses_past)


def _anchored(sentence, time_signal):
    offset = time_signal.start - sentence.start
    before = NOT_A_BOUND.sub(" ", sentence.text[max(0, offset - ANCHOR_WINDOW):offset].lower())
    words = before.split()
    tail = " ".join(words[-3:])
    if STATE_LASTS.search(tail):
        return False
    return any(tail.endswith(a) or f" {a} " in f" {tail} " for a in ANCHORS) or time_signal.text.lower().startswith(("within", "in the next", "no later than"))


# "valid until 28 Feb 2026", "active up until 30 July": how long a state lasts.
STATE_LASTS = re.compile(r"\b(?:valid|active|validity|effective)\s+(?:up\s+)?(?:until|till)$")
ANCHORS = ("by", "until", "till", "within", "no later than", "eta", "eta:", "latest by")
