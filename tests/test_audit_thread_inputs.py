"""What rows an audit reads into its thread checks, from a support lead's
review of real Zendesk and Freshdesk exports: a status column that only holds
the ticket's current status, internal notes, a column that merely happens to
be named like a field, and the message when no row could be read."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from audit_cli import audit, stderr


def thread_rules(db: Path, ticket: str) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r for (r,) in con.execute("SELECT rule FROM thread_findings WHERE ticket = ? ORDER BY rule", (ticket,))]
    finally:
        con.close()


CLOSING = "The fix is attached; we verified it on our cluster. I'm closing this ticket."


# -- a column named like a field that no map names ------------------------------------------

def test_unmapped_status_column_is_not_read_when_columns_are_mapped(tmp_path):
    """Review: a 'status' column of 'open' on every row (not mapped) made every
    ticket open, so the agent's closing went unseen and left-behind fired."""
    export = tmp_path / "eta.csv"
    export.write_text("ticket,id,created,author,role,status,body\n"
                      "E1,c1,2025-07-09T13:00:00Z,Cust,end-user,open,The API fails.\n"
                      f"E1,c2,2025-07-09T14:00:00Z,Ana,agent,open,{CLOSING}\n", encoding="utf-8")
    db = tmp_path / "a.db"
    result = audit("run", str(export), "--db", str(db), "--as-of", "2025-07-30",
                   "--map", "text=body,ticket=ticket,id=id,created_at=created,agent=author,direction=role")
    assert "left-behind" not in thread_rules(db, "E1")
    assert "was read as the ticket status" not in stderr(result)



def test_a_map_naming_only_the_text_still_reads_the_other_fields_by_column_name(tmp_path):
    """Mapping the body column alone must not lose the ticket and time columns
    an export names like the fields (the thread checks would silently stop)."""
    export = tmp_path / "partial.csv"
    export.write_text("ticket,id,created_at,direction,status,body\n"
                      "P1,c1,2025-07-07T13:00:00Z,customer,open,The export fails every night since Monday.\n", encoding="utf-8")
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--as-of", "2025-07-30", "--map", "text=body")
    con = sqlite3.connect(db)
    try:
        (ticket, created), = con.execute("SELECT ticket, created_at FROM messages").fetchall()
    finally:
        con.close()
    assert ticket == "P1" and created.startswith("2025-07-07")
    assert "left-behind" in thread_rules(db, "P1")

def test_without_a_map_the_status_column_is_read_and_the_summary_says_so(tmp_path):
    export = tmp_path / "e.csv"
    export.write_text("ticket,id,created_at,direction,status,text\n"
                      "E1,c1,2025-07-09T13:00:00Z,customer,open,The API fails.\n"
                      f"E1,c2,2025-07-09T14:00:00Z,agent,open,{CLOSING}\n", encoding="utf-8")
    db = tmp_path / "a.db"
    result = audit("run", str(export), "--db", str(db))
    assert "the column 'status' was read as the ticket status of 2 messages" in stderr(result)


# -- a status column that holds the ticket's current status on every row ----------------------

ZENDESK_MAP = ("text=HTML Body,agent=Author Name,ticket=Ticket ID,created_at=Created At,id=Comment ID,"
               "direction=Author Role,status=Ticket Status")
ZENDESK_HEAD = "Ticket ID,Comment ID,Created At,Author Name,Author Role,Ticket Status,HTML Body\n"
CANNOT_REPRODUCE = ('"<p>Hi Olu,</p><p>We couldn\'t reproduce this issue on our side. I\'m closing this ticket; '
                    'feel free to reopen if it happens again.</p><p>Best regards,<br>Tom</p>"')


def test_current_status_on_every_row_is_the_end_state_not_each_messages(tmp_path):
    """Review: 'solved' on every row made the ticket look closed from its first
    message, so cannot-reproduce-then-closed never fired with status mapped."""
    export = tmp_path / "zd_status.csv"
    export.write_text(ZENDESK_HEAD
                      + "9001,1,2025-09-02T13:00:00Z,Olu Adeyemi,end-user,solved,<p>The token endpoint returns 401.</p>\n"
                      + f"9001,2,2025-09-03T14:00:00Z,Tom Becker,agent,solved,{CANNOT_REPRODUCE}\n", encoding="utf-8")
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--map", ZENDESK_MAP)
    assert "cannot-reproduce-then-closed" in thread_rules(db, "9001")



def test_a_blank_status_on_one_row_does_not_undo_the_end_state_reading():
    """Review: 'solved', blank, 'solved' left the ticket looking solved from its
    first message again; blank statuses say nothing either way."""
    from replylint.audit.threads import ThreadMessage, status_as_end_state

    messages = [ThreadMessage(str(i), "customer" if i < 2 else "agent", None, None, status, "text")
                for i, status in enumerate(["solved", None, "Solved ", ""])]
    assert [m.status for m in status_as_end_state(messages)] == [None, None, "Solved ", None]


def test_a_status_that_changes_within_the_ticket_keeps_its_per_message_meaning(tmp_path):
    export = tmp_path / "zd_status.csv"
    export.write_text(ZENDESK_HEAD
                      + "9002,1,2025-09-02T13:00:00Z,Olu Adeyemi,end-user,open,<p>The token endpoint returns 401.</p>\n"
                      + "9002,2,2025-09-02T14:00:00Z,Tom Becker,agent,solved,<p>We rotated the client secret.</p>\n"
                      + "9002,3,2025-09-03T14:00:00Z,Olu Adeyemi,end-user,open,<p>It happens again.</p>\n",
                      encoding="utf-8")
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--map", ZENDESK_MAP)
    con = sqlite3.connect(db)
    messages = [m for (m,) in con.execute("SELECT message FROM thread_findings WHERE rule = 'left-behind'")]
    con.close()
    assert len(messages) == 1 and "was re-opened on 2025-09-03" in messages[0]


# -- internal (private) notes ------------------------------------------------------------------

NOTES_MAP = "text=HTML Body,agent=Author Name,ticket=Ticket ID,created_at=Created At,id=Comment ID,direction=Author Role"
NOTE = "<p>Internal note: I checked the throttling policy; it counts per node. Engineering will have a fix by Friday.</p>"


def _notes_export(tmp_path: Path, column: str, customer: str, note: str, reply: str) -> Path:
    export = tmp_path / "zd_notes.csv"
    export.write_text(f"Ticket ID,Comment ID,Created At,Author Name,Author Role,{column},HTML Body\n"
                      f"9100,1,2025-08-04T13:00:00Z,Olu Adeyemi,end-user,{customer},<p>We hit 429 errors below our quota.</p>\n"
                      f"9100,2,2025-08-04T14:00:00Z,Kofi Mensah,agent,{note},{NOTE}\n"
                      f"9100,3,2025-08-07T14:00:00Z,Kofi Mensah,agent,{reply},<p>The corrected policy is attached.</p>\n",
                      encoding="utf-8")
    return export


def test_internal_notes_are_left_out_of_scoring_and_threads_and_counted(tmp_path):
    """Review: a private note 'answered' the customer, so no-daily-update did not fire."""
    export = _notes_export(tmp_path, "Public", "true", "false", "true")
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--map", NOTES_MAP)  # unmapped: the note is a reply, as before
    assert "no-daily-update" not in thread_rules(db, "9100")
    result = audit("run", str(export), "--db", str(db), "--map", NOTES_MAP + ",public=Public")
    assert "no-daily-update" in thread_rules(db, "9100")
    assert "1 internal notes left out" in stderr(result)
    con = sqlite3.connect(db)
    assert [i for (i,) in con.execute("SELECT id FROM messages ORDER BY id")] == ["1", "3"]  # the stored note is gone
    assert [i for (i,) in con.execute("SELECT id FROM results")] == ["3"]
    con.close()



def test_an_internal_note_in_two_overlapping_exports_counts_once(tmp_path):
    """Review: internal notes were counted once per export, messages and
    problems once per run."""
    export = _notes_export(tmp_path, "Public", "true", "false", "true")
    copy = tmp_path / "copy.csv"
    copy.write_bytes(export.read_bytes())
    result = audit("run", str(export), str(copy), "--db", str(tmp_path / "a.db"), "--map", NOTES_MAP + ",public=Public")
    assert "1 internal notes left out" in stderr(result)

def test_private_column_and_helpdesk_spellings_of_visibility(tmp_path):
    for column, customer, note, reply in (("Private", "false", "true", "false"), ("Private", "no", "yes", "0"),
                                          ("Visibility", "public", "internal", "public"),
                                          ("Visibility", "Public", "Private", "PUBLIC")):
        export = _notes_export(tmp_path, column, customer, note, reply)
        field = "private" if column == "Private" else "public"
        db = tmp_path / f"{column}-{note}.db"
        result = audit("run", str(export), "--db", str(db), "--map", f"{NOTES_MAP},{field}={column}")
        assert "1 internal notes left out" in stderr(result), (column, note)
        assert "no-daily-update" in thread_rules(db, "9100")


def test_a_visibility_value_that_says_neither_is_reported_with_its_line(tmp_path):
    export = _notes_export(tmp_path, "Public", "true", "maybe", "true")
    result = audit("run", str(export), "--db", str(tmp_path / "a.db"), "--map", NOTES_MAP + ",public=Public")
    assert (f"skipped {export}:3: field 'Public' is 'maybe': it must say whether the message is public "
            "(true/false, yes/no, 1/0, or public/private/internal)") in stderr(result)


# -- a run that read no row says why --------------------------------------------------------------

def test_every_row_with_an_unknown_direction_says_so_not_that_no_message_has_a_time(tmp_path):
    """Review: Freshdesk's Incoming true/false with no config printed 'thread
    checks skipped: no message has a time (files in a folder carry none)'."""
    export = tmp_path / "freshdesk.csv"
    export.write_text("Ticket ID,Conversation ID,Created Time,Author,Incoming,Body\n"
                      "1201,1,2025-07-03 10:47:00,Maria,true,The gateway pod restarts every few hours.\n"
                      "1201,2,2025-07-03 11:47:00,Sam,false,We raised the heap limit and restarted the pod.\n"
                      "1201,3,2025-07-03 12:47:00,Maria,true,Thanks.\n", encoding="utf-8")
    result = audit("run", str(export), "--db", str(tmp_path / "a.db"),
                   "--map", "text=Body,agent=Author,ticket=Ticket ID,created_at=Created Time,id=Conversation ID,"
                            "direction=Incoming", ok=False)
    err = stderr(result)
    assert result.exit_code == 2
    assert "no message has a time" not in err
    assert ("no message could be read from " + str(export) + ": all 3 rows/files were skipped, 3 of them because their "
            "direction (column 'Incoming') is neither an agent nor a customer value ('true' 2 times, 'false' 1 times)") in err
    assert 'agent-values = ["false"] and customer-values = ["true"]' in err


def test_a_wait_just_past_the_limit_reads_as_past_it(tmp_path):
    """Review: a 25-hour wait said "waited 1.0 business days (limit 1)"."""
    export = tmp_path / "wait.csv"
    # 2025-07-07 is a Monday: the update comes 25 hours after the question.
    export.write_text("ticket,id,created_at,direction,text\n"
                      "W1,c1,2025-07-07T09:00:00Z,customer,The nightly export has failed since Friday.\n"
                      "W1,a1,2025-07-08T10:00:00Z,agent,We restarted the exporter and will confirm the next run by Thursday.\n",
                      encoding="utf-8")
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--as-of", "2025-07-09")
    con = sqlite3.connect(db)
    try:
        (message,), = con.execute("SELECT message FROM thread_findings WHERE rule = 'no-daily-update'").fetchall()
    finally:
        con.close()
    assert "waited 1 business day and 1 hour" in message and "(limit 1 business day)" in message


# -- what a repeated request is ------------------------------------------------------------------

def _reply(greeting: str, body: str, lead_in: str, asks: list[str]) -> str:
    items = "\n".join(f"{n}. {ask}" for n, ask in enumerate(asks, 1))
    return f"{greeting}\n\n{body}\n\n{lead_in}\n{items}\n\nWe will update you by Friday.\n\nBest regards,\nAna"


def _repeated_request_messages(db: Path) -> dict[str, list[str]]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT ticket, message FROM thread_findings WHERE rule = 'repeated-request'").fetchall()
    finally:
        con.close()
    out: dict[str, list[str]] = {}
    for ticket, message in rows:
        out.setdefault(ticket, []).append(message)
    return out


def test_a_lead_in_or_a_version_named_in_advice_is_not_a_repeated_request(tmp_path):
    """Review: two replies opening their lists with the fix template's lead-in
    were flagged "Asks again for Eva, to move forward, could you send us the
    following…", and "retry with version 4.3.0 of the client SDK" was flagged
    "Asks again for product version"; a list item asked for again still is."""
    lead_in = "Eva, to move forward, could you send us the following in one reply:"
    rows = [
        ("T7", "c1", "2025-07-07T13:00:00Z", "customer", "Token refresh fails with 401 on node 2."),
        ("T7", "a1", "2025-07-07T15:00:00Z", "agent", _reply(
            "Hi Eva,", "I replayed your token refresh on our 4.2.0 two-node cluster and it succeeded on both nodes.",
            lead_in, [("Could you share the carbon log from node 2 (we need this to check whether the refresh reaches "
                      "the key manager)?"),
                      ("Could you tell us the product version and update level you run (we need this to set up the "
                      "same environment)?")])),
        ("T7", "c2", "2025-07-08T13:00:00Z", "customer", "Both attached; we run 4.2.0 update level 45."),
        ("T7", "a2", "2025-07-08T16:00:00Z", "agent", _reply(
            "Hi Eva,", "I went through the carbon log: the refresh fails on a clock-skew check.",
            lead_in, ["Could you run ntpq -p on node 2 (we need this to confirm the clock offset)?",
                      ("Could you retry the refresh with version 4.3.0 of the client SDK and tell us whether the "
                      "401 still appears?")])),
        ("T8", "c3", "2025-07-07T13:00:00Z", "customer", "The gateway drops requests under load."),
        ("T8", "a3", "2025-07-07T15:00:00Z", "agent", _reply(
            "Hi Eva,", "We checked our known issues; nothing matches yet.",
            lead_in, [("Could you share the gateway log from the failure time (we need this to see where the request "
                      "stops)?")])),
        ("T8", "c4", "2025-07-08T13:00:00Z", "customer", "It happened again this morning."),
        ("T8", "a4", "2025-07-08T16:00:00Z", "agent", _reply(
            "Hi Eva,", "Thanks for the update.", "To move this forward, please send:",
            ["The gateway log from this morning's failure."])),
    ]
    export = tmp_path / "leadin.csv"
    with export.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("ticket", "id", "created_at", "direction", "text"), *rows])
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db))
    found = _repeated_request_messages(db)
    assert "T7" not in found, found["T7"]
    assert len(found["T8"]) == 1 and found["T8"][0].startswith("Asks again for logs, already requested on ")


@pytest.mark.parametrize("days,reads", [(1 + 5 / 1440, "1 business day and 5 minutes"), (1.99, "1 business day and 23 hours"),
                                        (25 / 24, "1 business day and 1 hour"), (2, "2 business days"), (0.5, "12 hours")])
def test_a_wait_reads_rounded_down_so_past_the_limit_never_reads_as_it(days, reads):
    """Review: rounding to the hour made a wait 5 minutes past a 1-day limit
    read "1 business day", and 1.99 days read "2 business days"."""
    import importlib.util

    from replylint.registry import bundled_dir

    spec = importlib.util.spec_from_file_location("no_daily_update_rule", bundled_dir("checks") / "threads" / "no-daily-update" / "rule.py")
    rule = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rule)
    assert rule.business_wait(days) == reads
