"""How OCR evidence becomes an MRZ reading: corrections are shown, doubt is never valid.

These build per-character evidence by hand (what the LSTM would report), so each rule of
`mrz_reading.decide` is exercised without an image: the reading must never be valid when
another reading the evidence supports also passes the check digits.
"""

from __future__ import annotations

import datetime as dt

from domain.documents import specimen
from domain.documents.mrz_reading import Cell, decide
from models.documents import MrzFormat


def _sure(text: str) -> list[list[Cell]]:
    return [[Cell(((c, 1.0),)) for c in line] for line in text.split("\n")]


def _td3(number: str = "L898902C3", nationality: str = "UTO", surname: str = "ERIKSSON") -> str:
    return specimen.td3(
        surname=surname,
        given_names="ANNA MARIA",
        document_number=number,
        nationality=nationality,
        date_of_birth=dt.date(1974, 8, 12),
        sex="F",
        expiry_date=dt.date(2032, 4, 15),
    )


def test_a_sure_reading_is_valid_and_uncorrected() -> None:
    mrz = _td3()
    reading = decide(_sure(mrz), MrzFormat.TD3)
    assert reading.text == mrz
    assert reading.valid
    assert reading.corrected == [] and reading.ambiguous == [] and reading.uncertain == []


def test_a_weak_lookalike_is_corrected_by_the_check_digit_and_said_so() -> None:
    mrz = _td3(number="L8989O2C3")
    cells = _sure(mrz)
    # The OCR read the O as 0 with some doubt and offered O as the alternative.
    cells[1][5] = Cell((("0", 0.7), ("O", 0.3)))
    reading = decide(cells, MrzFormat.TD3)
    assert reading.text == mrz
    assert reading.corrected == ["document_number"]
    assert not reading.valid  # a correction is a guess: shown and sent to a person


def test_swaps_that_cancel_in_the_check_digit_are_ambiguous_not_valid() -> None:
    # O and 0 differ by 24; at weights 7 and 3 two swaps change the sum by 240: both
    # "OO1234567" and "001234567" pass the document-number and composite check digits.
    mrz = _td3(number="OO1234567")
    cells = _sure(mrz)
    cells[1][0] = Cell((("O", 0.6), ("0", 0.4)))
    cells[1][1] = Cell((("O", 0.6), ("0", 0.4)))
    reading = decide(cells, MrzFormat.TD3)
    assert not reading.valid
    assert "document_number" in reading.ambiguous


def test_a_wrong_digit_with_no_evidence_for_the_right_one_fails_its_check() -> None:
    mrz = _td3()
    broken = mrz[:-5] + ("1" if mrz[-5] != "1" else "2") + mrz[-4:]  # expiry digit
    reading = decide(_sure(broken), MrzFormat.TD3)
    assert not reading.valid
    assert reading.failed


def test_an_unknown_state_code_is_corrected_to_the_only_known_rival() -> None:
    mrz = _td3(nationality="JPN")
    cells = _sure(mrz)
    cells[1][10] = Cell((("U", 0.7), ("J", 0.3)))  # nationality read as UPN
    reading = decide(cells, MrzFormat.TD3)
    assert reading.text.split("\n")[1][10:13] == "JPN"
    assert "nationality" in reading.corrected


def test_two_known_state_codes_in_play_make_the_field_uncertain() -> None:
    mrz = _td3(nationality="AUT")
    cells = _sure(mrz)
    cells[1][12] = Cell((("T", 0.6), ("S", 0.4)))  # AUT or AUS: both are countries
    reading = decide(cells, MrzFormat.TD3)
    assert not reading.valid
    assert "nationality" in reading.uncertain


def test_a_weakly_read_surname_letter_is_uncertain_not_trusted() -> None:
    mrz = _td3(surname="OUELLET")
    cells = _sure(mrz)
    cells[0][5] = Cell((("Q", 0.55), ("O", 0.45)))  # OUELLET or QUELLET: no check digit
    reading = decide(cells, MrzFormat.TD3)
    assert not reading.valid
    assert reading.uncertain == ["surname"]


def test_td1_reading_uses_the_composite_over_both_lines() -> None:
    mrz = specimen.td1(
        surname="ERIKSSON",
        given_names="ANNA MARIA",
        document_number="D23145890",
        nationality="UTO",
        date_of_birth=dt.date(1974, 8, 12),
        sex="F",
        expiry_date=dt.date(2032, 4, 15),
    )
    reading = decide(_sure(mrz), MrzFormat.TD1)
    assert reading.text == mrz and reading.valid
    cells = _sure(mrz)
    cells[0][6] = Cell((("Z", 0.8), ("2", 0.2)))  # a letter where the number has a 2
    reading = decide(cells, MrzFormat.TD1)
    assert reading.text == mrz
    assert reading.corrected == ["document_number"]
