"""Render synthetic document scans so OCR can be tested and benchmarked without real IDs.

Real identity documents cannot be committed or shared, so tests and `bench/document_ocr.py`
draw a data page themselves: a visual zone in a proportional font (text the OCR step must
ignore) above an MRZ in OCR-B, the typeface ICAO 9303 mandates, then optionally degrade it
the way phone scans are degraded (slight rotation, blur, sensor noise, JPEG artefacts).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

OCRB_FONT_PATHS = (
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),  # Debian fonts-ocr-b
)
MONO_FONT_PATHS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),  # Debian fonts-dejavu-core
)
SANS_FONT_PATHS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),)


def _first_existing(paths: tuple[Path, ...]) -> Path | None:
    return next((p for p in paths if p.exists()), None)


def mrz_font_path() -> Path | None:
    """OCR-B if installed, else a monospace fallback; None if neither is present."""
    return _first_existing(OCRB_FONT_PATHS) or _first_existing(MONO_FONT_PATHS)


@dataclass(frozen=True, slots=True)
class Degradation:
    rotation_degrees: float = 0.0
    blur_radius: float = 0.0
    noise_fraction: float = 0.0
    """Share of pixels flipped to a random grey level (salt-and-pepper sensor noise)."""
    jpeg_quality: int | None = None


def _font(paths: tuple[Path, ...], size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _first_existing(paths)
    return ImageFont.load_default() if path is None else ImageFont.truetype(str(path), size)


def render_document(
    mrz: str,
    *,
    degradation: Degradation | None = None,
    seed: int = 0,
    font_size: int = 34,
) -> bytes:
    """A data-page image (PNG, or JPEG when `jpeg_quality` is set) with `mrz` at the bottom."""
    deg = degradation or Degradation()
    lines = mrz.strip().splitlines()
    mrz_font = ImageFont.truetype(str(mrz_font_path() or ""), font_size)
    label_font = _font(SANS_FONT_PATHS, font_size // 2 + 4)
    left, top_zone = 40, 230
    char_w = mrz_font.getbbox("<" * 44)[2] / 44
    width = int(left * 2 + char_w * max(len(line) for line in lines))
    line_h = int(font_size * 1.45)
    height = top_zone + line_h * len(lines) + 40
    image = Image.new("L", (width, height), color=246)
    draw = ImageDraw.Draw(image)
    labels = ("PASSPORT / PASS / PASSEPORT", "Surname / Nom", "Given names / Prenoms")
    for i, text in enumerate(labels):
        draw.text((left, 20 + i * 45), text, fill=60, font=label_font)
    draw.rectangle((left, 160, left + 120, 200), outline=120, width=2)
    for i, line in enumerate(lines):
        draw.text((left, top_zone + i * line_h), line, fill=12, font=mrz_font)
    rng = random.Random(seed)
    if deg.rotation_degrees:
        image = image.rotate(
            deg.rotation_degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=246
        )
    if deg.blur_radius:
        image = image.filter(ImageFilter.GaussianBlur(deg.blur_radius))
    if deg.noise_fraction:
        pixels = image.load()
        assert pixels is not None
        w, h = image.size
        for _ in range(int(w * h * deg.noise_fraction)):
            pixels[rng.randrange(w), rng.randrange(h)] = rng.randrange(256)
    out = io.BytesIO()
    if deg.jpeg_quality is not None:
        image.save(out, format="JPEG", quality=deg.jpeg_quality)
    else:
        image.save(out, format="PNG")
    return out.getvalue()
