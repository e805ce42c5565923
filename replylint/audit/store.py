"""The audit database (SQLite): one row per message, one result row per reply,
keyed by the reply's id and the hashes of its text and of the rule set.

Why these choices:
- WAL journal + ``synchronous=NORMAL``: a killed run (Ctrl-C, kill -9, power
  loss) leaves the database consistent; at worst the last batch is rolled back
  and checked again on resume. Results are committed in small transactions, so
  a resumed run skips everything that reached the disk.
- Upserts keyed by id: a reply checked twice (resume, re-export) replaces its
  row; nothing is counted twice.
- Each message records the input it was read from (its absolute path) and
  whether replylint made its id up. A made-up id exists only through its
  input, so with --prune, when that input is read again with no problem, its
  made-up ids that did not come back (a deleted file, a row gone from an export
  without ids) are removed with their results; ids from the export itself are
  kept (an export may be incremental).
- Problems keyed by what they are about (a row's message id, else its
  content; see readers.Problem.key), one row per key: the same broken row read
  again, under any file name, is one problem, listed where last seen.
- Findings in their own table so reports aggregate them in SQL; elements as a
  JSON object (their keys come from the check folders, not from this schema).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .readers import Message, Problem, problem_key_of_id
from .timeutil import EARLIEST_PLAUSIBLE, LATEST_PLAUSIBLE, to_utc_text

# 2: messages record their input and whether their id was made up; runs their
# process. A version-1 database (made-up ids not unique per input) is refused,
# not migrated: its ids cannot be matched to the new ones safely.
# 3: problems have a key (see readers.Problem.key), so the same broken row read
# under another file name is one problem. A version-2 database gains the column
# in place; its old problems have none and go when their input is read again.
# 4: messages record the source key of their input (see AuditConfig.source_key),
# so a run can tell another helpdesk's ids from a re-export's; thread findings
# record the agent they are attributed to. A version-2 or 3 database gains the
# columns in place (its messages' source stays unknown, never warned about) and
# forgets its tickets' digests, so the next run checks every thread again and
# attributes its findings.
SCHEMA_VERSION = "4"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, ticket TEXT, direction TEXT NOT NULL, author TEXT, created_at TEXT,
    status TEXT, format TEXT, text_hash TEXT NOT NULL, text TEXT NOT NULL, origin TEXT, seq INTEGER,
    input TEXT, derived_id INTEGER, source TEXT);
CREATE INDEX IF NOT EXISTS messages_ticket ON messages (ticket, created_at, seq);
CREATE TABLE IF NOT EXISTS results (
    id TEXT PRIMARY KEY, text_hash TEXT NOT NULL, ruleset TEXT NOT NULL, kind TEXT, score INTEGER,
    elements TEXT, requests TEXT, eta TEXT, error TEXT, n_findings INTEGER, checked_at TEXT, run_id INTEGER);
CREATE TABLE IF NOT EXISTS findings (
    reply_id TEXT NOT NULL, pos INTEGER NOT NULL, rule TEXT NOT NULL, severity TEXT, message TEXT,
    line INTEGER, col INTEGER, end_line INTEGER, end_col INTEGER, suggestion TEXT,
    PRIMARY KEY (reply_id, pos)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS findings_rule ON findings (rule);
CREATE TABLE IF NOT EXISTS tickets (ticket TEXT PRIMARY KEY, digest TEXT, thread_ruleset TEXT);
CREATE TABLE IF NOT EXISTS thread_findings (
    ticket TEXT NOT NULL, pos INTEGER NOT NULL, rule TEXT NOT NULL, severity TEXT, message TEXT,
    message_id TEXT, at TEXT, agent TEXT, PRIMARY KEY (ticket, pos)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS problems (input TEXT, file TEXT, line INTEGER, why TEXT, run_id INTEGER, key TEXT);
CREATE INDEX IF NOT EXISTS problems_input ON problems (input);
CREATE INDEX IF NOT EXISTS problems_key ON problems (key);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started_at TEXT, finished_at TEXT, status TEXT, inputs TEXT, engine TEXT,
    read INTEGER DEFAULT 0, checked INTEGER DEFAULT 0, unchanged INTEGER DEFAULT 0,
    customer INTEGER DEFAULT 0, problems INTEGER DEFAULT 0, errors INTEGER DEFAULT 0, ruleset TEXT,
    pid INTEGER, host TEXT);
CREATE INDEX IF NOT EXISTS messages_input ON messages (input);
"""


# The older versions migrated in place, oldest first: each step takes a
# database of that version to the next, with the columns it gains (table,
# column) and the statements to run after.
MIGRATIONS = ("2", "3")
MIGRATION_STEPS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {
    "2": ((("problems", "key"),), ()),
    "3": ((("messages", "source"), ("thread_findings", "agent")), ("DELETE FROM tickets",)),
}


def schema_mismatch(path: Path, version: str) -> str:
    if version in MIGRATIONS:
        return (f"{path}: written by an earlier replylint (database schema {version}, this one uses {SCHEMA_VERSION}); "
                "an `audit run` into it upgrades it in place, keeping its results; then rebuild the report")
    return (f"{path}: written by another replylint version (database schema {version}, this one uses {SCHEMA_VERSION}); "
            "audit into a new --db")


def run_is_alive(pid: int | None, host: str | None) -> bool:
    """Whether the process of a run marked 'running' still exists. A run from
    another host, or from before pids were recorded, is taken to be alive."""
    if pid is None or host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, under another user
    return True


def _id_chunks(ids: Sequence[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """``ids`` in slices for ``IN (...)``, with their "?,?,..." placeholders:
    SQLite caps the number of parameters in one statement."""
    for start in range(0, len(ids), size):
        chunk = list(ids[start:start + size])
        yield chunk, ",".join("?" * len(chunk))


class StoreError(Exception):
    """The database cannot be opened or is not an audit database."""


@dataclass(frozen=True)
class ReplyRow:
    """A checked reply as the workers send it back (JSON already encoded)."""

    id: str
    text_hash: str
    kind: str | None
    score: int | None
    elements: str  # JSON object
    requests: str  # JSON list of request sentences
    eta: str  # JSON list of the ETA's time phrases
    error: str | None
    findings: tuple[tuple[Any, ...], ...]  # (rule, severity, message, line, col, end_line, end_col, suggestion)


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """One open audit database. Not shared between processes: only the main
    process of an audit writes; workers return rows to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
            tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "meta" not in tables:
                # Someone else's SQLite file: adding our tables to it would be worse
                # than refusing.
                raise StoreError(f"{path}: is an SQLite database of something else (tables {', '.join(sorted(tables)[:5])}); "
                                 "give a new --db")
            if "meta" in tables:
                version = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                if version is not None and version[0] in MIGRATIONS:
                    self.db.execute("BEGIN")
                    for step in MIGRATIONS[MIGRATIONS.index(version[0]):]:
                        columns, statements = MIGRATION_STEPS[step]
                        for table, column in columns:
                            if column not in {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}:
                                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
                        for sql in statements:
                            self.db.execute(sql)
                    self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
                    self.db.execute("COMMIT")
                elif version is not None and version[0] != SCHEMA_VERSION:
                    raise StoreError(schema_mismatch(path, version[0]))
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not an audit database ({exc})") from None
        except OSError as exc:
            raise StoreError(f"{path}: cannot be created ({exc.strerror or exc})") from None

    def close(self) -> None:
        self.db.close()

    def remember(self, key: str, value: Any) -> None:
        """Keep ``value`` (JSON) under ``key`` in the meta table: what the last
        run used that its reports must use again (``audit report``)."""
        self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, json.dumps(value)))

    # -- transactions ---------------------------------------------------------
    def begin(self) -> None:
        self.db.execute("BEGIN")

    def commit(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    # -- runs -------------------------------------------------------------------
    def start_run(self, inputs: Sequence[str], engine: str, ruleset: str) -> int:
        # A run killed with -9 never wrote its end: say so, now that we know.
        for run_id, pid, host in self.db.execute("SELECT id, pid, host FROM runs WHERE status = 'running'").fetchall():
            if not run_is_alive(pid, host):
                self.db.execute("UPDATE runs SET status = 'stopped' WHERE id = ?", (run_id,))
        cur = self.db.execute("INSERT INTO runs (started_at, status, inputs, engine, ruleset, pid, host) "
                              "VALUES (?, 'running', ?, ?, ?, ?, ?)",
                              (now_text(), json.dumps(list(inputs)), engine, ruleset, os.getpid(), socket.gethostname()))
        return int(cur.lastrowid)

    def update_run(self, run_id: int, status: str | None = None, **counts: int) -> None:
        sets = [f"{k} = ?" for k in counts] + (["status = ?", "finished_at = ?"] if status else [])
        values = list(counts.values()) + ([status, now_text()] if status else [])
        self.db.execute(f"UPDATE runs SET {', '.join(sets)} WHERE id = ?", (*values, run_id))

    def last_runs(self, limit: int = 10) -> list[sqlite3.Row]:
        self.db.row_factory = sqlite3.Row
        try:
            return self.db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        finally:
            self.db.row_factory = None

    # -- messages and results ----------------------------------------------------
    def upsert_messages(self, messages: Sequence[Message], first_seq: int, input_key: str,
                        source_key: str | None = None) -> None:
        self.db.executemany(
            "INSERT INTO messages (id, ticket, direction, author, created_at, status, format, text_hash, text, origin, seq,"
            " input, derived_id, source)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET ticket=excluded.ticket,"
            " direction=excluded.direction, author=excluded.author, created_at=excluded.created_at,"
            " status=excluded.status, format=excluded.format, text_hash=excluded.text_hash, text=excluded.text,"
            " origin=excluded.origin, seq=excluded.seq, input=excluded.input, derived_id=excluded.derived_id,"
            " source=excluded.source"
            # an unchanged message (a re-audit) is not rewritten
            " WHERE (messages.text_hash, messages.ticket, messages.direction, messages.author, messages.created_at,"
            " messages.status, messages.origin, messages.input, messages.derived_id, messages.source) IS NOT"
            " (excluded.text_hash, excluded.ticket, excluded.direction, excluded.author, excluded.created_at,"
            " excluded.status, excluded.origin, excluded.input, excluded.derived_id, excluded.source)",
            [(m.id, m.ticket, m.direction, m.author, m.created_at, m.status, m.format, m.text_hash, m.text, m.origin,
              first_seq + i, input_key, int(m.derived_id), source_key)
             for i, m in enumerate(messages)])

    def from_other_sources(self, ids: Sequence[str], tickets: Sequence[str], input_key: str,
                           source_key: str | None) -> tuple[set[str], set[str]]:
        """Of ``ids`` and ``tickets``, those a stored message holds that came
        from another input with another source key: another helpdesk whose ids
        are the same, not a re-export (same source key) nor the same input read
        again. Messages with no source key (folders, mail, older databases)
        count as neither."""
        ids_out: set[str] = set()
        tickets_out: set[str] = set()
        if source_key is None:
            return ids_out, tickets_out
        foreign = "input IS NOT ? AND source IS NOT NULL AND source IS NOT ?"
        for chunk, marks in _id_chunks(ids):
            ids_out.update(i for (i,) in self.db.execute(f"SELECT id FROM messages WHERE id IN ({marks}) AND {foreign}",
                                                         (*chunk, input_key, source_key)))
        for chunk, marks in _id_chunks(tickets):
            tickets_out.update(t for (t,) in self.db.execute(
                f"SELECT DISTINCT ticket FROM messages WHERE ticket IN ({marks}) AND {foreign}", (*chunk, input_key, source_key)))
        return ids_out, tickets_out

    def derived_ids(self, input_key: str) -> list[str]:
        """The made-up ids stored for an input (see the module doc)."""
        return [i for (i,) in self.db.execute("SELECT id FROM messages WHERE input = ? AND derived_id = 1", (input_key,))]

    def delete_messages(self, ids: Sequence[str]) -> None:
        """Messages gone from their input, with their results and findings."""
        for chunk, marks in _id_chunks(ids):
            self.db.execute(f"DELETE FROM messages WHERE id IN ({marks})", chunk)
        self.delete_results(ids)

    def delete_results(self, ids: Sequence[str]) -> None:
        for chunk, marks in _id_chunks(ids):
            self.db.execute(f"DELETE FROM findings WHERE reply_id IN ({marks})", chunk)
            self.db.execute(f"DELETE FROM results WHERE id IN ({marks})", chunk)

    def delete_tickets_without_messages(self) -> None:
        """Thread findings of tickets none of whose messages is stored any more."""
        for table in ("thread_findings", "tickets"):
            self.db.execute(f"DELETE FROM {table} WHERE ticket NOT IN"
                            " (SELECT ticket FROM messages WHERE ticket IS NOT NULL)")

    def current_hashes(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """id -> (text hash, rule set hash) of the stored results among ``ids``."""
        out: dict[str, tuple[str, str]] = {}
        for chunk, marks in _id_chunks(ids):
            for rid, th, rs in self.db.execute(f"SELECT id, text_hash, ruleset FROM results WHERE id IN ({marks})", chunk):
                out[rid] = (th, rs)
        return out

    def save_results(self, rows: Iterable[ReplyRow], ruleset: str, run_id: int) -> int:
        stamp = now_text()
        n = 0
        for r in rows:
            n += 1
            self.db.execute("DELETE FROM findings WHERE reply_id = ?", (r.id,))
            self.db.execute(
                "INSERT INTO results (id, text_hash, ruleset, kind, score, elements, requests, eta, error, n_findings, checked_at, run_id)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET text_hash=excluded.text_hash,"
                " ruleset=excluded.ruleset, kind=excluded.kind, score=excluded.score, elements=excluded.elements,"
                " requests=excluded.requests, eta=excluded.eta, error=excluded.error, n_findings=excluded.n_findings,"
                " checked_at=excluded.checked_at, run_id=excluded.run_id",
                (r.id, r.text_hash, ruleset, r.kind, r.score, r.elements, r.requests, r.eta, r.error, len(r.findings), stamp, run_id))
            if r.findings:
                self.db.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?,?)",
                                    [(r.id, i, *f) for i, f in enumerate(r.findings)])
        return n

    # -- problems -------------------------------------------------------------------
    def clear_problems(self, input_name: str) -> None:
        self.db.execute("DELETE FROM problems WHERE input = ?", (input_name,))

    def add_problems(self, input_name: str, problems: Sequence[Problem], run_id: int) -> None:
        """Store each problem once: one with the key of a stored one (the same
        row under another file name, or read again) takes its place, so the
        report lists it at the place it was last seen and counts it once."""
        for p in problems:
            self.db.execute("DELETE FROM problems WHERE key = ?", (p.identity,))
            self.db.execute("INSERT INTO problems (input, file, line, why, run_id, key) VALUES (?,?,?,?,?,?)",
                            (input_name, p.file, p.line, p.why, run_id, p.identity))

    def clear_problems_of_ids(self, ids: Sequence[str]) -> None:
        """Problems of rows whose message has now been read fine (the row was
        fixed in a newer export): resolved, whichever input reported them."""
        keys = [problem_key_of_id(i) for i in ids]
        for chunk, marks in _id_chunks(keys):
            self.db.execute(f"DELETE FROM problems WHERE key IN ({marks})", chunk)

    def message_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """id -> text hash of the stored messages among ``ids``."""
        out: dict[str, str] = {}
        for chunk, marks in _id_chunks(ids):
            out.update(self.db.execute(f"SELECT id, text_hash FROM messages WHERE id IN ({marks})", chunk))
        return out

    # -- threads --------------------------------------------------------------------
    def ticket_rows(self) -> Iterator[tuple[Any, ...]]:
        return ticket_rows(self.db)

    def ticket_digests(self) -> dict[str, tuple[str, str]]:
        return {t: (d, r) for t, d, r in self.db.execute("SELECT ticket, digest, thread_ruleset FROM tickets")}

    def save_thread_findings(self, ticket: str, digest: str, ruleset: str, findings: Sequence[tuple[Any, ...]]) -> None:
        self.db.execute("DELETE FROM thread_findings WHERE ticket = ?", (ticket,))
        self.db.executemany("INSERT INTO thread_findings (ticket, pos, rule, severity, message, message_id, at, agent)"
                            " VALUES (?,?,?,?,?,?,?,?)",
                            [(ticket, i, *f) for i, f in enumerate(findings)])
        self.db.execute("INSERT INTO tickets VALUES (?,?,?) ON CONFLICT(ticket) DO UPDATE SET digest=excluded.digest,"
                        " thread_ruleset=excluded.thread_ruleset", (ticket, digest, ruleset))

    def latest_message_time(self) -> str | None:
        # The readers reject implausible dates (year 5138), but a row written
        # any other way must not become every ticket's "now" either.
        row = self.db.execute("SELECT MAX(created_at) FROM messages WHERE created_at >= ? AND created_at < ?",
                              (to_utc_text(EARLIEST_PLAUSIBLE), to_utc_text(LATEST_PLAUSIBLE))).fetchone()
        return row[0] if row else None

    def count(self, sql: str, *args: Any) -> int:
        return int(self.db.execute(sql, args).fetchone()[0] or 0)


def ticket_rows(db: sqlite3.Connection) -> Iterator[tuple[Any, ...]]:
    """Every message of every ticket with its reply result, ticket by ticket, in
    time order (ties in input order). Takes a connection so the thread pass can
    read through a second one while the first writes."""
    return db.execute(
        "SELECT m.ticket, m.id, m.direction, m.author, m.created_at, m.status, m.text_hash, m.text,"
        " r.kind, r.score, r.elements, r.requests, r.eta, r.ruleset"
        " FROM messages m LEFT JOIN results r ON r.id = m.id"
        " WHERE m.ticket IS NOT NULL ORDER BY m.ticket, m.created_at, m.seq")
