"""Every workflow type this code base runs: what workers register and the replayer checks."""

from __future__ import annotations

from workflows.customer_onboarding import CustomerOnboardingWorkflow
from workflows.customer_review import CustomerReviewWorkflow
from workflows.rescreening import RescreeningWorkflow

WORKFLOWS: list[type] = [CustomerOnboardingWorkflow, RescreeningWorkflow, CustomerReviewWorkflow]
