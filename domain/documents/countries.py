"""ICAO 9303 state codes to ISO 3166-1 alpha-2.

MRZs use ISO alpha-3 codes plus a few ICAO-only codes (Germany's historic single `D`, the
British nationality classes, UN and stateless/refugee codes). The application carries ISO
alpha-2, so comparisons need this mapping; codes that do not denote a country map to None and
are explained so an officer knows why the comparison was impossible.
"""

from __future__ import annotations

import pycountry

_ICAO_TO_ALPHA2: dict[str, str] = {
    "D": "DE",
    "GBD": "GB",  # British Overseas Territories Citizen
    "GBN": "GB",  # British National (Overseas)
    "GBO": "GB",  # British Overseas Citizen
    "GBP": "GB",  # British Protected Person
    "GBS": "GB",  # British Subject
}

NOT_A_STATE: dict[str, str] = {
    "UNO": "United Nations official",
    "UNA": "United Nations specialized agency official",
    "UNK": "resident of Kosovo, document issued by UNMIK",
    "XXA": "stateless person",
    "XXB": "refugee (1951 Convention)",
    "XXC": "refugee (other)",
    "XXX": "unspecified nationality",
    "XOM": "Sovereign Military Order of Malta",
    "XPO": "Interpol",
    "EUE": "European Union",
    "XCC": "Caribbean Community",
    "XBA": "African Development Bank",
    "XIM": "African Export-Import Bank",
    "XCE": "Council of Europe",
    "XEC": "ECOWAS",
    "XDC": "SADC",
    "RKS": "Kosovo (no ISO 3166-1 code)",
    "UTO": "Utopia, the ICAO specimen state",
}


def icao_to_alpha2(code: str) -> str | None:
    """Map a printed MRZ state code (fillers already stripped) to ISO alpha-2, or None."""
    code = code.strip("<").upper()
    if code in _ICAO_TO_ALPHA2:
        return _ICAO_TO_ALPHA2[code]
    if code in NOT_A_STATE or len(code) != 3:
        return None
    country = pycountry.countries.get(alpha_3=code)
    return None if country is None else str(country.alpha_2)


def is_known_code(code: str) -> bool:
    """True for ISO alpha-3 and the ICAO specials; lets the verifier flag OCR garbage."""
    code = code.strip("<").upper()
    return code in _ICAO_TO_ALPHA2 or code in NOT_A_STATE or icao_to_alpha2(code) is not None
