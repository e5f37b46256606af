#!/usr/bin/env bash
# The desktop app with a 2,000-message thread, in the real window: seeds a fresh profile's store
# (parley-bench-seed-thread), then for each round starts the real `parley` on its own Xvfb
# display with PARLEY_FRAME_LOG, clicks the thread in the sidebar, scrolls the message list up with
# the mouse wheel at a steady pace (xdotool), quits with Ctrl+Q and prints analyze_frame_log.py's
# numbers (one JSON line per round). Screenshots of the last round go to OUT_DIR.
#
# usage: run_app_bench.sh BUILD_DIR [ROUNDS=3] [OUT_DIR=BUILD_DIR/bench-app]
#   WHEEL_CLICKS (default 300) and WHEEL_DELAY_MS (default 20) set the scroll.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
rounds="${2:-3}"
out="${3:-$build/bench-app}"
wheel_clicks="${WHEEL_CLICKS:-300}"
wheel_delay="${WHEEL_DELAY_MS:-20}"
mkdir -p "$out"

export PARLEY_MODELS_DIR="${PARLEY_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/parley/models}"
profile=$(mktemp -d)
export XDG_DATA_HOME="$profile/data" XDG_CONFIG_HOME="$profile/config"
"$build/bin/parley-bench-seed-thread" 2000 >/dev/null

source "$here/../../integration/xvfb_display.sh"
start_xvfb 191 240
export DISPLAY="$display" QT_QPA_PLATFORM=xcb
app=""
cleanup() {
    [ -n "$app" ] && kill "$app" 2>/dev/null || true
    kill "$xvfb" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$profile"
}
trap cleanup EXIT

# Screenshots need ImageMagick's `import`; without it the numbers are still measured.
screenshot() { if command -v import >/dev/null; then import -window root "$1"; fi; }

for round in $(seq "$rounds"); do
    log="$out/frames-$round.log"
    rm -f "$log"
    PARLEY_FRAME_LOG="$log" "$build/bin/parley" >"$out/app-$round.log" 2>&1 &
    app=$!
    xdotool search --sync --name '^Parley$' >/dev/null
    for _ in $(seq 100); do grep -q "ready:" "$out/app-$round.log" && break; sleep 0.1; done
    sleep 1
    # The window is at the top left with no window manager: the sidebar's only thread is the
    # first row under the "Today" section, the message list fills the right-hand side.
    xdotool mousemove 100 111 click 1
    sleep 2
    [ "$round" = "$rounds" ] && screenshot "$out/opened.png"
    xdotool mousemove 680 350 click --repeat "$wheel_clicks" --delay "$wheel_delay" 4
    sleep 1
    [ "$round" = "$rounds" ] && screenshot "$out/scrolled.png"
    xdotool key ctrl+q
    wait "$app" || { echo "parley exited with an error:"; cat "$out/app-$round.log"; exit 1; }
    app=""
    python3 "$here/analyze_frame_log.py" "$log"
done
