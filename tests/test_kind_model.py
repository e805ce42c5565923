"""The reply model: the kind model (checks/kind/weights.json) and the element
heads (checks/kind/elements.json), trained from the corpus by
tools/train_kind.py. Both must be current with the checks, and each must beat
what it overrules (the decision list, the element detectors) on writers'
batches it never saw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def trainer(load_tool):
    return load_tool("train_kind")


@pytest.fixture(scope="module")
def labelled(trainer):
    return trainer.labelled_features()


def test_shipped_weights_were_trained_on_the_current_checks_and_corpus(trainer, labelled):
    """A pattern, detector or corpus change moves the features; the shipped weights
    must then be retrained (python tools/train_kind.py), or kinds drift silently.
    weights.json records a fingerprint of what it was trained on."""
    shipped = trainer.shipped_fingerprint(ROOT / "checks" / "kind" / "weights.json")
    assert shipped == trainer.fingerprint(labelled), "checks/kind/weights.json is stale: run python tools/train_kind.py"


def test_fingerprint_sees_a_changed_feature(trainer, labelled):
    first = labelled[0]
    changed = [first._replace(feats={**first.feats, "sentences": first.feats.get("sentences", 0) + 0.5}), *labelled[1:]]
    assert trainer.fingerprint(changed) != trainer.fingerprint(labelled)


def test_model_beats_the_decision_list_on_batches_it_never_saw(trainer, labelled):
    """Each writer's batch is predicted by a model trained without it, so this is
    accuracy on unseen writing, not on the training data."""
    model, rules = trainer.batch_out_accuracy(labelled, list(trainer.load_kinds()))
    assert model >= rules + 0.03, f"model {model:.3f} vs decision list {rules:.3f}"


def test_the_engine_uses_the_shipped_model(engine, trainer):
    """The kind the engine reports is the model's answer, which differs from the
    decision list on some replies of the corpus."""
    table = json.loads((ROOT / "checks" / "kind" / "weights.json").read_text(encoding="utf-8"))
    predict = trainer.predictor(table["weights"], table["bias"])
    from replylint.checkapi import DetectContext

    kind = trainer.kind_check()  # detect.py, loaded once by the trainer
    features, rule_kind = kind.features, kind.rule_kind
    texts = [json.loads(line)["text"] for line in (ROOT / "corpus" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:300]]
    differ = 0
    for text in texts:
        result = engine.check_text(text)
        # The kind model reads the detectors' values, not the element heads' revisions.
        ctx = DetectContext(result.sentences, engine.detect(result.sentences), {})
        assert result.kind == predict(features(ctx))
        differ += result.kind != rule_kind(ctx)
    assert differ > 0


def test_shipped_element_heads_were_trained_on_the_current_checks_and_corpus(trainer, labelled):
    shipped = trainer.shipped_fingerprint(ROOT / "checks" / "kind" / "elements.json")
    keys = trainer.load_revised_elements()
    assert shipped == trainer.element_fingerprint(labelled, keys), "checks/kind/elements.json is stale: run python tools/train_kind.py"


def test_element_fingerprint_sees_a_changed_label_or_detector_value(trainer, labelled):
    keys = trainer.load_revised_elements()
    first = labelled[0]
    key = keys[0]
    relabelled = [first._replace(elements={**first.elements, key: not first.elements[key]}), *labelled[1:]]
    redetected = [first._replace(detected={**first.detected, key: not first.detected[key]}), *labelled[1:]]
    base = trainer.element_fingerprint(labelled, keys)
    assert trainer.element_fingerprint(relabelled, keys) != base
    assert trainer.element_fingerprint(redetected, keys) != base


def test_each_element_head_beats_its_detector_on_batches_it_never_saw(trainer, labelled):
    """kind.toml gives a head only to elements where it pays: with whole writer
    batches left out, every head must raise its element's F1, and together by a
    clear margin."""
    keys = trainer.load_revised_elements()
    assert keys
    scores = trainer.batch_out_elements(labelled, keys)
    for key, (detectors, with_head) in scores.items():
        assert with_head > detectors, f"{key}: head {with_head:.3f} vs detectors {detectors:.3f}"
    gain = sum(after - before for before, after in scores.values()) / len(scores)
    assert gain >= 0.015, scores


def test_the_engine_revises_elements_with_the_shipped_heads(engine, trainer):
    """The element values the engine reports are the detectors' values with the
    shipped heads' revisions; on some corpus replies the two differ, and the
    result names the elements a head set."""
    table = json.loads((ROOT / "checks" / "kind" / "elements.json").read_text(encoding="utf-8"))
    predict = trainer.element_predictor(table["elements"], table["weights"], table["bias"])
    from replylint.checkapi import DetectContext

    kind = trainer.kind_check()
    texts = [json.loads(line)["text"] for line in (ROOT / "corpus" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:300]]
    revised = 0
    for text in texts:
        result = engine.check_text(text)
        detected = engine.detect(result.sentences)
        ctx = DetectContext(result.sentences, detected, {})
        expected = predict(kind.features(ctx), {key: d.value for key, d in detected.items()})
        assert dict(result.elements) == expected
        assert set(result.revised) == {key for key in expected if expected[key] != detected[key].value}
        revised += bool(result.revised)
    assert revised > 0
