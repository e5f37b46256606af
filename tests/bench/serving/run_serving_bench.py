#!/usr/bin/env python3
"""Serving benchmark: C concurrent streams through Parley's serving engine against llama-server.

llama-server (the peer, from the llama-cpp-python sdist build of tests/reference/build_llama_cpp.sh)
runs with 8 slots and continuous batching; a load generator here sends C streaming
/v1/chat/completions requests at once (short prompts, 128 generated tokens each, EOS ignored) and
measures time to first token and aggregate decode throughput. Parley's side is
`parley-cli bench --concurrency C` (no HTTP yet: the gateway arrives with issue #6), with the same
prompt texts, threads and token counts. Both run in one invocation, one after the other per level.

Usage: tests/bench/serving/run_serving_bench.py [--levels 1,4,8,16] [--threads 2] [MODEL.gguf]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
MODELS = Path(os.environ.get("PARLEY_MODELS_DIR") or
              Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "parley/models")
TOPICS = ["the sea", "a lighthouse", "autumn", "a robot", "a library", "the moon", "a train",
          "a garden", "mountains", "a city at night"]
GEN_TOKENS = 128


def prompt(i: int) -> str:
    # The same texts parley-cli bench --concurrency sends (app/cli/concurrency_bench.cpp).
    return f"Request {i + 1}: write a short story about {TOPICS[i % len(TOPICS)]}."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def stream_request(port: int, i: int, out: dict) -> None:
    body = json.dumps({"messages": [{"role": "user", "content": prompt(i)}], "stream": True,
                       "max_tokens": GEN_TOKENS, "temperature": 0, "ignore_eos": True,
                       "stream_options": {"include_usage": True}})
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    first = None
    tokens = 0
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        event = json.loads(line[6:])
        if event.get("usage"):
            tokens = event["usage"]["completion_tokens"]
        for choice in event.get("choices", []):
            if choice.get("delta", {}).get("content") and first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    conn.close()
    out[i] = {"ttft_ms": ((first or end) - start) * 1000, "tokens": tokens,
              "stream_tok_s": (tokens - 1) / (end - first) if first and end > first else 0.0,
              "end": end}


def llama_level(port: int, concurrency: int) -> dict:
    results: dict = {}
    threads = [threading.Thread(target=stream_request, args=(port, i, results))
               for i in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = max(r["end"] for r in results.values()) - start
    ttfts = [r["ttft_ms"] for r in results.values()]
    tokens = sum(r["tokens"] for r in results.values())
    return {"aggregate_decode_tokens_per_s": tokens / wall, "ttft_ms_p50": percentile(ttfts, 50),
            "ttft_ms_p99": percentile(ttfts, 99),
            "stream_min": min(r["stream_tok_s"] for r in results.values()), "tokens": tokens}


def parley_level(model: Path, concurrency: int, threads: int) -> dict:
    out = subprocess.run([str(REPO / "build/bin/parley-cli"), "bench", "--model", str(model),
                          "--concurrency", str(concurrency), "--threads", str(threads),
                          "--gen-tokens", str(GEN_TOKENS), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,4,8,16")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("model", nargs="?", type=Path,
                        default=MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    bin_dir = Path(subprocess.run([str(REPO / "tests/reference/build_llama_cpp.sh")],
                                  capture_output=True, text=True, check=True)
                   .stdout.strip().splitlines()[-1])
    port = free_port()
    server = subprocess.Popen([str(bin_dir / "llama-server"), "-m", str(args.model), "-t",
                               str(args.threads), "-np", "8", "-c", str(8 * 512), "--host",
                               "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            sys.exit("llama-server did not become healthy")
        llama_level(port, 1)  # warm-up
        print(f"model {args.model.name}; threads {args.threads}; llama-server 8 slots; "
              f"{GEN_TOKENS} tokens per stream; load before {os.getloadavg()[0]:.2f}\n")
        print("| streams | Parley aggregate tok/s | llama-server aggregate tok/s | ratio | "
              "Parley TTFT p50 ms | llama-server TTFT p50 ms | TTFT ratio | Parley TTFT p99 | "
              "llama-server TTFT p99 |")
        print("|---|---|---|---|---|---|---|---|---|")
        rows = []
        for c in levels:
            ours = parley_level(args.model, c, args.threads)
            theirs = llama_level(port, c)
            rows.append({"streams": c, "parley": ours, "llama_server": theirs})
            print(f"| {c} | {ours['aggregate_decode_tokens_per_s']:.1f} | "
                  f"{theirs['aggregate_decode_tokens_per_s']:.1f} | "
                  f"{ours['aggregate_decode_tokens_per_s'] / theirs['aggregate_decode_tokens_per_s']:.2f}x | "
                  f"{ours['ttft_ms_p50']:.0f} | {theirs['ttft_ms_p50']:.0f} | "
                  f"{ours['ttft_ms_p50'] / theirs['ttft_ms_p50']:.2f}x | {ours['ttft_ms_p99']:.0f} | "
                  f"{theirs['ttft_ms_p99']:.0f} |")
        print(f"\nload after {os.getloadavg()[0]:.2f}")
        print(json.dumps(rows))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
