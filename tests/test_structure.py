"""Structural rules every check must follow (DESIGN-NOTES habits 2 and 6)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from replylint.registry import CheckLoadError, bundled_dir, load

CHECKS = bundled_dir("checks")


def _load_cases(folder: Path) -> list[dict]:
    path = folder / "cases.toml"
    assert path.is_file(), f"{folder.name} has no cases.toml"
    with path.open("rb") as fh:
        return tomllib.load(fh).get("case", [])


@pytest.mark.parametrize("folder", sorted(p for p in (CHECKS / "elements").iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_structure_element_has_doc_and_cases(folder, registry):
    spec = next(e for e in registry.elements if e.key == folder.name)
    assert len(spec.doc.strip()) > 80, "element doc is too thin"
    cases = _load_cases(folder)
    firing = [c for c in cases if c["expect"] is True]
    passing = [c for c in cases if c["expect"] is False]
    assert len(firing) >= 2 and len(passing) >= 2, f"{folder.name}: need 2 firing and 2 passing cases"
    assert any(c.get("hard") for c in cases), f"{folder.name}: needs a hard case"


@pytest.mark.parametrize("folder", sorted(p for p in (CHECKS / "rules").iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_structure_rule_has_doc_and_cases(folder, registry):
    spec = registry.rules[folder.name]
    assert "## What it does" in spec.doc or "## How" in spec.doc, "rule doc needs a 'What it does' heading"
    cases = _load_cases(folder)
    firing = [c for c in cases if c["expect"]]
    passing = [c for c in cases if not c["expect"]]
    assert len(firing) >= 2 and len(passing) >= 2, f"{folder.name}: need 2 firing and 2 passing cases"
    assert any(c.get("hard") for c in cases), f"{folder.name}: needs a hard case"


def test_structure_protocol_rules_all_present(registry):
    protocol = {"missing-actions", "missing-outcome", "missing-next-steps", "missing-eta", "eta-vague",
                "unjustified-request", "scattered-requests", "cannot-reproduce", "bounce-back",
                "unstated-assumption", "readability"}
    assert protocol <= set(registry.rules)


def test_structure_registry_is_immutable(registry):
    with pytest.raises(TypeError):
        registry.rules["x"] = None  # type: ignore[index]


def _pack(tmp_path: Path, rule_toml: str, rule_py: str = "def check(ctx):\n    return ()\n", rule_id: str = "my-rule") -> Path:
    folder = tmp_path / "pack" / "rules" / rule_id
    folder.mkdir(parents=True)
    (folder / "rule.toml").write_text(rule_toml)
    (folder / "rule.py").write_text(rule_py)
    return tmp_path / "pack"


def test_structure_bad_rule_spec_names_file_and_key(tmp_path):
    pack = _pack(tmp_path, 'id = "my-rule"\nseverity = "fatal"\nsummary = "s"\nmessage = "m"\ndoc = "d"\n')
    with pytest.raises(CheckLoadError) as err:
        load([pack])
    assert "my-rule/rule.toml" in str(err.value) and "severity" in str(err.value)



def test_structure_rule_element_must_name_an_element(tmp_path):
    """A rule's `element` (what the audit's compliance per element reads) that
    names no element is a load error naming the file, not a silent gap."""
    pack = _pack(tmp_path, 'id = "my-rule"\nseverity = "warning"\nsummary = "s"\nelement = "etaa"\nmessage = "m"\ndoc = "d"\n')
    with pytest.raises(CheckLoadError) as err:
        load([pack])
    assert "my-rule/rule.toml" in str(err.value) and "'etaa'" in str(err.value) and "eta" in str(err.value)


def test_structure_every_element_rule_names_its_element():
    """The protocol's element rules each declare the element they enforce."""
    rules = load().rules
    assert {rid: rules[rid].element for rid in ("missing-eta", "eta-vague", "bounce-back", "cannot-reproduce")} == {
        "missing-eta": "eta", "eta-vague": "eta", "bounce-back": "bounce_back", "cannot-reproduce": "setup_stated"}

def test_structure_bad_regex_names_pattern(tmp_path):
    folder = tmp_path / "pack" / "elements" / "my_element"
    folder.mkdir(parents=True)
    (folder / "element.toml").write_text(
        'key = "my_element"\nsummary = "s"\ndoc = "d"\n[[pattern]]\nid = "broken"\nlabel = "x"\nregex = "(unclosed"\n')
    (folder / "detect.py").write_text("def detect(ctx):\n    return False\n")
    with pytest.raises(CheckLoadError) as err:
        load([tmp_path / "pack"])
    assert "pattern 'broken'" in str(err.value) and "element.toml" in str(err.value)


def test_structure_extra_pack_adds_rule(tmp_path):
    from replylint.config import Settings
    from replylint.engine import Engine

    pack = _pack(
        tmp_path,
        'id = "no-wum"\nseverity = "error"\nsummary = "Mentions WUM."\n'
        'message = "Say update level, not WUM."\ndoc = "## What it does\\nx"\n',
        "def check(ctx):\n    for s in ctx.sentences:\n        if 'WUM' in s.text:\n            yield ctx.hit(s)\n",
        rule_id="no-wum",
    )
    custom = Engine(Settings(check_folders=(pack,)))
    result = custom.check_text("Hi,\n\nWe applied the WUM update and it worked.")
    assert [(f.rule, f.line) for f in result.findings if f.rule == "no-wum"] == [("no-wum", 3)]


def test_structure_pipeline_has_our_components_and_no_model(engine):
    assert engine.nlp.pipe_names == ["replylint_sentences", "replylint_lemmas", "replylint_signals"]
    doc = engine.nlp("We tested it and the teams were reproducing it.\n\n1. first item\n2. second item")
    assert [t.lemma_ for t in doc if t.text in ("tested", "teams", "reproducing")] == ["test", "team", "reproduce"]
    assert [s.text.strip() for s in doc.sents] == ["We tested it and the teams were reproducing it.", "1. first item", "2. second item"]


def test_structure_all_three_pattern_kinds_are_used(registry):
    kinds = {p.kind for p in registry.patterns}
    assert kinds == {"regex", "phrases", "tokens"}
