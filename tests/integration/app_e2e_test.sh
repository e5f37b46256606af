#!/usr/bin/env bash
# Runs the desktop app's end-to-end test (test_app_e2e) on its own Xvfb display; screenshots go
# to the folder given as the second argument.
set -euo pipefail
test_binary="$1"
shots="$2"
mkdir -p "$shots"

display=""
for n in $(seq 141 190); do
    if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then display=":$n"; break; fi
done
[ -n "$display" ] || { echo "no free X display number"; exit 1; }

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 50); do xwininfo -display "$display" -root >/dev/null 2>&1 && break; sleep 0.1; done

DISPLAY="$display" QT_QPA_PLATFORM=xcb PARLEY_SCREENSHOTS="$shots" "$test_binary"
