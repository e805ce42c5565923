"""Measure a trained spaCy text classifier against the rules, on the same split.

The issue asks for a small trained classifier where rules alone fall short,
measured before choosing. This trains spaCy's multi-label bag-of-words text
classifier (no pretrained vectors, nothing downloaded) on the train split, one
label per protocol element, and scores it on the dev split exactly the way
`replylint eval` scores the rules (nullable elements count only where the gold
label is not null).

    python tools/measure_textcat.py                      # train on train, score on dev
    python tools/measure_textcat.py --epochs 20 --seed 1

It prints one table: per-element F1 of the classifier and of the rules.
Nothing here is used at run time.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def analysed_text(engine, row) -> str:
    """The text the rules see (quotes, code, greetings masked), so both
    approaches get the same input."""
    from replylint.inputs import source_from_text

    return engine.parse(source_from_text(row["text"], row["id"], row.get("format"))).segmented.text


def f1(pairs: list[tuple[bool, bool]]) -> float:
    tp = sum(1 for g, p in pairs if g and p)
    fp = sum(1 for g, p in pairs if not g and p)
    fn = sum(1 for g, p in pairs if g and not p)
    if not tp:
        return 1.0 if not fp and not fn else 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall)


def main() -> int:
    import spacy
    from spacy.training import Example

    from replylint.engine import Engine

    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default=str(ROOT / "corpus" / "train.jsonl"))
    ap.add_argument("--dev", default=str(ROOT / "corpus" / "dev.jsonl"))
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    engine = Engine()
    keys = list(engine.registry.element_keys())
    train, dev = rows(Path(args.train)), rows(Path(args.dev))

    random.seed(args.seed)
    spacy.util.fix_random_seed(args.seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": {
        "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2, "no_output_layer": False}})
    for key in keys:
        textcat.add_label(key)
    examples = [Example.from_dict(nlp.make_doc(analysed_text(engine, r)),
                                  {"cats": {k: float(bool(r["elements"][k])) for k in keys}}) for r in train]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(args.epochs):
        random.shuffle(examples)
        for batch in spacy.util.minibatch(examples, size=16):
            nlp.update(batch, sgd=optimizer, drop=0.2)

    classifier: dict[str, list[tuple[bool, bool]]] = {k: [] for k in keys}
    rules: dict[str, list[tuple[bool, bool]]] = {k: [] for k in keys}
    for r in dev:
        cats = nlp(analysed_text(engine, r)).cats
        result = engine.check_text(r["text"], name=r["id"], fmt=r.get("format"))
        for k in keys:
            gold = r["elements"][k]
            if gold is None:
                continue
            classifier[k].append((bool(gold), cats[k] >= 0.5))
            rules[k].append((bool(gold), bool(result.elements.get(k))))
    print(f"train {len(train)} replies, dev {len(dev)} replies, {args.epochs} epochs")
    print(f"{'element':<20} {'classifier':>10} {'rules':>8}")
    for k in keys:
        print(f"{k:<20} {f1(classifier[k]):>10.3f} {f1(rules[k]):>8.3f}")
    macro_c = sum(f1(classifier[k]) for k in keys) / len(keys)
    macro_r = sum(f1(rules[k]) for k in keys) / len(keys)
    print(f"{'macro-F1':<20} {macro_c:>10.3f} {macro_r:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
