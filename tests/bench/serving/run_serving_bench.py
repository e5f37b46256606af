#!/usr/bin/env python3
"""Serving benchmark: C concurrent streams through parley-server against llama-server.

llama-server (the peer, from the llama-cpp-python sdist build of tests/reference/build_llama_cpp.sh)
runs with 8 slots and continuous batching; parley-server (gateway and serving engine) runs with
the same model and threads and limits high enough for the load. One load generator here sends
both the same streaming OpenAI-style /v1/chat/completions requests (short prompts, 128 generated
tokens each, end of generation ignored: llama-server's `ignore_eos`, Parley's `logit_bias` of
-100 on the model's end-of-generation tokens) and measures, client-side, time to first token,
inter-token gaps and aggregate decode throughput. Every prompt is computed afresh (llama-server:
`cache_prompt: false`; Parley: a fresh server per level and round) except the prefix scenario's
warm turn. `parley-cli bench --concurrency C` (the engine without HTTP) is an extra column.

Issue #4's two latency scenarios (--scenarios prefix,interfere), each run --rounds times,
alternating the servers, against a second llama-server with slots long enough for them:
- prefix: a follow-up turn whose first user message is a ~2,000-token document (the previous
  turn): time to first token cold, and warm after the first turn (llama-server's prompt cache,
  Parley's prefix cache; Parley's cold request runs on a fresh server so nothing is cached).
- interfere: 8 streams decode --interfere-gen-tokens each; when every stream has 16 tokens a
  ~4,000-token prompt arrives (1 token generated). Inter-token latency p50/p99 of the streams
  before it and while it is prefilled (until its first token), and over the same tokens of a
  rerun of the streams without it (the control: their own contexts grow while Parley spreads the
  prompt over many steps; --no-control skips it).
- chats: the same long prompt arriving while 8 chat clients keep the server busy with the load
  of the concurrency scenario (short prompts, 128 tokens each), each sending its next request as
  soon as the last one ends, so the streams' contexts stay short and the load is steady.
  Inter-token latency p50/p99 within the requests over the --chats-before-s seconds before the
  prompt arrives and while it is prefilled.
`--engine-scenarios` adds the same scenarios through `parley-cli bench --shared-prefix FILE` /
`--interfere FILE` (no HTTP).

Usage: tests/bench/serving/run_serving_bench.py [--levels 1,4,8,16] [--threads 2]
           [--scenarios concurrency,prefix,interfere,chats] [--rounds 1] [--parley-cli PATH]
           [--parley-server PATH] [--interfere-gen-tokens 2200] [--no-control] [--engine-scenarios]
           [--prefill-while-decoding COST] [MODEL.gguf]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PARLEY_CLI = REPO / "build/bin/parley-cli"
PARLEY_SERVER = REPO / "build/bin/parley-server"
API_KEY = "bench-" + os.urandom(16).hex()  # 32 to 256 characters
# Texts that end a generation (engine/inference/tokenizer/vocabulary.cpp); banned on Parley's side.
END_OF_GENERATION_TEXTS = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                           "<|eom_id|>", "<|end_of_text|>", "<EOT>", "<end_of_utterance>", "</s>"]
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


class Endpoint:
    """An OpenAI-style server: where it listens, how to authenticate, and what each request adds
    to make it generate exactly max_tokens (llama-server: ignore_eos; Parley: logit_bias)."""

    def __init__(self, port: int, extra: dict, headers: dict | None = None,
                 uncached: dict | None = None):
        self.port = port
        self.extra = extra
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        # What makes a request compute its prompt afresh (llama-server keeps each slot's last
        # prompt; Parley's side runs on a fresh server instead).
        self.uncached = uncached or {}

    def post_stream(self, body: dict, timeout: float):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        conn.request("POST", "/v1/chat/completions", json.dumps({**body, **self.extra}),
                     self.headers)
        response = conn.getresponse()
        if response.status != 200:
            sys.exit(f"server on port {self.port} answered {response.status}: "
                     f"{response.read()[:500]!r}")
        return conn, response


def stream_request(server: Endpoint, i: int, out: dict) -> None:
    # Levels repeat the same prompts: each is computed afresh, as on a fresh server.
    body = {"messages": [{"role": "user", "content": prompt(i)}], "stream": True,
            "max_tokens": GEN_TOKENS, "temperature": 0,
            "stream_options": {"include_usage": True}, **server.uncached}
    start = time.perf_counter()
    conn, response = server.post_stream(body, 600)
    first = None
    tokens = 0
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        event = json.loads(line[6:])
        if event.get("usage"):
            tokens = event["usage"]["completion_tokens"]
        for choice in event.get("choices") or []:
            if choice.get("delta", {}).get("content") and first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    conn.close()
    out[i] = {"ttft_ms": ((first or end) - start) * 1000, "tokens": tokens,
              "stream_tok_s": (tokens - 1) / (end - first) if first and end > first else 0.0,
              "end": end}


def server_level(server: Endpoint, concurrency: int) -> dict:
    results: dict = {}
    threads = [threading.Thread(target=stream_request, args=(server, i, results))
               for i in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if len(results) != concurrency or any(r["tokens"] != GEN_TOKENS for r in results.values()):
        sys.exit(f"a stream did not generate {GEN_TOKENS} tokens: {results}")
    wall = max(r["end"] for r in results.values()) - start
    ttfts = [r["ttft_ms"] for r in results.values()]
    tokens = sum(r["tokens"] for r in results.values())
    return {"aggregate_decode_tokens_per_s": tokens / wall, "ttft_ms_p50": percentile(ttfts, 50),
            "ttft_ms_p99": percentile(ttfts, 99),
            "stream_min": min(r["stream_tok_s"] for r in results.values()), "tokens": tokens}


def timed_chat(server: Endpoint, messages: list, max_tokens: int, times: list | None = None,
               extra: dict | None = None) -> float:
    """Streams one chat completion; returns its time to first token in ms. Appends the time of
    every content chunk to `times` when given."""
    body = {"messages": messages, "stream": True, "max_tokens": max_tokens, "temperature": 0,
            **(extra or {})}
    start = time.perf_counter()
    conn, response = server.post_stream(body, 1800)
    first = None
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line[6:]).get("choices") or []:
            if choice.get("delta", {}).get("content"):
                now = time.perf_counter()
                first = first or now
                if times is not None:
                    times.append(now)
    conn.close()
    return ((first or time.perf_counter()) - start) * 1000


def prefix_conversations() -> tuple:
    first_question = document(PREFIX_FACTS) + SUMMARY_QUESTION
    first_turn = [{"role": "user", "content": first_question}]
    follow_up = first_turn + [{"role": "assistant", "content": FOLLOW_UP_ANSWER},
                              {"role": "user", "content": FOLLOW_UP_QUESTION}]
    return first_turn, follow_up


def llama_prefix(server: Endpoint) -> dict:
    first_turn, follow_up = prefix_conversations()
    cold = timed_chat(server, follow_up, 8, extra=server.uncached)
    first = timed_chat(server, first_turn, 8, extra=server.uncached)
    warm = timed_chat(server, follow_up, 8)
    return {"ttft_ms_cold": cold, "ttft_ms_first_turn": first, "ttft_ms_warm": warm}


def parley_prefix(start_parley) -> dict:
    """Cold on a fresh server (an empty prefix cache); first turn then follow-up on another."""
    first_turn, follow_up = prefix_conversations()
    with start_parley() as server:
        timed_chat(server, [{"role": "user", "content": "Warm up."}], 4)
        cold = timed_chat(server, follow_up, 8)
    with start_parley() as server:
        timed_chat(server, [{"role": "user", "content": "Warm up."}], 4)
        first = timed_chat(server, first_turn, 8)
        warm = timed_chat(server, follow_up, 8)
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


def server_streams(server: Endpoint, gen_tokens: int, long_prompt: bool) -> tuple:
    """The streams' chunk times, the long prompt's arrival and its first token (None without)."""
    stream_times = [[] for _ in range(INTERFERE_STREAMS)]
    threads = [threading.Thread(target=timed_chat, args=(
        server, [{"role": "user", "content": prompt(i)}], gen_tokens, stream_times[i]))
        for i in range(INTERFERE_STREAMS)]
    for t in threads:
        t.start()
    while min(len(t) for t in stream_times) < TOKENS_BEFORE_ARRIVAL:
        time.sleep(0.001)
    arrival = time.perf_counter()
    long_times: list = []
    if long_prompt:
        timed_chat(server, [{"role": "user", "content": document(LONG_FACTS) + SUMMARY_QUESTION}],
                   1, long_times, extra=server.uncached)
    for t in threads:
        t.join()
    if long_prompt and not long_times:
        sys.exit(f"the long prompt on port {server.port} produced no token")
    return stream_times, arrival, long_times[0] if long_times else None


def server_interfere(server: Endpoint, gen_tokens: int, control: bool) -> dict:
    stream_times, arrival, long_first = server_streams(server, gen_tokens, True)
    before, during = itl_split(stream_times, arrival, long_first)
    if not any(times and times[-1] > long_first for times in stream_times):
        sys.exit(f"the streams on port {server.port} finished before the long prompt's first "
                 "token; raise --interfere-gen-tokens")
    result = {"long_prompt_ttft_ms": (long_first - arrival) * 1000,
              "itl_ms_p50_before": nearest_rank(before, 50),
              "itl_ms_p99_before": nearest_rank(before, 99),
              "itl_ms_p50_during": nearest_rank(during, 50),
              "itl_ms_p99_during": nearest_rank(during, 99),
              "itl_ms_max_during": nearest_rank(during, 100),
              "intervals_before": len(before), "intervals_during": len(during)}
    if control:
        # The same streams without the long prompt, over the same chunk indices: how long those
        # intervals are anyway (the streams' own contexts grow while a prompt is spread out).
        alone, _, _ = server_streams(server, gen_tokens, False)
        same = []
        for times, control_times in zip(stream_times, alone):
            for k in range(1, min(len(times), len(control_times))):
                if times[k] > arrival and times[k - 1] < long_first:
                    same.append((control_times[k] - control_times[k - 1]) * 1000)
        result["itl_ms_p50_control"] = nearest_rank(same, 50)
        result["itl_ms_p99_control"] = nearest_rank(same, 99)
    return result


def chat_client(server: Endpoint, client: int, stop: threading.Event, requests: list) -> None:
    """Sends short chat requests of GEN_TOKENS tokens back to back until `stop` is set; appends
    each request's chunk times to `requests`."""
    k = 0
    while not stop.is_set():
        times: list = []
        start = time.perf_counter()
        ttft = timed_chat(server,
                          [{"role": "user", "content": prompt(client + k * INTERFERE_STREAMS)}],
                          GEN_TOKENS, times, extra=server.uncached)
        requests.append((start, ttft, times))
        k += 1


def server_chats(server: Endpoint, before_s: float) -> dict:
    requests: list = []
    stop = threading.Event()
    clients = [threading.Thread(target=chat_client, args=(server, i, stop, requests))
               for i in range(INTERFERE_STREAMS)]
    start = time.perf_counter()
    for t in clients:
        t.start()
    # The first requests arrive together; the window starts once their prompts are done.
    time.sleep(2.0 + before_s)
    arrival = time.perf_counter()
    long_times: list = []
    timed_chat(server, [{"role": "user", "content": document(LONG_FACTS) + SUMMARY_QUESTION}], 1,
               long_times, extra=server.uncached)
    stop.set()
    for t in clients:
        t.join()
    if not long_times:
        sys.exit(f"the long prompt on port {server.port} produced no token")
    long_first = long_times[0]
    before, during = [], []
    # Time to first token of the chats sent before the long prompt and while it was prefilled:
    # a long prompt must not hold up the next chat either.
    ttft_before, ttft_during = [], []
    for sent, ttft, times in requests:
        if start + 2.0 <= sent < arrival:
            ttft_before.append(ttft)
        elif arrival <= sent < long_first:
            ttft_during.append(ttft)
        for a, b in zip(times, times[1:]):
            if a >= start + 2.0 and b <= arrival:
                before.append((b - a) * 1000)
            elif b > arrival and a < long_first:
                during.append((b - a) * 1000)
    if not before or not during:
        sys.exit(f"no inter-token interval before or during the long prompt on port {server.port}")
    return {"long_prompt_ttft_ms": (long_first - arrival) * 1000,
            "itl_ms_p50_before": nearest_rank(before, 50),
            "itl_ms_p99_before": nearest_rank(before, 99),
            "itl_ms_p50_during": nearest_rank(during, 50),
            "itl_ms_p99_during": nearest_rank(during, 99),
            "itl_ms_max_during": nearest_rank(during, 100),
            "intervals_before": len(before), "intervals_during": len(during),
            "chat_ttft_ms_p50_before": nearest_rank(ttft_before, 50),
            "chat_ttft_ms_p99_before": nearest_rank(ttft_before, 99),
            "chat_ttft_ms_p50_during": nearest_rank(ttft_during, 50),
            "chat_ttft_ms_p99_during": nearest_rank(ttft_during, 99),
            "chats_sent_during": len(ttft_during), "requests_finished": len(requests)}


def parley_json(cli: Path, args: list) -> dict:
    out = subprocess.run([str(cli), "bench", *args], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def parley_level(model: Path, concurrency: int, threads: int, extra: list) -> dict:
    return parley_json(PARLEY_CLI, ["--model", str(model), "--concurrency", str(concurrency),
                                    "--threads", str(threads), "--gen-tokens", str(GEN_TOKENS),
                                    "--json", *extra])


def end_of_generation_ids(model: Path) -> list:
    """The model's end-of-generation token ids, as parley-cli tokenizes their texts."""
    ids = set()
    for text in END_OF_GENERATION_TEXTS:
        out = subprocess.run([str(PARLEY_CLI), "tokenize", "--model", str(model), "--text", text,
                              "--parse-special", "--json"], capture_output=True, text=True,
                             check=True).stdout
        tokens = json.loads(out.strip().splitlines()[-1])
        if len(tokens["ids"]) == 1 and tokens["pieces"][0] == text:
            ids.add(tokens["ids"][0])
    if not ids:
        sys.exit(f"no end-of-generation token found in {model}")
    return sorted(ids)


class ParleyServer:
    """parley-server on a fresh data directory, with limits high enough for the benchmark."""

    def __init__(self, args, banned: list):
        self.args = args
        self.banned = banned

    def __enter__(self) -> Endpoint:
        self.tmp = tempfile.TemporaryDirectory()
        port = free_port()
        self.process = subprocess.Popen(
            [str(self.args.parley_server), "--listen", f"127.0.0.1:{port}",
             "--data-dir", self.tmp.name, "--model", str(self.args.model),
             "--bootstrap-api-key", API_KEY, "--threads", str(self.args.threads),
             "--rate-limit", "1000000", "--rate-burst", "1000000",
             "--max-streams-per-user", "1000", "--daily-token-quota", "1000000000000",
             "--max-queue", "256", "--kv-cache-mib", str(self.args.parley_kv_mib)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        headers = {"Authorization": f"Bearer {API_KEY}"}
        for _ in range(600):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/v1/models", headers=headers)
                response = conn.getresponse()
                if response.status == 200:
                    model_id = json.loads(response.read())["data"][0]["id"]
                    bias = {str(i): -100 for i in self.banned}
                    return Endpoint(port, {"model": model_id, "logit_bias": bias}, headers)
            except OSError:
                pass
            if self.process.poll() is not None:
                sys.exit(f"parley-server exited with {self.process.returncode}")
            time.sleep(0.1)
        self.process.terminate()
        sys.exit("parley-server did not answer /v1/models")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.tmp.cleanup()


def main() -> int:
    global PARLEY_CLI
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,4,8,16")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scenarios", default="concurrency")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--parley-cli", type=Path, default=PARLEY_CLI)
    parser.add_argument("--parley-server", type=Path, default=PARLEY_SERVER)
    parser.add_argument("--parley-kv-mib", type=int, default=640)
    parser.add_argument("--interfere-gen-tokens", type=int, default=2200)
    parser.add_argument("--no-control", dest="control", action="store_false",
                        help="interfere: skip the rerun of the streams without the long prompt")
    parser.add_argument("--chats-before-s", type=float, default=20.0,
                        help="chats: seconds of steady load measured before the long prompt")
    parser.add_argument("--engine-scenarios", action="store_true")
    parser.add_argument("--prefill-while-decoding", type=int, default=None,
                        help="parley-cli rows only: prompt cost per step while streams decode")
    parser.add_argument("model", nargs="?", type=Path,
                        default=MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    scenarios = args.scenarios.split(",")
    PARLEY_CLI = args.parley_cli
    args.cli_extra = ([] if args.prefill_while_decoding is None else
                      ["--prefill-while-decoding", str(args.prefill_while_decoding)])
    banned = end_of_generation_ids(args.model)
    args.start_parley = lambda: ParleyServer(args, banned)

    bin_dir = Path(subprocess.run([str(REPO / "tests/reference/build_llama_cpp.sh")],
                                  capture_output=True, text=True, check=True)
                   .stdout.strip().splitlines()[-1])
    if "concurrency" in scenarios:
        run_concurrency(bin_dir, args, levels)
    if "prefix" in scenarios or "interfere" in scenarios or "chats" in scenarios:
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
                return server, Endpoint(port, {"ignore_eos": True},
                                        uncached={"cache_prompt": False})
        except OSError:
            pass
        time.sleep(0.1)
    server.terminate()
    sys.exit("llama-server did not become healthy")


def run_scenarios(bin_dir: Path, args, scenarios: list) -> None:
    # One slot per stream plus one for the long prompt, each long enough for it.
    server, llama = start_server(bin_dir, args.model, args.threads, INTERFERE_STREAMS + 1,
                                 (INTERFERE_STREAMS + 1) * 5120)
    gen = args.interfere_gen_tokens
    with tempfile.TemporaryDirectory() as tmp:
        prefix_file = Path(tmp) / "prefix.txt"
        prefix_file.write_text(document(PREFIX_FACTS))
        long_file = Path(tmp) / "long.txt"
        long_file.write_text(document(LONG_FACTS))
        common = ["--model", str(args.model), "--threads", str(args.threads), *args.cli_extra]
        try:
            timed_chat(llama, [{"role": "user", "content": "Warm up."}], 4)
            print(f"scenarios; threads {args.threads}; load before {os.getloadavg()[0]:.2f}")
            for round_index in range(args.rounds):
                if "prefix" in scenarios:
                    ours = parley_prefix(args.start_parley)
                    theirs = llama_prefix(llama)
                    row = {"round": round_index + 1, "scenario": "prefix", "parley_server": ours,
                           "llama_server": theirs,
                           "warm_ttft_ratio": ours["ttft_ms_warm"] / theirs["ttft_ms_warm"]}
                    if args.engine_scenarios:
                        row["parley_engine"] = parley_json(
                            args.parley_cli, common + ["--shared-prefix", str(prefix_file)])
                    print(json.dumps(row))
                if "interfere" in scenarios:
                    with args.start_parley() as parley:
                        timed_chat(parley, [{"role": "user", "content": "Warm up."}], 4)
                        ours = server_interfere(parley, gen, args.control)
                    theirs = server_interfere(llama, gen, args.control)
                    row = {"round": round_index + 1, "scenario": "interfere",
                           "parley_server": ours, "llama_server": theirs,
                           "parley_p99_during_over_before":
                               ours["itl_ms_p99_during"] / ours["itl_ms_p99_before"],
                           "llama_p99_during_over_before":
                               theirs["itl_ms_p99_during"] / theirs["itl_ms_p99_before"]}
                    if args.control:
                        row["parley_p99_during_over_control"] = (
                            ours["itl_ms_p99_during"] / ours["itl_ms_p99_control"])
                        row["llama_p99_during_over_control"] = (
                            theirs["itl_ms_p99_during"] / theirs["itl_ms_p99_control"])
                    if args.engine_scenarios:
                        engine = parley_json(args.parley_cli, common + [
                            "--interfere", str(long_file), "--streams", str(INTERFERE_STREAMS),
                            "--gen-tokens", str(gen), *(["--control"] if args.control else [])])
                        row["parley_engine"] = engine
                        row["engine_p99_during_over_before"] = (
                            engine["itl_ms_p99_during"] / engine["itl_ms_p99_before"])
                    print(json.dumps(row))
                if "chats" in scenarios:
                    with args.start_parley() as parley:
                        timed_chat(parley, [{"role": "user", "content": "Warm up."}], 4)
                        ours = server_chats(parley, args.chats_before_s)
                    theirs = server_chats(llama, args.chats_before_s)
                    print(json.dumps({
                        "round": round_index + 1, "scenario": "chats", "parley_server": ours,
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
    server, llama = start_server(bin_dir, args.model, args.threads, 8, 8 * 512)
    try:
        server_level(llama, 1)  # warm-up
        print(f"model {args.model.name}; threads {args.threads}; llama-server 8 slots; "
              f"{GEN_TOKENS} tokens per stream; load before {os.getloadavg()[0]:.2f}\n")
        print("| streams | parley-server aggregate tok/s | llama-server aggregate tok/s | ratio | "
              "parley-server TTFT p50 ms | llama-server TTFT p50 ms | TTFT ratio | "
              "parley-server TTFT p99 | llama-server TTFT p99 | engine only (parley-cli) "
              "aggregate tok/s / TTFT p50 ms |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        rows = []
        for c in levels:
            with args.start_parley() as parley:
                server_level(parley, 1)  # warm-up, as for llama-server
                ours = server_level(parley, c)
            theirs = server_level(llama, c)
            engine = parley_level(args.model, c, args.threads, args.cli_extra)
            rows.append({"streams": c, "parley_server": ours, "llama_server": theirs,
                         "parley_engine": engine})
            print(f"| {c} | {ours['aggregate_decode_tokens_per_s']:.1f} | "
                  f"{theirs['aggregate_decode_tokens_per_s']:.1f} | "
                  f"{ours['aggregate_decode_tokens_per_s'] / theirs['aggregate_decode_tokens_per_s']:.2f}x | "
                  f"{ours['ttft_ms_p50']:.0f} | {theirs['ttft_ms_p50']:.0f} | "
                  f"{ours['ttft_ms_p50'] / theirs['ttft_ms_p50']:.2f}x | {ours['ttft_ms_p99']:.0f} | "
                  f"{theirs['ttft_ms_p99']:.0f} | "
                  f"{engine['aggregate_decode_tokens_per_s']:.1f} / {engine['ttft_ms_p50']:.0f} |")
            sys.stdout.flush()
        print(f"\nload after {os.getloadavg()[0]:.2f}")
        print(json.dumps(rows))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
