"""Checking replies in batches: in this process, in worker processes (one
Engine, so one spaCy pipeline, per process), or on a Dask cluster.

All three share one small interface (``put`` a batch, ``get`` the rows of a
finished batch), so the pipeline bounds the number of batches in flight the
same way everywhere: memory stays flat however large the input is.

Why our own processes and not ``multiprocessing.Pool``: Pool's feeder thread
drains the input iterator as fast as it can (no back-pressure), and spaCy's
own ``n_process`` was measured slower than one process on this machine.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings, check_option_rule_ids, parse_settings
from .config import read_config_table
from .store import ReplyRow

# One batch = what a worker checks in one nlp.pipe stream and returns at once.
BATCH_SIZE = 64
# Identical texts (canned replies) are checked once per worker; bounded so
# memory stays flat.
CACHE_ENTRIES = 4096

ReplyTask = tuple[str, str, str, str]  # (id, text, format, text hash)


class CheckerError(Exception):
    """Checking cannot go on (a worker died, the engine cannot be built)."""


@dataclass(frozen=True)
class EngineSpec:
    """What a worker needs to build the same Engine as the main process
    (Settings itself holds mapping proxies, which do not pickle)."""

    config: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    model: str | None = None


def engine_settings(spec: EngineSpec) -> tuple[Settings, Any]:
    """(Settings, Registry) for a spec, validated the way `replylint check` does."""
    from ..registry import load

    base = Settings()
    table = prefix = None
    if spec.config:
        path = Path(spec.config)
        table, _, prefix = read_config_table(path)
        base = parse_settings(table, path, prefix)
    registry = load(base.check_folders, base.lexicons)
    if spec.config and table is not None:
        base = parse_settings(table, Path(spec.config), prefix or "", known_rules=registry.rules)
    check_option_rule_ids((*spec.select, *spec.ignore), registry.rules)
    changes = {"select": spec.select or None, "ignore": spec.ignore or None, "model": spec.model}
    return base.with_overrides(**changes), registry


def build_engine(spec: EngineSpec):
    from ..engine import Engine

    settings, registry = engine_settings(spec)
    return Engine(settings, registry=registry)


# Engine modules whose code decides a reply's result. Other modules (cli, lsp,
# server, output...) change often and do not: editing them must not force a
# re-check of every stored reply.
ENGINE_MODULES = ("engine", "nlp", "prefilter", "segment", "sentences", "text", "inputs", "htmltext", "readability", "registry",
                  "checkapi", "fixes", "config")


def ruleset_hash(settings: Settings, registry: Any) -> str:
    """Changes when anything that can change a reply's result changes: check
    folders (except thread checks) with their trained weights, templates,
    engine modules, settings."""
    from .. import __version__
    from ..registry import bundled_dir

    h = hashlib.blake2b(digest_size=12)
    h.update(__version__.encode())
    package = Path(__file__).resolve().parent.parent
    for name in ENGINE_MODULES:
        module = package / f"{name}.py"
        if module.is_file():
            h.update(name.encode())
            h.update(module.read_bytes())
    for data in sorted((package / "data").glob("*.json")):  # the lemma table the patterns match on
        h.update(data.name.encode())
        h.update(data.read_bytes())
    for root in [*registry.folders, bundled_dir("templates"), *settings.template_folders]:
        root = Path(root)
        if not root.is_dir():
            continue
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".toml", ".py", ".j2", ".json")
                       and "__pycache__" not in p.parts and "threads" not in p.relative_to(root).parts[:1])
        for p in files:
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    fields = {k: v for k, v in vars(settings).items() if k != "path"}
    h.update(json.dumps(fields, sort_keys=True, default=_jsonable).encode())
    return h.hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "items"):
        return dict(value.items())
    return str(value)


# -- one batch -------------------------------------------------------------------

def result_row(result: Any, reply_id: str, text_hash: str) -> ReplyRow:
    """The database row for one engine Result: compact, JSON encoded here so
    the main process only writes it."""
    if result.error is not None:
        return ReplyRow(reply_id, text_hash, None, None, "{}", "[]", "[]", result.error, ())
    requests = [s.text.strip() for s in _evidence(result, "info_request")]
    eta = [sig.text.strip() for s in _evidence(result, "eta") for sig in s.signals if sig.label == "time"]
    findings = tuple((f.rule, f.severity, f.message, f.line, f.column, f.end_line, f.end_column, f.suggestion)
                     for f in result.findings)
    return ReplyRow(reply_id, text_hash, result.kind, result.score, json.dumps(dict(result.elements)),
                    json.dumps(requests), json.dumps(eta), None, findings)


def _evidence(result: Any, key: str):
    det = result.detections.get(key)
    if not det:
        return ()
    return [result.sentences[i] for i in sorted({e.sentence for e in det.evidence})]


def check_batch(engine: Any, tasks: Sequence[ReplyTask], cache: OrderedDict | None = None) -> list[ReplyRow]:
    """Check a batch; identical texts are checked once (the result of a reply
    depends only on its text and format)."""
    from ..inputs import Source

    cache = cache if cache is not None else OrderedDict()
    todo: list[ReplyTask] = []
    queued: set[str] = set()
    for task in tasks:
        if task[3] not in cache and task[3] not in queued:
            todo.append(task)
            queued.add(task[3])
    sources = (Source(t[0], t[1], t[2]) for t in todo)
    for task, result in zip(todo, engine.check_sources(sources)):
        cache[task[3]] = result_row(result, task[0], task[3])
    rows = []
    for reply_id, _, _, th in tasks:
        row = cache[th]
        cache.move_to_end(th)
        rows.append(row if row.id == reply_id else ReplyRow(reply_id, *_row_fields(row)))
    while len(cache) > CACHE_ENTRIES:
        cache.popitem(last=False)
    return rows


def _row_fields(row: ReplyRow) -> tuple:
    return (row.text_hash, row.kind, row.score, row.elements, row.requests, row.eta, row.error, row.findings)


# -- in this process ----------------------------------------------------------------

class InlineCheckers:
    """--jobs 1: no worker processes (nothing to start, nothing to pickle)."""

    def __init__(self, spec: EngineSpec) -> None:
        self.engine = build_engine(spec)
        self.cache: OrderedDict = OrderedDict()
        self.done: deque[list[ReplyRow]] = deque()

    def put(self, batch: list[ReplyTask]) -> None:
        self.done.append(check_batch(self.engine, batch, self.cache))

    def get(self) -> list[ReplyRow]:
        return self.done.popleft()

    def close(self) -> None:
        pass


# -- worker processes -------------------------------------------------------------------

def tune_collector_for_batch_work() -> None:
    """For a process that owns its engine and checks replies for a long time.
    The engine's few hundred thousand long-lived objects (vocab, patterns,
    registry) are moved out of the collector's sight, and the young
    generation is collected every 20,000 allocations instead of 700: each
    reply allocates a few thousand short-lived objects that reference counting
    frees anyway. Measured ~0.1 ms less CPU a reply in one process (alternating
    runs over 2,000 generated replies); end to end it is inside the audit
    benchmark's run-to-run spread."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _exit_when_orphaned(parent: int) -> None:
    """A watchdog thread: once the audit's main process is gone (kill -9, the
    OOM killer, a closed terminal), end this worker at once. The main loop
    cannot notice by itself: a parent killed while writing a batch leaves the
    worker blocked for ever in the middle of reading it."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)  # nobody reads our results any more; flushing them could block


def _worker_main(spec: EngineSpec, tasks: Any, results: Any, parent: int) -> None:
    # Ctrl-C (and a SIGTERM to the whole group, as systemd sends) reaches every
    # process: the main process handles it (saves what came back, then stops
    # the workers), so workers ignore it; the watchdog ends them if it dies.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True, name="orphan-watchdog").start()
    try:
        engine = build_engine(spec)
    except Exception as exc:  # noqa: BLE001 - reported to the main process, which stops the run
        results.put(("failed", f"the engine cannot be built: {exc}"))
        return
    tune_collector_for_batch_work()
    results.put(("ready", os.getpid()))
    cache: OrderedDict = OrderedDict()
    while True:
        item = tasks.get()
        if item is None:
            return
        try:
            results.put(("rows", check_batch(engine, item, cache)))
        except Exception:  # noqa: BLE001
            results.put(("failed", traceback.format_exc()))
            return


class ProcessCheckers:
    """N worker processes fed through bounded queues."""

    def __init__(self, spec: EngineSpec, jobs: int) -> None:
        # spawn, not fork: the pool starts lazily, when the first reply needs
        # checking, and by then the progress bar's thread exists (forking a
        # process with threads can deadlock). Workers build their engines while
        # the main process goes on reading.
        ctx = mp.get_context("spawn")
        self.tasks = ctx.Queue(maxsize=jobs * 2)
        self.results = ctx.Queue()
        self.procs = [ctx.Process(target=_worker_main, args=(spec, self.tasks, self.results, os.getpid()), daemon=True)
                      for _ in range(jobs)]
        for p in self.procs:
            p.start()

    def _receive(self) -> tuple[str, Any]:
        while True:
            try:
                return self.results.get(timeout=1.0)
            except queue.Empty:
                dead = [p for p in self.procs if p.exitcode not in (None, 0)]
                if dead:
                    raise CheckerError(f"a worker process died (exit code {dead[0].exitcode}); the results so far are saved")

    def put(self, batch: list[ReplyTask]) -> None:
        while True:
            try:
                self.tasks.put(batch, timeout=1.0)
                return
            except queue.Full:
                if any(p.exitcode not in (None, 0) for p in self.procs):
                    raise CheckerError("a worker process died; the results so far are saved") from None

    def get(self) -> list[ReplyRow]:
        while True:
            kind, payload = self._receive()
            if kind == "failed":
                raise CheckerError(f"a worker failed: {payload}")
            if kind == "rows":
                return payload

    def close(self) -> None:
        for _ in self.procs:
            try:
                self.tasks.put_nowait(None)
            except queue.Full:
                break
        for p in self.procs:
            p.join(timeout=2)
            if p.is_alive():
                p.kill()  # they ignore SIGTERM (see _worker_main)
        self.tasks.cancel_join_thread()
        self.results.cancel_join_thread()


# -- Dask --------------------------------------------------------------------------------

PLUGIN_NAME = "replylint-engine"


def _dask_check_partition(tasks: list[ReplyTask]) -> list[ReplyRow]:
    from distributed import get_worker

    plugin = get_worker().plugins[PLUGIN_NAME]
    return check_batch(plugin.engine, list(tasks), plugin.cache)


class DaskCheckers:
    """--engine dask: a window of batches becomes one dask.bag (a partition per
    batch) computed on the cluster; each worker builds its Engine once, in a
    worker plugin."""

    def __init__(self, spec: EngineSpec, scheduler: str) -> None:
        try:
            import dask.bag  # noqa: F401
            from distributed import Client, WorkerPlugin
        except ImportError:
            raise CheckerError("--engine dask needs the dask extra: pip install 'replylint[dask]'") from None

        class EnginePlugin(WorkerPlugin):
            name = PLUGIN_NAME

            def __init__(self, spec: EngineSpec) -> None:
                self.spec = spec

            def setup(self, worker) -> None:
                self.engine = build_engine(self.spec)
                self.cache: OrderedDict = OrderedDict()

        try:
            self.client = Client(scheduler, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise CheckerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        self.client.register_plugin(EnginePlugin(spec))
        self.window: list[list[ReplyTask]] = []
        self.futures: deque = deque()
        self.ready: deque[list[ReplyRow]] = deque()

    def put(self, batch: list[ReplyTask]) -> None:
        self.window.append(batch)
        if len(self.window) >= 8:
            self._flush()

    def _flush(self) -> None:
        import dask.bag as db

        if not self.window:
            return
        bag = db.from_sequence(self.window, npartitions=len(self.window)).map_partitions(
            lambda parts: [row for part in parts for row in _dask_check_partition(part)])
        # One future per partition, so each batch's rows come back as soon as done.
        self.futures.extend(self.client.compute(bag.to_delayed()))
        self.window = []

    def get(self) -> list[ReplyRow]:
        if not self.futures:
            self._flush()
        future = self.futures.popleft()
        return future.result()

    def close(self) -> None:
        self.client.close()


def iter_batches(tasks: Iterator[ReplyTask], size: int = BATCH_SIZE) -> Iterator[list[ReplyTask]]:
    batch: list[ReplyTask] = []
    for t in tasks:
        batch.append(t)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
