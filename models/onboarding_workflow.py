"""Workflow-level payloads for onboarding: the start input and the information update.

The workflow cannot read settings (no I/O), so everything deployment-specific it needs —
task queue names, SLAs — travels in its input and is fixed for the life of the execution.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import AliasChoices, Field

from models.common import FrozenModel, Note, StrictInput
from models.documents import DocumentInput
from models.onboarding import DocumentSubmission, DocumentUpload, OnboardingApplication


class OnboardingConfig(FrozenModel):
    screening_queue: str
    records_queue: str = Field(validation_alias=AliasChoices("records_queue", "ledger_queue"))
    """Queue of the case and customer writes. Inputs recorded before it was renamed call it
    `ledger_queue` (and name the `ledger` queue, whose worker still serves those writes)."""
    review_sla: timedelta
    information_timeout: timedelta


class OnboardingInput(FrozenModel):
    application: OnboardingApplication
    config: OnboardingConfig


class InformationRequestBody(StrictInput):
    """Body of `POST /v1/onboarding/{application_id}/information`."""

    documents: Annotated[list[DocumentUpload], Field(min_length=1, max_length=5)]
    note: Note | None = None

    def to_update(self, submitted_by: str) -> InformationUpdate:
        return InformationUpdate(
            documents=[DocumentSubmission.from_upload(d) for d in self.documents],
            note=self.note,
            submitted_by=submitted_by,
        )


class InformationUpdate(FrozenModel):
    documents: list[DocumentSubmission]
    note: str | None = None
    submitted_by: str

    def documents_as_inputs(self) -> list[DocumentInput]:
        return to_document_inputs(self.documents)


def to_document_inputs(documents: list[DocumentSubmission]) -> list[DocumentInput]:
    return [
        DocumentInput(
            kind=d.kind.value, mrz=d.mrz, image_base64=d.image_base64, image_ref=d.image_ref
        )
        for d in documents
    ]
