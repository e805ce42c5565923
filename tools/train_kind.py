"""Train the reply model on the labelled corpus: the kind model
(checks/kind/weights.json) and the element heads (checks/kind/elements.json).

Both are logistic regressions over the features that checks/kind/detect.py
computes from a checked reply (the detectors' element values, signal labels,
the decision list's answer, the words of the engineer's own sentences). The
kind model is multinomial over the four kinds. Each element head (one per
element in kind.toml's ``revised_elements``) is binary and overrules its
element's detector on a whole reply where the two disagree. Both are trained
on the train and dev splits only; the held-out split is never read.

    python tools/train_kind.py            # retrain; write weights.json and elements.json
    python tools/train_kind.py --cv       # also: accuracy and F1 with whole writer batches left out
    python tools/train_kind.py --check    # exit 1 if either file is stale

Retrain after changing any pattern, detector or corpus reply: the features move
with them. Each file records a fingerprint of the features and labels it was
trained on, and --check (and a test) compares it with the current ones exactly.
numpy and scipy's sparse matrices (the features are 2-3% dense), full-batch and
started from zeros, so a retrain on the same data gives the same weights up to
float rounding. scipy is a training and test dependency only (pip install -e ".[test]"):
the engine reads the weights with numpy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy
import scipy.sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPLITS = (ROOT / "corpus" / "train.jsonl", ROOT / "corpus" / "dev.jsonl")
KIND_DIR = ROOT / "checks" / "kind"
L2 = 0.003  # the kind model's: with writer batches left out, 0.003 beat 0.03 (accuracy 0.867, 0.852; eleventh landing)
ELEMENT_L2 = 0.001  # the element heads': with writer batches left out, 0.001 beat 0.01, 0.03 and 0.1 (mean F1 0.932, 0.926, 0.917, 0.901)
STEPS = 400  # with the decaying step below, a fit takes a few seconds and has converged
MIN_REPLIES = 20  # a feature (most are words) seen in fewer training replies is left out


@lru_cache(maxsize=1)
def kind_check():
    """checks/kind/detect.py: its features, decision list, kinds and scoring."""
    from replylint.registry import _load_module

    return _load_module(KIND_DIR / "detect.py", "replylint_train_kind")


class Row(NamedTuple):
    batch: str  # the writer batch (id prefix): cross-validation leaves whole batches out
    feats: dict[str, float]
    kind: str  # the writer's label
    rule_kind: str  # the decision list's answer
    elements: dict[str, bool | None]  # the writer's labels
    detected: dict[str, bool | None]  # the detectors' values, before any model


def labelled_features(paths=SPLITS) -> list[Row]:
    """One Row for every labelled reply of train and dev."""
    from replylint.checkapi import DetectContext
    from replylint.engine import Engine
    from replylint.evaluate import _format, read_labelled
    from replylint.inputs import Source

    kind = kind_check()
    engine = Engine()
    rows = []
    for path in paths:
        if "heldout" in path.name:
            raise SystemExit(f"{path}: the held-out split is never used for training")
        records = [r for r in read_labelled(path) if r.get("kind")]
        sources = [Source(str(r["id"]), r["text"], _format(r.get("format"))) for r in records]
        for record, result in zip(records, engine.check_sources(sources)):
            if result.error:
                raise SystemExit(result.error)
            # The detectors' own reading: the result may carry the heads' revisions.
            ctx = DetectContext(result.sentences, engine.detect(result.sentences), {})
            rows.append(Row(str(record["id"]).split("-")[0], kind.features(ctx), record["kind"], kind.rule_kind(ctx),
                            dict(record["elements"]), {key: d.value for key, d in ctx.elements.items()}))
    return rows


def fit(examples, classes, l2=L2, steps=STEPS):
    """Weights by feature name and a bias per class (Adam on the mean log-loss)
    for (features, label) pairs."""
    seen: dict[str, int] = {}
    for feats, _ in examples:
        for name in feats:
            seen[name] = seen.get(name, 0) + 1
    names = sorted(n for n, c in seen.items() if c >= MIN_REPLIES)
    # Sparse: a reply has ~200 of the ~8,500 features, so the two products per
    # step touch 2-3% of what a dense matrix holds (a fit ran ~8 times faster).
    x = matrix([feats for feats, _ in examples], names)
    xt = x.T.tocsr()
    target = numpy.eye(len(classes))[[classes.index(label) for _, label in examples]]
    w = numpy.zeros((len(names) + 1, len(classes)))
    m, v = numpy.zeros_like(w), numpy.zeros_like(w)
    decay = numpy.ones((len(names) + 1, 1))
    decay[-1] = 0  # the bias is not shrunk
    for t in range(1, steps + 1):
        z = x @ w
        z -= z.max(axis=1, keepdims=True)
        p = numpy.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = xt @ (p - target) / len(examples) + l2 * w * decay
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        # The step shrinks to almost nothing (cosine schedule), so the fit lands on
        # the optimum instead of circling it: with a constant step, dropping 10 of
        # 4,059 replies changed 5.6% of predictions; with this, 0.1%.
        rate = 0.1 * 0.5 * (1 + math.cos(math.pi * t / steps)) + 0.0005
        w -= rate * (m / (1 - 0.9**t)) / (numpy.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return {name: [round(float(c), 5) for c in w[i]] for i, name in enumerate(names)}, [round(float(c), 5) for c in w[-1]]


def fit_kind(rows, kinds):
    """The kind model. Hand-back-only replies are left out: the model never decides them."""
    return fit([(r.feats, r.kind) for r in rows if not r.feats.get(kind_check().HAND_BACK_ONLY)], kinds)


def element_examples(rows, key):
    """(features, label) for one element head: the replies where both the writer
    and the detector give the element a value (a null stays null)."""
    return [(r.feats, r.elements[key]) for r in rows if r.elements.get(key) is not None and r.detected.get(key) is not None]


def fit_elements(rows, keys):
    """One binary head per element, as one table: for each feature, its weight
    in each head (the difference of the two classes' weights), and each head's bias."""
    weights: dict[str, list[float]] = {}
    bias = []
    fitted = in_parallel(lambda key: fit(element_examples(rows, key), [False, True], l2=ELEMENT_L2), keys)
    for j, (w, b) in enumerate(fitted):
        bias.append(round(b[1] - b[0], 5))
        for name, (w_false, w_true) in w.items():
            weights.setdefault(name, [0.0] * len(keys))[j] = round(w_true - w_false, 5)
    return weights, bias


def matrix(feature_dicts, names):
    """The features as a CSR matrix, one row a reply, one column a name in
    ``names`` plus a last column of ones (the bias)."""
    index = {n: i for i, n in enumerate(names)}
    columns, values, starts = [], [], [0]
    for feats in feature_dicts:
        for name, value in feats.items():
            j = index.get(name)
            if j is not None:
                columns.append(j)
                values.append(value)
        columns.append(len(names))
        values.append(1.0)
        starts.append(len(columns))
    return scipy.sparse.csr_matrix((values, columns, starts), shape=(len(feature_dicts), len(names) + 1))


def predictor(weights, bias):
    """features -> kind under these weights, scored as the engine scores them."""
    kind = kind_check()
    prepared = kind.weights_from(bias, weights)
    return lambda feats: kind.choose(feats, prepared)


def element_predictor(keys, weights, bias):
    """(features, detected values) -> revised values, as the engine revises them."""
    from replylint.checkapi import DetectContext, Detection

    kind = kind_check()
    prepared = kind.element_weights_from(keys, bias, weights)

    def predict(feats, detected):
        ctx = DetectContext((), {k: Detection(v) for k, v in detected.items()}, {})
        return {**detected, **kind.revise_with(feats, ctx, prepared)}

    return predict


def in_parallel(work, items) -> list:
    """``work`` over ``items`` on threads, one a core, results in order. A fit's
    time goes mostly to scipy's sparse products, which release the GIL: on 2
    cores the 5-fold checks ran about 1.5 times faster. Each fit is independent
    of the others, so the results are those of a plain loop."""
    items = list(items)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = min(len(items), cores)
    if workers <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, items))


def _folds(rows, folds=5):
    batches = sorted({r.batch for r in rows})
    fold_of = {b: i % folds for i, b in enumerate(batches)}
    for f in range(folds):
        yield [r for r in rows if fold_of[r.batch] != f], [r for r in rows if fold_of[r.batch] == f]


def batch_out_accuracy(rows, kinds, folds=5):
    """Model and decision-list accuracy, each reply predicted by a model that
    saw none of its writer's batch (batches dealt to folds in a fixed order)."""
    splits = list(_folds(rows, folds))
    fitted = in_parallel(lambda split: fit_kind(split[0], kinds), splits)
    right = 0
    for (_, test), model in zip(splits, fitted):
        predict = predictor(*model)
        right += sum(predict(r.feats) == r.kind for r in test)
    return right / len(rows), sum(r.rule_kind == r.kind for r in rows) / len(rows)


def batch_out_elements(rows, keys, folds=5):
    """Per element, F1 of the detectors alone and with the heads, each reply
    revised by heads that saw none of its writer's batch."""
    pairs = {key: ([], []) for key in keys}  # (gold, detected), (gold, revised)
    for train, test in _folds(rows, folds):
        predict = element_predictor(keys, *fit_elements(train, keys))
        for r in test:
            revised = predict(r.feats, r.detected)
            for key in keys:
                if r.elements.get(key) is not None:  # as replylint eval counts: a null is false
                    pairs[key][0].append((r.elements[key], bool(r.detected.get(key))))
                    pairs[key][1].append((r.elements[key], bool(revised.get(key))))
    return {key: (f1(before), f1(after)) for key, (before, after) in pairs.items()}


def f1(pairs) -> float:
    """F1 of the true class, as replylint eval counts it."""
    tp = sum(1 for gold, got in pairs if gold and got)
    fp = sum(1 for gold, got in pairs if got and not gold)
    fn = sum(1 for gold, got in pairs if gold and not got)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cv", action="store_true", help="also report accuracy with whole writer batches left out")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if the shipped weights are stale")
    args = ap.parse_args(argv)
    kinds, keys = list(load_kinds()), load_revised_elements()
    rows = labelled_features()
    kind_out, element_out = KIND_DIR / "weights.json", KIND_DIR / "elements.json"
    if args.check:
        stale = [out for out, current in ((kind_out, fingerprint(rows)), (element_out, element_fingerprint(rows, keys)))
                 if shipped_fingerprint(out) != current]
        for out in stale:
            print(f"{out.relative_to(ROOT)} is stale: run python tools/train_kind.py")
        if not stale:
            print(f"{kind_out.relative_to(ROOT)} and {element_out.name} were trained on the current checks and corpus")
        return 1 if stale else 0
    weights, bias = fit_kind(rows, kinds)
    kind_out.write_text(weights_json(kinds, bias, weights, fingerprint(rows)), encoding="utf-8")
    predict = predictor(weights, bias)
    train_acc = sum(predict(r.feats) == r.kind for r in rows) / len(rows)
    print(f"wrote {kind_out.relative_to(ROOT)}: {len(weights)} features, {len(rows)} replies, training accuracy {train_acc:.3f}")
    element_weights, element_bias = fit_elements(rows, keys)
    element_out.write_text(weights_json(keys, element_bias, element_weights, element_fingerprint(rows, keys), "elements"),
                           encoding="utf-8")
    print(f"wrote {element_out.relative_to(ROOT)}: heads for {', '.join(keys)}; {len(element_weights)} features")
    if args.cv:
        model, rules = batch_out_accuracy(rows, kinds)
        print(f"writer batches left out: kind model {model:.3f}, decision list {rules:.3f}")
        for key, (before, after) in batch_out_elements(rows, keys).items():
            print(f"writer batches left out: {key} F1 detectors {before:.3f}, with its head {after:.3f}")
    return 0


def weights_json(kinds, bias, weights, trained_on: str, labels_key: str = "kinds") -> str:
    """One feature a line, so a retrain's diff shows which weights moved;
    ``labels_key`` names the columns (the kinds, or the heads' elements)."""
    lines = ",\n".join(f"  {json.dumps(name)}: {json.dumps(w)}" for name, w in sorted(weights.items()))
    return (f'{{{json.dumps(labels_key)}: {json.dumps(kinds)},\n "trained_on": {json.dumps(trained_on)},\n'
            f' "bias": {json.dumps(bias)},\n "weights": {{\n{lines}\n}}}}\n')


def fingerprint(rows) -> str:
    """sha256 of the training settings and of every training reply's batch, kind
    label and features, in order."""
    digest = hashlib.sha256(json.dumps(["kind", L2, STEPS, MIN_REPLIES]).encode())
    for r in rows:
        digest.update(json.dumps([r.batch, r.kind, sorted((k, round(v, 6)) for k, v in r.feats.items())]).encode())
    return digest.hexdigest()


def element_fingerprint(rows, keys) -> str:
    """sha256 of the heads' elements, the training settings, and every reply's
    element labels, detector values and features, in order."""
    digest = hashlib.sha256(json.dumps([keys, ELEMENT_L2, STEPS, MIN_REPLIES]).encode())
    for r in rows:
        digest.update(json.dumps([r.batch, [r.elements.get(k) for k in keys], [r.detected.get(k) for k in keys],
                                  sorted((k, round(v, 6)) for k, v in r.feats.items())]).encode())
    return digest.hexdigest()


def shipped_fingerprint(path: Path) -> str | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("trained_on")


def load_kinds():
    return kind_check().KINDS


def load_revised_elements() -> list[str]:
    """The elements kind.toml gives a trained head (``revised_elements``)."""
    with (KIND_DIR / "kind.toml").open("rb") as fh:
        return list(tomllib.load(fh).get("revised_elements", []))


if __name__ == "__main__":
    raise SystemExit(main())
