#!/usr/bin/env bash
# Packs what the GPU checks need into BUILD/device-pack (an ignored path under /build*), so a
# session with a lent GPU machine (offline, no Qt there) can carry it and run there:
#   the plug-in, test_cuda_kernels, test_cuda_model, bench_cuda_decode, bench_cuda_matmul, the Qt
#   and ICU libraries the tests link (about 45 MB), and run_device_checks.sh.
# The default models (98 MB and 253 MB) exceed one call's 64 MiB carry; see kernels/README.md.
#
# Usage: tests/bench/cuda/pack_for_device.sh [BUILD_DIR]     (default: build-cuda)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/../../.." && pwd)"
BUILD="$(cd "${1:-${REPO_DIR}/build-cuda}" && pwd)"
PACK="${BUILD}/device-pack"

rm -rf "${PACK}"
mkdir -p "${PACK}/bin" "${PACK}/lib" "${PACK}/syslib"
cp "${BUILD}/lib/libparley_cuda.so" "${PACK}/lib/"
for program in test_cuda_kernels test_cuda_model bench_cuda_decode bench_cuda_matmul; do
    cp "${BUILD}/bin/${program}" "${PACK}/bin/"
done
# Qt, ICU and their helpers: what the device image lacks. glibc, libstdc++ and CUDA are there.
for program in test_cuda_kernels test_cuda_model; do
    ldd "${BUILD}/bin/${program}" | awk '/=> \// {print $3}'
done | sort -u | grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "${lib}" "${PACK}/syslib/"; done
cp "${SCRIPT_DIR}/run_device_checks.sh" "${PACK}/"
du -sh "${PACK}"
