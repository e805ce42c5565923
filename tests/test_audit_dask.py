"""--engine dask: the same audit on a Dask cluster (a distributed.LocalCluster
started here, loopback only) writes the same results as a local run."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from replylint.cli import main

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed (pip install 'replylint[dask]')")
pytest.importorskip("dask.bag")

MAP = "text=body,agent=author,ticket=ticket_id,created_at=created,id=message_id,direction=from_role"
TEXTS = [
    ("We set up a two-node cluster on 4.2.0 with update level 45 and replayed your request. The token refresh "
     "succeeded on both nodes. Next, we will test the same flow with your keystore and update you by Friday 17:00 UTC."),
    "We could not reproduce this on our side. Please check at your end and let us know.",
    "Could you share the carbon log from node 2? We will get back to you soon.",
]


def test_audit_dask_engine_writes_the_same_results(tmp_path):
    rows = []
    for i in range(150):  # several partitions of 64 replies
        rows.append({"message_id": f"c{i}", "ticket_id": f"T{i % 20}", "author": "cust", "from_role": "customer",
                     "created": f"2024-06-{1 + i % 28:02d}T09:00:00Z", "body": "Any update?"})
        rows.append({"message_id": f"a{i}", "ticket_id": f"T{i % 20}", "author": f"agent{i % 3}", "from_role": "agent",
                     "created": f"2024-06-{1 + i % 28:02d}T12:00:00Z", "body": TEXTS[i % 3] + f" Ref {i}."})
    export = tmp_path / "e.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    local_db, dask_db = tmp_path / "local.db", tmp_path / "dask.db"
    runner = CliRunner()
    common = [str(export), "--map", MAP, "--no-progress", "-q"]
    assert runner.invoke(main, ["audit", "run", *common, "--db", str(local_db), "-j", "1"]).exit_code == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        result = runner.invoke(main, ["audit", "run", *common, "--db", str(dask_db), "--engine", "dask",
                                      "--scheduler", cluster.scheduler_address], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    queries = ["SELECT id, kind, score, elements, requests, eta, n_findings FROM results ORDER BY id",
               "SELECT reply_id, pos, rule, severity, message, line, col, suggestion FROM findings ORDER BY reply_id, pos",
               "SELECT ticket, pos, rule, message, message_id FROM thread_findings ORDER BY ticket, pos"]
    a, b = sqlite3.connect(local_db), sqlite3.connect(dask_db)
    for q in queries:
        assert a.execute(q).fetchall() == b.execute(q).fetchall(), q
    assert b.execute("SELECT engine, checked FROM runs").fetchall() == [("dask", 150)]


def test_audit_dask_needs_a_scheduler(tmp_path):
    export = tmp_path / "e.jsonl"
    export.write_text(json.dumps({"body": "We fixed it in update 46."}) + "\n")
    result = CliRunner().invoke(main, ["audit", "run", str(export), "--db", str(tmp_path / "a.db"), "--engine", "dask",
                                       "--no-progress"])
    assert result.exit_code == 2 and "--scheduler" in result.output
