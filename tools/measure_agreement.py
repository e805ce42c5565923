"""How far two careful people agree, and where the tool stands between them.

corpus/second_labels.jsonl holds a second, independent labelling of 300 corpus
replies (the whole held-out split and 150 replies drawn at random from dev's
months gw- to hh-), by four labellers who read only PROTOCOL.md and
corpus/README.md and never saw the first labels, the rules or the tool's output.
For each group this prints per-element F1 and kind accuracy three ways: the
second labels against the corpus labels, the tool against the corpus labels,
and the tool against the second labels; then the tool's figures on just the
labels the two labellings agree on. Nothing here is used at run time.

    python tools/measure_agreement.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replylint.engine import Engine
from replylint.evaluate import Counts, _format, read_labelled
from replylint.inputs import Source

CORPUS = ROOT / "corpus"
SPLITS = ("train", "dev", "heldout")


def read_second_labels(path: Path = CORPUS / "second_labels.jsonl") -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def split_records() -> dict[str, dict]:
    return {str(r["id"]): {**r, "split": split} for split in SPLITS for r in read_labelled(CORPUS / f"{split}.jsonl")}


def compare(predicted: dict[str, dict], reference: dict[str, dict], ids, keys, agreed=None) -> tuple[float, dict, float]:
    """(macro-F1, F1 per element, kind accuracy) of ``predicted`` against
    ``reference`` on ``ids``; with ``agreed(id, key)`` only the labels it
    accepts count (key "kind" for the kind)."""
    counts = {k: Counts() for k in keys}
    kinds_right = kinds = 0
    for rid in ids:
        for k in keys:
            gold = reference[rid]["elements"].get(k)
            if gold is None or (agreed and not agreed(rid, k)):
                continue
            got = bool(predicted[rid]["elements"].get(k))
            c = counts[k]
            if gold and got:
                c.tp += 1
            elif gold:
                c.fn += 1
            elif got:
                c.fp += 1
            else:
                c.tn += 1
        if not agreed or agreed(rid, "kind"):
            kinds += 1
            kinds_right += predicted[rid]["kind"] == reference[rid]["kind"]
    f1 = {k: c.f1 for k, c in counts.items()}
    return sum(f1.values()) / len(f1), f1, kinds_right / kinds if kinds else 0.0


def main() -> int:
    second = read_second_labels()
    first = split_records()
    ids = list(second)
    engine = Engine()
    keys = engine.registry.element_keys()
    results = engine.check_sources([Source(rid, first[rid]["text"], _format(first[rid].get("format"))) for rid in ids])
    tool = {rid: {"kind": r.kind, "elements": dict(r.elements)} for rid, r in zip(ids, results)}

    def agreed(rid, key):
        if key == "kind":
            return first[rid]["kind"] == second[rid]["kind"]
        return first[rid]["elements"][key] == second[rid]["elements"][key]

    groups = {"held-out": [i for i in ids if first[i]["split"] == "heldout"],
              "dev sample": [i for i in ids if first[i]["split"] != "heldout"]}
    for name, group in groups.items():
        columns = {"second vs corpus": compare(second, first, group, keys),
                   "tool vs corpus": compare(tool, first, group, keys),
                   "tool vs second": compare(tool, second, group, keys),
                   "tool, agreed labels": compare(tool, first, group, keys, agreed)}
        print(f"\n{name}: {len(group)} replies")
        print(f"{'element':20s}" + "".join(f"{c:>21s}" for c in columns))
        for k in keys:
            print(f"{k:20s}" + "".join(f"{f1[k]:>21.3f}" for _, f1, _ in columns.values()))
        print(f"{'macro-F1':20s}" + "".join(f"{macro:>21.3f}" for macro, _, _ in columns.values()))
        print(f"{'kind accuracy':20s}" + "".join(f"{kind:>21.3f}" for _, _, kind in columns.values()))
        wrong = [i for i in group if tool[i]["kind"] != first[i]["kind"]]
        sided = sum(tool[i]["kind"] == second[i]["kind"] for i in wrong)
        print(f"the tool's kind differs from the corpus on {len(wrong)}; the second labeller chose the tool's kind on {sided}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
