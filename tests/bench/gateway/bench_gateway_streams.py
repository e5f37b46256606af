"""Load on one real parley-server (SmolLM2, loopback): many concurrent OpenAI-style SSE streams
held open at once, with the server's RSS sampled throughout; or overload, where far more streams
arrive than the model's queue admits and the excess must get 429 at once while the admitted ones
finish normally.

  .venv/bin/python tests/bench/gateway/bench_gateway_streams.py --server build/bin/parley-server \\
      --streams 1000 --max-tokens 16
  .venv/bin/python tests/bench/gateway/bench_gateway_streams.py --server build/bin/parley-server \\
      --streams 1000 --max-queue 36 --max-tokens 16          # overload: 10x (64 running + 36 queued)
"""
import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "gateway"))
import gateway_server  # noqa: E402


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def one_stream(port, key, max_tokens, i, results):
    body = json.dumps({"model": "auto", "stream": True, "max_tokens": max_tokens,
                       "messages": [{"role": "user", "content": f"Say something about {i}."}]})
    request = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()
    started = time.perf_counter()
    result = {"status": 0, "answered_s": None, "first_token_s": None, "total_s": None,
              "tokens": 0, "done": False, "error": None}
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        writer.write(request)
        await writer.drain()
        sent = time.perf_counter()
        status_line = await reader.readline()
        result["answered_s"] = time.perf_counter() - started
        result["server_s"] = time.perf_counter() - sent
        result["status"] = int(status_line.split()[1])
        async for raw in reader:
            line = raw.strip()
            if line == b"data: [DONE]":
                result["done"] = True
                break
            if line.startswith(b"data: {"):
                chunk = json.loads(line[6:])
                if "error" in chunk:
                    result["error"] = chunk["error"]["code"]
                    continue
                delta = chunk["choices"][0]["delta"].get("content") if chunk["choices"] else None
                if delta:
                    result["tokens"] += 1
                    if result["first_token_s"] is None:
                        result["first_token_s"] = time.perf_counter() - started
        result["total_s"] = time.perf_counter() - started
        writer.close()
    except Exception as e:  # noqa: BLE001 - a failed connection is a result to report
        result["error"] = repr(e)
    results.append(result)


async def run(args, server):
    results = []
    peak = [rss_mib(server.proc.pid)]
    stop = asyncio.Event()

    async def sample():
        while not stop.is_set():
            peak.append(rss_mib(server.proc.pid))
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    await asyncio.gather(*(one_stream(server.port, server.admin_key, args.max_tokens, i, results)
                           for i in range(args.streams)))
    wall = time.perf_counter() - started
    stop.set()
    await sampler
    return results, wall, peak


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--max-queue", type=int, default=None,
                        help="the model's queue bound (default: room for every stream)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat the load to see whether memory keeps growing")
    args = parser.parse_args()

    gateway_server.SERVER = args.server
    queue = args.max_queue if args.max_queue is not None else args.streams
    server = gateway_server.Server("--max-queue", str(queue), "--max-streams-per-user", "100000",
                                   "--rate-limit", "1000000", "--rate-burst", "1000000",
                                   "--threads", str(args.threads))
    after_rounds = []
    try:
        idle = rss_mib(server.proc.pid)
        for _ in range(args.rounds):
            results, wall, rss = asyncio.run(run(args, server))
            after_rounds.append(rss_mib(server.proc.pid))
        after = after_rounds[-1]
        status, _, _ = server.request("GET", "/healthz")
        _, _, metrics = server.request("GET", "/metrics")
        open_connections = [line for line in metrics.decode().splitlines()
                            if line.startswith("parley_http_connections_open")]
    finally:
        code = server.stop()

    ok = [r for r in results if r["status"] == 200 and r["done"] and not r["error"]]
    refused = [r for r in results if r["status"] == 429]
    other = [r for r in results if r not in ok and r not in refused]
    print(f"last round: streams {args.streams}, max_tokens {args.max_tokens}, model queue {queue}, "
          f"threads {args.threads}, wall {wall:.1f} s")
    print(f"completed {len(ok)}, 429 {len(refused)}, other {len(other)}"
          + (f" (first: {other[0]})" if other else ""))
    if ok:
        print(f"completed: tokens/stream mean {statistics.mean(r['tokens'] for r in ok):.1f}, "
              f"headers p50 {pct([r['answered_s'] for r in ok], 50) * 1000:.0f} ms, "
              f"first token p50 {pct([r['first_token_s'] or 0 for r in ok], 50):.2f} s "
              f"p99 {pct([r['first_token_s'] or 0 for r in ok], 99):.2f} s, "
              f"total p99 {pct([r['total_s'] for r in ok], 99):.2f} s")
    if refused:
        print(f"429 answered after p50 {pct([r['answered_s'] for r in refused], 50) * 1000:.1f} ms, "
              f"p99 {pct([r['answered_s'] for r in refused], 99) * 1000:.1f} ms from connect; "
              f"p50 {pct([r['server_s'] for r in refused], 50) * 1000:.1f} ms, "
              f"p99 {pct([r['server_s'] for r in refused], 99) * 1000:.1f} ms from request sent")
    print(f"after the run: {', '.join(open_connections)}")
    print("server RSS after each round: " + ", ".join(f"{r:.0f} MiB" for r in after_rounds))
    print(f"server RSS: idle {idle:.0f} MiB, peak {max(rss):.0f} MiB, after {after:.0f} MiB; "
          f"healthz after the run {status}; exit code {code}")
    return 0 if not other and status == 200 and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
