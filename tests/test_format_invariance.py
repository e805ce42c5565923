"""A reply keeps its verdict when it is sent as real mail: with the customer's
message quoted under it, as Outlook or Gmail HTML, or as a whole .eml. Measured
on the held-out split's plain-text replies with tools/measure_format_invariance.py,
whose quoted customer message would trip nearly every element if it were read
as the engineer's own words."""

from __future__ import annotations

from pathlib import Path

import pytest

from replylint.evaluate import read_labelled

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tool(load_tool):
    return load_tool("measure_format_invariance")


@pytest.fixture(scope="module")
def replies():
    return [(str(r["id"]), r["text"]) for r in read_labelled(ROOT / "corpus" / "heldout.jsonl")
            if r.get("format", "text") == "text"]


@pytest.fixture(scope="module")
def changes(tool, engine, replies):
    return tool.measure(engine, replies)


@pytest.mark.parametrize("dress", ["text, Gmail quote", "text, Outlook quote", "Outlook HTML", "Gmail HTML",
                                   "multipart .eml", "HTML-only .eml"])
def test_invariance_the_verdict_survives_the_mail_dress(changes, replies, dress):
    changed = changes[dress]
    assert len(changed) <= len(replies) // 100, f"{dress}: {len(changed)} of {len(replies)} replies changed: {changed}"


def test_invariance_the_quoted_message_would_change_verdicts_if_it_were_ours(tool, engine, replies):
    """The probe is real: the same customer sentences, unquoted, change most verdicts."""
    unquoted = {rid: text.rstrip() + "\n\n" + " ".join(tool.CUSTOMER_MESSAGE[1:4]) + "\n" for rid, text in replies}
    plain = engine.check_sources([tool.Source(rid, text, "text") for rid, text in replies])
    dressed = engine.check_sources([tool.Source(rid, unquoted[rid], "text") for rid, _ in replies])
    changed = [rid for (rid, _), p, d in zip(replies, plain, dressed) if tool.differences(p, d)]
    assert len(changed) >= len(replies) // 2
