"""An audit interrupted half-way (Ctrl-C, kill -9 of the whole process group)
resumes where it stopped: nothing lost, nothing checked or counted twice.
Runs the real command in a subprocess with worker processes."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAP = "text=body,agent=author,ticket=ticket_id,created_at=created,id=message_id,direction=from_role,status=status"
# Large enough that a run cannot finish between two of its commits (every
# 0.5 s): with a faster engine, 1,200 replies were once all checked before the
# kill -9 landed.
N_REPLIES = 5000


def _generator():
    spec = importlib.util.spec_from_file_location("bench_audit", REPO / "bench" / "bench_audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        con.close()


def _start(export: Path, db: Path) -> subprocess.Popen:
    # Ctrl-C handled as in a terminal: a test run that a script started in the
    # background inherits SIGINT ignored, and its audit would never see it.
    program = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); from replylint.cli import main; main()"
    cmd = [sys.executable, "-c", program, "audit", "run", str(export), "--db", str(db),
           "--map", MAP, "--jobs", "2", "--quiet"]
    # A session of its own: the kill reaches the audit and its workers, like a
    # power loss or a Ctrl-C in a terminal.
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for_results(proc: subprocess.Popen, db: Path, at_least: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while _count(db, "SELECT COUNT(*) FROM results") < at_least:
        assert proc.poll() is None, f"the audit ended before it could be interrupted: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "the audit made no progress"
        time.sleep(0.05)


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_audit_resume_after_ctrl_c_and_kill_9(tmp_path):
    export = tmp_path / "export.jsonl"
    shape = _generator().generate(export, N_REPLIES, seed=11)
    total_messages = shape["replies"] + shape["customer_messages"]
    db = tmp_path / "audit.db"

    # 1. Ctrl-C: the run stops cleanly, says so, and keeps what it checked.
    proc = _start(export, db)
    _wait_for_results(proc, db, 64)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    after_ctrl_c = _count(db, "SELECT COUNT(*) FROM results")
    assert 0 < after_ctrl_c < N_REPLIES
    assert _count(db, "SELECT COUNT(*) FROM runs WHERE status = 'interrupted'") == 1

    # 2. kill -9 of the audit and its workers, later in a resumed run.
    proc = _start(export, db)
    _wait_for_results(proc, db, after_ctrl_c + 128)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    survived = _count(db, "SELECT COUNT(*) FROM results")
    assert after_ctrl_c < survived < N_REPLIES
    assert _count(db, "SELECT COUNT(*) FROM runs WHERE status = 'running'") == 1  # it never finished
    # A report built now says the run stopped, not that it is still running.
    shown = subprocess.run([sys.executable, "-c", "from replylint.cli import main; main()", "audit", "report", "--db",
                            str(db), "-f", "json"], capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0 and json.loads(shown.stdout)["last_run"]["status"] == "stopped", shown.stderr

    # 3. The next run checks exactly what is missing, and the totals are exact.
    proc = _start(export, db)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    last = sqlite3.connect(db).execute("SELECT checked, unchanged, status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert last == (N_REPLIES - survived, survived, "done")
    assert _count(db, "SELECT COUNT(*) FROM runs WHERE status = 'running'") == 0  # the killed run is marked stopped
    assert _count(db, "SELECT COUNT(*) FROM results") == N_REPLIES
    assert _count(db, "SELECT COUNT(DISTINCT id) FROM results") == N_REPLIES
    assert _count(db, "SELECT COUNT(*) FROM messages") == total_messages
    assert _count(db, "SELECT COUNT(*) FROM results r LEFT JOIN messages m ON m.id = r.id WHERE m.id IS NULL") == 0
    # Every finding belongs to a stored reply and matches its count.
    assert _count(db, "SELECT COUNT(*) FROM findings") == _count(db, "SELECT SUM(n_findings) FROM results")
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(DISTINCT ticket) FROM tickets").fetchone()[0] == shape["tickets"]


@contextmanager
def _audit_session(tmp_path: Path, seed: int):
    """A generated export and a running audit of it in a session of its own;
    whatever is left of the session is killed at the end."""
    export = tmp_path / "export.jsonl"
    _generator().generate(export, N_REPLIES, seed=seed)
    db = tmp_path / "audit.db"
    proc = _start(export, db)
    try:
        yield proc, db
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _assert_session_ends(proc: subprocess.Popen, why: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(proc.pid, 0)  # anyone of the audit's session still alive?
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, why
        time.sleep(0.2)


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_audit_workers_end_when_the_audit_alone_is_killed(tmp_path):
    """kill -9 of the main process only (the OOM killer, `kill PID`): its workers
    must not linger, each holding an engine's memory, blocked on a half-read batch."""
    with _audit_session(tmp_path, seed=12) as (proc, db):
        _wait_for_results(proc, db, 64)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        _assert_session_ends(proc, "worker processes outlived the killed audit")


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_audit_sigterm_saves_and_stops_like_ctrl_c(tmp_path):
    """`kill`, `timeout` and systemd send SIGTERM to the whole group: the audit
    saves what came back, says so, marks the run interrupted, and leaves no
    worker behind."""
    with _audit_session(tmp_path, seed=13) as (proc, db):
        _wait_for_results(proc, db, 64)
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "interrupted" in err, err
        assert _count(db, "SELECT COUNT(*) FROM runs WHERE status = 'interrupted'") == 1
        assert 0 < _count(db, "SELECT COUNT(*) FROM results") < N_REPLIES
        _assert_session_ends(proc, "worker processes outlived the stopped audit")
