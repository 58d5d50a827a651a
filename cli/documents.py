"""`clearway documents read`: read the MRZ off document images exactly as onboarding does.

Support staff and integrators use it to see why an upload was referred ("which field did
the OCR doubt?") and to try a portal's camera pipeline against Clearway without running the
platform. It calls the same `read_mrz` the document check calls, so the answer here is the
answer the workflow gets. It prints the MRZ, which is personal data: it is meant for a
terminal, and it logs nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from domain.documents.mrz import MrzSyntaxError, parse_mrz_detailed
from domain.documents.ocr import OcrError, OcrUnavailable, read_mrz


@click.group()
def documents() -> None:
    """Identity documents: read machine-readable zones from images."""


def _read_one(path: Path) -> dict[str, Any]:
    """The JSON record for one image; `valid` only for a reading with nothing in doubt."""
    record: dict[str, Any] = {"file": str(path), "mrz": None, "valid": False, "corrected": []}
    problems: list[str] = []
    try:
        result = read_mrz(path.read_bytes())
    except OcrError as exc:
        record["problems"] = [f"unreadable: {exc}"]
        return record
    record["mrz"] = result.text
    record["corrected"] = list(result.corrected)
    problems += [f"ambiguous: {name}" for name in result.ambiguous]
    problems += [f"uncertain: {name}" for name in result.uncertain]
    try:
        failed = [c.field for c in parse_mrz_detailed(result.text).failed_checks]
    except MrzSyntaxError as exc:
        failed = []
        problems.append(f"malformed: {exc}")
    problems += [f"check digit fails: {name}" for name in failed]
    record["valid"] = result.valid and not problems
    record["problems"] = problems
    return record


def _human(record: dict[str, Any]) -> str:
    lines = [record["file"]]
    if record["mrz"] is not None:
        lines += [f"  {line}" for line in record["mrz"].split("\n")]
    status = "valid" if record["valid"] else "NOT VALID"
    if record["corrected"]:
        status += f" (corrected: {', '.join(record['corrected'])})"
    lines.append(f"  {status}")
    lines += [f"  - {problem}" for problem in record["problems"]]
    return "\n".join(lines)


@documents.command("read")
@click.argument(
    "images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object per line per image: {"file", "mrz", "valid", "corrected", "problems"}.',
)
def read_command(images: tuple[Path, ...], as_json: bool) -> None:
    """Read the MRZ of each IMAGE (PNG or JPEG) as the onboarding document check does.

    `valid` is true only when every check digit passes and no field is ambiguous,
    uncertain or corrected; `corrected` lists the fields the check digits corrected.
    Exit status 0 when every image read valid, 1 otherwise.
    """
    all_valid = True
    for path in images:
        try:
            record = _read_one(path)
        except OcrUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
        all_valid &= record["valid"]
        click.echo(json.dumps(record) if as_json else _human(record))
    if not all_valid:
        raise SystemExit(1)
