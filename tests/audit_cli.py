"""Running `replylint audit` in a test the way a user does, and reading what
it wrote: shared by the audit test files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from replylint.cli import main


def audit(*args: str, ok: bool = True, run_options: tuple[str, ...] = ("-j", "1", "--no-progress")):
    """`replylint audit ARGS -q`; `audit run` with one job and no progress bar.
    Asserts exit 0 unless ``ok`` is false."""
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else CliRunner()
    extra = list(run_options) if args[0] == "run" else []
    result = runner.invoke(main, ["audit", *args, *extra, "-q"], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, (result.output, getattr(result, "stderr", ""))
    return result


def stderr(result) -> str:
    return getattr(result, "stderr", result.output)


def db_rows(db: Path, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()
