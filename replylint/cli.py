"""Command line: check, rules, explain, eval (and the commands of later modules).

Exit codes follow ruff: 0 clean, 1 findings at or above --fail-level (or a score
below --min-score), 2 usage, configuration or input errors.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import click

from . import __version__
from .audit.cli import audit as audit_group

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class Fail(click.ClickException):
    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:
        click.echo(f"replylint: error: {self.format_message()}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="replylint")
def main() -> None:
    """Check support replies against the support protocol."""


# -- engines per config --------------------------------------------------------

class Engines:
    """One Engine per configuration file, built on first use."""

    def __init__(self, explicit_config: Path | None, overrides: dict) -> None:
        self.explicit = explicit_config
        self.overrides = overrides
        self._by_config: dict[Path | None, object] = {}

    def config_for(self, path: Path | None) -> Path | None:
        from .config import find_config

        if self.explicit is not None:
            return self.explicit
        return find_config(path if path is not None else Path.cwd())

    def engine(self, config_path: Path | None):
        if config_path not in self._by_config:
            from .config import (
                ConfigError,
                Settings,
                check_option_rule_ids,
                load_settings,
            )
            from .engine import Engine
            from .registry import CheckLoadError, load

            try:
                base = load_settings(config_path) if config_path else Settings()
                registry = load(base.check_folders, base.lexicons)
                if config_path:  # validate rule names once the rule set is known
                    base = load_settings(config_path, known_rules=registry.rules)
                check_option_rule_ids((*self.overrides.get("select", ()), *self.overrides.get("ignore", ())), registry.rules)
                settings = base.with_overrides(**self.overrides)
                self._by_config[config_path] = Engine(settings, registry=registry)
            except (ConfigError, CheckLoadError) as exc:
                raise Fail(str(exc)) from None
            except Exception as exc:  # noqa: BLE001 - e.g. a --model that is not installed
                raise Fail(str(exc)) from None
        return self._by_config[config_path]


def expand_inputs(paths: Iterable[str]) -> list[str]:
    """Globs are expanded here too, so quoting works the same on every shell."""
    out: list[str] = []
    for p in paths:
        if p == "-" or os.path.exists(p) or not any(c in p for c in "*?["):
            out.append(p)
            continue
        matches = sorted(glob.glob(p, recursive=True))
        if not matches:
            raise Fail(f"{p}: no file matches this pattern")
        out.extend(m for m in matches if os.path.isfile(m))
    return out


def _override_options(select, ignore, fail_level, min_score, model):
    overrides = {}
    if select:
        overrides["select"] = tuple(x for s in select for x in s.split(",") if x)
    if ignore:
        overrides["ignore"] = tuple(x for s in ignore for x in s.split(",") if x)
    if fail_level:
        overrides["fail_level"] = fail_level
    if min_score is not None:
        overrides["min_score"] = min_score
    if model:
        overrides["model"] = model
    return overrides


def run_check(paths: list[str], engines: Engines, stdin_filename: str | None, fmt_hint: str | None):
    """Check inputs in order, each with the engine of its own config."""
    from .engine import Result
    from .inputs import InputError, read_path, source_from_bytes

    results: list[Result | None] = [None] * len(paths)
    groups: dict[Path | None, list[tuple[int, object]]] = {}
    for i, p in enumerate(paths):
        if p == "-":
            name = stdin_filename or "-"
            config = engines.config_for(Path(stdin_filename) if stdin_filename else None)
            data = sys.stdin.buffer.read()
            try:
                item = source_from_bytes(data, name, fmt=fmt_hint)
            except InputError as exc:
                item = Result(source=name, error=str(exc))
        else:
            config = engines.config_for(Path(p))
            try:
                item = read_path(p, fmt=fmt_hint, max_bytes=engines.engine(config).settings.max_bytes)
            except InputError as exc:
                item = Result(source=p, error=str(exc))
            else:
                # An empty file passing with 100/100 hides a draft that was never
                # saved; an editor's empty buffer (stdin) is left to pass.
                if not item.text.strip():
                    item = Result(source=p, error=f"{p}: is empty; there is no reply to check")
        groups.setdefault(config, []).append((i, item))
    for config, items in groups.items():
        engine = engines.engine(config)
        for (i, _), result in zip(items, engine.check_sources([it for _, it in items])):
            results[i] = result
    return [r for r in results if r is not None]


def exit_code(results, fail_level: str, min_score: int | None, exit_zero: bool) -> int:
    from .engine import meets_level

    if any(r.error is not None for r in results):
        return EXIT_ERROR
    if exit_zero:
        return EXIT_CLEAN
    for r in results:
        if any(meets_level(f.severity, fail_level) for f in r.findings):
            return EXIT_FINDINGS
        if min_score is not None and (r.score or 0) < min_score:
            return EXIT_FINDINGS
    return EXIT_CLEAN


common_options = [
    click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
                 help="Config file (default: nearest .replylint.toml or pyproject.toml [tool.replylint] above each input)."),
    click.option("--select", multiple=True, help="Only these rule ids (comma-separated; repeatable)."),
    click.option("--ignore", multiple=True, help="Skip these rule ids (comma-separated; repeatable)."),
    click.option("--model", help="Use an installed spaCy pipeline (e.g. en_core_web_sm); never downloaded."),
]


def with_common(func):
    for opt in reversed(common_options):
        func = opt(func)
    return func


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json", "jsonl", "sarif", "github"]), default="text", show_default=True)
@click.option("--fail-level", type=click.Choice(["error", "warning", "info"]), help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--min-score", type=click.IntRange(0, 100), help="Exit 1 when a reply scores below this.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--stdin-filename", help="Name (and config location) for input read from stdin.")
@click.option("--input-format", type=click.Choice(["text", "markdown", "html", "eml"]), help="Treat inputs as this format instead of guessing from the name.")
@click.option("--color/--no-color", default=None, help="Colour the text output [default: when stdout is a terminal].")
@click.option("--quiet", "-q", is_flag=True, help="Text format: findings only, no per-reply summary.")
@click.option("--server", envvar="REPLYLINT_SERVER", help="Check through a running `replylint serve` at this URL (falls back to local checking).")
@with_common
def check(paths, output_format, fail_level, min_score, exit_zero, stdin_filename, input_format, color, quiet, server, config, select, ignore, model):
    """Check replies (files, globs, or - for stdin) against the protocol."""
    if not paths:
        if sys.stdin.isatty():
            raise click.UsageError("give one or more files, globs, or - to read stdin")
        paths = ("-",)
    if list(paths).count("-") > 1:
        raise click.UsageError("stdin (-) can be given only once")
    paths = expand_inputs(paths)
    if server:
        from .client import check_via_server

        remote = check_via_server(server, paths, stdin_filename, output_format, fail_level, min_score, exit_zero, input_format,
                                  colour=color, quiet=quiet, config=config, select=select, ignore=ignore, model=model)
        if remote is not None:
            text, code = remote
            if text:
                click.echo(text, color=color)
            sys.exit(code)
    # Imported here, after the --server path: output imports the engine (spaCy).
    from .output import (
        render_github,
        render_json,
        render_jsonl,
        render_sarif,
        render_text,
    )

    engines = Engines(config, _override_options(select, ignore, fail_level, min_score, model))
    results = run_check(paths, engines, stdin_filename, input_format)
    settings = engines.engine(engines.config_for(Path(paths[0]) if paths and paths[0] != "-" else None)).settings
    if output_format == "text":
        colour = sys.stdout.isatty() if color is None else color
        click.echo(render_text(results, colour=colour, show_summary=not quiet), color=colour)
    elif output_format == "json":
        click.echo(render_json(results, single=len(paths) == 1))
    elif output_format == "jsonl":
        click.echo(render_jsonl(results))
    elif output_format == "sarif":
        click.echo(render_sarif(results, next(iter(engines._by_config.values())).registry))
    else:
        out = render_github(results)
        if out:
            click.echo(out)
    if settings.min_score is not None and not exit_zero:
        # The findings may all sit below the fail level; say why the exit is 1.
        for r in results:
            if r.error is None and (r.score or 0) < settings.min_score:
                click.echo(f"replylint: {r.source}: score {r.score} is below the minimum of {settings.min_score}", err=True)
    sys.exit(exit_code(results, settings.fail_level, settings.min_score, exit_zero))


@main.command()
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@with_common
def rules(output_format, config, select, ignore, model):
    """List every rule: id, severity, summary."""
    import json

    engines = Engines(config, {})
    engine = engines.engine(engines.config_for(None))
    specs = list(engine.registry.rules.values())
    if output_format == "json":
        click.echo(json.dumps([{"id": s.id, "severity": engine.settings.severity.get(s.id, s.severity), "summary": s.summary,
                                "kinds": list(s.kinds), "fixable": s.fix is not None} for s in specs], indent=2))
        return
    width = max(len(s.id) for s in specs)
    for s in specs:
        sev = engine.settings.severity.get(s.id, s.severity)
        fix = " (fix)" if s.fix else ""
        click.echo(f"{s.id:<{width}}  {sev:<7}  {s.summary}{fix}")


@main.command()
@click.argument("name", required=False)
@click.option("--reply", "reply_path", help="Show sentence by sentence how this reply was read (a file, or - for stdin).")
@with_common
def explain(name, reply_path, config, select, ignore, model):
    """Explain a rule, an element, `kind`, or (with --reply) how a reply was read."""
    engines = Engines(config, _override_options(select, ignore, None, None, model))
    if reply_path:
        results = run_check([reply_path], engines, None, None)
        result = results[0]
        if result.error:
            raise Fail(result.error)
        click.echo(explain_reply(result))
        return
    if not name:
        raise click.UsageError("give a rule id, an element key, `kind`, or --reply FILE")
    engine = engines.engine(engines.config_for(None))
    reg = engine.registry
    spec = reg.rule(name)
    if spec is not None:
        sev = engine.settings.severity.get(spec.id, spec.severity)
        kinds = ", ".join(spec.kinds) or "all kinds"
        fix = f"\nFix: {spec.fix.title} ({spec.fix.safety})" if spec.fix else ""
        opts = "".join(f"\n  {k} = {v!r}" for k, v in spec.options.items() if not k.startswith("message"))
        click.echo(f"{spec.id} [{sev}] applies to: {kinds}\n{spec.summary}{fix}\n{spec.doc.rstrip()}"
                   + (f"\n\nOptions (defaults):{opts}" if opts else "") + f"\n\nDefined in {spec.folder}")
        return
    for el in reg.elements:
        if el.key == name:
            click.echo(f"{el.key}\n{el.summary}\n{el.doc.rstrip()}\n\nDefined in {el.folder}")
            return
    if name == "kind":
        click.echo(reg.kind_doc.strip())
        return
    raise Fail(f"unknown rule or element '{name}' (see `replylint rules`)")


def explain_reply(result) -> str:
    reply = result.reply
    lines = [f"{result.source}: kind {result.kind}, score {result.score}"]
    counted: dict[int, list[str]] = {}
    for key, det in result.detections.items():
        for e in det.evidence:
            counted.setdefault(e.sentence, []).append(f"{key} ({e.reason})")
    ignored = [r for r in reply.segmented.regions if r.kind in ("quote", "code", "greeting", "signoff", "comment")]
    if ignored:
        lines.append("Not analysed:")
        merged: dict[str, int] = {}
        for r in ignored:
            merged[r.kind] = merged.get(r.kind, 0) + 1
        lines.append("  " + ", ".join(f"{k} x{v}" for k, v in merged.items()))
    lines.append("Sentences:")
    for s in result.sentences:
        line, col = reply.lines.position(reply.plain.to_original(s.start))
        text = " ".join(s.text.split())
        lines.append(f"  {line}:{col} {text[:120]}{'...' if len(text) > 120 else ''}")
        for item in counted.get(s.index, []):
            lines.append(f"      -> {item}")
        patterns = sorted({f"{sig.label}:{sig.pattern}" for sig in s.signals})
        if patterns:
            lines.append(f"      matched: {', '.join(patterns)}")
    lines.append("Elements: " + ", ".join(f"{k}={'null' if v is None else str(v).lower()}" for k, v in result.elements.items()))
    if result.revised:
        lines.append(f"  set by the trained reply model, not by a sentence: {', '.join(result.revised)}")
    for f in result.findings:
        lines.append(f"Finding {f.line}:{f.column} {f.rule} [{f.severity}] {f.message}")
    return "\n".join(lines)


@main.command("eval")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "-f", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--show-errors", type=int, default=0, help="Also print up to N mismatched replies, sentence by sentence.")
@with_common
def eval_command(files, output_format, show_errors, config, select, ignore, model):
    """Per-element precision, recall and F1 on labelled JSONL files."""
    import json

    from .evaluate import CorpusError, evaluate, explain_mismatch, read_labelled

    engines = Engines(config, _override_options(select, ignore, None, None, model))
    engine = engines.engine(engines.config_for(None))
    try:
        records = [r for f in files for r in read_labelled(Path(f))]
    except CorpusError as exc:
        raise Fail(str(exc)) from None
    report = evaluate(engine, records)
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.table())
    for item in report.mismatches[:show_errors]:
        click.echo(explain_mismatch(item))


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff instead of the fixed text; exit 1 when there is a change.")
@click.option("--write", "-w", is_flag=True, help="Rewrite the files in place (atomically).")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply unsafe fixes (sections with [[FILL: ...]] placeholders).")
@click.option("--stdin-filename", help="Name (and config location) for input read from stdin.")
@with_common
def fix(paths, show_diff, write, unsafe_fixes, stdin_filename, config, select, ignore, model):
    """Apply the fixes the rules offer; print the mended reply (or --diff, --write)."""
    import difflib

    from .fixes import fix_source
    from .inputs import InputError, read_path, source_from_bytes

    if write and "-" in paths:
        raise click.UsageError("--write cannot rewrite stdin")
    engines = Engines(config, _override_options(select, ignore, None, None, model))
    changed = False
    failed = False
    for p in expand_inputs(paths):
        try:
            if p == "-":
                source = source_from_bytes(sys.stdin.buffer.read(), stdin_filename or "-")
                engine = engines.engine(engines.config_for(Path(stdin_filename) if stdin_filename else None))
            else:
                engine = engines.engine(engines.config_for(Path(p)))
                source = read_path(p, max_bytes=engine.settings.max_bytes)
        except InputError as exc:
            click.echo(f"replylint: error: {exc}", err=True)
            failed = True
            continue
        if source.format == "eml":
            click.echo(f"replylint: error: {source.name}: .eml files are not rewritten (encoded bodies do not map back "
                       "exactly); fix the reply in your mail client", err=True)
            failed = True  # a hook or script must notice that nothing was fixed
            continue
        outcome = fix_source(engine, source, unsafe=unsafe_fixes)
        for problem in engine.fixer.problems:
            click.echo(f"replylint: template error: {problem}", err=True)
        engine.fixer.problems.clear()
        was_changed = outcome.text != source.text
        changed |= was_changed
        if show_diff:
            if was_changed:
                diff = difflib.unified_diff(source.text.splitlines(keepends=True), outcome.text.splitlines(keepends=True),
                                            fromfile=source.name, tofile=source.name)
                click.echo("".join(diff), nl=False)
        elif write:
            if was_changed:
                atomic_write(Path(p), outcome.text)
        else:
            click.echo(outcome.text, nl=not outcome.text.endswith("\n"))
        rules_fixed = sorted({e.rule for e in outcome.applied})
        if rules_fixed or write:
            remaining = [f.rule for f in outcome.remaining.findings] if outcome.remaining.error is None else []
            click.echo(f"{source.name}: fixed {len(outcome.applied)} ({', '.join(rules_fixed) or 'nothing'}); "
                       f"{len(remaining)} finding(s) left", err=True)
    if failed:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if (show_diff and changed) else EXIT_CLEAN)


def atomic_write(path: Path, text: str) -> None:
    """Write to a temporary file beside the target, then rename over it: a crash
    leaves either the old file or the new one, never half of one."""
    import tempfile

    data = text.encode("utf-8")
    mode = path.stat().st_mode if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@main.command()
@click.argument("kind", required=False)
@click.option("--var", "variables", multiple=True, help="Template variable, NAME=VALUE (repeatable): customer, product, version, update_level, deployment, subject, eta, engineer, sample.")
@click.option("--list", "list_", is_flag=True, help="List the reply scaffolds.")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), help="Config file (for template folders).")
def new(kind, variables, list_, config):
    """Render a whole reply skeleton that follows the protocol."""
    from .config import ConfigError, Settings, find_config, load_settings
    from .fixes import Fixer

    try:
        cfg = config or find_config(Path.cwd())
        settings = load_settings(cfg) if cfg else Settings()
    except ConfigError as exc:
        raise Fail(str(exc)) from None
    fixer = Fixer(settings.template_folders)
    names = fixer.list_scaffolds()
    if list_:
        for name in names:
            click.echo(name)
        return
    if not kind:
        raise click.UsageError(f"give a scaffold name ({', '.join(names)}) or --list")
    if kind not in names:
        raise Fail(f"unknown scaffold '{kind}' (known: {', '.join(names)})")
    values = {}
    for item in variables:
        if "=" not in item:
            raise click.UsageError(f"--var takes NAME=VALUE, not {item!r}")
        key, value = item.split("=", 1)
        values[key.strip()] = value
    text = fixer.render(f"scaffolds/{kind}.md", values)
    if text is None:
        raise Fail("; ".join(str(p) for p in fixer.problems))
    click.echo(text)
main.add_command(audit_group)


# -- in the editor: local check service and language server (docs/EDITOR.md) ----

@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; a non-loopback one also needs --allow-remote.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, envvar="REPLYLINT_PORT", help="Port (0: any free port, printed at start).")
@click.option("--allow-remote", is_flag=True, help="Allow a --host that other machines can reach (give a --token too).")
@click.option("--token", envvar="REPLYLINT_TOKEN", help="Shared token: requests must send Authorization: Bearer TOKEN [env: REPLYLINT_TOKEN].")
@click.option("--cors-origin", "cors_origins", multiple=True, help="Origin allowed to call the service from a browser, e.g. https://support.example.com (repeatable; default: none).")
@click.option("--max-body-bytes", type=click.IntRange(1), default=1024 * 1024, show_default=True, help="Largest request body accepted (413 above it).")
@click.option("--time-limit", type=click.FloatRange(0.001), default=10.0, show_default=True, help="Seconds a request may take; a check that overruns is stopped (503).")
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True, help="Check worker processes (each holds its own engine).")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), help="Config for requests that name no file (default: nearest config above the working directory).")
def serve(host, port, allow_remote, token, cors_origins, max_body_bytes, time_limit, workers, config):
    """Serve POST /check, POST /fix and GET /health on 127.0.0.1 for web editors."""
    from .config import find_config
    from .server import ServeError, ServeOptions
    from .server import serve as run_service

    options = ServeOptions(host=host, port=port, max_body_bytes=max_body_bytes, time_limit=time_limit,
                           cors_origins=tuple(cors_origins), token=token or None, workers=workers,
                           config=(config.resolve() if config else find_config(Path.cwd())), allow_remote=allow_remote)
    try:
        run_service(options)
    except ServeError as exc:
        raise Fail(str(exc)) from None
    except ImportError as exc:
        raise Fail(f"the check service needs starlette and uvicorn: pip install 'replylint[serve]' ({exc})") from None


@main.command()
@click.option("--debounce-ms", type=click.IntRange(0, 10_000), default=150, show_default=True, help="Wait this long after the last edit before re-checking.")
@click.option("--max-document-bytes", type=click.IntRange(1), default=256 * 1024, show_default=True, help="Larger documents get one notice instead of a check.")
def lsp(debounce_ms, max_document_bytes):
    """Run the language server on stdio (needs `pip install replylint[lsp]`)."""
    try:
        from .lsp import LspOptions, run_stdio
    except ImportError as exc:
        raise Fail(f"the language server needs pygls: pip install 'replylint[lsp]' ({exc})") from None
    run_stdio(LspOptions(debounce_ms=debounce_ms, max_document_bytes=max_document_bytes))
