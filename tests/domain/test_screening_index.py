"""End-to-end search on the real lists, the process cache and all-or-nothing reloads."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from clearway.settings import DATA_ROOT, default_sanctions_lists
from domain.screening.entities import ListLoadError
from domain.screening.index import IndexHolder, SanctionsIndex, clear_cache, get_index
from domain.screening.matcher import MATCHER_VERSION
from models.screening import ListFormat, ListSpec, PartySchema, ScreenPartyInput

THRESHOLD = 0.70


@pytest.fixture(scope="module")
def index() -> SanctionsIndex:
    return get_index(default_sanctions_lists())


def _ids(index: SanctionsIndex, name: str, **kw: object) -> list[tuple[str, str]]:
    query = ScreenPartyInput(party_id="t", name=name, **kw)  # type: ignore[arg-type]
    return [(h.source, h.source_id) for h in index.search(query, THRESHOLD)]


@pytest.mark.parametrize(
    ("name", "source", "source_id"),
    [
        ("Hasan Nasrallah", "ofac_sdn", "2686"),
        ("Hassan Nasralla", "ofac_sdn", "2686"),  # transliteration + typo
        ("Usama bin Ladin", "ofac_sdn", "6365"),
        ("Jong Un Kim", "ofac_sdn", "20157"),
        ("Ismail Haniya", "ofac_cons", "9639"),  # missing middle names
        ("Eric Badege", "un_sc", "6907993"),
    ],
)
def test_listed_names_are_found(
    index: SanctionsIndex, name: str, source: str, source_id: str
) -> None:
    assert (source, source_id) in _ids(index, name)


def test_organization_found_by_alias(index: SanctionsIndex) -> None:
    hits = _ids(index, "National Bank of Cuba", schema_=PartySchema.ORGANIZATION)
    assert ("ofac_sdn", "306") in hits


@pytest.mark.parametrize("name", ["Anna Maria Eriksson", "Lars Svensson", "Karin Lindqvist"])
def test_clean_names_have_no_hit(index: SanctionsIndex, name: str) -> None:
    assert _ids(index, name) == []


def test_dob_mismatch_drops_and_match_explains(index: SanctionsIndex) -> None:
    query = ScreenPartyInput(
        party_id="t", name="Hasan Nasrallah", date_of_birth=dt.date(1960, 8, 31)
    )
    hit = next(h for h in index.search(query, THRESHOLD) if h.source_id == "2686")
    assert "DOB matches 1960-08-31" in hit.explanation
    assert hit.score == 1.0
    young = ScreenPartyInput(
        party_id="t", name="Hasan Nasrallaj", date_of_birth=dt.date(1995, 1, 1), country="SE"
    )
    assert "2686" not in [h.source_id for h in index.search(young, THRESHOLD)]


def test_screen_reports_versions_and_matcher(index: SanctionsIndex) -> None:
    result = index.screen(ScreenPartyInput(party_id="t", name="Kim Jong Un"), THRESHOLD)
    assert result.matcher_version == MATCHER_VERSION
    assert [v.source for v in result.lists] == ["ofac_sdn", "ofac_cons", "un_sc"]
    assert all(len(v.content_hash) == 64 for v in result.lists)
    assert result.hits[0].source_id == "20157"
    assert result.hits == sorted(result.hits, key=lambda h: -h.score)


def test_get_index_is_cached(index: SanctionsIndex) -> None:
    assert get_index(default_sanctions_lists()) is index


def _un_spec(path: Path) -> ListSpec:
    return ListSpec(source="un_sc", format=ListFormat.UN_XML, path=str(path))


def test_corrupt_reload_keeps_old_index(tmp_path: Path) -> None:
    un = tmp_path / "consolidated.xml"
    shutil.copy(DATA_ROOT / "sanctions" / "un" / "consolidated.xml", un)
    holder = IndexHolder()
    good = holder.reload([_un_spec(un)])
    un.write_bytes(un.read_bytes()[:30_000])
    with pytest.raises(ListLoadError):
        holder.reload([_un_spec(un)])
    assert holder.index is good
    assert _ids(good, "Eric Badege") == [("un_sc", "6907993")]


def test_get_index_serves_last_good_on_corrupt_change(tmp_path: Path) -> None:
    clear_cache()
    un = tmp_path / "consolidated.xml"
    shutil.copy(DATA_ROOT / "sanctions" / "un" / "consolidated.xml", un)
    good = get_index([_un_spec(un)])
    un.write_bytes(b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>")
    assert get_index([_un_spec(un)]) is good
    fresh = tmp_path / "other.xml"
    fresh.write_bytes(b"<broken")
    with pytest.raises(ListLoadError):
        get_index([_un_spec(fresh)])  # nothing good to fall back to
    clear_cache()


def test_ftm_list_with_pep(tmp_path: Path) -> None:
    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "opensanctions_sample.ftm.json"
    spec = ListSpec(source="opensanctions", format=ListFormat.FTM_JSON, path=str(fixture))
    holder = IndexHolder()
    ftm = holder.reload([spec])
    assert _ids(ftm, "Vladimir Putin") == [("opensanctions", "Q7747")]
    assert _ids(ftm, "Владимир Путин") == [("opensanctions", "Q7747")]


@pytest.mark.parametrize(
    ("name", "source_id"),
    [("صدام حسين التكريتي", "7843"), ("أسامة بن لادن", "6365"), ("أيمن الظواهري", "2676")],
)
def test_arabic_script_query_finds_the_latin_listing(
    index: SanctionsIndex, name: str, source_id: str
) -> None:
    hits = index.search(ScreenPartyInput(party_id="t", name=name), THRESHOLD)
    assert ("ofac_sdn", source_id) in [(h.source, h.source_id) for h in hits]
    assert "arabic-skeleton" in hits[0].explanation


def test_exact_name_is_found_among_many_sharing_its_words(index: SanctionsIndex) -> None:
    # "U.I. International": every token is common, only the whole name is distinctive.
    hits = _ids(index, "U.I. INTERNATIONAL", schema_=PartySchema.ORGANIZATION)
    assert ("ofac_sdn", "8412") in hits


def _perturbed_names(index: SanctionsIndex, n: int) -> list[str]:
    """Listed names typed wrong, cut short, reduced to initials, or mixed with others."""
    import random

    rng = random.Random(11)
    names = [indexed.text for indexed in index.names if not indexed.norm.arabic]
    out: list[str] = []
    for _ in range(n):
        words = rng.choice(names).replace(",", " ").split()
        roll = rng.random()
        if roll < 0.2 and words:
            i = rng.randrange(len(words))
            w = words[i]
            if len(w) > 3:
                p = rng.randrange(1, len(w) - 1)
                words[i] = w[:p] + rng.choice("aeiknrstuy") + w[p + 1 :]
        elif roll < 0.4 and len(words) > 1:
            words[rng.randrange(len(words) - 1)] = words[0][0]
        elif roll < 0.55 and words and len(words[-1]) > 4:
            words[-1] = words[-1][: rng.randint(2, len(words[-1]) - 1)]
        elif roll < 0.75:
            words = [rng.choice(rng.choice(names).split()), *words[-1:]]
        elif roll < 0.85:
            words = ["".join(words)]
        out.append(" ".join(words) or "x")
    return out


@pytest.mark.parametrize("floor", [0.35, 0.55, 0.75])
def test_alignment_bound_never_drops_a_candidate_that_reaches_the_floor(
    index: SanctionsIndex, floor: float
) -> None:
    """`_shortlist` drops candidates `may_reach` rules out; each would have scored below
    the floor in `compare` (the bound is an upper bound, not a heuristic)."""
    from domain.screening.matcher import compare
    from domain.screening.normalize import normalize_name

    dropped = 0
    for name in _perturbed_names(index, 400):
        for schema in (PartySchema.PERSON, PartySchema.ORGANIZATION):
            norm = normalize_name(name, schema)
            candidates = index._candidates(norm) if norm.tokens else []
            if not candidates:
                continue
            everyone = index._shortlist(norm, candidates)
            kept = {name_no for name_no, _ in index._shortlist(norm, candidates, floor)}
            for name_no, sims in everyone:
                listed = index.names[name_no].norm
                for org in (False, True):
                    score, _ = compare(norm, listed, org, sims)
                    if name_no not in kept:
                        assert score < floor, (name, index.names[name_no].text, score)
            dropped += len(everyone) - len(kept)
    assert dropped > 0
