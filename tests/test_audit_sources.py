"""Two helpdesks audited into one database, and whom a thread finding counts
against, from a support lead's review of Zendesk and Freshdesk exports: ticket
1201 of each became one thread, a Freshdesk reply replaced the Zendesk reply
with the same id without a word, and thread findings had no agent, so the
per-agent counts did not add up to the total."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest
from audit_cli import audit, db_rows, stderr

from replylint.audit.threads import UNASSIGNED, ThreadMessage, attributed_agent

ZMAP = ("text=HTML Body,agent=Author Name,ticket=Ticket ID,created_at=Created At,id=Comment ID,direction=Author Role,"
        "status=Ticket Status")
FMAP = ("text=Body,agent=Author,ticket=Ticket ID,created_at=Created Time,id=Conversation ID,direction=Incoming,"
        "status=Status")
CONFIG = """[audit]
timezone = "America/New_York"
agent-values = ["agent", "admin", "false"]
customer-values = ["end-user", "true"]
closed-statuses = ["solved", "closed", "resolved"]
"""
ZENDESK = """Ticket ID,Comment ID,Created At,Author Name,Author Role,Ticket Status,HTML Body
1201,5001,2025-07-07T13:00:00Z,Sarah O'Neill,end-user,open,"<p>Our gateway returns 502 for /orders.</p>"
1201,5002,2025-07-07T15:00:00Z,Ana Souza,agent,open,"<p>Hi Sarah,</p><p>I checked the routing for /orders and it is correct. Could you share the gateway log so we can check whether the request reaches the backend? We will update you by Wednesday.</p>"
"""
FRESHDESK = """Ticket ID,Conversation ID,Created Time,Author,Incoming,Status,Body
1201,5003,2025-07-08 08:00:00,Kenji Sato,true,Open,"<div>The /search API takes 20 seconds.</div>"
1201,5002,2025-07-08 09:00:00,Marco Rossi,false,Open,"<div>Hi Kenji,<br><br>I ran the same /search query on our 4.2.0 setup and it returns in 300 ms. Could you share the gateway log from a slow call so we can see where the time goes? We will update you by Thursday.</div>"
"""


@pytest.fixture()
def exports(tmp_path):
    config = tmp_path / "replylint.toml"
    config.write_text(CONFIG, encoding="utf-8")
    zendesk = tmp_path / "zd_small.csv"
    zendesk.write_text(ZENDESK, encoding="utf-8")
    freshdesk = tmp_path / "fd_small.csv"
    freshdesk.write_text(FRESHDESK, encoding="utf-8")
    return config, zendesk, freshdesk


def test_two_helpdesks_with_a_source_each_stay_apart(tmp_path, exports):
    config, zendesk, freshdesk = exports
    db = tmp_path / "a.db"
    audit("run", str(zendesk), "--db", str(db), "--config", str(config), "--map", ZMAP, "--source", "zendesk")
    result = audit("run", str(freshdesk), "--db", str(db), "--config", str(config), "--map", FMAP, "--source", "freshdesk",
                   "--out", str(tmp_path / "r.json"))
    assert "warning" not in stderr(result)
    assert db_rows(db, "SELECT id, ticket, author FROM messages ORDER BY id") == [
        ("freshdesk:5002", "freshdesk:1201", "Marco Rossi"), ("freshdesk:5003", "freshdesk:1201", "Kenji Sato"),
        ("zendesk:5001", "zendesk:1201", "Sarah O'Neill"), ("zendesk:5002", "zendesk:1201", "Ana Souza")]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["summary"]["replies"] == 2 and report["summary"]["tickets"] == 2
    # Each asked for the gateway log once, in its own ticket: not a repeated request.
    assert not [f for t in report["threads"] for f in t["findings"] if f["rule"] == "repeated-request"]


def test_the_source_can_be_set_in_the_config(tmp_path, exports):
    config, zendesk, _ = exports
    config.write_text(CONFIG + 'source = "zendesk"\n', encoding="utf-8")
    db = tmp_path / "a.db"
    audit("run", str(zendesk), "--db", str(db), "--config", str(config), "--map", ZMAP)
    assert db_rows(db, "SELECT DISTINCT ticket FROM messages") == [("zendesk:1201",)]


def test_a_source_name_that_is_not_a_word_is_refused(tmp_path, exports):
    config, zendesk, _ = exports
    result = audit("run", str(zendesk), "--db", str(tmp_path / "a.db"), "--config", str(config), "--map", ZMAP,
                   "--source", "zen desk", ok=False)
    assert result.exit_code == 2
    assert "--source: 'zen desk' is not a source name" in stderr(result)


def test_another_helpdesk_with_the_same_ids_is_said_on_stderr(tmp_path, exports):
    config, zendesk, freshdesk = exports
    db = tmp_path / "a.db"
    audit("run", str(zendesk), "--db", str(db), "--config", str(config), "--map", ZMAP)
    result = audit("run", str(freshdesk), "--db", str(db), "--config", str(config), "--map", FMAP)
    err = stderr(result)
    assert "warning: 1 stored messages from another input read with other columns were replaced" in err
    assert "1 tickets now hold messages from this run and from another input" in err
    assert "--source zendesk and --source freshdesk" in err


def test_ticket_ids_alone_colliding_are_said_too(tmp_path, exports):
    config, zendesk, freshdesk = exports
    freshdesk.write_text(FRESHDESK.replace(",5003,", ",60012340001,").replace(",5002,", ",60012340002,"), encoding="utf-8")
    db = tmp_path / "a.db"
    audit("run", str(zendesk), "--db", str(db), "--config", str(config), "--map", ZMAP)
    err = stderr(audit("run", str(freshdesk), "--db", str(db), "--config", str(config), "--map", FMAP))
    assert "stored messages" not in err
    assert "warning: 1 tickets now hold messages from this run and from another input read with other columns" in err


def test_a_re_export_of_the_same_helpdesk_under_another_name_is_not_a_collision(tmp_path, exports):
    config, zendesk, _ = exports
    db = tmp_path / "a.db"
    audit("run", str(zendesk), "--db", str(db), "--config", str(config), "--map", ZMAP)
    newer = tmp_path / "zendesk_export_2025-10-08.csv"
    newer.write_text(ZENDESK.replace("We will update you by Wednesday.", "We will update you by Friday.")
                     + '1201,5004,2025-07-09T15:00:00Z,Ana Souza,agent,open,"<p>The fix is deployed.</p>"\n',
                     encoding="utf-8")
    err = stderr(audit("run", str(newer), "--db", str(db), "--config", str(config), "--map", ZMAP))
    assert "1 stored messages replaced by a copy with the same id" in err  # the edit, as before
    assert "warning" not in err


# -- whom a thread finding counts against -------------------------------------------------

WAITING = """ticket,id,created_at,direction,agent,text
W1,c1,2025-07-07T09:00:00Z,customer,Olu,The nightly export has failed since Friday.
W1,a1,2025-07-07T10:00:00Z,agent,Ana,"We restarted the exporter and checked the logs; the job ran. We will confirm the next run by Thursday."
W1,c2,2025-07-08T09:00:00Z,customer,Olu,It failed again last night.
W2,c3,2025-07-07T09:00:00Z,customer,Kim,The dashboard does not load.
"""


def test_every_thread_finding_has_an_agent_and_the_per_agent_counts_add_up(tmp_path):
    export = tmp_path / "w.csv"
    export.write_text(WAITING, encoding="utf-8")
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--as-of", "2025-07-30", "--out", str(tmp_path / "r.json"),
          "--out", str(tmp_path / "r.csv"), "--out", str(tmp_path / "r.html"))
    findings = db_rows(db, "SELECT ticket, rule, message_id, agent FROM thread_findings")
    assert findings and all(agent for *_, agent in findings)
    # Olu's second message waits on Ana, who last replied; nobody replied in W2.
    assert ("W1", "left-behind", "c2", "Ana") in findings
    assert ("W2", "left-behind", "c3", UNASSIGNED) in findings
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert sum(a["thread_findings"] for a in report["agents"]) == report["summary"]["thread_findings"] == len(findings)
    assert {a["agent"]: a["replies"] for a in report["agents"]}[UNASSIGNED] == 0
    assert all(f["agent"] for t in report["threads"] for f in t["findings"])
    with (tmp_path / "r.csv").open(encoding="utf-8", newline="") as fh:
        thread_rows = [r for r in csv.DictReader(fh) if r["level"] == "thread"]
    assert len(thread_rows) == len(findings) and all(r["agent"] for r in thread_rows)
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert f"<td>{UNASSIGNED}</td>" in html


def _message(mid: str, direction: str, author: str | None) -> ThreadMessage:
    return ThreadMessage(mid, direction, author, None, None, "")


def test_attribution_of_a_customer_message_goes_to_the_agent_handling_the_ticket_then():
    c1, a1, c2, a2, c3 = (_message("c1", "customer", "Olu"), _message("a1", "agent", "Ana"),
                          _message("c2", "customer", "Olu"), _message("a2", "agent", "Bob"),
                          _message("c3", "customer", "Olu"))
    thread = (c1, a1, c2, a2, c3)
    assert attributed_agent(thread, a1) == "Ana"  # a reply: its author
    assert attributed_agent(thread, c2) == "Ana"  # waiting after Ana's reply
    assert attributed_agent(thread, c3) == "Bob"
    assert attributed_agent(thread, c1) == "Ana"  # before any reply: the first who answered
    assert attributed_agent(thread, None) == "Bob"  # the ticket: the last who replied
    assert attributed_agent((c1,), c1) == UNASSIGNED
    assert attributed_agent((c1, _message("a9", "agent", None)), None) == "(unknown)"


def test_a_schema_3_database_is_migrated_and_its_threads_attributed(tmp_path):
    export = tmp_path / "w.csv"
    export.write_text(WAITING, encoding="utf-8")
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--as-of", "2025-07-30")
    con = sqlite3.connect(db)
    with con:  # as schema 3 left it: no source, no agent, thread findings already stored
        con.execute("ALTER TABLE messages DROP COLUMN source")
        con.execute("ALTER TABLE thread_findings DROP COLUMN agent")
        con.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
    con.close()
    audit("run", str(export), "--db", str(db), "--as-of", "2025-07-30")
    assert db_rows(db, "SELECT value FROM meta WHERE key = 'schema'") == [("4",)]
    assert db_rows(db, "SELECT COUNT(*) FROM thread_findings WHERE agent IS NULL") == [(0,)]
