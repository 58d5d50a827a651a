"""Applications for made-up people with valid (or deliberately broken) MRZs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from domain.documents.names import mrz_variants
from domain.documents.specimen import td3


def mrz_name(name: str) -> list[str]:
    """The name as an issuer prints it in the MRZ: ICAO 9303 transliteration (Ö → OE)."""
    return list(mrz_variants(name)[0])


def passport_mrz(
    *,
    surname: str,
    given_names: str,
    dob: dt.date,
    nationality3: str,
    number: str = "X4R7K29P1",
    expiry: dt.date = dt.date(2033, 5, 14),
    sex: str = "F",
) -> str:
    return td3(
        surname="<".join(mrz_name(surname)),
        given_names=" ".join(mrz_name(given_names)),
        document_number=number,
        nationality=nationality3,
        date_of_birth=dob,
        sex=sex,
        expiry_date=expiry,
    )


def application(
    *,
    given_names: str = "Lena Sofia",
    surname: str = "Lindqvist",
    dob: dt.date = dt.date(1988, 3, 9),
    nationality: str = "SE",
    nationality3: str = "SWE",
    country: str = "SE",
    sex: str = "F",
    mrz: str | None = None,
    application_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "application_id": application_id or f"app-{uuid.uuid4().hex[:12]}",
        "applicant": {
            "given_names": given_names,
            "surname": surname,
            "date_of_birth": dob.isoformat(),
            "nationality": nationality,
            "email": "applicant@example.com",
            "address": {
                "line1": "Storgatan 1",
                "city": "Stockholm",
                "postal_code": "11122",
                "country": country,
            },
        },
        "documents": [
            {
                "kind": "passport",
                "mrz": mrz
                or passport_mrz(
                    surname=surname,
                    given_names=given_names,
                    dob=dob,
                    nationality3=nationality3,
                    sex=sex,
                ),
            }
        ],
    }
    body.update(extra)
    return body


def break_check_digit(mrz: str) -> str:
    """Change the document-number check digit (line 2, position 10) to a wrong value."""
    line1, line2 = mrz.split("\n")
    wrong = str((int(line2[9]) + 1) % 10)
    return f"{line1}\n{line2[:9]}{wrong}{line2[10:]}"
