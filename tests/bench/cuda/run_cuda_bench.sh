#!/usr/bin/env bash
# The GPU benchmark of issue #8, on a machine with an NVIDIA GPU: Parley's CUDA backend against
# llama.cpp's CUDA build on a synthetic Llama-3-8B-shaped Q4_K_M model (random weights).
#   1. builds Parley with -DPARLEY_CUDA=ON into build-gpu/ and llama.cpp's CUDA build
#      (tests/reference/build_llama_cpp.sh with PARLEY_REFERENCE_CUDA=1; its sdist must already be
#      in $PARLEY_REFERENCE_DIR when the machine is offline)
#   2. generates the model (make_synthetic_gguf.py, ~4.9 GB) unless it exists
#   3. Parley: batch-1 decode, aggregate decode at 32 and 128 streams (128-token prompts,
#      128 generated tokens), 2,048-token prefill; llama.cpp: llama-bench pp2048/tg128 and
#      llama-batched-bench at the same stream counts
# Results (JSON lines and both tools' tables) go to $OUT_DIR (default ./cuda-bench-results).
#
# Usage: tests/bench/cuda/run_cuda_bench.sh [MODEL.gguf]
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/../../.." && pwd)"
readonly OUT_DIR="${OUT_DIR:-${PWD}/cuda-bench-results}"
readonly MODEL="${1:-${PARLEY_BENCH_MODEL:-/tmp/synthetic-llama-3-8b-q4_k_m.gguf}}"
readonly JOBS="${JOBS:-$(nproc)}"
PYTHON="${REPO_DIR}/.venv/bin/python"
[[ -x "${PYTHON}" ]] || PYTHON=python3

log() { echo "[run_cuda_bench] $*" >&2; }
mkdir -p "${OUT_DIR}"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader \
    | tee "${OUT_DIR}/device.txt"

log "building Parley (CUDA) in build-gpu"
cmake -S "${REPO_DIR}" -B "${REPO_DIR}/build-gpu" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DPARLEY_CUDA=ON -DPARLEY_BUILD_APPS=OFF >"${OUT_DIR}/configure.log"
ninja -C "${REPO_DIR}/build-gpu" -j"${JOBS}" bench_cuda_decode parley_cuda >"${OUT_DIR}/build.log"

if [[ ! -f "${MODEL}" ]]; then
    log "generating ${MODEL}"
    "${PYTHON}" "${SCRIPT_DIR}/make_synthetic_gguf.py" "${MODEL}"
fi

log "Parley"
"${REPO_DIR}/build-gpu/bin/bench_cuda_decode" --model "${MODEL}" --backend cuda \
    --streams 1,32,128 --prompt 128 --gen 128 --prefill 2048 | tee "${OUT_DIR}/parley.txt"

log "llama.cpp (CUDA)"
bin_dir="$(PARLEY_REFERENCE_CUDA=1 PARLEY_REFERENCE_JOBS="${JOBS}" \
    "${REPO_DIR}/tests/reference/build_llama_cpp.sh" | tail -n 1)"
"${bin_dir}/llama-bench" -m "${MODEL}" -ngl 99 -p 2048 -n 128 -r 3 -o md \
    | tee "${OUT_DIR}/llama_bench.md"
"${bin_dir}/llama-batched-bench" -m "${MODEL}" -ngl 99 -c $((128 * 256 + 4096)) \
    -npp 128 -ntg 128 -npl 1,32,128 2>/dev/null \
    | tee "${OUT_DIR}/llama_batched_bench.md"
log "results in ${OUT_DIR}"
