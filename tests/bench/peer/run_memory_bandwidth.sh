#!/usr/bin/env bash
# Builds (once) and runs memory_bandwidth.cpp: main-memory read bandwidth with 1 and 2 threads.
# Usage: tests/bench/peer/run_memory_bandwidth.sh [THREADS...]
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly OUT_DIR="${PARLEY_REFERENCE_DIR:-${HOME}/.cache/parley/reference}/bench"
readonly BINARY="${OUT_DIR}/memory_bandwidth"

mkdir -p "${OUT_DIR}"
if [[ ! -x "${BINARY}" || "${SCRIPT_DIR}/memory_bandwidth.cpp" -nt "${BINARY}" ]]; then
    g++ -std=c++20 -O3 -march=native -Wall -Wextra -pthread \
        "${SCRIPT_DIR}/memory_bandwidth.cpp" -o "${BINARY}"
fi
"${BINARY}" "$@"
