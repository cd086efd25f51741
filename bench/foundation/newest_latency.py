#!/usr/bin/env python3
"""Newest-frame latency: `GET /v1/streams/{id}/frame?frame_index=-1` p50/p99 with N (8) concurrent
720p30 H.264 streams ingesting, against what a user scripts by hand on the same kind of source,
`ffmpeg -i URL -frames:v 1 out.jpg`. Targets: p50 <= 5 ms on this machine, >= 50x faster than
the baseline.

Sources: one ffmpeg listener per stream replaying the cached 720p30 2 Mbit/s file (`-re
-stream_loop -1 -c copy`, almost free), so the CPU goes to sightline's decoders. Clients: one
curl process per stream on one keep-alive connection (a C client: the times carry no interpreter
overhead), timing each transfer (`time_total`, request sent to last byte received).

Phases, all with the N streams ingesting:
  paced   each client asks --rate times a second for --duration s (a realistic poller; at 30 fps
          most requests find a frame nobody asked for yet, so they include its JPEG encode);
  burst   each client asks back to back (--burst-requests each): latency under saturation and
          throughput;
  mixed   paced again, while --older-clients more clients ask back to back for random older
          retained frames (each a GOP re-decode): does the live edge wait behind decoders?
  ffmpeg  --baseline-runs runs of the by-hand baseline against an extra listener of the same
          kind and file (same machine load: the N streams keep ingesting).
"""

from __future__ import annotations

import random
import resource
import time

import common


def summarize(rows: list[dict]) -> dict:
    ok = [r for r in rows if r["status"] == 200]
    t = [r["total_s"] for r in ok]
    return {"requests": len(rows), "ok": len(ok), "p50_s": common.pct(t, 50),
            "p90_s": common.pct(t, 90), "p99_s": common.pct(t, 99), "max_s": max(t, default=0),
            "mean_bytes": sum(r["bytes"] for r in ok) / max(1, len(ok))}


def run_clients(srv, ids, wd, per_client: int, rate: str | None, tag: str):
    """Runs one curl client per stream; returns (rows per client, wall s, server cores, client
    cores), the cores being CPU time over wall time (the clients share the machine)."""
    key = srv.keys[0]
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0 = common.cpu_seconds(srv.proc.pid)
    t0 = time.perf_counter()
    clients = [common.CurlClient([f"{srv.base}/v1/streams/{sid}/frame?frame_index=-1"] *
                                 per_client, key, wd, rate=rate, tag=f"{tag}{i}")
               for i, sid in enumerate(ids)]
    rows = [c.results() for c in clients]
    wall = time.perf_counter() - t0
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)   # the reaped curl processes
    client_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime +
                                                              children0.ru_stime)
    return rows, wall, (common.cpu_seconds(srv.proc.pid) - cpu0) / wall, client_cpu / wall


def start_older_clients(srv, api, ids, wd) -> list:
    """Back-to-back clients asking for random retained frames (GOP re-decodes)."""
    rng = random.Random(7)
    clients = []
    for i, sid in enumerate(ids):
        st = api.stream(sid)
        lo, hi = st["first_available_frame_index"], st["last_frame_index"] - 30
        urls = [f"{srv.base}/v1/streams/{sid}/frame?frame_index={rng.randint(lo, hi)}"
                for _ in range(5000)]
        clients.append(common.CurlClient(urls, srv.keys[0], wd, tag=f"older{i}"))
    return clients


def first_request_share(per_client: list[list[dict]]) -> float:
    """Share of answers that were the first for their frame (paid an encode), approximately:
    first appearance of an index in that stream's client."""
    firsts = total = 0
    for rows in per_client:
        seen = set()
        for r in rows:
            if r["status"] != 200 or r["index"] is None:
                continue
            total += 1
            if r["index"] not in seen:
                firsts += 1
                seen.add(r["index"])
    return firsts / max(1, total)


def main() -> None:
    ap = common.arg_parser(__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=8)
    ap.add_argument("--kind", default="ts_http", choices=("rtmp", "srt", "ts_http"))
    ap.add_argument("--rate", type=int, default=10, help="paced requests per second per stream")
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--burst-requests", type=int, default=1500)
    ap.add_argument("--baseline-runs", type=int, default=5)
    ap.add_argument("--older-clients", type=int, default=2,
                    help="clients asking for older frames during the mixed phase")
    ap.add_argument("--target-p50-ms", type=float, default=5)
    ap.add_argument("--target-ratio", type=float, default=50)
    args = ap.parse_args()
    results = {}
    with common.run_context(args, "newest_latency") as wd:
        media = common.media_file()
        print(f"   {args.streams} streams of {media.name} "
              f"({common.media_bitrate_kbps(media):.0f} kbit/s) over {args.kind}")
        srcs = [common.file_listener(args.kind, wd, media) for _ in range(args.streams)]
        extra = common.file_listener(args.kind, wd, media)
        srv = common.start_server(args, wd)
        try:
            api = srv.api(0)
            ids = [api.create_url(s.url, lease=False)["id"] for s in srcs]
            for sid in ids:
                api.wait_frames(sid, 30, timeout=60)
            time.sleep(3)
            fps = [api.stream(sid)["recent_fps"] for sid in ids]
            print(f"   all streams active; recent_fps {min(fps):.1f}..{max(fps):.1f}")

            cpu0 = common.cpu_seconds(srv.proc.pid)
            t_idle0 = time.perf_counter()
            time.sleep(5)
            ingest_cores = (common.cpu_seconds(srv.proc.pid) - cpu0) / (time.perf_counter() -
                                                                        t_idle0)
            print(f"   server CPU while only ingesting: {ingest_cores:.2f} cores")

            phases = (("paced", int(args.rate * args.duration), f"{args.rate}/s"),
                      ("burst", args.burst_requests, None),
                      ("mixed", int(args.rate * args.duration), f"{args.rate}/s"))
            for name, per, rate in phases:
                older = start_older_clients(srv, api, ids[:args.older_clients], wd) \
                    if name == "mixed" else []
                rows, wall, server_cores, client_cores = run_clients(srv, ids, wd, per, rate,
                                                                     name)
                if older:
                    for c in older:
                        c.stop()
                    o = summarize([row for c in older for row in c.results()])
                    o["rps"] = o["ok"] / wall
                    results["mixed_older"] = o
                    print(f"   mixed: {len(older)} clients asked for older frames back to back: "
                          f"{o['rps']:.0f} req/s, p50 {common.ms(o['p50_s'])}, "
                          f"p99 {common.ms(o['p99_s'])}")
                r = summarize([row for client in rows for row in client])
                r.update(rps=r["ok"] / wall, first_share=first_request_share(rows),
                         server_cores=server_cores, client_cores=client_cores,
                         load=common.load_text())
                results[name] = r
                print(f"   {name}: {r['ok']}/{r['requests']} ok in {wall:.1f} s = "
                      f"{r['rps']:.0f} req/s; server {server_cores:.2f} cores, curl "
                      f"{client_cores:.2f} cores; {r['first_share'] * 100:.0f}% were the first "
                      f"request for their frame (JPEG encoded on the request); "
                      f"{common.load_text()}", flush=True)
            paced, burst, mixed = results["paced"], results["burst"], results["mixed"]

            ff = []
            for _ in range(args.baseline_runs):
                common.wait_listener_ready(extra)
                secs, rc = common.ffmpeg_first_jpeg(extra.url, wd / "baseline.jpg")
                if rc == 0:
                    ff.append(secs)
            results["ffmpeg_s"] = ff
            print(f"   ffmpeg by hand: {[round(v * 1000) for v in ff]} ms", flush=True)
        finally:
            srv.stop()
            extra.stop()
            for s in srcs:
                s.stop()
        base = common.median(ff)
        rows = []
        for name, r in (("paced", paced), ("burst", burst), ("mixed", mixed)):
            rows.append([name, r["ok"], common.ms(r["p50_s"]), common.ms(r["p90_s"]),
                         common.ms(r["p99_s"]), common.ms(r["max_s"]),
                         f"{r['mean_bytes'] / 1024:.0f} KiB",
                         f"{base / r['p50_s']:.0f}x"])
        print()
        print(common.table(rows, ["phase", "requests", "p50", "p90", "p99", "max", "jpeg",
                                  "ffmpeg p50 / p50"]))
        print(f"   ffmpeg -i URL -frames:v 1 out.jpg: p50 {common.ms(base)}")
        print(f"   target p50 <= {args.target_p50_ms:g} ms (paced): "
              f"{common.verdict(paced['p50_s'] * 1000 <= args.target_p50_ms)}; "
              f">= {args.target_ratio:g}x faster than ffmpeg: "
              f"{common.verdict(base / paced['p50_s'] >= args.target_ratio)}")
    common.write_json(args, results)


if __name__ == "__main__":
    main()
