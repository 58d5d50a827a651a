"""Realistic data-page images for the MRZ benchmark: scans, degraded scans, rotated scans
and phone photos, each with the MRZ it shows.

This generator is deliberately separate from `domain.documents.synthetic` (the tidy scans
the unit tests use) and it has two splits with disjoint seeds: `tune`, which the reader may
be developed against, and `test`, the frozen 240 images the README reports. A reader tuned
on the images it is scored on measures itself, not what a portal will send (issue 10).

What a page holds: a tinted, guilloche-patterned background, a photo, a visual zone of
labels and values in a proportional font (with numbers and capitals that look like MRZ
text), and the MRZ in OCR-B at ICAO pitch (10 characters per inch). Families:

- flat: a flatbed scan, within +-1 degree, 8-12 pixels per millimetre, light noise.
- degraded: small (5-7 px/mm), Gaussian blur, sensor noise, uneven light, JPEG quality 40.
- rotated: a scan turned 5-10 degrees either way, a quarter of them upside down as well.
- phone: the page on a textured table, about a third of the frame, perspective tilt,
  rotation within +-10 degrees (some upside down), uneven light, a soft shadow, blur, JPEG.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import string
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pycountry
from PIL import Image, ImageDraw, ImageFont

from domain.documents import specimen

FAMILIES = ("flat", "degraded", "rotated", "phone")
SPLITS = ("tune", "test")
AS_OF = dt.date(2026, 11, 22)
OCRB = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SANS = ("DejaVuSans.ttf", "DejaVuSansCondensed.ttf", "DejaVuSerif.ttf")
SANS_BOLD = ("DejaVuSans-Bold.ttf", "DejaVuSansCondensed-Bold.ttf", "DejaVuSerif-Bold.ttf")

# Surnames chosen to stress look-alikes no check digit protects (O/Q/D/0, I/1/L, S/5, B/8).
SURNAMES = [
    "ERIKSSON",
    "MUELLER",
    "OBRIEN",
    "GARCIA LOPEZ",
    "NGUYEN",
    "KOWALSKI",
    "DUBOIS",
    "ROSSI",
    "SMITH",
    "JOHANSEN",
    "VAN DER BERG",
    "OKAFOR",
    "TANAKA",
    "KARLSSON",
    "OUELLET",
    "QUINN",
    "BOSCO",
    "SOLIS",
    "IBSEN",
    "OSBORNE",
    "DIOP",
    "BOUDOU",
    "QUIROGA",
    "LOBO",
    "GOMEZ",
    "OLIVEIRA",
    "SZABO",
    "OBI",
    "DOSSOU",
    "BISHOP",
    "HOOD",
    "GUDMUNDSDOTTIR",
    "OZTURK",
]
GIVEN = [
    "ANNA",
    "MARIA",
    "JOHN",
    "KARL",
    "SOFIA",
    "LUKAS",
    "ELIF",
    "MOHAMMED",
    "ZOE",
    "PIOTR",
    "OLGA",
    "QUENTIN",
    "ODILE",
    "BO",
    "IB",
    "SIOBHAN",
    "OSCAR",
    "ISO",
    "DOLORES",
    "BOB",
]
_SPECIAL_STATES = ["D", "UTO", "XXA", "GBD", "RKS"]
_ALNUM = string.ascii_uppercase + string.digits


@dataclass(frozen=True, slots=True)
class Case:
    split: str
    family: str
    index: int
    truth: str
    image: bytes
    """JPEG or PNG bytes, as a portal would upload them."""

    @property
    def name(self) -> str:
        return f"{self.split}-{self.family}-{self.index:03d}"


def _name(rng: random.Random, pool: list[str]) -> str:
    if rng.random() < 0.25:  # an unseen name, so no list of names can be memorised
        return "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(3, 10)))
    return rng.choice(pool)


def random_mrz(rng: random.Random) -> str:
    """A valid MRZ (TD3 60%, TD1 30%, TD2 10%) for a made-up person."""
    states = [c.alpha_3 for c in pycountry.countries]
    country = rng.choice(_SPECIAL_STATES) if rng.random() < 0.08 else rng.choice(states)
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 66))
    expiry = AS_OF + dt.timedelta(days=rng.randrange(-400, 3650))
    surname = _name(rng, SURNAMES)
    given = " ".join(_name(rng, GIVEN) for _ in range(rng.choice((1, 1, 2, 3))))
    sex = rng.choice("MFMF<")
    number = "".join(rng.choice(_ALNUM) for _ in range(rng.choice((8, 9, 9, 9))))
    kind = rng.random()
    if kind < 0.6:
        personal = "".join(rng.choice(_ALNUM) for _ in range(rng.choice((0, 0, 9, 11))))
        return specimen.td3(
            surname=surname,
            given_names=given,
            document_number=number,
            nationality=country,
            date_of_birth=birth,
            sex=sex,
            expiry_date=expiry,
            personal_number=personal,
        )
    build = specimen.td1 if kind < 0.9 else specimen.td2
    return build(
        surname=surname,
        given_names=given,
        document_number=number,
        nationality=country,
        date_of_birth=birth,
        sex=sex,
        expiry_date=expiry,
    )


# Page sizes in millimetres per ICAO 9303 part 4/5/6 and the MRZ's left margin and baseline.
_PAGES = {30: (85.6, 54.0), 36: (105.0, 74.0), 44: (125.0, 88.0)}
_PX_PER_MM = 10.0  # drawing resolution; families rescale afterwards
_PITCH_MM = 2.54


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), size)


def _guilloche(rng: random.Random, w: int, h: int) -> np.ndarray:
    """Fine security-print waves: what an MRZ detector must not take for text."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    pattern = np.zeros((h, w), np.float32)
    for _ in range(3):
        f1, f2 = rng.uniform(0.01, 0.04), rng.uniform(0.05, 0.2)
        phase = rng.uniform(0, 6.28)
        pattern += np.sin(xx * f1 + np.sin(yy * f2 + phase) * rng.uniform(1, 4))
    lines: np.ndarray = (np.abs(np.sin(pattern * 3.0)) < 0.08).astype(np.float32)
    return lines


def render_page(truth: str, rng: random.Random) -> Image.Image:
    """The data page as printed, RGB, at `_PX_PER_MM`."""
    lines = truth.split("\n")
    width_chars = len(lines[0])
    w_mm, h_mm = _PAGES[width_chars]
    w, h = int(w_mm * _PX_PER_MM), int(h_mm * _PX_PER_MM)
    tint = np.array([rng.randint(225, 250), rng.randint(225, 250), rng.randint(215, 245)])
    base = np.ones((h, w, 3), np.float32) * tint
    base -= _guilloche(rng, w, h)[..., None] * np.array([rng.randint(15, 45)] * 3)
    page = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(page)
    line_pitch = 4.23 * _PX_PER_MM  # MRZ: 6 lines per inch
    bottom = h - int(h * rng.uniform(0.06, 0.09))
    mrz_top = bottom - line_pitch * len(lines)
    # Photo: a grey-brown gradient box with a face-like ellipse.
    px0, py0 = int(w * 0.04), int(h * 0.2)
    px1, py1 = int(w * 0.04 + h * 0.42), int(min(h * 0.72, mrz_top - h * 0.03))
    draw.rectangle((px0, py0, px1, py1), fill=(rng.randint(150, 200),) * 3)
    draw.ellipse(
        (px0 + (px1 - px0) * 0.2, py0 + 10, px1 - (px1 - px0) * 0.2, py1 - (py1 - py0) * 0.2),
        fill=(rng.randint(90, 160), rng.randint(70, 130), rng.randint(60, 110)),
    )
    # Visual zone: labels small, values larger, mixed fonts; MRZ-looking capitals and digits.
    font_i = rng.randrange(len(SANS))
    label_font = _font(SANS[font_i], int(h * 0.028))
    value_font = _font(SANS_BOLD[font_i], int(h * 0.04))
    title_font = _font(SANS_BOLD[font_i], int(h * 0.05))
    ink = (rng.randint(10, 50), rng.randint(10, 50), rng.randint(40, 90))
    title = rng.choice(("PASSPORT  PASS  PASSEPORT", "IDENTITY CARD  CARTE D'IDENTITE"))
    draw.text((int(w * 0.04), int(h * 0.04)), title, fill=ink, font=title_font)
    name_line = lines[-1] if len(lines) == 3 else lines[0][5:]
    surname, _, given = name_line.partition("<<")
    number = (lines[0][5:14] if len(lines) == 3 else lines[1][0:9]).replace("<", "")
    fields = [
        ("Surname / Nom", surname.replace("<", " ")),
        ("Given names / Prenoms", given.replace("<", " ").strip()),
        ("Document No. / No. du document", number),
        (
            "Date of birth / Date de naissance",
            f"{rng.randint(1, 28):02d} JAN/JAN 19{rng.randint(40, 99)}",
        ),
        ("Authority / Autorite", rng.choice(("MINISTRY OF INTERIOR", "POLICE 0815", "SPA 1B-88"))),
        (
            "Date of expiry / Date d'expiration",
            f"{rng.randint(1, 28):02d} OCT/OCT 20{rng.randint(27, 35)}",
        ),
    ]
    x = px1 + int(w * 0.04)
    y = int(h * 0.17)
    step = int(h * 0.093)
    for label, value in fields:
        if y + h * 0.08 > mrz_top:
            break
        draw.text((x, y), label, fill=ink, font=label_font)
        draw.text((x, y + int(h * 0.03)), value[:26], fill=(15, 15, 25), font=value_font)
        y += step
    # MRZ: OCR-B at 10 cpi, bottom of the page, ICAO margins.
    pitch = _PITCH_MM * _PX_PER_MM
    size = 10
    for candidate in range(10, 80):
        font = ImageFont.truetype(str(OCRB), candidate)
        if font.getlength("<") > pitch:
            break
        size = candidate
    mrz_font = ImageFont.truetype(str(OCRB), size)
    left = (w - pitch * width_chars) / 2
    mrz_ink = (rng.randint(0, 30),) * 3
    for i, line in enumerate(lines):
        top = bottom - line_pitch * (len(lines) - i)
        for j, char in enumerate(line):
            cx = left + j * pitch + (pitch - mrz_font.getlength(char)) / 2
            draw.text((cx, top), char, fill=mrz_ink, font=mrz_font)
    return page


def _to_bytes(image: np.ndarray, quality: int | None) -> bytes:
    pil = Image.fromarray(image)
    out = io.BytesIO()
    if quality is None:
        pil.save(out, format="PNG")
    else:
        pil.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _rotate(image: np.ndarray, degrees: float, border: tuple[int, int, int]) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(image, matrix, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=border)


def _scale(image: np.ndarray, factor: float) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.resize(
        image, (max(int(w * factor), 1), max(int(h * factor), 1)), interpolation=cv2.INTER_AREA
    )


def _noise(rng: random.Random, image: np.ndarray, sigma: float) -> np.ndarray:
    gen = np.random.default_rng(rng.randrange(2**32))
    noisy = image.astype(np.float32) + gen.normal(0, sigma, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma) if sigma > 0 else image


def _light(rng: random.Random, image: np.ndarray, low: float) -> np.ndarray:
    """Uneven light: a tilted gradient times a vignette, darkest at `low`."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * math.pi)
    ramp = (xx / w - 0.5) * math.cos(angle) + (yy / h - 0.5) * math.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    radial = ((xx - cx) ** 2 + (yy - cy) ** 2) / (w * w + h * h)
    gain = 1.0 - (1.0 - low) * np.clip(0.7 * ramp + 1.2 * radial, 0, 1)
    return np.asarray(np.clip(image.astype(np.float32) * gain[..., None], 0, 255), np.uint8)


def _shadow(rng: random.Random, image: np.ndarray) -> np.ndarray:
    """A soft-edged shadow (a hand or the phone) over part of the frame."""
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    x0 = rng.uniform(-0.2, 0.7) * w
    pts = np.array(
        [
            [x0, -10],
            [x0 + rng.uniform(0.2, 0.6) * w, -10],
            [x0 + rng.uniform(0.0, 0.5) * w, h + 10],
            [x0 - rng.uniform(0.1, 0.3) * w, h + 10],
        ],
        np.int32,
    )
    cv2.fillPoly(mask, [pts], 255)
    soft = cv2.GaussianBlur(mask, (0, 0), rng.uniform(15, 40)).astype(np.float32) / 255
    depth = rng.uniform(0.25, 0.45)
    gain = 1.0 - depth * soft
    return np.asarray(np.clip(image.astype(np.float32) * gain[..., None], 0, 255), np.uint8)


def _table(rng: random.Random, w: int, h: int) -> np.ndarray:
    """Wood grain or fabric: texture with edges and print-like contrast, not a blank field."""
    gen = np.random.default_rng(rng.randrange(2**32))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if rng.random() < 0.5:
        warp = cv2.GaussianBlur(gen.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 30) * 60
        grain = np.sin((yy + warp) * rng.uniform(0.05, 0.15)) * 0.5 + 0.5
        colour = np.array([rng.randint(90, 160), rng.randint(60, 110), rng.randint(30, 70)])
        base = colour * (0.7 + 0.3 * grain[..., None])
    else:
        weave = (np.sin(xx * 0.8) * np.sin(yy * 0.8)) * 0.5 + 0.5
        colour = np.array([rng.randint(40, 200) for _ in range(3)])
        base = colour * (0.8 + 0.2 * weave[..., None])
    base += gen.normal(0, 6, (h, w, 1))
    return np.asarray(np.clip(base, 0, 255), np.uint8)


def _phone(rng: random.Random, page: np.ndarray) -> np.ndarray:
    fw, fh = rng.choice(((1280, 960), (1440, 1080), (1600, 1200), (1200, 1600)))
    frame = _table(rng, fw, fh)
    ph, pw = page.shape[:2]
    area = rng.uniform(0.28, 0.40) * fw * fh
    factor = math.sqrt(area / (pw * ph))
    dw, dh = pw * factor, ph * factor
    # Perspective: corners moved up to 7% of the size, then a rotation of the whole quad.
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    jitter = [(rng.uniform(-0.07, 0.07) * dw, rng.uniform(-0.07, 0.07) * dh) for _ in range(4)]
    quad = np.array(
        [
            [0 + jitter[0][0], 0 + jitter[0][1]],
            [dw + jitter[1][0], jitter[1][1]],
            [dw + jitter[2][0], dh + jitter[2][1]],
            [jitter[3][0], dh + jitter[3][1]],
        ],
        np.float32,
    )
    angle = rng.uniform(-10, 10) + (180 if rng.random() < 0.15 else 0)
    theta = math.radians(angle)
    centre = quad.mean(axis=0)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    quad = (quad - centre) @ rot.T
    span = quad.max(axis=0) - quad.min(axis=0)
    room = np.array([fw, fh]) - span
    offset = np.array([rng.uniform(0.15, 0.85) * room[0], rng.uniform(0.15, 0.85) * room[1]])
    quad = (quad - quad.min(axis=0) + offset).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, quad)
    warped = cv2.warpPerspective(page, matrix, (fw, fh), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (fw, fh))
    soft = cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32)[..., None] / 255
    out = (warped * soft + frame * (1 - soft)).astype(np.uint8)
    out = _light(rng, out, rng.uniform(0.5, 0.8))
    if rng.random() < 0.6:
        out = _shadow(rng, out)
    out = _blur(out, rng.uniform(0.4, 1.1))
    return _noise(rng, out, rng.uniform(2, 6))


def make_case(split: str, family: str, index: int) -> Case:
    """Deterministic for (split, family, index); the two splits never share a seed."""
    if split not in SPLITS or family not in FAMILIES:
        raise ValueError(f"unknown split/family {split}/{family}")
    rng = random.Random(f"clearway-mrz-{split}-{family}-{index}")
    truth = random_mrz(rng)
    page = np.asarray(render_page(truth, rng))
    white = (rng.randint(235, 255),) * 3
    if family == "flat":
        margin = rng.randint(20, 60)
        page = cv2.copyMakeBorder(
            page, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=white
        )
        page = _rotate(page, rng.uniform(-1, 1), white)
        page = _scale(page, rng.uniform(0.8, 1.2))
        image, quality = _noise(rng, page, 2), rng.choice((None, 90, 95))
    elif family == "degraded":
        page = cv2.copyMakeBorder(page, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=white)
        page = _rotate(page, rng.uniform(-2, 2), white)
        page = _scale(page, rng.uniform(0.5, 0.7))
        page = _light(rng, page, rng.uniform(0.75, 0.95))
        page = _blur(page, rng.uniform(0.5, 1.2))
        image, quality = _noise(rng, page, rng.uniform(4, 10)), 40
    elif family == "rotated":
        angle = rng.choice((-1, 1)) * rng.uniform(5, 10)
        if rng.random() < 0.25:
            angle += 180
        page = cv2.copyMakeBorder(page, 30, 30, 30, 30, cv2.BORDER_CONSTANT, value=white)
        page = _rotate(page, angle, white)
        page = _scale(page, rng.uniform(0.75, 1.1))
        page = _blur(page, rng.uniform(0.0, 0.6))
        image, quality = _noise(rng, page, 3), rng.choice((75, 85, 95))
    else:
        image, quality = _phone(rng, page), rng.choice((40, 55, 70, 85))
    return Case(split, family, index, truth, _to_bytes(image, quality))


def cases(split: str, per_family: int, families: tuple[str, ...] = FAMILIES) -> list[Case]:
    return [make_case(split, f, i) for f in families for i in range(per_family)]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="write sample images to a folder")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--split", default="tune", choices=SPLITS)
    parser.add_argument("--n", type=int, default=3, help="images per family")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    for case in cases(args.split, args.n):
        ext = "jpg" if case.image[:2] == b"\xff\xd8" else "png"
        (args.folder / f"{case.name}.{ext}").write_bytes(case.image)
        (args.folder / f"{case.name}.txt").write_text(case.truth + "\n")
