"""Load program: N concurrent Server-Sent Event streams held open on one parley-server.

Starts parley-server on 127.0.0.1 (a fresh data directory, the SmolLM2 model, limits raised so
that the gateway, not a quota, is what is measured), creates N conversations, sends one message to
each (max_tokens T), then opens N SSE connections at once and reads each stream to its done event
over raw sockets. Meanwhile it samples the server's RSS. Prints a JSON record and a table.

  .venv/bin/python tests/bench/gateway/sse_load.py --server build/bin/parley-server \
      --streams 1000 --max-tokens 8 --wrk-seconds 10

With --wrk-seconds it then runs wrk on GET /v1/conversations/{id} and adds requests/s and p99.
"""
import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "sse-load-admin-key-0123456789abcdefghijklmnop"


def models_dir():
    if os.environ.get("PARLEY_MODELS_DIR"):
        return Path(os.environ["PARLEY_MODELS_DIR"])
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "parley" / "models"


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def http(port, method, path, body=None):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = json.dumps(body).encode() if body is not None else b""
    writer.write((f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  f"Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, json.loads(payload) if payload else None


async def follow(port, stream_id, result):
    """Reads one stream to its end; records events, first-event latency and errors."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write((f"GET /v1/streams/{stream_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"Authorization: Bearer {KEY}\r\nAccept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        status_line = await reader.readline()
        if b" 200 " not in status_line:
            result["errors"].append(status_line.decode(errors="replace").strip())
            writer.close()
            return
        result["open"] += 1
        result["peak_open"] = max(result["peak_open"], result["open"])
        events = 0
        last = None
        async for line in reader:
            if line.startswith(b"event: "):
                last = line[7:].strip().decode()
                if events == 0:
                    result["first_event_ms"].append((time.monotonic() - started) * 1000)
                events += 1
                if last in ("done", "error"):
                    break
        writer.close()
        result["open"] -= 1
        result["events"] += events
        if last == "done":
            result["done"] += 1
        else:
            result["errors"].append(f"stream {stream_id} ended with {last!r}")
    except (OSError, asyncio.IncompleteReadError) as e:
        result["errors"].append(f"{type(e).__name__}: {e}")


async def run(args, port, pid):
    samples = []
    stop = asyncio.Event()

    async def sample():
        while not stop.is_set():
            samples.append(rss_mib(pid))
            await asyncio.sleep(0.25)

    rss_idle = rss_mib(pid)
    sampler = asyncio.create_task(sample())
    semaphore = asyncio.Semaphore(64)
    conversations = []

    async def start_one(i):
        async with semaphore:
            status, conv = await http(port, "POST", "/v1/conversations", {"title": f"load {i}"})
            assert status == 201, conv
            status, sent = await http(port, "POST",
                                      f"/v1/conversations/{conv['conversation_id']}/messages",
                                      {"message_id": f"load-{i}", "role": "user",
                                       "content": "Count from one to twenty.",
                                       "max_tokens": args.max_tokens})
            if status != 202:
                return None, f"send answered {status}: {sent}"
            conversations.append(conv["conversation_id"])
            return sent["stream_id"], None

    t0 = time.monotonic()
    started = await asyncio.gather(*(start_one(i) for i in range(args.streams)))
    stream_ids = [s for s, _ in started if s]
    result = {"events": 0, "done": 0, "first_event_ms": [], "open": 0, "peak_open": 0,
              "errors": [e for _, e in started if e]}
    t_sent = time.monotonic()
    await asyncio.gather(*(follow(port, s, result) for s in stream_ids))
    t_end = time.monotonic()
    stop.set()
    await sampler
    first = sorted(result["first_event_ms"]) or [0]
    wrk = run_wrk(args, port, conversations[0]) if args.wrk_seconds and conversations else {}
    return wrk | {
        "streams": args.streams,
        "max_tokens": args.max_tokens,
        "accepted": len(stream_ids),
        "completed": result["done"],
        "peak_open_streams": result["peak_open"],
        "errors": len(result["errors"]),
        "error_examples": result["errors"][:5],
        "events": result["events"],
        "send_phase_s": round(t_sent - t0, 2),
        "stream_phase_s": round(t_end - t_sent, 2),
        "events_per_s": round(result["events"] / max(t_end - t_sent, 1e-9), 1),
        "first_event_ms_p50": round(first[len(first) // 2], 1),
        "first_event_ms_p99": round(first[min(len(first) - 1, int(len(first) * 0.99))], 1),
        "rss_idle_mib": round(rss_idle, 1),
        "rss_peak_mib": round(max(samples or [0]), 1),
        "rss_end_mib": round(rss_mib(pid), 1),
    }


def run_wrk(args, port, conversation_id):
    """wrk on GET /v1/conversations/{id} (a conversation with a question and its answer)."""
    command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.wrk_connections}",
               f"-d{args.wrk_seconds}s", "--latency", "-H", f"Authorization: Bearer {KEY}",
               f"http://127.0.0.1:{port}/v1/conversations/{conversation_id}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def milliseconds(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s|m)$", text).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    if "Latency Distribution" not in out:
        sys.exit("wrk gave no latency distribution:\n" + out)

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "wrk_command": " ".join(command[:-2] + ["'Authorization: Bearer KEY'", command[-1]]),
        "wrk_requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "wrk_p50_ms": milliseconds(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "wrk_p99_ms": milliseconds(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "wrk_non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "wrk_socket_errors": bool(re.search(r"Socket errors", out)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="build/bin/parley-server")
    parser.add_argument("--model", default=str(models_dir() / "SmolLM2-135M-Instruct.Q4_1.gguf"))
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--wrk-seconds", type=int, default=0,
                        help="then run wrk on GET /v1/conversations/{id} this long (0: no)")
    parser.add_argument("--wrk-connections", type=int, default=50)
    parser.add_argument("--wrk-threads", type=int, default=2)
    args = parser.parse_args()

    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    with tempfile.TemporaryDirectory() as tmp:
        n = str(args.streams * 4)
        command = [args.server, "--listen", "127.0.0.1:0", "--data-dir", tmp + "/data",
                   "--model", args.model, "--bootstrap-api-key", KEY,
                   "--rate-limit", "1000000", "--rate-burst", "1000000",
                   "--max-streams-per-user", n, "--max-queue", n]
        if args.threads:
            command += ["--threads", str(args.threads)]
        server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True)
        port = None
        for line in server.stdout:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        if port is None:
            sys.exit("parley-server did not start")
        try:
            record = asyncio.run(run(args, port, server.pid))
        finally:
            server.terminate()
            server.wait(60)
    print(json.dumps(record))
    print(f"{'streams':>8} {'open':>6} {'done':>6} {'errors':>6} {'events/s':>9} "
          f"{'1st ev p50':>11} {'1st ev p99':>11} {'RSS idle':>9} {'RSS peak':>9} {'RSS end':>8}")
    print(f"{record['streams']:>8} {record['peak_open_streams']:>6} {record['completed']:>6} "
          f"{record['errors']:>6} "
          f"{record['events_per_s']:>9} {record['first_event_ms_p50']:>9}ms "
          f"{record['first_event_ms_p99']:>9}ms {record['rss_idle_mib']:>7}Mi "
          f"{record['rss_peak_mib']:>7}Mi {record['rss_end_mib']:>6}Mi")
    if "wrk_requests_per_s" in record:
        print(f"wrk GET /v1/conversations/{{id}}: {record['wrk_requests_per_s']} requests/s, "
              f"p50 {record['wrk_p50_ms']} ms, p99 {record['wrk_p99_ms']} ms, "
              f"non-2xx {record['wrk_non_2xx']}")
    return 0 if record["errors"] == 0 and record["completed"] == record["streams"] else 1


if __name__ == "__main__":
    sys.exit(main())
