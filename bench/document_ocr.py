"""Benchmark MRZ extraction from synthetic document scans.

Usage: .venv/bin/python bench/document_ocr.py [--n 60] [--seed 7] [--clean]

Draws N data pages with random but valid MRZs (TD3/TD1/TD2), degrades them like phone scans
(rotation within +-2 degrees, blur, salt-and-pepper noise, JPEG), reads them back with
`domain.documents.ocr.read_mrz` and reports exact-MRZ rate, per-character accuracy, the
rate at which the read MRZ parses with every check digit valid, and time per image.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pycountry

from domain.documents import specimen
from domain.documents.mrz import MrzSyntaxError, parse_mrz_detailed
from domain.documents.ocr import OcrError, read_mrz, tesseract_available
from domain.documents.synthetic import Degradation, render_document

SURNAMES = ["ERIKSSON", "MUELLER", "OBRIEN", "GARCIA<LOPEZ", "NGUYEN", "KOWALSKI", "DUBOIS"]
SURNAMES += ["ROSSI", "SMITH", "JOHANSEN", "VAN<DER<BERG", "OKAFOR", "TANAKA", "KARLSSON"]
GIVEN = ["ANNA", "MARIA", "JOHN", "KARL", "SOFIA", "LUKAS", "ELIF", "MOHAMMED", "ZOE", "PIOTR"]
AS_OF = dt.date(2026, 11, 22)


def random_mrz(rng: random.Random) -> str:
    country = rng.choice(list(pycountry.countries)).alpha_3
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 66))
    expiry = AS_OF + dt.timedelta(days=rng.randrange(-400, 3650))
    alnum = string.ascii_uppercase + string.digits
    surname = rng.choice(SURNAMES).replace("<", " ")
    given = " ".join(rng.sample(GIVEN, rng.choice((1, 1, 2, 3))))
    sex = rng.choice("MF<")
    number = "".join(rng.choice(alnum) for _ in range(rng.choice((8, 9, 9, 9))))
    kind = rng.random()
    if kind < 0.6:
        personal = "".join(rng.choice(alnum) for _ in range(rng.choice((0, 0, 9, 11))))
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


def degradation(rng: random.Random, clean: bool) -> Degradation:
    if clean:
        return Degradation()
    return Degradation(
        rotation_degrees=rng.uniform(-2, 2),
        blur_radius=rng.choice((0.0, 0.5, 0.8, 1.1)),
        noise_fraction=rng.choice((0.0, 0.01, 0.02)),
        jpeg_quality=rng.choice((None, None, 85, 70)),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clean", action="store_true", help="no degradation")
    args = parser.parse_args()
    if not tesseract_available():
        print("tesseract is not installed: run scripts/system-deps.sh", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    exact = valid = chars_ok = chars_total = failures = 0
    times: list[float] = []
    for i in range(args.n):
        truth = random_mrz(rng)
        image = render_document(truth, degradation=degradation(rng, args.clean), seed=i)
        start = time.perf_counter()
        try:
            text = read_mrz(image).text
        except OcrError:
            text = ""
            failures += 1
        times.append(time.perf_counter() - start)
        exact += text == truth
        chars_total += len(truth)
        chars_ok += sum(a == b for a, b in zip(text, truth, strict=False))
        try:
            valid += not parse_mrz_detailed(text, as_of=AS_OF).failed_checks
        except MrzSyntaxError:
            pass
    times.sort()
    print(f"images: {args.n} ({'clean' if args.clean else 'degraded'}), seed {args.seed}")
    print(f"exact MRZ: {exact / args.n:.1%}")
    print(f"per-character accuracy: {chars_ok / chars_total:.2%}")
    print(f"parsed with all check digits valid: {valid / args.n:.1%}")
    print(f"no MRZ found: {failures}")
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    print(
        f"time/image: mean {statistics.fmean(times) * 1000:.0f} ms, "
        f"p50 {statistics.median(times) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
