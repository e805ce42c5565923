"""`replylint audit run` on awkward inputs, from a user review: ids unique per
input, broken rows reported (file, line, why) and skipped while the run goes
on, re-runs over an existing database that neither lose nor double-count a
reply, and a clear exit 2 when nothing could be read."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from audit_cli import audit, db_rows, stderr

from replylint.audit.store import SCHEMA_VERSION

MAP = "text=body,agent=author,ticket=ticket_id,created_at=created,id=message_id,direction=from_role,status=state"








def write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def reply_texts(db: Path) -> list[str]:
    return sorted(t for (t,) in db_rows(db, "SELECT m.text FROM results r JOIN messages m ON m.id = r.id"))


ANN = "We restarted the service and it works now."
BOB = "We fixed the bug in build 12 and deployed it."


def two_folders(tmp_path: Path) -> tuple[Path, Path]:
    ann, bob = tmp_path / "ann", tmp_path / "bob"
    ann.mkdir()
    bob.mkdir()
    (ann / "reply1.txt").write_text(ANN)
    (bob / "reply1.txt").write_text(BOB)
    return ann, bob


# -- 1. ids unique per input -----------------------------------------------------------

def test_same_file_name_in_two_folders_gives_two_replies(tmp_path):
    ann, bob = two_folders(tmp_path)
    db = tmp_path / "a.db"
    audit("run", str(ann), str(bob), "--db", str(db))
    assert reply_texts(db) == sorted([ANN, BOB])
    assert db_rows(db, "SELECT COUNT(*) FROM problems") == [(0,)]  # no "duplicate id"


def test_folders_audited_one_after_the_other_keep_both_replies(tmp_path):
    ann, bob = two_folders(tmp_path)
    db = tmp_path / "a.db"
    audit("run", str(bob), "--db", str(db))
    audit("run", str(ann), "--db", str(db))
    assert reply_texts(db) == sorted([ANN, BOB])  # Ann's reply did not replace Bob's


def test_exports_without_ids_in_two_folders_keep_both_rows(tmp_path):
    first = write_jsonl(tmp_path / "ann" / "export.jsonl", [{"text": ANN}])
    second = write_jsonl(tmp_path / "bob" / "export.jsonl", [{"text": BOB}])
    db = tmp_path / "a.db"
    audit("run", str(first), str(second), "--db", str(db))
    assert reply_texts(db) == sorted([ANN, BOB])
    audit("run", str(first), "--db", str(db))
    assert reply_texts(db) == sorted([ANN, BOB])


def test_a_deleted_reply_file_leaves_the_database_with_prune_only(tmp_path):
    ann, _ = two_folders(tmp_path)
    (ann / "reply2.txt").write_text(BOB)
    db = tmp_path / "a.db"
    audit("run", str(ann), "--db", str(db))
    (ann / "reply2.txt").unlink()
    audit("run", str(ann), "--db", str(db))
    assert reply_texts(db) == sorted([ANN, BOB])  # nothing is removed unless asked
    result = audit("run", str(ann), "--db", str(db), "--prune")
    assert reply_texts(db) == [ANN]
    assert "--prune: 1 stored messages no longer in their input removed" in stderr(result)


def test_prune_never_removes_what_an_empty_or_partly_unreadable_input_did_not_yield(tmp_path):
    """Review of the fourteenth landing: an emptied export, an unmounted share or
    one unreadable file must not cost the stored replies."""
    export = write_jsonl(tmp_path / "e.jsonl", _no_id_rows(ANN))
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--map", NO_ID_MAP)
    export.write_text("")
    audit("run", str(export), "--db", str(db), "--map", NO_ID_MAP, "--prune", ok=False)
    assert reply_texts(db) == sorted([ANN, BOB])
    ann, _ = two_folders(tmp_path)
    (ann / "reply2.txt").write_text(BOB)
    audit("run", str(ann), "--db", str(db))
    (ann / "reply2.txt").write_bytes(b"\x00\x01binary")  # now unreadable: reported and skipped
    audit("run", str(ann), "--db", str(db), "--prune")
    assert db_rows(db, "SELECT COUNT(*) FROM messages WHERE id LIKE ?", "%reply2.txt") == [(1,)]


def test_rows_with_export_ids_stay_when_a_later_export_lacks_them(tmp_path):
    """An export may be incremental: only made-up ids are tied to their input."""
    export = tmp_path / "e.jsonl"
    row = {"message_id": "a1", "ticket_id": "T1", "from_role": "agent", "created": "2024-06-10T11:00:00Z", "body": ANN}
    write_jsonl(export, [row])
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--map", MAP)
    write_jsonl(export, [dict(row, message_id="a2", body=BOB)])
    audit("run", str(export), "--db", str(db), "--map", MAP)
    assert sorted(i for (i,) in db_rows(db, "SELECT id FROM results")) == ["a1", "a2"]


def test_a_database_of_the_previous_version_is_refused_not_mixed(tmp_path):
    """Its made-up ids were not unique per input and cannot be matched to the new
    ones safely: audit into a new --db (README)."""
    ann, _ = two_folders(tmp_path)
    db = tmp_path / "a.db"
    audit("run", str(ann), "--db", str(db))
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    con.close()
    for args in (("run", str(ann)), ("report",)):
        result = audit(*args, "--db", str(db), ok=False)
        assert result.exit_code == 2 and "database schema 1" in stderr(result) and "new --db" in stderr(result)
    assert db_rows(db, "SELECT COUNT(*) FROM messages") == [(1,)]


# -- 4. a lone surrogate escape in JSONL ----------------------------------------------

def test_lone_surrogate_in_jsonl_is_reported_and_the_run_goes_on(tmp_path):
    export = tmp_path / "e.jsonl"
    export.write_text('{"id": "s1", "text": "' + ANN + '"}\n'
                      '{"id": "s2", "text": "Thanks \\ud83d"}\n'  # valid JSON, half an emoji
                      '{"id": "s3", "text": "' + BOB + '"}\n', encoding="utf-8")
    db = tmp_path / "a.db"
    result = audit("run", str(export), "--db", str(db))
    assert reply_texts(db) == sorted([ANN, BOB])
    assert db_rows(db, "SELECT line, why FROM problems") == [
        (2, ("field 'text' has a lone surrogate escape (\\ud83d at character 8), which is not text (often an emoji cut "
             "in half by the exporter); fix or remove it in the export"))]
    assert f"{export}:2" in stderr(result) and "1 rows/files skipped" in stderr(result)
    audit("run", str(export), "--db", str(db))  # the re-run does not crash either


# -- 3. a CSV row with an unclosed quote ----------------------------------------------------

CSV_HEAD = "id,ticket,direction,created_at,text\n"


def test_csv_row_with_unclosed_quote_is_reported_and_the_rows_after_it_are_read(tmp_path):
    export = tmp_path / "q.csv"
    export.write_text(CSV_HEAD
                      + "q1,T1,agent,2024-05-01T10:00:00Z,We restarted the service.\n"
                      + 'q2,T1,agent,2024-05-01T11:00:00Z,"Broken quote here\n'
                      + "q3,T1,agent,2024-05-01T12:00:00Z,We fixed the bug in build 12.\n"
                      + "q4,T1,agent,2024-05-01T13:00:00Z,We replaced the cable.\n", encoding="utf-8")
    db = tmp_path / "a.db"
    result = audit("run", str(export), "--db", str(db))
    assert sorted(i for (i,) in db_rows(db, "SELECT id FROM results")) == ["q1", "q3", "q4"]
    assert db_rows(db, "SELECT text FROM messages WHERE id = 'q3'") == [("We fixed the bug in build 12.",)]
    [(line, why)] = db_rows(db, "SELECT line, why FROM problems")
    assert line == 3 and "a quote opened in this row is never closed" in why and "fix its quotes" in why
    assert f"{export}:3" in stderr(result) and "1 rows/files skipped" in stderr(result)


def test_csv_stray_quote_closed_by_a_later_row_loses_no_row(tmp_path):
    export = tmp_path / "q.csv"
    export.write_text(CSV_HEAD
                      + 'q2,T1,agent,2024-05-01T11:00:00Z,"Broken quote here\n'
                      + "q3,T1,agent,2024-05-01T12:00:00Z,We fixed the bug in build 12.\n"
                      + 'q4,T1,agent,2024-05-01T13:00:00Z,"We replaced the ""old"" cable."\n'
                      + "q5,T1,agent,2024-05-01T14:00:00Z,\"We checked the logs,\nall of them.\"\n", encoding="utf-8")
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db))
    assert dict(db_rows(db, "SELECT id, text FROM messages")) == {
        "q3": "We fixed the bug in build 12.", "q4": 'We replaced the "old" cable.', "q5": "We checked the logs,\nall of them."}
    assert [line for (line,) in db_rows(db, "SELECT line FROM problems")] == [2]


# -- 10. wrong input or wrong mapping: exit 2 with one clear error -------------------------

def test_missing_input_exits_2_and_names_it(tmp_path):
    result = audit("run", str(tmp_path / "nonexist.jsonl"), "--db", str(tmp_path / "a.db"), ok=False)
    assert result.exit_code == 2
    assert f"{tmp_path / 'nonexist.jsonl'}: no such file or folder" in stderr(result)


def test_csv_header_without_a_mapped_column_exits_2(tmp_path):
    export = tmp_path / "e.csv"
    export.write_text(CSV_HEAD + "q1,T1,agent,2024-05-01T10:00:00Z,We restarted the service.\n", encoding="utf-8")
    result = audit("run", str(export), "--db", str(tmp_path / "a.db"), "--map", "direction=role", ok=False)
    assert result.exit_code == 2
    assert (f"error: {export}:1: the header has no 'role' (mapped to direction) column "
            "(its columns: id, ticket, direction, created_at, text); name the right column with --map direction=COLUMN"
            ) in stderr(result)


def test_jsonl_mapping_that_matches_no_row_exits_2(tmp_path):
    export = write_jsonl(tmp_path / "e.jsonl", [{"text": ANN}, {"text": BOB}])
    result = audit("run", str(export), "--db", str(tmp_path / "a.db"), "--map", "text=content", ok=False)
    assert result.exit_code == 2
    err = stderr(result)
    assert f"{export}:1: no 'content' field" in err
    assert "no message could be read" in err and "2 rows/files skipped" in err


def test_empty_inputs_are_reported_and_alone_exit_2(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    header_only = tmp_path / "h.csv"
    header_only.write_text(CSV_HEAD)
    folder = tmp_path / "none"
    folder.mkdir()
    db = tmp_path / "a.db"
    for path, why in ((empty, "is empty (no rows)"), (header_only, "has a header but no rows"),
                      (folder, "is an empty folder (no .txt, .md, .html or .eml replies in it)")):
        result = audit("run", str(path), "--db", str(db), ok=False)
        assert result.exit_code == 2 and f"skipped {path}: {why}" in stderr(result), stderr(result)
    # Next to an input that has replies, an empty one is a warning, not an error.
    good = write_jsonl(tmp_path / "good.jsonl", [{"text": ANN}])
    result = audit("run", str(good), str(empty), "--db", str(db))
    assert f"skipped {empty}: is empty (no rows)" in stderr(result) and "1 rows/files skipped" in stderr(result)


# -- 2. an edited reply in an export without an id column -----------------------------------

NO_ID_MAP = "text=body,agent=author,ticket=ticket_id,created_at=created,direction=from_role"


def _no_id_rows(first_body: str):
    return [{"ticket_id": "T1", "author": "Sam", "from_role": "agent", "created": "2024-06-10T11:00:00Z", "body": first_body},
            {"ticket_id": "T1", "author": "Sam", "from_role": "agent", "created": "2024-06-11T11:00:00Z", "body": BOB}]


def test_edited_reply_without_id_column_is_replaced_not_added(tmp_path):
    export = write_jsonl(tmp_path / "e.jsonl", _no_id_rows(ANN))
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--map", NO_ID_MAP)
    ids = db_rows(db, "SELECT id FROM messages ORDER BY created_at")
    edited = "We restarted the service on all three nodes and it works now."
    write_jsonl(export, _no_id_rows(edited))
    result = audit("run", str(export), "--db", str(db), "--map", NO_ID_MAP)
    assert reply_texts(db) == sorted([edited, BOB])
    assert db_rows(db, "SELECT COUNT(*) FROM messages WHERE ticket = 'T1'") == [(2,)]  # the thread has two messages
    assert db_rows(db, "SELECT checked, unchanged FROM runs ORDER BY id DESC LIMIT 1") == [(1, 1)]
    # The same reply, under the same id: replaced in place, not removed and added.
    assert db_rows(db, "SELECT id FROM messages ORDER BY created_at") == ids
    assert "no longer in their input" not in stderr(result)


def test_two_replies_in_the_same_second_without_id_column_are_both_kept(tmp_path):
    rows = _no_id_rows(ANN)
    rows[1]["created"] = rows[0]["created"]
    export = write_jsonl(tmp_path / "e.jsonl", rows)
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--map", NO_ID_MAP)
    assert reply_texts(db) == sorted([ANN, BOB])
    assert db_rows(db, "SELECT COUNT(*) FROM problems") == [(0,)]


# -- 11. a message changed from agent to customer -------------------------------------------

def test_message_changed_to_customer_is_no_longer_counted_as_a_reply(tmp_path):
    rows = [{"message_id": "m1", "ticket_id": "T1", "from_role": "agent", "created": "2024-06-10T11:00:00Z", "body": ANN},
            {"message_id": "m2", "ticket_id": "T1", "from_role": "agent", "created": "2024-06-11T11:00:00Z", "body": BOB}]
    export = write_jsonl(tmp_path / "e.jsonl", rows)
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--map", MAP)
    rows[1]["from_role"] = "customer"
    write_jsonl(export, rows)
    audit("run", str(export), "--db", str(db), "--map", MAP)
    out = tmp_path / "r.json"
    audit("report", "--db", str(db), "--out", str(out))
    summary = json.loads(out.read_text())["summary"]
    assert (summary["replies"], summary["customer_messages"]) == (1, 1)
    assert db_rows(db, "SELECT id FROM results") == [("m1",)]
    assert db_rows(db, "SELECT COUNT(*) FROM findings WHERE reply_id = 'm2'") == [(0,)]


# -- 12. a .txt reply that starts with "From " ------------------------------------------------

def test_txt_reply_starting_with_from_is_a_reply_not_an_mbox(tmp_path):
    text = "From our side, we reproduced the crash on version 4.2 and fixed it in build 4.2.1."
    reply = tmp_path / "from.txt"
    reply.write_text(text)
    db = tmp_path / "a.db"
    audit("run", str(reply), "--db", str(db))
    assert reply_texts(db) == [text]
    assert db_rows(db, "SELECT COUNT(*) FROM problems") == [(0,)]


def test_mbox_without_a_suffix_is_still_read_as_mail(tmp_path):
    box = tmp_path / "Inbox"
    box.write_text("From sam@support.example.com Mon Jun 10 11:00:00 2024\nFrom: Sam <sam@support.example.com>\n"
                   "Message-ID: <r1@s>\nDate: Mon, 10 Jun 2024 11:00:00 +0000\nSubject: Re: login\n\n" + ANN + "\n")
    db = tmp_path / "a.db"
    audit("run", str(box), "--db", str(db))
    assert db_rows(db, "SELECT id FROM results") == [("<r1@s>",)]


# -- 6. one bad timestamp ------------------------------------------------------------------------

def test_offsets_in_stamps_are_stored_and_an_unreadable_one_is_reported(tmp_path):
    """User review: a JavaScript stamp's GMT+0200 was dropped and the time read
    in the team's zone (New York) with no warning; Rails' "... UTC" was refused."""
    export = tmp_path / "gmt.csv"
    export.write_text(
        "ticket,id,created,author,role,body\n"
        'T1,m1,Tue Jul 08 2025 09:00:00 GMT+0200 (Central European Summer Time),Eva,customer,"Our gateway returns 502."\n'
        f"T1,m2,2025-07-08T08:00:00+02:00,Ana,agent,{ANN}\n"
        f"T1,m3,2025-07-08 09:00:00 UTC,Ana,agent,{BOB}\n"
        f"T1,m4,2025-07-08 10:00:00 GMT+2:3,Ana,agent,{BOB}\n", encoding="utf-8")
    db = tmp_path / "a.db"
    result = audit("run", str(export), "--db", str(db), "--timezone", "America/New_York",
                   "--map", "text=body,agent=author,ticket=ticket,created_at=created,id=id,direction=role")
    assert dict(db_rows(db, "SELECT id, created_at FROM messages")) == {
        "m1": "2025-07-08T07:00:00Z", "m2": "2025-07-08T06:00:00Z", "m3": "2025-07-08T09:00:00Z"}
    [(line, why)] = db_rows(db, "SELECT line, why FROM problems")
    assert line == 5 and "cannot read the time zone 'GMT+2:3'" in why
    assert f"{export}:5" in stderr(result)


def test_implausible_timestamp_is_reported_and_does_not_become_the_export_end(tmp_path):
    rows = [{"message_id": "c1", "ticket_id": "T1", "from_role": "customer", "created": "2024-06-10T09:00:00Z",
             "body": "The token API returns 400."},
            {"message_id": "a1", "ticket_id": "T1", "from_role": "agent", "created": "2024-06-10T11:00:00Z", "body": ANN},
            {"message_id": "a2", "ticket_id": "T2", "from_role": "agent", "created": 99999999999999, "body": BOB},
            {"message_id": "a3", "ticket_id": "T3", "from_role": "agent", "created": "Jun 10, 2024 9:00 PM", "body": BOB},
            {"message_id": "a4", "ticket_id": "T3", "from_role": "agent", "created": "Mon, 10 Jun 2024 22:00:00 CEST",
             "body": BOB}]
    export = write_jsonl(tmp_path / "e.jsonl", rows)
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db), "--map", MAP)
    problems = db_rows(db, "SELECT line, why FROM problems ORDER BY line")
    assert [line for line, _ in problems] == [3, 5]
    assert "the year 5138" in problems[0][1] and "unknown time zone name 'CEST'" in problems[1][1]
    assert db_rows(db, "SELECT created_at FROM messages WHERE id = 'a3'") == [("2024-06-10T21:00:00Z",)]  # PM read
    # The newest plausible message is the end of the export: T1, answered two
    # hours after the question, is not left behind or stagnant in the year 5138.
    assert db_rows(db, "SELECT MAX(created_at) FROM messages") == [("2024-06-10T21:00:00Z",)]
    assert db_rows(db, "SELECT rule FROM thread_findings WHERE ticket = 'T1'") == []
    # A database from before the fix may still hold a year-5138 message (an id
    # the export gave, so not removed): it is not taken as the end either.
    con = sqlite3.connect(db)
    with con:
        con.execute("INSERT INTO messages (id, ticket, direction, created_at, text_hash, text, input)"
                    " VALUES ('old', 'T9', 'customer', '5138-11-16T09:46:39Z', 'h', 'x', ?)", (str(export.resolve()),))
    con.close()
    audit("run", str(export), "--db", str(db), "--map", MAP)
    assert db_rows(db, "SELECT rule FROM thread_findings WHERE ticket = 'T1'") == []


# -- 9. mbox and .eml messages stored as their decoded reply -----------------------------------

def _base64_mail(sender: str, msg_id: str, date: str, body: str, reply_to: str | None = None) -> str:
    import base64

    encoded = base64.encodebytes(body.encode("utf-8")).decode("ascii")
    return (f"From {sender} Mon Jun  3 09:00:00 2024\nContent-Type: text/plain; charset=\"utf-8\"\nMIME-Version: 1.0\n"
            f"Content-Transfer-Encoding: base64\nFrom: {sender}\nMessage-ID: {msg_id}\nDate: {date}\nSubject: Crash\n"
            + (f"In-Reply-To: {reply_to}\n" if reply_to else "") + f"\n{encoded}\n")


def test_base64_mail_is_stored_decoded_so_closing_and_excerpts_see_the_words(tmp_path):
    closing = "Hi,\n\nWe could not reproduce this on 4.2.0; settings open fine on our side. Closing the ticket.\n\nAnn"
    box = tmp_path / "c.mbox"
    box.write_text(_base64_mail("c@client.com", "<1@c>", "Mon, 03 Jun 2024 09:00:00 +0000", "The app crashes.")
                   + _base64_mail("ann@support.example.com", "<2@s>", "Mon, 03 Jun 2024 11:00:00 +0000", closing, "<1@c>"))
    db = tmp_path / "a.db"
    out = tmp_path / "r.html"
    audit("run", str(box), "--db", str(db), "--agent-domain", "support.example.com", "--out", str(out))
    assert db_rows(db, "SELECT text, format FROM messages WHERE id = '<2@s>'") == [(closing, "text")]
    assert db_rows(db, "SELECT rule, message_id FROM thread_findings") == [("cannot-reproduce-then-closed", "<2@s>")]
    html = out.read_text(encoding="utf-8")
    assert "Closing the ticket." in html and "Content-Transfer-Encoding" not in html


def test_eml_file_with_only_an_html_part_is_stored_as_html(tmp_path):
    reply = tmp_path / "r.eml"
    reply.write_text("From: sam@support.example.com\nMessage-ID: <h1@s>\nMIME-Version: 1.0\n"
                     "Content-Type: text/html; charset=utf-8\n\n<p>We replaced the cable.</p>\n")
    db = tmp_path / "a.db"
    audit("run", str(reply), "--db", str(db))
    assert db_rows(db, "SELECT text, format FROM messages") == [("<p>We replaced the cable.</p>\n", "html")]


# -- 15. UTF-16 exports ----------------------------------------------------------------------------

def test_utf16_tsv_and_jsonl_with_byte_order_mark_are_read(tmp_path):
    tsv = tmp_path / "e.tsv"
    tsv.write_text("id\tticket\ttext\r\nu1\tT1\tWe replaced the cable in the café.\r\n", encoding="utf-16")  # with a BOM
    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text(json.dumps({"id": "u2", "text": BOB}) + "\n", encoding="utf-16")
    db = tmp_path / "a.db"
    audit("run", str(tsv), str(jsonl), "--db", str(db))
    assert dict(db_rows(db, "SELECT id, text FROM messages")) == {"u1": "We replaced the cable in the café.", "u2": BOB}
    assert db_rows(db, "SELECT COUNT(*) FROM problems") == [(0,)]


def test_a_database_of_the_previous_schema_gains_problem_keys_in_place(tmp_path):
    export = write_jsonl(tmp_path / "e.jsonl", [{"text": ANN}, {"text": BOB}])
    db = tmp_path / "a.db"
    audit("run", str(export), "--db", str(db))
    con = sqlite3.connect(db)
    with con:  # as schema 2 left it: problems without a key
        con.execute("DROP INDEX problems_key")
        con.execute("ALTER TABLE problems DROP COLUMN key")
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    con.close()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n", encoding="utf-8")
    audit("run", str(export), str(broken), "--db", str(db))
    assert db_rows(db, "SELECT value FROM meta WHERE key = 'schema'") == [(SCHEMA_VERSION,)]
    assert db_rows(db, "SELECT line, key IS NOT NULL FROM problems") == [(1, 1)]


def test_utf16_csv_without_byte_order_mark_exits_2_and_says_save_as_utf8(tmp_path):
    export = tmp_path / "e.csv"
    export.write_bytes("id,text\nu1,We replaced the cable.\n".encode("utf-16-le"))
    result = audit("run", str(export), "--db", str(tmp_path / "a.db"), ok=False)
    assert result.exit_code == 2
    assert f"{export}:1: has NUL bytes in its first line: UTF-16 without a byte-order mark" in stderr(result)
    assert "save it as UTF-8" in stderr(result)


def test_the_same_input_given_twice_keeps_its_replies(tmp_path):
    export = write_jsonl(tmp_path / "e.jsonl", [{"text": ANN}, {"text": BOB}])
    db = tmp_path / "a.db"
    audit("run", str(export), str(export), "--db", str(db))
    assert reply_texts(db) == sorted([ANN, BOB])  # the second reading's duplicates do not make the first's "gone"


def test_audit_databases_that_are_not_ours_and_unwritable_reports_are_clear_errors(tmp_path):
    """User review: tracebacks for a foreign SQLite file or a bad --out, and an
    unwritable --out found only after the whole audit had run."""
    foreign = tmp_path / "crm.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE customers (name TEXT)")
    con.commit()
    con.close()
    (tmp_path / "garbage.db").write_text("not a database")
    for db in (foreign, tmp_path / "garbage.db"):
        result = audit("report", "--db", str(db), ok=False)
        assert result.exit_code == 2 and "cannot be read as an audit database" in stderr(result)
    replies = tmp_path / "replies"
    replies.mkdir()
    (replies / "r.txt").write_text(ANN)
    result = audit("run", str(replies), "--db", str(foreign), ok=False)
    assert result.exit_code == 2 and "SQLite database of something else" in stderr(result)
    assert db_rows(foreign, "SELECT name FROM sqlite_master WHERE type = 'table'") == [("customers",)]
    db = tmp_path / "audit.db"
    (tmp_path / "report.html").mkdir()  # a folder where the report file should go
    result = audit("run", str(replies), "--db", str(db), "--out", str(tmp_path / "report.html"), ok=False)
    assert result.exit_code == 2 and "cannot be written there" in stderr(result)
    assert not db.exists()  # refused before checking anything


def test_audit_folder_without_times_says_why_threads_were_not_checked(tmp_path):
    ann, _ = two_folders(tmp_path)
    result = audit("run", str(ann), "--db", str(tmp_path / "a.db"))
    assert "thread checks skipped: no message has a time" in stderr(result) and "--as-of" in stderr(result)
    result = audit("run", str(ann), "--db", str(tmp_path / "b.db"), "--as-of", "2024-06-01")
    assert "thread checks skipped" not in stderr(result)
