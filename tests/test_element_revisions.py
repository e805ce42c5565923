"""What a user sees when the trained reply model overrules an element detector
(checks/kind/elements.json): the findings follow the element's value, point at
the nearest sentence that shows it, and `explain` says the model set it. The
revisions are forced here so the tests do not depend on a retrain."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy

from replylint.checkapi import DetectContext, Detection
from replylint.cli import explain_reply
from replylint.engine import Engine


def _engine_revising(engine, revisions):
    judge = engine.registry.judge_reply
    return Engine(engine.settings, dataclasses.replace(engine.registry, judge_reply=lambda ctx: (judge(ctx)[0], revisions)))


JUSTIFIED_ASK = ("Hi Ana,\n\nI checked the webhook log for envelope 5521 and the last delivery returned 502.\n\n"
                 "Could you send the response body your endpoint logged at 10:14, so I can see whether the proxy or "
                 "your app refused it?\n\nThanks,\nLiam")


def test_an_ask_the_model_finds_unjustified_gets_a_finding_on_the_ask(engine):
    assert engine.check_text(JUSTIFIED_ASK).elements["request_justified"] is True
    result = _engine_revising(engine, {"request_justified": False}).check_text(JUSTIFIED_ASK)
    assert result.elements["request_justified"] is False
    found = [f for f in result.findings if f.rule == "unjustified-request"]
    assert [(f.line, f.column) for f in found] == [(5, 1)]
    assert "request_justified" in explain_reply(result).split("set by the trained reply model")[1]


def test_a_hand_back_the_model_finds_without_a_sentence_is_a_whole_reply_finding(engine):
    text = "Hi,\n\nThe export runs nightly at 02:00 UTC.\n\nBest,\nLiam"
    assert engine.check_text(text).elements["bounce_back"] is False
    result = _engine_revising(engine, {"bounce_back": True}).check_text(text)
    found = [f for f in result.findings if f.rule == "bounce-back"]
    assert len(found) == 1 and (found[0].line, found[0].column) == (1, 1)


def test_an_outcome_the_model_finds_silences_missing_outcome(engine):
    text = "We went through the logs you attached and will update you tomorrow by 17:00."
    plain = engine.check_text(text)
    assert plain.elements["outcome"] is False
    revised = _engine_revising(engine, {"outcome": True}).check_text(text)
    assert revised.elements["outcome"] is True and revised.revised == ("outcome",)
    assert not [f for f in revised.findings if f.rule == "missing-outcome"]


def _kind_module(engine):
    """checks/kind/detect.py as the engine loaded it."""
    return SimpleNamespace(**engine.registry.judge_reply.__globals__)


def _weights(kind, scores):
    """Heads that score every reply ``scores`` (one bias per element, no feature)."""
    keys = list(scores)
    return kind.element_weights_from(keys, [scores[k] for k in keys], {"unused": [0.0] * len(keys)})


def test_a_head_never_sets_an_element_its_detector_left_null(engine):
    kind = _kind_module(engine)
    ctx = DetectContext((), {"request_justified": Detection(None), "outcome": Detection(False),
                             "cannot_reproduce": Detection(False)}, {})
    revised = kind.revise_with({}, ctx, _weights(kind, {"request_justified": 3.0, "outcome": 3.0}))
    assert revised == {"outcome": True}


def test_a_failed_reproduction_stays_an_outcome_whatever_the_head_says(engine):
    kind = _kind_module(engine)
    ctx = DetectContext((), {"outcome": Detection(True), "cannot_reproduce": Detection(True)}, {})
    assert kind.revise_with({}, ctx, _weights(kind, {"outcome": -3.0})) == {}
    ctx = DetectContext((), {"outcome": Detection(True), "cannot_reproduce": Detection(False)}, {})
    assert kind.revise_with({}, ctx, _weights(kind, {"outcome": -3.0})) == {"outcome": False}
    assert isinstance(_weights(kind, {"outcome": 1.0})[3], numpy.ndarray)
