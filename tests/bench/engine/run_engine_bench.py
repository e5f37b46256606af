#!/usr/bin/env python3
"""Engine benchmark: Parley's parley-cli bench against llama.cpp's llama-bench, same run.

For each model, both programs run in turn (Parley, llama.cpp, Parley, llama.cpp, ...) with the same
threads, 512 prompt tokens and 128 generated tokens, so load on the machine hits both alike. Prints a
Markdown table (median of the rounds) with the ratios, peak RSS, and the fraction of the measured
memory-read bandwidth that Parley's decode reaches (bytes of weights read per token x tokens/s).

Usage: tests/bench/engine/run_engine_bench.py [--rounds 3] [--threads 2] [MODEL.gguf ...]
Needs build/bin/parley-cli and the llama.cpp build of tests/reference/build_llama_cpp.sh.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
MODELS = Path(os.environ.get("PARLEY_MODELS_DIR") or
              Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "parley/models")
DEFAULT_MODELS = [MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf", MODELS / "gemma-3-270m-q4_k_m.gguf"]


def run(cmd: list[str]) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def llama_bin_dir() -> Path:
    out = run([str(REPO / "tests/reference/build_llama_cpp.sh")]).strip().splitlines()
    return Path(out[-1])


def parley(model: Path, threads: int) -> dict:
    out = run([str(REPO / "build/bin/parley-cli"), "bench", "--model", str(model), "--threads",
               str(threads), "--prompt-tokens", "512", "--gen-tokens", "128", "--repetitions", "3",
               "--json"])
    return json.loads(out)


def llama(bin_dir: Path, model: Path, threads: int) -> dict:
    out = run([str(bin_dir / "llama-bench"), "-m", str(model), "-t", str(threads), "-p", "512",
               "-n", "128", "-r", "3", "-o", "json"])
    rows = json.loads(out)
    result = {}
    for row in rows:
        key = "prefill" if row["n_prompt"] > 0 else "decode"
        result[key] = row["avg_ts"]
    return result


def bandwidth_gbs(threads: int) -> float | None:
    out = run([str(REPO / "tests/bench/peer/run_memory_bandwidth.sh"), str(threads)])
    numbers = re.findall(r"read_GB_per_s=([0-9.]+)", out)
    return float(numbers[-1]) if numbers else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("models", nargs="*", type=Path, default=DEFAULT_MODELS)
    args = parser.parse_args()

    bin_dir = llama_bin_dir()
    bw = bandwidth_gbs(args.threads)
    cpu = next((l.split(":", 1)[1].strip() for l in run(["lscpu"]).splitlines()
                if l.startswith("Model name")), platform.processor())
    print(f"machine: {cpu}, {os.cpu_count()} cores; threads {args.threads}; "
          f"memory read bandwidth {bw} GB/s; load before: {os.getloadavg()[0]:.2f}")
    print()
    print("| model | test | Parley tok/s | llama.cpp tok/s | ratio | Parley peak RSS MB "
          "(file MB + KV MB) | decode bandwidth use |")
    print("|---|---|---|---|---|---|---|")
    summary = []
    for model in args.models:
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(parley(model, args.threads))
            theirs.append(llama(bin_dir, model, args.threads))
        pp = statistics.median(r["prefill_tokens_per_s"] for r in ours)
        tg = statistics.median(r["decode_tokens_per_s"] for r in ours)
        lpp = statistics.median(r["prefill"] for r in theirs)
        ltg = statistics.median(r["decode"] for r in theirs)
        last = ours[-1]
        # Decode reads every weight once per token (the tied embedding serves as the LM head).
        bytes_per_token = last["file_mb"] * 1e6
        use = f"{bytes_per_token * tg / (bw * 1e9):.0%} of {bw} GB/s" if bw else "n/a"
        rss = f"{last['peak_rss_mb']:.0f} ({last['file_mb']:.0f} + {last['kv_cache_mb']:.0f})"
        print(f"| {model.name} | pp512 | {pp:.1f} | {lpp:.1f} | {pp / lpp:.2f}x | {rss} | |")
        print(f"| {model.name} | tg128 | {tg:.1f} | {ltg:.1f} | {tg / ltg:.2f}x | | {use} |")
        summary.append({"model": model.name, "pp512": pp, "tg128": tg, "llama_pp512": lpp,
                        "llama_tg128": ltg, "peak_rss_mb": last["peak_rss_mb"],
                        "rounds": {"parley": ours, "llama": theirs}})
    print()
    print(f"load after: {os.getloadavg()[0]:.2f}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
