# Sourced by the scripts that run the desktop app on a virtual X display.
#
# start_xvfb FIRST LAST: starts Xvfb on the first free display number in FIRST..LAST (each script
# has its own range, so tests that ctest runs in parallel never share a display), sets `display`
# and `xvfb` (the server's pid) and returns once the server answers.
start_xvfb() {
    display=""
    local n
    for n in $(seq "$1" "$2"); do
        if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then display=":$n"; break; fi
    done
    [ -n "$display" ] || { echo "no free X display number in $1-$2"; return 1; }
    Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    xvfb=$!
    for _ in $(seq 50); do
        xwininfo -display "$display" -root >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    kill "$xvfb" 2>/dev/null || true
    echo "Xvfb on $display did not answer within 5 s"
    return 1
}
