#!/usr/bin/env bash
# Runs llama.cpp's llama-bench (the peer) on GGUF models with the settings our own benchmark uses:
# 2 threads, a 512-token prompt (pp512) and 128 generated tokens (tg128), 3 repetitions.
# Prints a table and, with --json, writes llama-bench's raw results of all models as one JSON array.
# Builds llama.cpp first when needed (tests/reference/build_llama_cpp.sh).
#
# Usage: tests/bench/peer/run_llama_bench.sh [--json FILE] [MODEL.gguf...] [-- LLAMA_BENCH_ARGS...]
#        (default models: the two default models in the Parley models directory)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/../../.." && pwd)"
readonly MODELS_DIR="${PARLEY_MODELS_DIR:-${XDG_DATA_HOME:-${HOME}/.local/share}/parley/models}"
PYTHON="${REPO_DIR}/.venv/bin/python"
[[ -x "${PYTHON}" ]] || PYTHON=python3

json_out=""
models=()
extra_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --json) json_out="$2"; shift 2 ;;
        --) shift; extra_args=("$@"); break ;;
        *) models+=("$1"); shift ;;
    esac
done
if [[ ${#models[@]} -eq 0 ]]; then
    models=("${MODELS_DIR}/SmolLM2-135M-Instruct.Q4_1.gguf" "${MODELS_DIR}/gemma-3-270m-q4_k_m.gguf")
fi
for model in "${models[@]}"; do
    [[ -f "${model}" ]] || { echo "missing model ${model}" >&2; exit 1; }
done

bin_dir="$("${REPO_DIR}/tests/reference/build_llama_cpp.sh" | tail -n 1)"

results_dir="$(mktemp -d)"
trap 'rm -rf "${results_dir}"' EXIT
index=0
for model in "${models[@]}"; do
    echo "[run_llama_bench] $(basename "${model}")" >&2
    "${bin_dir}/llama-bench" -m "${model}" -t 2 -p 512 -n 128 -r 3 -o json "${extra_args[@]}" \
        > "${results_dir}/${index}.json"
    index=$((index + 1))
done

"${PYTHON}" - "${results_dir}" "${json_out}" <<'PY'
import json, sys
from pathlib import Path

results_dir, json_out = Path(sys.argv[1]), sys.argv[2]
rows = []
for path in sorted(results_dir.glob("*.json"), key=lambda p: int(p.stem)):
    rows.extend(json.loads(path.read_text()))
if json_out:
    Path(json_out).write_text(json.dumps(rows, indent=2) + "\n")

first = rows[0] if rows else {}
print(f"llama.cpp {first.get('build_commit', '?')}  cpu: {first.get('cpu_info', '?')}")
print(f"{'model':<40} {'test':<8} {'threads':>7} {'fa':>3} {'tokens/s':>10} {'stddev':>8}")
for row in rows:
    test = f"pp{row['n_prompt']}" if row["n_prompt"] else f"tg{row['n_gen']}"
    model = Path(row["model_filename"]).name
    print(f"{model:<40} {test:<8} {row['n_threads']:>7} {row['flash_attn']:>3} "
          f"{row['avg_ts']:>10.2f} {row['stddev_ts']:>8.2f}")
PY
