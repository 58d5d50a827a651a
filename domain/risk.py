"""Onboarding risk model: explainable points, a level, and an approve / refer / reject outcome.

Why a points model and not a learned one
----------------------------------------
An onboarding decision has to be explained to an officer, an auditor and sometimes a
regulator, reason by reason. Every rule here adds a number of points that is written into
the reason's message, so the score can be re-added by hand from the reasons, and every
number lives in a YAML file (`data/risk/risk_model.yaml`, setting `CLEARWAY_RISK_MODEL_PATH`)
that compliance can review and change without touching code. The model is pure and
deterministic: the same input and file give the same assessment, today or on replay; the
applicant's age is computed against `inp.as_of`, never the wall clock.

The rules
---------
* Country (nationality and residence; a country in both roles counts once per list):
  FATF call for action -> `COUNTRY_HIGH_RISK_CALL_FOR_ACTION` (reject by default);
  FATF increased monitoring -> `COUNTRY_INCREASED_MONITORING` (points);
  EU high-risk third country -> `COUNTRY_EU_HIGH_RISK_THIRD_COUNTRY` (refer: EDD);
  your own `overrides` -> `COUNTRY_POLICY`; an unknown code -> `COUNTRY_UNRECOGNISED`.
  The lists are the dated file `data/risk/jurisdictions.yaml`.
* Screening hits: the strongest hit is scored, the others are listed with 0 points.
  Score >= strong threshold with a matching date of birth -> `SCREENING_STRONG_MATCH`;
  otherwise score bands -> `SCREENING_POSSIBLE_MATCH` (both refer: a person decides
  whether the applicant is the listed party); a contradicting listed date of birth scales
  the band points down; below the model's minimum -> `SCREENING_WEAK_MATCH` (info).
* Document findings, by severity: reject -> `DOCUMENT_REJECTION`, refer ->
  `DOCUMENT_REFERRAL`, warning -> `DOCUMENT_WARNING`; points capped in total.
* Age on `as_of`: under the minimum -> `AGE_UNDERAGE` (reject); born after `as_of` or
  older than the maximum -> `AGE_IMPLAUSIBLE` (refer); configured bands (e.g.
  `AGE_YOUNG_ADULT`, `AGE_SENIOR`) add points.
* Product: `PRODUCT_RISK` with the product's points; unknown -> `PRODUCT_UNKNOWN`.

Score = sum of points, capped at 100. Level = the highest threshold the score reaches
(`prohibited` whenever a reason has severity reject). Outcome: reject if any reason is
reject-severity or the level is prohibited; refer if any reason is refer-severity or the
score reaches `thresholds.refer`; approve otherwise.

Changing it
-----------
Edit the YAML, bump `version` (recorded on every assessment as `model_version`), and run
`pytest tests/domain/test_risk.py`. After each FATF plenary update
`jurisdictions.yaml` (`as_of`, `source`, the lists). The loader validates both files and
names the offending field, so a typo stops the worker at start instead of skewing
decisions. Messages never carry the applicant's name or date of birth: they are stored in
case records and shown in officer queues. See docs/risk-model.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import pycountry
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from models.common import Finding, Severity
from models.risk import AssessRiskInput, RiskAssessment, RiskLevel, RiskOutcome
from models.screening import ScreeningHit

MAX_SCORE = 100


class ReasonCode(StrEnum):
    """The stable catalogue of reason codes; officers' tools and reports key on these."""

    COUNTRY_HIGH_RISK_CALL_FOR_ACTION = "COUNTRY_HIGH_RISK_CALL_FOR_ACTION"
    COUNTRY_INCREASED_MONITORING = "COUNTRY_INCREASED_MONITORING"
    COUNTRY_EU_HIGH_RISK_THIRD_COUNTRY = "COUNTRY_EU_HIGH_RISK_THIRD_COUNTRY"
    COUNTRY_POLICY = "COUNTRY_POLICY"
    COUNTRY_UNRECOGNISED = "COUNTRY_UNRECOGNISED"
    SCREENING_STRONG_MATCH = "SCREENING_STRONG_MATCH"
    SCREENING_POSSIBLE_MATCH = "SCREENING_POSSIBLE_MATCH"
    SCREENING_WEAK_MATCH = "SCREENING_WEAK_MATCH"
    DOCUMENT_REJECTION = "DOCUMENT_REJECTION"
    DOCUMENT_REFERRAL = "DOCUMENT_REFERRAL"
    DOCUMENT_WARNING = "DOCUMENT_WARNING"
    AGE_UNDERAGE = "AGE_UNDERAGE"
    AGE_IMPLAUSIBLE = "AGE_IMPLAUSIBLE"
    PRODUCT_RISK = "PRODUCT_RISK"
    PRODUCT_UNKNOWN = "PRODUCT_UNKNOWN"


class RiskModelError(ValueError):
    """A risk model or jurisdictions file that cannot be used; the message names the field."""


# --- the files' schema -----------------------------------------------------------------


class _Config(BaseModel):
    """Unknown keys are errors: a misspelt weight must fail loudly, not silently default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _country_code(value: str) -> str:
    code = value.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return code


CountryCode = Annotated[str, AfterValidator(_country_code)]
Points = Annotated[int, Field(ge=0, le=MAX_SCORE)]
Score = Annotated[float, Field(ge=0.0, le=1.0)]


class ListedJurisdiction(_Config):
    code: CountryCode
    name: str
    measure: Literal["countermeasures", "enhanced_due_diligence"] | None = None


class EuHighRiskList(_Config):
    as_of: dt.date
    source: str = Field(min_length=1)
    countries: list[ListedJurisdiction]


class Jurisdictions(_Config):
    """`data/risk/jurisdictions.yaml`: dated FATF lists, optionally the EU list."""

    as_of: dt.date
    source: str = Field(min_length=1)
    call_for_action: list[ListedJurisdiction]
    increased_monitoring: list[ListedJurisdiction]
    eu_high_risk_third_countries: EuHighRiskList | None = None

    @model_validator(mode="after")
    def _lists_are_disjoint(self) -> Jurisdictions:
        black = {j.code for j in self.call_for_action}
        grey = {j.code for j in self.increased_monitoring}
        if both := sorted(black & grey):
            raise ValueError(f"on both call_for_action and increased_monitoring: {both}")
        return self

    def codes(self, list_name: str) -> frozenset[str]:
        if list_name == "call_for_action":
            return frozenset(j.code for j in self.call_for_action)
        if list_name == "increased_monitoring":
            return frozenset(j.code for j in self.increased_monitoring)
        if list_name == "eu_high_risk_third_countries":
            eu = self.eu_high_risk_third_countries
            return frozenset(j.code for j in eu.countries) if eu else frozenset()
        raise KeyError(list_name)


class Thresholds(_Config):
    medium: Points
    high: Points
    prohibited: Points
    refer: Points

    @model_validator(mode="after")
    def _ascending(self) -> Thresholds:
        if not 0 < self.medium < self.high < self.prohibited:
            raise ValueError("levels must ascend: 0 < medium < high < prohibited")
        if self.refer == 0:
            raise ValueError("refer must be above 0, or every application is referred")
        return self


class Rule(_Config):
    points: Points
    severity: Severity = Severity.WARNING


class OptionalRule(Rule):
    enabled: bool = True


class CountryOverride(Rule):
    reason: str = Field(min_length=1)
    """Why the firm scores this country; shown to officers in the finding."""


class CountryRules(_Config):
    call_for_action: Rule
    increased_monitoring: Rule
    eu_high_risk_third_country: OptionalRule = OptionalRule(points=0, enabled=False)
    overrides: dict[CountryCode, CountryOverride] = {}
    unrecognised: Rule = Rule(points=10, severity=Severity.REFER)


class ScoreBand(_Config):
    min_score: Score
    points: Points


class StrongMatch(_Config):
    min_score: Score
    points: Points
    severity: Severity = Severity.REFER


class ScreeningRules(_Config):
    bands: list[ScoreBand] = Field(min_length=1)
    min_score: Score
    possible_match_severity: Severity = Severity.REFER
    strong_match: StrongMatch
    dob_mismatch_factor: float = Field(ge=0.0, le=1.0)
    year_only_dob_matches: bool = True

    @field_validator("bands")
    @classmethod
    def _bands_ascend(cls, bands: list[ScoreBand]) -> list[ScoreBand]:
        scores = [b.min_score for b in bands]
        if scores != sorted(set(scores)):
            raise ValueError("bands must be listed by strictly ascending min_score")
        return bands

    @model_validator(mode="after")
    def _bands_cover_minimum(self) -> ScreeningRules:
        if self.bands[0].min_score > self.min_score:
            raise ValueError("the lowest band must start at or below min_score")
        return self


class DocumentRules(_Config):
    points: dict[Severity, Points]
    max_points: Points

    @field_validator("points")
    @classmethod
    def _all_severities(cls, points: dict[Severity, int]) -> dict[Severity, int]:
        if missing := [s.value for s in Severity if s not in points]:
            raise ValueError(f"missing points for severities {missing}")
        return points


class AgeBand(_Config):
    code: Annotated[str, Field(pattern=r"^AGE_[A-Z0-9_]+$")]
    min: Annotated[int, Field(ge=0)]
    max: Annotated[int, Field(ge=0)] | None
    points: Points

    @model_validator(mode="after")
    def _ordered(self) -> AgeBand:
        if self.max is not None and self.max < self.min:
            raise ValueError("max must not be below min")
        return self


class AgeRules(_Config):
    minimum: Annotated[int, Field(ge=0)]
    maximum: Annotated[int, Field(gt=0)]
    bands: list[AgeBand] = []

    @model_validator(mode="after")
    def _sane(self) -> AgeRules:
        if self.maximum <= self.minimum:
            raise ValueError("maximum must be above minimum")
        return self


class ProductRules(_Config):
    points: dict[Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")], Points]
    unknown: Rule


class RiskModel(_Config):
    """A validated `risk_model.yaml` with its jurisdictions file resolved."""

    version: str = Field(min_length=1)
    jurisdictions_file: str
    thresholds: Thresholds
    country: CountryRules
    screening: ScreeningRules
    documents: DocumentRules
    age: AgeRules
    products: ProductRules
    jurisdictions: Jurisdictions


# --- loading -----------------------------------------------------------------------------


def _format_errors(path: Path, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        # Dict keys appear as `...ZZ.[key]` in pydantic's location; say it in words.
        where = ".".join(str(p) for p in err["loc"]).replace(".[key]", " (key)")
        where = where or "(top level)"
        parts.append(f"{where}: {err['msg']}")
    return f"{path}: invalid ({len(parts)} error(s)): " + "; ".join(parts)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RiskModelError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RiskModelError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RiskModelError(f"{path}: expected a mapping at the top level")
    return data


def load_jurisdictions(path: Path | str) -> Jurisdictions:
    path = Path(path)
    try:
        return Jurisdictions.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise RiskModelError(_format_errors(path, exc)) from exc


def load_risk_model(path: Path | str) -> RiskModel:
    """Load and validate a risk model; raise `RiskModelError` naming the bad field.

    Called once per worker at start, so a broken file stops the worker instead of
    producing skewed decisions.
    """
    path = Path(path)
    data = _read_yaml(path)
    if "jurisdictions" in data:
        raise RiskModelError(f"{path}: jurisdictions: use jurisdictions_file, not inline lists")
    jfile = data.get("jurisdictions_file")
    if not isinstance(jfile, str) or not jfile:
        raise RiskModelError(f"{path}: jurisdictions_file: required, a path to the lists file")
    jurisdictions = load_jurisdictions(path.parent / jfile)
    try:
        return RiskModel.model_validate({**data, "jurisdictions": jurisdictions})
    except ValidationError as exc:
        raise RiskModelError(_format_errors(path, exc)) from exc


# --- assessing ---------------------------------------------------------------------------


def _plus(points: int) -> str:
    return f"+{points} point" + ("" if points == 1 else "s")


def _age_on(dob: dt.date, as_of: dt.date) -> int:
    return as_of.year - dob.year - ((as_of.month, as_of.day) < (dob.month, dob.day))


def _country_reasons(inp: AssessRiskInput, model: RiskModel) -> list[tuple[Finding, int]]:
    roles: dict[str, list[str]] = {}
    for field, value in (
        ("nationality", inp.nationality),
        ("residence_country", inp.residence_country),
    ):
        roles.setdefault(value.strip().upper(), []).append(field)

    j = model.jurisdictions
    rules = model.country
    checks: list[tuple[str, Rule, ReasonCode, str]] = [
        (
            "call_for_action",
            rules.call_for_action,
            ReasonCode.COUNTRY_HIGH_RISK_CALL_FOR_ACTION,
            f"FATF list of high-risk jurisdictions subject to a call for action (as of {j.as_of})",
        ),
        (
            "increased_monitoring",
            rules.increased_monitoring,
            ReasonCode.COUNTRY_INCREASED_MONITORING,
            f"FATF list of jurisdictions under increased monitoring (as of {j.as_of})",
        ),
    ]
    eu = j.eu_high_risk_third_countries
    if rules.eu_high_risk_third_country.enabled and eu is not None:
        checks.append(
            (
                "eu_high_risk_third_countries",
                rules.eu_high_risk_third_country,
                ReasonCode.COUNTRY_EU_HIGH_RISK_THIRD_COUNTRY,
                f"EU list of high-risk third countries (as of {eu.as_of})",
            )
        )

    out: list[tuple[Finding, int]] = []
    for code, fields in roles.items():
        who = " and ".join("nationality" if f == "nationality" else "residence" for f in fields)
        field = fields[0]
        try:
            _country_code(code)
        except ValueError:
            rule = rules.unrecognised
            msg = f"{who.capitalize()} is not a recognised ISO 3166-1 alpha-2 code"
            out.append((_finding(ReasonCode.COUNTRY_UNRECOGNISED, rule, msg, field), rule.points))
            continue
        for list_name, rule, reason, label in checks:
            if code in j.codes(list_name):
                msg = f"{who.capitalize()} {code} is on the {label}"
                out.append((_finding(reason, rule, msg, field), rule.points))
        override = rules.overrides.get(code)
        if override is not None:
            msg = f"{who.capitalize()} {code} is scored by firm policy: {override.reason}"
            out.append((_finding(ReasonCode.COUNTRY_POLICY, override, msg, field), override.points))
    return out


def _finding(code: ReasonCode, rule: Rule, message: str, field: str | None) -> Finding:
    return Finding(
        code=code.value,
        severity=rule.severity,
        message=f"{message}: {_plus(rule.points)}",
        field=field,
    )


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")
_DAY_MON_YEAR = re.compile(r"\b(?:(\d{1,2})\s+)?([A-Za-z]{3})[a-z]*\.?\s+(\d{4})\b")
_YEAR_RANGE = re.compile(r"\b(\d{4})\s*(?:to|-|\u2013)\s*(\d{4})\b")
_YEAR = re.compile(r"\b(1[89]\d{2}|20\d{2})\b")


class DobRelation(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    UNKNOWN = "unknown"


def dob_relation(dob: dt.date, listed: Iterable[str], *, year_only_matches: bool) -> DobRelation:
    """Compare the applicant's date of birth with a listed entry's, in the lists' formats.

    Lists write dates as `1974-08-12`, `1974-08`, `12 Aug 1974`, `Aug 1974`, `1974` or
    `1970 to 1975`. Anything consistent is a match (a year or range only when
    `year_only_matches`); parseable but inconsistent everywhere is a mismatch; nothing
    parseable is unknown.
    """
    parsed_any = False
    for raw in listed:
        text = raw.strip()
        if m := _ISO_DATE.search(text):
            parsed_any = True
            year, month, day = int(m[1]), int(m[2]), m[3]
            if (year, month) == (dob.year, dob.month) and (day is None or int(day) == dob.day):
                if day is not None or year_only_matches:
                    return DobRelation.MATCH
            continue
        if (m := _DAY_MON_YEAR.search(text)) and m[2].lower() in _MONTHS:
            parsed_any = True
            month = _MONTHS[m[2].lower()]
            if (int(m[3]), month) == (dob.year, dob.month) and (
                m[1] is None or int(m[1]) == dob.day
            ):
                if m[1] is not None or year_only_matches:
                    return DobRelation.MATCH
            continue
        if m := _YEAR_RANGE.search(text):
            parsed_any = True
            if int(m[1]) <= dob.year <= int(m[2]) and year_only_matches:
                return DobRelation.MATCH
            continue
        years = [int(y) for y in _YEAR.findall(text)]
        if years:
            parsed_any = True
            if dob.year in years and year_only_matches:
                return DobRelation.MATCH
    if not parsed_any:
        return DobRelation.UNKNOWN
    # A year-only entry consistent with the applicant is not a contradiction even when
    # it is not allowed to count as a match.
    if not year_only_matches and _consistent_years(dob, listed):
        return DobRelation.UNKNOWN
    return DobRelation.MISMATCH


def _consistent_years(dob: dt.date, listed: Iterable[str]) -> bool:
    for raw in listed:
        if _ISO_DATE.search(raw) or _DAY_MON_YEAR.search(raw):
            continue
        if (m := _YEAR_RANGE.search(raw)) and int(m[1]) <= dob.year <= int(m[2]):
            return True
        if dob.year in (int(y) for y in _YEAR.findall(raw)):
            return True
    return False


def _screening_reasons(inp: AssessRiskInput, model: RiskModel) -> list[tuple[Finding, int]]:
    rules = model.screening
    # One listed party can come back once per alias: keep its best-scoring hit.
    best: dict[tuple[str, str], tuple[int, ScreeningHit]] = {}
    for i, hit in enumerate(inp.screening_hits):
        key = (hit.source, hit.source_id)
        if key not in best or hit.score > best[key][1].score:
            best[key] = (i, hit)

    scored: list[tuple[int, ScreeningHit, ReasonCode, Severity, int, str]] = []
    for i, hit in sorted(best.values(), key=lambda t: t[0]):
        rel = dob_relation(
            inp.date_of_birth, hit.dates_of_birth, year_only_matches=rules.year_only_dob_matches
        )
        dob_text = {
            DobRelation.MATCH: "date of birth matches",
            DobRelation.MISMATCH: "listed date of birth differs",
            DobRelation.UNKNOWN: "no comparable date of birth listed",
        }[rel]
        if hit.score < rules.min_score:
            code, severity, points = ReasonCode.SCREENING_WEAK_MATCH, Severity.INFO, 0
        elif hit.score >= rules.strong_match.min_score and rel is DobRelation.MATCH:
            code = ReasonCode.SCREENING_STRONG_MATCH
            severity, points = rules.strong_match.severity, rules.strong_match.points
        else:
            band = max(
                (b for b in rules.bands if hit.score >= b.min_score), key=lambda b: b.min_score
            )
            points = band.points
            if rel is DobRelation.MISMATCH:
                points = int(points * rules.dob_mismatch_factor + 0.5)
            code, severity = ReasonCode.SCREENING_POSSIBLE_MATCH, rules.possible_match_severity
        scored.append((i, hit, code, severity, points, dob_text))

    # Only the strongest hit adds points; ties go to the earliest in the input.
    top = max(scored, key=lambda s: (s[4], s[1].score, -s[0]), default=None)
    out: list[tuple[Finding, int]] = []
    for entry in scored:
        i, hit, code, severity, points, dob_text = entry
        added = points if entry is top else 0
        note = "" if entry is top or points == 0 else " (only the strongest hit is scored)"
        what = {
            ReasonCode.SCREENING_STRONG_MATCH: "Strong match",
            ReasonCode.SCREENING_POSSIBLE_MATCH: "Possible match",
            ReasonCode.SCREENING_WEAK_MATCH: "Weak match below the model minimum",
        }[code]
        message = (
            f"{what} on {hit.source} entry {hit.source_id} (score {hit.score:.2f}, "
            f"{dob_text}): {_plus(added)}{note}"
        )
        finding = Finding(
            code=code.value, severity=severity, message=message, field=f"screening_hits[{i}]"
        )
        out.append((finding, added))
    return out


_DOCUMENT_CODES = {
    Severity.REJECT: ReasonCode.DOCUMENT_REJECTION,
    Severity.REFER: ReasonCode.DOCUMENT_REFERRAL,
    Severity.WARNING: ReasonCode.DOCUMENT_WARNING,
}


def _document_reasons(inp: AssessRiskInput, model: RiskModel) -> list[tuple[Finding, int]]:
    rules = model.documents
    remaining = rules.max_points
    out: list[tuple[Finding, int]] = []
    for i, doc in enumerate(inp.document_findings):
        reason = _DOCUMENT_CODES.get(doc.severity)
        if reason is None:
            continue
        points = min(rules.points[doc.severity], remaining)
        remaining -= points
        capped = "" if points == rules.points[doc.severity] else " (document points capped)"
        # The check's own message may quote document data; only its code is repeated.
        message = f"Document check {doc.code} ({doc.severity.value}): {_plus(points)}{capped}"
        field = doc.field or f"document_findings[{i}]"
        out.append(
            (
                Finding(code=reason.value, severity=doc.severity, message=message, field=field),
                points,
            )
        )
    return out


def _age_reasons(inp: AssessRiskInput, model: RiskModel) -> list[tuple[Finding, int]]:
    rules = model.age
    field = "date_of_birth"
    if inp.date_of_birth > inp.as_of:
        msg = "Date of birth is after the assessment date: +0 points"
        return [
            (
                Finding(
                    code=ReasonCode.AGE_IMPLAUSIBLE.value,
                    severity=Severity.REFER,
                    message=msg,
                    field=field,
                ),
                0,
            )
        ]
    age = _age_on(inp.date_of_birth, inp.as_of)
    if age < rules.minimum:
        msg = f"Applicant is under the minimum age of {rules.minimum}: +0 points"
        return [
            (
                Finding(
                    code=ReasonCode.AGE_UNDERAGE.value,
                    severity=Severity.REJECT,
                    message=msg,
                    field=field,
                ),
                0,
            )
        ]
    if age > rules.maximum:
        msg = f"Applicant's age is above the plausible maximum of {rules.maximum}: +0 points"
        return [
            (
                Finding(
                    code=ReasonCode.AGE_IMPLAUSIBLE.value,
                    severity=Severity.REFER,
                    message=msg,
                    field=field,
                ),
                0,
            )
        ]
    out: list[tuple[Finding, int]] = []
    for band in rules.bands:
        if band.min <= age and (band.max is None or age <= band.max):
            span = f"{band.min}-{band.max}" if band.max is not None else f"{band.min}+"
            severity = Severity.WARNING if band.points else Severity.INFO
            msg = f"Applicant's age is in the {span} band: {_plus(band.points)}"
            out.append(
                (Finding(code=band.code, severity=severity, message=msg, field=field), band.points)
            )
    return out


def _product_reasons(inp: AssessRiskInput, model: RiskModel) -> list[tuple[Finding, int]]:
    rules = model.products
    points = rules.points.get(inp.product)
    if points is None:
        rule = rules.unknown
        msg = f"Product '{inp.product}' is not in the risk model"
        return [(_finding(ReasonCode.PRODUCT_UNKNOWN, rule, msg, "product"), rule.points)]
    if points == 0:
        return []
    msg = f"Product '{inp.product}' carries product risk: {_plus(points)}"
    finding = Finding(
        code=ReasonCode.PRODUCT_RISK.value, severity=Severity.WARNING, message=msg, field="product"
    )
    return [(finding, points)]


def _level(score: int, thresholds: Thresholds) -> RiskLevel:
    if score >= thresholds.prohibited:
        return RiskLevel.PROHIBITED
    if score >= thresholds.high:
        return RiskLevel.HIGH
    if score >= thresholds.medium:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


def _outcome(
    reasons: Sequence[Finding], level: RiskLevel, score: int, thresholds: Thresholds
) -> RiskOutcome:
    severities = {r.severity for r in reasons}
    if Severity.REJECT in severities or level is RiskLevel.PROHIBITED:
        return RiskOutcome.REJECT
    if Severity.REFER in severities or score >= thresholds.refer:
        return RiskOutcome.REFER
    return RiskOutcome.APPROVE


def assess_risk(inp: AssessRiskInput, model: RiskModel) -> RiskAssessment:
    """Score one application against the model; pure, so retries and replays agree."""
    scored = [
        *_country_reasons(inp, model),
        *_screening_reasons(inp, model),
        *_document_reasons(inp, model),
        *_age_reasons(inp, model),
        *_product_reasons(inp, model),
    ]
    reasons = [finding for finding, _ in scored]
    score = min(MAX_SCORE, sum(points for _, points in scored))
    level = _level(score, model.thresholds)
    if any(r.severity is Severity.REJECT for r in reasons):
        level = RiskLevel.PROHIBITED
    return RiskAssessment(
        score=score,
        level=level,
        outcome=_outcome(reasons, level, score, model.thresholds),
        reasons=reasons,
        model_version=model.version,
        jurisdictions_as_of=model.jurisdictions.as_of,
    )
