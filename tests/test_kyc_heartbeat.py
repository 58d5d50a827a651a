"""Heartbeats of the long KYC check activity (issue 8, defect 6): without them the work of
a crashed worker resumed only after the 90 s start-to-close timeout. With a heartbeat
timeout on the activity (set by the workflow), the server notices a dead worker within it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.kyc_checks import (
    DocumentActivities,
    KycChecksActivities,
    RiskActivities,
    ScreeningActivities,
)
from clearway.heartbeat import heartbeating
from clearway.settings import Settings
from domain.risk import load_risk_model
from models.documents import (
    ApplicantFacts,
    DocumentInput,
    DocumentVerificationResult,
    VerifyDocumentsInput,
)
from models.kyc import RiskContext, RunKycChecksInput
from models.screening import ScreeningResult, ScreenPartyInput
from tests.factories import passport_mrz

DOB = dt.date(1988, 3, 9)


def _environment(heartbeat_timeout: float) -> tuple[ActivityEnvironment, list[Any]]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, heartbeat_timeout=dt.timedelta(seconds=heartbeat_timeout)
    )
    beats: list[Any] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    return env, beats


def test_heartbeating_beats_while_blocking_work_runs() -> None:
    env, beats = _environment(heartbeat_timeout=0.3)

    def blocking_work() -> str:
        with heartbeating():
            time.sleep(1.0)
        return "done"

    assert env.run(blocking_work) == "done"
    assert len(beats) >= 3, beats
    settled = len(beats)
    time.sleep(0.3)
    assert len(beats) == settled, "the heartbeat thread stops with the block"


class SlowDocuments(DocumentActivities):
    """Real document checks that take a while, like OCR of a scan does."""

    def verify_documents(self, inp: VerifyDocumentsInput) -> DocumentVerificationResult:
        time.sleep(1.0)
        return super().verify_documents(inp)


def test_run_kyc_checks_heartbeats_while_it_works() -> None:
    env, beats = _environment(heartbeat_timeout=0.3)
    model = load_risk_model(Settings().risk_model_path)
    screening = ScreeningActivities.__new__(ScreeningActivities)  # not used: screened before
    checks = KycChecksActivities(SlowDocuments(None), screening, RiskActivities(model))  # type: ignore[arg-type]
    mrz = passport_mrz(surname="Lindqvist", given_names="Lena Sofia", dob=DOB, nationality3="SWE")
    inp = RunKycChecksInput(
        documents=VerifyDocumentsInput(
            application_id="app-hb",
            applicant=ApplicantFacts(
                given_names="Lena Sofia", surname="Lindqvist", date_of_birth=DOB, nationality="SE"
            ),
            documents=[DocumentInput(kind="passport", mrz=mrz)],
            as_of=dt.date(2026, 1, 1),
        ),
        party=ScreenPartyInput(party_id="onboarding-app-hb", name="Lena Sofia Lindqvist"),
        previous_screening=ScreeningResult(
            hits=[], threshold=0.7, matcher_version="test", lists=[]
        ),
        risk=RiskContext(
            application_id="app-hb",
            date_of_birth=DOB,
            nationality="SE",
            residence_country="SE",
            product="current_account",
            as_of=dt.date(2026, 1, 1),
        ),
    )
    result = env.run(checks.run_kyc_checks, inp)
    assert result.documents.passed, result.documents.findings
    assert len(beats) >= 3, beats
