#!/usr/bin/env python3
"""Time to first frame: from `POST /v1/streams` to the first moment the stream serves a frame, for
RTSP, RTMP, SRT and MPEG-TS-over-HTTP live sources, against `ffmpeg -i URL -frames:v 1 out.jpg`
(default options) on the same source. Target: <= 400 ms for live sources starting on a keyframe.

sightline: t0 just before the POST; then `GET /v1/streams/{id}/frame` (newest) is polled every
--poll-ms until it answers 200 (t1). Reported: t1 - t0 (what a client sees, at most one poll
interval late) and the server's own first_frame_at_ms - created_at_ms (no polling error).
ffmpeg: the wall time of the whole command, process start included (what a script pays); also
"ffmpeg tuned", the same with the probe options sightline's URL source sets (100 ms
analyzeduration, 256 KiB probesize, RTSP over TCP): the floor of FFmpeg's demuxer and protocol
for this source, showing how much sightline adds on top of it.

Sources: RTMP, SRT and TS-over-HTTP are ffmpeg one-client listeners replaying the cached 720p30
file; a new connection gets a new ffmpeg process that starts at the file's first frame, a
keyframe. RTSP is the e2e GstRtspServer camera (320x240 by default, Python-drawn frames); its
media is created per connection when no other client is attached, so it also starts on a keyframe.
Trials alternate sightline / ffmpeg on the same source.
"""

from __future__ import annotations

import time

import common

KINDS = ("rtsp", "rtmp", "srt", "ts_http")


def sightline_trial(api, url: str, poll_s: float, timeout: float = 15) -> dict:
    t0 = time.perf_counter()
    st = api.create_url(url, lease=False)
    t_created = time.perf_counter()
    sid = st["id"]
    polls = 0
    try:
        while True:
            polls += 1
            r = api.frame(sid, timeout=5)
            if r.status_code == 200:
                t1 = time.perf_counter()
                break
            if time.perf_counter() - t0 > timeout:
                raise TimeoutError(f"{url}: no frame in {timeout}s: {api.stream(sid)}")
            time.sleep(poll_s)
        info = api.stream(sid)
        server_ms = None
        if info.get("first_frame_at_ms") and info.get("created_at_ms"):
            server_ms = info["first_frame_at_ms"] - info["created_at_ms"]
        return {"client_s": t1 - t0, "post_s": t_created - t0, "server_ms": server_ms,
                "polls": polls, "frame_index": int(r.headers.get("X-Frame-Index", -1))}
    finally:
        api.delete(f"/v1/streams/{sid}")


def ffmpeg_tuned(kind: str, url: str, out) -> tuple[float, int]:
    """The one-shot with the probe options sightline's URL source uses (src/ingest)."""
    args = [common.FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error",
            "-analyzeduration", "100000", "-probesize", "262144", "-fpsprobesize", "0"]
    if kind == "rtsp":
        args += ["-rtsp_transport", "tcp"]
    return common.timed_run(args + ["-i", url, "-frames:v", "1", "-y", str(out)], timeout=60)


def make_source(kind: str, wd, media, rtsp_size):
    if kind == "rtsp":
        w, h = rtsp_size
        return common.sources.RtspSource(wd, width=w, height=h, fps=30)
    return common.file_listener(kind, wd, media)


def main() -> None:
    ap = common.arg_parser(__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--poll-ms", type=float, default=5.0)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--rtsp-size", default="320x240")
    ap.add_argument("--target-ms", type=float, default=400)
    ap.add_argument("--no-tuned", dest="tuned", action="store_false",
                    help="skip the ffmpeg run with sightline's probe options")
    args = ap.parse_args()
    rtsp_size = tuple(int(v) for v in args.rtsp_size.split("x"))
    results = {"poll_ms": args.poll_ms, "kinds": {}}
    with common.run_context(args, "ttff") as wd:
        media = common.media_file()
        srv = common.start_server(args, wd)
        api = srv.api(0)
        print(f"   media {media.name} ({common.media_bitrate_kbps(media):.0f} kbit/s), "
              f"{args.trials} trials per kind, poll every {args.poll_ms:g} ms")
        rows = []
        try:
            for kind in args.kinds.split(","):
                src = make_source(kind, wd, media, rtsp_size)
                cl, sv, ff, tuned, idx = [], [], [], [], []
                try:
                    for _ in range(args.trials):
                        common.wait_listener_ready(src)
                        t = sightline_trial(api, src.url, args.poll_ms / 1000)
                        cl.append(t["client_s"])
                        idx.append(t["frame_index"])
                        if t["server_ms"] is not None:
                            sv.append(t["server_ms"] / 1000)
                        common.wait_listener_ready(src)
                        secs, rc = common.ffmpeg_first_jpeg(src.url, wd / f"ff-{kind}.jpg")
                        if rc == 0:
                            ff.append(secs)
                        else:
                            print(f"   ffmpeg on {kind} exited {rc}")
                        if args.tuned:
                            common.wait_listener_ready(src)
                            secs, rc = ffmpeg_tuned(kind, src.url, wd / f"fft-{kind}.jpg")
                            if rc == 0:
                                tuned.append(secs)
                finally:
                    src.stop()
                res = {"sightline_client_s": cl, "sightline_server_s": sv, "ffmpeg_s": ff,
                       "ffmpeg_tuned_s": tuned, "first_served_index": idx}
                results["kinds"][kind] = res
                med = common.median(cl)
                rows.append([kind, common.ms(med), common.ms(min(cl)), common.ms(max(cl)),
                             common.ms(common.median(sv)) if sv else "-",
                             common.ms(common.median(ff)) if ff else "-",
                             f"{common.median(ff) / med:.1f}x" if ff else "-",
                             common.ms(common.median(tuned)) if tuned else "-",
                             common.verdict(med * 1000 <= args.target_ms)])
                print(f"   {kind}: sightline {[round(v * 1000) for v in cl]} ms, "
                      f"ffmpeg {[round(v * 1000) for v in ff]} ms, "
                      f"ffmpeg tuned {[round(v * 1000) for v in tuned]} ms", flush=True)
        finally:
            srv.stop()
        print()
        print(common.table(rows, ["source", "sightline p50", "min", "max", "server-side p50",
                                  "ffmpeg p50", "ffmpeg/sightline", "ffmpeg tuned p50",
                                  f"<= {args.target_ms:g} ms"]))
        print("   (sightline = POST to first 200 from /frame, client-observed; server-side = "
              "first_frame_at_ms - created_at_ms;\n    ffmpeg tuned = the same command with "
              "sightline's probe options: the floor of the demuxer and protocol)")
    common.write_json(args, results)


if __name__ == "__main__":
    main()
