"""Runs every case in checks/**/cases.toml: element cases assert the element's
value; rule cases assert the rule's findings, line and column (and severity
where given). One runner for all checks, as sqlfluff does with its YAML cases.

Element cases test the detectors: the trained reply model, which may overrule
a detector on a whole reply, is measured on the corpus instead
(test_kind_model.py). A rule case may pin the reply's kind (``kind =
"status-update"``): the rule is then tested on its own, whatever the trained
kind model makes of a two-line example (the model is tested in test_kind.py and
test_kind_model.py)."""

from __future__ import annotations

import tomllib

import pytest

from replylint.registry import bundled_dir

CHECKS = bundled_dir("checks")


def _cases(kind: str):
    out = []
    for path in sorted((CHECKS / kind).glob("*/cases.toml")):
        with path.open("rb") as fh:
            for case in tomllib.load(fh).get("case", []):
                out.append(pytest.param(path.parent.name, case, id=f"{path.parent.name}:{case['name']}"))
    return out


@pytest.fixture(scope="session")
def detectors_only(engine_judging):
    """The engine with the kind model kept but no element revised by the reply model."""
    return engine_judging()


@pytest.mark.parametrize("key,case", _cases("elements"))
def test_cases_element_value(detectors_only, key, case):
    result = detectors_only.check_text(case["text"], name=case["name"], fmt=case.get("format"))
    expected = None if case["expect"] == "null" else case["expect"]
    assert result.elements[key] == expected, _explain(result)


@pytest.fixture(scope="session")
def engine_of_kind(engine_judging):
    """An engine that takes every reply to be of one kind, built once per kind."""
    engines = {}

    def get(kind):
        if kind not in engines:
            engines[kind] = engine_judging(kind=kind)
        return engines[kind]

    return get


@pytest.mark.parametrize("rule_id,case", _cases("rules"))
def test_cases_rule_findings(engine, engine_of_kind, rule_id, case):
    checker = engine_of_kind(case["kind"]) if "kind" in case else engine
    result = checker.check_text(case["text"], name=case["name"], fmt=case.get("format"))
    got = [f for f in result.findings if f.rule == rule_id]
    want = case["expect"]
    assert [(f.line, f.column) for f in got] == [(w["line"], w["column"]) for w in want], _explain(result)
    for f, w in zip(got, want):
        if "severity" in w:
            assert f.severity == w["severity"]



def _applies_when(rule_id: str) -> str | None:
    with (CHECKS / "rules" / rule_id / "rule.toml").open("rb") as fh:
        return tomllib.load(fh).get("applies-when")


@pytest.mark.parametrize("rule_id,case", [p for p in _cases("rules") if p.values[1]["expect"] and _applies_when(p.values[0])])
def test_cases_rule_fires_only_where_its_applies_when_element_is(engine, engine_of_kind, rule_id, case):
    """A rule's `applies-when` (the audit's compliance counts the replies it
    looks at by it) must hold wherever the rule fires."""
    spec = engine.registry.rules[rule_id]
    checker = engine_of_kind(case["kind"]) if "kind" in case else engine
    result = checker.check_text(case["text"], name=case["name"], fmt=case.get("format"))
    if any(f.rule == rule_id for f in result.findings):
        assert result.elements[spec.applies_when], _explain(result)

def _explain(result) -> str:
    from replylint.cli import explain_reply

    return "\n" + explain_reply(result)
