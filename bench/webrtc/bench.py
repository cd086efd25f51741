#!/usr/bin/env python3
"""WebRTC ingest benchmark (issue 8), ratios measured in the same run:

1. Offer POST -> answer: headless Chromium (the e2e publisher page, fake camera) POSTs its offer
   inside POST /v1/streams; the page times the fetch. Target: p50 <= 150 ms.
2. Answer -> first stored frame: the stream's first_frame_at_ms (server wall clock) minus the
   wall time the page received the answer (same machine clock). Target: p50 <= 500 ms.
3. CPU per 30 fps 640x480 stream: the server's CPU time (all threads, /proc/PID/stat) while N
   WHIP publishers (tests/e2e/tools/whip_publish.py: GStreamer videotestsrc -> vpx/x264 at a fixed
   bitrate) stream into it, minus the idle server, against N `ffmpeg -threads 1 -re` decoding a
   file made by the same encoder with the same settings over the same span. Rounds alternate.
   Target: <= 1.3x decode.

Nothing here is pass/fail; the machine is small and shared, so only the ratios next to the load
printed with them mean something.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "foundation"))
import common  # noqa: E402

import browser  # noqa: E402  (tests/e2e/browser.py)

SYSTEM_PYTHON = "/usr/bin/python3"
WHIP = common.E2E / "tools" / "whip_publish.py"
W, H, FPS = 640, 480, 30


def webrtc_config(wd: Path) -> Path:
    cfg = wd / "webrtc.json"
    cfg.write_text(json.dumps({"webrtc": {"allow_loopback": True,
                                          "bind_addresses": ["127.0.0.1"], "ice_tcp": False}}))
    return cfg


def latency(srv, page, wd: Path, rounds: int) -> tuple[list[float], list[float]]:
    cam = browser.make_barcode_y4m(common.CACHE / "webrtc-320x240.y4m", 320, 240, 30, 150)
    b = browser.Browser(wd / "chromium", cam)
    answers, firsts = [], []
    try:
        b.navigate(page.origin + "/publisher.html")
        api = srv.api(0)
        for i in range(rounds + 1):
            res = b.call("publishOffer", srv.base, srv.keys[0], {"codec": "vp8"})
            assert res["status"] == 201, res
            st = api.wait_stream(res["id"], lambda x: x["first_frame_at_ms"] is not None, 30,
                                 "first frame")
            if i > 0:   # the first round loads GStreamer's plugins and warms caches
                answers.append(res["answer_ms"])
                firsts.append(st["first_frame_at_ms"] - res["answered_wall_ms"])
            api.delete(f"/v1/streams/{res['id']}")
            b.evaluate("hangUp()")
    finally:
        b.stop()
    return answers, firsts


def encode_file(codec: str, kbps: int, pattern: str, wd: Path) -> Path:
    """10 s of what whip_publish.py sends, made by the same GStreamer encoder and settings."""
    tag = "" if pattern == "ball" else f"-{pattern}"
    out = common.CACHE / f"webrtc-{codec}-{W}x{H}-{kbps}k{tag}.mkv"
    if out.exists():
        return out
    if codec == "h264":
        enc = (f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate={kbps} ! "
               "video/x-h264,profile=constrained-baseline ! h264parse")
    else:
        enc = f"vp8enc deadline=1 keyframe-max-dist=60 target-bitrate={kbps * 1000}"
    common.CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=300", f"pattern={pattern}",
                    "!",
                    f"video/x-raw,width={W},height={H},framerate={FPS}/1", "!", *enc.split(),
                    "!", "matroskamux", "!", "filesink", f"location={out}"], check=True,
                   timeout=300)
    return out


def server_phase(srv, codec: str, kbps: int, pattern: str, n: int, warmup: float,
                 seconds: float, wd: Path, perf: bool = False) -> float:
    api = srv.api(0)
    procs, ids = [], []
    try:
        for i in range(n):
            s = api.post("/v1/streams", json={"source": {"type": "whip"}, "lease": False}).json()
            ids.append(s["id"])
            log = open(wd / f"whip-{codec}-{i}.log", "wb")
            procs.append(subprocess.Popen(
                [SYSTEM_PYTHON, str(WHIP), s["publish"]["url"], s["publish"]["token"],
                 "--codec", codec, "--width", str(W), "--height", str(H), "--fps", str(FPS),
                 "--bitrate", str(kbps), "--pattern", pattern, "--loopback"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        for sid in ids:
            api.wait_frames(sid, 30, timeout=60)
        time.sleep(warmup)
        c0 = common.cpu_seconds(srv.proc.pid)
        with common.PerfRecord(srv.proc.pid, wd / f"perf-{codec}.data", perf) as rec:
            time.sleep(seconds)
        cpu = common.cpu_seconds(srv.proc.pid) - c0
        if perf:
            print(f"   perf, by library ({codec}; CPU above includes perf's own overhead):")
            print(rec.report())
        fps = [api.stream(sid)["recent_fps"] for sid in ids]
        print(f"   sightline: {n} {codec} streams, {cpu:.2f} CPU s in {seconds:g} s, "
              f"recent_fps {min(fps):.1f}..{max(fps):.1f}", flush=True)
        return cpu
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        for sid in ids:
            api.delete(f"/v1/streams/{sid}")


def ffmpeg_phase(path: Path, n: int, warmup: float, seconds: float) -> float:
    procs = [subprocess.Popen([common.FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error",
                               "-threads", "1", "-re", "-stream_loop", "-1", "-i", str(path),
                               "-f", "null", "-"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(n)]
    try:
        time.sleep(warmup)
        c0 = [common.cpu_seconds(p.pid) for p in procs]
        time.sleep(seconds)
        c1 = [common.cpu_seconds(p.pid) for p in procs]
        cpu = sum(b - a for a, b in zip(c0, c1))
        print(f"   ffmpeg:    {n} decoders of {path.name}, {cpu:.2f} CPU s in {seconds:g} s",
              flush=True)
        return cpu
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)


def main() -> None:
    ap = common.arg_parser(__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=20, help="latency rounds (after one warm-up)")
    ap.add_argument("--streams", type=int, default=2, help="concurrent streams for the CPU part")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--cpu-rounds", type=int, default=2)
    ap.add_argument("--kbps", type=int, default=1500,
                    help="the encoders' target; what they reach depends on --pattern (printed)")
    ap.add_argument("--pattern", default="ball",
                    help="videotestsrc pattern of the publishers and the file (ball: a moving "
                         "ball on black, far below --kbps; snow: noise, at --kbps)")
    ap.add_argument("--codecs", default="vp8,h264")
    ap.add_argument("--perf", action="store_true", help="perf profile of an extra server round")
    ap.add_argument("--skip-latency", action="store_true")
    args = ap.parse_args()
    results: dict = {}
    with common.run_context(args, "webrtc") as wd:
        page = browser.PageServer()
        srv = common.start_server(args, wd, "--config", str(webrtc_config(wd)),
                                  "--cors-origin", page.origin)
        try:
            idle0 = common.cpu_seconds(srv.proc.pid)
            time.sleep(5)
            idle = (common.cpu_seconds(srv.proc.pid) - idle0) / 5
            print(f"   idle server: {idle:.3f} CPU s/s")

            answers, firsts = ([], []) if args.skip_latency else latency(srv, page, wd,
                                                                         args.rounds)
            a50, a90 = common.pct(answers, 50), common.pct(answers, 90)
            f50, f90 = common.pct(firsts, 50), common.pct(firsts, 90)
            print(common.table(
                [["offer POST -> answer (ms)", f"{a50:.0f}", f"{a90:.0f}", "<= 150",
                  common.verdict(a50 <= 150)],
                 ["answer -> first stored frame (ms)", f"{f50:.0f}", f"{f90:.0f}", "<= 500",
                  common.verdict(f50 <= 500)]],
                ["", "p50", "p90", "target", "verdict"]))
            results["latency"] = {"answer_ms": answers, "first_frame_ms": firsts}

            for codec in args.codecs.split(","):
                path = encode_file(codec, args.kbps, args.pattern, wd)
                print(f"   {path.name}: {path.stat().st_size * 8 / 10 / 1000:.0f} kbit/s "
                      f"(10 s, pattern {args.pattern})", flush=True)
                s_cpu, f_cpu = [], []
                for r in range(args.cpu_rounds):
                    print(f"   round {r + 1} ({codec}, {common.load_text()})", flush=True)
                    s_cpu.append(server_phase(srv, codec, args.kbps, args.pattern, args.streams,
                                              3, args.seconds, wd) - idle * args.seconds)
                    f_cpu.append(ffmpeg_phase(path, args.streams, 3, args.seconds))
                if args.perf:
                    server_phase(srv, codec, args.kbps, args.pattern, args.streams, 3,
                                 args.seconds, wd, True)
                per_min = 60 / (args.seconds * args.streams)
                s, f = sum(s_cpu) * per_min / len(s_cpu), sum(f_cpu) * per_min / len(f_cpu)
                print(common.table([[codec, f"{s:.2f}", f"{f:.2f}", f"{s / f:.2f}x",
                                     common.verdict(s / f <= 1.3)]],
                                   ["codec", "sightline CPU s / stream-min",
                                    "ffmpeg decode CPU s / stream-min", "ratio", "<= 1.3x"]))
                results[f"cpu_{codec}"] = {"sightline": s_cpu, "ffmpeg": f_cpu, "ratio": s / f}
        finally:
            srv.stop()
            page.stop()
        common.write_json(args, results)


if __name__ == "__main__":
    main()
