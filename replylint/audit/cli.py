"""`replylint audit`: check past replies in bulk and report on them.

    replylint audit run EXPORT.jsonl [MORE...] [--db .replylint/audit.db] [--out report.html]
    replylint audit EXPORT.jsonl ...          (same as `audit run`)
    replylint audit report [--db ...] [--out report.html|.json|.csv]

The terminal summary goes to stdout; the progress bar and messages go to stderr,
so `--format json` output stays clean.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

EXIT_ERROR = 2


class Fail(click.ClickException):
    """Usage, configuration or input errors: exit 2, as `replylint check` does.
    (Not imported from replylint.cli, which imports this module at its end.)"""

    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:
        click.echo(f"replylint: error: {self.format_message()}", err=True)

DEFAULT_DB = Path(".replylint") / "audit.db"
OUT_KINDS = {".html": "html", ".htm": "html", ".json": "json", ".csv": "csv"}


class AuditGroup(click.Group):
    """`replylint audit FILE...` runs an audit: a first argument that is not a
    subcommand is taken as an input of `audit run`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("audit", cls=AuditGroup, context_settings={"help_option_names": ["-h", "--help"]})
def audit() -> None:
    """Audit past replies (ticket exports, folders, mbox) and report on them."""


def _config_path(config: Path | None) -> Path | None:
    from ..config import find_config

    return config if config is not None else find_config(Path.cwd())


def _load(config: Path | None, select, ignore, model):
    """Engine spec, audit settings, thread checks, engine settings and the
    check registry they were validated against (errors exit 2)."""
    from ..config import ConfigError
    from ..registry import CheckLoadError
    from .config import AuditConfig, parse_audit_table, read_config_table
    from .threads import load_thread_checks
    from .timeutil import TimeError
    from .workers import EngineSpec, engine_settings

    path = _config_path(config)
    spec = EngineSpec(str(path) if path else None,
                      tuple(x for s in select for x in s.split(",") if x),
                      tuple(x for s in ignore for x in s.split(",") if x), model)
    try:
        settings, registry = engine_settings(spec)
        threads = load_thread_checks(settings.check_folders)
        audit_cfg = AuditConfig()
        if path is not None:
            _, table, prefix = read_config_table(path)
            audit_cfg = parse_audit_table(table, f"{path}: {prefix}audit", threads.defaults())
    except (ConfigError, CheckLoadError, TimeError) as exc:
        raise Fail(str(exc)) from None
    return spec, audit_cfg, threads, settings, registry


def _outputs(outs: tuple[str, ...]) -> list[tuple[Path, str]]:
    result = []
    for out in outs:
        kind = OUT_KINDS.get(Path(out).suffix.lower())
        if kind is None:
            raise click.UsageError(f"--out {out}: the name must end in .html, .json or .csv")
        path = Path(out)
        # Checked before the audit runs: a report that cannot be written should
        # not be found out after an hour of checking.
        existing = next(p for p in (path.parent.resolve(), *path.parent.resolve().parents) if p.exists())
        if (path.is_dir() or not existing.is_dir() or not os.access(existing, os.W_OK)
                or (path.exists() and not os.access(path, os.W_OK))):
            raise Fail(f"--out {out}: cannot be written there (not a writable folder, or the file is read-only)")
        result.append((path, kind))
    return result


def _write_reports(db_path: Path, outs: list[tuple[Path, str]], output_format: str, threads, settings_rules, audit_cfg,
                   quiet: bool) -> None:
    import json
    import sqlite3

    from rich.console import Console

    from .report import gather, render_html, render_terminal, write_csv, write_json
    from .store import SCHEMA_VERSION, schema_mismatch

    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise Fail(f"{db_path}: cannot be read as an audit database ({exc}); give the --db an audit run wrote") from None
    if version is not None and version[0] != SCHEMA_VERSION:
        db.close()
        raise Fail(schema_mismatch(db_path, version[0]))
    if not outs and output_format == "text" and quiet:
        db.close()
        return  # nothing to show: do not read the whole database
    try:
        summaries, element_rules = settings_rules
        # The rules the last run used (its --select/--ignore), not today's config's.
        used = db.execute("SELECT value FROM meta WHERE key = 'compliance_rules'").fetchone()
        if used is not None:
            element_rules = json.loads(used[0])
        data = gather(db, rules=summaries, element_rules=element_rules,
                      thread_rules={r: s.summary for r, s in threads.rules.items()},
                      unwanted=threads.unwanted_elements, neutral=threads.neutral_elements,
                      zone=audit_cfg.calendar().zone)
        for path, kind in outs:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("w", encoding="utf-8", newline="" if kind == "csv" else None) as fh:
                    if kind == "html":
                        fh.write(render_html(data))
                    elif kind == "json":
                        write_json(data, db, fh)
                    else:
                        write_csv(db, fh)
            except OSError as exc:
                raise Fail(f"--out {path}: cannot be written ({exc.strerror or exc}); the results are in {db_path}, "
                           "rebuild the report with `replylint audit report`") from None
            click.echo(f"replylint: wrote {path}", err=True)
    except sqlite3.DatabaseError as exc:
        raise Fail(f"{db_path}: cannot be read as an audit database ({exc})") from None
    finally:
        db.close()
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif not quiet:
        render_terminal(data, Console(file=sys.stdout, soft_wrap=False, width=max(100, Console().width)))


def _rule_summaries(registry, settings) -> tuple[dict[str, str], dict[str, list[list[Any]]]]:
    """Each rule's summary; and per reply element, the rules on in these
    settings that report its breach, each as [rule id, kinds it looks at, the
    element a reply must show for it to look] (the report's compliance)."""
    element_rules: dict[str, list[list[Any]]] = {}
    for rid, spec in registry.rules.items():
        if spec.element is not None and settings.selects(rid):
            element_rules.setdefault(spec.element, []).append([rid, list(spec.kinds), spec.applies_when])
    return {rid: spec.summary for rid, spec in registry.rules.items()}, element_rules


common = [
    click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DB, show_default=True,
                 help="The audit database (SQLite)."),
    click.option("--out", "outs", multiple=True, help="Write a report: report.html, report.json or report.csv (repeatable)."),
    click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
                 help="Summary on stdout: a table, or the report as JSON."),
    click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
                 help="Config file (default: the nearest .replylint.toml / pyproject.toml [tool.replylint]); its [audit] table holds audit settings."),
    click.option("--quiet", "-q", is_flag=True, help="No summary table on stdout."),
]


def with_common(func):
    for opt in reversed(common):
        func = opt(func)
    return func


@audit.command("run")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@with_common
@click.option("--map", "field_map", help="Export columns: text=body,agent=author,ticket=ticket_id,created_at=created,id=message_id,direction=from_role,status=state")
@click.option("--source", help="The helpdesk these inputs come from (e.g. zendesk): prefixes their ticket and message ids "
                                "(zendesk:1201) so that two helpdesks audited into one --db never share a ticket; "
                                "overrides [audit] source.")
@click.option("--jobs", "-j", type=click.IntRange(1, 512), default=None, help="Worker processes [default: all cores].")
@click.option("--engine", "engine_kind", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", help="Dask scheduler address (with --engine dask), e.g. tcp://10.0.0.5:8786.")
@click.option("--as-of", "as_of", help="End of the export for thread checks (ISO date/time) [default: newest message].")
@click.option("--timezone", help="Team time zone (business days, weeks, naive timestamps); overrides [audit] timezone.")
@click.option("--agent-domain", "agent_domains", multiple=True, help="Mail/mbox: senders at this domain are agents (repeatable).")
@click.option("--input-format", type=click.Choice(["auto", "text", "markdown", "html", "eml"]), help="Format of the text column [default: auto].")
@click.option("--recheck", is_flag=True, help="Check every reply again, even unchanged ones.")
@click.option("--prune", is_flag=True,
              help="Remove stored messages whose made-up id their input no longer yields (a deleted reply file, a row "
                   "gone from an export without ids); only for inputs read with no problem. Ids from the export are "
                   "never removed.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.option("--select", multiple=True, help="Only these reply rule ids (comma-separated; repeatable).")
@click.option("--ignore", multiple=True, help="Skip these reply rule ids (comma-separated; repeatable).")
@click.option("--model", help="Use an installed spaCy pipeline; never downloaded.")
def run(inputs, db_path, outs, output_format, config, quiet, field_map, source, jobs, engine_kind, scheduler, as_of, timezone,
        agent_domains, input_format, recheck, prune, no_progress, select, ignore, model):
    """Check replies from exports, folders and mbox files into the database."""
    from dataclasses import replace

    from ..config import ConfigError
    from .config import check_source_name
    from .pipeline import AuditRequest
    from .store import Store, StoreError
    from .timeutil import TimeError, parse_timestamp, zone
    from .workers import CheckerError

    outputs = _outputs(outs)
    if engine_kind == "dask" and not scheduler:
        raise click.UsageError("--engine dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    spec, audit_cfg, threads, settings, registry = _load(config, select, ignore, model)
    try:
        audit_cfg = audit_cfg.with_map(field_map)
        if source is not None:
            audit_cfg = replace(audit_cfg, source=check_source_name(source, "--source"))
        if timezone:
            zone(timezone)
            audit_cfg = replace(audit_cfg, timezone=timezone)
        if agent_domains:
            audit_cfg = replace(audit_cfg, agent_domains=tuple(d.lower().lstrip("@") for d in agent_domains))
        if input_format:
            audit_cfg = replace(audit_cfg, input_format=input_format)
        as_of_moment = parse_timestamp(as_of, zone(audit_cfg.timezone)) if as_of else None
    except (ConfigError, TimeError) as exc:
        raise Fail(f"{exc}") from None
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise Fail(f"{', '.join(missing)}: no such file or folder (give ticket exports .jsonl/.csv/.tsv, folders of replies, "
                   "mbox files or .txt/.md/.html/.eml replies)")
    jobs = jobs or os.cpu_count() or 1
    request = AuditRequest(tuple(inputs), spec, audit_cfg, threads, jobs=jobs, engine=engine_kind, scheduler=scheduler,
                           as_of=as_of_moment, recheck=recheck, prune=prune)
    rule_vocabulary = _rule_summaries(registry, settings)
    try:
        store = Store(db_path)
    except StoreError as exc:
        raise Fail(str(exc)) from None
    store.remember("compliance_rules", rule_vocabulary[1])
    # `kill`, `timeout` and systemd stop a process with SIGTERM: save and stop as
    # on Ctrl-C, instead of dying with the last results unsaved and the run
    # marked running.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        outcome = _run_with_progress(request, store, show=not no_progress)
    except KeyboardInterrupt:
        click.echo("replylint: interrupted; the results so far are saved, run the same command again to resume", err=True)
        sys.exit(130)
    except (CheckerError, ConfigError) as exc:
        raise Fail(str(exc)) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        store.close()
    c = outcome.counts
    click.echo(f"replylint: {c.checked} replies checked, {c.unchanged} unchanged (skipped), {c.customer} customer messages, "
               + (f"{c.internal} internal notes left out (not scored, not in thread checks), " if c.internal else "")
               + f"{c.problems} rows/files skipped, {c.errors} failed, {c.tickets_checked} tickets thread-checked "
               f"in {outcome.seconds:.1f} s ({c.checked / outcome.seconds if outcome.seconds else 0:.0f} replies/s); database {db_path}",
               err=True)
    if c.threads_untimed and c.read:  # with nothing read, the error below says why
        click.echo("replylint: thread checks skipped: no message has a time (files in a folder carry none); give "
                   "--as-of DATE to run them with the messages in file order, or audit an export with a created_at column",
                   err=True)
    if c.status_by_name:
        column = audit_cfg.field_map["status"]
        click.echo(f"replylint: no field map given, so the column '{column}' was read as the ticket status of "
                   f"{c.status_by_name} messages; to leave it out, name the columns to read with --map (or [audit] map)",
                   err=True)
    if c.replaced:
        click.echo(f"replylint: {c.replaced} stored messages replaced by a copy with the same id and another text "
                   "(the later input wins; the same id with the same text is one message)", err=True)
    if c.other_source_replaced or c.other_source_tickets:
        click.echo(_other_source_warning(c.other_source_replaced, c.other_source_tickets, audit_cfg.source), err=True)
    if c.removed:
        click.echo(f"replylint: --prune: {c.removed} stored messages no longer in their input removed with their results",
                   err=True)
    for p in outcome.problems[:10]:
        if not p.fatal:  # those are the error below
            click.echo(f"replylint: skipped {p}", err=True)
    if c.problems > 10:
        click.echo(f"replylint: ... and {c.problems - 10} more skipped (see the report)", err=True)
    _write_reports(db_path, outputs, output_format, threads, rule_vocabulary, audit_cfg, quiet)
    # After the reports: what could be read is stored and shown, but a run that
    # missed an input or read nothing must not look like a clean one.
    if outcome.unreadable:
        raise Fail("; ".join(str(p) for p in outcome.unreadable))
    if c.read == 0:
        raise Fail(_nothing_read(inputs, c, outcome.unknown_directions, audit_cfg.field_map["direction"]))


def _other_source_warning(replaced: int, tickets: int, source: str | None) -> str:
    """What a run says when its ids met another helpdesk's (see
    AuditConfig.source_key), and how to keep the two apart."""
    what = []
    if replaced:
        what.append(f"{replaced} stored messages from another input read with other columns were replaced by this "
                    "run's messages with the same id")
    if tickets:
        what.append(f"{tickets} tickets now hold messages from this run and from another input read with other columns")
    fix = ("audit each helpdesk with its own --source (or [audit] source), e.g. --source zendesk and --source freshdesk,"
           if source is None else f"give the other helpdesk its own --source too (this run's is '{source}'),")
    return (f"replylint: warning: {'; '.join(what)}: another helpdesk whose ticket and message ids are the same as "
            f"this one's? To keep them apart, {fix} into a new --db (a re-export read with the same columns is not "
            "counted here)")


def _nothing_read(inputs, counts, unknown_directions: dict[str, int], direction_column: str) -> str:
    """Why a run read no message, and what to do about it."""
    where = ", ".join(str(p) for p in inputs)
    if unknown_directions:
        skipped = sum(unknown_directions.values())
        values = ", ".join(f"{v!r} {n} times" for v, n in sorted(unknown_directions.items(), key=lambda kv: -kv[1])[:6])
        return (f"no message could be read from {where}: all {counts.problems} rows/files were skipped, {skipped} of "
                f"them because their direction (column '{direction_column}') is neither an agent nor a customer value "
                f"({values}); say which "
                "are ours in the [audit] table of the config, e.g. agent-values = [\"false\"] and customer-values = "
                "[\"true\"] for a column that is true when the customer wrote; no thread checks ran")
    notes = f", {counts.internal} internal notes left out" if counts.internal else ""
    return (f"no message could be read from {where} ({counts.problems} rows/files skipped, see above{notes}); "
            "check the inputs and the --map of their columns")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _run_with_progress(request, store, show: bool):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .pipeline import run_audit
    from .readers import input_size

    total = sum(input_size(p) for p in request.inputs) or 1
    console = Console(file=sys.stderr)  # never stdout: the JSON summary goes there
    if not show:
        return run_audit(request, store)
    progress = Progress(TextColumn("[bold]audit"), BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                        TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                        console=console, transient=False, refresh_per_second=4)
    started = datetime.now()
    with progress:
        task = progress.add_task("audit", total=total, rate="", counts="")

        def update(done_bytes, counts):
            seconds = max(1e-6, (datetime.now() - started).total_seconds())
            progress.update(task, completed=min(done_bytes, total), rate=f"{counts.checked / seconds:,.0f} replies/s",
                            counts=f"{counts.checked:,} checked, {counts.unchanged:,} unchanged, {counts.problems:,} skipped")

        outcome = run_audit(request, store, on_progress=update)
        progress.update(task, completed=total)
    return outcome


@audit.command("report")
@with_common
@click.option("--timezone", help="Team time zone for per-week trends; overrides [audit] timezone.")
def report(db_path, outs, output_format, config, quiet, timezone):
    """Rebuild reports from the database (nothing is checked again)."""
    from dataclasses import replace

    from .timeutil import TimeError, zone

    outputs = _outputs(outs)
    if not db_path.is_file():
        raise Fail(f"{db_path}: no audit database here (run `replylint audit run ...` first, or give --db)")
    _, audit_cfg, threads, settings, registry = _load(config, (), (), None)
    if timezone:
        try:
            zone(timezone)
        except TimeError as exc:
            raise Fail(str(exc)) from None
        audit_cfg = replace(audit_cfg, timezone=timezone)
    _write_reports(db_path, outputs, output_format, threads, _rule_summaries(registry, settings), audit_cfg, quiet)
