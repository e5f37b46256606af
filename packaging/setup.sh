#!/usr/bin/env bash
# Parley set-up: installs what is needed (Debian packages, a Python venv), builds, fetches the
# default models, then either starts the desktop app (`run`) or runs the whole test suite (`test`).
# Safe to run again: every step skips work that is already done.
set -euo pipefail

mode="${1:-}"
case "$mode" in
    run | test | build) ;;
    *)
        echo "usage: packaging/setup.sh run|test|build" >&2
        exit 2
        ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc)"
step() { printf '\n==> %s\n' "$*"; }
sudo_cmd() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

step "Debian packages"
mapfile -t packages < <(sed -e 's/#.*//' -e '/^\s*$/d' packaging/debian-packages.txt)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo_cmd apt-get update -q
    sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}"
else
    echo "all ${#packages[@]} packages present"
fi

step "Python environment (.venv)"
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum packaging/requirements.txt | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
    /usr/bin/python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r packaging/requirements.txt
    echo "$want" >"$stamp"
else
    echo "requirements up to date"
fi

step "Build"
cuda_args=()
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
    cuda_args+=("-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc")
fi
fuzz_args=()
if [ "$mode" = test ]; then
    # libFuzzer needs clang: the GGUF parser and its fuzz target get a small tree of their own.
    CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DPARLEY_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build-fuzz -j "$jobs"
    fuzz_args+=("-DPARLEY_FUZZ_BIN_DIR=$root/build-fuzz/bin")
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${cuda_args[@]}" "${fuzz_args[@]}" \
    >/dev/null
cmake --build build -j "$jobs"

step "Default models"
"$venv/bin/python" packaging/fetch_models.py --pip "$venv/bin/python -m pip"

case "$mode" in
    build) ;;
    test)
        step "Tests"
        ctest --test-dir build --output-on-failure --timeout 900
        ;;
    run)
        if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
            cat >&2 <<MSG

No display found (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app cannot open here.
Start the headless server instead:

    $root/build/bin/parley-server --host 127.0.0.1 --port 8765

or run the app on a virtual display:  xvfb-run -a $root/build/bin/parley
MSG
            exit 3
        fi
        step "Starting Parley"
        exec "$root/build/bin/parley"
        ;;
esac
