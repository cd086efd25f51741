#!/usr/bin/env python3
"""Continuous-inference overhead benchmark (issue 10): what a run adds on top of the model.

Setup (all on 127.0.0.1): bench/chat/fast_stub.py as the upstream (answers at once, same cost
for every request); sightline `serve --backend bench=<stub>/v1`; N test_pattern streams
(640x360 @ 30 fps), each with a clip job (0.5 s clip at --target-fps, every 0.5 s) and one
WebSocket reader.

Per result message: overhead = total_latency_ms - inference_latency_ms, i.e. from the capture
time of the newest frame used to the result sent, minus the upstream call. It includes the age of
that frame when the run started (the clip's last grid instant can be up to 1000/target_fps ms
before the live edge: SPEC section 3's grid), selection, rendering (JPEG encode or cache hit),
building the upstream body, and sending. Prints p50/p99 per stream count and writes JSON.

Usage: overhead.py [--streams 1,4,16] [--seconds 20] [--mode clip|frame] [--target-fps 10]
                   [--out FILE]   (--mode frame: the newest frame every 0.5 s instead)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KEY = "sk-bench-jobs"


def start(cmd: list[str], pattern: str) -> tuple[subprocess.Popen, str]:
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        m = re.search(pattern, line)
        if m:
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p, m.group(1)
    p.kill()
    raise SystemExit(f"{cmd[0]} did not start")


def api(base: str, method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {KEY}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def run(base: str, port: int, n: int, seconds: float, target_fps: int, mode: str) -> dict:
    import websocket  # websocket-client (tests/requirements.txt)
    ids = []
    for _ in range(n):
        s = api(base, "POST", "/v1/streams", {
            "source": {"type": "test_pattern", "width": 640, "height": 360, "fps": 30},
            "lease": False,
            "processing": ({"mode": "clip", "target_fps": target_fps, "clip_length_seconds": 0.5,
                            "delay_seconds": 0.5} if mode == "clip" else
                           {"mode": "frame", "interval_seconds": 0.5}),
            "inference": {"prompt": "What happens?", "model": "bench"}})
        ids.append(s["id"])
    overheads: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds + 2

    def reader(sid: str):
        nonlocal failures
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/v1/ws/streams/{sid}",
                                         header=[f"Authorization: Bearer {KEY}"])
        warm = time.monotonic() + 2   # the first clip and cold caches
        while time.monotonic() < stop:
            ws.settimeout(max(0.1, stop - time.monotonic()))
            try:
                m = json.loads(ws.recv())
            except Exception:
                break
            if time.monotonic() < warm:
                continue
            with lock:
                if m["ok"]:
                    overheads.append(m["total_latency_ms"] - m["inference_latency_ms"])
                else:
                    failures += 1
        ws.close()

    threads = [threading.Thread(target=reader, args=(sid,)) for sid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    skips = sum(api(base, "GET", f"/v1/streams/{sid}")["job"]["skips"] for sid in ids)
    for sid in ids:
        api(base, "DELETE", f"/v1/streams/{sid}")
    return {"streams": n, "results": len(overheads), "failures": failures, "skips": skips,
            "p50_ms": percentile(overheads, 50) if overheads else None,
            "p99_ms": percentile(overheads, 99) if overheads else None,
            "mean_ms": statistics.fmean(overheads) if overheads else None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", default="1,4,16")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--target-fps", type=int, default=10)
    ap.add_argument("--mode", choices=["clip", "frame"], default="clip")
    ap.add_argument("--out", default="/tmp/sightline-bench-jobs.json")
    args = ap.parse_args()
    binary = os.environ.get("SIGHTLINE_BIN", str(ROOT / "build" / "sightline"))
    stub, stub_url = start([sys.executable, str(ROOT / "bench/chat/fast_stub.py")],
                           r"listening on (http://\S+)")
    srv, base = start([binary, "serve", "--listen", "127.0.0.1:0", "--api-key", KEY,
                       "--max-streams-per-key", "64", "--backend", f"bench={stub_url}"],
                      r"sightline listening on (http://\S+)")
    port = int(base.rsplit(":", 1)[1])
    rows = []
    try:
        for n in (int(x) for x in args.streams.split(",")):
            row = run(base, port, n, args.seconds, args.target_fps, args.mode)
            rows.append(row)
            print(f"{n:3d} streams: {row['results']:5d} results, overhead p50 {row['p50_ms']} ms, "
                  f"p99 {row['p99_ms']} ms, skips {row['skips']}, failures {row['failures']}",
                  flush=True)
    finally:
        srv.terminate()
        stub.terminate()
        srv.wait(timeout=15)
    Path(args.out).write_text(json.dumps({"mode": args.mode, "target_fps": args.target_fps,
                                          "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
