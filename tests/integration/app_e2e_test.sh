#!/usr/bin/env bash
# Runs the desktop app's end-to-end test (test_app_e2e) on its own Xvfb display; screenshots go
# to the folder given as the second argument.
set -euo pipefail
test_binary="$1"
shots="$2"
mkdir -p "$shots"

source "$(dirname "$0")/xvfb_display.sh"
start_xvfb 141 190
trap 'kill "$xvfb" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

DISPLAY="$display" QT_QPA_PLATFORM=xcb PARLEY_SCREENSHOTS="$shots" "$test_binary"
