"""cannot_reproduce: the reply says the problem could not be reproduced here."""

import re

from replylint.checkapi import Detection, Evidence

# "We installed agent 6.3.1 on three laptops in our lab": installing there is a
# test, not a remedy on the customer's system; so is restoring a backup into a
# new instance or a replica of ours.
OUR_TEST_BED = re.compile(r"\b(?:in|on|at)\s+our\s+(?:[\w-]+\s+){0,2}(?:lab|test\w*|side|end|staging|sandbox|workspace|environment|instance|tenant|account|copy)\b|"
                          r"\btest\s+(?:tenant|account|vm|machine|laptops?|cluster|environment|bed|rig|server|instance|system|box|host|copy|workspace|database|db)\b|"
                          r"\b(?:clean|fresh)\s+(?:[\w.-]+\s+){0,3}?(?:vm|machine|install(?:ation)?|profile|environment|container|box)\b|"
                          # "restored the snapshot to a replica", "restored the same backup into a new
                          # db-std-8 instance"; not "migrated your database to a new instance"
                          r"\b(?:restored|cloned|copied|imported|loaded)\b[^.;!?]{0,80}?\b(?:into|to|on)\s+a\s+(?:(?:new|scratch|spare|separate)\s+)?(?:[\w.-]+\s+){0,2}?(?:replica|instance|vm|cluster)\b", re.IGNORECASE)

# "We tried to reproduce the crash you see after the update": an attempt, not a fix.
REPRODUCTION_ATTEMPT = re.compile(r"\b(?:tried|trying|attempted|try)\s+to\s+(?:reproduce|replicate|repro|recreate)\b", re.IGNORECASE)

# "We haven't reproduced it yet": no reproduction.
NEGATED = re.compile(r"\b(?:not|never|unable)\b|n't\b|n’t\b", re.IGNORECASE)

# "running fine on our side until 02:00, when it failed", "the first 180 labels
# printed fine until the head jammed", "working well from our side to resolve the
# issue": a clean run that ended, or our effort, not a result.
NOT_A_RESULT_AFTER = re.compile(r"\s*,?\s*(?:until|till|but|to\s+(?:resolve|fix|solve|sort|find|get|make))\b", re.IGNORECASE)

# "Checked your booking, the points are showing up perfectly in our end", "I
# checked your account: the refund is processing without any errors in our
# end", "We checked the logs on 3.1: neither node showed the error message": a
# look at records, not a reproduction (corpus/README.md).
# ("As per checking, the quiz is working normal in our end" is second-language
# English for our own check, which writers label a failed reproduction.)
RECORDS_LOOKUP = re.compile(r"^\W*(?:checked\s+(?:your|the)|(?:i|we)(?:'ve|’ve|\s+have)?\s+(?:checked|looked\s+up|looked\s+(?:at|through|into)|went\s+through|verified|reviewed)\s+(?:your|the))\s+(?:[\w-]+\s+)?(?:account|booking|membership|profile|records?|order|subscription|payment|card|direct\s+debit|balance|statement|logs?|history|settings|configuration|config|queue|invoices?|audit\s+trail)\b", re.IGNORECASE)

# Unless the look was a test of ours: "We checked your profile on our test phone".
OUR_RIG = re.compile(r"\b(?:test\w*|lab|staging|sandbox|replica)\b", re.IGNORECASE)

# "got the same E-42 error; the other two files came up fine", "drifts exactly
# like yours, even though the self-tests passed": the problem reproduced here,
# so a clean part of the run is detail.
REPRODUCED_HERE = re.compile(r"\b(?:got|get|saw|see|hit|seeing|getting)\s+the\s+same\b|\b(?:exactly|just)\s+like\s+yours\b|"
                             r"\bsame\s+(?:[\w-]+\s+)?(?:error|crash|behaviou?r|problem|issue|fault)\s+as\s+(?:you|yours)\b", re.IGNORECASE)

# "Your payment shows correctly on our end", "The order was received fine on our
# end": a record's state, not a run of ours (for the bare "fine on our end").
RECORDS_STATE = re.compile(r"\byour\s+(?:[\w-]+\s+)?(?:payment|order|invoice|account|refund|transfer|booking|balance|subscription|application|claim|"
                           r"registration|details|profile|record|deposit|direct\s+debit)\b|"
                           r"\b(?:received|marked|recorded|registered|paid|posted|booked|listed)\s+(?:\w+\s+)?(?:fine|correctly|normally)\b", re.IGNORECASE)

# "Your domestic orders don't hit this because the field is optional there": a
# thing of the customer's that does not show the problem, said from their records,
# is no run of ours (unless our side is named: "your file doesn't crash on our rig").
YOUR_THING_NOT_SHOWING = re.compile(r"^\W*your\s+(?:[\w-]+\s+){0,3}?(?:do|does|did)(?:n't|n’t|\s+not)\b|^\W*your\s+(?:[\w-]+\s+){0,3}?never\b", re.IGNORECASE)
OURS = re.compile(r"\b(?:our|we|us|i|my|here|locally)\b", re.IGNORECASE)

# "Cleared both and sent a test page, printed fine", "Reset the printer; it
# prints fine now": a remedy told without its subject, at the sentence's start.
TERSE_REMEDY = re.compile(r"^[\W_]*(?:just\s+|have\s+)?(?:cleared|reset|restarted|rebooted|unlocked|unjammed|replaced|re-?installed|"
                          r"repaired|fixed|flushed|purged|re-?seated|swapped|re-?enabled)\s+(?:both|it|them|the|your|his|her|their|all|a|an)\b",
                          re.IGNORECASE)

# "he's logged in fine - I stayed on the phone with him": the customer's run,
# however closely we watched it.
THEIR_RUN = re.compile(r"\b(?:he|she)(?:'s|’s|\s+(?:is|was|has|had))?\s+(?:\w+\s+)?$", re.IGNORECASE)

# "We've also increased the timeout so it doesn't happen on other customers'
# letters": a purpose. (", so it doesn't happen here" and "... so it doesn't
# happen on our side" after our run conclude.)
PURPOSE_BEFORE = re.compile(r"(?<![,;\s])\s+so\s+(?:that\s+)?$", re.IGNORECASE)
OURS_AFTER = re.compile(r"\s+(?:here|locally|for\s+us|(?:on|at|in)\s+our\s+\w+)\b", re.IGNORECASE)

# A success the customer reports, or one inside a condition, is not our result.
SUCCESS_BLOCKERS = ("conditional", "question-to-customer", "you-subject", "customer-side")


def detect(ctx):
    tried = ctx.evidence_indexes("actions_taken")
    # "We reproduced it on an iPad Air ... it does not happen on an iPad Pro": once
    # the reply reports the problem reproduced, where it does not happen is detail.
    reproduced = any(s.has("reproduced") and s.index in tried for s in ctx.sentences)
    # A reproduction told by its result ("It crashed on both devices, with the same
    # stack as yours") also makes a later clean run a bisection.
    reproduced_anywhere = reproduced or any(s.has("reproduced") and not s.is_question and not s.has("cannot-reproduce")
                                            and not NEGATED.search(s.text) for s in ctx.sentences)
    first_fix = next((s.index for s in ctx.sentences if _our_fix(s)), len(ctx.sentences))
    evidence = []
    for s in ctx.sentences:
        # A records look can still report a failed attempt in so many words
        # ("I checked your account and could not reproduce the error").
        records_only = bool(RECORDS_LOOKUP.match(s.text)) and not OUR_RIG.search(s.text)
        for sig in s.matches("cannot-reproduce", "works-for-us", "not-happening"):
            if records_only and sig.label != "cannot-reproduce":
                continue
            if sig.label == "not-happening" and (reproduced or (PURPOSE_BEFORE.search(s.text[:sig.start - s.start])
                                                               and not OURS_AFTER.match(s.text, sig.end - s.start))):
                continue
            if sig.label != "works-for-us" and YOUR_THING_NOT_SHOWING.match(s.text) and not OURS.search(s.text):
                continue
            if sig.pattern.endswith(".fine-at-our-end") and RECORDS_STATE.search(s.text):
                continue
            # "if it works on your side" and "does it work for you?" are not our result.
            if s.governed_by(sig, ("conditional", "question-to-customer")):
                continue
            if sig.label in ("works-for-us", "not-happening") and s.is_question:
                continue
            if sig.label == "works-for-us" and NOT_A_RESULT_AFTER.match(s.text, sig.end - s.start):
                continue
            if sig.label == "not-happening" and s.has("after-fix", "remedy-action"):
                continue  # "it does not happen after the patch" is the fix working
            if sig.label == "works-for-us" and (_remedy_before(s, sig) or _after_our_fix(s, ctx.sentences)):
                continue  # "We pushed firmware 2.6.1 to it. ... it is recording properly in our end": the fix working
            evidence.append(Evidence(s.index, f"{sig.label}: {sig.text.strip()!r}"))
            break
        else:
            # "We tried your config on 3.8.2 and it works fine": our own attempt
            # that succeeded is a failed reproduction, unless a fix made it work.
            results = [] if records_only else s.matches("success", "clean-result")
            success = [sig for sig in results if not s.governed_by(sig, SUCCESS_BLOCKERS, window=60)
                       and not NOT_A_RESULT_AFTER.match(s.text, sig.end - s.start)
                       and not THEIR_RUN.search(s.text[:sig.start - s.start])] if results and not REPRODUCED_HERE.search(s.text) else []
            # "We built a replica from your snapshot. It stayed in sync for four hours."
            # The attempt may sit one sentence further back ("... (client 2.3.0)" /
            # "200 times over one hour." / "We get a 200 every time.").
            attempt_before = any(sig.label == "clean-result" for sig in success) and any(
                _is_test_attempt(prev, tried) for prev in ctx.sentences[max(0, s.index - 2):s.index]
                if prev.paragraph == s.paragraph)
            # "We deployed the new evaluator and the duplicates stopped": the fix working
            # (in this sentence or after one reporting a change we made, "We re-triggered
            # the backup and it completed"); "Reproduced on 5.6.0; on 5.5.2 it did not
            # crash": a bisection, not a failed reproduction.
            if success and (s.index in tried or attempt_before) and s.index < first_fix and not reproduced_anywhere and not s.is_question:
                evidence.append(Evidence(s.index, f"our attempt succeeded: {success[0].text.strip()!r}"))
    return Detection(bool(evidence), tuple(evidence))


def _after_our_fix(sentence, sentences) -> bool:
    """The sentence just before, in the same paragraph, reports a fix of ours
    (not the customer's "You said the 5.2 fix did not help")."""
    before = sentences[sentence.index - 1] if sentence.index else None
    return (before is not None and before.paragraph == sentence.paragraph and _our_fix(before)
            and not before.has("you-subject"))


def _remedy_before(sentence, signal) -> bool:
    """"We restarted the broker and now notifications are flowing normally from
    our end": a change we made earlier in the sentence, not on our test bed.
    ("after the reboot" is no change of ours, so only remedy actions count.)"""
    return any(sig.label == "remedy-action" and sig.start < signal.start for sig in sentence.signals) and not (
        OUR_TEST_BED.search(sentence.text[:signal.start - sentence.start]))


def _is_test_attempt(sentence, tried) -> bool:
    """Our own test: an action that names an attempt or the setup it ran on, and
    is neither a reproduction nor a fix of ours."""
    return (sentence.index in tried and sentence.has("attempt", "setup-detail")
            and not sentence.has("reproduced") and not _our_fix(sentence))


def _our_fix(sentence) -> bool:
    """A fix or remedy we applied, unless it was installed on our own test bed.
    "I've tried to reproduce the crash you see after the 2.14 patch" names the
    customer's patch, not a fix of ours."""
    attempt = REPRODUCTION_ATTEMPT.search(sentence.text)
    cut = attempt.start() if attempt else len(sentence.text)
    before_attempt = [sig for sig in sentence.matches("after-fix", "remedy-action") if sig.start - sentence.start < cut]
    return any(sig.label == "after-fix" for sig in before_attempt) or (
        (any(sig.label == "remedy-action" for sig in before_attempt) or bool(TERSE_REMEDY.match(sentence.text[:cut])))
        and not OUR_TEST_BED.search(sentence.text))
