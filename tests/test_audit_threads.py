"""Thread checks (checks/threads/*): every case in their cases.toml, their
structure, and the loader's validation."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import date
from pathlib import Path

import pytest

from replylint.audit.threads import (
    ThreadMessage,
    load_thread_checks,
    load_thread_rule,
    run_thread_rules,
    thread_folders,
)
from replylint.audit.timeutil import BusinessCalendar, eta_deadline, from_utc_text, zone
from replylint.registry import CheckLoadError

CHECKS = load_thread_checks()
FOLDERS = thread_folders()
ISSUE_RULES = {"repeated-request", "request-rounds", "eta-missed", "no-daily-update", "stagnant-ticket",
               "left-behind", "cannot-reproduce-then-closed"}


def _cases():
    out = []
    for folder in FOLDERS:
        with (folder / "cases.toml").open("rb") as fh:
            for case in tomllib.load(fh).get("case", []):
                out.append(pytest.param(folder.name, case, id=f"{folder.name}:{case['name']}"))
    return out


def _messages(case, calendar):
    out = []
    for m in case.get("message", []):
        at = from_utc_text(m["at"])
        eta = tuple(m.get("eta", ()))
        out.append(ThreadMessage(
            id=m["id"], direction=m["from"], author=m.get("author"), at=at, status=m.get("status"),
            text=m.get("text", ""), kind=m.get("kind"), elements=m.get("elements", {}),
            requests=tuple(m.get("requests", ())), eta_phrases=eta,
            eta_deadline=eta_deadline(eta, at, calendar) if eta else None))
    return out


@pytest.mark.parametrize("rule_id,case", _cases())
def test_audit_threads_case(rule_id, case):
    calendar = BusinessCalendar(zone(case.get("timezone", "UTC")),
                                holidays=frozenset(date.fromisoformat(d) for d in case.get("holidays", [])))
    messages = _messages(case, calendar)
    as_of = from_utc_text(case["as_of"]) if "as_of" in case else max(m.at for m in messages)
    only = dataclasses.replace(CHECKS, rules={rule_id: CHECKS.rules[rule_id]})
    found = run_thread_rules("T-1", messages, only, {rule_id: case.get("options", {})}, calendar, as_of,
                             ("closed", "resolved", "solved"))
    assert [f.message_id for f in found] == case["expect"], [f.message for f in found]
    for f in found:
        assert "{" not in f.message, f"message placeholders left unfilled: {f.message}"


def test_audit_threads_issue_rules_all_present():
    assert ISSUE_RULES <= set(CHECKS.rules)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_audit_threads_rule_has_doc_and_cases(folder):
    spec = CHECKS.rules[folder.name]
    assert "## What it does" in spec.doc
    with (folder / "cases.toml").open("rb") as fh:
        cases = tomllib.load(fh)["case"]
    firing = [c for c in cases if c["expect"]]
    passing = [c for c in cases if not c["expect"]]
    assert len(firing) >= 2 and len(passing) >= 2, f"{folder.name}: need 2 firing and 2 passing cases"
    assert any(c.get("hard") for c in cases), f"{folder.name}: needs a hard case"


def _thread_folder(tmp_path: Path, toml: str, rule_py: str = "def check(ctx):\n    return ()\n") -> Path:
    folder = tmp_path / "threads" / "my-rule"
    folder.mkdir(parents=True)
    (folder / "thread.toml").write_text(toml)
    (folder / "rule.py").write_text(rule_py)
    return folder


GOOD = 'id = "my-rule"\nseverity = "warning"\nsummary = "s"\nmessage = "m {x}"\ndoc = "## What it does\\nx"\n'


@pytest.mark.parametrize("toml,key", [
    (GOOD.replace('"warning"', '"fatal"'), "severity"),
    (GOOD.replace('id = "my-rule"', 'id = "other-rule"'), "id"),
    (GOOD.replace("## What it does", "What"), "doc"),
    (GOOD.replace('summary = "s"\n', ""), "summary"),
    (GOOD + "sevrity = 'x'\n", "sevrity"),
    (GOOD + "options = 3\n", "options"),
])
def test_audit_threads_loader_names_file_and_key(tmp_path, toml, key):
    folder = _thread_folder(tmp_path, toml)
    with pytest.raises(CheckLoadError) as err:
        load_thread_rule(folder)
    assert "my-rule/thread.toml" in str(err.value) and f"'{key}'" in str(err.value)


def test_audit_threads_loader_needs_check_function(tmp_path):
    folder = _thread_folder(tmp_path, GOOD, "def other(ctx):\n    return ()\n")
    with pytest.raises(CheckLoadError) as err:
        load_thread_rule(folder)
    assert "rule.py" in str(err.value) and "check(ctx)" in str(err.value)


def test_audit_threads_extra_pack_adds_rule(tmp_path):
    _thread_folder(tmp_path / "pack", GOOD, "def check(ctx):\n    yield ctx.hit(ctx.messages[0], x='hello')\n")
    checks = load_thread_checks([tmp_path / "pack"])
    assert "my-rule" in checks.rules
    msg = ThreadMessage("m1", "agent", None, from_utc_text("2024-06-10T10:00:00Z"), None, "hi")
    found = run_thread_rules("T", [msg], checks, {}, BusinessCalendar(zone("UTC")), msg.at, ("closed",))
    assert ("my-rule", "m hello", "m1") in [(f.rule, f.message, f.message_id) for f in found]
