#!/usr/bin/env bash
# Runs on the GPU machine from a carried device-pack (pack_for_device.sh): the kernel tests, the
# same under compute-sanitizer (memcheck), the matmul bandwidth benchmark, and the model tests
# when a models folder is given. Logs go to $OUT (the device tool's output folder) or ./out.
#
# Usage: build-cuda/device-pack/run_device_checks.sh [MODELS_DIR]
set -uo pipefail

PACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:-${PWD}/out}"
mkdir -p "${OUT}"
export LD_LIBRARY_PATH="${PACK}/syslib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
# The tests find the plug-in in ../lib next to their bin/.
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "${OUT}/device.txt"

"${PACK}/bin/test_cuda_kernels" 2>&1 | tee "${OUT}/test_cuda_kernels.txt" | tail -n 40
echo "test_cuda_kernels exit ${PIPESTATUS[0]}"
if command -v compute-sanitizer >/dev/null; then
    compute-sanitizer --tool memcheck --error-exitcode 9 "${PACK}/bin/test_cuda_kernels" \
        >"${OUT}/sanitizer_memcheck.txt" 2>&1
    echo "compute-sanitizer memcheck exit $? (log: sanitizer_memcheck.txt)"
fi
"${PACK}/bin/bench_cuda_matmul" 2>&1 | tee "${OUT}/bench_cuda_matmul.txt" | tail -n 80
if [[ -n "${1:-}" ]]; then
    PARLEY_MODELS_DIR="$1" \
        "${PACK}/bin/test_cuda_model" 2>&1 | tee "${OUT}/test_cuda_model.txt" | tail -n 20
    echo "test_cuda_model exit ${PIPESTATUS[0]}"
fi
