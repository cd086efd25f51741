#!/usr/bin/env python3
"""Chat Completions overhead benchmark: the latency sightline adds to a request with ovs://
references, against the same upstream called directly with the same encoded images, and against
LiteLLM's proxy in the same position.

Setup (all on 127.0.0.1):
  fast_stub.py        the upstream: answers every chat completion at once with a fixed body.
  sightline           `serve --backend bench=<stub>/v1`, one test_pattern stream 1280x720@30.
  LiteLLM proxy       (optional) model "bench" -> openai/bench at the same stub.

Requests:
  frames8   8 image_url parts, ovs://...?frame_index=N for 8 fixed frames one second apart.
  segment   one video_url part, ovs://...?start_frame_index=S&end_frame_index=S+300&max_fps=2:
            a 10 s segment at 2 fps, i.e. 20 frames (sent upstream as 20 t=... text parts +
            20 image parts).
  segment_live (sightline only) the same segment as the live edge moves:
            ?start_offset_ms=-10000&max_fps=2; it samples different frames on every request, so
            it pays for decoding and JPEG-encoding them, which the other rows never do.

Fixed frame indices make the JPEGs cache hits after the first request (as they are for any
frame asked for twice), so the steady state measured is sightline's own work: parsing, reference
resolution, base64 + JSON of the upstream body, and the HTTP relay. The direct and LiteLLM
requests are the exact bytes sightline sent upstream (read back from the stub), i.e. the same
already-encoded images; for frames8 the images are also checked byte-for-byte against
GET /v1/streams/{id}/frame.

Measurement: wrk (one thread, keep-alive) through wrk_post.lua. Latency: one client,
sequential requests, several interleaved rounds per path (direct / sightline / LiteLLM in turn, so
background load hits all alike); "added" is p50(path) - p50(direct) paired per round, then the
median over rounds. Throughput: 1, 2, 4, 8, 16 concurrent connections on frames8.

Prints a table and writes everything as JSON to --out.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
API_KEY = "sk-bench-sightline"
LITELLM_KEY = "sk-bench-litellm"
MODEL = "bench"
PROMPT = "Describe what happens in these frames."


# ---- processes -------------------------------------------------------------------------------

class Proc:
    """A child process whose output goes to a log file; waits for a line matching `ready`."""

    def __init__(self, name: str, argv: list[str], ready: str, log_dir: Path, timeout: float,
                 env: dict | None = None):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        pattern = re.compile(ready)
        while True:
            text = self.log_path.read_text(errors="replace")
            m = pattern.search(text)
            if m:
                self.match = m
                return
            if self.p.poll() is not None:
                raise RuntimeError(f"{name} exited with {self.p.returncode}:\n{text[-3000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} not ready after {timeout:.0f} s:\n{text[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.p.poll() is None:
            # The process group: LiteLLM runs workers as children.
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()


def request(port: int, method: str, path: str, body: bytes | None = None, key: str | None = None,
            timeout: float = 60) -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def must_json(port: int, method: str, path: str, body=None, key=None, status=200) -> dict:
    raw = json.dumps(body).encode() if body is not None else None
    code, data = request(port, method, path, raw, key)
    if code != status:
        raise RuntimeError(f"{method} {path} -> {code} (wanted {status}): {data[:500]!r}")
    return json.loads(data)


# ---- requests --------------------------------------------------------------------------------

def client_body(parts: list[dict]) -> dict:
    return {"model": MODEL, "max_tokens": 16,
            "messages": [{"role": "user", "content": [{"type": "text", "text": PROMPT}] + parts}]}


def image_part(url: str) -> dict:
    return {"type": "image_url", "image_url": {"url": url}}


def data_url_images(upstream: dict) -> list[bytes]:
    out = []
    for m in upstream["messages"]:
        content = m.get("content")
        if not isinstance(content, list):
            continue
        for p in content:
            if p.get("type") == "image_url":
                url = p["image_url"]["url"]
                prefix, _, b64 = url.partition(",")
                assert prefix.startswith("data:image/jpeg;base64"), prefix[:40]
                out.append(base64.b64decode(b64))
    return out


# ---- wrk -------------------------------------------------------------------------------------

def run_wrk(port: int, body_file: Path, key: str, connections: int, seconds: int) -> dict:
    env = dict(os.environ, BENCH_BODY=str(body_file), BENCH_AUTH=key)
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
            "-s", str(HERE / "wrk_post.lua"), f"http://127.0.0.1:{port}/v1/chat/completions"]
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    m = re.search(r"^WRKJSON (\{.*\})$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    r = json.loads(m.group(1))
    errors = sum(r[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors",
                                "timeouts"))
    if errors:
        raise RuntimeError(f"wrk saw {errors} errors against port {port}: {r}")
    if r["requests"] == 0:
        raise RuntimeError(f"wrk completed no request against port {port}")
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


# ---- main ------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description="Chat Completions overhead benchmark")
    ap.add_argument("--sightline", required=True, help="path of the sightline binary")
    ap.add_argument("--litellm", default="", help="path of the litellm CLI; empty: skip LiteLLM")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved latency rounds")
    ap.add_argument("--latency-seconds", type=int, default=4, help="per path, per round")
    ap.add_argument("--sweep-seconds", type=int, default=4, help="per path, per concurrency")
    ap.add_argument("--sweep", default="1,2,4,8,16", help="concurrency levels")
    ap.add_argument("--out", default="", help="write the results here as JSON")
    args = ap.parse_args()

    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="sl-bench-chat-"))
    procs: list[Proc] = []
    try:
        return run(args, work, procs)
    finally:
        for p in reversed(procs):
            p.stop()
        print(f"(logs and bodies in {work})", file=sys.stderr)


def start_litellm(litellm: str, stub_port: int, work: Path, procs: list[Proc], log):
    """Starts LiteLLM's proxy in front of the stub; (port, description)."""
    cfg = work / "litellm.yaml"
    cfg.write_text(
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        f"      model: openai/{MODEL}\n"
        f"      api_base: http://127.0.0.1:{stub_port}/v1\n"
        "      api_key: sk-upstream-unused\n"
        "general_settings:\n"
        f"  master_key: {LITELLM_KEY}\n")
    # No network: the bundled model cost map instead of a download, no telemetry.
    env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False")
    # As many workers as sightline has I/O threads (one per core), for a fair throughput run.
    workers = str(os.cpu_count() or 1)
    log(f"starting LiteLLM proxy ({workers} workers)...")
    lp = Proc("litellm", [litellm, "--config", str(cfg), "--host", "127.0.0.1",
                          "--port", "0", "--num_workers", workers],
              r"Uvicorn running on http://127\.0\.0\.1:(\d+)", work, 180, env=env)
    procs.append(lp)
    port = int(lp.match.group(1))
    # With several workers uvicorn announces the port before the workers are up.
    deadline = time.monotonic() + 180
    while lp.log_path.read_text(errors="replace").count("Application startup complete") < \
            int(workers):
        if time.monotonic() > deadline or lp.p.poll() is not None:
            raise RuntimeError("LiteLLM workers did not start; see " + str(lp.log_path))
        time.sleep(0.25)
    must_json(port, "POST", "/v1/chat/completions", key=LITELLM_KEY, body=client_body([]))
    return port, f"LiteLLM proxy, {workers} uvicorn worker(s), master key, default logging"


def run(args, work: Path, procs: list[Proc]) -> int:
    t_start = time.monotonic()
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731

    stub = Proc("stub", [sys.executable, str(HERE / "fast_stub.py"), "--port", "0"],
                r"listening on http://127\.0\.0\.1:(\d+)/v1", work, 20)
    procs.append(stub)
    stub_port = int(stub.match.group(1))

    sl = Proc("sightline", [args.sightline, "serve", "--listen", "127.0.0.1:0", "--api-key", API_KEY,
                            "--backend", f"{MODEL}=http://127.0.0.1:{stub_port}/v1"],
              r"sightline listening on http://127\.0\.0\.1:(\d+)", work, 30)
    procs.append(sl)
    sl_port = int(sl.match.group(1))

    litellm_port = None
    litellm_note = "skipped (no --litellm)"
    if args.litellm:
        try:
            litellm_port, litellm_note = start_litellm(args.litellm, stub_port, work, procs, log)
        except (RuntimeError, OSError) as e:
            # Reported, not fatal: the sightline vs direct figures stand on their own.
            litellm_note = f"failed to start: {str(e).splitlines()[0]}"
            log(f"LiteLLM {litellm_note}; continuing without it")

    # A 720p30 test pattern; wait until it holds 11 s of frames.
    stream = must_json(sl_port, "POST", "/v1/streams", key=API_KEY, status=201, body={
        "source": {"type": "test_pattern", "width": 1280, "height": 720, "fps": 30},
        "lease": False})
    sid = stream["id"]
    log(f"stream {sid}: waiting for 11 s of frames...")
    while True:
        s = must_json(sl_port, "GET", f"/v1/streams/{sid}", key=API_KEY)
        newest = s.get("last_frame_index")
        if newest is not None and newest >= 330:
            break
        time.sleep(0.25)

    frames8 = [newest - 30 * k for k in range(7, -1, -1)]
    seg_start = newest - 300
    reqs = {
        "frames8": client_body([image_part(f"ovs://streams/{sid}?frame_index={i}") for i in frames8]),
        "segment": client_body([{"type": "video_url", "video_url": {
            "url": f"ovs://streams/{sid}?start_frame_index={seg_start}"
                   f"&end_frame_index={seg_start + 300}&max_fps=2"}}]),
        "segment_live": client_body([{"type": "video_url", "video_url": {
            "url": f"ovs://streams/{sid}?start_offset_ms=-10000&max_fps=2"}}]),
    }
    bodies: dict[str, dict[str, Path]] = {}
    info: dict[str, dict] = {}
    for name, body in reqs.items():
        raw = json.dumps(body).encode()
        (work / f"{name}.sightline.json").write_bytes(raw)
        code, data = request(sl_port, "POST", "/v1/chat/completions", raw, API_KEY)
        if code != 200:
            raise RuntimeError(f"{name} via sightline -> {code}: {data[:500]!r}")
        media = json.loads(data)["ovs_media"]
        code, upstream_raw = request(stub_port, "GET", "/_last_body")
        upstream = json.loads(upstream_raw)
        images = data_url_images(upstream)
        count = sum(m["frame_indices"]["count"] for m in media)
        if count != len(images):
            raise RuntimeError(f"{name}: ovs_media counts {count} frames, upstream got {len(images)}")
        (work / f"{name}.upstream.json").write_bytes(upstream_raw)
        bodies[name] = {"sightline": work / f"{name}.sightline.json",
                        "direct": work / f"{name}.upstream.json",
                        "litellm": work / f"{name}.upstream.json"}
        info[name] = {"client_body_bytes": len(raw), "upstream_body_bytes": len(upstream_raw),
                      "images": len(images), "jpeg_bytes_total": sum(map(len, images))}
        log(f"{name}: {len(images)} images, {sum(map(len, images)) / 1024:.0f} KiB of JPEG, "
            f"upstream body {len(upstream_raw) / 1024:.0f} KiB")
        if name == "frames8":
            for idx, jpeg in zip(frames8, images):
                code, direct = request(sl_port, "GET", f"/v1/streams/{sid}/frame?frame_index={idx}",
                                       key=API_KEY)
                if code != 200 or direct != jpeg:
                    raise RuntimeError(f"frame {idx}: upstream JPEG differs from the frame endpoint's")

    targets = {"direct": (stub_port, "sk-upstream-unused"), "sightline": (sl_port, API_KEY)}
    if litellm_port:
        targets["litellm"] = (litellm_port, LITELLM_KEY)

    log("warming up...")
    for name in ("frames8", "segment"):
        for t, (port, key) in targets.items():
            run_wrk(port, bodies[name][t], key, 1, 2)

    # Latency: interleaved rounds, one client.
    lat: dict[str, dict[str, list[dict]]] = {}
    plan = [("frames8", t) for t in targets] + [("segment", t) for t in targets] + \
        [("segment_live", "sightline")]
    for r in range(args.rounds):
        log(f"latency round {r + 1}/{args.rounds}...")
        for name, t in plan:
            port, key = targets[t]
            res = run_wrk(port, bodies[name][t], key, 1, args.latency_seconds)
            lat.setdefault(name, {}).setdefault(t, []).append(res)

    # Throughput: concurrency sweep on frames8.
    levels = [int(x) for x in args.sweep.split(",")]
    sweep: dict[str, dict[int, dict]] = {}
    for c in levels:
        log(f"concurrency {c}...")
        for t, (port, key) in targets.items():
            sweep.setdefault(t, {})[c] = run_wrk(port, bodies["frames8"][t], key, c,
                                                 args.sweep_seconds)

    results = summarise(lat, sweep, levels, info, litellm_note)
    results["elapsed_s"] = round(time.monotonic() - t_start, 1)
    results["loadavg_end"] = os.getloadavg()
    results["cpus"] = os.cpu_count()
    print_report(results)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
        log(f"results written to {args.out}")
    return 0


def med(values: list[float]) -> float:
    return statistics.median(values)


def summarise(lat, sweep, levels, info, litellm_note) -> dict:
    out = {"requests": info, "litellm": litellm_note, "latency": {}, "sweep": {}}
    for name, per_target in lat.items():
        direct = per_target.get("direct") or lat["segment"]["direct"]
        rows = {}
        for t, runs in per_target.items():
            row = {k: med([r[k] for r in runs]) / 1000.0 for k in ("p50_us", "p90_us", "p99_us")}
            row = {k.replace("_us", "_ms"): round(v, 3) for k, v in row.items()}
            row["samples"] = sum(r["requests"] for r in runs)
            row["rounds_p50_ms"] = [round(r["p50_us"] / 1000.0, 3) for r in runs]
            if t != "direct":
                added = [(r["p50_us"] - d["p50_us"]) / 1000.0 for r, d in zip(runs, direct)]
                row["added_p50_ms"] = round(med(added), 3)
                row["added_p50_ms_rounds"] = [round(a, 3) for a in added]
            rows[t] = row
        out["latency"][name] = rows
    for t, per_c in sweep.items():
        out["sweep"][t] = {str(c): {"rps": round(r["rps"], 1), "p50_ms": r["p50_us"] / 1000.0,
                                    "p99_ms": r["p99_us"] / 1000.0} for c, r in per_c.items()}
        base = per_c[levels[0]]["p99_us"]
        doubled = next((c for c in levels if per_c[c]["p99_us"] >= 2 * base), None)
        before = [c for c in levels if doubled is None or c < doubled]
        out["sweep"][t]["p99_doubles_at"] = doubled
        out["sweep"][t]["rps_before_p99_doubles"] = round(per_c[before[-1]]["rps"], 1) if before else None
        out["sweep"][t]["max_concurrency_before_p99_doubles"] = before[-1] if before else None

    f8 = out["latency"]["frames8"]
    verdict = {"target_added_p50_ms": 3.0, "sightline_added_p50_ms": f8["sightline"]["added_p50_ms"]}
    verdict["meets_3ms"] = verdict["sightline_added_p50_ms"] <= 3.0
    if "litellm" in f8:
        sl_added = max(f8["sightline"]["added_p50_ms"], 0.001)
        verdict["litellm_added_p50_ms"] = f8["litellm"]["added_p50_ms"]
        verdict["litellm_over_sightline"] = round(f8["litellm"]["added_p50_ms"] / sl_added, 1)
        verdict["meets_10x"] = verdict["litellm_over_sightline"] >= 10
        seg = out["latency"]["segment"]
        verdict["segment_litellm_over_sightline"] = round(
            seg["litellm"]["added_p50_ms"] / max(seg["sightline"]["added_p50_ms"], 0.001), 1)
    out["verdict"] = verdict
    return out


def print_report(res: dict) -> None:
    print()
    print(f"Chat Completions overhead ({res['cpus']} CPUs, load average at end "
          f"{res['loadavg_end'][0]:.2f}; LiteLLM: {res['litellm']})")
    for name, rows in res["latency"].items():
        i = res["requests"][name]
        print(f"\n{name}: {i['images']} images, {i['jpeg_bytes_total'] / 1024:.0f} KiB JPEG, upstream "
              f"body {i['upstream_body_bytes'] / 1024:.0f} KiB, client body to sightline "
              f"{i['client_body_bytes']} B")
        print(f"  {'path':<10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'added p50':>10} "
              f"{'vs sightline':>13} {'samples':>8}")
        sl_added = rows.get("sightline", {}).get("added_p50_ms")
        for t, r in rows.items():
            added = f"{r['added_p50_ms']:+.3f}" if "added_p50_ms" in r else "-"
            ratio = ""
            if t == "litellm" and sl_added is not None:
                ratio = f"{r['added_p50_ms'] / max(sl_added, 0.001):.1f}x"
            print(f"  {t:<10} {r['p50_ms']:>8.3f} {r['p90_ms']:>8.3f} {r['p99_ms']:>8.3f} "
                  f"{added:>10} {ratio:>13} {r['samples']:>8}")
    print("\nthroughput, frames8 (req/s, p50/p99 ms) by concurrent connections:")
    levels = [k for k in next(iter(res["sweep"].values())) if k.isdigit()]
    print(f"  {'path':<10} " + " ".join(f"{'c=' + c:>22}" for c in levels))
    for t, per_c in res["sweep"].items():
        cells = [f"{per_c[c]['rps']:>7.1f} {per_c[c]['p50_ms']:>6.2f}/{per_c[c]['p99_ms']:<6.2f}"
                 for c in levels]
        print(f"  {t:<10} " + " ".join(f"{x:>22}" for x in cells))
    for t, per_c in res["sweep"].items():
        print(f"  {t}: p99 doubles (vs c=1) at c={per_c['p99_doubles_at']}; "
              f"{per_c['rps_before_p99_doubles']} req/s at c={per_c['max_concurrency_before_p99_doubles']}"
              f" (the highest level before that); {per_c['16']['rps'] if '16' in per_c else '-'} "
              f"req/s at c=16")
    v = res["verdict"]
    print(f"\nverdict: sightline adds {v['sightline_added_p50_ms']:.3f} ms at p50 to frames8 "
          f"(target <= 3 ms): {'MET' if v['meets_3ms'] else 'MISSED'}")
    if "litellm_added_p50_ms" in v:
        print(f"         LiteLLM adds {v['litellm_added_p50_ms']:.3f} ms: "
              f"{v['litellm_over_sightline']}x sightline's overhead (target >= 10x): "
              f"{'MET' if v['meets_10x'] else 'MISSED'}; segment: "
              f"{v['segment_litellm_over_sightline']}x")
    print(f"({res['elapsed_s']} s)")


if __name__ == "__main__":
    sys.exit(main())
