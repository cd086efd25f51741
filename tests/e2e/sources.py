"""Real video sources for the end-to-end tests, each a separate process on loopback.

Every live source draws the SPEC §7 frame barcode (the frame number of the producing process) so
a test can identify any frame the server returns. Sources listen on 127.0.0.1 free ports and
sightline pulls from them, as it would from a camera:
  RtspSource       GstRtspServer camera (tools/rtsp_server.py, Debian's python3-gi)
  FfmpegListener   ffmpeg serving RTMP (-listen 1), SRT (mode=listener) or MPEG-TS over HTTP
                   (-listen 1); ffmpeg serves one client then exits, so a supervisor respawns it
  HlsSource        ffmpeg writing a live HLS playlist, served by an http.server thread
  GarbageHttp      an HTTP server answering random bytes as video/MP2T
  make_barcode_file  a finite MP4/TS with the barcode, for file:// sources
"""

from __future__ import annotations

import atexit
import functools
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYSTEM_PYTHON = "/usr/bin/python3"   # has python3-gi; the venv does not
FFMPEG = os.environ.get("SIGHTLINE_FFMPEG", "ffmpeg")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port that was free a moment ago on 127.0.0.1 (TCP, or UDP with SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def barcode_filter(width: int, height: int) -> str:
    """A filter graph drawing the SPEC §7 barcode on [0:v], output [v].

    Pixel-identical to the SPEC's single geq, but geq runs only on the top band (cropped and
    overlaid back), which costs a few times less CPU on the shared test machine.
    """
    band = max(32, height // 8)
    return (
        f"[0:v]format=yuv420p,split[m][t];"
        f"[t]crop=iw:{band}:0:0,"
        f"geq=lum='if(mod(floor(N/pow(2,15-floor(X*16/W))),2),235,16)':cb=128:cr=128[bar];"
        f"[m][bar]overlay=0:0:format=yuv420,format=yuv420p[v]"
    )


def ffmpeg_barcode_input(width: int, height: int, fps: int, realtime: bool = True) -> list[str]:
    args = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "warning"]
    if realtime:
        args.append("-re")
    args += ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}",
             "-filter_complex", barcode_filter(width, height), "-map", "[v]",
             "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-threads", "1",
             "-g", str(fps), "-pix_fmt", "yuv420p"]
    return args


_LIVE: set["Proc"] = set()   # started and not yet stopped; killed at exit if a test could not


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_LIVE):
        proc.stop(signal.SIGKILL, timeout=2)


class Proc:
    """A child process in its own session, logging to a file, always reaped by stop() (or at
    interpreter exit, when the run was interrupted before its fixture could stop it)."""

    def __init__(self, args: list[str], log_path: Path, env: dict | None = None):
        self.args = args
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.popen = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                      stderr=subprocess.STDOUT, start_new_session=True, env=env)
        _LIVE.add(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_for_output(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log_path.read_text(errors="replace"):
                return
            if not self.alive():
                raise RuntimeError(f"{self.args[0]} exited ({self.popen.returncode}) before "
                                   f"printing {needle!r}:\n{self.tail()}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.args[0]} did not print {needle!r} in {timeout}s:\n{self.tail()}")

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int | None:
        """Signals the process (only this pid's own process group) and reaps it."""
        if self.alive():
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(5)
        self.log.close()
        _LIVE.discard(self)
        return self.popen.returncode


class RtspSource:
    """A live RTSP camera (H.264 over RTP), shared media, barcode = frames since it started."""

    def __init__(self, workdir: Path, width: int = 320, height: int = 240, fps: int = 30):
        self.port = free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"
        self.proc = Proc([SYSTEM_PYTHON, str(HERE / "tools" / "rtsp_server.py"),
                          "--port", str(self.port), "--width", str(width),
                          "--height", str(height), "--fps", str(fps)],
                         workdir / f"rtsp-{self.port}.log")
        self.proc.wait_for_output("rtsp ready", timeout=15)

    def stop(self) -> None:
        self.proc.stop()


class FfmpegListener:
    """ffmpeg serving one live stream that sightline pulls: kind is rtmp, srt or ts_http.

    An ffmpeg listener serves a single client and exits when it leaves, so a supervisor thread
    respawns it on the same port (as a camera would accept the next connection). kill() stops
    it for good until start() is called again; the barcode restarts at 0 in every new process.
    input_args replaces the live barcode encoder with other ffmpeg input arguments (the
    benchmarks serve a pre-encoded file with `-re -stream_loop -1 -i FILE -c copy`).
    """

    def __init__(self, kind: str, workdir: Path, width: int = 320, height: int = 240,
                 fps: int = 30, port: int | None = None, input_args: list[str] | None = None):
        self.kind = kind
        self.input_args = input_args
        self.workdir = workdir
        self.width, self.height, self.fps = width, height, fps
        if kind == "rtmp":
            self.port = port or free_port()
            self.url = f"rtmp://127.0.0.1:{self.port}/live/test"
            self.out = ["-f", "flv", "-listen", "1", self.url]
        elif kind == "srt":
            self.port = port or free_port(socket.SOCK_DGRAM)
            self.url = f"srt://127.0.0.1:{self.port}?mode=caller"
            self.out = ["-f", "mpegts", f"srt://127.0.0.1:{self.port}?mode=listener"]
        elif kind == "ts_http":
            self.port = port or free_port()
            self.url = f"http://127.0.0.1:{self.port}/live.ts"
            self.out = ["-f", "mpegts", "-listen", "1", self.url]
        else:
            raise ValueError(kind)
        self.spawns = 0
        self._lock = threading.Lock()
        self._proc: Proc | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.start()

    def start(self) -> None:
        self._stopped.clear()
        self._thread = threading.Thread(target=self._supervise, daemon=True)
        self._thread.start()
        self.wait_listening(timeout=10)

    def _supervise(self) -> None:
        source = self.input_args or ffmpeg_barcode_input(self.width, self.height, self.fps)
        args = source + self.out
        while not self._stopped.is_set():
            with self._lock:
                if self._stopped.is_set():
                    return
                self._proc = Proc(args, self.workdir / f"{self.kind}-{self.port}.log")
                self.spawns += 1
            proc = self._proc
            while proc.alive() and not self._stopped.is_set():
                time.sleep(0.05)
            proc.stop()
            time.sleep(0.1)

    def wait_listening(self, timeout: float) -> None:
        """Waits until the port is bound (TCP kinds; SRT binds UDP at once, give it a moment)."""
        deadline = time.monotonic() + timeout
        if self.kind == "srt":
            while time.monotonic() < deadline:
                try:
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                        s.bind(("127.0.0.1", self.port))
                except OSError:
                    return   # taken: ffmpeg has bound it
                time.sleep(0.05)
            raise TimeoutError(f"srt listener not bound on {self.port}")
        while time.monotonic() < deadline:
            if _tcp_listening(self.port):
                return
            time.sleep(0.05)
        raise TimeoutError(f"{self.kind} listener not up on {self.port}:\n{self.tail()}")

    def kill(self) -> None:
        """Stops serving (the connected client sees the peer vanish) until start()."""
        with self._lock:
            self._stopped.set()
            proc = self._proc
        if proc:
            proc.stop(signal.SIGKILL)
        if self._thread:
            self._thread.join(10)

    stop = kill

    def tail(self) -> str:
        return self._proc.tail() if self._proc else ""


def _tcp_listening(port: int) -> bool:
    """Whether something listens on (or, a one-client listener, has accepted on) the port."""
    # Probing with connect() would make a one-client ffmpeg listener serve (and exit for) us, so
    # read the kernel's socket table instead. An ffmpeg listener closes its listening socket
    # once it accepts, and a reconnecting client may get there first: an established
    # connection on the port counts as up too.
    want = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 3 and parts[1].endswith(want) and parts[3] in ("0A", "01"):
                return True
    return False


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class HttpServerThread:
    """An http.server on 127.0.0.1:free port in a thread."""

    def __init__(self, handler):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class HlsSource:
    """ffmpeg writing a live HLS playlist (1 s segments) into a directory served over HTTP."""

    def __init__(self, workdir: Path, width: int = 320, height: int = 240, fps: int = 30):
        self.dir = workdir / f"hls-{os.getpid()}-{time.monotonic_ns()}"
        self.dir.mkdir(parents=True)
        self.proc = Proc(ffmpeg_barcode_input(width, height, fps) +
                         ["-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                          "-hls_flags", "delete_segments",
                          "-hls_segment_filename", str(self.dir / "seg%05d.ts"),
                          str(self.dir / "live.m3u8")],
                         workdir / f"{self.dir.name}.log")
        self.http = HttpServerThread(functools.partial(_QuietHandler, directory=str(self.dir)))
        self.url = f"http://127.0.0.1:{self.http.port}/live.m3u8"
        deadline = time.monotonic() + 15
        while not (self.dir / "live.m3u8").exists():
            if time.monotonic() > deadline or not self.proc.alive():
                raise RuntimeError(f"no HLS playlist:\n{self.proc.tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.stop()
        self.http.stop()


class _GarbageHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "video/MP2T")
        self.end_headers()
        try:
            for _ in range(2000):   # ~4 MB, then close: the client reconnects
                self.wfile.write(os.urandom(2048))
                time.sleep(0.002)
        except OSError:
            pass


class GarbageHttp:
    """Answers every GET with random bytes labelled video/MP2T."""

    def __init__(self):
        self.http = HttpServerThread(_GarbageHandler)
        self.url = f"http://127.0.0.1:{self.http.port}/garbage.ts"

    def stop(self) -> None:
        self.http.stop()


def make_barcode_file(path: Path, seconds: int = 10, width: int = 320, height: int = 240,
                      fps: int = 30) -> Path:
    """Writes a finite H.264 file (container from the suffix) whose frame k carries barcode k."""
    args = ffmpeg_barcode_input(width, height, fps, realtime=False)
    args += ["-frames:v", str(seconds * fps), "-y", str(path)]
    subprocess.run(args, check=True, stdin=subprocess.DEVNULL, timeout=120,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return path


if __name__ == "__main__":   # manual check: python sources.py rtmp|srt|ts_http|hls|rtsp
    kind = sys.argv[1]
    wd = Path("/tmp")
    src = {"rtsp": lambda: RtspSource(wd), "hls": lambda: HlsSource(wd)}.get(
        kind, lambda: FfmpegListener(kind, wd))()
    print(src.url, flush=True)
    try:
        time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 3600)
    finally:
        src.stop()
