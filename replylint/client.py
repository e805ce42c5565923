"""`replylint check --server URL`: check through a running `replylint serve`.

The point is start-up time: a local check imports spaCy and builds the pipeline
(over a second), while this path needs only click and the standard library. So
this module must not import the engine, spaCy, or anything that does: the inputs
are read here as bytes, and the service decodes, checks, renders and computes the
exit code with the same code as local checking (its POST /render endpoint), which
is what makes the output and exit codes identical.

If the service cannot be reached or refuses the request, a one-line notice goes to
stderr and None is returned: the caller then checks locally.
"""

from __future__ import annotations

import binascii
import io
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

CONNECT_TIMEOUT = 2.0
# Above the service's default per-request time limit, so that the service, which
# can stop a runaway check, is the one that gives up first.
RESPONSE_TIMEOUT = 30.0
TOKEN_ENV = "REPLYLINT_TOKEN"


class ServiceUnavailable(Exception):
    """The service could not answer; the message says why, for the notice."""


def check_via_server(server: str, paths: list[str], stdin_filename: str | None, output_format: str,
                     fail_level: str | None, min_score: int | None, exit_zero: bool, input_format: str | None,
                     *, colour: bool | None = None, quiet: bool = False, config: Path | None = None,
                     select: tuple[str, ...] = (), ignore: tuple[str, ...] = (), model: str | None = None,
                     ) -> tuple[str, int] | None:
    """Return (text to print, exit code), or None to fall back to local checking."""
    stdin_bytes: bytes | None = None
    inputs = []
    for p in paths:
        if p == "-":
            stdin_bytes = sys.stdin.buffer.read()
            # The config is looked up from --stdin-filename, else from the working
            # directory, as local checking does.
            lookup = os.path.abspath(stdin_filename) if stdin_filename else os.getcwd()
            inputs.append({"name": stdin_filename or "-", "path": lookup, "stdin": True, "data_base64": _b64(stdin_bytes)})
        else:
            inputs.append(_read_file(p))
    first = paths[0] if paths else "-"
    payload = {
        "inputs": inputs,
        "format": output_format,
        "input_format": input_format,
        "colour": sys.stdout.isatty() if colour is None else colour,
        "quiet": quiet,
        "single": len(paths) == 1,
        "fail_level": fail_level,
        "min_score": min_score,
        "exit_zero": exit_zero,
        "select": list(select),
        "ignore": list(ignore),
        "model": model,
        "config": os.path.abspath(config) if config else None,
        "settings_path": os.getcwd() if first == "-" else os.path.abspath(first),
    }
    try:
        status, body = post_json(server, "/render", payload)
    except ServiceUnavailable as exc:
        return _fall_back(server, str(exc), stdin_bytes)
    if status == 200 and isinstance(body, dict) and isinstance(body.get("output"), str) and isinstance(body.get("exit_code"), int):
        return body["output"], body["exit_code"]
    message = body.get("error") if isinstance(body, dict) else None
    if status == 422 and isinstance(body, dict) and body.get("code") == "config-error":
        # A broken config is the user's error either way: report it as local checking would.
        print(f"replylint: error: {message}", file=sys.stderr)
        return "", 2
    return _fall_back(server, f"HTTP {status}: {message or 'unexpected answer'}", stdin_bytes)


def _read_file(path: str) -> dict:
    try:
        data = Path(path).read_bytes()
    except OSError:
        # Rare path: let the input reader word the error exactly as local checking does.
        from .inputs import InputError, read_path

        try:
            data = read_path(path).text.encode("utf-8")
        except InputError as exc:
            return {"name": path, "error": str(exc)}
    return {"name": path, "path": os.path.abspath(path), "data_base64": _b64(data)}


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _fall_back(server: str, why: str, stdin_bytes: bytes | None) -> None:
    print(f"replylint: the check service at {server} is not available ({why}); checking locally", file=sys.stderr)
    if stdin_bytes is not None:
        # stdin was consumed above; hand the same bytes to the local check.
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin_bytes), encoding="utf-8")


def post_json(server: str, endpoint: str, payload: dict, token: str | None = None) -> tuple[int, object]:
    """POST JSON to the service; (status, decoded body). Raises ServiceUnavailable."""
    url = urlsplit(server if "://" in server else f"http://{server}")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ServiceUnavailable(f"not an http:// URL: {server!r}")
    body = json.dumps(payload).encode("utf-8")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    token = token if token is not None else os.environ.get(TOKEN_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    path = url.path.rstrip("/") + endpoint
    try:
        if url.scheme == "https":
            status, raw = _post_https(url, path, body, headers)
        else:
            status, raw = _post_http(url.hostname, url.port or 80, path, body, headers)
    except (OSError, ValueError) as exc:
        raise ServiceUnavailable(_describe(exc)) from None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


def _post_http(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a fresh connection (Connection: close).

    Written on the socket module rather than http.client because http.client
    imports the email package and ssl, about 20 ms of a 100 ms budget for a
    pre-send check; the one peer it talks to is `replylint serve`."""
    import socket

    host_header = f"[{host}]" if ":" in host else host
    head = [f"POST {path} HTTP/1.1", f"Host: {host_header}:{port}", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock:
        sock.settimeout(RESPONSE_TIMEOUT)
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    response = b"".join(chunks)
    header_end = response.find(b"\r\n\r\n")
    if header_end < 0:
        raise ValueError("the service closed the connection before answering")
    status_line, *header_lines = response[:header_end].decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP answer: {status_line[:60]!r}")
    fields = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    payload = response[header_end + 4:]
    if "chunked" in fields.get("transfer-encoding", "").lower():
        payload = _dechunk(payload)
    elif fields.get("content-length", "").isdigit():
        payload = payload[: int(fields["content-length"])]
    return int(parts[1]), payload


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        line_end = data.index(b"\r\n", pos)
        size = int(data[pos:line_end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        start = line_end + 2
        out += data[start:start + size]
        pos = start + size + 2


def _post_https(url, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    import http.client

    connection = http.client.HTTPSConnection(url.hostname, url.port, timeout=RESPONSE_TIMEOUT)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except http.client.HTTPException as exc:
        raise ValueError(str(exc)) from None
    finally:
        connection.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: is `replylint serve` running?"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return f"{type(exc).__name__}: {exc}"
