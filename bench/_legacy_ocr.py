"""The MRZ reader Clearway shipped before issue 10, kept verbatim as a benchmark anchor.

Only two things changed: the model is a parameter (`lang`, `tessdata_dir`), so the same
whole-page pipeline can be measured with the stock English model ("generic Tesseract",
what production ran) and with the MRZ-trained model; and its errors are this module's own.
Do not use it outside `bench/`: `domain.documents.ocr` replaced it.

Original description: read an MRZ off a document scan with the Tesseract CLI, then repair
it with ICAO layout.

Tesseract's stock English model reads OCR-B letters and digits well but is poor at long
runs of the filler `<` (it drops them or reads K, C, S, E). A generic OCR answer is therefore
not trusted as a string: every recognised glyph is put into its MRZ column by its x position
(the MRZ is monospaced, so a line ending in a check digit gives the pitch), empty columns are
fillers, glyphs that look like a chevron on the page become fillers, and look-alikes are
then fixed by what each field may contain (digits in dates, letters in names), using the
check digits to decide between O/0, I/1, B/8... in alphanumeric fields.
"""

from __future__ import annotations

import html
import io
import itertools
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass, replace

from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from domain.documents.countries import is_known_code
from domain.documents.layout import Kind, field_kinds
from domain.documents.mrz import FILLER, LAYOUTS, MrzSyntaxError, parse_mrz_detailed
from models.documents import MrzFormat

WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
TESSERACT_TIMEOUT_SECONDS = 60
_MAX_PIXELS = 40_000_000
_TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "Z": "2"}
_TO_DIGIT |= {"S": "5", "G": "6", "B": "8", "T": "7", "A": "4"}
_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B", "4": "A", "7": "T"}
_LOOKALIKES = {"O": "0", "0": "O", "I": "1", "1": "I", "B": "8", "8": "B", "S": "5", "5": "S"}
_LOOKALIKES |= {"Z": "2", "2": "Z", "G": "6", "6": "G", "D": "0", "Q": "0"}
_FILLER_LOOKALIKES = frozenset("KCSEXZ5L")
_MAX_REPAIR_CANDIDATES = 512


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
    raw: str
    """Tesseract's own reading of the MRZ lines, before layout repair (for diagnostics)."""


@dataclass(frozen=True, slots=True)
class Glyph:
    char: str
    x1: int
    y1: int
    x2: int
    y2: int
    conf: float

    @property
    def xc(self) -> float:
        return (self.x1 + self.x2) / 2


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


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def _run_tesseract(image: Image.Image, lang: str, tessdata_dir: str | None) -> str:
    binary = shutil.which("tesseract")
    if binary is None:
        raise OcrUnavailable("OCR is unavailable: the tesseract binary is not installed")
    png = io.BytesIO()
    image.save(png, format="PNG")
    command = [binary, "stdin", "stdout", "--psm", "6", "-l", lang]
    if tessdata_dir:
        command[1:1] = ["--tessdata-dir", tessdata_dir]
    command += ["-c", f"tessedit_char_whitelist={WHITELIST}", "-c", "hocr_char_boxes=1", "hocr"]
    try:
        done = subprocess.run(
            command,
            input=png.getvalue(),
            capture_output=True,
            timeout=TESSERACT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrUnavailable("OCR timed out") from exc
    if done.returncode != 0:
        raise OcrError(f"OCR failed (tesseract exit code {done.returncode})")
    return done.stdout.decode("utf-8", errors="replace")


_LINE_RE = re.compile(r"class='ocr_line'")
_CHAR_RE = re.compile(
    r"x_bboxes (\d+) (\d+) (\d+) (\d+); x_conf ([\d.]+)'>([^<]*)</span>", re.IGNORECASE
)


def parse_hocr(hocr: str) -> list[list[Glyph]]:
    rows: list[list[Glyph]] = []
    for chunk in _LINE_RE.split(hocr)[1:]:
        glyphs = []
        for x1, y1, x2, y2, conf, text in _CHAR_RE.findall(chunk):
            char = html.unescape(text).strip()
            if len(char) == 1 and char in WHITELIST:
                glyphs.append(Glyph(char, int(x1), int(y1), int(x2), int(y2), float(conf)))
        if glyphs:
            rows.append(glyphs)
    return rows


@dataclass(frozen=True, slots=True)
class _Grid:
    fmt: MrzFormat
    rows: list[list[Glyph | None]]
    left: float
    pitch: float
    misses: int


def _fit_columns(ref: list[Glyph], width: int) -> tuple[float, float, float]:
    """Least-squares fit of x = left + pitch * (column + 0.5) over the reference line.

    The reference line starts and ends with a non-filler, so its end glyphs give a coarse
    pitch; every glyph is then snapped to a column and the fit refined, ignoring glyphs whose
    (often stretched) box sits far from its column. Returns left, pitch, mean residual.
    """
    pitch = (ref[-1].xc - ref[0].xc) / (width - 1)
    origin = ref[0].xc
    residual = 1.0
    for _ in range(3):
        if pitch <= 0:
            return 0.0, 0.0, 1.0
        cols = [round((g.xc - origin) / pitch) for g in ref]
        errors = [abs((g.xc - origin) / pitch - c) for g, c in zip(ref, cols, strict=True)]
        residual = statistics.fmean(errors)
        points = [(c, g.xc) for g, c, e in zip(ref, cols, errors, strict=True) if e < 0.3]
        if len(points) < 2:
            break
        slope, intercept = statistics.linear_regression(
            [float(c) for c, _ in points], [x for _, x in points]
        )
        pitch, origin = slope, intercept
    return origin - pitch / 2, pitch, residual


def _place(rows: list[list[Glyph]], fmt: MrzFormat) -> _Grid | None:
    count, width = LAYOUTS[fmt]
    if len(rows) < count:
        return None
    block = rows[-count:]
    # The line that ends in the composite check digit spans the full width.
    ref = block[1]
    if len(ref) < width * 0.6:
        return None
    left, pitch, residual = _fit_columns(ref, width)
    if pitch <= 0:
        return None
    grid: list[list[Glyph | None]] = []
    misses = abs(len(ref) - width) + round(residual * width)
    for row in block:
        cells: list[Glyph | None] = [None] * width
        for glyph in row:
            col = int((glyph.xc - left) // pitch)
            if not 0 <= col < width:
                misses += 1
                continue
            current = cells[col]
            if current is not None:
                misses += 1
                if current.conf >= glyph.conf:
                    continue
            cells[col] = glyph
        grid.append(cells)
    return _Grid(fmt, grid, left, pitch, misses)


def _unstretch(row: list[Glyph]) -> list[Glyph]:
    """The LSTM stretches the first glyph's box leftwards and the last one's rightwards."""
    typical = statistics.median(g.x2 - g.x1 for g in row)
    out = list(row)
    first, last = out[0], out[-1]
    if first.x2 - first.x1 > 1.5 * typical:
        out[0] = replace(first, x1=int(first.x2 - typical))
    if len(out) > 1 and last.x2 - last.x1 > 1.5 * typical:
        out[-1] = replace(last, x2=int(last.x1 + typical))
    return out


def _mrz_rows(rows: list[list[Glyph]]) -> list[list[Glyph]]:
    """The MRZ is the bottom block of long lines; the visual zone above is ignored."""
    long_rows = [_unstretch(r) for r in rows if len(r) >= 20]
    return long_rows[-3:]


def _is_chevron(image: Image.Image, box: tuple[int, int, int, int]) -> bool:
    """Shape test for '<': ink reaches the left edge only mid-height, right-middle is open."""
    cell = image.crop(box)
    ink = cell.point(lambda p: 255 if p < 128 else 0)
    bbox = ink.getbbox()
    if bbox is None:
        return True
    ink = ink.crop(bbox)
    w, h = ink.size
    if w < 4 or h < 6:
        return False

    def density(x0: float, y0: float, x1: float, y1: float) -> float:
        region = ink.crop((int(w * x0), int(h * y0), max(int(w * x1), 1), max(int(h * y1), 1)))
        hist = region.histogram()
        total = region.width * region.height
        return hist[255] / total if total else 0.0

    return (
        density(0, 0, 0.3, 0.22) < 0.06
        and density(0, 0.78, 0.3, 1) < 0.06
        and density(0.6, 0.38, 1, 0.62) < 0.06
        and density(0, 0.35, 0.35, 0.65) > 0.08
        and density(0.65, 0, 1, 0.25) > 0.05
        and density(0.65, 0.75, 1, 1) > 0.05
    )


def _grid_text(grid: _Grid, image: Image.Image) -> list[str]:
    lines = []
    for cells in grid.rows:
        chars = []
        for col, glyph in enumerate(cells):
            if glyph is None:
                chars.append(FILLER)
                continue
            char = glyph.char
            if char in _FILLER_LOOKALIKES:
                x1 = int(grid.left + col * grid.pitch)
                pad = (glyph.y2 - glyph.y1) // 5
                box = (x1, glyph.y1 - pad, int(x1 + grid.pitch), glyph.y2 + pad)
                if _is_chevron(image, box):
                    char = FILLER
            chars.append(char)
        lines.append("".join(chars))
    return lines


def _by_field_kind(lines: list[str], fmt: MrzFormat) -> list[str]:
    kinds = field_kinds(fmt)
    fixed = []
    for line, line_kinds in zip(lines, kinds, strict=True):
        chars = list(line)
        for i, kind in enumerate(line_kinds):
            if kind is Kind.DIGIT:
                chars[i] = _TO_DIGIT.get(chars[i], chars[i])
            elif kind in (Kind.LETTER, Kind.NAME):
                chars[i] = _TO_LETTER.get(chars[i], chars[i])
        fixed.append("".join(chars))
    return fixed


def _tidy_names(lines: list[str], fmt: MrzFormat) -> list[str]:
    """Names never contain three fillers in a row, so everything after one is filler."""
    kinds = field_kinds(fmt)
    out = []
    for line, line_kinds in zip(lines, kinds, strict=True):
        positions = [i for i, k in enumerate(line_kinds) if k is Kind.NAME]
        if positions:
            start, end = positions[0], positions[-1] + 1
            name = line[start:end]
            cut = name.find(FILLER * 3)
            if cut >= 0:
                name = name[:cut] + FILLER * (len(name) - cut)
            line = line[:start] + name + line[end:]
        out.append(line)
    return out


def _tidy_states(lines: list[str], fmt: MrzFormat) -> list[str]:
    """A state code like 'D<<' read as 'DKK': retry unknown codes with fillers at the end."""
    out = list(lines)
    spans = {
        MrzFormat.TD1: [(0, 2, 5), (1, 15, 18)],
        MrzFormat.TD2: [(0, 2, 5), (1, 10, 13)],
        MrzFormat.TD3: [(0, 2, 5), (1, 10, 13)],
    }[fmt]
    for row, a, b in spans:
        code = out[row][a:b]
        if is_known_code(code):
            continue
        for keep in (2, 1):
            candidate = code[:keep] + FILLER * (3 - keep)
            if is_known_code(candidate):
                out[row] = out[row][:a] + candidate + out[row][b:]
                break
    return out


def _check_digit_repair(lines: list[str], fmt: MrzFormat) -> list[str]:
    """Flip O/0, I/1, B/8... in alphanumeric fields until every check digit holds."""
    kinds = field_kinds(fmt)
    spots = [
        (r, i)
        for r, line_kinds in enumerate(kinds)
        for i, k in enumerate(line_kinds)
        if k is Kind.ANY and lines[r][i] in _LOOKALIKES
    ]

    def valid(candidate: list[str]) -> bool:
        try:
            return not parse_mrz_detailed("\n".join(candidate)).failed_checks
        except MrzSyntaxError:
            return False

    if valid(lines) or not spots:
        return lines
    tried = 0
    for flips in range(1, len(spots) + 1):
        for chosen in itertools.combinations(spots, flips):
            tried += 1
            if tried > _MAX_REPAIR_CANDIDATES:
                return lines
            candidate = [list(line) for line in lines]
            for r, i in chosen:
                candidate[r][i] = _LOOKALIKES[candidate[r][i]]
            text = ["".join(c) for c in candidate]
            if valid(text):
                return text
    return lines


def _skew_degrees(image: Image.Image) -> float:
    """Angle that makes text rows sharpest (row-sum variance), searched within +-3 degrees.

    Phone scans are a degree or two off; Tesseract's LSTM then blends neighbouring MRZ rows
    and misreads digits, which the check digits can flag but not fix.
    """
    small = image.resize((max(image.width // 3, 1), max(image.height // 3, 1)))
    ink = small.point(lambda p: 255 if p < 140 else 0)
    best, best_score = 0.0, -1.0
    for step in range(-12, 13):
        angle = step * 0.25
        rotated = ink.rotate(angle, resample=Image.Resampling.BILINEAR) if angle else ink
        width = rotated.width
        data = rotated.tobytes()
        rows = [sum(data[r * width : (r + 1) * width]) for r in range(rotated.height)]
        score = statistics.pvariance(rows)
        if score > best_score:
            best, best_score = angle, score
    return best


def read_mrz(data: bytes, lang: str = "eng", tessdata_dir: str | None = None) -> OcrResult:
    image = decode_image(data)
    if image.width < 1000:
        scale = 1000 / image.width
        image = image.resize((1000, int(image.height * scale)), Image.Resampling.LANCZOS)
    angle = _skew_degrees(image)
    if angle:
        image = image.rotate(
            angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=_background(image)
        )
    rows = _mrz_rows(parse_hocr(_run_tesseract(image, lang, tessdata_dir)))
    grids = [g for fmt in MrzFormat if (g := _place(rows, fmt)) is not None]
    if not grids:
        raise OcrError("no machine-readable zone found in the image")
    grid = min(grids, key=lambda g: g.misses)
    raw = "\n".join("".join(g.char for g in row) for row in rows[-len(grid.rows) :])
    clean = image.filter(ImageFilter.MedianFilter(3))
    lines = _grid_text(grid, clean)
    first = list(lines)
    lines = _by_field_kind(lines, grid.fmt)
    lines = _tidy_names(lines, grid.fmt)
    lines = _tidy_states(lines, grid.fmt)
    lines = _check_digit_repair(lines, grid.fmt)
    corrections = sum(
        a != b for x, y in zip(first, lines, strict=True) for a, b in zip(x, y, strict=True)
    )
    return OcrResult(text="\n".join(lines), corrections=corrections, raw=raw)


def _background(image: Image.Image) -> int:
    histogram = image.histogram()
    return max(range(256), key=lambda level: histogram[level])
