"""Sanctions/PEP screening payloads: who is screened, what matched, against which lists."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from models.common import FrozenModel


class PartySchema(StrEnum):
    """FollowTheMoney schema names, so lists of any source share one vocabulary."""

    PERSON = "Person"
    ORGANIZATION = "Organization"
    COMPANY = "Company"
    LEGAL_ENTITY = "LegalEntity"
    VESSEL = "Vessel"
    AIRPLANE = "Airplane"


class ScreenPartyInput(FrozenModel):
    party_id: str
    """Opaque reference (workflow id or customer id), never a name."""
    name: str
    date_of_birth: dt.date | None = None
    country: str | None = None
    """ISO 3166-1 alpha-2 nationality or country of incorporation."""
    schema_: PartySchema = PartySchema.PERSON


class ListVersion(FrozenModel):
    """Exactly what was screened against: an auditor can reproduce the decision."""

    source: str
    """Configured list id, e.g. 'ofac_sdn', 'ofac_cons', 'un_sc', 'opensanctions'."""
    publisher: str
    published: dt.date | None = None
    content_hash: str
    """sha256 of the list file(s) as loaded."""
    entries: int
    names: int


class ScreeningHit(FrozenModel):
    source: str
    source_id: str
    """The list's own id: OFAC ent_num, UN DATAID, FtM id."""
    entry_name: str
    """Primary name of the listed entry."""
    matched_name: str
    """The name (primary or alias) that matched the query."""
    schema_: PartySchema
    score: float
    explanation: str
    programs: list[str] = []
    dates_of_birth: list[str] = []
    countries: list[str] = []


class ScreeningResult(FrozenModel):
    hits: list[ScreeningHit]
    threshold: float
    matcher_version: str
    lists: list[ListVersion]


class ListFormat(StrEnum):
    OFAC_CSV = "ofac_csv"
    """OFAC legacy CSV: a directory with sdn.csv (or cons_prim.csv) and alt/add files."""
    UN_XML = "un_xml"
    FTM_JSON = "ftm_json"
    """OpenSanctions FollowTheMoney entities, one JSON object per line."""


class ListSpec(FrozenModel):
    """One configured sanctions/PEP list (setting `CLEARWAY_SANCTIONS_LISTS`)."""

    source: str
    format: ListFormat
    path: str
    """File, or for OFAC CSV the primary file (sdn.csv / cons_prim.csv) beside alt/add."""
