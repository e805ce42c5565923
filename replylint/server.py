"""`replylint serve`: a local HTTP check service for web editors and fast pre-send checks.

Endpoints (JSON in, PROTOCOL.md JSON out)::

    GET  /health   {"status": "ok", "version": ..., "workers": N, "workers_ready": N}
    POST /check    {"text": ..., "name": ..., "format": ...}      -> one PROTOCOL object
                   {"replies": [{"text": ..., "name": ...}, ...]}  -> an array, in order
    POST /fix      {"text": ..., "name": ..., "unsafe": false}    -> the PROTOCOL object of the
                   fixed reply plus "fixed_text" and "applied"
    POST /render   what `replylint check --server` sends: inputs as bytes plus the
                   command's options; answers {"output": ..., "exit_code": ...} made by
                   the same renderers and exit-code logic as local checking.

Shape of the service, and why:

- The web layer (Starlette on uvicorn) only parses, limits and routes. The checks run
  in worker *processes* (``WorkerPool``), each holding its own ``EngineCache``. A
  thread cannot be stopped, and the engine's cost grows faster than linearly with
  input size, so the only time limit that really frees the service is killing the
  worker that overran and starting a fresh one.
- ``EngineCache`` is also what the language server uses in-process: one engine per
  config file (rebuilt when the file changes), shared by every request.

Safe by default: binds 127.0.0.1 (another address needs ``--allow-remote``), a body
size limit, a per-request time limit, no CORS headers unless origins are configured,
an optional shared token (``Authorization: Bearer TOKEN``), and POST bodies must be
``application/json`` so that a web page cannot post to the service without a CORS
preflight that the service answers only for configured origins.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import hmac
import ipaddress
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .config import LEVELS
from .inputs import FORMATS

DEFAULT_PORT = 8765
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_TIME_LIMIT = 10.0
OUTPUT_FORMATS = ("text", "json", "jsonl", "sarif", "github")


# -- engines ------------------------------------------------------------------

class EngineUnavailable(Exception):
    """The engine for a config cannot be built (bad config, bad check folder, model
    not installed); the message is the one `replylint check` prints."""


@dataclass
class _CachedEngine:
    stamp: tuple[int, int] | None  # (mtime_ns, size) of the config file when built
    engine: Any


class EngineCache:
    """Engines by (config file, model), built on first use and rebuilt when the config
    file changes on disk.

    Only the registry and the spaCy pipeline are expensive, and they depend on the
    config file and the model alone; select, ignore, fail-level and min-score only
    change the ``Settings`` an engine consults per check. So a request with such
    overrides gets a shallow copy of the cached engine with other settings: it shares
    the pipeline and costs nothing to make.
    """

    def __init__(self) -> None:
        self._engines: dict[tuple[Path | None, str | None], _CachedEngine] = {}

    def engine(self, config_path: Path | None, overrides: Mapping[str, Any] | None = None):
        overrides = dict(overrides or {})
        base = self._base(config_path, overrides.get("model"))
        if not overrides:
            return base
        variant = copy.copy(base)
        variant.settings = base.settings.with_overrides(**overrides)
        return variant

    def forget(self, config_path: Path | None = None) -> None:
        """Drop cached engines (of one config file, or all)."""
        for key in [k for k in self._engines if config_path is None or k[0] == config_path]:
            del self._engines[key]

    def _base(self, config_path: Path | None, model: str | None):
        key = (config_path, model)
        stamp = _file_stamp(config_path)
        cached = self._engines.get(key)
        if cached is not None and cached.stamp == stamp:
            return cached.engine
        engine = self._build(config_path, model)
        self._engines[key] = _CachedEngine(stamp, engine)
        return engine

    @staticmethod
    def _build(config_path: Path | None, model: str | None):
        # The same steps and error messages as `replylint check` (cli.Engines).
        from .config import ConfigError, Settings, load_settings
        from .engine import Engine
        from .registry import CheckLoadError, load

        try:
            base = load_settings(config_path) if config_path else Settings()
            registry = load(base.check_folders, base.lexicons)
            if config_path:
                base = load_settings(config_path, known_rules=registry.rules)
            if model:
                base = base.with_overrides(model=model)
            return Engine(base, registry=registry)
        except (ConfigError, CheckLoadError) as exc:
            raise EngineUnavailable(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - e.g. a model that is not installed
            raise EngineUnavailable(str(exc)) from None


def _file_stamp(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


# -- the service logic (runs inside a worker process) -------------------------

class RequestError(Exception):
    """A request the service refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


_TYPE_WORDS = {str: "a string", list: "a list", bool: "true or false", int: "a whole number", float: "a number", dict: "an object"}


def _field(payload: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
    """payload[key] if it is of the expected JSON type (or absent), else a 422."""
    value = payload.get(key, default)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # JSON true/false are Python ints too; they are not numbers here.
    if value is None or (isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)):
        return value
    raise RequestError(422, f"field '{key}' must be {' or '.join(_TYPE_WORDS[k] for k in kinds)}", "bad-request")


def _string_list(payload: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = _field(payload, key, (list, str)) or ()
    if isinstance(value, str):
        value = [value]
    if not all(isinstance(v, str) for v in value):
        raise RequestError(422, f"field '{key}' must be a list of rule ids", "bad-request")
    return tuple(value)


class CheckService:
    """What the endpoints do, without HTTP: ``handle(endpoint, payload)`` returns
    ``(status, body)``. One per worker process; it owns that worker's engines."""

    def __init__(self, default_config: Path | None = None, engines: EngineCache | None = None) -> None:
        self.default_config = default_config
        self.engines = engines or EngineCache()

    def warm_up(self) -> None:
        """Build the default engine and run one check, so the first request is fast."""
        self.engines.engine(self.default_config).check_text("We tested this on 4.2.0 and will update you by Friday.")

    def handle(self, endpoint: str, payload: Any) -> tuple[int, Any]:
        try:
            if not isinstance(payload, dict):
                raise RequestError(422, "the request body must be a JSON object", "bad-request")
            if endpoint == "check":
                return 200, self.check(payload)
            if endpoint == "fix":
                return 200, self.fix(payload)
            if endpoint == "render":
                return 200, self.render(payload)
            raise RequestError(404, f"no endpoint '{endpoint}'", "not-found")
        except RequestError as exc:
            return exc.status, {"error": str(exc), "code": exc.code}
        except EngineUnavailable as exc:
            return 422, {"error": str(exc), "code": "config-error"}

    # -- helpers ----------------------------------------------------------------
    def _config_for(self, payload: Mapping[str, Any], path: str | None) -> Path | None:
        """An explicit "config" file wins; else the nearest config above "path" (as
        `replylint check` looks for it); else the service's own config."""
        from .config import CONFIG_NAMES, find_config

        explicit = _field(payload, "config", str)
        if explicit:
            config = Path(explicit)
            # Only files that are configs by name: the service must not be a way
            # to make it read arbitrary files.
            if config.name not in CONFIG_NAMES and not config.name.endswith(".toml"):
                raise RequestError(422, f"field 'config' must name a .toml config file, not {explicit!r}", "bad-request")
            return config
        if path:
            return find_config(Path(path))
        return self.default_config

    def _overrides(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        from .cli import _override_options

        fail_level = _field(payload, "fail_level", str)
        if fail_level is not None and fail_level not in LEVELS:
            raise RequestError(422, f"field 'fail_level' must be one of {', '.join(LEVELS)}", "bad-request")
        min_score = _field(payload, "min_score", int)
        if min_score is not None and not 0 <= min_score <= 100:
            raise RequestError(422, "field 'min_score' must be from 0 to 100", "bad-request")
        return _override_options(_string_list(payload, "select"), _string_list(payload, "ignore"), fail_level, min_score,
                                 _field(payload, "model", str))

    @staticmethod
    def _source(item: Mapping[str, Any], default_name: str, max_bytes: int | None):
        """A Source from {"text"} or {"data_base64"} (decoded as a file is), or an
        error Result, as reading the input locally would give."""
        from .engine import Result
        from .inputs import InputError, source_from_bytes, source_from_text

        name = _field(item, "name", str) or default_name
        fmt = _field(item, "format", str)
        if fmt is not None and fmt not in FORMATS:
            raise RequestError(422, f"field 'format' must be one of {', '.join(FORMATS)}", "bad-request")
        if _field(item, "error", str):
            return Result(source=name, error=item["error"])
        text = _field(item, "text", str)
        encoded = _field(item, "data_base64", str)
        if text is None and encoded is None:
            raise RequestError(422, "give the reply as field 'text' (a string) or 'data_base64'", "bad-request")
        if text is not None:
            return source_from_text(text, name, fmt)
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(422, "field 'data_base64' is not valid base64", "bad-request") from None
        if max_bytes is not None and len(data) > max_bytes:
            # Word for word what inputs.read_path says about a file over the limit.
            return Result(source=name, error=f"{name}: is {len(data):,} bytes, over the {max_bytes:,}-byte limit "
                                             "(raise max-bytes in the config to check it)")
        try:
            return source_from_bytes(data, name, fmt=fmt)
        except InputError as exc:
            return Result(source=name, error=str(exc))

    def _items(self, payload: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], bool]:
        if "replies" in payload:
            replies = payload["replies"]
            if not isinstance(replies, list) or not all(isinstance(r, dict) for r in replies):
                raise RequestError(422, "field 'replies' must be a list of objects", "bad-request")
            return replies, False
        return [payload], True

    # -- endpoints ----------------------------------------------------------------
    def check(self, payload: Mapping[str, Any]) -> Any:
        from .engine import Result

        overrides = self._overrides(payload)
        items, single = self._items(payload)
        out = []
        for i, item in enumerate(items):
            engine = self.engines.engine(self._config_for(payload, _field(item, "path", str)), overrides)
            source = self._source(item, "<request>" if single else f"<request {i + 1}>", None)
            result = source if isinstance(source, Result) else engine.check_source(source)
            out.append(result.to_dict())
        return out[0] if single else out

    def fix(self, payload: Mapping[str, Any]) -> Any:
        from .engine import Result
        from .fixes import fix_source

        unsafe = bool(_field(payload, "unsafe", bool, False))
        engine = self.engines.engine(self._config_for(payload, _field(payload, "path", str)), self._overrides(payload))
        source = self._source(payload, "<request>", None)
        if isinstance(source, Result):
            return source.to_dict()
        outcome = fix_source(engine, source, unsafe=unsafe)
        engine.fixer.problems.clear()
        body = outcome.remaining.to_dict()
        body["fixed_text"] = outcome.text
        body["applied"] = [{"rule": e.rule, "safety": e.safety} for e in outcome.applied]
        return body

    def render(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """`replylint check --server`: check like cli.run_check, render like cli.check."""
        from .cli import exit_code
        from .config import find_config
        from .output import (
            render_github,
            render_json,
            render_jsonl,
            render_sarif,
            render_text,
        )

        output_format = _field(payload, "format", str) or "text"
        if output_format not in OUTPUT_FORMATS:
            raise RequestError(422, f"field 'format' must be one of {', '.join(OUTPUT_FORMATS)}", "bad-request")
        inputs = payload.get("inputs")
        if not isinstance(inputs, list) or not inputs or not all(isinstance(i, dict) for i in inputs):
            raise RequestError(422, "field 'inputs' must be a non-empty list of objects", "bad-request")
        input_format = _field(payload, "input_format", str)
        overrides = self._overrides(payload)
        explicit = _field(payload, "config", str)
        used: dict[Path | None, Any] = {}

        def engine_for(path: str | None):
            # As cli.Engines.config_for: --config, else the nearest config above the path.
            if explicit:
                config = self._config_for({"config": explicit}, None)
            else:
                config = find_config(Path(path)) if path else None
            if config not in used:
                used[config] = self.engines.engine(config, overrides)
            return used[config]

        groups: dict[int, list[tuple[int, Any]]] = {}
        engines_by_group: dict[int, Any] = {}
        for i, item in enumerate(inputs):
            lookup = _field(item, "path", str)
            engine = engine_for(lookup)
            is_stdin = bool(item.get("stdin"))
            source = self._source({**item, "format": input_format}, item.get("name") or "-",
                                  None if is_stdin else engine.settings.max_bytes)
            groups.setdefault(id(engine), []).append((i, source))
            engines_by_group[id(engine)] = engine
        results: list[Any] = [None] * len(inputs)
        for key, items in groups.items():
            engine = engines_by_group[key]
            for (i, _), result in zip(items, engine.check_sources([s for _, s in items])):
                results[i] = result
        settings = engine_for(_field(payload, "settings_path", str)).settings
        if output_format == "text":
            text = render_text(results, colour=bool(payload.get("colour")), show_summary=not payload.get("quiet"))
        elif output_format == "json":
            text = render_json(results, single=bool(payload.get("single")))
        elif output_format == "jsonl":
            text = render_jsonl(results)
        elif output_format == "sarif":
            text = render_sarif(results, next(iter(used.values())).registry)
        else:
            text = render_github(results)
        code = exit_code(results, settings.fail_level, settings.min_score, bool(payload.get("exit_zero")))
        return {"output": text, "exit_code": code}


# -- worker processes -----------------------------------------------------------

class WorkerTimeout(Exception):
    pass


class WorkerDied(Exception):
    pass


def _worker_main(conn, default_config: str | None) -> None:
    """Entry point of a worker process: build the engine, say ready, serve jobs."""
    import signal

    # Ctrl-C reaches the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    service = CheckService(Path(default_config) if default_config else None)
    try:
        service.warm_up()
        conn.send(("ready", None))
    except EngineUnavailable as exc:
        # Still serve: requests that use the broken config get a 422 that names the
        # problem, and requests for other configs work; the operator sees it now.
        conn.send(("ready", f"the default config cannot be used: {exc}"))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        endpoint, payload = job
        try:
            reply = service.handle(endpoint, payload)
        except Exception as exc:  # noqa: BLE001 - answer, and keep the worker alive
            reply = (500, {"error": f"internal error while checking ({type(exc).__name__}: {exc}); please report it",
                           "code": "internal-error"})
        conn.send(reply)


class WorkerProcess:
    """One worker process and the pipe to it. Blocking calls: use from a thread."""

    def __init__(self, mp_context, default_config: Path | None) -> None:
        self._conn, child_conn = mp_context.Pipe()
        self.process = mp_context.Process(target=_worker_main, args=(child_conn, str(default_config) if default_config else None),
                                          name="replylint-check-worker", daemon=True)
        self.process.start()
        child_conn.close()

    def wait_ready(self, timeout: float) -> str | None:
        """None when ready, else why not."""
        try:
            if not self._conn.poll(timeout):
                return f"the check worker was not ready after {timeout:.0f} s"
            _status, warning = self._conn.recv()
        except (EOFError, OSError):
            return "the check worker exited while starting"
        if warning:
            print(f"replylint serve: warning: {warning}", file=sys.stderr, flush=True)
        return None

    def call(self, endpoint: str, payload: Any, time_limit: float) -> tuple[int, Any]:
        try:
            self._conn.send((endpoint, payload))
            if not self._conn.poll(time_limit):
                raise WorkerTimeout()
            return self._conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            raise WorkerDied() from None

    def stop(self, grace: float = 2.0) -> None:
        try:
            self._conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(grace)
        self._conn.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self._conn.close()


class WorkerPool:
    """A fixed number of worker processes; a job takes an idle one, and a worker that
    overruns the time limit (or dies) is killed and replaced."""

    def __init__(self, size: int, default_config: Path | None, start_timeout: float = 120.0) -> None:
        import multiprocessing

        # spawn, not fork: the parent runs an event loop and threads.
        self._mp = multiprocessing.get_context("spawn")
        self.size = size
        self.default_config = default_config
        self.start_timeout = start_timeout
        self.ready = 0
        self.startup_error: str | None = None
        self._idle: asyncio.Queue[WorkerProcess] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._all: set[WorkerProcess] = set()
        self._lock = threading.Lock()
        self._closing = False

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        for _ in range(self.size):
            self._spawn()

    def _spawn(self) -> None:
        def start_and_wait() -> None:
            worker = WorkerProcess(self._mp, self.default_config)
            with self._lock:
                self._all.add(worker)
            problem = worker.wait_ready(self.start_timeout)
            if problem is not None or self._closing:
                self.startup_error = problem
                if problem:
                    print(f"replylint serve: {problem}", file=sys.stderr, flush=True)
                worker.kill()
                with self._lock:
                    self._all.discard(worker)
                return
            assert self._loop is not None and self._idle is not None
            self._loop.call_soon_threadsafe(self._became_ready, worker)

        threading.Thread(target=start_and_wait, name="replylint-worker-start", daemon=True).start()

    def _became_ready(self, worker: WorkerProcess) -> None:
        self.ready += 1
        assert self._idle is not None
        self._idle.put_nowait(worker)

    async def run(self, endpoint: str, payload: Any, time_limit: float) -> tuple[int, Any]:
        assert self._idle is not None
        try:
            worker = await asyncio.wait_for(self._idle.get(), time_limit)
        except TimeoutError:
            return 503, {"error": f"all check workers stayed busy for the {time_limit:g} s time limit; try again",
                         "code": "busy"}
        try:
            reply = await asyncio.to_thread(worker.call, endpoint, payload, time_limit)
        except WorkerTimeout:
            self._replace(worker)
            return 503, {"error": f"the check took longer than the {time_limit:g} s time limit and was stopped "
                                  "(a very long reply? raise --time-limit)", "code": "time-limit"}
        except WorkerDied:
            self._replace(worker)
            return 500, {"error": "the check worker died while checking; it has been restarted", "code": "worker-died"}
        self._idle.put_nowait(worker)
        return reply

    def _replace(self, worker: WorkerProcess) -> None:
        self.ready -= 1
        with self._lock:
            self._all.discard(worker)
        threading.Thread(target=worker.kill, daemon=True).start()
        if not self._closing:
            self._spawn()

    def stop(self) -> None:
        self._closing = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


# -- HTTP -------------------------------------------------------------------------

@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    time_limit: float = DEFAULT_TIME_LIMIT
    cors_origins: tuple[str, ...] = ()
    token: str | None = None
    workers: int = 2
    max_connections: int = 256
    config: Path | None = None
    allow_remote: bool = False


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServeError(Exception):
    """The service cannot start as asked; the message says why."""


def create_app(options: ServeOptions, pool: WorkerPool):
    """The Starlette application: limits, token, CORS and routing around the pool."""
    import json
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def problem(status: int, message: str, code: str, **headers: str) -> JSONResponse:
        return JSONResponse({"error": message, "code": code}, status_code=status, headers=headers or None)

    async def read_json(request: Request) -> Any:
        """The body as JSON, or a RequestError saying what is wrong with it."""
        declared = request.headers.get("content-length")
        limit = options.max_body_bytes
        if declared is not None:
            if not declared.isdigit():
                raise RequestError(400, "Content-Length is not a number", "bad-request")
            if int(declared) > limit:
                raise RequestError(413, f"the request body is {int(declared):,} bytes, over the {limit:,}-byte limit "
                                        "(replylint serve --max-body-bytes)", "too-large")
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise RequestError(415, "send the body as Content-Type: application/json", "unsupported-media-type")
        body = bytearray()

        async def receive_all() -> None:
            async for chunk in request.stream():
                body.extend(chunk)
                if len(body) > limit:
                    raise RequestError(413, f"the request body is over the {limit:,}-byte limit "
                                            "(replylint serve --max-body-bytes)", "too-large")

        try:
            await asyncio.wait_for(receive_all(), options.time_limit)
        except TimeoutError:
            raise RequestError(408, f"the request body did not arrive within {options.time_limit:g} s", "timeout") from None
        try:
            # Decoded here: json.loads on bytes would guess UTF-16/32 from the first bytes.
            return json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise RequestError(400, "the request body is not UTF-8 text", "bad-json") from None
        except json.JSONDecodeError as exc:
            raise RequestError(400, f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                               "bad-json") from None

    def authorised(request: Request) -> bool:
        if not options.token:
            return True
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), options.token.encode())

    def endpoint(name: str):
        async def handle(request: Request) -> JSONResponse:
            if not authorised(request):
                return problem(401, "missing or wrong token: send Authorization: Bearer TOKEN", "unauthorised",
                               **{"WWW-Authenticate": "Bearer"})
            try:
                payload = await read_json(request)
            except RequestError as exc:
                # The body may not have been read: close rather than reuse the connection.
                return problem(exc.status, str(exc), exc.code, Connection="close")
            if not isinstance(payload, dict):
                return problem(422, "the request body must be a JSON object", "bad-request")
            status, body = await pool.run(name, payload, options.time_limit)
            return JSONResponse(body, status_code=status)

        return handle

    async def health(request: Request) -> JSONResponse:
        body = {"status": "ok" if pool.ready > 0 else "starting", "version": __version__,
                "workers": pool.size, "workers_ready": pool.ready}
        if pool.startup_error and pool.ready == 0:
            body.update(status="failed", error=pool.startup_error)
        return JSONResponse(body, status_code=200 if pool.ready > 0 else 503)

    @asynccontextmanager
    async def lifespan(app):
        await pool.start()
        try:
            yield
        finally:
            await asyncio.to_thread(pool.stop)

    middleware = []
    if options.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(options.cors_origins),
                                     allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Authorization"],
                                     allow_private_network=True, max_age=600))
    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/check", endpoint("check"), methods=["POST"]),
        Route("/fix", endpoint("fix"), methods=["POST"]),
        Route("/render", endpoint("render"), methods=["POST"]),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def serve(options: ServeOptions) -> None:
    """Bind, start the workers, serve until interrupted (SIGINT/SIGTERM)."""
    import socket

    import uvicorn

    if not is_loopback(options.host) and not options.allow_remote:
        raise ServeError(f"{options.host} is not a loopback address; the service answers only this machine unless "
                         "started with --allow-remote (and then give it a --token)")
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((options.host, options.port))
        # Listen now, so that the address printed below accepts connections at once
        # (they wait in the backlog until uvicorn has started).
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}") from None
    host, port = sock.getsockname()[:2]
    pool = WorkerPool(options.workers, options.config)
    app = create_app(options, pool)
    shown_host = f"[{host}]" if ":" in host else host
    print(f"replylint serve: listening on http://{shown_host}:{port} ({options.workers} check worker(s) starting; "
          f"GET /health says when they are ready)", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, limit_concurrency=options.max_connections,
                            timeout_keep_alive=5, lifespan="on", server_header=False)
    uvicorn.Server(config).run(sockets=[sock])
