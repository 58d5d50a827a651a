"""OCR of synthetic document scans with the real tesseract binary."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest

from domain.documents import specimen
from domain.documents.ocr import (
    OcrError,
    OcrUnavailable,
    decode_image,
    read_mrz,
    read_mrz_from_base64,
    tesseract_available,
)
from domain.documents.synthetic import Degradation, mrz_font_path, render_document
from domain.documents.verify import verify_documents
from models.documents import ApplicantFacts, DocumentInput, VerifyDocumentsInput

needs_tesseract = pytest.mark.skipif(
    not tesseract_available(), reason="tesseract binary not installed (scripts/system-deps.sh)"
)
needs_font = pytest.mark.skipif(mrz_font_path() is None, reason="no OCR-B or monospace font")

TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)
GERMAN = specimen.td3(
    surname="MUELLER",
    given_names="KARL HEINZ",
    document_number="C01X00T47",
    nationality="D",
    date_of_birth=dt.date(1964, 8, 12),
    sex="M",
    expiry_date=dt.date(2030, 10, 31),
)


def test_garbage_is_a_clear_error() -> None:
    with pytest.raises(OcrError, match=r"not valid base64|could not be decoded"):
        read_mrz_from_base64("this is not an image")
    with pytest.raises(OcrError, match="could not be decoded"):
        read_mrz_from_base64(base64.b64encode(b"GIF89a not really").decode())
    with pytest.raises(OcrError, match="empty"):
        read_mrz_from_base64("")


def test_non_png_jpeg_formats_are_refused() -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (10, 10)).save(buffer, format="BMP")
    with pytest.raises(OcrError, match="BMP is not PNG or JPEG"):
        decode_image(buffer.getvalue())


@needs_tesseract
@needs_font
@pytest.mark.parametrize("mrz", [TD3, TD1, GERMAN], ids=["td3-specimen", "td1-specimen", "de"])
def test_reads_clean_scans_exactly(mrz: str) -> None:
    assert read_mrz(render_document(mrz)).text == mrz


@needs_tesseract
@needs_font
@pytest.mark.parametrize(
    "degradation",
    [
        Degradation(rotation_degrees=1.5),
        Degradation(rotation_degrees=-2.0, blur_radius=0.6),
        Degradation(noise_fraction=0.02, jpeg_quality=80),
    ],
    ids=["rotated", "rotated-blurred", "noisy-jpeg"],
)
def test_reads_degraded_specimen(degradation: Degradation) -> None:
    assert read_mrz(render_document(TD3, degradation=degradation, seed=3)).text == TD3


@needs_tesseract
def test_blank_page_has_no_mrz() -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (800, 400), color=250).save(buffer, format="PNG")
    with pytest.raises(OcrError, match="no machine-readable zone"):
        read_mrz(buffer.getvalue())


@needs_tesseract
@needs_font
def test_verify_documents_from_image() -> None:
    image = base64.b64encode(render_document(GERMAN, degradation=Degradation(1.0))).decode()
    applicant = ApplicantFacts(
        given_names="Karl-Heinz",
        surname="Müller",
        date_of_birth=dt.date(1964, 8, 12),
        nationality="DE",
    )
    result = verify_documents(
        VerifyDocumentsInput(
            application_id="app-ocr",
            applicant=applicant,
            documents=[DocumentInput(kind="passport", image_base64=image)],
            as_of=dt.date(2026, 11, 22),
        )
    )
    assert result.passed, result.findings
    check = result.documents[0]
    assert check.source == "image"
    assert check.mrz is not None and check.mrz.document_number == "C01X00T47"


@needs_tesseract
def test_unreadable_image_refers() -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (600, 300), color=255).save(buffer, format="JPEG")
    applicant = ApplicantFacts(
        given_names="A", surname="B", date_of_birth=dt.date(1990, 1, 1), nationality="SE"
    )
    result = verify_documents(
        VerifyDocumentsInput(
            application_id="app-ocr",
            applicant=applicant,
            documents=[
                DocumentInput(
                    kind="passport", image_base64=base64.b64encode(buffer.getvalue()).decode()
                )
            ],
            as_of=dt.date(2026, 11, 22),
        )
    )
    assert [f.code for f in result.findings] == ["MRZ_UNREADABLE"]
    assert result.findings[0].field == "documents[0].image_base64"
    assert not result.passed


def test_missing_ocr_is_a_machine_fault_not_an_unreadable_document(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without the OCR model the check must fail (and be retried), not refer the applicant.

    (The reader now runs Tesseract in-process through tesserocr with a vendored model, so
    "missing OCR" is a missing model directory rather than a missing binary on PATH.)
    """
    from domain.documents import ocr

    monkeypatch.setattr(ocr, "TESSDATA_DIR", tmp_path / "no-such-tessdata")
    image = base64.b64encode(render_document(TD3)).decode() if mrz_font_path() else None
    if image is None:
        pytest.skip("no font to render a scan")
    with pytest.raises(OcrUnavailable):
        verify_documents(
            VerifyDocumentsInput(
                application_id="app-no-ocr",
                applicant=ApplicantFacts(
                    given_names="Anna Maria",
                    surname="Eriksson",
                    date_of_birth=dt.date(1974, 8, 12),
                    nationality="SE",
                ),
                documents=[DocumentInput(kind="passport", image_base64=image)],
                as_of=dt.date(2026, 11, 22),
            )
        )


def _turned(png: bytes, degrees: float) -> bytes:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    turned = image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=246)
    out = io.BytesIO()
    turned.save(out, format="JPEG", quality=80)
    return out.getvalue()


@needs_tesseract
@needs_font
@pytest.mark.parametrize("degrees", [8.0, -9.5, 186.0], ids=["ccw-8", "cw-9.5", "upside-down"])
def test_reads_tilted_and_upside_down_scans(degrees: float) -> None:
    result = read_mrz(_turned(render_document(TD3), degrees))
    assert result.text == TD3
    assert result.valid and result.corrected == ()


@needs_tesseract
@needs_font
def test_reads_a_phone_photo() -> None:
    """A page a third of the frame on a textured table, in perspective, with a shadow."""
    from bench.document_images import make_case

    case = make_case("tune", "phone", 0)
    result = read_mrz(case.image)
    assert result.text == case.truth
    assert result.valid


@needs_tesseract
@needs_font
def test_ambiguous_or_uncertain_reading_refers_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Doubt the reader reports reaches the verdict as findings for a person."""
    from domain.documents import ocr, verify

    def doubtful(payload: str) -> ocr.OcrResult:
        return ocr.OcrResult(
            text=GERMAN,
            corrections=1,
            raw=GERMAN,
            valid=False,
            corrected=("document_number",),
            ambiguous=("document_number",),
            uncertain=("surname",),
        )

    monkeypatch.setattr(verify, "read_mrz_from_base64", doubtful)
    result = verify_documents(
        VerifyDocumentsInput(
            application_id="app-ocr",
            applicant=ApplicantFacts(
                given_names="Karl-Heinz",
                surname="Müller",
                date_of_birth=dt.date(1964, 8, 12),
                nationality="DE",
            ),
            documents=[DocumentInput(kind="passport", image_base64="aW1hZ2U=")],
            as_of=dt.date(2026, 11, 22),
        )
    )
    codes = {f.code: f for f in result.findings}
    assert codes["MRZ_OCR_AMBIGUOUS"].severity == "refer"
    assert "document_number" in codes["MRZ_OCR_AMBIGUOUS"].message
    assert codes["MRZ_OCR_UNCERTAIN"].severity == "refer"
    assert "surname" in codes["MRZ_OCR_UNCERTAIN"].message
    assert codes["MRZ_OCR_CORRECTED"].severity == "refer"
    assert not result.passed
