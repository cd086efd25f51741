"""Shared pieces of the foundation benchmarks: the real server and real loopback sources (from the
e2e harness in tests/e2e, imported, not copied), the cached 720p30 media, process CPU and memory
readers, a curl-based HTTP load client, and plain statistics and printing.

The machine these run on is small and shared, so every benchmark measures its own baseline in the
same run and prints ratios; absolute figures are only meaningful next to the load printed with
them. Nothing here is pass/fail.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
E2E = REPO / "tests" / "e2e"
sys.path.insert(0, str(E2E))

import conftest  # noqa: E402  (the e2e harness: Server, Api, new_key)
import sources   # noqa: E402  (FfmpegListener, RtspSource, barcode_filter)
from tools.stub_upstream import StubUpstream  # noqa: E402,F401  (re-exported for benches)

CACHE = REPO / "bench" / ".cache"
FFMPEG = sources.FFMPEG
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# The benchmark media: 720p30 H.264, keyframe every 30 frames (1 s), ~2 Mbit/s, no B-frames (as
# most cameras send), with the SPEC §7 barcode so frames can be identified.
MEDIA_W, MEDIA_H, MEDIA_FPS = 1280, 720, 30
MEDIA_SECONDS = 20
MEDIA_KBPS = 2000


# ---------------------------------------------------------------------------------------------
# Command line and run context

def arg_parser(description: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--bin", default=os.environ.get("SIGHTLINE_BIN", str(REPO / "build" /
                                                                      "sightline")),
                    help="sightline binary (default $SIGHTLINE_BIN or build/sightline)")
    ap.add_argument("--workdir", default=None, help="keep logs here (default: a temp dir)")
    ap.add_argument("--json", default=None, help="also write the results as JSON to this file")
    ap.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                    help="extra sightline serve argument (repeat), e.g. --server-arg=--threads=8")
    return ap


@contextlib.contextmanager
def run_context(args, name: str):
    """Sets the binary for the harness, makes a work dir, prints the header; yields the dir."""
    os.environ["SIGHTLINE_BIN"] = str(Path(args.bin).resolve())
    if not os.access(os.environ["SIGHTLINE_BIN"], os.X_OK):
        sys.exit(f"sightline binary not found: {os.environ['SIGHTLINE_BIN']} (use --bin)")
    tmp = None
    if args.workdir:
        wd = Path(args.workdir) / name
        wd.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix=f"sl-bench-{name}-")
        wd = Path(tmp.name)
    print(f"== {name}  binary={os.environ['SIGHTLINE_BIN']}")
    print(f"   machine: {os.cpu_count()} CPUs, {load_text()}")
    try:
        yield wd
    finally:
        print(f"   load at end: {load_text()}")
        if tmp:
            tmp.cleanup()


def load_text() -> str:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return f"loadavg {one} {five} {fifteen}"


def write_json(args, results: dict) -> None:
    if args.json:
        results = {"load_at_end": load_text(), **results}
        Path(args.json).write_text(json.dumps(results, indent=1))


def start_server(args, workdir: Path, *extra: str) -> "conftest.Server":
    """A sightline process with one fresh key, quiet logs, room for many streams, plus the
    --server-arg arguments."""
    # The harness finds the port in the (appended) log: a kept work dir must not hold an old one.
    (workdir / "server" / "sightline.log").unlink(missing_ok=True)
    return conftest.Server(workdir / "server", [conftest.new_key()],
                           ["--max-streams-per-key", "64", "--log-level", "warn", *extra,
                            *args.server_arg])


# ---------------------------------------------------------------------------------------------
# Media

def media_file(seconds: int = MEDIA_SECONDS) -> Path:
    """The cached 720p30 H.264 MP4 (encoded once, ~20-60 s of CPU), or a longer copy of it made
    by looping the packets (no re-encode)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    base = CACHE / f"barcode-{MEDIA_W}x{MEDIA_H}p{MEDIA_FPS}-{MEDIA_KBPS}k-{MEDIA_SECONDS}s.mp4"
    if not base.exists():
        print(f"   encoding {base.name} (once; cached under bench/.cache) ...", flush=True)
        part = base.with_suffix(".part.mp4")
        args = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error",
                "-f", "lavfi", "-i", f"testsrc2=size={MEDIA_W}x{MEDIA_H}:rate={MEDIA_FPS}",
                "-filter_complex", sources.barcode_filter(MEDIA_W, MEDIA_H), "-map", "[v]",
                "-frames:v", str(MEDIA_SECONDS * MEDIA_FPS),
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-bf", "0",
                "-g", str(MEDIA_FPS), "-keyint_min", str(MEDIA_FPS), "-sc_threshold", "0",
                "-b:v", f"{MEDIA_KBPS}k", "-maxrate", f"{MEDIA_KBPS}k",
                "-bufsize", f"{MEDIA_KBPS}k", "-movflags", "+faststart", "-y", str(part)]
        subprocess.run(args, check=True, stdin=subprocess.DEVNULL, timeout=600)
        part.rename(base)
    if seconds == MEDIA_SECONDS:
        return base
    longer = base.with_name(base.stem + f"-loop{seconds}s.mp4")
    if not longer.exists():
        loops = -(-seconds // MEDIA_SECONDS) - 1
        part = longer.with_suffix(".part.mp4")
        subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error",
                        "-stream_loop", str(loops), "-i", str(base), "-c", "copy",
                        "-t", str(seconds), "-y", str(part)],
                       check=True, stdin=subprocess.DEVNULL, timeout=300)
        part.rename(longer)
    return longer


def media_bitrate_kbps(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=bit_rate",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True,
                         check=True).stdout.strip()
    return float(out) / 1000


def loop_input(path: Path) -> list[str]:
    """ffmpeg input args that replay a file forever in real time without re-encoding."""
    return [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
            "-stream_loop", "-1", "-i", str(path), "-c", "copy"]


def file_listener(kind: str, workdir: Path, path: Path) -> "sources.FfmpegListener":
    """A live rtmp / srt / ts_http source replaying `path` (cheap: no encoder)."""
    return sources.FfmpegListener(kind, workdir, input_args=loop_input(path))


def wait_listener_ready(src, settle: float = 0.6) -> None:
    """After a client left a one-client ffmpeg listener, waits for the respawned one."""
    time.sleep(settle)
    if hasattr(src, "wait_listening"):
        src.wait_listening(timeout=10)


# ---------------------------------------------------------------------------------------------
# Processes: CPU and memory

def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads, live and exited), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """Resident bytes now (VmRSS) or at the peak so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} for {pid}")


def metrics(srv) -> dict[str, float]:
    """Prometheus samples of the server's /metrics as {'name{labels}': value}."""
    text = srv.api(None).get("/metrics").text
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def metric_sum(samples: dict[str, float], name: str) -> float:
    return sum(v for k, v in samples.items() if k == name or k.startswith(name + "{"))


# ---------------------------------------------------------------------------------------------
# HTTP load: curl, one process per client, each reusing one keep-alive connection and printing
# one line per transfer (C client: no interpreter overhead or GIL in the measured times).

# To stderr, which is unbuffered: a client stopped mid-run still leaves every finished line.
CURL_FORMAT = "%{stderr}%{http_code} %{time_starttransfer} %{time_total} %{size_download} " \
              "%header{x-frame-index}\\n"


class CurlClient:
    """Fetches `urls` in order on one connection, optionally at `rate` (e.g. "10/s")."""

    def __init__(self, urls: list[str], key: str, workdir: Path, rate: str | None = None,
                 tag: str = "c"):
        self.cfg = workdir / f"curl-{tag}-{time.monotonic_ns()}.txt"
        with open(self.cfg, "w") as f:
            for u in urls:
                f.write(f'url = "{u}"\noutput = "/dev/null"\n')
        args = ["curl", "-s", "-H", f"Authorization: Bearer {key}", "-w", CURL_FORMAT,
                "--config", str(self.cfg)]
        if rate:
            args += ["--rate", rate]
        # Timings go to a file, not a pipe: a full pipe would stall the client mid-measurement.
        self.out_path = self.cfg.with_suffix(".out")
        with open(self.out_path, "w") as out:
            self.popen = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=out,
                                          stdin=subprocess.DEVNULL)

    def results(self, timeout: float = 600) -> list[dict]:
        self.popen.wait(timeout)
        rows = []
        for line in self.out_path.read_text().splitlines():
            parts = line.split()
            if len(parts) < 4:
                continue
            rows.append({"status": int(parts[0]), "ttfb_s": float(parts[1]),
                         "total_s": float(parts[2]), "bytes": int(parts[3]),
                         "index": int(parts[4]) if len(parts) > 4 and parts[4].isdigit() else None})
        return rows

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(5)


def timed_run(args: list[str], timeout: float = 120) -> tuple[float, int]:
    """Wall time (s) and exit status of a command, output discarded."""
    t0 = time.perf_counter()
    p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeout)
    return time.perf_counter() - t0, p.returncode


def ffmpeg_first_jpeg(url: str, out: Path) -> tuple[float, int]:
    """The by-hand baseline: `ffmpeg -i URL -frames:v 1 out.jpg`, default options."""
    return timed_run([FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", url,
                      "-frames:v", "1", "-y", str(out)], timeout=60)


# ---------------------------------------------------------------------------------------------
# Statistics and printing

def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank on the sorted values)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def table(rows: list[list], header: list[str]) -> str:
    cols = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cols) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cols]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join("   " + line for line in lines)


def have_tool(name: str) -> bool:
    return shutil.which(name) is not None


class PerfRecord:
    """`perf record` of one process while a with-block runs; report() gives the top libraries
    (sightline's FFmpeg libraries carry no symbols, so shares by library say most)."""

    def __init__(self, pid: int, out: Path, enabled: bool = True):
        self.pid, self.out, self.enabled = pid, out, enabled
        self.popen = None

    def __enter__(self):
        if self.enabled and have_tool("perf"):
            self.popen = subprocess.Popen(["perf", "record", "-q", "-F", "999", "-p",
                                           str(self.pid), "-o", str(self.out)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)   # attached
        return self

    def __exit__(self, *exc):
        if self.popen:
            self.popen.send_signal(signal.SIGINT)
            self.popen.wait(30)

    def report(self, sort: str = "dso", limit: float = 1.0, lines: int = 20) -> str:
        if not self.popen or not self.out.exists():
            return "   (perf not available)"
        rep = subprocess.run(["perf", "report", "-i", str(self.out), "--stdio", "--no-children",
                              "--sort", sort, "--percent-limit", str(limit)],
                             capture_output=True, text=True, timeout=120)
        rows = [l.rstrip() for l in rep.stdout.splitlines() if l.strip() and
                not l.startswith("#")]
        return "\n".join("   " + l for l in rows[:lines])

