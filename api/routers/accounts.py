"""Account routes: balances (now or as of a moment), the transfer list, and deposits.

Reads come straight from PostgreSQL through `LedgerStore` (sync routes, run in the thread
pool). A deposit moves money, so it goes API → `DepositWorkflow` → worker → PostgreSQL:
the workflow id is the deposit id, so a retried request finds the first one's result.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from api import deps
from api.auth import Principal, require_roles
from api.errors import ApiError, ErrorDetail, ErrorResponse, field_error
from api.routers.onboarding import SUBMITTER_MEMO, workflow_id_for
from api.temporal_errors import workflow_failure
from clearway.contract import (
    AccountNotFound,
    ClearwayError,
    CurrencyMismatch,
    ExistsWithDifferentFields,
    InvalidAmount,
    Queue,
    Role,
)
from clearway.settings import Settings
from domain.ledger import LedgerStore, MoneyError, parse_amount
from models.common import BusinessKey
from models.ledger import (
    AccountView,
    DepositInput,
    DepositRequest,
    DepositResult,
    TransferPage,
)
from workflows.ledger import DepositWorkflow, DepositWorkflowInput, deposit_workflow_id

router = APIRouter(prefix="/v1/accounts", tags=["ledger"])

READERS = (Role.PORTAL, Role.OFFICER, Role.SENIOR_OFFICER, Role.AUDITOR, Role.ADMIN)
STAFF = frozenset(r.value for r in READERS if r is not Role.PORTAL)


def _not_found(account_id: str) -> ApiError:
    return ApiError(404, "account_not_found", f"no account {account_id!r}")


async def _ensure_visible(
    principal: Principal,
    sessions: sessionmaker[Session],
    client: Client,
    account_id: str,
) -> None:
    """Staff see every account; a portal only accounts of customers whose onboarding it
    submitted (the submitter is in the onboarding workflow's memo). Anything else is a 404,
    exactly like a missing account, so account ids cannot be probed."""

    def lookup() -> str | None:
        with sessions() as s:
            try:
                return LedgerStore(s).account_customer(account_id)[1]
            except AccountNotFound:
                raise _not_found(account_id) from None

    application_id = await asyncio.to_thread(lookup)
    if principal.roles & STAFF:
        return
    if application_id is None:
        raise _not_found(account_id)
    try:
        desc = await client.get_workflow_handle(workflow_id_for(application_id)).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise _not_found(account_id) from exc
        raise
    if (await desc.memo()).get(SUBMITTER_MEMO) != principal.subject:
        raise _not_found(account_id)


@router.get(
    "/{account_id}",
    response_model=AccountView,
    responses={404: {"model": ErrorResponse}},
)
async def get_account(
    account_id: BusinessKey,
    principal: Annotated[Principal, Depends(require_roles(*READERS))],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
    client: Annotated[Client, Depends(deps.temporal)],
    as_of: Annotated[
        dt.datetime | None,
        Query(description="balance at this moment (ISO 8601 with offset), from the log"),
    ] = None,
) -> AccountView:
    """Posted and pending debits and credits, available balance, flags and status."""
    if as_of is not None and as_of.tzinfo is None:
        raise ApiError(
            422,
            "invalid_request",
            "as_of needs a UTC offset",
            [ErrorDetail(field="as_of", message="include a UTC offset, e.g. Z")],
        )
    await _ensure_visible(principal, sessions, client, account_id)

    def read() -> AccountView:
        with sessions() as s:
            return LedgerStore(s).get_account(account_id, as_of=as_of)

    return await asyncio.to_thread(read)


@router.get(
    "/{account_id}/transfers",
    response_model=TransferPage,
    responses={404: {"model": ErrorResponse}},
)
async def list_transfers(
    account_id: BusinessKey,
    principal: Annotated[Principal, Depends(require_roles(*READERS))],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
    client: Annotated[Client, Depends(deps.temporal)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> TransferPage:
    """The account's transfers, newest first; `next_cursor` fetches the next (older) page."""
    await _ensure_visible(principal, sessions, client, account_id)

    def read() -> TransferPage:
        with sessions() as s:
            return LedgerStore(s).account_transfers(account_id, limit=limit, cursor=cursor)

    try:
        return await asyncio.to_thread(read)
    except ClearwayError as exc:
        if exc.code == "invalid_request":
            raise field_error(exc, "cursor") from exc
        raise


@router.post(
    "/{account_id}/deposits",
    status_code=status.HTTP_201_CREATED,
    response_model=DepositResult,
    responses={
        200: {"model": DepositResult, "description": "the same deposit was posted before"},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse, "description": "deposit id used with another body"},
    },
)
async def post_deposit(
    account_id: BusinessKey,
    body: DepositRequest,
    response: Response,
    _: Annotated[Principal, Depends(require_roles(Role.ADMIN))],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
    client: Annotated[Client, Depends(deps.temporal)],
    settings: Annotated[Settings, Depends(deps.settings)],
) -> DepositResult:
    """Credit the account from the clearing account of its currency, once per deposit id:
    the same body again answers 200 with the original result, another body 409."""
    try:
        amount = parse_amount(body.amount, body.currency)
    except MoneyError as exc:
        raise field_error(InvalidAmount(str(exc)), "amount") from exc

    def account() -> AccountView:
        with sessions() as s:
            return LedgerStore(s).get_account(account_id)

    view = await asyncio.to_thread(account)
    if view.currency != body.currency:
        raise field_error(
            CurrencyMismatch(f"account {account_id} is in {view.currency}, not {body.currency}"),
            "currency",
        )
    deposit = DepositInput(
        deposit_id=body.deposit_id,
        account_id=account_id,
        amount=amount,
        currency=body.currency,
        reference=body.reference,
    )
    try:
        result = await client.execute_workflow(
            DepositWorkflow.run,
            DepositWorkflowInput(deposit=deposit, ledger_queue=settings.queue(Queue.LEDGER)),
            id=deposit_workflow_id(body.deposit_id),
            task_queue=settings.queue(Queue.WORKFLOWS),
            # A finished deposit workflow may run again: the ledger, keyed by the deposit's
            # transfer id, answers `exists` or `exists_with_different_fields`.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowFailureError as exc:
        raise workflow_failure(exc) from exc
    t = result.transfer
    if (t.credit_account_id, t.amount, t.currency, t.reference) != (
        account_id,
        amount,
        body.currency,
        body.reference,
    ):
        # A concurrent request with another body joined the running workflow.
        raise ExistsWithDifferentFields(f"deposit {body.deposit_id} exists with different fields")
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result
