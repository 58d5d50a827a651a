"""Publisher formats → `ListEntry` + `ListVersion`.

Every loader reads whole files into memory first, hashes exactly the bytes it parses, and
raises `ListLoadError` (file + line/element) on anything it cannot interpret: a half-read
list must never become the index a customer is screened against.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from domain.screening.countries import country_code
from domain.screening.entities import Alias, BirthDate, ListEntry, ListLoadError, LoadedList
from models.screening import ListFormat, ListSpec, ListVersion, PartySchema

log = logging.getLogger(__name__)

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


def load_list(spec: ListSpec) -> LoadedList:
    if spec.format is ListFormat.OFAC_CSV:
        return load_ofac(spec.source, Path(spec.path))
    if spec.format is ListFormat.UN_XML:
        return load_un(spec.source, Path(spec.path))
    if spec.format is ListFormat.FTM_JSON:
        return load_ftm(spec.source, Path(spec.path))
    raise ListLoadError(spec.path, "spec", f"unsupported format {spec.format!r}")


def load_lists(specs: Sequence[ListSpec]) -> list[LoadedList]:
    """All or nothing: the first failing list aborts the whole load."""
    return [load_list(spec) for spec in specs]


def list_files(spec: ListSpec) -> list[Path]:
    """Every file a spec's content depends on (OFAC: primary plus the alt/add files present)."""
    primary = Path(spec.path)
    if spec.format is ListFormat.OFAC_CSV:
        return [primary, *(p for p in _ofac_companions(primary) if p.exists())]
    return [primary]


def content_hash(paths: Iterable[Path], blobs: Sequence[bytes] | None = None) -> str:
    digest = hashlib.sha256()
    for i, path in enumerate(paths):
        data = blobs[i] if blobs is not None else path.read_bytes()
        digest.update(path.name.encode() + b"\0")
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ListLoadError(str(path), "file", f"cannot read: {exc.strerror}") from exc


def _decode(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ListLoadError(str(path), f"line {line}", "not valid UTF-8") from exc
    # DOS end-of-file marker that OFAC still appends to the legacy exports.
    return text.rstrip("\x1a\r\n ")


# ---------------------------------------------------------------- OFAC legacy CSV


def _ofac_companions(primary: Path) -> list[Path]:
    stem = primary.stem
    prefix = "" if stem == "sdn" else stem.removesuffix("_prim") + "_"
    return [primary.with_name(f"{prefix}alt.csv"), primary.with_name(f"{prefix}add.csv")]


def _ofac_rows(path: Path, text: str, width: int) -> Iterable[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip("\x1a ")):
                continue
            if len(row) != width:
                raise ListLoadError(
                    str(path), f"line {reader.line_num}", f"{len(row)} columns, expected {width}"
                )
            cells = [c.strip() for c in row]
            yield reader.line_num, ["" if c == "-0-" else c for c in cells]
    except csv.Error as exc:
        raise ListLoadError(str(path), f"line {reader.line_num}", f"CSV error: {exc}") from exc


def _ent_num(path: Path, line: int, value: str) -> str:
    if not value.isdigit():
        raise ListLoadError(str(path), f"line {line}", f"ent_num {value!r} is not a number")
    return value


_OFAC_SCHEMA = {
    "individual": PartySchema.PERSON,
    "vessel": PartySchema.VESSEL,
    "aircraft": PartySchema.AIRPLANE,
    "": PartySchema.ORGANIZATION,
}
_REMARK = re.compile(
    r"^(?:alt\.\s+)?(?P<key>DOB|POB|nationality|citizen|Passport|National ID No\.|"
    r"Cedula No\.|Tax ID No\.|Registration ID|Vessel Registration Identification)\s+(?P<val>.+)$"
)


def parse_ofac_date(text: str) -> BirthDate | None:
    """'01 Jan 1960', 'Jan 1960', '1960', 'circa 1960', '1960 to 1962', '01 Jan 1960 to …'."""
    text = text.strip().rstrip(".").strip()
    approximate = text.lower().startswith("circa")
    if approximate:
        text = text[5:].strip()
    if " to " in text:
        lo, hi = (parse_ofac_date(part) for part in text.split(" to ", 1))
        if lo is None or hi is None:
            return None
        return BirthDate(min(lo.year_from, hi.year_from), max(lo.year_to, hi.year_to))
    parts = text.split()
    try:
        if len(parts) == 3:
            day, month, year = int(parts[0]), _MONTHS[parts[1][:3].lower()], int(parts[2])
            return BirthDate(year, year, month, day, approximate)
        if len(parts) == 2:
            month, year = _MONTHS[parts[0][:3].lower()], int(parts[1])
            return BirthDate(year, year, month, None, approximate)
        if len(parts) == 1:
            year = int(parts[0])
            return BirthDate(year, year, None, None, approximate)
    except (KeyError, ValueError):
        return None
    return None


def _natural_order(name: str) -> str | None:
    """'SURNAME, Given Names' → 'Given Names SURNAME' (OFAC individuals only)."""
    if name.count(",") != 1:
        return None
    surname, given = (p.strip() for p in name.split(","))
    return f"{given} {surname}" if surname and given else None


def _parse_remarks(entry: ListEntry, remarks: str) -> None:
    for raw in remarks.split(";"):
        part = raw.strip().rstrip(".").strip()
        m = _REMARK.match(part)
        if not m:
            continue
        key, val = m.group("key"), m.group("val").strip()
        if key == "DOB":
            date = parse_ofac_date(val)
            if date is not None:
                entry.birth_dates.append(date)
        elif key in ("nationality", "citizen"):
            _add_country(entry, val)
        elif key == "POB":
            _add_country(entry, val.rsplit(",", 1)[-1])
        else:
            entry.identifiers.append(f"{key.rstrip('.')} {val}")


def _add_country(entry: ListEntry, name: str) -> None:
    code = country_code(name)
    if code is not None and code not in entry.countries:
        entry.countries.append(code)


def load_ofac(source: str, path: Path) -> LoadedList:
    paths = list_files(ListSpec(source=source, format=ListFormat.OFAC_CSV, path=str(path)))
    blobs = [_read(p) for p in paths]
    entries: dict[str, ListEntry] = {}
    for line, row in _ofac_rows(path, _decode(path, blobs[0]), 12):
        ent_num = _ent_num(path, line, row[0])
        name, sdn_type = row[1], row[2].lower()
        if not name:
            raise ListLoadError(str(path), f"line {line}", "empty name")
        if sdn_type not in _OFAC_SCHEMA:
            raise ListLoadError(str(path), f"line {line}", f"unknown sdn_type {sdn_type!r}")
        schema = _OFAC_SCHEMA[sdn_type]
        programs = [p.strip(" []") for p in row[3].split("] [") if p.strip(" []")]
        entry = ListEntry(source, ent_num, schema, name, programs=programs)
        if schema is PartySchema.PERSON and (natural := _natural_order(name)):
            entry.aliases.append(Alias(natural))
        _parse_remarks(entry, row[11])
        if ent_num in entries:
            raise ListLoadError(str(path), f"line {line}", f"duplicate ent_num {ent_num}")
        entries[ent_num] = entry
    for companion, blob in zip(paths[1:], blobs[1:], strict=True):
        text = _decode(companion, blob)
        if companion.name.endswith("alt.csv"):
            for line, row in _ofac_rows(companion, text, 5):
                found = entries.get(_ent_num(companion, line, row[0]))
                if found is None or not row[3]:
                    continue
                found.aliases.append(Alias(row[3], weak=row[2].lower() == "weak aka"))
                if found.schema is PartySchema.PERSON and (natural := _natural_order(row[3])):
                    found.aliases.append(Alias(natural))
        else:
            for line, row in _ofac_rows(companion, text, 6):
                found = entries.get(_ent_num(companion, line, row[0]))
                if found is not None and row[4]:
                    _add_country(found, row[4])
    return _finish(source, "U.S. Treasury OFAC", None, paths, blobs, list(entries.values()))


# ---------------------------------------------------------------- UN consolidated XML


def _text(el: ET.Element | None, tag: str) -> str:
    if el is None:
        return ""
    found = el.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _un_birth_date(el: ET.Element) -> BirthDate | None:
    kind = _text(el, "TYPE_OF_DATE").upper()
    date_text, year_text = _text(el, "DATE"), _text(el, "YEAR")
    if date_text:
        parsed = dt.date.fromisoformat(date_text[:10])
        return BirthDate(
            parsed.year, parsed.year, parsed.month, parsed.day, kind == "APPROXIMATELY"
        )
    if year_text:
        year = int(year_text)
        return BirthDate(year, year, None, None, kind == "APPROXIMATELY")
    lo, hi = _text(el, "FROM_YEAR"), _text(el, "TO_YEAR")
    if lo and hi:
        return BirthDate(int(lo), int(hi))
    return None


def _un_entry(source: str, el: ET.Element, person: bool) -> ListEntry:
    dataid = _text(el, "DATAID")
    if not dataid:
        raise ValueError("missing DATAID")
    parts = (
        ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME") if person else ("FIRST_NAME",)
    )
    name = " ".join(t for t in (_text(el, p) for p in parts) if t)
    if not name:
        raise ValueError(f"DATAID {dataid}: no name")
    schema = PartySchema.PERSON if person else PartySchema.ORGANIZATION
    entry = ListEntry(source, dataid, schema, name, programs=[_text(el, "UN_LIST_TYPE")])
    prefix = "INDIVIDUAL" if person else "ENTITY"
    for alias in el.findall(f"{prefix}_ALIAS"):
        alias_name = _text(alias, "ALIAS_NAME")
        if alias_name:
            weak = _text(alias, "QUALITY").lower() == "low"
            entry.aliases.append(Alias(alias_name, weak=weak))
    original = _text(el, "NAME_ORIGINAL_SCRIPT")
    if original:
        entry.aliases.append(Alias(original))
    for dob in el.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        parsed = _un_birth_date(dob)
        if parsed is not None:
            entry.birth_dates.append(parsed)
    for nat in el.findall("NATIONALITY/VALUE"):
        _add_country(entry, nat.text or "")
    for addr in el.findall(f"{prefix}_ADDRESS"):
        _add_country(entry, _text(addr, "COUNTRY"))
    for doc in el.findall("INDIVIDUAL_DOCUMENT"):
        number = _text(doc, "NUMBER")
        if number:
            entry.identifiers.append(f"{_text(doc, 'TYPE_OF_DOCUMENT')} {number}".strip())
    return entry


def load_un(source: str, path: Path) -> LoadedList:
    data = _read(path)
    try:
        root = ET.fromstring(data)  # noqa: S314 - trusted, configured list file
    except ET.ParseError as exc:
        line, col = exc.position
        raise ListLoadError(str(path), f"line {line} column {col}", "XML parse error") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ListLoadError(str(path), f"<{root.tag}>", "root is not CONSOLIDATED_LIST")
    entries: list[ListEntry] = []
    for group, child, person in (
        ("INDIVIDUALS", "INDIVIDUAL", True),
        ("ENTITIES", "ENTITY", False),
    ):
        for i, el in enumerate(root.findall(f"{group}/{child}"), 1):
            try:
                entries.append(_un_entry(source, el, person))
            except ValueError as exc:
                raise ListLoadError(str(path), f"{child}[{i}]", str(exc)) from exc
    generated = root.get("dateGenerated", "")
    published = dt.date.fromisoformat(generated[:10]) if generated else None
    return _finish(source, "United Nations Security Council", published, [path], [data], entries)


# ---------------------------------------------------------------- FollowTheMoney JSON lines

_FTM_SCHEMAS = {
    "Person": PartySchema.PERSON,
    "Organization": PartySchema.ORGANIZATION,
    "Company": PartySchema.COMPANY,
    "LegalEntity": PartySchema.LEGAL_ENTITY,
    "PublicBody": PartySchema.ORGANIZATION,
    "Vessel": PartySchema.VESSEL,
    "Airplane": PartySchema.AIRPLANE,
}
_FTM_IDS = ("idNumber", "passportNumber", "registrationNumber", "taxNumber", "imoNumber")


def _ftm_date(text: str) -> BirthDate | None:
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", text)
    if not m:
        return None
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    return BirthDate(year, year, month, day)


def _ftm_entry(source: str, obj: Any) -> ListEntry | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise ValueError("not an entity object with an 'id'")
    schema = _FTM_SCHEMAS.get(str(obj.get("schema", "")))
    if schema is None:
        return None  # addresses, sanctions, relations: not screenable parties
    props = obj.get("properties", {})
    if not isinstance(props, dict):
        raise ValueError("'properties' is not an object")

    def values(key: str) -> list[str]:
        raw = props.get(key, [])
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise ValueError(f"property {key!r} is not a list of strings")
        return [v for v in raw if v.strip()]

    names = values("name")
    if not names:
        raise ValueError(f"entity {obj['id']}: no name")
    entry = ListEntry(source, obj["id"], schema, names[0])
    entry.aliases += [Alias(n) for n in names[1:] + values("alias") + values("previousName")]
    entry.aliases += [Alias(n, weak=True) for n in values("weakAlias")]
    for raw_date in values("birthDate"):
        parsed = _ftm_date(raw_date)
        if parsed is not None:
            entry.birth_dates.append(parsed)
    for key in ("nationality", "citizenship", "country", "jurisdiction", "flag"):
        for code in values(key):
            _add_country(entry, code)
    entry.programs = values("programId") or values("program")
    entry.identifiers = [v for key in _FTM_IDS for v in values(key)]
    entry.topics = values("topics")
    return entry


def load_ftm(source: str, path: Path) -> LoadedList:
    data = _read(path)
    entries: list[ListEntry] = []
    stamps: list[str] = []
    for line_no, line in enumerate(_decode(path, data).splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            entry = _ftm_entry(source, obj)
        except (json.JSONDecodeError, ValueError) as exc:
            raise ListLoadError(str(path), f"line {line_no}", str(exc)) from exc
        if entry is not None:
            entries.append(entry)
            stamps += [str(obj[k]) for k in ("last_change", "first_seen") if obj.get(k)]
    published = dt.date.fromisoformat(max(stamps)[:10]) if stamps else None
    return _finish(source, "OpenSanctions", published, [path], [data], entries)


def _finish(
    source: str,
    publisher: str,
    published: dt.date | None,
    paths: list[Path],
    blobs: list[bytes],
    entries: list[ListEntry],
) -> LoadedList:
    if not entries:
        raise ListLoadError(str(paths[0]), "file", "no entries")
    names = sum(len(e.all_names()) for e in entries)
    version = ListVersion(
        source=source,
        publisher=publisher,
        published=published,
        content_hash=content_hash(paths, blobs),
        entries=len(entries),
        names=names,
    )
    log.info("loaded list source=%s entries=%d names=%d", source, len(entries), names)
    return LoadedList(version, entries)
