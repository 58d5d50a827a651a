"""Every workflow type this code base runs, and the sandbox they run in: what workers
register and what the replayer (audit endpoint, replay tests) checks, configured alike."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.case_review import CaseReviewWorkflow
from workflows.customer_onboarding import CustomerOnboardingWorkflow
from workflows.customer_review import CustomerReviewWorkflow
from workflows.hold_expiry import HoldExpiryWorkflow
from workflows.ledger import Camt054Workflow, DepositWorkflow, TransferBatchWorkflow
from workflows.rescreening import RescreeningWorkflow

WORKFLOWS: list[type] = [
    CustomerOnboardingWorkflow,
    CaseReviewWorkflow,
    RescreeningWorkflow,
    CustomerReviewWorkflow,
    DepositWorkflow,
    Camt054Workflow,
    TransferBatchWorkflow,
    HoldExpiryWorkflow,
]

PASSTHROUGH_MODULES = ("email_validator", "idna", "pycountry")
"""Libraries the payload models call while validating (EmailStr, ISO code tables). They are
deterministic; passing them through spares re-importing them for every workflow run."""


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
