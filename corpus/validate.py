"""Validate a corpus JSONL file against the record format in corpus/README.md. Usage: python validate.py FILE"""
import json
import sys
from pathlib import Path

KEYS = ["actions_taken", "outcome", "next_steps", "eta", "info_request", "request_justified",
        "requests_batched", "cannot_reproduce", "setup_stated", "bounce_back", "assumption_stated"]
KINDS = {"status-update", "resolution", "info-request", "other"}
ok = True
ids = set()
counts = {k: 0 for k in KEYS}
n = 0
for lineno, line in enumerate(Path(sys.argv[1]).read_text(encoding="utf-8").splitlines(), 1):
    if not line.strip():
        continue
    try:
        r = json.loads(line)
    except json.JSONDecodeError as e:
        print(f"line {lineno}: bad JSON: {e}"); ok = False; continue
    n += 1
    def bad(msg, lineno=lineno, r=r):
        global ok
        ok = False
        print(f"line {lineno} ({r.get('id')}): {msg}")
    for f in ("id", "format", "text", "kind", "elements"):
        if f not in r: bad(f"missing {f}")
    if r.get("id") in ids: bad("duplicate id")
    ids.add(r.get("id"))
    if r.get("format") not in ("text", "html", "eml"): bad("format must be text/html/eml")
    if r.get("kind") not in KINDS: bad("bad kind")
    el = r.get("elements", {})
    if set(el) != set(KEYS): bad(f"elements keys differ: {set(el) ^ set(KEYS)}")
    for k in KEYS:
        v = el.get(k)
        if k in ("request_justified", "requests_batched"):
            if el.get("info_request") is False and v is not None: bad(f"{k} must be null when info_request is false")
            if el.get("info_request") is True and not isinstance(v, bool): bad(f"{k} must be bool when info_request is true")
        elif not isinstance(v, bool): bad(f"{k} must be bool")
        if v is True: counts[k] += 1
    if el.get("cannot_reproduce") and not el.get("outcome"): bad("cannot_reproduce implies outcome")
print(f"{n} records; positives per element:")
for k in KEYS: print(f"  {k:18} {counts[k]:4}  ({counts[k]/max(n,1):.0%})")
print("OK" if ok else "ERRORS")
sys.exit(0 if ok else 1)
