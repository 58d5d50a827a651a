"""List deltas and the delta index: what a list update can newly match, and nothing else."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from clearway.settings import DATA_ROOT, Settings
from domain.rescreening import Rescreener
from domain.risk import load_risk_model
from domain.screening.active import merge_specs
from domain.screening.delta import DeltaIndex, delta_index, diff_lists
from domain.screening.entities import Alias, BirthDate, ListEntry, LoadedList
from domain.screening.index import SanctionsIndex
from domain.screening.loaders import load_list
from models.rescreening import ChangeKind, ComputeListDeltaInput, ListVersionRef
from models.screening import ListFormat, ListSpec, ListVersion, PartySchema, ScreenPartyInput

VERSION = ListVersion(source="test", publisher="test", content_hash="0" * 64, entries=0, names=0)


def person(source_id: str, name: str, *aliases: str, dob: BirthDate | None = None) -> ListEntry:
    return ListEntry(
        "test",
        source_id,
        PartySchema.PERSON,
        name,
        aliases=[Alias(a) for a in aliases],
        birth_dates=[dob] if dob else [],
        countries=["SE"],
    )


def test_added_changed_removed_and_unchanged() -> None:
    old = [
        person("1", "Anna Berg"),
        person("2", "Karl Holm"),
        person("3", "Olof Lind", dob=BirthDate(1970, 1970)),
        person("4", "Gone Person"),
    ]
    new = [
        person("1", "Anna Berg"),  # unchanged
        person("2", "Karl Holm", "Carl Holm"),  # new alias
        person("3", "Olof Lind", dob=BirthDate(1971, 1971)),  # DOB corrected
        person("10", "New Listing"),
    ]
    diff = diff_lists(old, new)
    assert [(k, e.source_id) for k, e in diff.changes] == [
        (ChangeKind.CHANGED, "2"),
        (ChangeKind.CHANGED, "3"),
        (ChangeKind.ADDED, "10"),
    ], "numeric ids in numeric order, so chunks are stable"
    assert diff.removed == 1 and diff.added == 1
    assert diff.previous["3"].birth_dates == [BirthDate(1970, 1970)]


def test_case_and_alias_order_are_not_changes() -> None:
    old = [person("1", "Anna Berg", "A. Berg", "Anna Bergh")]
    new = [person("1", "ANNA BERG", "Anna Bergh", "a. berg")]
    diff = diff_lists(old, new)
    assert diff.changes == [] and diff.removed == 0


def test_programs_only_edit_is_not_screened_again() -> None:
    old = [person("1", "Anna Berg")]
    edited = dataclasses.replace(old[0], programs=["SDGT"], identifiers=["Passport 1"])
    assert diff_lists(old, [edited]).changes == []


def test_no_previous_list_means_everything_is_added() -> None:
    diff = diff_lists(None, [person("1", "Anna Berg"), person("2", "Karl Holm")])
    assert [k for k, _ in diff.changes] == [ChangeKind.ADDED, ChangeKind.ADDED]


def test_delta_hash_depends_on_content_only() -> None:
    a = diff_lists([person("1", "A B")], [person("1", "A B"), person("2", "Karl Holm")])
    b = diff_lists([], [person("2", "Karl Holm")])
    c = diff_lists([], [person("2", "Karl Holme")])
    assert a.delta_hash == b.delta_hash != c.delta_hash


def test_single_entry_delta_is_found_where_the_full_index_blocks_it_out() -> None:
    entry = person("1", "Ingeborg Maren Brandvold", dob=BirthDate(1979, 1979, 11, 23))
    query = ScreenPartyInput(
        party_id="cus-1",
        name="Ingeborg Brandvold",
        date_of_birth=dt.date(1979, 11, 23),
        country="SE",
    )
    # Every blocking key of a one-entry index is "too common" (in 100% of names).
    assert SanctionsIndex([LoadedList(VERSION, [entry])]).search(query, 0.7) == []
    index = delta_index(VERSION, [entry])
    assert isinstance(index, DeltaIndex)
    [hit] = index.search(query, 0.7)
    assert hit.source_id == "1" and hit.score >= 0.9
    assert "DOB matches" in hit.explanation
    other = query.model_copy(update={"name": "Karl Holm"})
    assert index.search(other, 0.7) == []
    assert delta_index(VERSION, []) is None


def test_delta_hit_scores_as_in_the_full_list() -> None:
    """The delta index must not be more (or less) eager than onboarding screening."""
    full = load_list(
        ListSpec(
            source="ofac_sdn",
            format=ListFormat.OFAC_CSV,
            path=str(DATA_ROOT / "sanctions/ofac/sdn.csv"),
        )
    )
    [entry] = [e for e in full.entries if e.source_id == "2676"]
    query = ScreenPartyInput(
        party_id="cus-2", name="Ayman Al Zawahiri", date_of_birth=dt.date(1951, 6, 19), country="EG"
    )
    in_full = {h.source_id: h.score for h in SanctionsIndex([full]).search(query, 0.7)}
    [hit] = delta_index(full.version, [entry]).search(query, 0.7)  # type: ignore[union-attr]
    assert hit.score == in_full["2676"]


@pytest.fixture
def rescreener() -> Rescreener:
    return Rescreener(load_risk_model(Settings().risk_model_path))


def _write_ofac(directory: Path, rows: list[tuple[int, str, str]]) -> ListVersionRef:
    directory.mkdir()
    blanks = ",".join(["-0- "] * 7)
    (directory / "sdn.csv").write_text(
        "".join(
            f'{n},"{name}","individual","SDGT",{blanks},"{remarks}"\n' for n, name, remarks in rows
        )
    )
    loaded = load_list(
        ListSpec(source="t", format=ListFormat.OFAC_CSV, path=str(directory / "sdn.csv"))
    )
    return ListVersionRef(
        source="t",
        format=ListFormat.OFAC_CSV,
        content_hash=loaded.version.content_hash,
        stored_path=str(directory / "sdn.csv"),
    )


def test_compute_list_delta_chunks_and_a_stronger_match_is_new(
    rescreener: Rescreener, tmp_path: Path
) -> None:
    old = _write_ofac(
        tmp_path / "old",
        [(1, "BERG, Anna", "DOB 1950."), (2, "HOLM, Karl", "DOB 1960."), (3, "LIND, Olof", "")],
    )
    new = _write_ofac(
        tmp_path / "new",
        [
            (1, "BERG, Anna", "DOB 12 Mar 1984."),  # now agrees with the customer's DOB
            (2, "HOLM, Karl", "DOB 1960; nationality Sweden."),  # country added
            (3, "LIND, Olof", ""),
            (4, "NYSTROM, Per", ""),
        ],
    )
    first, _ = rescreener.delta_chunk(ComputeListDeltaInput(previous=old, current=new, limit=2))
    second, _ = rescreener.delta_chunk(
        ComputeListDeltaInput(previous=old, current=new, offset=2, limit=2)
    )
    assert (first.total, first.added, first.changed, first.removed) == (3, 1, 2, 0)
    assert [e.source_id for e in first.entries + second.entries] == ["1", "2", "4"]
    assert first.delta_hash == second.delta_hash

    indexes = rescreener._indexes(first.ref(old, new).model_copy(update={"limit": 3}))
    anna = ScreenPartyInput(party_id="c1", name="Anna Berg", date_of_birth=dt.date(1984, 3, 12))
    kept, dropped = rescreener._new_hits(indexes, anna, 0.7)
    assert [h.source_id for h in kept] == ["1"] and dropped == 0
    karl = ScreenPartyInput(
        party_id="c2", name="Karl Holm", date_of_birth=dt.date(1960, 5, 5), country="NO"
    )
    kept, dropped = rescreener._new_hits(indexes, karl, 0.7)
    assert kept == [] and dropped == 1, "matched before the edit just as strongly"


def test_merge_specs_overrides_configured_sources_and_adds_new_ones() -> None:
    configured = [
        ListSpec(source="a", format=ListFormat.UN_XML, path="/etc/a.xml"),
        ListSpec(source="b", format=ListFormat.OFAC_CSV, path="/etc/sdn.csv"),
    ]
    active = [
        ListSpec(source="b", format=ListFormat.OFAC_CSV, path="/data/lists/b/h/sdn.csv"),
        ListSpec(source="c", format=ListFormat.FTM_JSON, path="/data/lists/c/h/x.json"),
    ]
    assert [s.path for s in merge_specs(configured, active)] == [
        "/etc/a.xml",
        "/data/lists/b/h/sdn.csv",
        "/data/lists/c/h/x.json",
    ]
