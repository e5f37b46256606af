"""Starts the real parley-server on 127.0.0.1 (a free port, a fresh data directory, the real
SmolLM2 model) for the gateway's Python tests, and talks raw HTTP to it when a test needs bytes
no client library would send."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

SERVER = os.environ.get("PARLEY_SERVER", "")
ADMIN_KEY = "parley-test-admin-key-0123456789abcdefghijklmnop"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def models_dir() -> Path:
    if os.environ.get("PARLEY_MODELS_DIR"):
        return Path(os.environ["PARLEY_MODELS_DIR"])
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "parley" / "models"


class Server:
    """One parley-server process; stop() ends it with SIGTERM and returns its exit code."""

    def __init__(self, *extra_args, bootstrap_key=ADMIN_KEY, env=None):
        if not SERVER or not Path(SERVER).exists():
            raise RuntimeError(f"PARLEY_SERVER does not name the parley-server binary: {SERVER!r}")
        model = models_dir() / MODEL_FILE
        if not model.exists():
            raise RuntimeError(f"the default model is missing: {model}")
        self.tmp = tempfile.TemporaryDirectory()
        self.data_dir = Path(self.tmp.name) / "data"
        args = [SERVER, "--listen", "127.0.0.1:0", "--data-dir", str(self.data_dir),
                "--model", str(model), "--threads", "2", *extra_args]
        if bootstrap_key:
            args += ["--bootstrap-api-key", bootstrap_key]
        self.admin_key = bootstrap_key
        self.output = []
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env={**os.environ, **(env or {})})
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("parley-server did not start:\n" + "".join(self.output))
        # Keep draining the output so the server never blocks on a full pipe.
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        self.base = f"http://127.0.0.1:{self.port}"

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)
        self.tmp.cleanup()
        return self.proc.returncode

    def raw(self, data: bytes, timeout=10, read_all=True) -> bytes:
        """Sends bytes as they are and returns what the server answers until it closes (or the
        first complete response when read_all is False)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            return read_response(s) if not read_all else read_until_close(s)

    def request(self, method, path, body=None, headers=None, key=None):
        """One HTTP/1.1 request with Connection: close; returns (status, headers dict, body)."""
        headers = dict(headers or {})
        headers.setdefault("Host", f"127.0.0.1:{self.port}")
        if key is None:
            key = self.admin_key
        if key:
            headers.setdefault("Authorization", f"Bearer {key}")
        if isinstance(body, str):
            body = body.encode()
        body = body or b""
        if body or method in ("POST", "PATCH", "PUT"):
            headers["Content-Length"] = str(len(body))
        headers["Connection"] = "close"
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        return parse_response(self.raw(head.encode() + body))


def read_until_close(s) -> bytes:
    chunks = []
    while True:
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def read_response(s) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        more = s.recv(65536)
        if not more:
            return data
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    m = re.search(rb"content-length: (\d+)", head, re.I)
    length = int(m.group(1)) if m else 0
    while len(rest) < length:
        more = s.recv(65536)
        if not more:
            break
        rest += more
    return head + b"\r\n\r\n" + rest


def parse_response(raw: bytes):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1.1 "):
        raise AssertionError(f"not an HTTP response: {raw[:200]!r}")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = dechunk(body)
    return status, headers, body


def dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return out
