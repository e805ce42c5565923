"""Train the reply-kind model (checks/kind/weights.json) on the labelled corpus.

The model is a multinomial logistic regression over the features that
checks/kind/detect.py computes from a checked reply (elements, signal labels,
the decision list's own answer). It is trained on the train and dev splits only;
the held-out split is never read.

    python tools/train_kind.py            # retrain and write checks/kind/weights.json
    python tools/train_kind.py --cv       # also: accuracy with whole writer batches left out
    python tools/train_kind.py --check    # exit 1 if the shipped weights are stale

Retrain after changing any pattern, detector or corpus reply: the features move
with them. weights.json records a fingerprint of the features and labels it was
trained on, and --check (and a test) compares it with the current ones exactly.
Plain numpy (spaCy's own dependency), full-batch and started from zeros, so a
retrain on the same data gives the same weights up to float rounding.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from functools import lru_cache
from pathlib import Path

import numpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPLITS = (ROOT / "corpus" / "train.jsonl", ROOT / "corpus" / "dev.jsonl")
KIND_DIR = ROOT / "checks" / "kind"
L2 = 0.03
STEPS = 400  # with the decaying step below, a fit takes ~3 s and has converged
MIN_REPLIES = 20  # a feature (most are words) seen in fewer training replies is left out


@lru_cache(maxsize=1)
def kind_check():
    """checks/kind/detect.py: its features, decision list, kinds and scoring."""
    from replylint.registry import _load_module

    return _load_module(KIND_DIR / "detect.py", "replylint_train_kind")


def labelled_features(paths=SPLITS):
    """(batch, features, gold kind, decision-list kind) for every labelled reply."""
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
            ctx = DetectContext(result.sentences, result.detections, {})
            rows.append((str(record["id"]).split("-")[0], kind.features(ctx), record["kind"], kind.rule_kind(ctx)))
    return rows


def fit(rows, kinds, l2=L2, steps=STEPS):
    """Weights by feature name and a bias per kind (Adam on the mean log-loss).
    Hand-back-only replies are left out: the model never decides them."""
    rows = [r for r in rows if not r[1].get(kind_check().HAND_BACK_ONLY)]
    seen: dict[str, int] = {}
    for _, feats, _, _ in rows:
        for name in feats:
            seen[name] = seen.get(name, 0) + 1
    names = sorted(n for n, c in seen.items() if c >= MIN_REPLIES)
    # float32 and a contiguous transpose: the two products per step read the
    # whole matrix, so halving its bytes halves the time.
    x = matrix(rows, names).astype(numpy.float32)
    xt = numpy.ascontiguousarray(x.T)
    target = numpy.eye(len(kinds), dtype=numpy.float32)[[kinds.index(r[2]) for r in rows]]
    w = numpy.zeros((len(names) + 1, len(kinds)), dtype=numpy.float32)
    m, v = numpy.zeros_like(w), numpy.zeros_like(w)
    decay = numpy.ones((len(names) + 1, 1), dtype=numpy.float32)
    decay[-1] = 0  # the bias is not shrunk
    for t in range(1, steps + 1):
        z = x @ w
        z -= z.max(axis=1, keepdims=True)
        p = numpy.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = xt @ (p - target) / len(rows) + l2 * w * decay
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        # The step shrinks to almost nothing (cosine schedule), so the fit lands on
        # the optimum instead of circling it: with a constant step, dropping 10 of
        # 4,059 replies changed 5.6% of predictions; with this, 0.1%.
        rate = 0.1 * 0.5 * (1 + math.cos(math.pi * t / steps)) + 0.0005
        w -= rate * (m / (1 - 0.9**t)) / (numpy.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return {name: [round(float(c), 5) for c in w[i]] for i, name in enumerate(names)}, [round(float(c), 5) for c in w[-1]]


def matrix(rows, names):
    index = {n: i for i, n in enumerate(names)}
    x = numpy.zeros((len(rows), len(names) + 1))
    x[:, -1] = 1.0
    for i, (_, feats, _, _) in enumerate(rows):
        for name, value in feats.items():
            j = index.get(name)
            if j is not None:
                x[i, j] = value
    return x


def predictor(weights, bias):
    """features -> kind under these weights, scored as the engine scores them."""
    kind = kind_check()
    prepared = kind.weights_from(bias, weights)
    return lambda feats: kind.choose(feats, prepared)


def batch_out_accuracy(rows, kinds, folds=5):
    """Model and decision-list accuracy, each reply predicted by a model that
    saw none of its writer's batch (batches dealt to folds in a fixed order)."""
    batches = sorted({r[0] for r in rows})
    fold_of = {b: i % folds for i, b in enumerate(batches)}
    right = 0
    for f in range(folds):
        train = [r for r in rows if fold_of[r[0]] != f]
        predict = predictor(*fit(train, kinds))
        right += sum(predict(r[1]) == r[2] for r in rows if fold_of[r[0]] == f)
    return right / len(rows), sum(r[3] == r[2] for r in rows) / len(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cv", action="store_true", help="also report accuracy with whole writer batches left out")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if the shipped weights are stale")
    args = ap.parse_args(argv)
    kinds = list(load_kinds())
    rows = labelled_features()
    weights, bias = fit(rows, kinds) if not args.check else (None, None)
    out = KIND_DIR / "weights.json"
    if args.check:
        if shipped_fingerprint(out) == fingerprint(rows):
            print(f"{out.relative_to(ROOT)} was trained on the current checks and corpus")
            return 0
        print(f"{out.relative_to(ROOT)} is stale: run python tools/train_kind.py")
        return 1
    out.write_text(weights_json(kinds, bias, weights, fingerprint(rows)), encoding="utf-8")
    predict = predictor(weights, bias)
    train_acc = sum(predict(r[1]) == r[2] for r in rows) / len(rows)
    print(f"wrote {out.relative_to(ROOT)}: {len(weights)} features, {len(rows)} replies, training accuracy {train_acc:.3f}")
    if args.cv:
        model, rules = batch_out_accuracy(rows, kinds)
        print(f"writer batches left out: model {model:.3f}, decision list {rules:.3f}")
    return 0


def weights_json(kinds, bias, weights, trained_on: str) -> str:
    """One feature a line, so a retrain's diff shows which weights moved."""
    lines = ",\n".join(f"  {json.dumps(name)}: {json.dumps(w)}" for name, w in sorted(weights.items()))
    return (f'{{"kinds": {json.dumps(kinds)},\n "trained_on": {json.dumps(trained_on)},\n'
            f' "bias": {json.dumps(bias)},\n "weights": {{\n{lines}\n}}}}\n')


def fingerprint(rows) -> str:
    """sha256 of every training reply's batch, label and features, in order."""
    digest = hashlib.sha256()
    for batch, feats, gold, _ in rows:
        digest.update(json.dumps([batch, gold, sorted((k, round(v, 6)) for k, v in feats.items())]).encode())
    return digest.hexdigest()


def shipped_fingerprint(path: Path) -> str | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("trained_on")


def load_kinds():
    return kind_check().KINDS


if __name__ == "__main__":
    raise SystemExit(main())
