#!/usr/bin/env python3
"""Memory per stream: resident bytes per 720p30 H.264 stream at 2 Mbit/s with the default 600 s
retention, and whether memory grows with request rate. Target (issue 7): <= the encoded bytes
retained (bitrate x 600 s) + 64 MiB per stream, the per-second grid JPEGs included, with the
JPEG cache full too (sustained requests); no growth with request rate.

A run cannot wait 600 s per stream, so it measures for --fill seconds and extrapolates:
  - the store's own accounting (`sightline_stream_buffer_bytes`: packets + decoded pictures +
    cached JPEGs) and the server's RSS (/proc/PID/status VmRSS) are sampled every --every s;
  - their growth rate per stream (least squares over the samples after the first 10 s) is
    projected to 600 s: value at the end of the fill + rate x (600 s - elapsed);
  - the baseline is the idle server's RSS before any stream (per-stream figures are above it).
Then two request storms, --storm s each, one curl client per stream asking back to back:
  newest  `frame_index=-1` (every new frame gets a JPEG, kept in the store's rendition cache);
  older   random retained frames (GOP re-decodes and their JPEGs cached);
and RSS and the accounted bytes are compared with what packets alone would have added in the
same time. "Unaccounted" = RSS - idle RSS - accounted bytes: memory the store does not know about
(allocator slack, decoder pools, HTTP buffers); it should not grow with the request rate.
"""

from __future__ import annotations

import random
import time

import common

RETENTION_S = 600


def slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    den = sum((p[0] - mx) ** 2 for p in points)
    return sum((p[0] - mx) * (p[1] - my) for p in points) / den if den else 0.0


class Sampler:
    def __init__(self, srv):
        self.srv = srv
        self.t0 = time.monotonic()
        self.samples: list[dict] = []

    def take(self, phase: str) -> dict:
        m = common.metrics(self.srv)
        s = {"t": time.monotonic() - self.t0, "phase": phase,
             "rss": common.rss_bytes(self.srv.proc.pid),
             "peak": common.rss_bytes(self.srv.proc.pid, "VmHWM"),
             "accounted": common.metric_sum(m, "sightline_stream_buffer_bytes"),
             "frames": common.metric_sum(m, "sightline_stream_retained_frames")}
        self.samples.append(s)
        return s

    def run_for(self, seconds: float, every: float, phase: str) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(min(every, max(0.0, end - time.monotonic())))
            self.take(phase)


def storm(srv, ids, wd, urls_for, seconds: float, sampler: Sampler, phase: str) -> dict:
    clients = [common.CurlClient(urls_for(sid), srv.keys[0], wd, tag=f"{phase}{i}")
               for i, sid in enumerate(ids)]
    before = sampler.take(phase + "-start")
    try:
        sampler.run_for(seconds, 2, phase)
    finally:
        for c in clients:
            c.stop()
    after = sampler.take(phase + "-end")
    rows = [r for c in clients for r in c.results()]
    ok = [r for r in rows if r["status"] == 200]
    return {"before": before, "after": after, "requests": len(rows), "ok": len(ok),
            "rps": len(ok) / seconds, "p50_s": common.pct([r["total_s"] for r in ok], 50)}


def main() -> None:
    ap = common.arg_parser(__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--kind", default="ts_http", choices=("rtmp", "srt", "ts_http"))
    ap.add_argument("--fill", type=float, default=90, help="seconds of ingest before storms")
    ap.add_argument("--storm", type=float, default=20)
    ap.add_argument("--every", type=float, default=5)
    ap.add_argument("--overhead-mib", type=float, default=64,
                    help="target: encoded bytes retained + this much per stream")
    ap.add_argument("--rendition-cap-mib", type=float, default=16,
                    help="the server's streams.rendition_bytes (default config: 16 MiB)")
    args = ap.parse_args()
    results = {"streams": args.streams}
    with common.run_context(args, "memory") as wd:
        media = common.media_file()
        kbps = common.media_bitrate_kbps(media)
        print(f"   {args.streams} streams of {media.name} ({kbps:.0f} kbit/s) over {args.kind}, "
              f"default retention, fill {args.fill:g} s, storms {args.storm:g} s")
        srcs = [common.file_listener(args.kind, wd, media) for _ in range(args.streams)]
        srv = common.start_server(args, wd)
        try:
            time.sleep(1)
            rss0 = common.rss_bytes(srv.proc.pid)
            api = srv.api(0)
            ids = [api.create_url(s.url, lease=False)["id"] for s in srcs]
            sampler = Sampler(srv)
            sampler.take("fill")
            sampler.run_for(args.fill, args.every, "fill")
            fill = [s for s in sampler.samples if s["phase"] == "fill" and s["t"] >= 10]
            n = args.streams
            acc_rate = slope([(s["t"], s["accounted"] / n) for s in fill])
            rss_rate = slope([(s["t"], s["rss"] / n) for s in fill])
            end = sampler.samples[-1]
            left = RETENTION_S - end["t"]
            acc_600 = end["accounted"] / n + acc_rate * left
            rss_600 = (end["rss"] - rss0) / n + rss_rate * left
            unacc_fill = end["rss"] - rss0 - end["accounted"]
            results.update(rss0=rss0, fill_end=end, accounted_rate=acc_rate, rss_rate=rss_rate,
                           accounted_600=acc_600, rss_600=rss_600)
            print(f"   idle RSS {common.mib(rss0)}; after {end['t']:.0f} s: RSS "
                  f"{common.mib(end['rss'])}, accounted {common.mib(end['accounted'])} "
                  f"({end['frames'] / n:.0f} frames/stream)")
            print(f"   growth per stream: accounted {acc_rate / 1024:.0f} KiB/s, RSS "
                  f"{rss_rate / 1024:.0f} KiB/s (stream bitrate {kbps / 8:.0f} KiB/s)", flush=True)

            newest = storm(srv, ids, wd,
                           lambda sid: [f"{srv.base}/v1/streams/{sid}/frame?frame_index=-1"] *
                           20000, args.storm, sampler, "newest")
            print(f"   newest storm: {newest['rps']:.0f} req/s, p50 "
                  f"{common.ms(newest['p50_s'])}", flush=True)

            rng = random.Random(1)

            def older_urls(sid):
                st = api.stream(sid)
                lo, hi = st["first_available_frame_index"], st["last_frame_index"] - 60
                return [f"{srv.base}/v1/streams/{sid}/frame?frame_index={rng.randint(lo, hi)}"
                        for _ in range(5000)]

            older = storm(srv, ids, wd, older_urls, args.storm, sampler, "older")
            print(f"   older-frame storm: {older['rps']:.0f} req/s, p50 "
                  f"{common.ms(older['p50_s'])}", flush=True)
            sampler.run_for(10, args.every, "after")
            last = sampler.samples[-1]
            results.update(newest=newest, older=older, last=last, samples=sampler.samples)
        finally:
            srv.stop()
            for s in srcs:
                s.stop()

        def delta_rows(name, st):
            b, a = st["before"], st["after"]
            dt = a["t"] - b["t"]
            packets = acc_rate * n * dt
            d_rss, d_acc = a["rss"] - b["rss"], a["accounted"] - b["accounted"]
            unacc = (a["rss"] - a["accounted"]) - (b["rss"] - b["accounted"])
            return [name, f"{dt:.0f} s", f"{st['rps']:.0f}", common.mib(d_rss),
                    common.mib(d_acc), common.mib(packets), common.mib(d_acc - packets),
                    common.mib(unacc)]

        print()
        print(common.table([delta_rows("newest", newest), delta_rows("older", older)],
                           ["storm", "span", "req/s", "RSS +", "accounted +",
                            "packets alone +", "JPEG cache +", "unaccounted +"]))
        unacc_last = last["rss"] - rss0 - last["accounted"]
        print(f"   unaccounted (RSS - idle - accounted): {common.mib(unacc_fill)} after fill, "
              f"{common.mib(unacc_last)} at the end; peak RSS {common.mib(last['peak'])} "
              f"(RSS now {common.mib(last['rss'])})")
        cache = args.rendition_cap_mib * 2**20
        with_cache = rss_600 + cache
        print(f"   per stream at {RETENTION_S} s, extrapolated: accounted {common.mib(acc_600)}, "
              f"RSS {common.mib(rss_600)} with no requests; {common.mib(with_cache)} once the "
              f"JPEG cache is full ({args.rendition_cap_mib:g} MiB, streams.rendition_bytes)")
        encoded = kbps * 1000 / 8 * RETENTION_S
        target = encoded + args.overhead_mib * 2**20
        print(f"   target <= encoded bytes retained ({common.mib(encoded)}) + {args.overhead_mib:g} MiB "
              f"= {common.mib(target)} per stream: "
              f"{common.verdict(rss_600 <= target)} with no requests "
              f"({rss_600 / target * 100:.0f}% of it), "
              f"{common.verdict(with_cache <= target)} with the JPEG cache full "
              f"({with_cache / target * 100:.0f}%)")
        results.update(with_cache_600=with_cache, target=target, encoded_600=encoded,
                       unaccounted_fill=unacc_fill,
                       unaccounted_end=unacc_last)
    common.write_json(args, results)


if __name__ == "__main__":
    main()
