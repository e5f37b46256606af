#!/usr/bin/env python3
"""Reads the desktop app's frame log (PARLEY_FRAME_LOG) of one bench round and prints the open
time of the thread and the frame times while the wheel scrolled it, as one JSON line.

open_ms: the click's release to the first frame swapped whose scene was synchronised after the
thread's rows were in the model.
service_ms: the release to the rows being in the model (store read + model reset).
Scrolling: the frames between the first wheel event and 100 ms after the last one; a frame
interval is the time between two swapped frames, wheel_to_frame_ms the time from a wheel event to
the next frame."""
import json
import sys


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return None
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main(path):
    events = []
    with open(path) as log:
        for line in log:
            parts = line.split()
            events.append((float(parts[0]), parts[1], parts[2:] if len(parts) > 2 else []))
    opened = next((e for e in events if e[1] == "opened"), None)
    if opened is None:
        sys.exit("no thread was opened in " + path)
    release = max(t for t, kind, _ in events if kind == "release" and t <= opened[0])
    synced = next(t for t, kind, _ in events if kind == "synced" and t > opened[0])
    first_frame = next(t for t, kind, _ in events if kind == "frame" and t > synced)
    wheels = [t for t, kind, _ in events if kind == "wheel"]
    result = {
        "rows": int(opened[2][0]),
        "open_ms": round(first_frame - release, 1),
        "service_ms": round(opened[0] - release, 1),
    }
    if wheels:
        start, end = wheels[0], wheels[-1] + 100
        frames = [t for t, kind, _ in events if kind == "frame" and start <= t <= end]
        intervals = [b - a for a, b in zip(frames, frames[1:])]
        latencies = []
        for w in wheels:
            following = next((t for t in frames if t >= w), None)
            if following is not None:
                latencies.append(following - w)
        result.update({
            "wheel_events": len(wheels),
            "scroll_s": round((wheels[-1] - wheels[0]) / 1000, 2),
            "frames": len(frames),
            "frame_interval_ms": {
                "p50": round(percentile(intervals, 50), 1),
                "p95": round(percentile(intervals, 95), 1),
                "p99": round(percentile(intervals, 99), 1),
                "max": round(max(intervals), 1),
                "over_50": sum(1 for i in intervals if i > 50),
            },
            "wheel_to_frame_ms": {
                "p50": round(percentile(latencies, 50), 1),
                "max": round(max(latencies), 1),
            },
        })
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
