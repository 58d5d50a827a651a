"""The risk model: each rule, the outcome logic, and the loader's errors.

Most tests run against the shipped model file so a weight change that breaks a documented
behaviour shows up here; rule-specific tests build variants in tmp_path.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearway.settings import Settings
from domain.risk import (
    DobRelation,
    ReasonCode,
    RiskModel,
    RiskModelError,
    assess_risk,
    dob_relation,
    load_jurisdictions,
    load_risk_model,
)
from models.common import Finding, Severity
from models.risk import AssessRiskInput, RiskAssessment, RiskLevel, RiskOutcome
from models.screening import PartySchema, ScreeningHit

RISK_DIR = Path(__file__).resolve().parents[2] / "data" / "risk"
MODEL_FILE = RISK_DIR / "risk_model.yaml"
AS_OF = dt.date(2026, 11, 22)
DOB = dt.date(1974, 8, 12)


@pytest.fixture(scope="module")
def model() -> RiskModel:
    return load_risk_model(MODEL_FILE)


def make_input(**changes: Any) -> AssessRiskInput:
    base: dict[str, Any] = {
        "application_id": "app-1",
        "date_of_birth": DOB,
        "nationality": "SE",
        "residence_country": "SE",
        "product": "current_account",
        "document_findings": [],
        "screening_hits": [],
        "as_of": AS_OF,
    }
    base.update(changes)
    return AssessRiskInput(**base)


def hit(score: float, source_id: str = "1001", dobs: list[str] | None = None) -> ScreeningHit:
    return ScreeningHit(
        source="ofac_sdn",
        source_id=source_id,
        entry_name="LISTED PERSON NAME",
        matched_name="LISTED ALIAS NAME",
        schema_=PartySchema.PERSON,
        score=score,
        explanation="token match",
        dates_of_birth=dobs or [],
    )


def doc(severity: Severity, code: str = "MRZ_CHECK_DIGIT") -> Finding:
    return Finding(
        code=code,
        severity=severity,
        message="Document number AA1234567 check digit is 3, expected 4",
        field="documents[0].mrz",
    )


def codes(result: RiskAssessment) -> list[str]:
    return [r.code for r in result.reasons]


def points_in(result: RiskAssessment) -> int:
    total = 0
    for reason in result.reasons:
        m = re.search(r"\+(\d+) points?", reason.message)
        assert m, f"reason {reason.code} does not say how many points it added"
        total += int(m[1])
    return total


def variant(tmp_path: Path, edit: dict[str, Any]) -> RiskModel:
    """The shipped model with `edit` deep-merged in, loaded from tmp_path."""
    data = yaml.safe_load(MODEL_FILE.read_text())

    def merge(into: dict[str, Any], new: dict[str, Any]) -> None:
        for key, value in new.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    data = copy.deepcopy(data)
    merge(data, edit)
    shutil.copy(RISK_DIR / "jurisdictions.yaml", tmp_path / "jurisdictions.yaml")
    path = tmp_path / "risk_model.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_risk_model(path)


# --- the shipped files -------------------------------------------------------------------


def test_shipped_model_loads_and_is_the_settings_default(model: RiskModel) -> None:
    assert Settings().risk_model_path.resolve() == MODEL_FILE
    assert model.version
    assert model.jurisdictions.as_of == dt.date(2026, 6, 19)
    assert "FATF" in model.jurisdictions.source


def test_jurisdiction_lists_hold_the_encoded_statement(model: RiskModel) -> None:
    j = model.jurisdictions
    assert j.codes("call_for_action") == {"KP", "IR", "MM"}
    grey = j.codes("increased_monitoring")
    assert len(grey) == len(j.increased_monitoring) == 22
    assert {"BA", "IQ", "KW", "PG", "VG", "BO", "MC"} <= grey
    # Delisted at the October 2025 and June 2026 plenaries.
    assert not {"ZA", "NG", "MZ", "BF", "DZ", "NA"} & grey
    eu = j.codes("eu_high_risk_third_countries")
    assert {"RU", "AF", "KP"} <= eu and "ZA" not in eu


# --- clean case and the outcome rules ----------------------------------------------------


def test_clean_application_is_approved_low(model: RiskModel) -> None:
    result = assess_risk(make_input(), model)
    assert result == RiskAssessment(
        score=0,
        level=RiskLevel.LOW,
        outcome=RiskOutcome.APPROVE,
        reasons=[],
        model_version=model.version,
        jurisdictions_as_of=dt.date(2026, 6, 19),
    )


def test_score_alone_reaching_prohibited_rejects(model: RiskModel) -> None:
    # 25 (KW) + 25 (BG) + 30 (crypto) + 10 (aged 19) = 90 = prohibited, no reject reason.
    inp = make_input(
        nationality="KW",
        residence_country="BG",
        product="crypto",
        date_of_birth=dt.date(2007, 1, 1),
    )
    result = assess_risk(inp, model)
    assert result.score == 90
    assert all(r.severity is not Severity.REJECT for r in result.reasons)
    assert (result.level, result.outcome) == (RiskLevel.PROHIBITED, RiskOutcome.REJECT)


def test_score_reaching_refer_threshold_refers_without_refer_reason(model: RiskModel) -> None:
    result = assess_risk(make_input(nationality="KW", residence_country="BG"), model)
    assert result.score == 50
    assert all(r.severity is Severity.WARNING for r in result.reasons)
    assert (result.level, result.outcome) == (RiskLevel.HIGH, RiskOutcome.REFER)


def test_score_is_capped_and_equals_the_points_in_the_messages(model: RiskModel) -> None:
    inp = make_input(
        nationality="IR",
        residence_country="KW",
        product="crypto",
        screening_hits=[hit(0.95, dobs=["1974-08-12"])],
    )
    result = assess_risk(inp, model)
    assert points_in(result) > 100
    assert result.score == 100
    small = assess_risk(make_input(nationality="BG", product="crypto"), model)
    assert small.score == points_in(small) == 55


def test_assessment_is_deterministic_and_uses_as_of(model: RiskModel) -> None:
    inp = make_input(date_of_birth=dt.date(2008, 12, 1), as_of=dt.date(2026, 11, 30))
    assert assess_risk(inp, model) == assess_risk(inp, model)
    assert ReasonCode.AGE_UNDERAGE in codes(assess_risk(inp, model))
    later = inp.model_copy(update={"as_of": dt.date(2026, 12, 1)})
    assert ReasonCode.AGE_UNDERAGE not in codes(assess_risk(later, model))


# --- country -----------------------------------------------------------------------------


@pytest.mark.parametrize(("nationality", "residence"), [("IR", "SE"), ("SE", "KP"), ("MM", "MM")])
def test_call_for_action_country_is_prohibited(
    model: RiskModel, nationality: str, residence: str
) -> None:
    result = assess_risk(make_input(nationality=nationality, residence_country=residence), model)
    reason = next(r for r in result.reasons if r.code == "COUNTRY_HIGH_RISK_CALL_FOR_ACTION")
    assert reason.severity is Severity.REJECT
    assert "+100 points" in reason.message
    assert (result.level, result.outcome) == (RiskLevel.PROHIBITED, RiskOutcome.REJECT)


def test_increased_monitoring_adds_points_and_counts_a_country_once(model: RiskModel) -> None:
    result = assess_risk(make_input(nationality="BG", residence_country="BG"), model)
    assert codes(result) == ["COUNTRY_INCREASED_MONITORING"]
    reason = result.reasons[0]
    assert reason.severity is Severity.WARNING
    assert "nationality and residence" in reason.message.lower()
    assert "+25 points" in reason.message
    assert (result.score, result.level, result.outcome) == (
        25,
        RiskLevel.MEDIUM,
        RiskOutcome.APPROVE,
    )


def test_eu_high_risk_country_refers(model: RiskModel) -> None:
    result = assess_risk(make_input(residence_country="RU"), model)
    assert codes(result) == ["COUNTRY_EU_HIGH_RISK_THIRD_COUNTRY"]
    assert result.reasons[0].field == "residence_country"
    assert (result.score, result.outcome) == (15, RiskOutcome.REFER)
    # A grey-listed country on the EU list collects both reasons.
    both = assess_risk(make_input(nationality="KE"), model)
    assert codes(both) == ["COUNTRY_INCREASED_MONITORING", "COUNTRY_EU_HIGH_RISK_THIRD_COUNTRY"]
    assert both.score == 40


def test_eu_list_can_be_switched_off(tmp_path: Path) -> None:
    m = variant(tmp_path, {"country": {"eu_high_risk_third_country": {"enabled": False}}})
    result = assess_risk(make_input(residence_country="RU"), m)
    assert (result.reasons, result.outcome) == ([], RiskOutcome.APPROVE)


def test_country_override_applies_firm_policy(tmp_path: Path) -> None:
    override = {"points": 100, "severity": "reject", "reason": "sanctions policy"}
    m = variant(tmp_path, {"country": {"overrides": {"ru": override}}})
    result = assess_risk(make_input(nationality="RU"), m)
    assert "COUNTRY_POLICY" in codes(result)
    assert result.outcome is RiskOutcome.REJECT


def test_unrecognised_country_refers(model: RiskModel) -> None:
    result = assess_risk(make_input(nationality="XX"), model)
    assert codes(result) == ["COUNTRY_UNRECOGNISED"]
    assert result.outcome is RiskOutcome.REFER


# --- screening ---------------------------------------------------------------------------


def test_possible_match_refers_with_band_points(model: RiskModel) -> None:
    result = assess_risk(make_input(screening_hits=[hit(0.82)]), model)
    assert codes(result) == ["SCREENING_POSSIBLE_MATCH"]
    reason = result.reasons[0]
    assert (reason.severity, reason.field) == (Severity.REFER, "screening_hits[0]")
    assert "+30 points" in reason.message and "ofac_sdn entry 1001" in reason.message
    assert (result.score, result.outcome) == (30, RiskOutcome.REFER)


def test_strong_match_with_dob_refers_with_high_points(model: RiskModel) -> None:
    result = assess_risk(make_input(screening_hits=[hit(0.95, dobs=["12 Aug 1974"])]), model)
    assert codes(result) == ["SCREENING_STRONG_MATCH"]
    assert (result.score, result.level, result.outcome) == (70, RiskLevel.HIGH, RiskOutcome.REFER)


def test_high_score_without_dob_match_is_only_possible(model: RiskModel) -> None:
    unknown = assess_risk(make_input(screening_hits=[hit(0.95)]), model)
    assert codes(unknown) == ["SCREENING_POSSIBLE_MATCH"]
    assert unknown.score == 40
    mismatch = assess_risk(make_input(screening_hits=[hit(0.95, dobs=["1950-01-01"])]), model)
    assert codes(mismatch) == ["SCREENING_POSSIBLE_MATCH"]
    assert mismatch.score == 20  # 40 halved by dob_mismatch_factor
    assert mismatch.outcome is RiskOutcome.REFER


def test_only_the_strongest_hit_is_scored_and_aliases_count_once(model: RiskModel) -> None:
    hits = [hit(0.75, "1"), hit(0.93, "2", ["1974"]), hit(0.99, "2", ["1974"]), hit(0.85, "3")]
    result = assess_risk(make_input(screening_hits=hits), model)
    assert codes(result) == [
        "SCREENING_POSSIBLE_MATCH",
        "SCREENING_STRONG_MATCH",
        "SCREENING_POSSIBLE_MATCH",
    ]
    assert [r.field for r in result.reasons] == [
        "screening_hits[0]",
        "screening_hits[2]",
        "screening_hits[3]",
    ]
    assert result.score == 70
    assert "+0 points (only the strongest hit is scored)" in result.reasons[0].message


def test_hit_below_model_minimum_is_recorded_not_scored(tmp_path: Path) -> None:
    m = variant(tmp_path, {"screening": {"min_score": 0.8}})
    result = assess_risk(make_input(screening_hits=[hit(0.75)]), m)
    assert codes(result) == ["SCREENING_WEAK_MATCH"]
    assert result.reasons[0].severity is Severity.INFO
    assert (result.score, result.outcome) == (0, RiskOutcome.APPROVE)


def test_year_only_dob_can_be_made_not_to_count(tmp_path: Path) -> None:
    m = variant(tmp_path, {"screening": {"year_only_dob_matches": False}})
    result = assess_risk(make_input(screening_hits=[hit(0.95, dobs=["1974"])]), m)
    assert codes(result) == ["SCREENING_POSSIBLE_MATCH"]
    assert result.score == 40  # consistent year: not a match, but not a contradiction


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        (["1974-08-12"], DobRelation.MATCH),
        (["12 Aug 1974"], DobRelation.MATCH),
        (["DOB 12 August 1974; alt. DOB 1975"], DobRelation.MATCH),
        (["Aug 1974"], DobRelation.MATCH),
        (["1974-08"], DobRelation.MATCH),
        (["1974"], DobRelation.MATCH),
        (["1970 to 1976"], DobRelation.MATCH),
        (["circa 1974"], DobRelation.MATCH),
        (["1974-08-13"], DobRelation.MISMATCH),
        (["13 Aug 1974", "1960"], DobRelation.MISMATCH),
        (["1980 to 1985"], DobRelation.MISMATCH),
        ([], DobRelation.UNKNOWN),
        (["unknown"], DobRelation.UNKNOWN),
    ],
)
def test_dob_relation_reads_list_formats(listed: list[str], expected: DobRelation) -> None:
    assert dob_relation(DOB, listed, year_only_matches=True) is expected


# --- documents ---------------------------------------------------------------------------


def test_document_referral_refers(model: RiskModel) -> None:
    result = assess_risk(make_input(document_findings=[doc(Severity.REFER)]), model)
    assert codes(result) == ["DOCUMENT_REFERRAL"]
    reason = result.reasons[0]
    assert reason.field == "documents[0].mrz"
    assert "MRZ_CHECK_DIGIT" in reason.message and "+20 points" in reason.message
    assert "AA1234567" not in reason.message
    assert result.outcome is RiskOutcome.REFER


def test_document_rejection_rejects(model: RiskModel) -> None:
    result = assess_risk(make_input(document_findings=[doc(Severity.REJECT)]), model)
    assert codes(result) == ["DOCUMENT_REJECTION"]
    assert (result.level, result.outcome) == (RiskLevel.PROHIBITED, RiskOutcome.REJECT)


def test_document_warning_adds_points_and_info_is_ignored(model: RiskModel) -> None:
    findings = [doc(Severity.INFO, "OCR_USED"), doc(Severity.WARNING, "EXPIRES_SOON")]
    result = assess_risk(make_input(document_findings=findings), model)
    assert codes(result) == ["DOCUMENT_WARNING"]
    assert (result.score, result.outcome) == (5, RiskOutcome.APPROVE)


def test_document_points_are_capped(model: RiskModel) -> None:
    findings = [doc(Severity.REFER, f"CHECK_{i}") for i in range(4)]
    result = assess_risk(make_input(document_findings=findings), model)
    assert result.score == 60
    assert "+0 points (document points capped)" in result.reasons[3].message


# --- age ---------------------------------------------------------------------------------


def test_underage_rejects(model: RiskModel) -> None:
    dob = dt.date(AS_OF.year - 18, AS_OF.month, AS_OF.day + 1)  # 18 tomorrow
    result = assess_risk(make_input(date_of_birth=dob), model)
    assert codes(result) == ["AGE_UNDERAGE"]
    assert (result.level, result.outcome) == (RiskLevel.PROHIBITED, RiskOutcome.REJECT)


def test_eighteenth_birthday_is_adult_young_band(model: RiskModel) -> None:
    dob = dt.date(AS_OF.year - 18, AS_OF.month, AS_OF.day)
    result = assess_risk(make_input(date_of_birth=dob), model)
    assert codes(result) == ["AGE_YOUNG_ADULT"]
    assert (result.score, result.outcome) == (10, RiskOutcome.APPROVE)


def test_leap_day_birthday(model: RiskModel) -> None:
    inp = make_input(date_of_birth=dt.date(2008, 2, 29), as_of=dt.date(2026, 2, 28))
    assert codes(assess_risk(inp, model)) == ["AGE_UNDERAGE"]
    inp = inp.model_copy(update={"as_of": dt.date(2026, 3, 1)})
    assert codes(assess_risk(inp, model)) == ["AGE_YOUNG_ADULT"]


def test_senior_band(model: RiskModel) -> None:
    result = assess_risk(make_input(date_of_birth=dt.date(1940, 1, 1)), model)
    assert codes(result) == ["AGE_SENIOR"]
    assert result.score == 10


@pytest.mark.parametrize("dob", [dt.date(2027, 1, 1), dt.date(1900, 1, 1)])
def test_implausible_age_refers(model: RiskModel, dob: dt.date) -> None:
    result = assess_risk(make_input(date_of_birth=dob), model)
    assert codes(result) == ["AGE_IMPLAUSIBLE"]
    assert result.outcome is RiskOutcome.REFER


# --- product -----------------------------------------------------------------------------


def test_product_risk_points(model: RiskModel) -> None:
    result = assess_risk(make_input(product="crypto"), model)
    assert codes(result) == ["PRODUCT_RISK"]
    assert (result.score, result.level, result.outcome) == (
        30,
        RiskLevel.MEDIUM,
        RiskOutcome.APPROVE,
    )
    assert assess_risk(make_input(product="savings"), model).reasons == []


def test_unknown_product_refers(model: RiskModel) -> None:
    result = assess_risk(make_input(product="time_machine"), model)
    assert codes(result) == ["PRODUCT_UNKNOWN"]
    assert (result.score, result.outcome) == (15, RiskOutcome.REFER)


# --- explanations ------------------------------------------------------------------------


def test_every_reason_has_a_catalogued_code_points_and_no_personal_data(model: RiskModel) -> None:
    inp = make_input(
        nationality="KE",
        residence_country="IR",
        product="crypto",
        date_of_birth=dt.date(2007, 3, 4),
        screening_hits=[hit(0.91, dobs=["2007-03-04"]), hit(0.72, "2")],
        document_findings=[doc(Severity.REFER), doc(Severity.WARNING, "EXPIRES_SOON")],
    )
    result = assess_risk(inp, model)
    catalogue = {c.value for c in ReasonCode} | {b.code for b in model.age.bands}
    assert len(result.reasons) == 10
    for reason in result.reasons:
        assert reason.code in catalogue
        for personal in ("2007-03-04", "04.03.2007", "LISTED PERSON", "LISTED ALIAS"):
            assert personal not in reason.message
    assert points_in(result) >= result.score == 100


# --- malformed files ---------------------------------------------------------------------


def write_model(tmp_path: Path, data: dict[str, Any]) -> Path:
    shutil.copy(RISK_DIR / "jurisdictions.yaml", tmp_path / "jurisdictions.yaml")
    path = tmp_path / "risk_model.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("edit", "field", "why"),
    [
        ({"thresholds": {"high": "lots"}}, "thresholds.high", "valid integer"),
        ({"thresholds": {"medium": 60}}, "thresholds", "ascend"),
        (
            {"country": {"increased_monitoring": {"points": 250}}},
            "country.increased_monitoring.points",
            "less than or equal to 100",
        ),
        (
            {"screening": {"strong_match": {"min_scor": 0.9}}},
            "screening.strong_match.min_scor",
            "Extra inputs",
        ),
        ({"documents": {"points": {"refer": 20}}}, "documents.points", "missing points"),
        ({"products": {"points": {"Crypto!": 5}}}, "products.points.Crypto! (key)", "pattern"),
        (
            {"country": {"overrides": {"ZZ": {"points": 5, "reason": "x"}}}},
            "country.overrides.ZZ (key)",
            "alpha-2",
        ),
        (
            {"age": {"bands": [{"code": "YOUNG", "min": 18, "max": 20, "points": 5}]}},
            "age.bands.0.code",
            "pattern",
        ),
    ],
)
def test_malformed_model_names_the_field(
    tmp_path: Path, edit: dict[str, Any], field: str, why: str
) -> None:
    data = yaml.safe_load(MODEL_FILE.read_text())
    for section, values in edit.items():
        data[section].update(values)  # replaces whole sub-sections
    path = write_model(tmp_path, data)
    with pytest.raises(RiskModelError) as err:
        load_risk_model(path)
    message = str(err.value)
    assert str(path) in message
    assert f"{field}:" in message
    assert why in message


def test_missing_section_is_named(tmp_path: Path) -> None:
    data = yaml.safe_load(MODEL_FILE.read_text())
    del data["thresholds"]
    with pytest.raises(RiskModelError, match=r"thresholds: Field required"):
        load_risk_model(write_model(tmp_path, data))


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(RiskModelError, match="cannot read"):
        load_risk_model(tmp_path / "absent.yaml")
    bad = tmp_path / "risk_model.yaml"
    bad.write_text("version: [unclosed\n")
    with pytest.raises(RiskModelError, match="not valid YAML"):
        load_risk_model(bad)
    bad.write_text("- a list\n")
    with pytest.raises(RiskModelError, match="mapping"):
        load_risk_model(bad)


def test_missing_jurisdictions_file_is_reported(tmp_path: Path) -> None:
    data = yaml.safe_load(MODEL_FILE.read_text())
    data["jurisdictions_file"] = "nowhere.yaml"
    path = tmp_path / "risk_model.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RiskModelError, match=r"nowhere\.yaml: cannot read"):
        load_risk_model(path)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        # Unquoted NO is YAML 1.1 for false: the loader must not accept Norway as a bool.
        ("increased_monitoring:\n  - {code: NO, name: Norway}\n", "increased_monitoring.0.code"),
        ("increased_monitoring:\n  - {code: XQ, name: Nowhere}\n", "increased_monitoring.0.code"),
        ("increased_monitoring:\n  - {code: IR, name: Iran}\n", "(top level)"),
    ],
)
def test_malformed_jurisdictions_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "jurisdictions.yaml"
    path.write_text(
        "as_of: 2026-06-19\nsource: test\ncall_for_action:\n  - {code: IR, name: Iran}\n" + text
    )
    with pytest.raises(RiskModelError) as err:
        load_jurisdictions(path)
    assert str(path) in str(err.value)
    assert f"{field}:" in str(err.value)
