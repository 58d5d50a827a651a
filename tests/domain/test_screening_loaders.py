"""Loaders against the real vendored lists, plus corrupt-file handling."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest

from clearway.settings import DATA_ROOT, REPO_ROOT
from domain.screening.entities import BirthDate, ListLoadError
from domain.screening.loaders import load_ftm, load_list, load_ofac, load_un, parse_ofac_date
from models.screening import ListFormat, ListSpec, PartySchema

OFAC = DATA_ROOT / "sanctions" / "ofac"
UN = DATA_ROOT / "sanctions" / "un" / "consolidated.xml"
FTM = REPO_ROOT / "tests" / "fixtures" / "opensanctions_sample.ftm.json"


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_bytes().splitlines() if line.strip(b"\x1a \r"))


def test_ofac_sdn_counts_and_known_entry() -> None:
    loaded = load_ofac("ofac_sdn", OFAC / "sdn.csv")
    assert loaded.version.entries == _lines(OFAC / "sdn.csv")
    assert loaded.version.names > loaded.version.entries  # aliases from alt.csv joined
    assert loaded.version.published is None
    by_id = {e.source_id: e for e in loaded.entries}
    nasrallah = by_id["2686"]
    assert nasrallah.schema is PartySchema.PERSON
    assert nasrallah.name == "NASRALLAH, Hasan"
    assert "Hasan NASRALLAH" in [a.name for a in nasrallah.aliases]
    assert BirthDate(1960, 1960, 8, 31) in nasrallah.birth_dates
    assert len(nasrallah.birth_dates) == 4  # DOB + three alt. DOB
    assert "LB" in nasrallah.countries
    assert nasrallah.programs == ["SDGT", "SDT", "SYRIA"]
    bank = by_id["306"]
    assert bank.schema is PartySchema.ORGANIZATION
    assert "NATIONAL BANK OF CUBA" in [a.name for a in bank.aliases]
    assert {e.schema for e in loaded.entries} == {
        PartySchema.PERSON,
        PartySchema.ORGANIZATION,
        PartySchema.VESSEL,
        PartySchema.AIRPLANE,
    }


def test_ofac_consolidated_without_alt_add_files() -> None:
    assert not (OFAC / "cons_alt.csv").exists()
    loaded = load_ofac("ofac_cons", OFAC / "cons_prim.csv")
    assert loaded.version.entries == _lines(OFAC / "cons_prim.csv")
    haniya = next(e for e in loaded.entries if e.source_id == "9639")
    assert haniya.birth_dates == [BirthDate(1962, 1962)]
    # the SDN alt.csv beside it belongs to sdn.csv and must not be joined
    assert [a.name for a in haniya.aliases] == ["Ismail Abdul Salah HANIYA"]


def test_un_counts_dates_and_quality() -> None:
    loaded = load_un("un_sc", UN)
    text = UN.read_text(encoding="utf-8")
    assert loaded.version.entries == text.count("<INDIVIDUAL>") + text.count("<ENTITY>")
    assert loaded.version.published == dt.date(2026, 2, 27)
    assert loaded.version.content_hash != hashlib.sha256(b"").hexdigest()
    by_id = {e.source_id: e for e in loaded.entries}
    badege = by_id["6907993"]
    assert badege.name == "ERIC BADEGE"
    assert badege.birth_dates == [BirthDate(1971, 1971)]
    assert badege.countries[0] == "CD"
    ranged = [d for e in loaded.entries for d in e.birth_dates if d.year_from != d.year_to]
    assert ranged, "BETWEEN dates become year ranges"
    assert any(a.weak for e in loaded.entries for a in e.aliases)  # QUALITY Low
    assert by_id["6908402"].schema is PartySchema.ORGANIZATION  # ENTITY "ADF"


def test_ftm_fixture_pep_and_publication_date() -> None:
    loaded = load_ftm("opensanctions", FTM)
    assert loaded.version.entries == 4  # the Address row is not a party
    assert loaded.version.published == dt.date(2025, 11, 3)
    putin = next(e for e in loaded.entries if e.source_id == "Q7747")
    assert "role.pep" in putin.topics
    assert putin.birth_dates[0].full == dt.date(1952, 10, 7)
    assert putin.countries == ["RU"]
    company = next(e for e in loaded.entries if e.schema is PartySchema.COMPANY)
    assert [a.weak for a in company.aliases] == [False, True]


def test_parse_ofac_date_shapes() -> None:
    assert parse_ofac_date("01 Jan 1960") == BirthDate(1960, 1960, 1, 1)
    assert parse_ofac_date("Feb 1960") == BirthDate(1960, 1960, 2)
    assert parse_ofac_date("circa 1960") == BirthDate(1960, 1960, approximate=True)
    assert parse_ofac_date("1960 to 1962") == BirthDate(1960, 1962)
    assert parse_ofac_date("nonsense") is None


def test_corrupt_ofac_names_file_and_line(tmp_path: Path) -> None:
    sdn = tmp_path / "sdn.csv"
    good = (OFAC / "sdn.csv").read_text(encoding="utf-8").splitlines()
    sdn.write_text("\n".join([*good[:10], '999,"BROKEN ROW","individual"', *good[10:20]]))
    with pytest.raises(ListLoadError) as err:
        load_ofac("ofac_sdn", sdn)
    assert err.value.path == str(sdn)
    assert err.value.location == "line 11"


def test_corrupt_un_and_ftm(tmp_path: Path) -> None:
    xml = tmp_path / "un.xml"
    xml.write_bytes(UN.read_bytes()[:50_000])
    with pytest.raises(ListLoadError, match="line"):
        load_un("un_sc", xml)
    ftm = tmp_path / "os.json"
    shutil.copy(FTM, ftm)
    with ftm.open("a") as fh:
        fh.write('{"id": "x", "schema": "Person", "properties": {"name": "not a list"}}\n')
    with pytest.raises(ListLoadError) as err:
        load_list(ListSpec(source="os", format=ListFormat.FTM_JSON, path=str(ftm)))
    assert err.value.location == "line 6"


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(ListLoadError, match="cannot read"):
        load_un("un_sc", tmp_path / "absent.xml")
