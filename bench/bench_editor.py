"""Editor-path benchmarks: language-server warm latency, service load, `check --server`.

    python bench/bench_editor.py               # all three
    python bench/bench_editor.py lsp           # edit -> diagnostics over stdio, 300 words, 200 edits
    python bench/bench_editor.py serve         # 50 concurrent clients for 10 s against `replylint serve`
    python bench/bench_editor.py check-server  # `replylint check --server URL reply.md`, 30 runs

Every figure is wall-clock time seen by the client: for the language server, from
sending didChange to receiving publishDiagnostics for that version (debounce 0);
for the service, request sent to answer read; for `check --server`, process start
to exit. Targets (issue 5): LSP p95 < 20 ms; `check --server` < 0.1 s.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPLYLINT = Path(sys.executable).with_name("replylint")

# The same 300-word status update as the tests (tests/test_editor_lsp.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_editor_lsp import REPLY_300_WORDS, start_session, stop_session, uri_in


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def describe(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"{name}: n={len(ms)} p50 {percentile(ms, 0.5):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
            f"max {max(ms):.1f} ms, mean {statistics.mean(ms):.1f} ms")


def bench_lsp(edits: int = 200) -> None:
    from lsprotocol import types

    async def run() -> list[float]:
        with tempfile.TemporaryDirectory() as folder:
            session = await start_session("--debounce-ms", "0", workspace=Path(folder))
            uri = uri_in(Path(folder), "reply.md")
            session.open(uri, REPLY_300_WORDS)
            await session.diagnostics(uri, version=1)
            timings = []
            for i in range(edits + 20):
                typed = i % 2 == 0
                started = time.perf_counter()
                version = session.change(uri, [types.TextEdit(
                    range=types.Range(start=types.Position(line=2, character=0),
                                      end=types.Position(line=2, character=0 if typed else 1)),
                    new_text="x" if typed else "")])
                await session.diagnostics(uri, version=version)
                if i >= 20:  # the first edits warm caches
                    timings.append(time.perf_counter() - started)
            await stop_session(session)
            return timings

    print(describe(f"lsp re-check after an edit ({len(REPLY_300_WORDS.split())} words, over stdio)", asyncio.run(run())))


class ServiceProcess:
    def __init__(self, *args: str) -> None:
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115 - open while the service runs
        self.process = subprocess.Popen([str(REPLYLINT), "serve", "--port", "0", *args], stdout=self.log, stderr=self.log)
        try:
            self._wait_ready()
        except BaseException:
            self.process.kill()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while not (m := re.search(r"listening on (http://\S+):?", Path(self.log.name).read_text())):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"replylint serve did not start: {Path(self.log.name).read_text()}")
            time.sleep(0.05)
        self.url = m.group(1).rstrip(" (")
        self.port = int(self.url.rsplit(":", 1)[1])
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/health")
                body = json.loads(connection.getresponse().read())
                connection.close()
                if body.get("workers_ready") == body.get("workers"):
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit("replylint serve did not become healthy")
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(20)
        os.unlink(self.log.name)


def bench_serve(clients: int = 50, seconds: float = 10.0, workers: int = 2) -> None:
    service = ServiceProcess("--workers", str(workers))
    payload = json.dumps({"text": REPLY_300_WORDS, "name": "reply.md"}).encode()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                connection.request("POST", "/check", body=payload, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError as exc:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
                with lock:
                    errors.append(repr(exc))
            with lock:
                latencies.append(time.perf_counter() - started)
                if not ok:
                    errors.append("non-200")
        connection.close()

    try:
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        service.stop()
    print(describe(f"serve POST /check, {clients} concurrent clients for {seconds:g} s, {workers} workers "
                   f"({len(latencies) / seconds:.0f} requests/s, {len(errors)} errors)", latencies))


def bench_check_server(runs: int = 30) -> None:
    service = ServiceProcess("--workers", "1")
    try:
        with tempfile.TemporaryDirectory() as folder:
            reply = Path(folder) / "reply.md"
            reply.write_text(REPLY_300_WORDS)
            command = [str(REPLYLINT), "check", "--server", service.url, str(reply)]
            env = {k: v for k, v in os.environ.items() if k != "REPLYLINT_SERVER"}
            for _ in range(3):  # warm the OS file cache
                subprocess.run(command, capture_output=True, env=env, check=False)
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                done = subprocess.run(command, capture_output=True, env=env, check=False)
                timings.append(time.perf_counter() - started)
                assert b"checking locally" not in done.stderr, done.stderr
            local = []
            for _ in range(3):
                started = time.perf_counter()
                subprocess.run([str(REPLYLINT), "check", str(reply)], capture_output=True, env=env, check=False)
                local.append(time.perf_counter() - started)
    finally:
        service.stop()
    print(describe("replylint check --server URL reply.md (process start to exit)", timings))
    print(describe("replylint check reply.md, local, for comparison", local))


if __name__ == "__main__":
    wanted = sys.argv[1:] or ["lsp", "serve", "check-server"]
    for name in wanted:
        {"lsp": bench_lsp, "serve": bench_serve, "check-server": bench_check_server}[name]()
