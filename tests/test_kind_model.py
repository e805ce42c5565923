"""The reply-kind model (checks/kind/weights.json): trained from the corpus by
tools/train_kind.py, it must be current with the checks and must beat the
decision list it replaced on writers' batches it never saw."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def trainer():
    spec = importlib.util.spec_from_file_location("train_kind", ROOT / "tools" / "train_kind.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    batch, feats, gold, rule = labelled[0]
    changed = [(batch, {**feats, "sentences": feats.get("sentences", 0) + 0.5}, gold, rule), *labelled[1:]]
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
        ctx = DetectContext(result.sentences, result.detections, {})
        assert result.kind == predict(features(ctx))
        differ += result.kind != rule_kind(ctx)
    assert differ > 0
