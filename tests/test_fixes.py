"""Fixes: suggestions from templates, `replylint fix`, `replylint new`, and the
properties issue 3 asks for, measured over the labelled corpus."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from replylint.cli import main
from replylint.config import Settings
from replylint.engine import Engine
from replylint.fixes import fix_source
from replylint.inputs import Source
from replylint.registry import bundled_dir

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\[\[FILL:([^\]]*)\]\]")


def corpus(fmt: str, limit: int = 80):
    path = ROOT / "corpus" / "train.jsonl"
    records = [json.loads(line) for line in path.open(encoding="utf-8")]
    return [r for r in records if r.get("format", "text") == fmt][:limit]


def fill(text: str) -> str:
    """What an engineer would type: the example where the placeholder gives one."""
    def value(m):
        hint = m.group(1)
        eg = re.search(r"e\.g\.\s*([^\]]+)$", hint)
        return eg.group(1).strip() if eg else "the gateway log on 4.2.0"
    return PLACEHOLDER.sub(value, text)


def fixed_rules(outcome) -> set[str]:
    return {e.rule for e in outcome.applied}


@pytest.mark.parametrize("record", corpus("text"), ids=lambda r: r["id"])
def test_fixes_properties_on_corpus(engine, record):
    source = Source(record["id"], record["text"], "text")
    outcome = fix_source(engine, source, unsafe=True)
    rules = fixed_rules(outcome) - {"unused-suppression"}
    after = {f.rule for f in outcome.remaining.findings}
    # 1. The rules that were fixed are gone; only placeholders are left to fill.
    assert not (rules & after), f"still reported after fixing: {rules & after}"
    # 2. Idempotent.
    again = fix_source(engine, Source(record["id"], outcome.text, "text"), unsafe=True)
    assert again.text == outcome.text
    # 3. Nothing the engineer wrote is lost outside the spans a fix replaced.
    lost = Counter(outcome_words(record["text"])) - Counter(outcome_words(outcome.text))
    replaced = Counter(w for e in outcome.applied for w in outcome_words(e.replaced))
    assert not (lost - replaced), f"lost words: {lost - replaced}"
    # 4. Filled in with plausible values, the reply passes those rules.
    if rules:
        filled = engine.check_text(fill(outcome.text))
        still = {f.rule for f in filled.findings} & (rules | {"unfilled-placeholder"})
        assert not still, f"after filling placeholders: {still}"


def outcome_words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@pytest.mark.parametrize("record", corpus("html", 12), ids=lambda r: r["id"])
def test_fixes_keep_html_valid(engine, record):
    from html.parser import HTMLParser

    outcome = fix_source(engine, Source(record["id"], record["text"], "html"), unsafe=True)
    tags_before = re.findall(r"<\s*([a-zA-Z0-9]+)", record["text"])
    tags_after = re.findall(r"<\s*([a-zA-Z0-9]+)", outcome.text)
    assert Counter(tags_before) - Counter(tags_after) == Counter()  # no markup removed
    HTMLParser().feed(outcome.text)
    for e in outcome.applied:
        assert "<script" not in e.text.lower()


def test_fixes_keep_crlf_and_markdown(engine):
    text = "Hi Ana,\r\n\r\nWe replayed it on 4.2.0 and it fails.\r\n\r\n```\r\nERROR soon\r\n```\r\n\r\nWe will share a patch soon.\r\n\r\nRegards,\r\nSam\r\n"
    outcome = fix_source(engine, Source("d.md", text, "markdown"), unsafe=True)
    assert outcome.text != text
    assert "\n" not in outcome.text.replace("\r\n", "")
    assert "```\r\nERROR soon\r\n```" in outcome.text


def test_fixes_every_template_renders_for_every_firing_case(engine):
    import tomllib

    for folder in sorted((bundled_dir("checks") / "rules").iterdir()):
        spec = engine.registry.rules[folder.name]
        if spec.fix is None:
            continue
        with (folder / "cases.toml").open("rb") as fh:
            cases = [c for c in tomllib.load(fh)["case"] if c["expect"]]
        for case in cases:
            result = engine.check_text(case["text"], fmt=case.get("format"))
            for f in (f for f in result.findings if f.rule == spec.id):
                assert f.suggestion, f"{spec.id}:{case['name']} has no suggestion"
    assert engine.fixer.problems == []


def test_fixes_suggestions_quote_the_reply(engine):
    text = "Hi Ana,\n\nWe could not reproduce this on APIM 4.2.0 in a distributed setup.\n\nThanks,\nSam\n"
    result = engine.check_text(text)
    finding = next(f for f in result.findings if f.rule == "cannot-reproduce")
    assert "4.2.0" in finding.suggestion and "distributed" in finding.suggestion and "APIM" in finding.suggestion
    scattered = engine.check_text("Hi Priya,\n\nCould you share the log?\n\nWe replayed it on 4.2.0 and it failed.\n\n"
                                  "Also, which JDK are you on?\n\nThanks,\nSam\n")
    gather = next(f for f in scattered.findings if f.rule == "scattered-requests").suggestion
    assert gather.startswith("Priya, to move forward") and "1. Could you share the log?" in gather
    vague = engine.check_text("We replayed it and it fails. We will share the patch shortly.")
    assert "shortly" in next(f for f in vague.findings if f.rule == "eta-vague").suggestion


def test_fixes_safe_only_by_default(engine):
    text = ("Could you share the gateway log so we can check whether the request arrives?\n\n"
            "We replayed your request on 4.2.0 and it worked on both nodes.\n\n"
            "Could you also send the JDK version, to compare TLS defaults?\n")
    safe = fix_source(engine, Source("d.txt", text), unsafe=False)
    assert {e.rule for e in safe.applied} == {"scattered-requests"}
    assert "[[FILL" not in safe.text
    assert "1. Could you share the gateway log" in safe.text and "2. Could you also send the JDK version" in safe.text


def test_fixes_org_templates_override_and_broken_template_is_reported(tmp_path):
    (tmp_path / "eta-vague.j2").write_text("by {{ data.phrase | upper }} [[FILL: date]]")
    (tmp_path / "unjustified-request.j2").write_text("line one\n{{ no_such_variable }}\n")
    engine = Engine(Settings(template_folders=(tmp_path,)))
    result = engine.check_text("Please share the gateway log. We will share the patch soon.")
    by_rule = {f.rule: f for f in result.findings}
    assert by_rule["eta-vague"].suggestion == "by SOON [[FILL: date]]"
    assert by_rule["unjustified-request"].suggestion is None
    problem = str(engine.fixer.problems[0])
    assert problem.startswith("unjustified-request.j2:2") and "no_such_variable" in problem


def test_fixes_templates_are_sandboxed(tmp_path):
    (tmp_path / "eta-vague.j2").write_text("{{ data.__class__.__mro__ }}")
    engine = Engine(Settings(template_folders=(tmp_path,)))
    result = engine.check_text("We replayed it and it fails. We will share the patch soon.")
    assert next(f for f in result.findings if f.rule == "eta-vague").suggestion is None
    assert "unsafe" in str(engine.fixer.problems[0]).lower() or "access" in str(engine.fixer.problems[0]).lower()


DRAFT = ("Hi Ana,\n\nCould you share the gateway log?\n\nWe replayed your request on 4.2.0; it failed on node 2.\n\n"
         "Also, which JDK do you run?\n\nWe will send a patch soon.\n\nRegards,\nSam\n")


def test_fixes_cli_print_diff_and_write(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    draft = tmp_path / "d.txt"
    draft.write_text(DRAFT)
    os.chmod(draft, 0o640)
    runner = CliRunner()
    printed = runner.invoke(main, ["fix", str(draft)])
    assert printed.exit_code == 0 and "1. Could you share the gateway log?" in printed.stdout
    diff = runner.invoke(main, ["fix", "--diff", "--unsafe-fixes", str(draft)])
    assert diff.exit_code == 1 and diff.stdout.startswith(f"--- {draft}") and "+We will send a patch by [[FILL:" in diff.stdout
    assert draft.read_text() == DRAFT  # --diff does not write
    written = runner.invoke(main, ["fix", "--write", str(draft)])
    assert written.exit_code == 0 and draft.read_text() != DRAFT
    assert oct(draft.stat().st_mode & 0o777) == "0o640"
    assert runner.invoke(main, ["fix", "--diff", str(draft)]).exit_code == 0  # nothing left to do
    assert [p.name for p in tmp_path.iterdir()] == ["d.txt"]


def test_fixes_write_is_atomic(tmp_path, monkeypatch):
    from replylint import cli

    draft = tmp_path / "d.txt"
    draft.write_text(DRAFT)

    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(cli.os, "replace", crash)
    with pytest.raises(OSError):
        cli.atomic_write(draft, "new text")
    assert draft.read_text() == DRAFT
    assert [p.name for p in tmp_path.iterdir()] == ["d.txt"]


def test_fixes_new_scaffolds_follow_the_protocol(engine):
    runner = CliRunner()
    listing = runner.invoke(main, ["new", "--list"]).stdout.split()
    assert listing == ["cannot-reproduce", "info-request", "resolution", "status-update"]
    for kind in listing:
        out = runner.invoke(main, ["new", kind, "--var", "product=APIM", "--var", "version=4.2.0", "--var", "customer=Ana"])
        assert out.exit_code == 0 and "APIM 4.2.0" in out.stdout and out.stdout.startswith("Hi Ana,")
        skeleton = engine.check_text(out.stdout)
        assert {f.rule for f in skeleton.findings if f.severity != "info"} == {"unfilled-placeholder"}, kind
        filled = engine.check_text(fill(out.stdout))
        assert not [f for f in filled.findings if f.severity != "info"], (kind, [f.rule for f in filled.findings])
    assert runner.invoke(main, ["new", "nonsense"]).exit_code == 2



OUTCOME = "What we found: [[FILL: what worked and what did not; what was found or ruled out]]."
ACTIONS = "What we did: we checked [[FILL: what we checked or tested, on which version and setup]]."
CHECKED = "We checked the logs and will get back to you tomorrow."
PLANNED = "Our team will check the gateway logs tomorrow and get back to you by 17:00 UTC."


# Each case: the draft split where the new paragraph belongs, and what goes there.
@pytest.mark.parametrize(("head", "inserted", "tail"), [
    (f"<html><body>\n<p>Hi Ana,</p>\n<p>{CHECKED}</p>", f"\n<p>{OUTCOME}</p>",
     "\n<p>Kind regards,<br>Sam</p>\n</body></html>\n"),
    (f'<div dir="ltr">Hi Ana,<br><br>{CHECKED}', f"<br><br>{OUTCOME}", "<br><br>Kind regards,<br>Sam</div>\n"),
    (f'<div dir="ltr"><div>Hi Ana,</div><div><br></div><div>{CHECKED}</div>', f"<p>{OUTCOME}</p>",
     "<div><br></div><div>Kind regards,<br>Sam</div></div>\n"),
    (f"<html><body>\n<div>Hi Ana,</div>\n<div>{CHECKED}</div>", f"\n<p>{OUTCOME}</p>",
     '\n<div class="gmail_quote">On Mon, Ana wrote:<br>Please check ASAP.</div>\n</body></html>\n'),
    ("<html><body>\n<p>Hi Ana,</p>", f"\n<p>{ACTIONS}</p>", f"\n<p>{PLANNED}</p>\n<p>Regards,<br>Sam</p>\n</body></html>\n"),
    ('<div dir="ltr">Hi Ana,', f"<br><br>{ACTIONS}", f"<br><br>{PLANNED}<br><br>Regards,<br>Sam</div>\n"),
    (f"<table><tr><td>Hi Ana,</td></tr><tr><td>{CHECKED}", f"<br><br>{OUTCOME}",
     "</td></tr><tr><td>Kind regards,<br>Sam</td></tr></table>\n"),
], ids=["outcome-paragraphs", "outcome-gmail-br", "outcome-gmail-divs", "outcome-gmail-quote",
        "actions-paragraphs", "actions-gmail-br", "outcome-table-rows"])
def test_fixes_html_section_goes_in_the_body_once(engine, head, inserted, tail):
    outcome = fix_source(engine, Source("d.html", head + tail, "html"), unsafe=True)
    assert outcome.text == head + inserted + tail
    assert not {e.rule for e in outcome.applied} & {f.rule for f in outcome.remaining.findings}
    again = fix_source(engine, Source("d.html", outcome.text, "html"), unsafe=True)
    assert again.text == outcome.text


def test_fixes_keep_crlf_in_inserted_lines(tmp_path):
    sample = (ROOT / "corpus" / "samples" / "status-update.txt").read_text(encoding="utf-8")
    draft = tmp_path / "crlf.txt"
    draft.write_bytes(sample.replace("\n", "\r\n").encode())
    runner = CliRunner()
    assert runner.invoke(main, ["fix", "--write", "--unsafe-fixes", str(draft)]).exit_code == 0
    fixed = draft.read_bytes()
    assert b"1. Could you share the carbon log" in fixed
    assert b"\n" not in fixed.replace(b"\r\n", b"")  # no bare LF among the inserted lines
    runner.invoke(main, ["fix", "--write", "--unsafe-fixes", str(draft)])
    assert draft.read_bytes() == fixed
