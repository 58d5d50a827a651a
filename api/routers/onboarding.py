"""Portal routes: submit an application, read its status, answer a request for information."""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api import deps
from api.auth import Principal, require_roles
from api.errors import ApiError, ErrorDetail, error_responses
from api.temporal_errors import update_refusal
from clearway.contract import Queue
from clearway.logging import get_logger
from clearway.secrets import Secrets
from clearway.settings import Settings
from domain.documents.mrz import mrz_syntax_error
from domain.documents.store import MAX_IMAGE_BYTES, media_type, store_image
from models.common import BusinessKey
from models.onboarding import (
    DocumentSubmission,
    OnboardingApplication,
    OnboardingRequest,
    OnboardingState,
)
from models.onboarding_workflow import (
    InformationRequestBody,
    OnboardingConfig,
    OnboardingInput,
)
from workflows.customer_onboarding import CustomerOnboardingWorkflow

router = APIRouter(prefix="/v1/onboarding", tags=["onboarding"])
log = get_logger(__name__)

FINGERPRINT_MEMO = "request_fingerprint"
SUBMITTER_MEMO = "submitted_by"
STAFF_ROLES = frozenset({"officer", "senior_officer", "auditor"})
OnboardingHandle = WorkflowHandle[CustomerOnboardingWorkflow, OnboardingState]


class OnboardingAccepted(BaseModel):
    application_id: str
    workflow_id: str
    status: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "application_id": "app-7f3a",
                    "workflow_id": "onboarding-app-7f3a",
                    "status": "received",
                }
            ]
        }
    }


def workflow_id_for(application_id: str) -> str:
    return f"onboarding-{application_id}"


def fingerprint(secrets: Secrets, application: OnboardingApplication) -> str:
    """Keyed hash of the canonical body: the memo is not encrypted, so a plain hash of
    personal data would be guessable; an HMAC is not."""
    key = secrets.request_hmac_key.encode()
    return hmac.new(key, application.model_dump_json().encode(), hashlib.sha256).hexdigest()


def validate_documents(documents: list[DocumentSubmission], prefix: str = "documents") -> None:
    """Structural checks the workflow cannot recover from, answered as 422 before it starts.
    Check digits and content problems are findings for the workflow, not errors."""
    details: list[ErrorDetail] = []
    for i, doc in enumerate(documents):
        if doc.image_ref:
            details.append(
                ErrorDetail(
                    field=f"{prefix}[{i}].image_ref",
                    message="set by the API; send the scan as image_base64",
                )
            )
        if doc.mrz:
            problem = mrz_syntax_error(doc.mrz)
            if problem:
                details.append(ErrorDetail(field=f"{prefix}[{i}].mrz", message=problem))
        if doc.image_base64:
            try:
                raw = base64.b64decode(doc.image_base64, validate=True)
            except (binascii.Error, ValueError):
                details.append(
                    ErrorDetail(field=f"{prefix}[{i}].image_base64", message="not valid base64")
                )
                continue
            if len(raw) > MAX_IMAGE_BYTES:
                details.append(
                    ErrorDetail(
                        field=f"{prefix}[{i}].image_base64",
                        message=f"image is {len(raw)} bytes; the limit is {MAX_IMAGE_BYTES}",
                    )
                )
            elif media_type(raw) is None:
                details.append(
                    ErrorDetail(
                        field=f"{prefix}[{i}].image_base64", message="image must be PNG or JPEG"
                    )
                )
    if details:
        summary = "; ".join(f"{d.field}: {d.message}" for d in details)
        raise ApiError(422, "invalid_document", f"invalid request: {summary}", details)


def _store_images(
    sessions: sessionmaker[Session], application_id: str, documents: list[DocumentSubmission]
) -> list[DocumentSubmission]:
    out = []
    with sessions.begin() as session:
        for doc in documents:
            if doc.image_base64:
                ref = store_image(session, application_id, base64.b64decode(doc.image_base64))
                doc = doc.model_copy(update={"image_base64": None, "image_ref": ref})
            out.append(doc)
    return out


async def claim_check(
    sessions: sessionmaker[Session], application_id: str, documents: list[DocumentSubmission]
) -> list[DocumentSubmission]:
    """Swap every scan for a reference to its stored copy before anything reaches Temporal."""
    if not any(d.image_base64 for d in documents):
        return documents
    return await asyncio.to_thread(_store_images, sessions, application_id, documents)


def onboarding_config(settings: Settings) -> OnboardingConfig:
    return OnboardingConfig(
        screening_queue=settings.queue(Queue.SCREENING),
        records_queue=settings.queue(Queue.RECORDS),
        review_sla=settings.review_sla,
        information_timeout=dt.timedelta(days=settings.information_timeout_days),
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OnboardingAccepted,
    responses={
        200: {"model": OnboardingAccepted, "description": "same application already submitted"},
        **error_responses(409),
    },
)
async def submit_application(
    body: OnboardingRequest,
    response: Response,
    principal: Annotated[Principal, Depends(require_roles("portal"))],
    client: Annotated[Client, Depends(deps.temporal)],
    settings: Annotated[Settings, Depends(deps.settings)],
    secrets: Annotated[Secrets, Depends(deps.secrets)],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
) -> OnboardingAccepted:
    application = body.to_application()
    validate_documents(application.documents)
    wf_id = workflow_id_for(application.application_id)
    fp = fingerprint(secrets, application)
    documents = await claim_check(sessions, application.application_id, application.documents)
    try:
        await client.start_workflow(
            CustomerOnboardingWorkflow.run,
            OnboardingInput(
                application=application.model_copy(update={"documents": documents}),
                config=onboarding_config(settings),
            ),
            id=wf_id,
            task_queue=settings.queue(Queue.WORKFLOWS),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            memo={FINGERPRINT_MEMO: fp, SUBMITTER_MEMO: principal.subject},
        )
    except WorkflowAlreadyStartedError:
        handle = _handle(client, application.application_id)
        desc = await handle.describe()
        memo = await desc.memo()
        if memo.get(FINGERPRINT_MEMO) != fp or memo.get(SUBMITTER_MEMO) != principal.subject:
            raise ApiError(
                409,
                "conflict",
                f"application_id {application.application_id!r} was already submitted "
                "with a different body",
            ) from None
        state = await _query_state(handle)
        response.status_code = status.HTTP_200_OK
        return OnboardingAccepted(
            application_id=application.application_id,
            workflow_id=wf_id,
            status=state.status.value if state else "received",
        )
    log.info("onboarding started", workflow_id=wf_id, portal=principal.subject)
    return OnboardingAccepted(
        application_id=application.application_id, workflow_id=wf_id, status="received"
    )


def _handle(client: Client, application_id: str) -> OnboardingHandle:
    return client.get_workflow_handle_for(
        CustomerOnboardingWorkflow.run, workflow_id_for(application_id)
    )


async def _query_state(handle: OnboardingHandle) -> OnboardingState | None:
    try:
        return await handle.query(CustomerOnboardingWorkflow.status)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


def redact_for_portal(state: OnboardingState) -> OnboardingState:
    """Portals face the applicant: never reveal screening hits or risk reasons (tipping off
    a suspect about a sanctions or AML concern is itself an offence in most regimes)."""
    decision = state.decision
    if decision is not None:
        decision = decision.model_copy(update={"reasons": [], "officer_decisions": []})
    return state.model_copy(
        update={"risk": None, "screening": None, "decision": decision, "officer_decisions": []}
    )


@router.get(
    "/{application_id}",
    response_model=OnboardingState,
    responses=error_responses(404),
)
async def get_application(
    application_id: BusinessKey,
    principal: Annotated[
        Principal, Depends(require_roles("portal", "officer", "senior_officer", "auditor"))
    ],
    client: Annotated[Client, Depends(deps.temporal)],
) -> OnboardingState:
    handle = _handle(client, application_id)
    if not principal.roles & STAFF_ROLES:
        await ensure_submitted_by(handle, principal, application_id)
    state = await _query_state(handle)
    if state is None:
        raise ApiError(404, "not_found", f"no onboarding application {application_id!r}")
    if principal.roles & STAFF_ROLES:
        return state
    return redact_for_portal(state)


async def ensure_submitted_by(
    handle: OnboardingHandle, principal: Principal, application_id: str
) -> None:
    """A portal sees only the applications it submitted; another portal's application
    answers 404, exactly like one that does not exist, so ids cannot be probed."""
    missing = ApiError(404, "not_found", f"no onboarding application {application_id!r}")
    try:
        desc = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise missing from exc
        raise
    if (await desc.memo()).get(SUBMITTER_MEMO) != principal.subject:
        raise missing


@router.post(
    "/{application_id}/information",
    response_model=OnboardingState,
    responses=error_responses(404, 409),
)
async def provide_information(
    application_id: BusinessKey,
    body: InformationRequestBody,
    principal: Annotated[Principal, Depends(require_roles("portal"))],
    client: Annotated[Client, Depends(deps.temporal)],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
) -> OnboardingState:
    update = body.to_update(principal.subject)
    validate_documents(update.documents)
    handle = _handle(client, application_id)
    await ensure_submitted_by(handle, principal, application_id)
    documents = await claim_check(sessions, application_id, update.documents)
    try:
        state = await handle.execute_update(
            CustomerOnboardingWorkflow.provide_information,
            update.model_copy(update={"documents": documents}),
        )
    except Exception as exc:
        raise update_refusal(exc, f"application {application_id!r}") from exc
    return redact_for_portal(state)
