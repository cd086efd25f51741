"""Reading back what sightline sent upstream: data URLs, JPEG sizes, SPEC §7 barcodes, MP4 frames.

A frame's barcode is its lifetime index (mod 65536) for the `test_pattern` source, so decoding the
images the stub upstream received proves which frames sightline selected.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from barcode import read_barcode  # tests/e2e/barcode.py, shared with the other e2e suites

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
_DATA_URL = re.compile(r"^data:([^;,]+)(;base64)?,(.*)$", re.S)
TIME_TEXT = re.compile(r"^t=(\d+(?:\.\d+)?)s$")


def data_url_bytes(url: str, mime: str | None = None) -> bytes:
    m = _DATA_URL.match(url)
    assert m, f"not a data: URL: {url[:60]!r}"
    if mime is not None:
        assert m.group(1) == mime, f"data URL type {m.group(1)!r}, expected {mime!r}"
    assert m.group(2), "data URL is not base64"
    return base64.b64decode(m.group(3), validate=True)


@dataclass
class Picture:
    index: int      # barcode value
    width: int
    height: int
    data: bytes     # the encoded bytes as received


def decode_jpeg(data: bytes, source_height: int | None = None) -> Picture:
    """source_height: the height the frame was drawn at, when sightline may have downscaled it."""
    assert data[:3] == b"\xff\xd8\xff", "not a JPEG"
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG", img.format
        w, h = img.size
    return Picture(read_barcode(data, source_height), w, h, data)


def decode_image_url(url: str, source_height: int | None = None) -> Picture:
    return decode_jpeg(data_url_bytes(url, "image/jpeg"), source_height)


def mp4_frames(data: bytes, source_height: int | None = None) -> list[Picture]:
    """Every frame stored in an MP4, in presentation order, without duplicating or dropping any
    (passthrough timing), decoded with the ffmpeg CLI."""
    with tempfile.TemporaryDirectory(prefix="sl-mp4-") as d:
        src = Path(d) / "in.mp4"
        src.write_bytes(data)
        proc = subprocess.run(
            [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(src),
             "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "image2",
             str(Path(d) / "f%05d.png")],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        assert proc.returncode == 0, f"ffmpeg could not decode the MP4: {proc.stderr.decode()}"
        out = []
        for p in sorted(Path(d).glob("f*.png")):
            png = p.read_bytes()
            with Image.open(io.BytesIO(png)) as img:
                w, h = img.size
            out.append(Picture(read_barcode(png, source_height), w, h, b""))
        return out


def mp4_format_name(data: bytes) -> str:
    """ffprobe's container name for the bytes (e.g. "mov,mp4,m4a,3gp,3g2,mj2")."""
    with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        f.write(data)
        f.flush()
        proc = subprocess.run(
            [shutil.which("ffprobe") or "ffprobe", "-v", "error", "-show_entries",
             "format=format_name", "-of", "default=nw=1:nk=1", f.name],
            capture_output=True, timeout=30)
        return proc.stdout.decode().strip()


@dataclass
class UpPart:
    """One content part as the upstream saw it, with its picture(s) decoded."""
    type: str
    raw: dict
    picture: Picture | None = None          # image_url with a data: JPEG
    video: list[Picture] | None = None      # video_url with a data: MP4
    time_s: float | None = None             # text part "t=12.5s"


def upstream_parts(content, source_height: int | None = None) -> list[UpPart]:
    """Decodes a message's content as received upstream (string content gives []).
    source_height: as for decode_jpeg (all pictures of the message were drawn at it)."""
    if isinstance(content, str) or content is None:
        return []
    out = []
    for part in content:
        t = part.get("type")
        up = UpPart(t, part)
        if t == "image_url":
            url = part["image_url"]["url"]
            if url.startswith("data:image/jpeg"):
                up.picture = decode_image_url(url, source_height)
        elif t == "video_url":
            url = part["video_url"]["url"]
            if url.startswith("data:video/mp4"):
                up.video = mp4_frames(data_url_bytes(url, "video/mp4"), source_height)
        elif t == "text":
            m = TIME_TEXT.match(part.get("text", ""))
            if m:
                up.time_s = float(m.group(1))
        out.append(up)
    return out


def frames_mode_segment(parts: list[UpPart], start: int, count: int) -> list[UpPart]:
    """`count` frames-mode (time text, image) pairs starting at parts[start]; returns the image
    parts after checking that each is preceded by its "t=...s" text part."""
    images = []
    for k in range(count):
        text, image = parts[start + 2 * k], parts[start + 2 * k + 1]
        assert text.type == "text" and text.time_s is not None, \
            f"part {start + 2 * k} should be a time text like 't=12.5s', got {text.raw}"
        assert image.type == "image_url" and image.picture is not None, \
            f"part {start + 2 * k + 1} should be a JPEG image_url, got {str(image.raw)[:120]}"
        images.append(image)
    return images
