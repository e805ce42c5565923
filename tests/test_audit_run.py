"""`replylint audit run` / `audit report` end to end: inputs with a field
mapping, broken rows reported, customer messages not scored, SQLite storage,
re-audit of only what changed, reports rebuilt without re-checking."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from replylint.cli import main

MAP = "text=body,agent=author,ticket=ticket_id,created_at=created,id=message_id,direction=from_role,status=state"

ROWS = [
    {"message_id": "c1", "ticket_id": "T1", "author": "Rahul", "from_role": "customer", "created": "2024-06-10T09:00:00Z",
     "body": "The token API returns 400. Logs attached.", "state": "open"},
    {"message_id": "a1", "ticket_id": "T1", "author": "Sam", "from_role": "agent", "created": "2024-06-10T11:00:00Z",
     "body": "Hi Rahul,\n\nWe could not reproduce this on our side. Please check at your end and let us know.\n\nRegards,\nSam",
     "state": "open"},
    {"message_id": "c2", "ticket_id": "T1", "author": "Rahul", "from_role": "customer", "created": "2024-06-11T09:00:00Z",
     "body": "It still fails for us.", "state": "open"},
    {"message_id": "a2", "ticket_id": "T1", "author": "Sam", "from_role": "agent", "created": "2024-06-11T10:00:00Z",
     "body": "We could not reproduce it on 4.2.0 either, closing this ticket.", "state": "closed"},
    {"message_id": "a3", "ticket_id": "T2", "author": "Priya", "from_role": "agent", "created": "2024-06-12T10:00:00Z",
     "body": "Hi Anna,\n\nWe set up a two-node cluster on 4.2.0 with update level 45 and replayed your request. "
             "The token refresh succeeded on both nodes. Next, we will test the same flow with your keystore "
             "and update you by Friday 17:00 UTC.\n\nRegards,\nPriya", "state": "open"},
]
BROKEN = [
    '{"message_id": "x1", "ticket_id": "T3", "body": "unterminated',  # not JSON
    json.dumps({"message_id": "x2", "ticket_id": "T3", "from_role": "robot", "created": "2024-06-12T10:00:00Z", "body": "hi"}),
    json.dumps({"message_id": "x3", "ticket_id": "T3", "from_role": "agent", "created": "yesterday-ish", "body": "hi"}),
    json.dumps({"message_id": "x4", "ticket_id": "T3", "from_role": "agent", "created": "2024-06-12T10:00:00Z"}),
    json.dumps(["not", "an", "object"]),
]


def write_jsonl(path: Path, rows, extra_lines=()) -> Path:
    path.write_text("\n".join([json.dumps(r) for r in rows] + list(extra_lines)) + "\n", encoding="utf-8")
    return path


def audit(tmp_path: Path, *args: str, ok: bool = True):
    result = CliRunner(mix_stderr=False).invoke(main, ["audit", *args], catch_exceptions=False) \
        if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else CliRunner().invoke(main, ["audit", *args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, (result.output, getattr(result, "stderr", ""))
    return result


def db_rows(db: Path, sql: str):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture()
def export(tmp_path):
    return write_jsonl(tmp_path / "export.jsonl", ROWS, BROKEN)


def test_audit_run_scores_agent_replies_only_and_reports_broken_rows(tmp_path, export):
    db = tmp_path / "audit.db"
    result = audit(tmp_path, "run", str(export), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress")
    assert sorted(r[0] for r in db_rows(db, "SELECT id FROM results")) == ["a1", "a2", "a3"]
    assert db_rows(db, "SELECT COUNT(*) FROM messages WHERE direction = 'customer'") == [(2,)]
    problems = db_rows(db, "SELECT file, line, why FROM problems ORDER BY line")
    assert [p[1] for p in problems] == [6, 7, 8, 9, 10]
    assert all(p[0] == str(export) for p in problems)
    whys = " | ".join(p[2] for p in problems)
    for expected in ("not valid JSON", "'robot'", "cannot read the timestamp", "no 'body' field", "not an object"):
        assert expected in whys
    stderr = getattr(result, "stderr", result.output)
    assert "5 rows/files skipped" in stderr and f"{export}:6" in stderr
    # The summary counts what was skipped; nothing silently dropped.
    assert "Rows/files skipped" in result.stdout


def test_audit_run_thread_findings_per_ticket(tmp_path, export):
    db = tmp_path / "audit.db"
    audit(tmp_path, "run", str(export), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress", "-q")
    found = db_rows(db, "SELECT ticket, rule, message_id FROM thread_findings ORDER BY ticket, rule")
    assert ("T1", "cannot-reproduce-then-closed", "a2") in found
    assert not [f for f in found if f[0] == "T1" and f[1] == "left-behind"]  # T1 is closed


def test_audit_run_json_stdout_is_clean(tmp_path, export):
    db = tmp_path / "audit.db"
    result = audit(tmp_path, "run", str(export), "--db", str(db), "--map", MAP, "-j", "1", "--format", "json")
    data = json.loads(result.stdout)  # the progress bar went to stderr
    assert data["summary"]["replies"] == 3 and data["summary"]["skipped"] == 5
    assert "cannot-reproduce-then-closed" in data["vocabulary"]["thread_rules"]
    assert "missing-eta" in data["vocabulary"]["reply_rules"]


def test_audit_rerun_checks_only_new_or_changed_replies(tmp_path):
    db = tmp_path / "audit.db"
    export = write_jsonl(tmp_path / "e.jsonl", ROWS)
    audit(tmp_path, "run", str(export), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress", "-q")
    first = dict(db_rows(db, "SELECT id, checked_at || run_id FROM results"))
    changed = [dict(r) for r in ROWS]
    changed[4]["body"] = "We will look into it and get back to you soon."
    changed.append({"message_id": "a9", "ticket_id": "T9", "author": "Omar", "from_role": "agent",
                    "created": "2024-06-13T10:00:00Z", "body": "Could you share the carbon log?", "state": "open"})
    write_jsonl(export, changed)
    audit(tmp_path, "run", str(export), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress", "-q")
    run = db_rows(db, "SELECT checked, unchanged FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert run == (2, 2)  # a3 changed, a9 new; a1 and a2 skipped
    second = dict(db_rows(db, "SELECT id, checked_at || run_id FROM results"))
    assert {k for k in first if first[k] == second[k]} == {"a1", "a2"}
    assert db_rows(db, "SELECT COUNT(*) FROM results") == [(4,)]  # one row per reply, none twice
    # A different rule set re-checks everything.
    audit(tmp_path, "run", str(export), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress", "-q",
          "--ignore", "readability")
    assert db_rows(db, "SELECT checked, unchanged FROM runs ORDER BY id DESC LIMIT 1")[0] == (4, 0)


def test_audit_report_rebuilds_without_checking(tmp_path, export):
    db = tmp_path / "audit.db"
    audit(tmp_path, "run", str(export), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress", "-q")
    before = db_rows(db, "SELECT id, checked_at, run_id FROM results ORDER BY id")
    runs = db_rows(db, "SELECT COUNT(*) FROM runs")
    out = tmp_path / "out"
    result = audit(tmp_path, "report", "--db", str(db), "--out", str(out / "r.json"), "--out", str(out / "r.csv"),
                   "--out", str(out / "r.html"))
    assert db_rows(db, "SELECT id, checked_at, run_id FROM results ORDER BY id") == before
    assert db_rows(db, "SELECT COUNT(*) FROM runs") == runs
    report = json.loads((out / "r.json").read_text())
    assert [r["id"] for r in report["replies"]] == ["a1", "a2", "a3"]
    assert set(report["replies"][0]) >= {"source", "kind", "score", "elements", "findings"}
    assert report["threads"] and report["threads"][0]["findings"][0]["rule"]
    assert "Compliance per protocol element" in result.stdout


def test_audit_report_without_database_is_an_error(tmp_path):
    result = audit(tmp_path, "report", "--db", str(tmp_path / "none.db"), ok=False)
    assert result.exit_code == 2


def test_audit_csv_input_with_mapping_and_bad_rows(tmp_path):
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["message_id", "ticket_id", "author", "from_role", "created", "body", "state"])
        for r in ROWS[:3]:
            w.writerow([r["message_id"], r["ticket_id"], r["author"], r["from_role"], r["created"], r["body"], r["state"]])
        w.writerow(["bad", "T1", "Sam"])  # too few fields
    db = tmp_path / "audit.db"
    audit(tmp_path, "run", str(path), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress", "-q")
    assert db_rows(db, "SELECT id FROM results") == [("a1",)]
    # the multi-line quoted body of a1 spans lines 3-8, so the bad row starts on line 10
    assert db_rows(db, "SELECT line, why FROM problems") == [(10, "has 3 fields, the header has 7")]


def test_audit_folder_and_mbox_inputs(tmp_path):
    folder = tmp_path / "replies"
    (folder / "T7").mkdir(parents=True)
    (folder / "T7" / "1.txt").write_text("We reproduced the crash on 5.4.0. We will test the patch and update you.")
    (folder / "T7" / "2.md").write_text("**Update:** we fixed it in update 46.")
    (folder / "3.html").write_text("<p>Please check at your end.</p>")
    (folder / "notes.pdf").write_bytes(b"%PDF")
    (folder / "4.eml").write_text("From: sam@support.example.com\nTo: a@b.c\nSubject: Re: x\nMessage-ID: <m4@x>\n"
                                  "Date: Mon, 10 Jun 2024 10:00:00 +0000\n\nWe restarted the node and the error is gone.\n")
    mbox = tmp_path / "thread.mbox"
    mbox.write_text(
        "From a@customer.com Mon Jun 10 09:00:00 2024\nFrom: Anna <anna@customer.com>\nMessage-ID: <q1@c>\n"
        "Date: Mon, 10 Jun 2024 09:00:00 +0000\nSubject: login fails\n\nLogin fails since the upgrade.\n\n"
        "From s@support.example.com Mon Jun 10 11:00:00 2024\nFrom: Sam <sam@support.example.com>\nMessage-ID: <r1@s>\n"
        "In-Reply-To: <q1@c>\nReferences: <q1@c>\nDate: Mon, 10 Jun 2024 11:00:00 +0000\nSubject: Re: login fails\n\n"
        "We checked the logs and found an expired certificate. We will renew it by tomorrow 12:00 UTC.\n\n"
        "From s@support.example.com Mon Jun 10 12:00:00 2024\nFrom: Sam <sam@support.example.com>\nMessage-ID: <r2@s>\n"
        "Date: not a date at all\n\nbody\n")
    db = tmp_path / "audit.db"
    audit(tmp_path, "run", str(folder), str(mbox), "--db", str(db), "-j", "1", "--no-progress", "-q",
          "--agent-domain", "support.example.com")
    # A file's id is its absolute path (unique per input); a mail's is its Message-ID.
    ids = sorted(r[0] for r in db_rows(db, "SELECT id FROM results"))
    assert ids == sorted(["<m4@x>", "<r1@s>", *(str((folder / f).resolve()) for f in ("3.html", "T7/1.txt", "T7/2.md"))])
    assert db_rows(db, "SELECT ticket, direction FROM messages WHERE id = '<q1@c>'") == [("<q1@c>", "customer")]
    assert db_rows(db, "SELECT ticket FROM messages WHERE id = '<r1@s>'") == [("<q1@c>",)]
    assert db_rows(db, f"SELECT ticket FROM messages WHERE id = '{(folder / 'T7/1.txt').resolve()}'") == [("T7",)]
    problems = db_rows(db, "SELECT file, line, why FROM problems ORDER BY file")
    assert (str(folder / "notes.pdf"), None, "skipped: not a reply file (.txt, .md, .html or .eml)") in problems
    assert any(p[0] == str(mbox) and p[1] == 19 and "Date header" in p[2] for p in problems)


def test_audit_an_id_again_is_one_message_and_with_another_text_the_later_replaces_it(tmp_path, export):
    """User review: overlapping exports in one run reported their overlap as
    "duplicate id ... skipped" (7 skipped for 5 broken rows) and dropped the
    newer, edited copy of a message, while two runs replaced it quietly."""
    edited = "Hi Anna,\n\nThe refresh works with your keystore too. We will send the fixed build by Friday.\n\nPriya"
    week = write_jsonl(tmp_path / "week41.jsonl", [ROWS[3], dict(ROWS[4], body=edited),
                                                   dict(ROWS[1], message_id="a9", body="Closing as fixed.")])
    db = tmp_path / "audit.db"
    result = audit(tmp_path, "run", str(export), str(week), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress",
                   "--format", "json")
    stderr = getattr(result, "stderr", result.output)
    assert "5 rows/files skipped" in stderr and "duplicate id" not in stderr
    assert "1 stored messages replaced" in stderr
    assert json.loads(result.stdout)["summary"]["skipped"] == 5
    assert db_rows(db, "SELECT read FROM runs") == [(6,)]  # a2, in both exports, is read once
    assert db_rows(db, "SELECT text FROM messages WHERE id = 'a3'") == [(edited,)]
    # the result stored is the edited text's, not the first copy's
    assert db_rows(db, "SELECT r.text_hash = m.text_hash FROM results r JOIN messages m ON m.id = r.id"
                       " WHERE r.id = 'a3'") == [(1,)]
    # Review: the same two exports audited again replace nothing and check nothing.
    again = audit(tmp_path, "run", str(export), str(week), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress")
    again_err = getattr(again, "stderr", again.output)
    assert "replaced" not in again_err and "replylint: 0 replies checked" in again_err
    # and in two runs the rule is the same, and says so
    db2 = tmp_path / "two_runs.db"
    audit(tmp_path, "run", str(export), "--db", str(db2), "--map", MAP, "-j", "1", "--no-progress", "-q")
    result = audit(tmp_path, "run", str(week), "--db", str(db2), "--map", MAP, "-j", "1", "--no-progress", "-q")
    assert "1 stored messages replaced" in getattr(result, "stderr", result.output)
    assert db_rows(db2, "SELECT text FROM messages WHERE id = 'a3'") == [(edited,)]



def test_audit_one_export_naming_two_texts_with_one_id_reports_them(tmp_path):
    """Review: an id column that is really the ticket id (three rows, one id)
    silently merged the ticket into one message; within one export two texts
    under one id are a mapping error, reported, and the first one is kept."""
    export = tmp_path / "tickets.csv"
    export.write_text("ticket,id,created_at,direction,text\n"
                      "1201,1201,2025-07-07T09:00:00Z,customer,The export fails.\n"
                      "1201,1201,2025-07-07T10:00:00Z,agent,We are looking at it and will update you by Friday.\n",
                      encoding="utf-8")
    db = tmp_path / "audit.db"
    result = audit(tmp_path, "run", str(export), "--db", str(db), "-j", "1", "--no-progress", "-q")
    stderr = getattr(result, "stderr", result.output)
    assert "tickets.csv:3: duplicate id '1201' with another text (first at" in stderr and "--map id=" in stderr
    assert "1 rows/files skipped" in stderr and "replaced" not in stderr
    assert db_rows(db, "SELECT text FROM messages") == [("The export fails.",)]

def test_audit_the_same_broken_rows_under_a_new_file_name_count_once(tmp_path, export):
    """User review: re-auditing the same export under a new name (helpdesks
    date their export names) doubled "skipped" in the report: 10 for 5 rows."""
    db = tmp_path / "audit.db"
    audit(tmp_path, "run", str(export), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress", "-q")
    renamed = tmp_path / "export_2025-10-08.jsonl"
    renamed.write_bytes(export.read_bytes())
    result = audit(tmp_path, "run", str(renamed), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress",
                   "--format", "json")
    assert json.loads(result.stdout)["summary"]["skipped"] == 5
    assert {f for (f,) in db_rows(db, "SELECT file FROM problems")} == {str(renamed)}  # listed where last seen
    # a newer export with x3's time stamp fixed: its problem is gone, whichever file reported it
    fixed = write_jsonl(tmp_path / "export_2025-10-15.jsonl",
                        [dict(ROWS[1], message_id="x3", ticket_id="T3", created="2024-06-12T10:00:00Z", body="hi")])
    result = audit(tmp_path, "run", str(fixed), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress",
                   "--format", "json")
    assert json.loads(result.stdout)["summary"]["skipped"] == 4
    assert not [w for (w,) in db_rows(db, "SELECT why FROM problems") if "cannot read the timestamp" in w]


def test_audit_config_table_and_errors_name_file_and_key(tmp_path, export):
    cfg = tmp_path / ".replylint.toml"
    cfg.write_text('[audit]\nmap = { text = "body", agent = "author", ticket = "ticket_id", created_at = "created",'
                   ' id = "message_id", direction = "from_role", status = "state" }\ntimezone = "Asia/Kolkata"\n'
                   '[audit.threads.request-rounds]\nmax-rounds = 1\n')
    db = tmp_path / "audit.db"
    audit(tmp_path, "run", str(export), "--db", str(db), "--config", str(cfg), "-j", "1", "--no-progress", "-q")
    assert sorted(r[0] for r in db_rows(db, "SELECT id FROM results")) == ["a1", "a2", "a3"]
    cfg.write_text('[audit.threads.request-rounds]\nmax-rounds = "two"\n')
    result = audit(tmp_path, "run", str(export), "--db", str(db), "--config", str(cfg), ok=False)
    assert result.exit_code == 2
    message = getattr(result, "stderr", result.output)
    assert str(cfg) in message and "threads.request-rounds.max-rounds" in message
    result = audit(tmp_path, "run", str(export), "--db", str(db), "--map", "txt=body", ok=False)
    assert result.exit_code == 2 and "unknown field 'txt'" in getattr(result, "stderr", result.output)


def test_audit_worker_processes_give_the_same_results(tmp_path):
    export = write_jsonl(tmp_path / "e.jsonl", ROWS * 1)
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    audit(tmp_path, "run", str(export), "--db", str(one), "--map", MAP, "-j", "1", "--no-progress", "-q")
    audit(tmp_path, "run", str(export), "--db", str(two), "--map", MAP, "-j", "2", "--no-progress", "-q")
    q = "SELECT id, kind, score, elements, requests, eta, n_findings FROM results ORDER BY id"
    assert db_rows(one, q) == db_rows(two, q)
    q = "SELECT reply_id, pos, rule, message, line, col, suggestion FROM findings ORDER BY reply_id, pos"
    assert db_rows(one, q) == db_rows(two, q)


def test_audit_shortcut_runs_an_audit(tmp_path):
    export = tmp_path / "e.jsonl"
    export.write_text(json.dumps({"text": "We fixed it in update 46."}) + "\n")
    db = tmp_path / "audit.db"
    audit(tmp_path, str(export), "--db", str(db), "-j", "1", "--no-progress", "-q")  # no `run`
    assert db_rows(db, "SELECT COUNT(*) FROM results") == [(1,)]


def test_a_retrained_model_in_a_check_folder_changes_the_rule_set(tmp_path):
    """A retrain (tools/train_kind.py) changes kinds and element values without
    touching a .toml or .py file; a re-audit must then check everything again."""
    import dataclasses
    import shutil

    from replylint.audit.workers import ruleset_hash
    from replylint.config import Settings
    from replylint.registry import bundled_dir, load

    checks = tmp_path / "checks"
    shutil.copytree(bundled_dir("checks"), checks, ignore=shutil.ignore_patterns("__pycache__"))
    registry = dataclasses.replace(load(), folders=(checks,))  # the hash reads the folders the registry came from
    settings = Settings()
    before = ruleset_hash(settings, registry)
    assert ruleset_hash(settings, registry) == before
    heads = checks / "kind" / "elements.json"
    heads.write_text(heads.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # new weights, same .toml and .py
    assert ruleset_hash(settings, registry) != before


def test_audit_thread_findings_follow_an_author_mapped_later(tmp_path):
    """Review: a re-run that maps the author column updated the replies'
    authors but not the agent their ticket's thread findings were attributed to."""
    export = tmp_path / "e.csv"
    export.write_text("ticket,id,created_at,direction,author,text\n"
                      "T1,c1,2025-07-07T09:00:00Z,customer,Cust,The nightly export has failed since Friday.\n"
                      "T1,a1,2025-07-07T10:00:00Z,agent,Ben,We are looking into it and will update you by Wednesday.\n",
                      encoding="utf-8")
    db = tmp_path / "audit.db"
    audit(tmp_path, "run", str(export), "--db", str(db), "-j", "1", "--no-progress", "-q", "--as-of", "2025-07-30")
    before = db_rows(db, "SELECT DISTINCT agent FROM thread_findings")
    assert before and all(agent != "Ben" for (agent,) in before)
    audit(tmp_path, "run", str(export), "--db", str(db), "-j", "1", "--no-progress", "-q", "--as-of", "2025-07-30",
          "--map", "agent=author")
    assert db_rows(db, "SELECT DISTINCT agent FROM thread_findings") == [("Ben",)]
