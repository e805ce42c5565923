"""What a user sees when the trained reply model overrules an element detector
(checks/kind/elements.json): the findings follow the element's value, point at
the nearest sentence that shows it, and `explain` and the JSON output say the
model set it. The revisions are forced here, so the tests do not depend on a
retrain; the shipped heads are measured in test_kind_model.py."""

from __future__ import annotations

import json
import tomllib
from types import SimpleNamespace

from replylint.checkapi import DetectContext, Detection
from replylint.cli import explain_reply
from replylint.registry import bundled_dir

UNJUSTIFIED_ASK = ("Hi Ana,\n\nI checked the webhook log for envelope 5521 and the last delivery returned 502.\n\n"
                   "Could you send the response body your endpoint logged at 10:14?\n\nThanks,\nLiam")


def test_a_justification_the_model_finds_leaves_no_unjustified_ask_behind(engine_judging):
    plain = engine_judging({}).check_text(UNJUSTIFIED_ASK)
    assert plain.elements["request_justified"] is False
    assert [f.rule for f in plain.findings].count("unjustified-request") == 1
    assert "request without a reason" in explain_reply(plain)
    result = engine_judging({"request_justified": True}).check_text(UNJUSTIFIED_ASK)
    assert result.elements["request_justified"] is True
    assert "unjustified-request" not in [f.rule for f in result.findings]
    explained = explain_reply(result)
    assert "request without a reason" not in explained  # the overruled detector's evidence is not shown
    assert "set by the trained reply model, not by a sentence: request_justified" in explained
    assert json.loads(json.dumps(result.to_dict()))["revised_elements"] == ["request_justified"]
    assert plain.to_dict()["revised_elements"] == []


def test_a_hand_back_the_model_finds_points_at_the_advice_it_is_worded_in(engine_judging):
    # A finding of ours, no action: the detector sees no hand-back; a head may.
    text = ("Hi,\n\nThe export failed because the file is over the 2 GB limit.\n\n"
            "Please try the export again with the CSV option and let us know.\n\nBest,\nLiam")
    plain = engine_judging({}).check_text(text)
    assert plain.elements["bounce_back"] is False and plain.elements["actions_taken"] is False
    found = [f for f in engine_judging({"bounce_back": True}).check_text(text).findings if f.rule == "bounce-back"]
    assert [(f.line, f.column) for f in found] == [(5, 1)]


def test_a_hand_back_the_model_finds_with_no_advice_is_a_whole_reply_finding(engine_judging):
    text = "Hi,\n\nThe export runs nightly at 02:00 UTC.\n\nBest,\nLiam"
    found = [f for f in engine_judging({"bounce_back": True}).check_text(text).findings if f.rule == "bounce-back"]
    assert len(found) == 1 and (found[0].line, found[0].column) == (1, 1)


def _silenced_by_the_model(engine_judging, text, element, rule):
    """The detectors leave ``element`` false and ``rule`` fires; with a head
    setting the element the rule is gone. Returns the revised result."""
    plain = engine_judging({}, kind="status-update").check_text(text)
    assert plain.elements[element] is False
    assert [f for f in plain.findings if f.rule == rule]
    revised = engine_judging({element: True}, kind="status-update").check_text(text)
    assert revised.elements[element] is True and revised.revised == (element,)
    assert not [f for f in revised.findings if f.rule == rule]
    return revised


def test_an_outcome_the_model_finds_silences_missing_outcome(engine_judging):
    text = "We went through the logs you attached and will update you tomorrow by 17:00."
    _silenced_by_the_model(engine_judging, text, "outcome", "missing-outcome")


def test_a_failed_reproduction_the_model_finds_points_at_the_clean_run(engine_judging):
    # A clean run the detector does not count: no attempt of ours is named.
    text = "Hi Jo,\n\nThanks for the recording.\n\nEvery call went through fine.\n\nRegards,\nSam"
    assert not [f for f in engine_judging({}).check_text(text).findings if f.rule == "cannot-reproduce"]
    result = engine_judging({"cannot_reproduce": True, "outcome": True}).check_text(text)
    found = [f for f in result.findings if f.rule == "cannot-reproduce"]
    assert [(f.line, f.column, f.severity) for f in found] == [(5, 1, "error")]


def test_a_failed_reproduction_the_model_finds_points_at_the_result_reported(engine_judging):
    text = ("Hi,\n\nI ran the same export with 25k rows on our demo account.\n\nIt finished in 40 seconds, against the "
            "10 minutes you see.\n\nCould you send the job id?")
    plain = engine_judging({}).check_text(text)
    assert plain.elements["outcome"] is True
    found = [f for f in engine_judging({"cannot_reproduce": True}).check_text(text).findings if f.rule == "cannot-reproduce"]
    evidence_line = plain.reply.lines.position(plain.reply.plain.to_original(
        plain.sentences[plain.detections["outcome"].evidence[0].sentence].start))[0]
    assert len(found) == 1 and found[0].line == evidence_line > 1


def test_a_failed_reproduction_the_model_finds_with_nothing_to_point_at_is_a_whole_reply_finding(engine_judging):
    result = engine_judging({"cannot_reproduce": True, "outcome": True}).check_text("Thanks, we will look at it.")
    assert result.error is None
    found = [f for f in result.findings if f.rule == "cannot-reproduce"]
    assert len(found) == 1 and (found[0].line, found[0].column) == (1, 1)


def _kind_module(engine):
    """checks/kind/detect.py as the engine loaded it."""
    return SimpleNamespace(**engine.registry.judge_reply.__globals__)


def _weights(kind, scores):
    """Heads that score every reply ``scores`` (one bias per element, no feature)."""
    keys = list(scores)
    return kind.element_weights_from(keys, [scores[k] for k in keys], {"unused": [0.0] * len(keys)})


def _ctx(**values):
    return DetectContext((), {key: Detection(value) for key, value in values.items()}, {})


def test_a_head_never_sets_an_element_its_detector_left_null(engine):
    kind = _kind_module(engine)
    ctx = _ctx(request_justified=None, outcome=False, cannot_reproduce=False)
    assert kind.revise_with({}, ctx, _weights(kind, {"request_justified": 3.0, "outcome": 3.0})) == {"outcome": True}


def test_a_head_never_clears_what_a_detector_found_except_a_hand_back(engine):
    """explain shows the detector's sentence; the value must not contradict it."""
    kind = _kind_module(engine)
    ctx = _ctx(outcome=True, setup_stated=True, request_justified=True, bounce_back=True,
               cannot_reproduce=False, actions_taken=False)
    heads = _weights(kind, {"outcome": -3.0, "setup_stated": -3.0, "request_justified": -3.0, "bounce_back": -3.0})
    assert kind.revise_with({}, ctx, heads) == {"bounce_back": False}


def test_borderline_scores_neither_add_a_failed_reproduction_nor_clear_a_hand_back(engine):
    kind = _kind_module(engine)
    assert kind.revise_with({}, _ctx(cannot_reproduce=False, outcome=True), _weights(kind, {"cannot_reproduce": 0.3})) == {}
    assert kind.revise_with({}, _ctx(bounce_back=True, actions_taken=False), _weights(kind, {"bounce_back": -0.3})) == {}
    assert kind.revise_with({}, _ctx(cannot_reproduce=False, outcome=True), _weights(kind, {"cannot_reproduce": 0.9})) == {}
    assert kind.revise_with({}, _ctx(outcome=False, cannot_reproduce=False), _weights(kind, {"outcome": 0.3})) == {
        "outcome": True}


def test_a_failed_reproduction_a_head_finds_is_an_outcome_too(engine):
    kind = _kind_module(engine)
    heads = _weights(kind, {"cannot_reproduce": 3.0})
    assert kind.revise_with({}, _ctx(cannot_reproduce=False, outcome=False), heads) == {
        "cannot_reproduce": True, "outcome": True}
    assert kind.revise_with({}, _ctx(cannot_reproduce=False, outcome=True), heads) == {"cannot_reproduce": True}


def test_a_head_finds_no_hand_back_in_a_reply_that_reports_our_action(engine):
    kind = _kind_module(engine)
    heads = _weights(kind, {"bounce_back": 3.0})
    assert kind.revise_with({}, _ctx(bounce_back=False, actions_taken=True), heads) == {}
    assert kind.revise_with({}, _ctx(bounce_back=False, actions_taken=False), heads) == {"bounce_back": True}


def test_an_action_a_head_finds_clears_a_hand_back(engine):
    """A hand-back reports no action of ours (PROTOCOL.md), so the two never stand together."""
    kind = _kind_module(engine)
    heads = _weights(kind, {"actions_taken": 3.0})
    assert kind.revise_with({}, _ctx(actions_taken=False, bounce_back=True), heads) == {
        "actions_taken": True, "bounce_back": False}
    # Raised by one head and ruled out by the other: the detector's false stands,
    # and no revision of bounce_back is reported (explain would say a head set it).
    both = _weights(kind, {"actions_taken": 3.0, "bounce_back": 3.0})
    assert kind.revise_with({}, _ctx(actions_taken=False, bounce_back=False), both) == {"actions_taken": True}
    assert kind.revise_with({}, _ctx(actions_taken=False, bounce_back=False), heads) == {"actions_taken": True}


def test_a_next_step_the_model_finds_silences_missing_next_steps(engine_judging):
    text = "Hi,\n\nThe courier has the parcel, and Kofi swaps the pump on the visit.\n\nBest,\nLiam"
    revised = _silenced_by_the_model(engine_judging, text, "next_steps", "missing-next-steps")
    # No sentence shows the step, so a missing time points at the whole reply.
    eta = [f for f in revised.findings if f.rule == "missing-eta"]
    assert [(f.line, f.column) for f in eta] == [(1, 1)]
    assert "set by the trained reply model, not by a sentence: next_steps" in explain_reply(revised)


def test_the_shipped_heads_rarely_overrule_the_element_cases(engine):
    """The element cases are the detectors' specification (one sentence or two,
    many of them near misses). The heads, trained on whole replies, may read a
    few differently, but a retrain that overrules more than 2 in 100 has gone
    wrong. (The limit was 1 in 100 until the eleventh landing, whose lighter
    shrinkage and three more heads overrule 13 of 1,069 and gain 0.018 and
    0.024 macro-F1 on two blind sets; margins that kept it under 1 in 100 gave
    back 0.007-0.012 of that.)"""
    cases, overruled = 0, []
    for path in sorted((bundled_dir("checks") / "elements").glob("*/cases.toml")):
        with path.open("rb") as fh:
            for case in tomllib.load(fh).get("case", []):
                expected = None if case["expect"] == "null" else case["expect"]
                result = engine.check_text(case["text"], name=case["name"], fmt=case.get("format"))
                cases += 1
                if result.elements[path.parent.name] != expected and path.parent.name in result.revised:
                    overruled.append(case["name"])
    assert cases > 500
    assert len(overruled) <= cases // 50, overruled


def test_revisions_a_very_long_reply_gets_no_eta_from_its_length(engine):
    """Counts past the longest labelled reply are read as its length: a
    2,000-sentence paste whose only time is "soon" has a vague time, not an
    ETA (user review: the kind model's heads extrapolated one)."""
    paragraph = "We checked node {} and the token refresh failed on it. We will look into the cache next.\n\n"
    text = "".join(paragraph.format(i) for i in range(1000)) + "We will get back to you soon.\n"
    result = engine.check_text(text)
    assert result.elements["eta"] is False
    assert any(f.rule == "eta-vague" for f in result.findings)
