#!/usr/bin/python3
"""A live RTSP camera for the end-to-end tests: H.264 320x240 frames carrying the SPEC §7 barcode.

Debian's ffmpeg cannot serve RTSP, so this uses GstRtspServer (Debian's python3-gi and
gir1.2-gst-rtsp-server-1.0; run it with /usr/bin/python3, not the test venv). Frames are drawn
in pure Python (no numpy: the system interpreter may not have it) and pushed into an appsrc at
the frame rate from a feeder thread, so the stream is live: a client joining late sees the
current frame, not frame 0. The media is shared: every client sees the same frames.

Usage: rtsp_server.py --port PORT [--path /cam] [--width 320 --height 240 --fps 30]
Prints "rtsp ready rtsp://127.0.0.1:PORT/cam" on stdout once it listens; SIGTERM stops it.
"""

import argparse
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def barcode_luma_plane(width, height, index, body):
    """The luma plane of one frame: the barcode band on top of a precomputed body."""
    band = max(32, height // 8)
    value = index % 65536
    row = bytearray()
    for i in range(16):
        x0 = i * width // 16
        x1 = (i + 1) * width // 16
        row += bytes([235 if (value >> (15 - i)) & 1 else 16]) * (x1 - x0)
    return bytes(row) * band + body[band * width:]


def make_body(width, height, shift):
    """A cheap moving gradient below the band, so the picture is not static."""
    row = bytes(((x + shift) * 255 // max(1, width)) % 256 for x in range(width))
    return row * height


class Feeder(threading.Thread):
    """Pushes frames into one media's appsrc at the frame rate until stopped."""

    def __init__(self, appsrc, width, height, fps, start_index):
        super().__init__(daemon=True)
        self.appsrc = appsrc
        self.width, self.height, self.fps = width, height, fps
        self.index = start_index
        self.stopped = threading.Event()
        self.chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)
        self.bodies = [make_body(width, height, s * 8) for s in range(width // 8)]

    def run(self):
        period = 1.0 / self.fps
        duration = int(Gst.SECOND / self.fps)
        next_t = time.monotonic()
        while not self.stopped.is_set():
            body = self.bodies[(self.index // 2) % len(self.bodies)]
            data = barcode_luma_plane(self.width, self.height, self.index, body) + self.chroma
            # A copy owned by GStreamer: a wrapped Python bytes object may be freed while the
            # encoder still reads it.
            buf = Gst.Buffer.new_allocate(None, len(data), None)
            buf.fill(0, data)
            # No pts: do-timestamp stamps each buffer with the pipeline's running time, so
            # a media created for a late client is not behind its clock (late RTP is dropped).
            buf.duration = duration
            ret = self.appsrc.emit("push-buffer", buf)
            if ret != Gst.FlowReturn.OK:
                break
            self.index += 1
            next_t += period
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_t = time.monotonic()


class Factory(GstRtspServer.RTSPMediaFactory):
    def __init__(self, width, height, fps):
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.next_index = 0
        self.feeders = []
        self.set_shared(True)
        # threads=1: with zerolatency's sliced threads each frame is several slices, and the
        # RTP round trip (rtph264pay -> FFmpeg's depacketiser) then mis-splits frames.
        self.set_launch(
            "( appsrc name=src is-live=true format=time do-timestamp=true "
            f"caps=video/x-raw,format=I420,width={width},height={height},framerate={int(fps)}/1 "
            "! queue max-size-buffers=4 leaky=downstream "
            "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bframes=0 threads=1 "
            "! video/x-h264,profile=constrained-baseline "
            "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        self.connect("media-configure", self.on_media_configure)

    def on_media_configure(self, _factory, media):
        appsrc = media.get_element().get_child_by_name("src")
        feeder = Feeder(appsrc, self.width, self.height, self.fps, self.next_index)
        self.feeders.append(feeder)
        media.connect("unprepared", lambda *_: self.on_unprepared(feeder))
        feeder.start()


    def on_unprepared(self, feeder):
        feeder.stopped.set()
        self.next_index = feeder.index   # a later media keeps counting, like a real camera


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/cam")
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=240)
    ap.add_argument("--fps", type=int, default=30)
    args = ap.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = Factory(args.width, args.height, args.fps)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"rtsp failed to bind port {args.port}", file=sys.stderr, flush=True)
        return 1

    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print(f"rtsp ready rtsp://127.0.0.1:{args.port}{args.path}", flush=True)
    loop.run()
    for f in factory.feeders:
        f.stopped.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
