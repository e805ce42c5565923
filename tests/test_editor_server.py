"""`replylint serve` over real HTTP on loopback, and `replylint check --server`.

One service process (token, one CORS origin, two workers) serves most tests; the
time-limit test starts its own with a short limit.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sample_replies import CLEAN_REPLY

REPLYLINT = Path(sys.executable).with_name("replylint")
TOKEN = "s3cret-for-tests"
ORIGIN = "https://support.example.com"

ERROR_REPLY = """Hi Priya,

We could not reproduce this issue on our side. Please check at your end and let us know.

Thanks
"""


SCATTERED_REPLY = """Hi Priya,

Could you share the carbon log from node 2?

We restarted the gateway on our test cluster and the error did not come back.

Also, please send your deployment.toml.

Thanks
"""


class Service:
    """A `replylint serve` process on a free loopback port."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.log = tmp / "serve.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen([str(REPLYLINT), "serve", "--port", "0", *args], stdout=log, stderr=log,
                                            cwd=tmp)
        try:
            self.port = self._port_from_log()
            self.url = f"http://127.0.0.1:{self.port}"
            self.wait_healthy()
        except BaseException:
            self.stop()  # never leave a service behind
            raise

    def _port_from_log(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log.read_text())
            if m:
                return int(m.group(1))
            if self.process.poll() is not None:
                pytest.fail(f"replylint serve exited: {self.log.read_text()}")
            time.sleep(0.05)
        pytest.fail("replylint serve did not say where it listens")

    def wait_healthy(self, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, body, _ = self.request("GET", "/health")
            except ConnectionError:
                status, body = None, None
            if status == 200 and body["status"] == "ok" and body["workers_ready"] == body["workers"]:
                return body
            time.sleep(0.1)
        pytest.fail(f"the service did not become healthy: {self.log.read_text()}")

    def request(self, method: str, path: str, body: bytes | str | dict | None = None, headers: dict | None = None,
                token: str | None = TOKEN):
        if isinstance(body, dict):
            body = json.dumps(body)
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw.decode("utf-8", "replace")
        return response.status, decoded, dict(response.getheaders())

    def stop(self) -> bool:
        """SIGTERM, as a service manager would; True if it shut down by itself."""
        self.process.terminate()
        try:
            self.process.wait(20)
            return True
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            return False


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = Service(tmp_path_factory.mktemp("serve"), "--token", TOKEN, "--cors-origin", ORIGIN, "--workers", "2")
    yield svc
    assert svc.stop(), "replylint serve did not stop on SIGTERM"
    # uvicorn re-raises SIGTERM after its graceful shutdown, hence -15 rather than 0.
    assert svc.process.returncode in (0, -15) and "Traceback" not in svc.log.read_text(), svc.log.read_text()


# -- the HTTP service ---------------------------------------------------------------

def test_editor_server_health_check_and_fix_speak_the_protocol(service, engine):
    status, health, _ = service.request("GET", "/health")
    assert status == 200 and health["status"] == "ok" and health["workers_ready"] == 2

    status, body, _ = service.request("POST", "/check", {"text": ERROR_REPLY, "name": "case.md"})
    assert status == 200
    assert body == engine.check_text(ERROR_REPLY, name="case.md").to_dict()  # the PROTOCOL.md object, exactly
    found = [(f["rule"], f["line"], f["column"]) for f in body["findings"]]
    assert ("cannot-reproduce", 3, 1) in found and ("bounce-back", 3, 48) in found

    status, many, _ = service.request("POST", "/check", {"replies": [{"text": CLEAN_REPLY, "name": "a.md"},
                                                                       {"text": ERROR_REPLY, "name": "b.md"}]})
    assert status == 200 and [r["source"] for r in many] == ["a.md", "b.md"] and many[0]["findings"] == []

    status, fixed, _ = service.request("POST", "/fix", {"text": SCATTERED_REPLY, "name": "c.md"})
    assert status == 200
    assert {"rule": "scattered-requests", "safety": "safe"} in fixed["applied"]
    assert "1. Could you share the carbon log from node 2?" in fixed["fixed_text"]
    assert "scattered-requests" not in [f["rule"] for f in fixed["findings"]]  # findings are of the fixed text


def test_editor_server_select_and_ignore_apply_per_request(service):
    status, body, _ = service.request("POST", "/check", {"text": ERROR_REPLY, "ignore": ["bounce-back"]})
    rules = [f["rule"] for f in body["findings"]]
    assert status == 200 and "cannot-reproduce" in rules and "bounce-back" not in rules
    status, body, _ = service.request("POST", "/check", {"text": ERROR_REPLY, "select": ["bounce-back"]})
    assert [f["rule"] for f in body["findings"]] == ["bounce-back"]
    status, body, _ = service.request("POST", "/check", {"text": ERROR_REPLY})
    rules = [f["rule"] for f in body["findings"]]
    assert "cannot-reproduce" in rules and "bounce-back" in rules  # the cached engine is unchanged


@pytest.mark.parametrize("body, headers, status, code, words", [
    (b'{"text": "unterminated', {}, 400, "bad-json", "not valid JSON"),
    (b'[1, 2]', {}, 422, "bad-request", "must be a JSON object"),
    (b'{"text": 42}', {}, 422, "bad-request", "field 'text' must be a string"),
    (b'{"text": "hi", "format": "pdf"}', {}, 422, "bad-request", "field 'format' must be one of"),
    (b'{"name": "no text"}', {}, 422, "bad-request", "give the reply as field 'text'"),
    (b'{"text": "hi"}', {"Content-Type": "text/plain"}, 415, "unsupported-media-type", "application/json"),
    (b'\xff\xfe not utf-8', {}, 400, "bad-json", "not UTF-8"),
])
def test_editor_server_bad_requests_get_a_clear_4xx_and_the_service_stays_up(service, body, headers, status, code, words):
    got, answer, _ = service.request("POST", "/check", body, headers=headers)
    assert (got, answer["code"]) == (status, code)
    assert words in answer["error"]
    assert service.request("GET", "/health")[0] == 200


def raw_http(port: int, head: str, body: bytes = b"") -> tuple[int, dict]:
    """Send a request by hand (to control framing); return the status and JSON answer."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.split(b"\r\n\r\n", 1)[1])


def test_editor_server_refuses_an_oversize_body_before_reading_it(service):
    # 2 MB announced, only headers sent: the 413 comes without waiting for the body.
    status, answer = raw_http(service.port, f"POST /check HTTP/1.1\nHost: x\nContent-Type: application/json\n"
                                            f"Authorization: Bearer {TOKEN}\nContent-Length: 2000000\n")
    assert status == 413 and answer["code"] == "too-large" and "2,000,000 bytes, over the 1,048,576-byte limit" in answer["error"]
    assert service.request("POST", "/check", {"text": CLEAN_REPLY})[0] == 200


@pytest.fixture(scope="module")
def small_service(tmp_path_factory):
    """A service with a 5,000-byte body limit whose default config is broken."""
    folder = tmp_path_factory.mktemp("small-serve")
    (folder / ".replylint.toml").write_text('fail-level = "sometimes"\n')
    svc = Service(folder, "--workers", "1", "--max-body-bytes", "5000")
    yield svc, folder
    assert svc.stop()


def test_editor_server_limits_a_chunked_body_while_reading_it(small_service):
    svc, _ = small_service
    body = json.dumps({"text": "We tested it. " * 500}).encode()  # 7 KB, no Content-Length
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    status, answer = raw_http(svc.port, "POST /check HTTP/1.1\nHost: x\nContent-Type: application/json\n"
                                        "Transfer-Encoding: chunked\n", chunked)
    assert status == 413 and "over the 5,000-byte limit" in answer["error"]
    assert svc.request("GET", "/health")[0] == 200


def test_editor_server_requires_the_token(service):
    status, answer, headers = service.request("POST", "/check", {"text": CLEAN_REPLY}, token=None)
    assert status == 401 and "Bearer" in answer["error"] and headers.get("www-authenticate") == "Bearer"
    assert service.request("POST", "/check", {"text": CLEAN_REPLY}, token="wrong")[0] == 401


def test_editor_server_cors_only_for_configured_origins(service):
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, authorization"}
    status, _, headers = service.request("OPTIONS", "/check", headers=preflight, token=None)
    assert status == 200 and headers["access-control-allow-origin"] == ORIGIN
    status, _, headers = service.request("OPTIONS", "/check", headers={**preflight, "Origin": "https://evil.example"}, token=None)
    assert status == 400 and "access-control-allow-origin" not in headers
    status, _, headers = service.request("POST", "/check", {"text": CLEAN_REPLY}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in headers  # the browser will not hand the answer to that page


def test_editor_server_time_limit_stops_a_runaway_check_and_recovers(tmp_path):
    svc = Service(tmp_path, "--time-limit", "0.5", "--workers", "1")
    try:
        huge = "We restarted node 2 and will update you soon. Could you share the log?\n\n" * 3500  # ~250 KB: seconds
        started = time.monotonic()
        status, answer, _ = svc.request("POST", "/check", {"text": huge})
        assert status == 503 and answer["code"] == "time-limit" and "0.5 s time limit" in answer["error"]
        assert time.monotonic() - started < 3
        svc.wait_healthy()  # the overrunning worker was replaced
        status, body, _ = svc.request("POST", "/check", {"text": CLEAN_REPLY})
        assert status == 200 and body["findings"] == []
    finally:
        svc.stop()


def test_editor_server_with_a_broken_config_answers_what_is_wrong(small_service):
    svc, folder = small_service  # its default config is broken
    assert "warning: the default config cannot be used" in svc.log.read_text()
    status, answer, _ = svc.request("POST", "/check", {"text": CLEAN_REPLY})
    assert status == 422 and answer["code"] == "config-error" and "key 'fail-level'" in answer["error"]
    # A request whose file has a good config nearby is still checked.
    good = folder / "good"
    good.mkdir()
    (good / ".replylint.toml").write_text('ignore = ["bounce-back"]\n')
    status, body, _ = svc.request("POST", "/check", {"text": ERROR_REPLY, "path": str(good / "reply.md")})
    rules = [f["rule"] for f in body["findings"]]
    assert status == 200 and "cannot-reproduce" in rules and "bounce-back" not in rules


def test_editor_server_listens_on_loopback_only_unless_told():
    refused = subprocess.run([str(REPLYLINT), "serve", "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True,
                             timeout=60, check=False)
    assert refused.returncode == 2
    assert "not a loopback address" in refused.stderr and "--allow-remote" in refused.stderr


def test_editor_server_bounded_concurrent_load(service):
    """50 concurrent clients for 3 s (the benchmark runs 10 s): no errors; p95 printed."""
    from test_editor_lsp import REPLY_300_WORDS

    payload = json.dumps({"text": REPLY_300_WORDS, "name": "load.md"}).encode()
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + 3.0

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        try:
            while time.monotonic() < stop_at:
                t = time.perf_counter()
                connection.request("POST", "/check", body=payload, headers=headers)
                response = connection.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - t
                with lock:
                    if response.status != 200 or b'"findings"' not in data:
                        failures.append(f"{response.status}: {data[:200]!r}")
                    latencies.append(elapsed)
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            with lock:
                failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures[:5]
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"\nserve load: 50 clients x 3 s: {len(latencies)} requests, {len(latencies) / 3:.0f}/s, "
          f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    assert len(latencies) >= 50
    assert service.request("GET", "/health")[0] == 200


# -- replylint check --server -------------------------------------------------------

def run_check(args: list[str], cwd: Path, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "REPLYLINT_TOKEN": TOKEN, **(env or {})}
    full_env.pop("REPLYLINT_SERVER", None)
    return subprocess.run([str(REPLYLINT), "check", *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          env=full_env, timeout=120, check=False)


@pytest.fixture(scope="module")
def replies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replies")
    (folder / "error.md").write_text(ERROR_REPLY)
    (folder / "clean.md").write_text(CLEAN_REPLY)
    (folder / "scattered.txt").write_text(SCATTERED_REPLY)
    team = folder / "team"
    team.mkdir()
    (team / ".replylint.toml").write_text('ignore = ["bounce-back"]\nfail-level = "error"\n')
    (team / "error.md").write_text(ERROR_REPLY)
    return folder


@pytest.mark.parametrize("args", [
    ["--no-color", "error.md", "clean.md", "scattered.txt", "team/error.md", "missing.md"],
    ["-f", "json", "clean.md"],
    ["-f", "json", "--fail-level", "error", "scattered.txt"],
    ["-f", "sarif", "--select", "scattered-requests", "scattered.txt", "error.md"],
    ["-f", "github", "--min-score", "95", "clean.md", "team/error.md"],
    ["-f", "jsonl", "--exit-zero", "--ignore", "cannot-reproduce", "error.md"],
])
def test_editor_client_check_server_prints_what_local_checking_prints(service, replies, args):
    local = run_check(args, replies)
    remote = run_check(["--server", service.url, *args], replies)
    assert remote.stdout == local.stdout
    assert remote.returncode == local.returncode
    assert "checking locally" not in remote.stderr


def test_editor_client_stdin_through_the_server_uses_the_named_files_config(service, replies):
    args = ["--no-color", "--stdin-filename", "team/draft.md", "-"]
    local = run_check(args, replies, stdin=ERROR_REPLY)
    remote = run_check(["--server", service.url, *args], replies, stdin=ERROR_REPLY)
    assert (remote.stdout, remote.returncode) == (local.stdout, local.returncode)
    assert "team/draft.md:3:1: cannot-reproduce [error]" in remote.stdout and "bounce-back" not in remote.stdout


def test_editor_client_env_var_and_fallback_when_the_service_is_down(service, replies):
    via_env = run_check(["--no-color", "error.md"], replies, env={"REPLYLINT_SERVER": service.url})
    assert via_env.returncode == 1 and "cannot-reproduce" in via_env.stdout and via_env.stderr == ""

    import socket

    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    args = ["--no-color", "--stdin-filename", "error.md", "-"]
    fallback = run_check(["--server", dead, *args], replies, stdin=ERROR_REPLY)
    local = run_check(args, replies, stdin=ERROR_REPLY)
    assert f"the check service at {dead} is not available" in fallback.stderr and "checking locally" in fallback.stderr
    assert (fallback.stdout, fallback.returncode) == (local.stdout, local.returncode)  # stdin was not lost

    refused = run_check(["--server", service.url, "error.md"], replies, env={"REPLYLINT_TOKEN": "wrong"})
    assert "HTTP 401" in refused.stderr and refused.returncode == 1  # refused: checked locally instead


def test_editor_client_config_errors_match_local_checking(service, replies, tmp_path):
    (tmp_path / ".replylint.toml").write_text('fail-level = "sometimes"\n')
    (tmp_path / "reply.md").write_text(CLEAN_REPLY)
    local = run_check(["reply.md"], tmp_path)
    remote = run_check(["--server", service.url, "reply.md"], tmp_path)
    assert local.returncode == remote.returncode == 2
    assert remote.stderr == local.stderr and "key 'fail-level'" in remote.stderr


def test_editor_client_server_path_does_not_import_spacy_or_the_engine(service, replies):
    probe = (
        "import sys\n"
        f"sys.argv = ['replylint', 'check', '--server', {service.url!r}, 'error.md']\n"
        "from replylint.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "heavy = sorted(m for m in ('spacy', 'replylint.engine', 'replylint.nlp', 'jinja2') if m in sys.modules)\n"
        "print('HEAVY', heavy, 'EXIT', code, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=replies, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "REPLYLINT_TOKEN": TOKEN}, check=False)
    assert "HEAVY [] EXIT 1" in done.stderr, done.stderr
    assert "cannot-reproduce" in done.stdout
