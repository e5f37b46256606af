#!/usr/bin/env bash
# Starts the desktop app on a real X server (Xvfb) and checks that a top-level window titled
# "Parley" is mapped and that the default model becomes ready; saves a screenshot (xwd) next to
# the build for people to look at, and prints the startup times the app logs.
set -euo pipefail
app="$1"
shots="$2"
mkdir -p "$shots"

# A fresh profile (settings and conversations) in a scratch folder; the installed models as usual.
export PARLEY_MODELS_DIR="${PARLEY_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/parley/models}"
profile=$(mktemp -d)
export XDG_DATA_HOME="$profile/data" XDG_CONFIG_HOME="$profile/config"

source "$(dirname "$0")/xvfb_display.sh"
start_xvfb 90 140
app_pid=""
cleanup() {
    [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
    kill "$xvfb" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$profile"
}
trap cleanup EXIT

DISPLAY="$display" QT_QPA_PLATFORM=xcb "$app" >"$shots/app.log" 2>&1 &
app_pid=$!

for _ in $(seq 150); do
    if ! kill -0 "$app_pid" 2>/dev/null; then
        echo "FAIL: parley exited early:"; cat "$shots/app.log"; exit 1
    fi
    if xwininfo -display "$display" -root -tree | grep -q '"Parley"'; then
        sleep 1
        xwd -display "$display" -root -silent >"$shots/parley-window.xwd" || true
        geometry=$(xwininfo -display "$display" -name Parley | grep -E 'Width|Height|Map State')
        echo "PASS: window \"Parley\" is mapped"
        echo "$geometry"
        echo "$geometry" | grep -q "IsViewable" || { echo "FAIL: window not viewable"; exit 1; }
        # Qt also creates a 1x1 helper window titled Parley; the icon is on the top-level one, and
        # may be set a moment after the window is mapped.
        icon=""
        for _ in $(seq 25); do
            for window in $(xwininfo -display "$display" -root -tree | awk '/"Parley": \(/ {print $1}'); do
                xprop -display "$display" -id "$window" _NET_WM_ICON | grep -q "Icon (" && icon=yes
            done
            [ -n "$icon" ] && break
            sleep 0.2
        done
        [ -n "$icon" ] || { echo "FAIL: the window has no icon (resources/icons/parley.svg)"; exit 1; }
        echo "PASS: window icon set"
        for _ in $(seq 100); do grep -q "ready:" "$shots/app.log" && break; sleep 0.1; done
        grep -E "first frame|ready:" "$shots/app.log" || true
        grep -q "ready:" "$shots/app.log" || { echo "FAIL: the default model did not load"; cat "$shots/app.log"; exit 1; }
        echo "PASS: default model loaded"
        exit 0
    fi
    sleep 0.2
done
echo "FAIL: no window titled Parley within 30 s"; cat "$shots/app.log"; exit 1
