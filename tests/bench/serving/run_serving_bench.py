#!/usr/bin/env python3
"""Serving benchmark: C concurrent streams through Parley's serving engine against llama-server.

llama-server (the peer, from the llama-cpp-python sdist build of tests/reference/build_llama_cpp.sh)
runs with 8 slots and continuous batching; a load generator here sends C streaming
/v1/chat/completions requests at once (short prompts, 128 generated tokens each, EOS ignored) and
measures time to first token and aggregate decode throughput. Parley's side is
`parley-cli bench --concurrency C` (no HTTP yet: the gateway arrives with issue #6), with the same
prompt texts, threads and token counts. Both run in one invocation, one after the other per level.

Two latency scenarios of issue #4 (--scenarios prefix,interfere), each run --rounds times,
alternating the engines, against a second llama-server with slots long enough for them:
- prefix: a follow-up turn whose first user message is a ~2,000-token document (the previous
  turn): time to first token cold, and warm after the first turn (llama-server's prompt cache,
  Parley's prefix cache); Parley's side is `parley-cli bench --shared-prefix FILE`.
- interfere: 8 streams decode 256 tokens each; when every stream has 16 tokens a ~4,000-token
  prompt arrives (1 token generated). Inter-token latency p50/p99 of the streams before it and
  while it is prefilled; Parley's side is `parley-cli bench --interfere FILE`.

Usage: tests/bench/serving/run_serving_bench.py [--levels 1,4,8,16] [--threads 2]
           [--scenarios concurrency,prefix,interfere] [--rounds 1] [--parley-cli PATH]
           [--prefill-while-decoding N] [MODEL.gguf]
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
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PARLEY_CLI = REPO / "build/bin/parley-cli"
MODELS = Path(os.environ.get("PARLEY_MODELS_DIR") or
              Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "parley/models")
TOPICS = ["the sea", "a lighthouse", "autumn", "a robot", "a library", "the moon", "a train",
          "a garden", "mountains", "a city at night"]
GEN_TOKENS = 128


# The texts parley-cli bench --shared-prefix / --interfere send (app/cli/serving_scenarios.cpp).
SUMMARY_QUESTION = "\n\nIn one sentence, what is the text above about?"
FOLLOW_UP_ANSWER = "It is a list of numbered facts."
FOLLOW_UP_QUESTION = "Which fact mentions a lighthouse?"
PREFIX_FACTS = 102  # about 2,000 SmolLM2 tokens
LONG_FACTS = 204  # about 4,000
INTERFERE_STREAMS = 8
INTERFERE_GEN_TOKENS = 256
TOKENS_BEFORE_ARRIVAL = 16


def document(facts: int) -> str:
    return "\n".join(f"Fact {i + 1}: a note about {TOPICS[i % len(TOPICS)]} was written on day "
                     f"{(i * 37) % 365 + 1}." for i in range(facts))


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


def timed_chat(port: int, messages: list, max_tokens: int, times: list | None = None,
               cache_prompt: bool = True) -> float:
    """Streams one chat completion; returns its time to first token in ms. Appends the time of
    every content chunk to `times` when given."""
    body = json.dumps({"messages": messages, "stream": True, "max_tokens": max_tokens,
                       "temperature": 0, "ignore_eos": True, "cache_prompt": cache_prompt})
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    first = None
    for raw in conn.getresponse():
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line[6:]).get("choices", []):
            if choice.get("delta", {}).get("content"):
                now = time.perf_counter()
                first = first or now
                if times is not None:
                    times.append(now)
    conn.close()
    return ((first or time.perf_counter()) - start) * 1000


def llama_prefix(port: int) -> dict:
    first_question = document(PREFIX_FACTS) + SUMMARY_QUESTION
    first_turn = [{"role": "user", "content": first_question}]
    follow_up = first_turn + [{"role": "assistant", "content": FOLLOW_UP_ANSWER},
                              {"role": "user", "content": FOLLOW_UP_QUESTION}]
    cold = timed_chat(port, follow_up, 8, cache_prompt=False)
    first = timed_chat(port, first_turn, 8, cache_prompt=False)
    warm = timed_chat(port, follow_up, 8)
    return {"ttft_ms_cold": cold, "ttft_ms_first_turn": first, "ttft_ms_warm": warm}


def itl_split(stream_times: list, arrival: float, long_first: float) -> tuple:
    """Inter-token intervals (ms) before the long prompt arrived and while it was prefilled (an
    interval overlapping the arrival counts as during), as parley-cli computes them."""
    before, during = [], []
    for times in stream_times:
        for a, b in zip(times, times[1:]):
            if b <= arrival:
                before.append((b - a) * 1000)
            elif a < long_first:
                during.append((b - a) * 1000)
    return before, during


def nearest_rank(values: list, p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))
    return ordered[min(len(ordered), rank) - 1]


def llama_interfere(port: int) -> dict:
    stream_times = [[] for _ in range(INTERFERE_STREAMS)]
    threads = [threading.Thread(target=timed_chat, args=(
        port, [{"role": "user", "content": prompt(i)}], INTERFERE_GEN_TOKENS, stream_times[i]))
        for i in range(INTERFERE_STREAMS)]
    for t in threads:
        t.start()
    while min(len(t) for t in stream_times) < TOKENS_BEFORE_ARRIVAL:
        time.sleep(0.001)
    arrival = time.perf_counter()
    long_times: list = []
    timed_chat(port, [{"role": "user", "content": document(LONG_FACTS) + SUMMARY_QUESTION}], 1,
               long_times)
    for t in threads:
        t.join()
    long_first = long_times[0] if long_times else time.perf_counter()
    before, during = itl_split(stream_times, arrival, long_first)
    if not any(times and times[-1] > long_first for times in stream_times):
        sys.exit("llama-server's streams finished before the long prompt's first token")
    return {"long_prompt_ttft_ms": (long_first - arrival) * 1000,
            "itl_ms_p50_before": nearest_rank(before, 50),
            "itl_ms_p99_before": nearest_rank(before, 99),
            "itl_ms_p50_during": nearest_rank(during, 50),
            "itl_ms_p99_during": nearest_rank(during, 99),
            "itl_ms_max_during": nearest_rank(during, 100)}


def parley_json(cli: Path, args: list) -> dict:
    out = subprocess.run([str(cli), "bench", *args], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def parley_level(model: Path, concurrency: int, threads: int) -> dict:
    out = subprocess.run([str(PARLEY_CLI), "bench", "--model", str(model),
                          "--concurrency", str(concurrency), "--threads", str(threads),
                          "--gen-tokens", str(GEN_TOKENS), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    global PARLEY_CLI
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,4,8,16")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scenarios", default="concurrency")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--parley-cli", type=Path, default=PARLEY_CLI)
    parser.add_argument("--prefill-while-decoding", type=int, default=0)
    parser.add_argument("model", nargs="?", type=Path,
                        default=MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    scenarios = args.scenarios.split(",")
    PARLEY_CLI = args.parley_cli

    bin_dir = Path(subprocess.run([str(REPO / "tests/reference/build_llama_cpp.sh")],
                                  capture_output=True, text=True, check=True)
                   .stdout.strip().splitlines()[-1])
    if "concurrency" in scenarios:
        run_concurrency(bin_dir, args, levels)
    if "prefix" in scenarios or "interfere" in scenarios:
        run_scenarios(bin_dir, args, scenarios)
    return 0


def start_server(bin_dir: Path, model: Path, threads: int, slots: int, context: int):
    port = free_port()
    server = subprocess.Popen([str(bin_dir / "llama-server"), "-m", str(model), "-t",
                               str(threads), "-np", str(slots), "-c", str(context), "--host",
                               "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.1)
    server.terminate()
    sys.exit("llama-server did not become healthy")


def run_scenarios(bin_dir: Path, args, scenarios: list) -> None:
    # One slot per stream plus one for the long prompt, each long enough for it.
    server, port = start_server(bin_dir, args.model, args.threads, INTERFERE_STREAMS + 1,
                                (INTERFERE_STREAMS + 1) * 5120)
    with tempfile.TemporaryDirectory() as tmp:
        prefix_file = Path(tmp) / "prefix.txt"
        prefix_file.write_text(document(PREFIX_FACTS))
        long_file = Path(tmp) / "long.txt"
        long_file.write_text(document(LONG_FACTS))
        common = ["--model", str(args.model), "--threads", str(args.threads)]
        try:
            timed_chat(port, [{"role": "user", "content": "Warm up."}], 4)
            print(f"scenarios; threads {args.threads}; load before {os.getloadavg()[0]:.2f}")
            for round_index in range(args.rounds):
                if "prefix" in scenarios:
                    ours = parley_json(args.parley_cli, common + ["--shared-prefix",
                                                                  str(prefix_file)])
                    theirs = llama_prefix(port)
                    print(json.dumps({"round": round_index + 1, "scenario": "prefix",
                                      "parley": ours, "llama_server": theirs,
                                      "warm_ttft_ratio": ours["ttft_ms_warm"] /
                                      theirs["ttft_ms_warm"]}))
                if "interfere" in scenarios:
                    ours = parley_json(args.parley_cli, common + [
                        "--interfere", str(long_file), "--streams", str(INTERFERE_STREAMS),
                        "--gen-tokens", str(INTERFERE_GEN_TOKENS), "--prefill-while-decoding",
                        str(args.prefill_while_decoding)])
                    theirs = llama_interfere(port)
                    print(json.dumps({
                        "round": round_index + 1, "scenario": "interfere", "parley": ours,
                        "llama_server": theirs,
                        "parley_p99_during_over_before":
                            ours["itl_ms_p99_during"] / ours["itl_ms_p99_before"],
                        "llama_p99_during_over_before":
                            theirs["itl_ms_p99_during"] / theirs["itl_ms_p99_before"]}))
                sys.stdout.flush()
            print(f"load after {os.getloadavg()[0]:.2f}")
        finally:
            server.terminate()
            server.wait(timeout=10)


def run_concurrency(bin_dir: Path, args, levels: list) -> None:
    server, port = start_server(bin_dir, args.model, args.threads, 8, 8 * 512)
    try:
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


if __name__ == "__main__":
    sys.exit(main())
