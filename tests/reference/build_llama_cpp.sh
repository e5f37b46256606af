#!/usr/bin/env bash
# Builds the independent reference implementation (llama.cpp, CPU only) and our dump_reference
# program. Idempotent: each step is skipped when its output is already in place.
#
# llama.cpp comes from the PyPI source distribution of llama-cpp-python (its vendored copy), pinned
# by version and SHA-256, because PyPI is the only source this project may download from. Nothing of
# llama.cpp enters the repository; everything lands under $PARLEY_REFERENCE_DIR.
#
# Usage: tests/reference/build_llama_cpp.sh          (prints the bin directory on its last line)
#        PARLEY_REFERENCE_CUDA=1 tests/reference/build_llama_cpp.sh
#                                   llama.cpp's CUDA build (sm_90) of llama-bench and
#                                   llama-batched-bench in build-cuda/, for the GPU benchmark
set -euo pipefail

readonly SDIST_VERSION="0.3.36"
readonly SDIST_NAME="llama_cpp_python-${SDIST_VERSION}"
readonly SDIST_SHA256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
# From the sdist's CHANGELOG.md ("update llama.cpp to ggml-org/llama.cpp@0c1e57098"); the sdist has
# no .git, so llama.cpp's own build-info would otherwise report "unknown".
readonly LLAMA_CPP_COMMIT="0c1e57098"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly REF_DIR="${PARLEY_REFERENCE_DIR:-${HOME}/.cache/parley/reference}"
readonly PIP="${PARLEY_PIP:-${REPO_DIR}/.venv/bin/pip}"
readonly SDIST="${REF_DIR}/${SDIST_NAME}.tar.gz"
readonly SRC_DIR="${REF_DIR}/src/${SDIST_NAME}"
readonly LLAMA_CPP_DIR="${SRC_DIR}/vendor/llama.cpp"
readonly CUDA_BUILD="${PARLEY_REFERENCE_CUDA:-0}"
if [[ "${CUDA_BUILD}" == 1 ]]; then
    readonly BUILD_DIR="${REF_DIR}/build-cuda"
    readonly GPU_FLAGS=(-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90)
    readonly TARGETS=(llama llama-bench llama-batched-bench)
    readonly VERSION_TOOL=llama-batched-bench
else
    readonly BUILD_DIR="${REF_DIR}/build"
    readonly GPU_FLAGS=(-DGGML_CUDA=OFF)
    readonly TARGETS=(llama llama-bench llama-server dump_reference)
    readonly VERSION_TOOL=llama-server
fi
readonly JOBS="${PARLEY_REFERENCE_JOBS:-2}"

log() { echo "[build_llama_cpp] $*" >&2; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "${REF_DIR}"

if [[ ! -f "${SDIST}" ]] || [[ "$(sha256_of "${SDIST}")" != "${SDIST_SHA256}" ]]; then
    log "downloading ${SDIST_NAME} source distribution"
    rm -f "${SDIST}"
    "${PIP}" download --quiet --no-deps --no-binary=:all: "llama-cpp-python==${SDIST_VERSION}" \
        -d "${REF_DIR}"
fi
actual_sha="$(sha256_of "${SDIST}")"
if [[ "${actual_sha}" != "${SDIST_SHA256}" ]]; then
    log "SHA-256 mismatch for ${SDIST}: got ${actual_sha}, expected ${SDIST_SHA256}"
    exit 1
fi

# The marker is written last, so an interrupted extraction is redone.
if [[ ! -f "${SRC_DIR}/.parley-extracted" ]]; then
    log "extracting ${SDIST_NAME}"
    rm -rf "${SRC_DIR}"
    mkdir -p "${REF_DIR}/src"
    tar -xzf "${SDIST}" -C "${REF_DIR}/src" "${SDIST_NAME}/vendor/llama.cpp" "${SDIST_NAME}/CHANGELOG.md"
    # A git-submodule link to a .git directory the sdist does not ship; git would fail on it.
    rm -f "${LLAMA_CPP_DIR}/.git"
    touch "${SRC_DIR}/.parley-extracted"
fi

log "configuring ${BUILD_DIR}"
cmake -S "${SCRIPT_DIR}" -B "${BUILD_DIR}" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DLLAMA_CPP_SOURCE_DIR="${LLAMA_CPP_DIR}" \
    -DLLAMA_BUILD_COMMIT="${LLAMA_CPP_COMMIT}" \
    -DGGML_NATIVE=ON "${GPU_FLAGS[@]}" -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_TESTS=OFF >"${REF_DIR}/configure.log" 2>&1 ||
    { cat "${REF_DIR}/configure.log" >&2; exit 1; }

# Build output goes to stderr: stdout carries only the bin directory.
log "building with -j${JOBS}"
cmake --build "${BUILD_DIR}" -j"${JOBS}" --target "${TARGETS[@]}" >&2

"${BUILD_DIR}/bin/${VERSION_TOOL}" --version 2>&1 | grep -E '^(version|built with)' \
    > "${BUILD_DIR}/llama_cpp_version.txt"
log "llama.cpp: $(tr '\n' ' ' < "${BUILD_DIR}/llama_cpp_version.txt")"
echo "${BUILD_DIR}/bin"
