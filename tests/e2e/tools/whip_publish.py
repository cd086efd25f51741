#!/usr/bin/python3
"""A WHIP publisher (RFC 9725) built on GStreamer's webrtcbin, for the system Python with
python3-gi: videotestsrc -> VP8 or H.264 -> webrtcbin, a non-trickle offer POSTed with the bearer
token, the 201 answer applied, and on SIGTERM/SIGINT a DELETE of the session's Location.
Debian 12's GStreamer (1.22) has no whipsink, so this is the independent WHIP client of the
end-to-end tests; it also works as a manual publisher:

    /usr/bin/python3 tests/e2e/tools/whip_publish.py URL TOKEN [--codec h264] [--loopback]
"""

import argparse
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("--codec", choices=["vp8", "h264"], default="vp8")
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=240)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--bitrate", type=int, default=0, help="kbit/s (0: the encoder's default)")
    ap.add_argument("--pattern", default="ball", help="videotestsrc pattern")
    ap.add_argument("--loopback", action="store_true",
                    help="gather ICE candidates on 127.0.0.1 only (tests)")
    args = ap.parse_args()
    Gst.init(None)

    raw = (f"videotestsrc is-live=true pattern={args.pattern} ! video/x-raw,width={args.width},"
           f"height={args.height},framerate={args.fps}/1 ! ")
    rate = ""
    if args.bitrate:
        rate = f" bitrate={args.bitrate}" if args.codec == "h264" else \
            f" target-bitrate={args.bitrate * 1000}"
    if args.codec == "h264":
        enc = (f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60{rate} ! "
               "video/x-h264,profile=constrained-baseline ! rtph264pay pt=102 config-interval=-1 ! "
               "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000 ! ")
    else:
        enc = (f"vp8enc deadline=1 keyframe-max-dist=60{rate} ! rtpvp8pay pt=96 ! "
               "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! ")
    pipeline = Gst.parse_launch(raw + enc + "webrtcbin name=send bundle-policy=max-bundle")
    webrtc = pipeline.get_by_name("send")
    if args.loopback:
        gi.require_version("Nice", "0.1")
        from gi.repository import Nice  # noqa: E402
        ice = webrtc.get_property("ice-agent")   # one reference, kept while configuring
        agent = ice.get_property("agent")
        addr = Nice.Address()
        addr.set_from_string("127.0.0.1")
        agent.add_local_address(addr)
        ice.set_property("ice-tcp", False)

    pipeline.set_state(Gst.State.PLAYING)
    # Each promise stays referenced while what it replied is in use (the reply owns the offer).
    offer_promise = Gst.Promise.new()
    webrtc.emit("create-offer", None, offer_promise)
    offer_promise.wait()
    offer_reply = offer_promise.get_reply()
    offer = offer_reply.get_value("offer")
    local_promise = Gst.Promise.new()
    webrtc.emit("set-local-description", offer, local_promise)
    local_promise.wait()
    done = threading.Event()
    webrtc.connect("notify::ice-gathering-state",
                   lambda w, _p: done.set()
                   if w.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE
                   else None)
    if webrtc.get_property("ice-gathering-state") != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
        done.wait(10)
    sdp = webrtc.get_property("local-description").sdp.as_text()

    req = urllib.request.Request(args.url, data=sdp.encode(), method="POST", headers={
        "Content-Type": "application/sdp", "Authorization": f"Bearer {args.token}"})
    t0 = time.monotonic()
    try:
        resp = urllib.request.urlopen(req, timeout=15)
    except urllib.error.HTTPError as e:
        print(f"WHIP POST failed: {e.code} {e.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    location = urllib.parse.urljoin(args.url, resp.headers["Location"])
    answer_text = resp.read().decode()
    answered = time.monotonic()
    print(f"WHIP session {location} answer_ms={(answered - t0) * 1000:.1f} "
          f"answered_wall_ms={int(time.time() * 1000)}", flush=True)
    _, msg = GstSdp.SDPMessage.new_from_text(answer_text)
    answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
    remote_promise = Gst.Promise.new()
    webrtc.emit("set-remote-description", answer, remote_promise)
    remote_promise.wait()

    loop = GLib.MainLoop()

    def stop(*_):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, stop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, stop)
    loop.run()
    req = urllib.request.Request(location, method="DELETE",
                                 headers={"Authorization": f"Bearer {args.token}"})
    try:
        print(f"WHIP DELETE: {urllib.request.urlopen(req, timeout=10).status}", flush=True)
    except urllib.error.HTTPError as e:
        print(f"WHIP DELETE failed: {e.code}", file=sys.stderr)
    pipeline.set_state(Gst.State.NULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
