#!/usr/bin/env python3
"""Ingest cost: CPU seconds per stream-minute of 720p30 H.264 in sightline, against pure decode by
`ffmpeg -threads 1 -i URL -f null -` on the same sources. Target: <= 1.2x pure decode.

The server's CPU time (utime + stime of all its threads, /proc/PID/stat) is read over --seconds
with N streams ingesting, minus the same span with no stream (idle cost, measured first). The
baseline is N such ffmpeg processes on the same listeners (the cached 720p30 2 Mbit/s file
replayed with `-re -stream_loop -1 -c copy`), their own CPU over the same span after the same
warm-up. Rounds alternate sightline / ffmpeg so a change in the machine's load hits both.
No frame is requested: this is the cost of keeping streams ready.
--perf also samples the server with `perf record` during the last round and prints its top
symbols (where the ingest time goes).
"""

from __future__ import annotations

import subprocess
import time

import common


def server_phase(srv, srcs, warmup: float, seconds: float) -> float:
    api = srv.api(0)
    ids = [api.create_url(s.url, lease=False)["id"] for s in srcs]
    try:
        for sid in ids:
            api.wait_frames(sid, 10, timeout=60)
        time.sleep(warmup)
        c0 = common.cpu_seconds(srv.proc.pid)
        time.sleep(seconds)
        cpu = common.cpu_seconds(srv.proc.pid) - c0
        fps = [api.stream(sid)["recent_fps"] for sid in ids]
        print(f"   sightline: {len(ids)} streams, {cpu:.2f} CPU s in {seconds:g} s, "
              f"recent_fps {min(fps):.1f}..{max(fps):.1f}", flush=True)
        return cpu
    finally:
        for sid in ids:
            api.delete(f"/v1/streams/{sid}")


def ffmpeg_phase(srcs, warmup: float, seconds: float) -> float:
    procs = [subprocess.Popen([common.FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error",
                               "-threads", "1", "-i", s.url, "-f", "null", "-"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for s in srcs]
    try:
        time.sleep(warmup)
        c0 = [common.cpu_seconds(p.pid) for p in procs]
        time.sleep(seconds)
        c1 = [common.cpu_seconds(p.pid) for p in procs]
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("an ffmpeg baseline process exited early")
        cpu = sum(b - a for a, b in zip(c0, c1))
        print(f"   ffmpeg:    {len(procs)} decoders, {cpu:.2f} CPU s in {seconds:g} s",
              flush=True)
        return cpu
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)


def perf_profile(srv, srcs, wd, seconds: float) -> str:
    api = srv.api(0)
    ids = [api.create_url(s.url, lease=False)["id"] for s in srcs]
    try:
        for sid in ids:
            api.wait_frames(sid, 10, timeout=60)
        time.sleep(2)
        with common.PerfRecord(srv.proc.pid, wd / "perf-ingest.data") as perf:
            time.sleep(seconds)
    finally:
        for sid in ids:
            api.delete(f"/v1/streams/{sid}")
    return perf.report()


def main() -> None:
    ap = common.arg_parser(__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--kind", default="ts_http", choices=("rtmp", "srt", "ts_http"))
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--perf", action="store_true")
    ap.add_argument("--target-ratio", type=float, default=1.2)
    args = ap.parse_args()
    results = {"streams": args.streams, "seconds": args.seconds, "rounds": []}
    with common.run_context(args, "ingest_cost") as wd:
        media = common.media_file()
        print(f"   {args.streams} streams of {media.name} "
              f"({common.media_bitrate_kbps(media):.0f} kbit/s) over {args.kind}, "
              f"{args.rounds} rounds of {args.seconds:g} s")
        srcs = [common.file_listener(args.kind, wd, media) for _ in range(args.streams)]
        srv = common.start_server(args, wd)
        profile = ""
        try:
            time.sleep(1)
            c0 = common.cpu_seconds(srv.proc.pid)
            idle_span = min(10.0, args.seconds)
            time.sleep(idle_span)
            idle_rate = (common.cpu_seconds(srv.proc.pid) - c0) / idle_span
            print(f"   idle server: {idle_rate:.3f} CPU s per s")
            for _ in range(args.rounds):
                s_cpu = server_phase(srv, srcs, args.warmup, args.seconds) - \
                    idle_rate * args.seconds
                for s in srcs:
                    common.wait_listener_ready(s)
                f_cpu = ffmpeg_phase(srcs, args.warmup, args.seconds)
                for s in srcs:
                    common.wait_listener_ready(s)
                results["rounds"].append({"sightline_cpu_s": s_cpu, "ffmpeg_cpu_s": f_cpu})
            if args.perf and common.have_tool("perf"):
                profile = perf_profile(srv, srcs, wd, min(args.seconds, 15))
        finally:
            srv.stop()
            for s in srcs:
                s.stop()
        per_min = args.streams * args.seconds / 60
        rows = []
        for i, r in enumerate(results["rounds"]):
            s, f = r["sightline_cpu_s"] / per_min, r["ffmpeg_cpu_s"] / per_min
            rows.append([i + 1, f"{s:.2f}", f"{f:.2f}", f"{s / f:.2f}x"])
        s_all = sum(r["sightline_cpu_s"] for r in results["rounds"])
        f_all = sum(r["ffmpeg_cpu_s"] for r in results["rounds"])
        ratio = s_all / f_all
        results["ratio"] = ratio
        rows.append(["all", f"{s_all / per_min / len(results['rounds']):.2f}",
                     f"{f_all / per_min / len(results['rounds']):.2f}", f"{ratio:.2f}x"])
        print()
        print(common.table(rows, ["round", "sightline CPU s/stream-min", "ffmpeg CPU s/stream-min",
                                  "ratio"]))
        print(f"   target <= {args.target_ratio:g}x pure decode: "
              f"{common.verdict(ratio <= args.target_ratio)}")
        if profile:
            print("   perf (server while ingesting, share of samples by library):")
            print(profile)
    common.write_json(args, results)


if __name__ == "__main__":
    main()
