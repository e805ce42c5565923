"""The command line as a user meets it: outputs, exit codes, config, suppression."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from replylint.cli import main

BAD = "We could not reproduce this.\n"
VAGUE = "We replayed your request on 4.2.0 and it failed on node 2. We will share a patch soon.\n"
CLEAN = "Fixed in #4412 and released in 2.8.1.\n"


@pytest.fixture()
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_cli_text_output_is_ruff_style(run, tmp_path):
    draft = write(tmp_path / "draft.txt", BAD)
    result = run("check", draft)
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith(f"{draft}:1:1: cannot-reproduce [error] ")
    # The summary line names the kind (whichever the model picks for a bare
    # one-liner; kinds are measured on the corpus) and the score.
    assert re.search(rf"^{re.escape(draft)}: (resolution|info-request|status-update|other), score \d+/100$",
                     result.output, re.MULTILINE)
    assert "lacks:" in result.output
    assert "\x1b[" not in result.output  # piped: no colour


def test_cli_colour_can_be_forced(run, tmp_path):
    result = run("check", "--color", write(tmp_path / "d.txt", BAD))
    assert "\x1b[" in result.output


def test_cli_exit_codes(run, tmp_path):
    clean, vague = write(tmp_path / "c.txt", CLEAN), write(tmp_path / "v.txt", VAGUE)
    assert run("check", clean).exit_code == 0
    assert run("check", vague).exit_code == 1
    assert run("check", "--fail-level", "error", vague).exit_code == 0
    assert run("check", "--exit-zero", vague).exit_code == 0
    assert run("check", "--min-score", "100", "--fail-level", "error", vague).exit_code == 1
    assert run("check", "--format", "yaml", clean).exit_code == 2


def test_cli_json_single_and_many_in_order_with_errors(run, tmp_path):
    a, b = write(tmp_path / "a.txt", BAD), write(tmp_path / "b.txt", CLEAN)
    single = json.loads(run("check", "--format", "json", a).output)
    assert single["source"] == a and single["elements"]["cannot_reproduce"] is True
    result = run("check", "--format", "json", b, str(tmp_path / "missing.txt"), a)
    many = json.loads(result.output)
    assert [m["source"] for m in many] == [b, str(tmp_path / "missing.txt"), a]
    assert "error" in many[1] and "kind" in many[2]
    assert result.exit_code == 2


def test_cli_jsonl_github_and_sarif(run, tmp_path):
    a = write(tmp_path / "a.txt", VAGUE)
    lines = run("check", "-f", "jsonl", a, a).output.strip().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["source"] == a
    gh = run("check", "-f", "github", a).output
    assert f"::warning file={a},line=1,col=" in gh and "title=eta-vague::" in gh
    sarif = json.loads(run("check", "-f", "sarif", a).output)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["columnKind"] == "unicodeCodePoints"
    res = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "eta-vague" and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 1 for r in res)
    ids = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in res} <= ids


def test_cli_stdin_and_stdin_filename_config(run, tmp_path):
    (tmp_path / "team").mkdir()
    write(tmp_path / "team" / ".replylint.toml", 'ignore = ["cannot-reproduce"]\n')
    plain = run("check", "-f", "json", "-", input=BAD)
    assert json.loads(plain.output)["source"] == "-"
    named = run("check", "-f", "json", "--stdin-filename", str(tmp_path / "team" / "draft.txt"), "-", input=BAD)
    data = json.loads(named.output)
    assert data["source"].endswith("draft.txt") and all(f["rule"] != "cannot-reproduce" for f in data["findings"])


def test_cli_globs(run, tmp_path):
    for name in ("a.txt", "b.txt"):
        write(tmp_path / name, CLEAN)
    out = json.loads(run("check", "-f", "json", str(tmp_path / "*.txt")).output)
    assert [Path(o["source"]).name for o in out] == ["a.txt", "b.txt"]
    assert run("check", str(tmp_path / "*.nothing")).exit_code == 2


def test_cli_config_pyproject_found_upward(run, tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.replylint]\nignore = ["eta-vague"]\n[tool.replylint.severity]\nmissing-actions = "error"\n')
    (tmp_path / "drafts" / "deep").mkdir(parents=True)
    draft = write(tmp_path / "drafts" / "deep" / "d.txt", "We will share a patch soon.\n")
    out = json.loads(run("check", "-f", "json", draft).output)
    rules = {f["rule"]: f["severity"] for f in out["findings"]}
    assert "eta-vague" not in rules and rules.get("missing-actions") == "error"


def test_cli_config_errors_name_file_and_key(run, tmp_path):
    cfg = write(tmp_path / ".replylint.toml", "fail-level = 'fatal'\n")
    result = run("check", "--config", cfg, write(tmp_path / "d.txt", CLEAN))
    assert result.exit_code == 2 and ".replylint.toml" in result.output and "fail-level" in result.output
    write(tmp_path / ".replylint.toml", '[rules.readability]\nmax-sentence-wordz = 3\n')
    result = run("check", "--config", cfg, str(tmp_path / "d.txt"))
    assert "rules.readability.max-sentence-wordz" in result.output and result.exit_code == 2
    write(tmp_path / ".replylint.toml", 'ignore = ["no-such-rule"]\n')
    assert "no-such-rule" in run("check", "--config", cfg, str(tmp_path / "d.txt")).output


def test_cli_config_rule_options_and_lexicons(run, tmp_path):
    cfg = write(tmp_path / ".replylint.toml",
                '[rules.readability]\nmax-sentence-words = 5\n[lexicons]\nsetup_term = ["acmegw"]\n')
    draft = write(tmp_path / "d.txt", "We could not reproduce it with acmegw in our lab, sorry about that today.\n")
    out = json.loads(run("check", "-f", "json", "--config", cfg, draft).output)
    assert any(f["rule"] == "readability" for f in out["findings"])
    assert out["elements"]["setup_stated"] is True


def test_cli_suppression_ignore_disable_and_unused(run, tmp_path):
    text = ("<!-- replylint: ignore[eta-vague] customer asked for no dates -->\n"
            "We replayed it on 4.2.0 and it fails. We will share a patch soon.\n\n"
            "<!-- replylint: ignore[bounce-back] nothing to suppress -->\nFixed.\n")
    out = json.loads(run("check", "-f", "json", write(tmp_path / "d.md", text)).output)
    rules = [(f["rule"], f["line"]) for f in out["findings"]]
    assert ("eta-vague", 2) not in rules
    assert ("unused-suppression", 4) in rules


def test_cli_rules_and_explain(run, tmp_path):
    listing = run("rules").output
    assert "missing-eta" in listing and "warning" in listing
    doc = run("explain", "cannot-reproduce").output
    assert "## What it does" in doc and "setup" in doc
    assert "status-update" in run("explain", "kind").output
    assert run("explain", "nope").exit_code == 2
    shown = run("explain", "--reply", write(tmp_path / "d.txt", "Hi,\n\nWe could not reproduce this.\n\n> customer text\n")).output
    assert "cannot_reproduce" in shown and "quote" in shown and "greeting" in shown


def test_cli_eval_reports_per_element(run, tmp_path):
    labelled = tmp_path / "l.jsonl"
    labelled.write_text(json.dumps({"id": "x", "text": BAD, "kind": "resolution",
                                    "elements": {"cannot_reproduce": True, "setup_stated": False}}) + "\n")
    out = run("eval", str(labelled)).output
    assert "cannot_reproduce" in out and "macro-F1" in out
    labelled.write_text("{not json\n")
    result = run("eval", str(labelled))
    assert result.exit_code == 2 and "l.jsonl:1" in result.output


def test_cli_real_process_exit_codes_and_stdin(tmp_path):
    exe = [sys.executable, "-m", "replylint"]
    proc = subprocess.run([*exe, "check", "-"], input=BAD, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 1 and "-:1:1: cannot-reproduce" in proc.stdout
    proc = subprocess.run([*exe, "check", str(tmp_path)], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "is a directory" in proc.stdout and "Traceback" not in proc.stderr


def test_cli_config_shared_with_audit_table(run, tmp_path):
    cfg = write(tmp_path / ".replylint.toml", 'ignore = ["eta-vague"]\n[audit]\ntimezone = "UTC"\n')
    result = run("check", "-f", "json", "--config", cfg, write(tmp_path / "d.txt", VAGUE))
    assert result.exit_code in (0, 1) and all(f["rule"] != "eta-vague" for f in json.loads(result.output)["findings"])


def test_cli_select_and_ignore_name_unknown_rules(run, tmp_path):
    """A typo in --select would otherwise select nothing and pass every reply."""
    draft = write(tmp_path / "d.txt", VAGUE)
    for option in ("--select", "--ignore"):
        result = run("check", option, "eta-vauge", draft)
        assert result.exit_code == 2 and "unknown rule 'eta-vauge'" in result.output
    assert run("check", "--select", "eta-vague", draft).exit_code == 1
    assert run("check", "--ignore", "ALL", draft).exit_code == 0


def test_cli_suppression_of_an_unknown_rule_says_so(run, tmp_path):
    text = "<!-- replylint: ignore[eta-vauge] customer asked for no dates -->\n" + VAGUE
    out = json.loads(run("check", "-f", "json", write(tmp_path / "d.md", text)).output)
    unused = [f["message"] for f in out["findings"] if f["rule"] == "unused-suppression"]
    assert unused and "'eta-vauge' is not a rule id" in unused[0]
    assert any(f["rule"] == "eta-vague" for f in out["findings"])


def test_cli_config_mistakes_are_named_with_their_line(run, tmp_path):
    """A wrong type, a missing templates folder or another tool's table must not
    pass unnoticed, and the message names the file, the line and the key."""
    draft = write(tmp_path / "d.txt", CLEAN)
    cfg = tmp_path / ".replylint.toml"
    cases = [
        ("# team config\n\nmin-score = true\n", ".replylint.toml:3: key 'min-score'"),
        ('templates = ["our-templates"]\n', "key 'templates': "),
        ('select = ["ALL"]\n\n[rules.readability]\nmax-sentence-wordz = 3\n',
         ".replylint.toml:4: key 'rules.readability.max-sentence-wordz'"),
        ('ignore = ["eta-vague"]\n[tool.black]\nline-length = 80\n', ".replylint.toml:2: key 'tool': unknown key"),
        ("[tool.black]\nline-length = 80\n", "holds only other tools' tables ([tool.black])"),
    ]
    for text, expected in cases:
        cfg.write_text(text)
        result = run("check", draft)
        assert result.exit_code == 2 and expected in result.output, (text, result.output)
    (tmp_path / "our-templates").mkdir()
    cfg.write_text('templates = ["our-templates"]\n')
    assert run("check", draft).exit_code == 0


def test_cli_sarif_locations_are_uris(run, tmp_path):
    """Code-scanning viewers resolve artifactLocation.uri as a URI: a comma, a
    space or a percent sign in a file name must be encoded."""
    (tmp_path / "drafts").mkdir()
    write(tmp_path / "drafts" / "a,b 100%.txt", VAGUE)
    absolute = write(tmp_path / "c.txt", VAGUE)
    sarif = json.loads(run("check", "-f", "sarif", "drafts/a,b 100%.txt", absolute).output)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert "drafts/a%2Cb%20100%25.txt" in uris
    assert Path(tmp_path / "c.txt").as_uri() in uris


def test_cli_min_score_says_why_the_exit_is_one(run, tmp_path):
    draft = write(tmp_path / "d.txt", VAGUE)
    result = run("check", "-q", "--fail-level", "error", "--min-score", "99", draft)
    assert result.exit_code == 1 and "is below the minimum of 99" in result.output


def test_cli_fix_refuses_eml_with_a_failing_exit(run, tmp_path):
    mail = write(tmp_path / "r.eml", "From: a@example.com\nTo: b@example.com\nSubject: re\n\n" + VAGUE)
    result = run("fix", "--write", mail)
    assert result.exit_code == 2 and ".eml files are not rewritten" in result.output
    assert Path(mail).read_text().endswith(VAGUE)


def test_cli_empty_file_is_an_error_but_an_empty_buffer_passes(run, tmp_path):
    empty = write(tmp_path / "draft.txt", "\n  \n")
    result = run("check", empty)
    assert result.exit_code == 2 and "is empty; there is no reply to check" in result.output
    assert run("check", "--stdin-filename", "draft.md", "-", input="").exit_code == 0
