"""One audit run: read the inputs, skip replies already checked with the same
text and rule set, check the rest in batches, store everything, then run the
thread checks on the tickets whose messages changed.

The order of writes is what makes resume safe: a message row is written when it
is read, its result row when its batch comes back, both committed every
``COMMIT_SECONDS``. A run killed at any point leaves messages without results
(or with results for an older text), and the next run checks exactly those.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from .config import AuditConfig
from .readers import (
    AGENT,
    Message,
    Problem,
    input_size,
    is_table_input,
    read_input,
    row_key,
    split_origin,
)
from .store import ReplyRow, Store, ticket_rows
from .threads import ThreadChecks, run_thread_rules, thread_message, thread_ruleset_hash
from .timeutil import from_utc_text, to_utc_text
from .workers import (
    BATCH_SIZE,
    CheckerError,
    DaskCheckers,
    EngineSpec,
    InlineCheckers,
    ProcessCheckers,
    engine_settings,
    ruleset_hash,
)

COMMIT_SECONDS = 0.5
READ_CHUNK = 256
# How a run has seen a message's id: first here, again with the same text, again with another text.
NEW, AGAIN, REPLACED = "new", "again", "replaced"


@dataclass(frozen=True)
class AuditRequest:
    inputs: tuple[Path, ...]
    engine_spec: EngineSpec
    audit: AuditConfig
    threads: ThreadChecks
    jobs: int = 1
    engine: str = "local"  # local | dask
    scheduler: str | None = None
    as_of: datetime | None = None
    recheck: bool = False  # check every reply again, even unchanged ones
    prune: bool = False  # remove stored messages with made-up ids that their input no longer yields


@dataclass
class RunCounts:
    read: int = 0  # messages read (agent + customer)
    customer: int = 0
    checked: int = 0  # replies checked in this run
    unchanged: int = 0  # replies skipped: same text and rule set as stored
    problems: int = 0  # rows/files reported and skipped, each distinct problem once
    replaced: int = 0  # messages whose id came again with another text: the later one (input order) was kept
    errors: int = 0  # replies the engine could not check
    tickets_checked: int = 0
    threads_untimed: bool = False  # thread checks skipped: no message has a time and no --as-of was given
    removed: int = 0  # stored messages with made-up ids that their input no longer yields
    internal: int = 0  # internal (private) notes read and left out of scoring and thread checks
    status_by_name: int = 0  # messages whose status came from a column named "status" that no map named
    # Stored messages from another input of another source (see
    # AuditConfig.source_key) that a message with the same id replaced, and
    # stored tickets of another source that this run's messages joined:
    # two helpdesks' ids colliding, each counted once per run.
    other_source_replaced: int = 0
    other_source_tickets: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class RunOutcome:
    run_id: int
    counts: RunCounts
    seconds: float
    problems: list[Problem] = field(default_factory=list)  # the first ones, for the terminal
    unreadable: list[Problem] = field(default_factory=list)  # inputs that could not be read at all
    unknown_directions: dict[str, int] = field(default_factory=dict)  # direction value -> rows skipped for it


def start_checkers(request: AuditRequest):
    if request.engine == "dask":
        if not request.scheduler:
            raise CheckerError("--engine dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        return DaskCheckers(request.engine_spec, request.scheduler)
    if request.jobs <= 1:
        return InlineCheckers(request.engine_spec)
    return ProcessCheckers(request.engine_spec, request.jobs)


def run_audit(request: AuditRequest, store: Store,
              on_progress: Callable[[int, RunCounts], None] = lambda done, counts: None,
              keep_problems: int = 20, make_checkers: Callable[[AuditRequest], Any] = start_checkers) -> RunOutcome:
    """Run one audit. Checkers (worker processes, a Dask client) start only
    when the first reply needs checking: a re-audit of an unchanged export
    starts none."""
    started = time.monotonic()
    settings, registry = engine_settings(request.engine_spec)
    ruleset = ruleset_hash(settings, registry)
    run_id = store.start_run([str(p) for p in request.inputs], request.engine, ruleset)
    counts = RunCounts()
    outcome = RunOutcome(run_id, counts, 0.0)
    in_flight_limit = max(2, request.jobs * 3) if request.engine == "local" else 32
    state: dict[str, Any] = {"in_flight": 0, "last_commit": time.monotonic(), "checkers": None, "seq": 0}
    pending: list[tuple[str, str, str, str]] = []
    # id -> text hash of every message read in this run. An id read again is
    # the same message: with the same text it counts once and is not checked
    # again; with another text the later one in input order replaces it, in
    # this run as in the next (a newer export given after an older one).
    seen: dict[str, str] = {}
    # What "replaced" counts: ids whose stored text at their first reading in
    # this run (stored_before) differs from what the run leaves stored, and ids
    # new to the database that the run read with two texts. A re-run of the
    # same overlapping exports then replaces nothing.
    stored_before: dict[str, str] = {}
    replaced_in_run: set[str] = set()
    problem_keys: set[str] = set()  # each distinct problem counted once per run
    note_ids: set[str] = set()  # each internal note counted once per run, as messages are
    other_source_ids: set[str] = set()
    other_source_tickets: set[str] = set()

    def checkers() -> Any:
        if state["checkers"] is None:
            state["checkers"] = make_checkers(request)
        return state["checkers"]

    def save(rows: list[ReplyRow]) -> None:
        # A result for a text that a later copy of the message replaced (both
        # were checked, in batches that may come back in any order) is dropped.
        rows = [r for r in rows if seen.get(r.id, r.text_hash) == r.text_hash]
        store.save_results(rows, ruleset, run_id)
        counts.checked += len(rows)
        counts.errors += sum(1 for r in rows if r.error)
        state["in_flight"] -= 1

    def submit(batch: list[tuple[str, str, str, str]]) -> None:
        while state["in_flight"] >= in_flight_limit:
            save(checkers().get())
        checkers().put(batch)
        state["in_flight"] += 1

    def maybe_commit(done_bytes: int, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - state["last_commit"] >= COMMIT_SECONDS:
            store.update_run(run_id, **_run_columns(counts))
            store.commit()
            store.begin()
            state["last_commit"] = now
            on_progress(done_bytes, counts)

    def flush_messages(messages: list[tuple[Message, str]], input_key: str, source_key: str | None) -> None:
        """Store ``messages``, each with how this run has seen its id (NEW,
        AGAIN with the same text, REPLACED by another text), and send the
        replies whose text has no result yet to the checkers."""
        first_read = [m for m, seen_as in messages if seen_as == NEW]
        stored_before.update(store.message_hashes([m.id for m in first_read]))
        # Said on stderr: nothing else shows that another helpdesk's ids collided.
        ids, tickets = store.from_other_sources([m.id for m, _ in messages],
                                                sorted({m.ticket for m, _ in messages if m.ticket is not None}),
                                                input_key, source_key)
        other_source_ids.update(ids)
        other_source_tickets.update(tickets)
        counts.other_source_replaced, counts.other_source_tickets = len(other_source_ids), len(other_source_tickets)
        store.upsert_messages([m for m, _ in messages], state["seq"], input_key, source_key)
        state["seq"] += len(messages)
        # A row reported broken before and read fine now was fixed in the export.
        store.clear_problems_of_ids([m.id for m, _ in messages if not m.derived_id])
        counts.read += len(first_read)
        if "status" not in request.audit.mapped:
            counts.status_by_name += sum(1 for m in first_read if m.status is not None)
        counts.customer += sum(1 for m in first_read if m.direction != AGENT)
        # A message now marked as the customer's may have been scored as our
        # reply before: its result must not count as a reply any more.
        store.delete_results([m.id for m, _ in messages if m.direction != AGENT])
        # AGAIN: its text is checked (or known) already. Of two copies in one chunk, the later.
        agents = list({m.id: m for m, seen_as in messages if m.direction == AGENT and seen_as != AGAIN}.values())
        stored = {} if request.recheck else store.current_hashes([m.id for m in agents])
        for m in agents:
            th = m.text_hash
            if stored.get(m.id) == (th, ruleset):
                counts.unchanged += 1
                continue
            pending.append((m.id, m.text, m.format, th))
            if len(pending) >= BATCH_SIZE:
                submit(pending[:])
                pending.clear()

    def flush_chunk(messages: list[tuple[Message, str]], problems: list[Problem], notes: list[str], input_key: str,
                    source_key: str | None) -> None:
        flush_messages(messages, input_key, source_key)
        store.add_problems(input_key, problems, run_id)
        # A note stored as a message by an earlier run without the
        # public/private column must not go on counting as a reply.
        store.delete_messages(notes)

    store.begin()
    done_bytes = 0
    try:
        for path in request.inputs:
            # Problems are per input: a run replaces the problems of its inputs
            # (resolved, so ./x.jsonl and x.jsonl are the same input).
            input_key = str(path.resolve())
            source_key = request.audit.source_key(is_table_input(path))
            store.clear_problems(input_key)
            buffer: list[tuple[Message, str]] = []
            notes: list[str] = []  # ids of internal notes: a stored message under one of them is removed
            problems: list[Problem] = []
            read_ids: set[str] = set()
            # id -> (text hash, where) of the messages read from this input: one
            # export naming two different texts with one id has an id column
            # that is not a message id (a ticket id, say); merging would lose one.
            here: dict[str, tuple[str, str]] = {}
            unreadable = False
            input_problems = 0
            base = done_bytes
            for item, consumed in read_input(path, request.audit, settings.max_bytes):
                done_bytes = base + consumed
                if isinstance(item, Message) and not item.internal:
                    first_here = here.setdefault(item.id, (item.text_hash, item.origin))
                    if first_here[0] != item.text_hash:
                        item = Problem(*split_origin(item.origin),
                                       f"duplicate id {item.id!r} with another text (first at {first_here[1]}); skipped: "
                                       "the id column must name each message, not its ticket (check --map id=...)",
                                       key=row_key(f"duplicate {item.id} {item.text_hash}"))
                if isinstance(item, Message) and item.internal:
                    read_ids.add(item.id)
                    notes.append(item.id)
                    if item.id not in note_ids:
                        note_ids.add(item.id)
                        counts.internal += 1
                elif isinstance(item, Message):
                    read_ids.add(item.id)
                    earlier = seen.get(item.id)
                    seen[item.id] = item.text_hash
                    if earlier is None:
                        buffer.append((item, NEW))
                    elif earlier == item.text_hash:
                        buffer.append((item, AGAIN))
                    else:
                        replaced_in_run.add(item.id)
                        buffer.append((item, REPLACED))
                else:
                    input_problems += 1
                    if item.fatal:
                        unreadable = True
                        outcome.unreadable.append(item)
                    problems.append(item)
                    if item.identity not in problem_keys:  # the same row in two overlapping exports: once
                        problem_keys.add(item.identity)
                        counts.problems += 1
                        if item.unknown_direction is not None:
                            value = item.unknown_direction
                            outcome.unknown_directions[value] = outcome.unknown_directions.get(value, 0) + 1
                        if len(outcome.problems) < keep_problems:
                            outcome.problems.append(item)
                if len(buffer) >= READ_CHUNK or len(problems) >= READ_CHUNK or len(notes) >= READ_CHUNK:
                    flush_chunk(buffer, problems, notes, input_key, source_key)
                    buffer, problems, notes = [], [], []
                    maybe_commit(done_bytes)
            flush_chunk(buffer, problems, notes, input_key, source_key)
            # Only on request, and only for an input read whole: an empty file, an
            # unmounted share or one unreadable file must never cost stored replies.
            if request.prune and read_ids and not unreadable and not input_problems:
                counts.removed += remove_gone_messages(store, path, read_ids)
            done_bytes = base + max(input_size(path), done_bytes - base)
            maybe_commit(done_bytes)
        if pending:
            submit(pending[:])
            pending.clear()
        while state["in_flight"] > 0:
            save(checkers().get())
            maybe_commit(done_bytes)
        maybe_commit(done_bytes, force=True)
        checked = run_threads(store, request, maybe_commit=lambda: maybe_commit(done_bytes))
        counts.tickets_checked, counts.threads_untimed = checked or 0, checked is None
        store.update_run(run_id, status="done", **_run_columns(counts))
        store.commit()
    except BaseException as exc:
        # Ctrl-C or a failed worker: keep every result that came back.
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        try:
            if store.db.in_transaction:
                store.commit()
            store.update_run(run_id, status=status, **_run_columns(counts))
        except sqlite3.Error:
            pass
        raise
    finally:
        if state["checkers"] is not None:
            state["checkers"].close()
    counts.replaced = (sum(1 for i, h in stored_before.items() if seen.get(i, h) != h)
                       + len(replaced_in_run - stored_before.keys()))
    outcome.seconds = time.monotonic() - started
    return outcome


def _run_columns(counts: RunCounts) -> dict[str, int]:
    return {"read": counts.read, "checked": counts.checked, "unchanged": counts.unchanged,
            "customer": counts.customer, "problems": counts.problems, "errors": counts.errors}


def remove_gone_messages(store: Store, path: Path, read_ids: set[str]) -> int:
    """Remove the messages with made-up ids that ``path`` no longer yields (a
    deleted file, a row gone from an export without ids); the caller makes
    sure the input was read whole. Returns how many went."""
    gone = [i for i in store.derived_ids(str(path.resolve())) if i not in read_ids]
    store.delete_messages(gone)
    return len(gone)


# -- thread pass ---------------------------------------------------------------------

_ROW_KEYS = ("ticket", "id", "direction", "author", "created_at", "status", "text_hash", "text",
             "kind", "score", "elements", "requests", "eta", "ruleset")


def _grouped(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    ticket, group = None, []
    for row in rows:
        record = dict(zip(_ROW_KEYS, row))
        if record["ticket"] != ticket and group:
            yield ticket, group
            group = []
        ticket = record["ticket"]
        group.append(record)
    if group:
        yield ticket, group


def run_threads(store: Store, request: AuditRequest, maybe_commit: Callable[[], None] = lambda: None) -> int | None:
    """Run the thread checks on every ticket whose messages, results, thread
    rules or end-of-export moment changed since the last time. Returns how many
    tickets were checked, or None when no message has a time to check by."""
    audit = request.audit
    calendar = audit.calendar()
    store.delete_tickets_without_messages()
    as_of = request.as_of or from_utc_text(store.latest_message_time())
    if as_of is None:
        return None
    thread_settings = {"tz": audit.timezone, "days": audit.business_days, "holidays": [str(d) for d in audit.holidays],
                       "closed": audit.closed_statuses, "ignore": audit.ignore, "options": audit.thread_options}
    ruleset = thread_ruleset_hash(request.threads, thread_settings)
    known = store.ticket_digests()
    reader = sqlite3.connect(str(store.path))  # a second connection: read while the first writes
    checked = 0
    try:
        for ticket, group in _grouped(ticket_rows(reader)):
            digest = hashlib.blake2b(json.dumps(
                # the author too: a finding is attributed to an agent
                [[r["id"], r["direction"], r["author"], r["created_at"], r["status"], r["text_hash"], r["ruleset"]]
                 for r in group]
                + [to_utc_text(as_of)]).encode(), digest_size=12).hexdigest()
            if known.get(ticket) == (digest, ruleset):
                continue
            messages = [thread_message(r, calendar) for r in group]
            found = run_thread_rules(ticket, messages, request.threads, audit.thread_options, calendar, as_of,
                                     audit.closed_statuses, audit.ignore)
            store.save_thread_findings(ticket, digest, ruleset,
                                       [(f.rule, f.severity, f.message, f.message_id, f.at, f.agent) for f in found])
            checked += 1
            if checked % 200 == 0:
                maybe_commit()
    finally:
        reader.close()
    return checked
