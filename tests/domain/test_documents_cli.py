"""`clearway documents read` through click's runner, on rendered scans and a blank page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.documents import documents
from domain.documents.ocr import tesseract_available
from domain.documents.synthetic import Degradation, mrz_font_path, render_document

pytestmark = pytest.mark.skipif(
    not tesseract_available() or mrz_font_path() is None,
    reason="OCR model or the OCR-B font is missing",
)
TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"


def _blank(path: Path) -> Path:
    from PIL import Image

    Image.new("L", (600, 300), color=250).save(path, format="PNG")
    return path


def test_json_one_object_per_image(tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    scan.write_bytes(render_document(TD3, degradation=Degradation(rotation_degrees=1.0)))
    blank = _blank(tmp_path / "blank.png")
    result = CliRunner().invoke(documents, ["read", "--json", str(scan), str(blank)])
    assert result.exit_code == 1, result.output  # one image did not read valid
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert first == {
        "file": str(scan),
        "mrz": TD3,
        "valid": True,
        "corrected": [],
        "problems": [],
    }
    assert second["file"] == str(blank)
    assert second["mrz"] is None and second["valid"] is False
    assert second["problems"] and second["problems"][0].startswith("unreadable")


def test_human_output_and_exit_status(tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    scan.write_bytes(render_document(TD3))
    result = CliRunner().invoke(documents, ["read", str(scan)])
    assert result.exit_code == 0, result.output
    assert TD3.split("\n")[1] in result.output
    assert "valid" in result.output and "NOT VALID" not in result.output
    missing = CliRunner().invoke(documents, ["read", str(tmp_path / "nope.png")])
    assert missing.exit_code == 2  # click: the file does not exist


def test_registered_on_the_clearway_command() -> None:
    from cli.main import cli

    result = CliRunner().invoke(cli, ["documents", "read", "--help"])
    assert result.exit_code == 0
    assert "--json" in result.output
