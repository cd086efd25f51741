#!/usr/bin/env python3
"""Long segments: resolving a segment of a 720p30 stream sampled at 1 fps into JPEGs, against
decoding the same span with `ffmpeg -ss S -i FILE -t SPAN -vf fps=1 %04d.jpg`. Target: a 5-minute
segment (300 JPEGs) in <= 1 s.

sightline only has what it ingested, and a live source fills retention in real time, so by default
the run ingests --span 60 s (60 JPEGs) and extrapolates per JPEG to 300; `--span 300` measures
the real thing (about 5.5 minutes of ingest). There is no /clip endpoint yet, so a segment is
resolved through `POST /v1/chat/completions` with a `video_url` `ovs://` reference, routed
(`--backend`) to the e2e stub upstream; the stub stamps the moment sightline's upstream request
headers arrive, i.e. once every frame is rendered, encoded and base64'd into the body. Reported:
  to upstream  POST -> upstream request arrives (resolve + decode + JPEG + request build);
  total        POST -> response read (adds the upload of the body to the stub and its JSON parse);
each minus the same request with one (cached) image reference, over the JPEG count.
Requests: cold by frame index (nothing cached), the same again (JPEGs now cached: warm), and cold
by `start_offset_ms=-SPAN000` (a different set of frames). Where the binary has it, the same kind
of segment is also fetched as an MP4 from `GET /v1/streams/{id}/clip` (cold, then warm), which
adds a JPEG decode and an H.264 encode per frame. The ffmpeg baseline reads the cached
file looped to 300 s (same encoding as the stream) for --span and for 300 s.
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
    ap.add_argument("--target-s", type=float, default=1.0)
    ap.add_argument("--target-jpegs", type=int, default=300)
    ap.add_argument("--perf", action="store_true", help="profile the server during the cold "
                    "request (perf record) and print the top libraries")
    args = ap.parse_args()
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
            need = (args.span + 3) * common.MEDIA_FPS
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
            # three requests and cached for the others (the median).
            img = [chat(api, stub, image_part(sid, newest - 10)) for _ in range(3)]
            end = newest - 2 * common.MEDIA_FPS
            start = end - args.span * common.MEDIA_FPS
            by_index = f"start_frame_index={start}&end_frame_index={end}&max_fps=1"
            cold = chat(api, stub, video_part(sid, by_index))
            warm = chat(api, stub, video_part(sid, by_index))
            cold2 = chat(api, stub, video_part(sid, f"start_offset_ms=-{args.span * 1000}"
                                                    f"&max_fps=1"))
            clip = clip_requests(api, sid, start - 7, end - 7)
            profile = ""
            if args.perf:   # one more cold request (other frames), profiled, not timed
                shifted = (f"start_frame_index={start - 15}&end_frame_index={end - 15}"
                           f"&max_fps=1")
                with common.PerfRecord(srv.proc.pid, wd / "perf-segment.data") as perf:
                    chat(api, stub, video_part(sid, shifted))
                profile = perf.report()
        finally:
            srv.stop()
            src.stop()
            stub.stop()
        base_span = ffmpeg_span(long_media, args.span, wd / "ff-span")
        base_target = ffmpeg_span(long_media, args.target_jpegs, wd / "ff-target") \
            if args.target_jpegs != args.span else base_span

        img_up = common.median([r["upstream_s"] for r in img])
        img_total = common.median([r["total_s"] for r in img])
        rows = []
        for name, r in (("cold (frame index)", cold), ("warm (same frames)", warm),
                        ("cold (start_offset_ms)", cold2)):
            per_up = (r["upstream_s"] - img_up) / max(1, r["count"])
            per_total = (r["total_s"] - img_total) / max(1, r["count"])
            r.update(per_jpeg_upstream_s=per_up, per_jpeg_total_s=per_total)
            rows.append([name, r["count"], common.ms(r["upstream_s"]), common.ms(r["total_s"]),
                         f"{per_up * 1000:.2f} ms", f"{r['body_bytes'] / 2**20:.1f} MiB",
                         f"{per_up * args.target_jpegs:.2f} s"])
        if clip:
            for name in ("cold", "warm"):
                c = clip[name]
                print(f"   GET /clip ({name}): {c['count']} frames -> {c['bytes'] / 2**20:.1f} MiB "
                      f"MP4 in {common.ms(c['total_s'])} "
                      f"({c['total_s'] / max(1, c['count']) * 1000:.2f} ms per frame)")
        else:
            print("   GET /clip: not in this binary")
        results.update(image=img, cold=cold, warm=warm, cold_offset=cold2, clip=clip,
                       ffmpeg_span_s=base_span, ffmpeg_target_s=base_target)
        print()
        print(f"   one image reference: to upstream {common.ms(img_up)}, total "
              f"{common.ms(img_total)}")
        print(common.table(rows, ["segment request", "JPEGs", "to upstream", "total",
                                  "per JPEG (to upstream)", "upstream body",
                                  f"x{args.target_jpegs} JPEGs"]))
        print(f"   ffmpeg -ss 5 -i FILE -t {args.span} -vf fps=1: {base_span:.2f} s; "
              f"-t {args.target_jpegs}: {base_target:.2f} s")
        est = cold["per_jpeg_upstream_s"] * args.target_jpegs
        print(f"   {args.target_jpegs}-JPEG segment, cold, extrapolated from {cold['count']}: "
              f"{est:.2f} s = {base_target / est:.1f}x faster than ffmpeg; target <= "
              f"{args.target_s:g} s: {common.verdict(est <= args.target_s)} "
              f"(warm: {warm['per_jpeg_upstream_s'] * args.target_jpegs:.2f} s)")
        if profile:
            print("   perf (server during the cold request, share of samples by library):")
            print(profile)
    common.write_json(args, results)


if __name__ == "__main__":
    main()
