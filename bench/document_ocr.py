"""Benchmark MRZ reading on realistic data-page images, Clearway against open-source anchors.

Usage: .venv/bin/python -m bench.document_ocr [--per-family 60] [--split test]
           [--readers clearway,generic,mrz-model,passporteye,fastmrz]

Images come from `bench/document_images.py`: flat scans, degraded scans (blur, noise,
small, JPEG 40), rotated scans (5-10 degrees, a quarter upside down) and phone photos (a
third of the frame, textured table, perspective, rotation, uneven light, shadow). The
`test` split (default, 60 per family = 240 images) is frozen: the reader was developed on
the `tune` split only. Every reader sees the same bytes. Per reader and family it prints:

- exact: the MRZ read equals the printed one, character for character;
- valid: the reader itself reported the MRZ as valid (every check digit, nothing ambiguous);
- silent: reported valid but wrong (the worst outcome: a wrong identity passes as read);
- mean / max wall seconds per image, mean CPU seconds per image (the honest cost on a
  shared machine), and the ratio of Clearway's mean to each anchor's.

Readers (anchors need extra packages; missing ones are skipped with a note):
- clearway: `domain.documents.ocr.read_mrz`, what onboarding runs;
- generic: Clearway's reader before issue 10 (whole page, stock English Tesseract model,
  layout repair; `bench/_legacy_ocr.py`);
- mrz-model: the same whole-page pipeline with the MRZ-trained model instead;
- passporteye: PassportEye 2.2 (MIT) with the MRZ-trained model (`-l mrz`);
- fastmrz: FastMRZ 2.1 (AGPL-3.0, so benchmarked only, never a dependency) with the same model.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.document_images import FAMILIES, Case, cases
from domain.documents.mrz import MrzSyntaxError, parse_mrz_detailed
from domain.documents.ocr import TESSDATA_DIR, OcrError, read_mrz, tesseract_available

AS_OF = "2026-11-22"
Reader = Callable[[bytes], tuple[str, bool]]
"""image -> (MRZ lines joined by newlines or "", reported valid)."""


def _clearway(image: bytes) -> tuple[str, bool]:
    try:
        result = read_mrz(image)
    except OcrError:
        return "", False
    return result.text, result.valid


def _checks_pass(text: str) -> bool:
    try:
        return not parse_mrz_detailed(text).failed_checks
    except MrzSyntaxError:
        return False


def _legacy(lang: str) -> Reader:
    from bench import _legacy_ocr

    tessdata = None if lang == "eng" else str(TESSDATA_DIR)

    def read(image: bytes) -> tuple[str, bool]:
        try:
            text = _legacy_ocr.read_mrz(image, lang=lang, tessdata_dir=tessdata).text
        except _legacy_ocr.OcrError:
            return "", False
        return text, _checks_pass(text)

    return read


def _passporteye() -> Reader:
    from passporteye import read_mrz as pe_read

    params = f"-l {'mrz'} --tessdata-dir {TESSDATA_DIR}"

    def read(image: bytes) -> tuple[str, bool]:
        try:
            mrz = pe_read(io.BytesIO(image), extra_cmdline_params=params)
        except Exception:  # an anchor crashing is a failed read, not ours
            return "", False
        if mrz is None:
            return "", False
        text = "\n".join(
            line.replace(" ", "") for line in str(mrz.aux.get("text", "")).splitlines() if line
        )
        return text, bool(mrz.valid)

    return read


def _fastmrz() -> Reader:
    import cv2
    import numpy as np
    from fastmrz import FastMRZ

    reader = FastMRZ(tessdata_path=str(TESSDATA_DIR))

    def read(image: bytes) -> tuple[str, bool]:
        array = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
        try:
            text = str(reader.get_details(array, input_type="numpy", ignore_parse=True))
            parsed = reader.get_details(text, input_type="text")
        except Exception:  # an anchor crashing is a failed read, not ours
            return "", False
        lines = "\n".join(line for line in text.splitlines() if line.strip())
        return lines, isinstance(parsed, dict) and parsed.get("status") == "SUCCESS"

    return read


READERS: dict[str, Callable[[], Reader]] = {
    "clearway": lambda: _clearway,
    "generic": lambda: _legacy("eng"),
    "mrz-model": lambda: _legacy("mrz"),
    "passporteye": _passporteye,
    "fastmrz": _fastmrz,
}


@dataclass
class Tally:
    exact: int = 0
    valid: int = 0
    silent: int = 0
    total: int = 0
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """CPU seconds of this process (and its children: the CLI anchors run tesseract)."""


def _cpu() -> float:
    """User+system CPU seconds of this process and its finished children. On a shared
    machine wall time mostly measures the neighbours; CPU time is what the reader costs."""
    own = os.times()
    return own.user + own.system + own.children_user + own.children_system


def run(reader: Reader, images: list[Case]) -> dict[str, Tally]:
    tallies = {family: Tally() for family in FAMILIES}
    for case in images:
        start, cpu_start = time.perf_counter(), _cpu()
        text, valid = reader(case.image)
        elapsed = time.perf_counter() - start
        tally = tallies[case.family]
        tally.total += 1
        tally.seconds.append(elapsed)
        tally.cpu.append(_cpu() - cpu_start)
        exact = text.strip() == case.truth
        tally.exact += exact
        tally.valid += valid
        tally.silent += valid and not exact
    return tallies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-family", type=int, default=60)
    parser.add_argument("--split", default="test", choices=("test", "tune"))
    parser.add_argument("--readers", default=",".join(READERS))
    args = parser.parse_args()
    if not tesseract_available():
        print("OCR is unavailable: install the project (tesserocr) first", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")  # the anchors' dependencies warn about deprecations
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # the CLI anchors: one core each, fairly
    tempfile.tempdir = tempfile.mkdtemp(prefix="mrz-bench-")
    images = cases(args.split, args.per_family)
    print(f"{len(images)} images, split {args.split}, {args.per_family} per family")
    results: dict[str, dict[str, Tally]] = {}
    for name in args.readers.split(","):
        try:
            reader = READERS[name]()
        except ImportError as exc:
            print(f"{name}: skipped ({exc.name} is not installed)")
            continue
        results[name] = run(reader, images)
    header = f"{'reader':<12}" + "".join(f"{f:>18}" for f in FAMILIES)
    header += f"{'silent':>8}{'mean s':>8}{'max s':>7}{'cpu s':>7}"
    print("\nexact reads (valid reported) per family")
    print(header)
    for name, tallies in results.items():
        row = f"{name:<12}"
        for family in FAMILIES:
            t = tallies[family]
            row += f"{t.exact / max(t.total, 1):>10.0%} ({t.valid:>3}/{t.total})"
        seconds = [s for t in tallies.values() for s in t.seconds]
        silent = sum(t.silent for t in tallies.values())
        cpu = statistics.fmean(s for t in tallies.values() for s in t.cpu)
        row += f"{silent:>8}{statistics.fmean(seconds):>8.2f}{max(seconds):>7.2f}{cpu:>7.2f}"
        print(row)
    if "clearway" in results:
        ours = statistics.fmean(s for t in results["clearway"].values() for s in t.seconds)
        for name, tallies in results.items():
            if name == "clearway":
                continue
            theirs = statistics.fmean(s for t in tallies.values() for s in t.seconds)
            print(f"time ratio clearway/{name}: {ours / theirs:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
