#!/usr/bin/env python3
"""Soak run: the real sightline binary under a long, moderate, hostile mix of traffic, watched for
crashes, unexpected 5xx answers and slow leaks (RSS, file descriptors, threads).

What runs, all on 127.0.0.1:
  - sightline (--bin) with an API key per --streams-per-key streams (and one for the churn), a
    --backend routed to bench/soak/fault_upstream.py;
  - N URL streams (--streams, 16) from ffmpeg publishers replaying a small pre-encoded file
    (RTMP, SRT, MPEG-TS over HTTP: the e2e FfmpegListener) and GstRtspServer cameras (RTSP, the
    e2e tools/rtsp_server.py); every publisher is killed (SIGKILL) once per --outage-every
    seconds, staggered, and restarted some seconds later, so every stream goes through the
    server's reconnect path again and again;
  - --workers client threads issuing about --rate requests per second in all: newest and older
    frames, clips, chat completions (streaming or not) with ovs:// image and video references,
    stream status; --fail-rate of the chat requests ask the upstream stub to fail (HTTP 500/502/
    503, connection reset, no answer until sightline's backend timeout, reset mid-answer), and
    --abort-share of all requests are clients that vanish mid-request;
  - optional stream churn (--churn-every): test-pattern streams created, used and deleted, streams
    to a dead port, and short leases left to expire.

What is watched: the server process (exit = crash; sanitizer or `terminate called` lines in its
log), every answer's status (5xx split into expected ones -- 502/503/504 on a chat request whose
upstream failure this run injected -- and unexpected ones: any 500, any other 5xx), the server's
own per-route status counters (/metrics, which also see the requests of clients that vanished),
RSS, /proc/PID/fd count and thread count every --sample-every seconds with least-squares slopes
after --warmup, stream recovery after each outage, and the server log's warnings and errors.

Progress every --report-every seconds, a summary at the end, --json FILE for the raw figures.
Exit status: 0 clean; 1 the server crashed, logged a sanitizer report, exited non-zero on
SIGTERM, answered an unexpected 5xx, or left a stream without new frames 30 s after its source
came back; 2 the run could not start.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
E2E = REPO / "tests" / "e2e"
sys.path.insert(0, str(E2E))

import conftest  # noqa: E402  (the e2e harness: Server, new_key, SANITIZER_MARKERS)
import sources   # noqa: E402  (FfmpegListener, Proc, free_port, barcode_filter)

CACHE = REPO / "bench" / ".cache"
MODEL = "soak-model"
CRASH_MARKERS = tuple(conftest.SANITIZER_MARKERS) + (
    "terminate called", "Assertion `", "AddressSanitizer", "Segmentation fault", "core dumped")
LOG_LINE_RE = re.compile(r"^\S+Z\s+(DEBUG|INFO|WARN|ERROR)\s+\[([^\]]*)\]\s?(.*)$")
EXPECTED_FAULT_STATUS = {"http500": 502, "http502": 502, "http503": 502, "reset": 503,
                         "timeout": 504, "midstream": 502}


# ---------------------------------------------------------------------------------------------
# Command line

def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("SIGHTLINE_BIN",
                                                    str(REPO / "build" / "sightline")),
                    help="sightline binary ($SIGHTLINE_BIN or build/sightline)")
    ap.add_argument("--duration", type=float, default=1800, help="seconds of traffic")
    ap.add_argument("--streams", type=int, default=16, help="URL streams")
    ap.add_argument("--streams-per-key", type=int, default=8,
                    help="soak streams per API key (per-key limits: streams, retained bytes, "
                    "chat requests in flight); chat references stay within one key's streams")
    ap.add_argument("--kinds", default="rtmp,srt,ts_http,rtsp",
                    help="source kinds, assigned to the streams in turn")
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=240)
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--retention", type=int, default=120,
                    help="retention_seconds of the soak streams (the store is full after it)")
    ap.add_argument("--outage-every", type=float, default=30,
                    help="each publisher is killed once per this many seconds (0: never)")
    ap.add_argument("--outage-min", type=float, default=2, help="shortest outage (s)")
    ap.add_argument("--outage-max", type=float, default=8, help="longest outage (s)")
    ap.add_argument("--rate", type=float, default=10, help="client requests per second, all "
                    "workers together (aborts included; stream monitor and sampler not)")
    ap.add_argument("--workers", type=int, default=6, help="client threads")
    ap.add_argument("--fail-rate", type=float, default=0.10,
                    help="share of chat requests whose upstream call is made to fail")
    ap.add_argument("--abort-share", type=float, default=0.10,
                    help="share of requests whose client vanishes mid-request")
    ap.add_argument("--churn-every", type=float, default=20,
                    help="one stream create/use/delete cycle per this many seconds (0: off)")
    ap.add_argument("--upstream-timeout-ms", type=int, default=2000,
                    help="the backend's first_byte_timeout_ms / idle_timeout_ms (a 'timeout' "
                    "fault waits this out)")
    ap.add_argument("--request-timeout", type=float, default=30,
                    help="client socket timeout per request (s)")
    ap.add_argument("--sample-every", type=float, default=5, help="RSS/fd/thread sampling (s)")
    ap.add_argument("--report-every", type=float, default=60, help="progress line period (s)")
    ap.add_argument("--warmup", type=float, default=None,
                    help="samples before this (s) are left out of the slopes "
                    "(default: min(retention + 60, duration / 3))")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--workdir", default=None, help="keep logs here (default: a temp dir, "
                    "kept only when the run fails)")
    ap.add_argument("--json", default=None, help="write the results as JSON to this file")
    ap.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                    help="extra sightline serve argument (repeat), e.g. --server-arg=--threads=4")
    args = ap.parse_args()
    if args.warmup is None:
        args.warmup = min(args.retention + 60, args.duration / 3)
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    args.kind_list = [k.strip() for k in args.kinds.split(",") if k.strip()]
    bad = [k for k in args.kind_list if k not in ("rtmp", "srt", "ts_http", "rtsp")]
    if bad or not args.kind_list:
        ap.error(f"--kinds: unknown {bad}")
    return args


# ---------------------------------------------------------------------------------------------
# Media and publishers

def soak_media(width: int, height: int, fps: int, seconds: int = 30) -> Path:
    """A small H.264 MP4 with the SPEC §7 barcode (keyframe every second, no B-frames), encoded
    once into bench/.cache and replayed with -c copy, so publishers cost almost nothing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"soak-{width}x{height}p{fps}-{seconds}s.mp4"
    if not path.exists():
        print(f"   encoding {path.name} (once; cached under bench/.cache) ...", flush=True)
        part = path.with_suffix(".part.mp4")
        subprocess.run([sources.FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error",
                        "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}",
                        "-filter_complex", sources.barcode_filter(width, height), "-map", "[v]",
                        "-frames:v", str(seconds * fps), "-c:v", "libx264",
                        "-preset", "veryfast", "-pix_fmt", "yuv420p", "-bf", "0",
                        "-g", str(fps), "-keyint_min", str(fps), "-sc_threshold", "0",
                        "-b:v", "300k", "-maxrate", "300k", "-bufsize", "300k",
                        "-movflags", "+faststart", "-y", str(part)],
                       check=True, stdin=subprocess.DEVNULL, timeout=300)
        part.rename(path)
    return path


class FfmpegPublisher:
    """An e2e FfmpegListener (rtmp / srt / ts_http) replaying the soak file."""

    def __init__(self, kind: str, workdir: Path, media: Path):
        self.kind = kind
        self.listener = sources.FfmpegListener(kind, workdir, input_args=[
            sources.FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-re",
            "-stream_loop", "-1", "-i", str(media), "-c", "copy"])
        self.url = self.listener.url
        self.up = True

    def down(self) -> None:
        self.listener.kill()
        self.up = False

    def restart(self) -> None:
        self.up = True   # the supervisor runs from here on, even if the port is slow to open
        self.listener.start()

    def stop(self) -> None:
        self.listener.kill()


class RtspPublisher:
    """The e2e GstRtspServer camera (tests/e2e/tools/rtsp_server.py) on a fixed port, so that a
    restarted camera is found at the same URL."""

    def __init__(self, workdir: Path, width: int, height: int, fps: int):
        self.kind = "rtsp"
        self.port = sources.free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"
        self.workdir = workdir
        self.args = [sources.SYSTEM_PYTHON, str(E2E / "tools" / "rtsp_server.py"),
                     "--port", str(self.port), "--width", str(width), "--height", str(height),
                     "--fps", str(fps)]
        self.proc: sources.Proc | None = None
        self.up = False
        self.restart()

    def down(self) -> None:
        if self.proc:
            self.proc.stop(signal.SIGKILL)
        self.up = False

    def restart(self) -> None:
        log = self.workdir / f"rtsp-{self.port}.log"
        log.unlink(missing_ok=True)   # wait_for_output must not find the previous ready line
        self.proc = sources.Proc(self.args, log)
        try:
            self.proc.wait_for_output("rtsp ready", timeout=15)
        except (RuntimeError, TimeoutError):
            self.proc.stop(signal.SIGKILL)
            raise
        self.up = True

    def stop(self) -> None:
        self.down()


# ---------------------------------------------------------------------------------------------
# Shared state

class Stats:
    """Counters shared by every thread (one lock; a few thousand updates a minute)."""

    RESERVOIR = 4000

    def __init__(self, rng: random.Random):
        self.lock = threading.Lock()
        self.rng = rng
        self.requests: Counter = Counter()         # (kind, outcome) -> n
        self.latency: dict[str, list] = defaultdict(list)
        self.latency_seen: Counter = Counter()
        self.expected_5xx: Counter = Counter()     # (fault, status) -> n
        self.unexpected_5xx: Counter = Counter()   # (kind, status) -> n
        self.fault_outcomes: Counter = Counter()   # (fault, stream, outcome) -> n
        self.anomalies: Counter = Counter()        # name -> n
        self.aborts: Counter = Counter()           # mode -> n
        self.examples: list[dict] = []             # first unexpected / anomalous answers

    def example(self, what: str, **info) -> None:
        if len(self.examples) < 60:
            self.examples.append({"t": round(time.monotonic() - T0, 1), "what": what, **info})

    def record(self, kind: str, outcome, latency: float | None = None, fault: str | None = None,
               stream: bool = False, body: bytes = b"", path: str = "") -> None:
        with self.lock:
            self.requests[(kind, str(outcome))] += 1
            if latency is not None:
                n = self.latency_seen[kind] = self.latency_seen[kind] + 1
                lst = self.latency[kind]
                if len(lst) < self.RESERVOIR:
                    lst.append(latency)
                else:
                    j = self.rng.randrange(n)
                    if j < self.RESERVOIR:
                        lst[j] = latency
            if fault:
                self.fault_outcomes[(fault, "stream" if stream else "json", str(outcome))] += 1
            if isinstance(outcome, int) and outcome >= 500:
                if fault and kind.startswith("chat") and outcome in (502, 503, 504):
                    self.expected_5xx[(fault, outcome)] += 1
                else:
                    self.unexpected_5xx[(kind, outcome)] += 1
                    self.example("unexpected 5xx", kind=kind, status=outcome, path=path,
                                 fault=fault, body=body[:300].decode(errors="replace"))

    def anomaly(self, name: str, **info) -> None:
        with self.lock:
            self.anomalies[name] += 1
            if self.anomalies[name] <= 3:
                self.example(name, **info)

    def abort(self, mode: str) -> None:
        with self.lock:
            self.aborts[mode] += 1

    def totals(self) -> dict:
        with self.lock:
            total = sum(self.requests.values())
            by = Counter()
            for (kind, outcome), n in self.requests.items():
                by["4xx" if outcome.startswith("4") else "5xx" if outcome.startswith("5") else
                   "2xx" if outcome.startswith("2") else "client_error"] += n
            return {"requests": total, **by, "expected_5xx": sum(self.expected_5xx.values()),
                    "unexpected_5xx": sum(self.unexpected_5xx.values()),
                    "aborts": sum(self.aborts.values()), "anomalies": sum(self.anomalies.values())}


class StreamView:
    """The latest /v1/streams answer, per stream id (the monitor thread updates it)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_id: dict[str, dict] = {}
        self.at = 0.0

    def set(self, data: list[dict]) -> None:
        with self.lock:
            self.by_id = {s["id"]: s for s in data}
            self.at = time.monotonic()

    def get(self, sid: str) -> dict | None:
        with self.lock:
            return self.by_id.get(sid)


class Outage:
    def __init__(self, stream: int, kind: str, t_down: float):
        self.stream, self.kind, self.t_down = stream, kind, t_down
        self.t_up: float | None = None
        self.base_index: int | None = None   # last_frame_index seen when the source returned
        self.recovered_at: float | None = None
        self.restart_errors = 0
        self.killed_again = False   # the next outage began before this one had recovered

    def as_json(self, t0: float) -> dict:
        rel = lambda t: None if t is None else round(t - t0, 2)  # noqa: E731
        return {"stream": self.stream, "kind": self.kind, "down_s": rel(self.t_down),
                "up_s": rel(self.t_up), "recovered_s": rel(self.recovered_at),
                "restart_errors": self.restart_errors, "killed_again": self.killed_again}


T0 = time.monotonic()
DRIVER_CPU0 = [0.0]   # own CPU seconds when the traffic started


# ---------------------------------------------------------------------------------------------
# HTTP

class Client:
    """One keep-alive connection (re-opened when needed) with the API key."""

    def __init__(self, port: int, key: str, timeout: float):
        self.port, self.key, self.timeout = port, key, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.used = 0

    def close(self) -> None:
        if self.conn:
            self.conn.close()
        self.conn = None

    def _open(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.used = 0
        return self.conn

    def send(self, method: str, path: str, body: bytes | None = None, key: str | None = None):
        """Sends a request; returns the http.client response (headers read). A request that
        fails on a reused connection before any answer is retried once on a new one (the server
        may have closed an idle keep-alive connection): counted by the caller via .retried."""
        headers = {"Authorization": f"Bearer {key or self.key}", "Host": "127.0.0.1"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.retried = False
        for attempt in (0, 1):
            conn = self._open()
            reused = self.used > 0
            try:
                conn.request(method, path, body=body, headers=headers)
                self.used += 1
                return conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 0 and reused:
                    self.retried = True
                    continue
                raise
        raise AssertionError("unreachable")

    def fetch(self, method: str, path: str, body: bytes | None = None, key: str | None = None):
        """(status, headers, body) of a complete request."""
        r = self.send(method, path, body, key)
        data = r.read()
        if r.will_close:
            self.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def outcome_of(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "client_timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "conn_refused"
    if isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
        return "conn_reset"
    if isinstance(exc, http.client.IncompleteRead):
        return "incomplete_read"
    return "client_error:" + type(exc).__name__


def raw_socket(port: int, timeout: float = 10) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def close_hard(s: socket.socket, rst: bool) -> None:
    """Closes a socket, with RST (SO_LINGER 0) when rst: the client vanishes abruptly."""
    with contextlib.suppress(OSError):
        if rst:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


# ---------------------------------------------------------------------------------------------
# Traffic

class Ctx:
    """What every thread needs."""

    def __init__(self, args, port: int, keys: list[str], stream_ids: list[str],
                 stream_keys: list[str], stats: Stats, view: StreamView,
                 stop: threading.Event, deadline: float):
        self.args, self.port = args, port
        self.keys = keys                  # one per group of --streams-per-key soak streams
        self.key = keys[0]
        self.stream_ids = stream_ids
        self.key_of = dict(zip(stream_ids, stream_keys))
        self.group: dict[str, list[str]] = defaultdict(list)   # key -> its stream ids
        for sid, k in zip(stream_ids, stream_keys):
            self.group[k].append(sid)
        self.stats, self.view, self.stop, self.deadline = stats, view, stop, deadline

    def running(self) -> bool:
        return not self.stop.is_set() and time.monotonic() < self.deadline


def chat_body(rng: random.Random, ctx: Ctx, stream: bool, fault: str | None,
              delay: float | None = None, sids: list[str] | None = None) -> bytes:
    """A chat request whose references name streams in `sids` (one key's streams)."""
    ids = sids or ctx.stream_ids
    a, b = rng.choice(ids), rng.choice(ids)
    text = "Describe what changed."
    if fault:
        text += f" soak-fault={fault}"
    if delay:
        text += f" soak-delay={delay:.2f}"
    content = [{"type": "text", "text": text},
               {"type": "image_url", "image_url": {"url": f"ovs://streams/{a}?frame_index=-1"}}]
    r = rng.random()
    if r < 0.6:
        content.append({"type": "video_url", "video_url": {
            "url": f"ovs://streams/{b}?start_offset_ms=-{rng.randint(2000, 6000)}&max_fps=1"}})
    elif r < 0.8:
        content.append({"type": "image_url", "image_url": {
            "url": f"ovs://streams/{b}?offset_ms=-{rng.randint(1000, 20000)}&max_pixels=19200"}})
    body = {"model": MODEL, "messages": [{"role": "user", "content": content}],
            "max_tokens": 32}
    if stream:
        body["stream"] = True
        if rng.random() < 0.5:
            body["stream_options"] = {"include_usage": True}
    return json.dumps(body).encode()


class Worker(threading.Thread):
    """Issues requests of every kind at its share of --rate until the deadline."""

    KINDS = [("frame_newest", 32), ("frame_older", 22), ("clip", 9), ("chat", 13),
             ("chat_stream", 13), ("status", 11)]   # percent of the requests that complete
    ABORT_MODES = ["headers_partial", "body_partial", "before_response", "mid_response",
                   "mid_stream", "upstream_wait"]

    def __init__(self, idx: int, ctx: Ctx):
        super().__init__(daemon=True, name=f"worker-{idx}")
        self.ctx = ctx
        self.rng = random.Random(ctx.args.seed * 1000 + idx)
        self.client = Client(ctx.port, ctx.key, ctx.args.request_timeout)
        self.kinds = [k for k, _ in self.KINDS]
        self.weights = [w for _, w in self.KINDS]

    def run(self) -> None:
        interval = self.ctx.args.workers / max(self.ctx.args.rate, 0.01)
        next_t = time.monotonic() + self.rng.uniform(0, interval)
        while self.ctx.running():
            delay = next_t - time.monotonic()
            if delay > 0:
                self.ctx.stop.wait(min(delay, max(0.0, self.ctx.deadline - time.monotonic())))
                if not self.ctx.running():
                    break
            next_t = max(next_t + interval, time.monotonic() - interval)
            try:
                if self.rng.random() < self.ctx.args.abort_share:
                    self.abort(self.rng.choice(self.ABORT_MODES))
                else:
                    kind = self.rng.choices(self.kinds, self.weights)[0]
                    getattr(self, kind)()
            except Exception as e:  # noqa: BLE001 - a bug here must not end the soak quietly
                self.ctx.stats.anomaly("driver_exception", error=repr(e))
                self.client.close()
        self.client.close()

    # ---- plain requests
    def _do(self, kind: str, method: str, path: str, body: bytes | None = None,
            check=None, fault: str | None = None, key: str | None = None) -> None:
        st = self.ctx.stats
        t = time.monotonic()
        try:
            status, headers, data = self.client.fetch(method, path, body, key)
        except Exception as e:  # noqa: BLE001
            self.client.close()
            st.record(kind, outcome_of(e), fault=fault, path=path)
            if self.ctx.running():
                st.example("client-side failure", kind=kind, path=path, error=repr(e))
            return
        if self.client.retried:
            st.anomaly("keepalive_retry", path=path)
        st.record(kind, status_label(status, data), time.monotonic() - t, fault=fault,
                  body=data, path=path)
        if check and status < 300:
            problem = check(headers, data)
            if problem:
                st.anomaly(problem, path=path, headers=dict(list(headers.items())[:8]))
        if fault and status < 300:
            st.anomaly("fault_not_surfaced", fault=fault, status=status)
        elif fault and status >= 500 and status != EXPECTED_FAULT_STATUS.get(fault):
            st.anomaly(f"fault_{fault}_gave_{status}", body=data[:200].decode(errors="replace"))

    def sid(self) -> str:
        return self.rng.choice(self.ctx.stream_ids)

    def frame_newest(self) -> None:
        sid = self.sid()
        q = "frame_index=-1" + ("&max_pixels=19200" if self.rng.random() < 0.3 else "")
        self._do("frame_newest", "GET", f"/v1/streams/{sid}/frame?{q}", check=is_jpeg,
                 key=self.ctx.key_of[sid])

    def frame_older(self) -> None:
        sid = self.sid()
        st = self.ctx.view.get(sid)
        first = st and st.get("first_available_frame_index")
        last = st and st.get("last_frame_index")
        if first is not None and last is not None and last > first and self.rng.random() < 0.5:
            q = f"frame_index={self.rng.randint(first, last)}"
        else:
            q = f"offset_ms=-{self.rng.randint(500, int(self.ctx.args.retention * 900))}"
        self._do("frame_older", "GET", f"/v1/streams/{sid}/frame?{q}", check=is_jpeg,
                 key=self.ctx.key_of[sid])

    def clip(self) -> None:
        sid = self.sid()
        q = f"start_offset_ms=-{self.rng.randint(2000, 6000)}&max_fps=2"
        if self.rng.random() < 0.3:
            q += "&max_pixels=19200"
        self._do("clip", "GET", f"/v1/streams/{sid}/clip?{q}", check=is_mp4,
                 key=self.ctx.key_of[sid])

    def status(self) -> None:
        sid = self.sid()
        path = self.rng.choice([f"/v1/streams/{sid}", "/v1/streams", "/healthz",
                                "/readyz", "/v1/models"])
        self._do("status", "GET", path, key=self.ctx.key_of[sid])

    def key_group(self) -> tuple[str, list[str]]:
        key = self.rng.choice(self.ctx.keys)
        return key, self.ctx.group[key]

    def fault(self) -> str | None:
        if self.rng.random() >= self.ctx.args.fail_rate:
            return None
        return self.rng.choice(["http500", "http502", "http503", "reset", "timeout",
                                "midstream"])

    def chat(self) -> None:
        fault = self.fault()
        key, sids = self.key_group()
        self._do("chat", "POST", "/v1/chat/completions",
                 chat_body(self.rng, self.ctx, False, fault, sids=sids), check=is_completion,
                 fault=fault, key=key)

    def chat_stream(self) -> None:
        st = self.ctx.stats
        fault = self.fault()
        key, sids = self.key_group()
        path = "/v1/chat/completions"
        t = time.monotonic()
        try:
            r = self.client.send("POST", path, chat_body(self.rng, self.ctx, True, fault,
                                                         sids=sids), key=key)
        except Exception as e:  # noqa: BLE001
            self.client.close()
            st.record("chat_stream", outcome_of(e), fault=fault, stream=True, path=path)
            return
        ctype = r.getheader("Content-Type", "")
        if r.status != 200 or not ctype.startswith("text/event-stream"):
            data = b""
            with contextlib.suppress(Exception):
                data = r.read()
            self.client.close()
            st.record("chat_stream", status_label(r.status, data), time.monotonic() - t,
                      fault=fault, stream=True, body=data, path=path)
            if fault and r.status < 300:
                st.anomaly("fault_not_surfaced", fault=fault, status=r.status)
            elif fault and r.status >= 500 and r.status != EXPECTED_FAULT_STATUS.get(fault) \
                    and fault != "midstream":
                st.anomaly(f"fault_{fault}_gave_{r.status}",
                           body=data[:200].decode(errors="replace"))
            return
        done = error_event = ovs_media = False
        truncated = False
        end = time.monotonic() + 60
        try:
            for _ in range(10000):
                if time.monotonic() > end:
                    truncated = True
                    break
                line = r.readline()
                if not line:
                    break
                if not line.startswith(b"data: "):
                    continue
                payload = line[6:].strip()
                if payload == b"[DONE]":
                    done = True
                    continue
                with contextlib.suppress(ValueError):
                    ev = json.loads(payload)
                    if isinstance(ev, dict) and "error" in ev:
                        error_event = True
                    if isinstance(ev, dict) and "ovs_media" in ev:
                        ovs_media = True
        except Exception:  # noqa: BLE001 - an interrupted stream is judged below
            truncated = True
        self.client.close()
        if fault == "midstream":
            outcome = "200+error_event" if (error_event and not done) else "200"
        else:
            outcome = 200
        st.record("chat_stream", outcome, time.monotonic() - t, fault=fault, stream=True,
                  path=path)
        if fault == "midstream":
            if done or not error_event:
                st.anomaly("midstream_fault_not_surfaced", done=done, error_event=error_event)
        elif fault:
            st.anomaly("fault_not_surfaced", fault=fault, status=200)
        elif not done or not ovs_media or error_event:
            st.anomaly("stream_incomplete", done=done, ovs_media=ovs_media,
                       error_event=error_event, truncated=truncated)

    # ---- clients that vanish
    def abort(self, mode: str) -> None:
        """Opens its own connection, sends (part of) a request and goes away."""
        st = self.ctx.stats
        rst = self.rng.random() < 0.5
        sid = self.sid()
        key = self.ctx.key_of[sid]
        sids = self.ctx.group[key]
        head = f"Host: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        try:
            s = raw_socket(self.ctx.port)
        except OSError as e:
            st.record("abort", outcome_of(e))
            return
        try:
            if mode == "headers_partial":
                req = (f"GET /v1/streams/{sid}/frame?frame_index=-1 HTTP/1.1\r\n{head}"
                       "X-Soak: 1\r\n\r\n").encode()
                s.sendall(req[:self.rng.randint(5, len(req) - 5)])
                time.sleep(self.rng.uniform(0, 0.5))
            elif mode == "body_partial":
                body = chat_body(self.rng, self.ctx, False, None, sids=sids)
                s.sendall((f"POST /v1/chat/completions HTTP/1.1\r\n{head}"
                           f"Content-Type: application/json\r\nContent-Length: {len(body)}"
                           "\r\n\r\n").encode() + body[:len(body) // 2])
                time.sleep(self.rng.uniform(0, 0.5))
            elif mode == "before_response":
                which = self.rng.choice(["older", "clip", "chat"])
                if which == "chat":
                    body = chat_body(self.rng, self.ctx, self.rng.random() < 0.5, None,
                                     sids=sids)
                    s.sendall((f"POST /v1/chat/completions HTTP/1.1\r\n{head}"
                               f"Content-Type: application/json\r\n"
                               f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
                else:
                    path = (f"/v1/streams/{sid}/frame?offset_ms=-{self.rng.randint(500, 20000)}"
                            if which == "older" else
                            f"/v1/streams/{sid}/clip?start_offset_ms=-6000&max_fps=5")
                    s.sendall(f"GET {path} HTTP/1.1\r\n{head}\r\n".encode())
                time.sleep(self.rng.uniform(0, 0.05))
            elif mode == "mid_response":
                s.sendall(f"GET /v1/streams/{sid}/clip?start_offset_ms=-8000&max_fps=5 "
                          f"HTTP/1.1\r\n{head}\r\n".encode())
                s.recv(self.rng.randint(1, 4096))
            elif mode in ("mid_stream", "upstream_wait"):
                wait = mode == "upstream_wait"
                body = chat_body(self.rng, self.ctx, not wait or self.rng.random() < 0.5, None,
                                 delay=3.0 if wait else None, sids=sids)
                s.sendall((f"POST /v1/chat/completions HTTP/1.1\r\n{head}"
                           f"Content-Type: application/json\r\nContent-Length: {len(body)}"
                           "\r\n\r\n").encode() + body)
                if wait:
                    time.sleep(self.rng.uniform(0.3, 1.5))   # sightline waits on the upstream
                else:
                    got = b""
                    end = time.monotonic() + 10
                    while b"data: " not in got and time.monotonic() < end and len(got) < 65536:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                        if b"\r\n\r\n" in got and not got.startswith(b"HTTP/1.1 200"):
                            break   # an error answer (JSON): nothing to stream
            st.abort(mode)
            st.record("abort", "sent")
        except OSError as e:
            st.record("abort", outcome_of(e))
        finally:
            close_hard(s, rst)


def status_label(status: int, data: bytes):
    """The status, with the error code for 4xx answers ("404 frame_not_found")."""
    if 400 <= status < 500:
        try:
            return f"{status} {json.loads(data)['error']['code']}"
        except (ValueError, KeyError, TypeError):
            return status
    return status


def is_jpeg(headers: dict, data: bytes) -> str | None:
    if not headers.get("content-type", "").startswith("image/jpeg") or data[:2] != b"\xff\xd8":
        return "frame_not_jpeg"
    if "x-frame-index" not in headers:
        return "frame_without_index"
    return None


def is_mp4(headers: dict, data: bytes) -> str | None:
    if not headers.get("content-type", "").startswith("video/mp4") or b"ftyp" not in data[:16]:
        return "clip_not_mp4"
    return None


def is_completion(headers: dict, data: bytes) -> str | None:
    try:
        obj = json.loads(data)
    except ValueError:
        return "completion_not_json"
    if not obj.get("choices") or "ovs_media" not in obj:
        return "completion_incomplete"
    return None


class Monitor(threading.Thread):
    """GET /v1/streams every second: the stream view (used by workers for valid frame indices)
    and the recovery of each outage (the first poll that shows new frames after the source came
    back)."""

    def __init__(self, ctx: Ctx, outages: list[Outage], outage_lock: threading.Lock):
        super().__init__(daemon=True, name="monitor")
        self.ctx, self.outages, self.outage_lock = ctx, outages, outage_lock
        self.client = Client(ctx.port, ctx.key, 10)
        self.states: Counter = Counter()   # (state) -> polls x streams, soak streams only

    def run(self) -> None:
        while self.ctx.running():
            merged, complete = [], True
            for key in self.ctx.keys:
                try:
                    status, _, data = self.client.fetch("GET", "/v1/streams", key=key)
                    self.ctx.stats.record("monitor", status)
                    if status == 200:
                        merged += json.loads(data)["data"]
                    else:
                        complete = False
                except Exception as e:  # noqa: BLE001
                    self.client.close()
                    self.ctx.stats.record("monitor", outcome_of(e))
                    complete = False
            if complete:
                self.ctx.view.set(merged)
                self.update()
            self.ctx.stop.wait(1.0)
        self.client.close()

    def update(self) -> None:
        now = time.monotonic()
        view = self.ctx.view
        for sid in self.ctx.stream_ids:
            st = view.get(sid)
            if st:
                self.states[st["state"]] += 1
        with self.outage_lock:
            for o in self.outages:
                if o.t_up is None or o.recovered_at is not None or o.killed_again:
                    continue
                st = view.get(self.ctx.stream_ids[o.stream])
                idx = st and st.get("last_frame_index")
                if idx is None:
                    continue
                if o.base_index is None:
                    o.base_index = idx
                elif idx > o.base_index:
                    o.recovered_at = now


class Chaos(threading.Thread):
    """Kills each publisher once per --outage-every seconds (staggered) and restarts it after a
    random --outage-min..--outage-max seconds."""

    def __init__(self, ctx: Ctx, pubs: list, outages: list[Outage], lock: threading.Lock):
        super().__init__(daemon=True, name="chaos")
        self.ctx, self.pubs, self.outages, self.lock = ctx, pubs, outages, lock
        self.rng = random.Random(ctx.args.seed + 7)
        self.restart_errors: Counter = Counter()

    def run(self) -> None:
        a = self.ctx.args
        n = len(self.pubs)
        now = time.monotonic()
        next_down = [now + a.outage_every * (i + 1) / n for i in range(n)]
        next_up = [0.0] * n
        current: list[Outage | None] = [None] * n
        while self.ctx.running():
            for i, pub in enumerate(self.pubs):
                if not self.ctx.running():
                    break
                now = time.monotonic()
                if pub.up and now >= next_down[i] and now < self.ctx.deadline - a.outage_max - 5:
                    pub.down()
                    o = Outage(i, pub.kind, time.monotonic())
                    with self.lock:
                        prev = current[i]
                        if prev and prev.t_up is not None and prev.recovered_at is None:
                            prev.killed_again = True   # not a recovery time: left out
                        self.outages.append(o)
                    current[i] = o
                    next_up[i] = o.t_down + self.rng.uniform(a.outage_min, a.outage_max)
                    next_down[i] = max(next_down[i] + a.outage_every, next_up[i] + 3)
                elif not pub.up and now >= next_up[i]:
                    try:
                        pub.restart()
                    except Exception as e:  # noqa: BLE001 - retried
                        self.restart_errors[f"{pub.kind}: {type(e).__name__}"] += 1
                        if current[i]:
                            current[i].restart_errors += 1
                        next_up[i] = time.monotonic() + 2
                        continue
                    if current[i]:
                        # The index the stream froze at (the view is at most a second old and
                        # the source has been gone for longer): recovered once it moves on.
                        st = self.ctx.view.get(self.ctx.stream_ids[i])
                        with self.lock:
                            current[i].t_up = time.monotonic()
                            if st and st.get("last_frame_index") is not None:
                                current[i].base_index = st["last_frame_index"]
            self.ctx.stop.wait(0.2)


class Churn(threading.Thread):
    """Every --churn-every seconds one of: a test-pattern stream created, used (frame, chat,
    a clip cut short by the delete) and deleted; a stream to a dead port created and deleted
    while it retries; a short lease left to expire."""

    def __init__(self, ctx: Ctx):
        super().__init__(daemon=True, name="churn")
        self.ctx = ctx
        self.rng = random.Random(ctx.args.seed + 11)
        self.key = ctx.churn_key   # its own key: the soak streams may use up a key's budgets
        self.client = Client(ctx.port, self.key, ctx.args.request_timeout)
        self.created: list[str] = []
        self.cycles: Counter = Counter()

    def req(self, kind: str, method: str, path: str, body: dict | None = None):
        t = time.monotonic()
        try:
            status, headers, data = self.client.fetch(
                method, path, json.dumps(body).encode() if body is not None else None)
        except Exception as e:  # noqa: BLE001
            self.client.close()
            self.ctx.stats.record(kind, outcome_of(e), path=path)
            return None, b""
        self.ctx.stats.record(kind, status_label(status, data), time.monotonic() - t, body=data,
                              path=path)
        return status, data

    def create(self, source: dict, lease) -> str | None:
        status, data = self.req("churn_create", "POST", "/v1/streams",
                                {"source": source, "lease": lease, "retention_seconds": 30})
        if status != 201:
            self.ctx.stats.anomaly("churn_create_failed", status=status,
                                   body=data[:200].decode(errors="replace"))
            return None
        return json.loads(data)["id"]

    def run(self) -> None:
        every = self.ctx.args.churn_every
        self.ctx.stop.wait(self.rng.uniform(1, every))
        n = 0
        while self.ctx.running():
            n += 1
            try:
                if n % 3 == 1:
                    self.pattern_cycle()
                elif n % 3 == 2:
                    self.dead_port_cycle()
                else:
                    self.lease_cycle()
            except Exception as e:  # noqa: BLE001
                self.ctx.stats.anomaly("driver_exception", error=repr(e))
                self.client.close()
            self.ctx.stop.wait(every)
        for sid in self.created:   # the run's leftovers
            self.req("churn_delete", "DELETE", f"/v1/streams/{sid}")
        self.client.close()

    def pattern_cycle(self) -> None:
        sid = self.create({"type": "test_pattern", "width": 160, "height": 120, "fps": 10}, False)
        if not sid:
            return
        self.cycles["pattern"] += 1
        end = time.monotonic() + 10
        while time.monotonic() < end and self.ctx.running():
            status, data = self.req("churn_get", "GET", f"/v1/streams/{sid}")
            if status == 200 and json.loads(data).get("last_frame_index") is not None:
                break
            time.sleep(0.5)
        self.req("churn_frame", "GET", f"/v1/streams/{sid}/frame?frame_index=-1")
        body = json.loads(chat_body(self.rng, self.ctx, False, None, sids=[sid]))
        self.req("churn_chat", "POST", "/v1/chat/completions", body)
        # A clip in flight on another connection while the stream is deleted.
        clip = threading.Thread(target=self._clip, args=(sid,), daemon=True)
        clip.start()
        time.sleep(self.rng.uniform(0, 0.2))
        status, _ = self.req("churn_delete", "DELETE", f"/v1/streams/{sid}")
        clip.join(self.ctx.args.request_timeout + 5)
        if status != 200:
            self.created.append(sid)

    def _clip(self, sid: str) -> None:
        c = Client(self.ctx.port, self.key, self.ctx.args.request_timeout)
        t = time.monotonic()
        path = f"/v1/streams/{sid}/clip?start_offset_ms=-5000&max_fps=10"
        try:
            status, _, data = c.fetch("GET", path)
            self.ctx.stats.record("churn_clip", status_label(status, data), time.monotonic() - t,
                                  body=data, path=path)
        except Exception as e:  # noqa: BLE001
            self.ctx.stats.record("churn_clip", outcome_of(e), path=path)
        finally:
            c.close()

    def dead_port_cycle(self) -> None:
        port = sources.free_port()
        sid = self.create({"type": "url", "url": f"rtmp://127.0.0.1:{port}/live/none"}, False)
        if not sid:
            return
        self.cycles["dead_port"] += 1
        self.ctx.stop.wait(self.rng.uniform(1, 4))
        self.req("churn_get", "GET", f"/v1/streams/{sid}")
        self.req("churn_frame", "GET", f"/v1/streams/{sid}/frame")
        status, _ = self.req("churn_delete", "DELETE", f"/v1/streams/{sid}")
        if status != 200:
            self.created.append(sid)

    def lease_cycle(self) -> None:
        sid = self.create({"type": "test_pattern", "width": 160, "height": 120, "fps": 5},
                          {"ttl_seconds": 5})
        if sid:
            self.cycles["lease_expiry"] += 1


# ---------------------------------------------------------------------------------------------
# Watching the server

def proc_sample(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    vals = {}
    for line in status.splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
            vals[k] = int(v.split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return {"rss_mib": vals["VmRSS"] / 1024, "hwm_mib": vals["VmHWM"] / 1024,
            "anon_mib": vals.get("RssAnon", 0) / 1024, "file_mib": vals.get("RssFile", 0) / 1024,
            "threads": vals["Threads"], "fds": len(os.listdir(f"/proc/{pid}/fd")), "cpu_s": cpu}


def parse_metrics(text: str) -> dict:
    """The figures the soak follows from /metrics."""
    out = {"series": 0, "buffer_bytes": 0.0, "reconnects": 0.0, "decode_errors": 0.0,
           "http": {}}
    lab_re = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        out["series"] += 1
        name_labels, _, value = line.rpartition(" ")
        try:
            v = float(value)
        except ValueError:
            continue
        name = name_labels.split("{", 1)[0]
        if name == "sightline_stream_buffer_bytes":
            out["buffer_bytes"] += v
        elif name == "sightline_stream_reconnects_total":
            out["reconnects"] += v
        elif name == "sightline_stream_decode_errors_total":
            out["decode_errors"] += v
        elif name == "http_requests_total":
            labels = dict(lab_re.findall(name_labels))
            key = f"{labels.get('method')} {labels.get('route')} {labels.get('status')}"
            out["http"][key] = out["http"].get(key, 0) + v
    return out


class LogWatch:
    """Reads the server log as it grows: lines per level, the most frequent warning and error
    messages (numbers and ids folded), and crash markers."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.partial = b""
        self.levels: Counter = Counter()
        self.messages: Counter = Counter()
        self.markers: list[str] = []
        self.other: Counter = Counter()   # lines not in the log format (ffmpeg, sanitizers)

    def poll(self) -> None:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(16 << 20)
        except OSError:
            return
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        for raw in lines:
            line = raw.decode(errors="replace")
            for m in CRASH_MARKERS:
                if m in line and len(self.markers) < 50:
                    self.markers.append(line[:300])
            mm = LOG_LINE_RE.match(line)
            if not mm:
                if line.strip() and "listening on" not in line:
                    self.other[fold(line)[:160]] += 1
                continue
            level, module, msg = mm.groups()
            self.levels[level] += 1
            if level in ("WARN", "ERROR"):
                self.messages[f"{level} [{module}] {fold(msg)[:160]}"] += 1


def fold(msg: str) -> str:
    msg = re.sub(r"\b(s|req)_[0-9a-zA-Z]+", r"\1_*", msg)
    msg = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:*", msg)
    return re.sub(r"\d+", "N", msg)


def slope_per_hour(points: list[tuple[float, float]]) -> dict:
    """Least-squares line through (seconds, value): slope per hour, r^2, first and last fitted
    values."""
    n = len(points)
    if n < 3:
        return {"n": n, "per_hour": None}
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0:
        return {"n": n, "per_hour": None}
    b = sxy / sxx
    r2 = (sxy * sxy) / (sxx * syy) if syy else 1.0
    return {"n": n, "per_hour": b * 3600, "r2": r2, "from_s": xs[0], "to_s": xs[-1],
            "first": ys[0], "last": ys[-1], "min": min(ys), "max": max(ys)}


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))]


def load_text() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---------------------------------------------------------------------------------------------
# The run

def main() -> int:
    args = parse_args()
    binary = Path(args.bin).resolve()
    if not os.access(binary, os.X_OK):
        print(f"sightline binary not found: {binary} (use --bin)", file=sys.stderr)
        return 2
    os.environ["SIGHTLINE_BIN"] = str(binary)
    if args.workdir:
        wd = Path(args.workdir)
        wd.mkdir(parents=True, exist_ok=True)
        keep = True
    else:
        wd = Path(tempfile.mkdtemp(prefix="sl-soak-"))
        keep = False
    rng = random.Random(args.seed)
    stats = Stats(random.Random(args.seed + 3))
    print(f"== soak  binary={binary}")
    print(f"   {args.duration:.0f} s, {args.streams} streams ({args.kinds}) "
          f"{args.width}x{args.height}@{args.fps}, retention {args.retention} s, outage every "
          f"{args.outage_every:.0f} s for {args.outage_min:.0f}-{args.outage_max:.0f} s, "
          f"{args.rate:g} req/s over {args.workers} workers, fail-rate {args.fail_rate:g}, "
          f"abort-share {args.abort_share:g}, churn every {args.churn_every:g} s, "
          f"warm-up {args.warmup:.0f} s, seed {args.seed}")
    print(f"   machine: {os.cpu_count()} CPUs, loadavg {load_text()}; workdir {wd}", flush=True)

    stop = threading.Event()

    def on_signal(signum, frame):
        print(f"\n   signal {signum}: stopping early, summary follows", flush=True)
        stop.set()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    pubs: list = []
    stub = srv = None
    result: dict = {}
    failures: list[str] = []
    try:
        media = soak_media(args.width, args.height, args.fps)
        stub = sources.Proc([sys.executable, str(HERE / "fault_upstream.py"),
                             "--max-hold", str(args.upstream_timeout_ms / 1000 * 3 + 5)],
                            wd / "fault_upstream.log")
        stub.wait_for_output("fault upstream listening", timeout=15)
        stub_port = int(re.search(r"127\.0\.0\.1:(\d+)", stub.tail()).group(1))
        backend = (f"{MODEL}=http://127.0.0.1:{stub_port}/v1;"
                   f"first_byte_timeout_ms={args.upstream_timeout_ms};"
                   f"idle_timeout_ms={args.upstream_timeout_ms}")
        n_keys = -(-args.streams // max(1, args.streams_per_key))
        keys = [conftest.new_key() for _ in range(n_keys)]
        churn_key = conftest.new_key()
        (wd / "server" / "sightline.log").unlink(missing_ok=True)
        srv = conftest.Server(wd / "server", [*keys, churn_key],
                              ["--max-streams-per-key", str(args.streams + 16),
                               "--log-level", "info", "--backend", backend, *args.server_arg])
        pid = srv.proc.pid
        print(f"   server pid {pid} on port {srv.port}; upstream stub on port {stub_port}",
              flush=True)

        for i in range(args.streams):
            kind = args.kind_list[i % len(args.kind_list)]
            pubs.append(RtspPublisher(wd, args.width, args.height, args.fps) if kind == "rtsp"
                        else FfmpegPublisher(kind, wd, media))
        apis = [srv.api(k) for k in keys]
        stream_ids, stream_keys = [], []
        for i, pub in enumerate(pubs):
            g = i // max(1, args.streams_per_key)
            st = apis[g].create_url(pub.url, lease=False, retention_seconds=args.retention,
                                    name=f"soak-{i}-{pub.kind}")
            stream_ids.append(st["id"])
            stream_keys.append(keys[g])
        t_ready = time.monotonic() + 30
        waiting = set(stream_ids)
        while waiting and time.monotonic() < t_ready and not stop.is_set():
            for api in apis:
                for s in api.get("/v1/streams").json()["data"]:
                    if s["id"] in waiting and s.get("last_frame_index") is not None:
                        waiting.discard(s["id"])
            time.sleep(0.5)
        if waiting:
            print(f"   WARNING: {len(waiting)} streams without a frame after 30 s: "
                  f"{sorted(waiting)}", flush=True)
        for api in apis:
            api.s.close()

        t_start = time.monotonic()
        DRIVER_CPU0[0] = own_cpu_s()
        deadline = t_start + args.duration
        view = StreamView()
        ctx = Ctx(args, srv.port, keys, stream_ids, stream_keys, stats, view, stop, deadline)
        ctx.churn_key = churn_key
        outages: list[Outage] = []
        olock = threading.Lock()
        monitor = Monitor(ctx, outages, olock)
        chaos = Chaos(ctx, pubs, outages, olock)
        churn = Churn(ctx) if args.churn_every > 0 else None
        workers = [Worker(i, ctx) for i in range(args.workers)]
        threads = [monitor, *workers] + ([chaos] if args.outage_every > 0 else []) + \
                  ([churn] if churn else [])
        for t in threads:
            t.start()
        print(f"   all {args.streams} streams created ({args.streams - len(waiting)} with "
              f"frames) in {t_start - T0:.1f} s; traffic for {args.duration:.0f} s", flush=True)

        logw = LogWatch(srv.log_path)
        metrics_client = Client(srv.port, keys[0], 10)
        samples: list[dict] = []
        crash = None
        next_sample = t_start
        next_report = t_start + args.report_every
        last_metrics: dict = {}
        while time.monotonic() < deadline and not stop.is_set():
            now = time.monotonic()
            if not srv.alive():   # checked twice a second
                crash = {"t_s": round(now - t_start, 1), "exit": srv.proc.popen.returncode}
                print(f"\n   SERVER DIED at {crash['t_s']} s, exit {crash['exit']}; log tail:\n"
                      + "\n".join("     " + l for l in srv.log()[-2500:].splitlines()[-15:]),
                      flush=True)
                stop.set()
                break
            if now >= next_sample:
                next_sample += args.sample_every
                logw.poll()
                try:
                    s = proc_sample(pid)
                except (OSError, KeyError, ValueError):
                    continue
                s["t_s"] = round(now - t_start, 2)
                try:
                    status, _, data = metrics_client.fetch("GET", "/metrics")
                    stats.record("metrics", status)
                    if status == 200:
                        last_metrics = parse_metrics(data.decode(errors="replace"))
                        s["buffer_mib"] = last_metrics["buffer_bytes"] / 2**20
                        s["series"] = last_metrics["series"]
                        s["reconnects"] = last_metrics["reconnects"]
                except Exception as e:  # noqa: BLE001
                    metrics_client.close()
                    stats.record("metrics", outcome_of(e))
                samples.append(s)
            if now >= next_report:
                next_report += args.report_every
                print(progress_line(samples, stats, outages, olock, logw), flush=True)
            stop.wait(max(0.05, min(next_sample, next_report, deadline, now + 0.5) -
                          time.monotonic()))
        elapsed = time.monotonic() - t_start
        print(f"   traffic stopped after {elapsed:.0f} s; waiting for clients", flush=True)
        stop.set()
        for t in threads:
            t.join(args.request_timeout + 15)
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            failures.append(f"driver threads did not finish: {stuck}")

        # Final figures while the server still runs.
        if srv.alive():
            with contextlib.suppress(Exception):
                status, _, data = metrics_client.fetch("GET", "/metrics")
                if status == 200:
                    last_metrics = parse_metrics(data.decode(errors="replace"))
            with contextlib.suppress(Exception):
                last_streams = []
                for k in keys:
                    last_streams += json.loads(metrics_client.fetch("GET", "/v1/streams",
                                                                    key=k)[2])["data"]
                view.set(last_streams)
        metrics_client.close()
        stub_stats = {}
        with contextlib.suppress(Exception):
            c = http.client.HTTPConnection("127.0.0.1", stub_port, timeout=5)
            c.request("GET", "/_stats")
            stub_stats = json.loads(c.getresponse().read())
            c.close()

        # Stop the server: a clean exit on SIGTERM is part of the verdict.
        exit_code = None
        if crash is None:
            if srv.alive():
                exit_code = srv.stop()
            else:
                crash = {"t_s": round(time.monotonic() - t_start, 1),
                         "exit": srv.proc.popen.returncode}
        logw.poll()
        logw.partial += b"\n"
        logw.poll()

        result = summarize(args, elapsed, samples, stats, outages, chaos, churn, monitor, view,
                           stream_ids, pubs, last_metrics, stub_stats, logw, crash, exit_code,
                           failures)
    except KeyboardInterrupt:
        failures.append("interrupted before the summary")
    except Exception as e:  # noqa: BLE001 - set-up failures: say what and keep the logs
        import traceback
        traceback.print_exc()
        failures.append(f"the run failed: {e!r}")
        if srv is not None:
            print(f"---- sightline log ----\n{srv.log()[-3000:]}")
    finally:
        stop.set()
        for p in pubs:
            with contextlib.suppress(Exception):
                p.stop()
        if srv is not None and srv.alive():
            srv.stop()
        if stub is not None:
            stub.stop()
    if args.json and result:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))
        print(f"   JSON: {args.json}")
    ok = bool(result) and not result["failures"]
    if not ok and not keep:
        print(f"   logs kept in {wd}")
    elif not keep:
        import shutil
        shutil.rmtree(wd, ignore_errors=True)
    print(f"   loadavg at end: {load_text()}")
    print("== PASS" if ok else "== FAIL: " + "; ".join(result.get("failures", failures)))
    return 0 if ok else (1 if result else 2)


def progress_line(samples, stats: Stats, outages, olock, logw: LogWatch) -> str:
    s = samples[-1] if samples else {}
    tot = stats.totals()
    with olock:
        n_out = len(outages)
        rec = sum(1 for o in outages if o.recovered_at is not None)
        back = sum(1 for o in outages if o.t_up is not None)
    return (f"[{s.get('t_s', 0):6.0f}s] rss {s.get('rss_mib', 0):6.1f} MiB "
            f"(store {s.get('buffer_mib', 0):5.1f}) fds {s.get('fds', 0):4d} "
            f"thr {s.get('threads', 0):3d} | req {tot['requests']} 2xx {tot.get('2xx', 0)} "
            f"4xx {tot.get('4xx', 0)} 5xx exp {tot['expected_5xx']} "
            f"UNEXP {tot['unexpected_5xx']} cli-err {tot.get('client_error', 0)} | aborts "
            f"{tot['aborts']} anomalies {tot['anomalies']} | outages {n_out} back {back} "
            f"recovered {rec} reconnects {s.get('reconnects', 0):.0f} | log W "
            f"{logw.levels['WARN']} E {logw.levels['ERROR']} | load {load_text()}")


def summarize(args, elapsed, samples, stats: Stats, outages, chaos, churn, monitor, view,
              stream_ids, pubs, metrics, stub_stats, logw: LogWatch, crash, exit_code,
              failures) -> dict:
    warm = [s for s in samples if s["t_s"] >= args.warmup]
    slopes = {
        "rss_mib": slope_per_hour([(s["t_s"], s["rss_mib"]) for s in warm]),
        "anon_mib": slope_per_hour([(s["t_s"], s["anon_mib"]) for s in warm]),
        "fds": slope_per_hour([(s["t_s"], s["fds"]) for s in warm]),
        "threads": slope_per_hour([(s["t_s"], s["threads"]) for s in warm]),
        "store_mib": slope_per_hour([(s["t_s"], s["buffer_mib"]) for s in warm
                                     if "buffer_mib" in s]),
        "rss_minus_store_mib": slope_per_hour([(s["t_s"], s["rss_mib"] - s["buffer_mib"])
                                               for s in warm if "buffer_mib" in s]),
        "metrics_series": slope_per_hour([(s["t_s"], s["series"]) for s in warm
                                          if "series" in s]),
    }
    cpu = None
    if len(samples) >= 2 and samples[-1]["t_s"] > samples[0]["t_s"]:
        cpu = (samples[-1]["cpu_s"] - samples[0]["cpu_s"]) / (samples[-1]["t_s"] -
                                                             samples[0]["t_s"])

    # Requests per kind.
    kinds: dict[str, dict] = {}
    for (kind, outcome), n in sorted(stats.requests.items()):
        kinds.setdefault(kind, {"total": 0, "outcomes": {}})
        kinds[kind]["total"] += n
        kinds[kind]["outcomes"][outcome] = n
    for kind, lst in stats.latency.items():
        kinds.setdefault(kind, {"total": 0, "outcomes": {}})
        kinds[kind]["latency_ms"] = {"p50": round(pct(lst, 50) * 1000, 1),
                                     "p99": round(pct(lst, 99) * 1000, 1),
                                     "max": round(max(lst) * 1000, 1)}

    # Server-side statuses (these also count requests whose client vanished).
    server_status: Counter = Counter()
    server_5xx: dict[str, float] = {}
    for key, v in (metrics.get("http") or {}).items():
        method, route, status = key.split(" ")
        server_status[status] += v
        if status.startswith("5"):
            server_5xx[key] = v
    chat_route_5xx = sum(v for k, v in server_5xx.items()
                         if "/v1/chat/completions" in k and k.split(" ")[2] in ("502", "503", "504"))
    server_unexpected = {k: v for k, v in server_5xx.items()
                         if k.endswith(" 500") or "/v1/chat/completions" not in k}
    injected = sum(v for k, v in stub_stats.items()
                   if k.startswith("fault_") and k != "fault_none")

    # Outages and recovery.
    back = [o for o in outages if o.t_up is not None]
    rec_times = [o.recovered_at - o.t_up for o in back if o.recovered_at is not None]
    end_t = time.monotonic()
    killed_again = [o for o in back if o.killed_again]
    # Backoff cap (10 s) + connect timeout (5 s) + a poll: 30 s is far beyond a slow recovery.
    not_recovered = [o for o in back if o.recovered_at is None and not o.killed_again and
                     end_t - o.t_up > 30]
    by_kind: dict[str, dict] = {}
    for o in back:
        d = by_kind.setdefault(o.kind, {"outages": 0, "recovered": 0, "times": []})
        d["outages"] += 1
        if o.recovered_at is not None:
            d["recovered"] += 1
            d["times"].append(o.recovered_at - o.t_up)
    recovery = {
        "outages": len(outages), "sources_returned": len(back), "recovered": len(rec_times),
        "not_recovered_within_30s": len(not_recovered),
        "killed_again_before_recovery": len(killed_again),
        "recovery_s": {"p50": pct(rec_times, 50), "p90": pct(rec_times, 90),
                       "max": max(rec_times) if rec_times else None},
        "by_kind": {k: {"outages": d["outages"], "recovered": d["recovered"],
                        "p50_s": pct(d["times"], 50), "max_s": max(d["times"]) if d["times"]
                        else None} for k, d in sorted(by_kind.items())},
        "restart_errors": dict(chaos.restart_errors) if chaos else {},
        "poll_resolution_s": 1.0,
        "events": [o.as_json(T0) for o in outages],   # seconds since the script started
    }
    final_states = Counter((view.get(s) or {}).get("state", "missing") for s in stream_ids)

    # Verdict.
    failures = list(failures)
    if crash:
        failures.append(f"server crashed at {crash['t_s']} s (exit {crash['exit']})")
    elif exit_code not in (0, None):
        failures.append(f"server exited {exit_code} on SIGTERM")
    if logw.markers:
        failures.append(f"crash/sanitizer markers in the server log ({len(logw.markers)})")
    n_unexp = sum(stats.unexpected_5xx.values())
    if n_unexp:
        failures.append(f"{n_unexp} unexpected 5xx answers seen by clients "
                        f"({dict((f'{k} {s}', n) for (k, s), n in stats.unexpected_5xx.items())})")
    if server_unexpected:
        failures.append(f"server counted unexpected 5xx: {server_unexpected}")
    if not_recovered:
        failures.append(f"{len(not_recovered)} streams showed no new frame 30 s after their "
                        f"source came back: "
                        f"{[(o.stream, o.kind, round(o.t_up - T0, 1)) for o in not_recovered][:10]}")
    if chat_route_5xx > injected and stub_stats:
        failures.append(f"chat 502/503/504 counted by the server ({chat_route_5xx:.0f}) exceed "
                        f"the upstream failures injected ({injected})")

    result = {
        "config": {k: v for k, v in vars(args).items() if k != "kind_list"},
        "machine": {"cpus": os.cpu_count(), "loadavg_end": load_text()},
        "elapsed_s": round(elapsed, 1),
        "crash": crash, "exit_code_on_sigterm": exit_code,
        "failures": failures,
        "totals": stats.totals(),
        "requests": kinds,
        "expected_5xx": {f"{f} -> {s}": n for (f, s), n in sorted(stats.expected_5xx.items())},
        "unexpected_5xx": {f"{k} {s}": n for (k, s), n in sorted(stats.unexpected_5xx.items())},
        "fault_outcomes": {f"{f} {m} -> {o}": n
                           for (f, m, o), n in sorted(stats.fault_outcomes.items())},
        "anomalies": dict(stats.anomalies),
        "aborts": dict(stats.aborts),
        "examples": stats.examples,
        "server_http_status": dict(server_status),
        "server_5xx": server_5xx,
        "server_chat_upstream_5xx": chat_route_5xx,
        "upstream_stub": stub_stats,
        "recovery": recovery,
        "final_stream_states": dict(final_states),
        "stream_state_polls": dict(monitor.states),
        "churn_cycles": dict(churn.cycles) if churn else {},
        "reconnects_total": metrics.get("reconnects"),
        "decode_errors_total": metrics.get("decode_errors"),
        "publisher_spawns": {f"{i}:{p.kind}": getattr(getattr(p, "listener", None), "spawns", None)
                             for i, p in enumerate(pubs)},
        "server_cpu_cores": cpu,
        "driver_cpu_cores": driver_cpu(elapsed),
        "slopes_after_warmup": slopes,
        "warmup_s": args.warmup,
        "log": {"levels": dict(logw.levels),
                "top_warn_error": logw.messages.most_common(25),
                "unformatted_lines": logw.other.most_common(10),
                "crash_markers": logw.markers},
        "samples": samples,
    }
    print_summary(result, samples)
    return result


def own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def driver_cpu(elapsed: float) -> float | None:
    """This process's CPU (all its threads) per second of traffic."""
    return (own_cpu_s() - DRIVER_CPU0[0]) / elapsed if elapsed > 0 else None


def fmt(v, spec=".1f", none="-"):
    return none if v is None else format(v, spec)


def print_summary(r: dict, samples: list[dict]) -> None:
    print(f"\n== summary ({r['elapsed_s']:.0f} s of traffic, loadavg at end "
          f"{r['machine']['loadavg_end']})")
    t = r["totals"]
    print(f"   requests {t['requests']}: 2xx {t.get('2xx', 0)}, 4xx {t.get('4xx', 0)}, 5xx "
          f"{t.get('5xx', 0)} (expected {t['expected_5xx']}, UNEXPECTED {t['unexpected_5xx']}),"
          f" client-side errors {t.get('client_error', 0)}; clients that vanished "
          f"{t['aborts']}; anomalies {t['anomalies']}")
    print("\n   kind            total  p50 ms  p99 ms  max ms  outcomes")
    for kind, d in r["requests"].items():
        lat = d.get("latency_ms", {})
        outs = ", ".join(f"{o}:{n}" for o, n in sorted(d["outcomes"].items()))
        print(f"   {kind:<14} {d['total']:6d} {fmt(lat.get('p50')):>7} {fmt(lat.get('p99')):>7} "
              f"{fmt(lat.get('max')):>7}  {outs}")
    print(f"\n   expected 5xx (injected upstream failure -> status): {r['expected_5xx'] or '-'}")
    print(f"   UNEXPECTED 5xx (client-seen): {r['unexpected_5xx'] or 'none'}")
    print(f"   server-side statuses (/metrics, includes vanished clients; 499 = client gone "
          f"before the answer): { {k: int(v) for k, v in sorted(r['server_http_status'].items())} }")
    print(f"   server-side 5xx by route: {r['server_5xx'] or 'none'}")
    stub = r["upstream_stub"]
    print(f"   upstream stub: {stub.get('requests', 0)} requests, faults "
          f"{ {k[6:]: v for k, v in stub.items() if k.startswith('fault_') and k != 'fault_none'} }"
          f", client gone while waiting {stub.get('client_gone', 0)}")
    print(f"   fault outcomes: {r['fault_outcomes'] or '-'}")
    print(f"   aborts by mode: {r['aborts'] or '-'}")
    if r["anomalies"]:
        print(f"   anomalies: {r['anomalies']}")
    rec = r["recovery"]
    rs = rec["recovery_s"]
    print(f"\n   outages {rec['outages']} (source back {rec['sources_returned']}), recovered "
          f"{rec['recovered']}, NOT RECOVERED within 30 s {rec['not_recovered_within_30s']}, "
          f"killed again before recovering {rec['killed_again_before_recovery']}; "
          f"recovery after the source returned p50 {fmt(rs['p50'])} s, p90 {fmt(rs['p90'])} s, "
          f"max {fmt(rs['max'])} s (1 s polls); reconnects counted by the server "
          f"{fmt(r['reconnects_total'], '.0f')}")
    for k, d in rec["by_kind"].items():
        print(f"     {k:<8} {d['outages']:4d} outages, {d['recovered']:4d} recovered, p50 "
              f"{fmt(d['p50_s'])} s, max {fmt(d['max_s'])} s")
    if rec["restart_errors"]:
        print(f"     publisher restart errors (retried): {rec['restart_errors']}")
    print(f"   stream states at the end: {r['final_stream_states']}; churn cycles "
          f"{r['churn_cycles'] or '-'}")
    sl = r["slopes_after_warmup"]
    print(f"\n   resources (samples every {r['config']['sample_every']:g} s; slopes by least "
          f"squares over t >= {r['warmup_s']:.0f} s, {sl['rss_mib'].get('n', 0)} samples):")
    if samples:
        first, last = samples[0], samples[-1]
        print(f"     RSS     {first['rss_mib']:.1f} -> {last['rss_mib']:.1f} MiB (peak "
              f"{max(s['rss_mib'] for s in samples):.1f}, VmHWM {last['hwm_mib']:.1f}); slope "
              f"{fmt(sl['rss_mib'].get('per_hour'), '+.1f')} MiB/h (r2 "
              f"{fmt(sl['rss_mib'].get('r2'), '.2f')})")
        print(f"     RssAnon {first['anon_mib']:.1f} -> {last['anon_mib']:.1f} MiB (slope "
              f"{fmt(sl['anon_mib'].get('per_hour'), '+.1f')} MiB/h); RssFile {first['file_mib']:.1f}"
              f" -> {last['file_mib']:.1f} MiB (mapped libraries)")
        print(f"     store   {first.get('buffer_mib', 0):.1f} -> {last.get('buffer_mib', 0):.1f} "
              f"MiB; slope {fmt(sl['store_mib'].get('per_hour'), '+.1f')} MiB/h; RSS - store "
              f"slope {fmt(sl['rss_minus_store_mib'].get('per_hour'), '+.1f')} MiB/h")
        print(f"     fds     {first['fds']} -> {last['fds']} (min "
              f"{min(s['fds'] for s in samples)}, max {max(s['fds'] for s in samples)}); slope "
              f"{fmt(sl['fds'].get('per_hour'), '+.1f')} /h")
        print(f"     threads {first['threads']} -> {last['threads']} (min "
              f"{min(s['threads'] for s in samples)}, max {max(s['threads'] for s in samples)}); "
              f"slope {fmt(sl['threads'].get('per_hour'), '+.1f')} /h")
        print(f"     /metrics series {first.get('series')} -> {last.get('series')}; slope "
              f"{fmt(sl['metrics_series'].get('per_hour'), '+.1f')} /h; server CPU "
              f"{fmt(r['server_cpu_cores'], '.2f')} cores, this driver (clients, monitor, stub "
              f"excluded) {fmt(r['driver_cpu_cores'], '.2f')} cores")
    if r["config"]["warmup"] < r["config"]["retention"] + 10:
        print(f"     note: warm-up ({r['warmup_s']:.0f} s) is shorter than the retention "
              f"({r['config']['retention']} s) + 10 s: the slopes include the store filling up")
    lg = r["log"]
    print(f"\n   server log lines by level: {lg['levels']}")
    for msg, n in lg["top_warn_error"][:12]:
        print(f"     {n:6d}  {msg}")
    if lg["unformatted_lines"]:
        print(f"   other log lines: {lg['unformatted_lines'][:5]}")
    if lg["crash_markers"]:
        print("   CRASH MARKERS:\n     " + "\n     ".join(lg["crash_markers"][:10]))
    print(f"   server: {'CRASHED ' + str(r['crash']) if r['crash'] else 'exit on SIGTERM ' + str(r['exit_code_on_sigterm'])}")
    if r["examples"]:
        print("   first examples of unexpected answers / anomalies:")
        for ex in r["examples"][:8]:
            print(f"     {json.dumps(ex)[:300]}")


if __name__ == "__main__":
    sys.exit(main())
