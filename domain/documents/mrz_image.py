"""Find the machine-readable zone in a photo or scan and cut each MRZ line out straight.

A portal receives phone photos: the page is a third of the frame, on a textured table,
tilted up to ten degrees (or upside down), in perspective, under uneven light. Tesseract
reads a clean, horizontal line of OCR-B well and everything else badly, so this module does
the geometry before any OCR:

1. Ink: a local (adaptive) threshold, so shadows and light gradients do not matter.
2. Character size: the median height of ink components, so kernels scale with the text
   instead of with the image (a full-page scan and a small document in a photo differ 3x).
3. Text lines: a horizontal closing joins each line's characters into one blob; a tilt of
   ten degrees still joins them, because neighbouring characters overlap vertically.
4. The MRZ: two or three long, parallel, equally long, evenly spaced blobs whose length is
   20-35 times their height, which no label or guilloche line on a data page is.
5. Each line is warped out on its own rotated rectangle, which also absorbs most of a
   perspective tilt (each line gets its own angle and scale), at a height Tesseract likes.

Upside-down pages cannot be told apart by geometry alone (a rectangle has no top); the
page's other text normally sits above the MRZ, so that side decides which orientation is
tried first, and the reader tries the other one when the first does not read as an MRZ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]
_DETECT_SIDE = 1100
"""Detection runs on a copy whose longer side is at most this; lines are cut from the original."""
TEXT_HEIGHT = 30
_INK_RATIO = 0.66
"""A pixel is ink when darker than this share of its local paper brightness."""
"""Target ink height of an MRZ line in the strips handed to OCR, in pixels."""


@dataclass(frozen=True, slots=True)
class LineBox:
    """One text line as a rotated rectangle in original-image pixels."""

    cx: float
    cy: float
    length: float
    thickness: float
    ux: float
    uy: float
    """Unit vector along the line, pointing to its right end (x grows)."""

    @property
    def vx(self) -> float:
        return -self.uy

    @property
    def vy(self) -> float:
        return self.ux


@dataclass(frozen=True, slots=True)
class MrzCandidate:
    """Two or three MRZ lines, top to bottom as seen with the page's text above them."""

    lines: tuple[LineBox, ...]
    score: float
    upside_down_first: bool
    """The page's other text lies below the lines: try the 180-degree reading first."""


def _box(rect: tuple[Any, Any, float], scale: float) -> LineBox:
    (cx, cy), (w, h), angle = rect
    theta = math.radians(angle)
    ux, uy = math.cos(theta), math.sin(theta)
    length, thickness = w, h
    if h > w:
        ux, uy = -uy, ux
        length, thickness = h, w
    if ux < 0:
        ux, uy = -ux, -uy
    return LineBox(cx / scale, cy / scale, length / scale, thickness / scale, ux, uy)


def _ink(small: Gray, char_hint: int) -> Gray:
    """Dark marks relative to the local paper: divide by a max-filtered background, so a
    shadow or a light gradient scales ink and paper alike, and faint print (guilloche,
    wood grain) stays below the cut while OCR-B ink, even blurred, is far below it."""
    size = max(15, (char_hint * 2) | 1)
    background = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
    background = cv2.blur(background, (size, size))
    ratio = small.astype(np.float32) / np.maximum(background.astype(np.float32), 1.0)
    return np.asarray((ratio < _INK_RATIO) * 255, dtype=np.uint8)


def _char_height(ink: Gray) -> float:
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = [
        int(stats[i, cv2.CC_STAT_HEIGHT])
        for i in range(1, count)
        if 6 <= stats[i, cv2.CC_STAT_HEIGHT] <= 80
        and 2 <= stats[i, cv2.CC_STAT_WIDTH] <= 1.5 * stats[i, cv2.CC_STAT_HEIGHT]
        and stats[i, cv2.CC_STAT_AREA] >= 12
    ]
    if len(heights) < 10:
        return 0.0
    return float(np.median(heights))


def _line_boxes(ink: Gray, char_h: float, scale: float) -> list[LineBox]:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, int(char_h * 1.5)), 1))
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel)
    # Remove thin threads (guilloche, wood grain) that closing joined into long blobs.
    opener = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(2, int(char_h * 0.35))))
    closed = cv2.morphologyEx(closed, cv2.MORPH_OPEN, opener)
    contours, _ = cv2.findContours(closed, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours:
        if len(contour) < 5:
            continue
        box = _box(cv2.minAreaRect(contour), 1.0)
        if box.length < 2.5 * char_h or not 0.5 * char_h <= box.thickness <= 2.6 * char_h:
            continue
        # A text line fills its rectangle well; a tangle of texture does not.
        fill = cv2.contourArea(contour) / max(box.length * box.thickness, 1.0)
        if fill < 0.45:
            continue
        boxes.append(box)
    merged = _merge_collinear(boxes, char_h)
    height, width = ink.shape
    return [
        _scaled(b, scale)
        for b in merged
        if b.length >= 8 * char_h and _inside(b, width, height, char_h)
    ]


def _inside(box: LineBox, width: int, height: int, char_h: float) -> bool:
    """Both ends clear of the frame edge: a printed line ends on the page, while table
    grain or fabric stripes run out of the picture."""
    margin = 0.3 * char_h
    for sign in (-1, 1):
        x = box.cx + sign * box.ux * box.length / 2
        y = box.cy + sign * box.uy * box.length / 2
        if not (margin <= x <= width - margin and margin <= y <= height - margin):
            return False
    return True


def _scaled(box: LineBox, scale: float) -> LineBox:
    return LineBox(
        box.cx / scale, box.cy / scale, box.length / scale, box.thickness / scale, box.ux, box.uy
    )


def _merge_collinear(boxes: list[LineBox], char_h: float) -> list[LineBox]:
    """Join pieces of one line that a wide gap split (thin fillers lost to the threshold)."""
    pool = sorted(boxes, key=lambda b: -b.length)
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(pool):
            for j in range(i + 1, len(pool)):
                b = pool[j]
                if _angle_between(a, b) > 3:
                    continue
                dx, dy = b.cx - a.cx, b.cy - a.cy
                if abs(dx * a.vx + dy * a.vy) > 0.5 * a.thickness:
                    continue
                along = dx * a.ux + dy * a.uy
                lo = min(-a.length / 2, along - b.length / 2)
                hi = max(a.length / 2, along + b.length / 2)
                gap = (hi - lo) - a.length - b.length
                if gap > 3 * char_h:
                    continue
                mid = (lo + hi) / 2
                pool[i] = LineBox(
                    a.cx + a.ux * mid,
                    a.cy + a.uy * mid,
                    hi - lo,
                    max(a.thickness, b.thickness),
                    a.ux,
                    a.uy,
                )
                del pool[j]
                changed = True
                break
            if changed:
                break
    return pool


def _angle_between(a: LineBox, b: LineBox) -> float:
    return abs(math.degrees(math.asin(max(-1.0, min(1.0, a.ux * b.uy - a.uy * b.ux)))))


def _groups(boxes: list[LineBox]) -> list[tuple[LineBox, ...]]:
    """Runs of 2-3 parallel, equally long, evenly spaced and aligned lines."""
    out: list[tuple[LineBox, ...]] = []
    for i, a in enumerate(boxes):
        ratio = a.length / max(a.thickness, 1.0)
        if ratio < 12:
            continue
        partners = []
        for j, b in enumerate(boxes):
            if i == j or _angle_between(a, b) > 4:
                continue
            if not 0.82 <= b.length / a.length <= 1.22:
                continue
            dx, dy = b.cx - a.cx, b.cy - a.cy
            across = dx * a.vx + dy * a.vy
            along = dx * a.ux + dy * a.uy
            spacing = abs(across) / max(a.thickness, b.thickness)
            if 1.05 <= spacing <= 7 and abs(along) <= 0.12 * a.length:
                partners.append((across, b))
        below = sorted((p for p in partners if p[0] > 0), key=lambda p: p[0])
        if not below or below[0][0] / max(a.thickness, below[0][1].thickness) > 3.2:
            continue
        first = below[0][1]
        group = [a, first]
        rest = [p for p in below[1:] if p[0] > 0]
        if rest:
            gap1 = below[0][0]
            gap2 = rest[0][0] - gap1
            if 0.75 <= gap2 / gap1 <= 1.33:
                group.append(rest[0][1])
        out.append(tuple(group))
        if len(group) == 3:
            out.append(tuple(group[1:]))
            out.append(tuple(group[:2]))
    return out


def _text_sides(group: tuple[LineBox, ...], boxes: list[LineBox], all_ink: list[LineBox]) -> bool:
    """True when more of the page's other text lies below the MRZ than above it."""
    top, bottom = group[0], group[-1]
    above = below = 0.0
    members = {id(b) for b in group}
    reach = 12 * top.thickness
    for box in all_ink:
        if id(box) in members:
            continue
        dx, dy = box.cx - top.cx, box.cy - top.cy
        along = dx * top.ux + dy * top.uy
        if abs(along) > 0.6 * top.length:
            continue
        across_top = dx * top.vx + dy * top.vy
        across_bottom = (box.cx - bottom.cx) * top.vx + (box.cy - bottom.cy) * top.vy
        if -reach < across_top < 0:
            above += box.length
        elif 0 < across_bottom < reach:
            below += box.length
    return below > above


def find_mrz(gray: Gray) -> list[MrzCandidate]:
    """Candidate MRZ line groups, most MRZ-like first (possibly none)."""
    h, w = gray.shape
    scale = min(1.0, _DETECT_SIDE / max(h, w))
    small = np.asarray(
        cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA),
        dtype=np.uint8,
    )
    char_h = _char_height(_ink(small, 15))
    if char_h <= 0:
        return []
    ink = _ink(small, int(char_h))
    char_h = _char_height(ink) or char_h
    boxes = _line_boxes(ink, char_h, scale)
    # Short text boxes (labels, values) only serve to tell which side of the MRZ is "up".
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, int(char_h * 1.5)), 1))
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(closed, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    text = [
        _box(cv2.minAreaRect(c), scale)
        for c in contours
        if len(c) >= 5 and cv2.contourArea(c) >= char_h * char_h
    ]
    candidates = []
    seen: set[tuple[int, ...]] = set()
    for group in _groups(boxes):
        key = tuple(sorted(id(b) for b in group))
        if key in seen:
            continue
        seen.add(key)
        ratio = _mean([b.length / max(b.thickness, 1.0) for b in group])
        shape = 1.0 if 16 <= ratio <= 45 else 0.4
        score = shape * sum(b.length for b in group) * (1.15 if len(group) == 3 else 1.0)
        candidates.append(MrzCandidate(group, score, _text_sides(group, boxes, text)))
    candidates.sort(key=lambda c: -c.score)
    return candidates


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def cut_line(gray: Gray, box: LineBox, *, upside_down: bool, pad: float = 0.5) -> Gray:
    """The line as an upright strip whose ink is `TEXT_HEIGHT` pixels tall."""
    ink_h = max(box.thickness, 1.0)
    zoom = TEXT_HEIGHT / ink_h
    margin = pad * ink_h
    out_w = int((box.length + 2 * margin) * zoom)
    out_h = int((ink_h + 2 * margin) * zoom)
    half_l = box.length / 2 + margin
    half_t = ink_h / 2 + margin
    ux, uy, vx, vy = box.ux, box.uy, box.vx, box.vy
    if upside_down:
        ux, uy, vx, vy = -ux, -uy, -vx, -vy
    src = np.array(
        [
            [box.cx - ux * half_l - vx * half_t, box.cy - uy * half_l - vy * half_t],
            [box.cx + ux * half_l - vx * half_t, box.cy + uy * half_l - vy * half_t],
            [box.cx - ux * half_l + vx * half_t, box.cy - uy * half_l + vy * half_t],
        ],
        np.float32,
    )
    dst = np.array([[0, 0], [out_w, 0], [0, out_h]], np.float32)
    matrix = cv2.getAffineTransform(src, dst)
    interpolation = cv2.INTER_CUBIC if zoom > 1 else cv2.INTER_AREA
    strip = cv2.warpAffine(
        gray, matrix, (out_w, out_h), flags=interpolation, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(strip, dtype=np.uint8)


def normalise(strip: Gray) -> Gray:
    """Flat-field the strip (divide by its paper brightness, so a shadow edge across the
    line disappears) and stretch it to full contrast; Tesseract binarises globally."""
    size = int(TEXT_HEIGHT * 1.4) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    background = cv2.blur(cv2.dilate(strip, kernel), (size, size)).astype(np.float32)
    flat = strip.astype(np.float32) / np.maximum(background, 1.0)
    low, high = np.percentile(flat, (2, 98))
    if high - low < 0.04:
        return strip
    scaled = (flat - low) * (255.0 / (high - low))
    return np.asarray(np.clip(scaled, 0, 255), dtype=np.uint8)


def binarise(strip: Gray) -> Gray:
    """Otsu on a lightly smoothed strip: a second, differently-erring view for the vote."""
    smooth = cv2.GaussianBlur(strip, (3, 3), 0)
    _, out = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(out, dtype=np.uint8)
