"""Images generated for the media tests (Pillow only; nothing read from disk)."""

from __future__ import annotations

import io
import random
import struct
import zlib

import numpy as np
from PIL import ExifTags, Image, ImageDraw, PngImagePlugin

SECRET_PLACE = "48 51 24 N, home of someone"


def photo(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A photo-like picture: a gradient under coloured shapes, different for every seed."""
    rng = random.Random(seed)
    width, height = size
    gx = np.linspace(0, 255, width)[None, :]
    gy = np.linspace(0, 255, height)[:, None]
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[..., 0] = (gx * rng.random() + gy * (1 - rng.random())) % 256
    pixels[..., 1] = (gy * rng.random() + 0 * gx) % 256
    pixels[..., 2] = (gx * 0.5 + rng.randint(0, 100) + 0 * gy) % 256
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x0, y0 = rng.randint(0, width), rng.randint(0, height)
        box = [x0, y0, x0 + rng.randint(20, width // 2), y0 + rng.randint(20, height // 2)]
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhareCam"
    exif[ExifTags.Base.Model] = "Serial-0042"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    return exif


def jpeg_with_metadata(image: Image.Image, orientation: int = 1) -> bytes:
    return encode(image, "JPEG", quality=92, exif=exif_with_gps(orientation), comment=SECRET_PLACE.encode(),
                  icc_profile=b"phare-fake-icc-profile" * 4)


def png_with_metadata(image: Image.Image) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", SECRET_PLACE)
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>" + SECRET_PLACE + "</x:xmpmeta>")
    return encode(image, "PNG", exif=exif_with_gps(), pnginfo=info)


def resized_recompressed(data: bytes, scale: float = 0.5, quality: int = 40) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    size = (int(image.width * scale), int(image.height * scale))
    return encode(image.resize(size, Image.Resampling.BILINEAR), "JPEG", quality=quality)


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height`: a decompression bomb's shape."""
    data = encode(Image.new("L", (8, 8)), "PNG")
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    patched = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
    return data[:8] + patched + data[8 + 4 + 4 + 13 + 4:]


def real_bomb_png(side: int) -> bytes:
    """A genuine one-colour PNG of side x side: megapixels in a few kilobytes."""
    return encode(Image.new("L", (side, side), 0), "PNG", optimize=True)


def truncated_jpeg(image: Image.Image) -> bytes:
    data = encode(image, "JPEG", quality=90)
    return data[: len(data) // 3]


def animated_gif() -> bytes:
    frames = [photo(seed, (200, 150)).convert("P") for seed in (31, 32, 33)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()
