"""What the conversation API tests share: the real parley-server (gateway_server.Server), members
made through the admin API, curl for requests and Server-Sent Events, and an SSE parser."""
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gateway"))
from gateway_server import Server  # noqa: E402  (the shared server fixture)

__all__ = ["Server", "Curl", "make_member", "parse_sse", "SseReader"]


class Curl:
    """curl against one server with one API key."""

    def __init__(self, server, key):
        self.server = server
        self.key = key

    def args(self, method, path, *extra):
        return ["curl", "-sS", "-X", method, "-H", f"Authorization: Bearer {self.key}",
                *extra, self.server.base + path]

    def call(self, method, path, body=None, extra=()):
        """Returns (status, parsed JSON or raw text)."""
        args = self.args(method, path, "-w", "\n%{http_code}", *extra)
        if body is not None:
            args[-1:-1] = ["-H", "Content-Type: application/json", "--data-binary",
                           json.dumps(body)]
        out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True).stdout
        text, _, status = out.rpartition("\n")
        try:
            return int(status), json.loads(text)
        except json.JSONDecodeError:
            return int(status), text

    def stream(self, stream_id, last_event_id=None, timeout=120):
        """The whole SSE response of GET /v1/streams/{id}: (status, events)."""
        extra = ["-N", "-w", "\n%{http_code}", "--max-time", str(timeout)]
        if last_event_id is not None:
            extra += ["-H", f"Last-Event-ID: {last_event_id}"]
        out = subprocess.run(self.args("GET", f"/v1/streams/{stream_id}", *extra),
                             capture_output=True, text=True, timeout=timeout + 10).stdout
        text, _, status = out.rpartition("\n")
        return int(status), parse_sse(text)

    def open_stream(self, stream_id, last_event_id=None):
        """A running `curl -N` on the stream, to read event by event and drop at will."""
        extra = ["-N"]
        if last_event_id is not None:
            extra += ["-H", f"Last-Event-ID: {last_event_id}"]
        return SseReader(subprocess.Popen(self.args("GET", f"/v1/streams/{stream_id}", *extra),
                                          stdout=subprocess.PIPE, text=True))


def make_member(server, name):
    """A new member account with an API key; returns the key."""
    admin = Curl(server, server.admin_key)
    status, user = admin.call("POST", "/v1/admin/users", {"name": name, "role": "member"})
    assert status == 201, user
    status, key = admin.call("POST", f"/v1/admin/users/{user['id']}/api_keys", {"name": "tests"})
    assert status == 201, key
    return key["key"]


def parse_sse(text):
    """Events of an SSE body as dicts {id, event, data (parsed JSON)}; comments are skipped."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event = {}
        data = []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "id":
                event["id"] = int(value)
            elif field == "event":
                event["event"] = value
        if data:
            event["data"] = json.loads("\n".join(data))
            events.append(event)
    return events


class SseReader:
    """Reads the events of a running curl one at a time."""

    def __init__(self, proc):
        self.proc = proc
        self.pending = ""

    def next_event(self, timeout=60):
        deadline = time.time() + timeout
        block = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                return None
            line = line.rstrip("\n")
            if line == "":
                events = parse_sse("\n".join(block) + "\n\n")
                block = []
                if events:
                    return events[0]
                continue
            block.append(line)
        return None

    def drop(self):
        """Ends the connection from the client side, as a lost network would."""
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
