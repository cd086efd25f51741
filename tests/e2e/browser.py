"""Debian's Chromium, headless, driven over the DevTools protocol (CDP), as a WebRTC publisher.

The camera is Chromium's fake capture device fed from a y4m file (make_barcode_y4m: every frame
carries the SPEC section 7 barcode of its number in the file), so what the server stores can be
identified frame by frame. The publishing page (publisher.html) is served by PageServer from a
different origin than sightline, as a real web app would be. Nothing here downloads a browser:
CHROMIUM (default /usr/bin/chromium) is the system's.
"""

from __future__ import annotations

import http.server
import itertools
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import requests
import websocket

import sources

CHROMIUM = os.environ.get("SIGHTLINE_CHROMIUM", "/usr/bin/chromium")
HERE = Path(__file__).resolve().parent


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


def make_barcode_y4m(path: Path, width: int, height: int, fps: int, frames: int) -> Path:
    """A y4m file of `frames` frames whose barcodes are 0..frames-1 (Chromium loops it)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.y4m")
    subprocess.run(
        [sources.FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}",
         "-filter_complex", sources.barcode_filter(width, height), "-map", "[v]",
         "-frames:v", str(frames), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", str(tmp)],
        check=True, timeout=120)
    tmp.rename(path)
    return path


def _page_handler(root: Path):
    class _PageHandler(http.server.SimpleHTTPRequestHandler):
        # ES modules (the Overshoot SDK's dist/index.mjs) need a JavaScript MIME type.
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                          ".mjs": "text/javascript", ".js": "text/javascript"}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass
    return _PageHandler


class PageServer:
    """Serves tests/e2e/web (or `root`) on 127.0.0.1:<port>: an origin other than the server's."""

    def __init__(self, root: Path | None = None):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     _page_handler(root or HERE / "web"))
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class CdpError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page; evaluate() runs JS there and returns its value."""

    def __init__(self, workdir: Path, video_file: Path):
        self.workdir = workdir
        self.profile = workdir / "chromium-profile"
        self.profile.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "chromium.log"
        args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--mute-audio", "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video_file}",
                "--allow-loopback-in-peer-connection",
                "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "about:blank"]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.port = self._devtools_port(timeout=30)
        self.ws = None
        self.ids = itertools.count(1)
        self.attach()

    def _devtools_port(self, timeout: float) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.exists():
                text = marker.read_text().split("\n")
                if text and text[0].strip().isdigit():
                    return int(text[0])
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}: {self.tail()}")
            time.sleep(0.05)
        raise TimeoutError(f"chromium did not open its DevTools port: {self.tail()}")

    def attach(self) -> None:
        """Connects to the (first) page target, creating one when none is open."""
        targets = requests.get(f"http://127.0.0.1:{self.port}/json/list", timeout=10).json()
        pages = [t for t in targets if t.get("type") == "page"]
        if not pages:
            pages = [requests.put(f"http://127.0.0.1:{self.port}/json/new?about:blank",
                                  timeout=10).json()]
        self.target_id = pages[0]["id"]
        if self.ws:
            self.ws.close()
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60,
                                              suppress_origin=True)

    def send(self, method: str, **params) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise CdpError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def navigate(self, url: str) -> None:
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.evaluate("document.readyState") == "complete" and \
                    self.evaluate("typeof window.publisherReady") == "boolean":
                return
            time.sleep(0.1)
        raise TimeoutError(f"page {url} did not load")

    def evaluate(self, expression: str, timeout: float = 60):
        """The value of a JS expression (promises awaited); JS exceptions raise CdpError."""
        self.ws.settimeout(timeout)
        r = self.send("Runtime.evaluate", expression=expression, awaitPromise=True,
                      returnByValue=True, timeout=int(timeout * 1000))
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            raise CdpError(f"JS exception: {text}")
        return r.get("result", {}).get("value")

    def call(self, fn: str, *args, timeout: float = 60):
        return self.evaluate(f"{fn}(...{json.dumps(list(args))})", timeout=timeout)

    def close_page(self) -> None:
        """Closes the tab (what a user closing it does); the browser keeps running."""
        self.send("Target.closeTarget", targetId=self.target_id)
        self.ws.close()
        self.ws = None

    def kill(self) -> None:
        """The browser vanishes at once (SIGKILL): no goodbye of any kind reaches the server."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def pids(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        try:
            if self.ws:
                self.ws.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                self.kill()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
