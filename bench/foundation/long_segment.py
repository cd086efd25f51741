#!/usr/bin/env python3
"""Long segments: resolving a segment of a 720p30 stream sampled at 1 fps into JPEGs, against
decoding the same span with `ffmpeg -ss S -i FILE -t SPAN -vf fps=1 %04d.jpg`. Target: a 5-minute
segment (300 JPEGs) in <= 1 s.

sightline only has what it ingested, and a live source fills retention in real time, so by default
the run ingests --span 60 s (60 JPEGs) and extrapolates per JPEG to 300; `--span 300` measures
the real thing (about 5.5 minutes of ingest). A segment is resolved through
`POST /v1/chat/completions` with a `video_url` `ovs://` reference, routed (`--backend`) to the e2e
stub upstream; the stub stamps the moment sightline's upstream request headers arrive, i.e. once
every frame is rendered, encoded and base64'd into the body. Reported:
  to upstream  POST -> upstream request arrives (resolve + decode + JPEG + request build);
  total        POST -> response read (adds the upload of the body to the stub and its JSON parse);
and per JPEG: (to upstream - the same request with one cached image reference) / JPEG count.
Cold requests by frame index sample one frame per GOP at a fixed position after its keyframe
(--phases): a re-decode runs from the keyframe to the sample, so the position sets the cost, and
the mean over phases is what a segment at a random phase costs. Then one of them again (JPEGs now
cached: warm), and one by `start_offset_ms=-SPAN000` (what a user writes; whatever phase it
falls on). Where the binary has `GET /v1/streams/{id}/clip`, the same kind of segment is also
fetched as MP4 (cold, then warm), which adds a JPEG decode and an H.264 encode per frame.
The ffmpeg baseline reads the cached file looped to 300 s (the stream's encoding) for --span
and for 300 s.
"""

from __future__ import annotations

import shutil
import threading
import time

import common


class TimedStub:
    """The e2e stub upstream, plus the arrival time of each POST's request headers."""

    def __init__(self):
        self.stub = common.StubUpstream(models=["stub-model"])
        self.arrivals: list[float] = []
        lock = threading.Lock()
        arrivals = self.arrivals
        base = self.stub._server.RequestHandlerClass

        class Handler(base):
            def parse_request(self):
                ok = super().parse_request()
                if ok and self.command == "POST":
                    with lock:
                        arrivals.append(time.perf_counter())
                return ok

        self.stub._server.RequestHandlerClass = Handler
        self.stub.start()

    def stop(self):
        self.stub.stop()


def chat(api, stub: TimedStub, part: dict) -> dict:
    body = {"model": "stub-model", "max_tokens": 8, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What happens here?"}, part]}]}
    n = len(stub.arrivals)
    t0 = time.perf_counter()
    r = api.post("/v1/chat/completions", json=body, timeout=300)
    t1 = time.perf_counter()
    if r.status_code != 200:
        raise RuntimeError(f"chat completion: {r.status_code} {r.text[:500]}")
    media = r.json().get("ovs_media") or [{}]
    count = media[0].get("frame_indices", {}).get("count", 0)
    up = stub.arrivals[n] - t0 if len(stub.arrivals) > n else float("nan")
    raw = stub.stub.chat_requests()[-1].raw
    return {"total_s": t1 - t0, "upstream_s": up, "count": count, "body_bytes": len(raw)}


def image_part(sid: str, index: int) -> dict:
    return {"type": "image_url", "image_url": {"url": f"ovs://streams/{sid}?frame_index={index}"}}


def video_part(sid: str, query: str) -> dict:
    return {"type": "video_url", "video_url": {"url": f"ovs://streams/{sid}?{query}"}}


def clip_requests(api, sid: str, start: int, end: int) -> dict | None:
    """GET /v1/streams/{id}/clip for the same kind of segment (other frames: cold, then the
    same again: warm), or None when the binary has no clip endpoint."""
    path = f"/v1/streams/{sid}/clip?start_frame_index={start}&end_frame_index={end}&max_fps=1"
    out = {}
    for name in ("cold", "warm"):
        t0 = time.perf_counter()
        r = api.get(path, timeout=300)
        secs = time.perf_counter() - t0
        if r.status_code == 404 and "stream" not in r.text:
            return None
        if r.status_code != 200:
            raise RuntimeError(f"clip: {r.status_code} {r.text[:300]}")
        out[name] = {"total_s": secs, "count": int(r.headers.get("X-Frame-Count", 0)),
                     "bytes": len(r.content)}
    return out


def ffmpeg_span(path, span: int, out_dir) -> float:
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    secs, rc = common.timed_run([common.FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error",
                                 "-ss", "5", "-i", str(path), "-t", str(span), "-vf", "fps=1",
                                 str(out_dir / "%04d.jpg")], timeout=600)
    if rc != 0:
        raise RuntimeError(f"ffmpeg baseline exited {rc}")
    return secs


def main() -> None:
    ap = common.arg_parser(__doc__.splitlines()[0])
    ap.add_argument("--span", type=int, default=60, help="segment length in seconds")
    ap.add_argument("--kind", default="ts_http", choices=("rtmp", "srt", "ts_http"))
    ap.add_argument("--phases", default="0,8,15,22,29",
                    help="positions in the GOP (frames after the keyframe) of the cold samples")
    ap.add_argument("--target-s", type=float, default=1.0)
    ap.add_argument("--target-jpegs", type=int, default=300)
    ap.add_argument("--perf", action="store_true", help="profile the server during one more "
                    "cold request (perf record) and print the top libraries")
    args = ap.parse_args()
    phases = [int(v) for v in args.phases.split(",")]
    gop = common.MEDIA_FPS   # the media has a keyframe every second; the stream starts on one
    results = {"span": args.span}
    with common.run_context(args, "long_segment") as wd:
        media = common.media_file()
        long_media = common.media_file(max(args.target_jpegs, args.span) + 10)
        stub = TimedStub()
        src = common.file_listener(args.kind, wd, media)
        srv = common.start_server(args, wd, "--backend", f"stub-model={stub.stub.base_url}")
        try:
            api = srv.api(0)
            sid = api.create_url(src.url, lease=False)["id"]
            need = (args.span + 4) * common.MEDIA_FPS
            print(f"   ingesting {need / common.MEDIA_FPS:.0f} s of {media.name} over "
                  f"{args.kind} ...", flush=True)
            api.wait_frames(sid, 1, timeout=30)
            t_start = time.monotonic()
            while api.stream(sid)["last_frame_index"] < need:
                time.sleep(2)
                if time.monotonic() - t_start > args.span * 3 + 60:
                    raise TimeoutError(f"stream too slow: {api.stream(sid)}")
            newest = api.stream(sid)["last_frame_index"]
            # The fixed cost of a chat request: one retained frame, rendered by the first of the
            # three requests and cached for the others (the fastest is taken).
            img = [chat(api, stub, image_part(sid, newest - 10)) for _ in range(3)]
            # Segments by frame index, at 1 fps = one sample per GOP, each sample `phase` frames
            # after its keyframe: a re-decode runs from the keyframe to the sample, so the phase
            # sets the cost. Each phase samples other frames, so each request is cold.
            base = (newest - 3 * gop - args.span * gop) // gop * gop

            def by_index(phase: int) -> str:
                return (f"start_frame_index={base + phase}&end_frame_index="
                        f"{base + phase + args.span * gop}&max_fps=1")

            cold = {p: chat(api, stub, video_part(sid, by_index(p))) for p in phases}
            warm = chat(api, stub, video_part(sid, by_index(phases[len(phases) // 2])))
            offset = chat(api, stub, video_part(sid, f"start_offset_ms=-{args.span * 1000}"
                                                     f"&max_fps=1"))
            spare = [p for p in range(gop) if p not in phases]
            clip = clip_requests(api, sid, base + spare[0], base + spare[0] + args.span * gop)
            profile = ""
            if args.perf:   # one more cold request (other frames), profiled, not timed
                with common.PerfRecord(srv.proc.pid, wd / "perf-segment.data") as perf:
                    chat(api, stub, video_part(sid, by_index(spare[-1])))
                profile = perf.report()
        finally:
            srv.stop()
            src.stop()
            stub.stop()
        base_span = ffmpeg_span(long_media, args.span, wd / "ff-span")
        base_target = ffmpeg_span(long_media, args.target_jpegs, wd / "ff-target") \
            if args.target_jpegs != args.span else base_span

        img_up = min(r["upstream_s"] for r in img)
        img_total = min(r["total_s"] for r in img)
        rows = []
        named = [(f"cold, phase {p}", r) for p, r in cold.items()]
        named += [("cold, start_offset_ms", offset), ("warm (repeat)", warm)]
        for name, r in named:
            per_up = max(0.0, r["upstream_s"] - img_up) / max(1, r["count"])
            r.update(per_jpeg_upstream_s=per_up)
            rows.append([name, r["count"], common.ms(r["upstream_s"]), common.ms(r["total_s"]),
                         f"{per_up * 1000:.2f} ms", f"{r['body_bytes'] / 2**20:.1f} MiB",
                         f"{per_up * args.target_jpegs:.2f} s"])
        mean_cold = sum(r["per_jpeg_upstream_s"] for r in cold.values()) / len(cold)
        est = mean_cold * args.target_jpegs
        est_key = cold[min(cold)]["per_jpeg_upstream_s"] * args.target_jpegs
        est_warm = warm["per_jpeg_upstream_s"] * args.target_jpegs
        results.update(image=img, cold={str(k): v for k, v in cold.items()}, warm=warm,
                       cold_offset=offset, clip=clip, ffmpeg_span_s=base_span,
                       ffmpeg_target_s=base_target, estimate_cold_s=est,
                       estimate_keyframe_s=est_key, estimate_warm_s=est_warm)
        print()
        print(f"   one image reference (fixed cost, subtracted): to upstream {common.ms(img_up)}, "
              f"total {common.ms(img_total)}")
        print(common.table(rows, ["segment request", "JPEGs", "to upstream", "total",
                                  "per JPEG (to upstream)", "upstream body",
                                  f"x{args.target_jpegs} JPEGs"]))
        if clip:
            for name in ("cold", "warm"):
                c = clip[name]
                print(f"   GET /clip ({name}): {c['count']} frames -> {c['bytes'] / 2**20:.1f} "
                      f"MiB MP4 in {common.ms(c['total_s'])} "
                      f"({c['total_s'] / max(1, c['count']) * 1000:.2f} ms per frame)")
        else:
            print("   GET /clip: not in this binary")
        print(f"   ffmpeg -ss 5 -i FILE -t {args.span} -vf fps=1: {base_span:.2f} s; "
              f"-t {args.target_jpegs}: {base_target:.2f} s")
        print(f"   {args.target_jpegs} JPEGs, extrapolated per JPEG: cold {est:.2f} s (mean over "
              f"GOP phases; {base_target / est:.1f}x faster than ffmpeg), keyframe-aligned "
              f"{est_key:.2f} s, warm {est_warm:.2f} s")
        print(f"   target <= {args.target_s:g} s: cold {common.verdict(est <= args.target_s)}, "
              f"keyframe-aligned {common.verdict(est_key <= args.target_s)}, "
              f"warm {common.verdict(est_warm <= args.target_s)}")
        if profile:
            print("   perf (server during one more cold request, share of samples by library):")
            print(profile)
    common.write_json(args, results)


if __name__ == "__main__":
    main()
